/**
 * The entry of a consumer thread (threads.ts): plain JavaScript, so it starts whatever loader the
 * main thread has. A worker inherits the process's `--import tsx` when there is one (`npm start`);
 * anywhere else (vitest, plain node) it registers tsx itself before loading the TypeScript body.
 */
const body = new URL('./consumer-thread.ts', import.meta.url).href;

try {
  await import(body);
} catch (err) {
  if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  const { register } = await import('tsx/esm/api');
  register();
  // A failed import stays failed for its URL; the query makes it a new one.
  await import(`${body}?tsx`);
}
