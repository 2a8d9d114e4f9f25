/**
 * Queue consumers on a worker thread: the processor's handler and its SDK clients are most of the
 * work the local stack does per event, and on a thread of their own they get a core while the main
 * thread serves the API. Lambda runs them apart from the API functions too, each in containers of
 * its own, so nothing a handler can observe changes: its module state (config, clients, caches) is
 * its thread's, built from the same environment. Only handlers loaded from their modules can move;
 * handlers injected as functions (tests) stay on the main thread.
 *
 * The thread starts first thing, so importing the handlers (the slowest part of a start) overlaps
 * with starting the emulators; it gets the runtime's environment with `start`, before any handler
 * runs. Handlers read their configuration on first use (shared/config.ts), as on Lambda.
 */
import { Worker } from 'node:worker_threads';
import type { FunctionSpec } from '#functions/triggers.ts';
import type { FaultCounts } from '#shared/aws/faults.ts';
import { emulatorCredentials, emulatorRegion } from './emulators.ts';
import type { Activity } from './lambda.ts';
import type { SqsPoller, SqsPollerOptions } from './sqs-poller.ts';

/** One queue consumer, as the thread needs it: everything but the handler, which it imports itself. */
export type ConsumerConfig = Omit<SqsPollerOptions, 'endpoint' | 'handler' | 'region' | 'activity' | 'log' | 'fn'> & {
  fn: FunctionSpec;
};

export interface ConsumerThreadData {
  /** The functions whose modules the thread imports. */
  functions: FunctionSpec[];
  /** The runtime's Activity counters (shared memory). */
  activity: SharedArrayBuffer;
}

export interface StartConsumers {
  consumers: ConsumerConfig[];
  sqsEndpoint: string;
  region: string;
  /** The runtime's environment once it has set the tables, queues, endpoints and keys. */
  env: Record<string, string>;
}

export type ToConsumerThread = { type: 'start'; config: StartConsumers } | { type: 'stop' } | { type: 'faults' };
export type FromConsumerThread =
  | { type: 'loaded' }
  | { type: 'failed'; error: string }
  | { type: 'log'; line: string }
  | { type: 'faults'; counts: FaultCounts }
  | { type: 'stopped' };

export interface ConsumerThread extends SqsPoller {
  /** Resolves once every handler module is imported; rejects if one cannot be. */
  loaded: Promise<void>;
  /** Hands the thread its environment and starts polling (after `loaded`). */
  start(config: StartConsumers): void;
  /** The thread's injected-fault counters (RAPPORT_FAULTS; each thread keeps its own). */
  faults(): Promise<FaultCounts>;
}

/** How long stop() waits for the batches in flight (a handler's timeout is 30 s at most) before ending the thread. */
const STOP_TIMEOUT_MS = 45_000;

export function startConsumerThread(opts: { functions: FunctionSpec[]; activity: Activity; log: (line: string) => void }): ConsumerThread {
  const data: ConsumerThreadData = { functions: opts.functions, activity: opts.activity.buffer };
  const env = {
    ...process.env,
    // What the runtime will set, as modules may read it on import (Powertools' logger reads the region).
    AWS_REGION: process.env.AWS_REGION || emulatorRegion,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID || emulatorCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY || emulatorCredentials.secretAccessKey,
    // The main thread prints the SDK's Node version notice once; a thread's own copy of the SDK
    // would print it again, after the ready line, which must stay the last one.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const worker = new Worker(new URL('./consumer-worker.mjs', import.meta.url), { workerData: data, env });
  const names = opts.functions.map((fn) => fn.name).join(', ');
  let stopping = false;
  const exited = new Promise<number>((done) => worker.once('exit', done));
  const loaded = new Promise<void>((done, fail) => {
    worker.on('message', (message: FromConsumerThread) => {
      if (message.type === 'loaded') done();
      else if (message.type === 'failed') fail(new Error(`${names} could not be loaded\n${message.error}`));
      else if (message.type === 'log') opts.log(message.line);
    });
    exited.then((code) => fail(new Error(`the thread of ${names} exited (${code}) while loading`)));
  });
  // Until the runtime waits for it, a failed load must not be an unhandled rejection.
  loaded.catch(() => undefined);
  worker.on('error', (err) => opts.log(`the thread of ${names} failed; its queue is no longer consumed\n${err.stack ?? err.message}`));
  exited.then((code) => {
    if (!stopping) opts.log(`the thread of ${names} exited (${code}); its queue is no longer consumed`);
  });
  const post = (message: ToConsumerThread) => worker.postMessage(message);
  let stopped: Promise<void> | undefined;
  return {
    loaded,
    start: (config) => post({ type: 'start', config }),
    faults: () =>
      new Promise((done) => {
        const answer = (message: FromConsumerThread) => {
          if (message.type !== 'faults') return;
          worker.off('message', answer);
          done(message.counts);
        };
        worker.on('message', answer);
        post({ type: 'faults' });
      }),
    stop() {
      stopped ??= (async () => {
        stopping = true;
        post({ type: 'stop' });
        const timer = setTimeout(() => {
          opts.log(`${names} did not stop within ${STOP_TIMEOUT_MS / 1000} s; ending its thread`);
          void worker.terminate();
        }, STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}
