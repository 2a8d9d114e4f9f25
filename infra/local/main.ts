/**
 * `npm start`: the whole of Rapport on this machine. The last line printed,
 * `Rapport is running at http://127.0.0.1:<port>`, is the signal scripts and tests wait for.
 */
import { describeError } from './lambda.ts';
import { type Runtime, startRuntime } from './runtime.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);
const warn = (line: string) => process.stderr.write(`${line}\n`);

// Once the terminal is closed (SIGHUP) a write to it fails with EIO; losing a log line must not stop
// the runtime from saving what is still queued.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

/**
 * One Ctrl-C can arrive twice: the terminal signals the whole process group, and npm, our parent
 * under `npm start`, relays SIGINT and SIGTERM to us as well. Only a Ctrl-C this long after the first
 * signal counts as the user insisting.
 */
const RELAYED_SIGNAL_WINDOW_MS = 500;

let runtime: Runtime | undefined;
let firstSignalAt: number | undefined;

/**
 * SIGTERM (a supervisor, `docker stop`, `kill`) and SIGHUP (a closed terminal) ask for the same clean
 * stop as Ctrl-C. Only a second Ctrl-C gives up draining: a terminal closed while the runtime drains,
 * or a supervisor repeating SIGTERM, is no one insisting. Either way nothing queued is lost: the queue
 * journal (queue-journal.ts) already holds it on disk.
 */
function shutdown(signal: NodeJS.Signals): void {
  if (firstSignalAt !== undefined) {
    if (signal !== 'SIGINT' || Date.now() - firstSignalAt < RELAYED_SIGNAL_WINDOW_MS) return;
    warn(`${signal} again: exiting without draining (what is queued stays in the queue journal)`);
    process.exit(1);
  }
  firstSignalAt = Date.now();
  say(`${signal}: stopping (draining queues; what is left stays in the queue journal)…`);
  // A signal during startup is answered once startup is done, so no emulator is left behind.
  if (runtime) stopAndExit(runtime);
}

function stopAndExit(r: Runtime): void {
  r.stop().then(
    () => {
      // The last line of a clean stop: whoever is left reading (a log file, a test) knows nothing was lost.
      say(`Stopped: ${r.dataDir ? `data saved in ${r.dataDir}` : 'data was in memory only'}`);
      process.exit(0);
    },
    (err: unknown) => {
      warn(`stop failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}

// On Lambda an unhandled rejection fails one invocation; here it must not take the whole API down.
process.on('unhandledRejection', (reason) => warn(`unhandled rejection\n${describeError(reason)}`));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, shutdown);

try {
  const startedAt = Date.now();
  runtime = await startRuntime({ log: warn });
  if (firstSignalAt !== undefined) {
    stopAndExit(runtime);
  } else {
    const engine = runtime.dynamodb === 'external' ? `external (${runtime.endpoints.dynamodb})` : runtime.dynamodb;
    say(`DynamoDB: ${engine}, table ${runtime.tableName}`);
    say(`Data: ${runtime.dataDir ?? 'in memory'}`);
    say(`Queues: ${Object.keys(runtime.queues).join(', ')}, each with a dead-letter queue`);
    say(`Started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    say(`Admin key: ${runtime.adminKey}`);
    say(`Mail viewer: ${runtime.mailViewerUrl}`);
    say(`Console: ${runtime.apiUrl}/`);
    say(`Rapport is running at ${runtime.apiUrl}`);
  }
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  warn(
    e.code === 'EADDRINUSE'
      ? `Port ${process.env.PORT ?? 3000} is in use; set PORT to a free one.`
      : `Rapport could not start\n${describeError(err)}`,
  );
  process.exit(1);
}
