/**
 * The body of a consumer thread (see threads.ts): the queue consumers' handlers and their pollers,
 * on a worker thread, as Lambda runs a function in containers of its own. It imports the handler
 * modules at once, takes the runtime's environment with `start`, polls until `stop`, then ends.
 * Its invocations count in the runtime's shared Activity, so `idle()` sees them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { resetClients } from '#shared/aws/clients.ts';
import { faultCounts } from '#shared/aws/faults.ts';
import { resetConfig } from '#shared/config.ts';
import { Activity, describeError, type SqsHandler } from './lambda.ts';
import { loadHandler } from './load-handler.ts';
import { type SqsPoller, startSqsPoller } from './sqs-poller.ts';
import type { ConsumerThreadData, FromConsumerThread, StartConsumers, ToConsumerThread } from './threads.ts';

const port = parentPort;
if (!port) throw new Error('consumer-thread.ts runs as a worker thread');
const data = workerData as ConsumerThreadData;
const send = (message: FromConsumerThread) => port.postMessage(message);
const log = (line: string) => send({ type: 'log', line });

// On Lambda an unhandled rejection fails one invocation; here it must not end every consumer.
process.on('unhandledRejection', (reason) => log(`unhandled rejection in a consumer thread\n${describeError(reason)}`));

const activity = new Activity(data.activity);
const pollers: SqsPoller[] = [];
let stopping = false;

async function load(): Promise<Map<string, SqsHandler>> {
  const handlers = new Map<string, SqsHandler>();
  for (const fn of data.functions) handlers.set(fn.name, (await loadHandler(fn)) as SqsHandler);
  return handlers;
}

const loaded = load();
loaded.then(
  () => send({ type: 'loaded' }),
  (err: unknown) => send({ type: 'failed', error: describeError(err) }),
);

async function start(config: StartConsumers): Promise<void> {
  const handlers = await loaded;
  if (stopping) return;
  // The environment the runtime has set since the thread started: the handlers read it on first use.
  Object.assign(process.env, config.env);
  resetConfig();
  resetClients();
  for (const consumer of config.consumers) {
    pollers.push(
      startSqsPoller({
        ...consumer,
        endpoint: config.sqsEndpoint,
        handler: handlers.get(consumer.fn.name) as SqsHandler,
        region: config.region,
        activity,
        // The API's requests come first (sqs-poller.ts giveWay); the counter is the runtime's, shared.
        giveWay: () => activity.requests > 0,
        log,
      }),
    );
  }
}

port.on('message', (message: ToConsumerThread) => {
  if (message.type === 'start') {
    start(message.config).catch((err: unknown) => log(`the consumers could not start\n${describeError(err)}`));
  } else if (message.type === 'faults') {
    send({ type: 'faults', counts: faultCounts() });
  } else if (message.type === 'stop') {
    stopping = true;
    void Promise.all(pollers.map((p) => p.stop())).then(() => {
      send({ type: 'stopped' });
      // The handlers' clients keep sockets open; the thread ends here, the process goes on.
      process.exit(0);
    });
  }
});
