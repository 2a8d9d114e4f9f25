/**
 * Runs `work` with process.stdout writes dropped: the functions log a JSON line per request and
 * per event, which is work they do (formatting stays measured) but thousands of lines the bench's
 * reader does not want. Bench progress goes to stderr, so it still shows.
 */
export async function silenceStdout<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof process.stdout.write;
  try {
    return await work();
  } finally {
    process.stdout.write = write;
  }
}
