/**
 * The local runtime: every function of functions/triggers.ts in this process, behind a local HTTP
 * API and SQS pollers, on embedded emulators (or on endpoints the user names). The handlers are
 * the very modules Lambda runs; only the environment differs, and shared/config.ts reads it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { functions as allFunctions, env, type FunctionSpec, type QueueName, queues } from '#functions/triggers.ts';
import { resetClients } from '#shared/aws/clients.ts';
import { faultCounts, pinFaultSeed } from '#shared/aws/faults.ts';
import { resetConfig } from '#shared/config.ts';
import {
  type DynamoEngine,
  type Emulator,
  emulatorCredentials,
  emulatorRegion,
  ensureQueues,
  ensureTable,
  type QueueUrls,
  sleep,
  sqsClientFor,
  startDynamo,
  startSes,
  startSqs,
} from './emulators.ts';
import { readQueueDepth, startHealthCheck } from './health.ts';
import { type HttpAdapter, type HttpRouteBinding, startHttpAdapter, type TopicBinding } from './http-adapter.ts';
import { Activity, type AnyHandler, type HttpHandler, type SqsHandler } from './lambda.ts';
import { loadHandler } from './load-handler.ts';
import { startRunScheduler } from './run-scheduler.ts';
import { type SqsPoller, startSqsPoller } from './sqs-poller.ts';
import { type ConsumerConfig, startConsumerThread } from './threads.ts';

export interface RuntimeOptions {
  /** API port; 0 picks a free one. Default: PORT or 3000. */
  port?: number;
  /** Where data lives. Default: RAPPORT_DATA_DIR or `.rapport`; `null` keeps everything in memory. */
  dataDir?: string | null;
  /** Default: RAPPORT_DYNAMODB or `dynalite`. */
  dynamodb?: DynamoEngine;
  /** Default: RAPPORT_ADMIN_KEY or `local-admin-key`. */
  adminKey?: string;
  /** SQS visibility timeout of every queue; a failed message comes back after this. Default 30. */
  visibilityTimeoutSeconds?: number;
  /** Pollers per consumed queue, each with a batch in flight. Default 4. */
  pollerConcurrency?: number;
  /**
   * Run the queue consumers loaded from their modules on a worker thread (threads.ts), so they get
   * a core of their own. Default true; injected `handlers` always run on the main thread.
   */
  threads?: boolean;
  /** Overrides every queue's batching window (seconds); tests use 0. Default: functions/triggers.ts. */
  batchingWindowSeconds?: number;
  /** How long stop() lets the pollers empty the queues before stopping (what is left stays in the queue journal). Default 15 s. */
  drainTimeoutMs?: number;
  /** The functions to run. Default: `functions` of functions/triggers.ts. */
  functions?: readonly FunctionSpec[];
  /** Handlers by function name, used instead of importing the function's entry (tests). */
  handlers?: Readonly<Record<string, AnyHandler>>;
  /** Where `GET /health` probes an emulator instead of the runtime's own endpoint (tests name a closed port). */
  healthEndpoints?: Partial<Runtime['endpoints']>;
  log?: (line: string) => void;
}

export interface Runtime {
  apiUrl: string;
  mailViewerUrl: string;
  adminKey: string;
  tableName: string;
  /** Absolute data directory, or null when everything is in memory. */
  dataDir: string | null;
  dynamodb: DynamoEngine | 'external';
  endpoints: { dynamodb: string; sqs: string; ses: string };
  queues: Record<QueueName, QueueUrls>;
  /**
   * Resolves when no queue (dead-letter queues aside) has a message visible, in flight or delayed
   * and no handler is running; rejects after timeoutMs (default 30 s).
   */
  idle(timeoutMs?: number): Promise<void>;
  /**
   * Faults injected into the handlers' AWS calls (RAPPORT_FAULTS) since the start, summed over the
   * main thread and the consumer threads; `replay` is the setting that repeats the run's decisions.
   */
  faults(): Promise<RuntimeFaults>;
  /** DynamoDB requests served per operation since the start, when the runtime runs dynalite itself. */
  dynamodbRequests?(): Promise<Record<string, number>>;
  /** Idempotent. Stops taking requests, drains for a while, stops the pollers and the emulators (the queue journal keeps the rest). */
  stop(): Promise<void>;
}

export interface RuntimeFaults {
  replay: string | undefined;
  calls: number;
  total: number;
  byKind: Record<string, number>;
}

export const TABLE_NAME = 'rapport';
export const QUEUE_PREFIX = 'rapport-';
export { repoRoot } from './load-handler.ts';

/**
 * Batches in flight per consumed queue (Lambda would run many more). Measured on two cores with
 * the consumer on its own thread: 2 leaves the thread waiting on DynamoDB, 4 keeps it busy, and
 * 8 or 16 only interleave more work on the same thread.
 */
const DEFAULT_POLLER_CONCURRENCY = 4;

const PENDING_FILE = 'pending-messages.json';
/** In the data directory while a runtime is up (see RuntimeFile); how `rapport` finds it. */
export const RUNTIME_FILE = 'runtime.json';
const SECRETS_FILE = 'secrets.json';
const LOCK_FILE = 'runtime.lock';

interface PendingMessage {
  queue: string;
  deadLetter: boolean;
  body: string;
  messageAttributes: Record<string, { dataType: string; stringValue?: string; binaryValue?: string }>;
}

export async function startRuntime(opts: RuntimeOptions = {}): Promise<Runtime> {
  const log = opts.log ?? (() => undefined);
  const dataDir = resolveDataDir(opts.dataDir);
  const engine = opts.dynamodb ?? parseEngine(process.env.RAPPORT_DYNAMODB);
  const adminKey = opts.adminKey ?? process.env.RAPPORT_ADMIN_KEY ?? 'local-admin-key';
  // shared/config.ts would reject it on the first admin request; say so now instead.
  if (adminKey.length < 8) throw new Error('RAPPORT_ADMIN_KEY must be at least 8 characters');
  const port = opts.port ?? Number(process.env.PORT ?? 3000);
  const specs = opts.functions ?? allFunctions;
  // One seed for every thread, fixed before they copy the environment, so a failing run can be replayed.
  if (pinFaultSeed() !== undefined) log(`AWS calls fail on purpose: RAPPORT_FAULTS=${process.env.RAPPORT_FAULTS}`);

  // Undone in reverse order if startup fails half way, and by stop().
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        log(`cleanup failed: ${(err as Error).message}`);
      }
    }
  };

  try {
    if (dataDir) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      acquireLock(dataDir);
      cleanups.push(() => rmSync(join(dataDir, LOCK_FILE), { force: true }));
    }
    const masterKey = dataDir ? loadOrCreateMasterKey(dataDir) : randomBytes(32).toString('hex');

    // Consumers imported from their modules run on a thread of their own (threads.ts). It starts
    // now, so their imports overlap with starting the emulators; it gets the environment later.
    const activity = new Activity();
    const pollers: SqsPoller[] = [];
    cleanups.push(() => Promise.all(pollers.map((p) => p.stop())).then(() => undefined));
    const threaded = specs.filter((spec) => (opts.threads ?? true) && spec.consumes && !spec.routes?.length && !opts.handlers?.[spec.name]);
    // One thread per consumer, as each is a function of its own on AWS: the processor's SDK work
    // (most of a thread's time) does not wait behind the email stage's, and two cores are used.
    const threads = threaded.map((spec) => ({ spec, thread: startConsumerThread({ functions: [spec], activity, log }) }));
    for (const { thread } of threads) pollers.push(thread);

    const external = {
      dynamodb: process.env.RAPPORT_DYNAMODB_ENDPOINT || undefined,
      sqs: process.env.RAPPORT_SQS_ENDPOINT || undefined,
      ses: process.env.RAPPORT_SES_ENDPOINT || undefined,
    };
    const dynamoDataDir = dataDir ? join(dataDir, engine === 'dynalite' ? 'dynamodb' : 'dynamodb-local') : undefined;
    const started = await Promise.allSettled([
      external.dynamodb ? undefined : startDynamo({ engine, dataDir: dynamoDataDir, log }),
      external.sqs ? undefined : startSqs({ journalDir: dataDir ?? undefined, log }),
      external.ses ? undefined : startSes(),
    ]);
    for (const result of started) {
      if (result.status === 'fulfilled' && result.value) cleanups.push(result.value.stop);
    }
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [dynamo, sqs, ses] = started.map((r) => (r as PromiseFulfilledResult<Emulator | undefined>).value);
    const endpoints = {
      dynamodb: external.dynamodb ?? (dynamo as Emulator).endpoint,
      sqs: external.sqs ?? (sqs as Emulator).endpoint,
      ses: external.ses ?? (ses as Emulator).endpoint,
    };

    const [queueUrls] = await Promise.all([
      ensureQueues(endpoints.sqs, {
        prefix: QUEUE_PREFIX,
        visibilityTimeoutSeconds: opts.visibilityTimeoutSeconds ?? 30,
      }),
      ensureTable(endpoints.dynamodb, TABLE_NAME),
    ]);

    // Handlers build their configuration and clients from these on first use.
    process.env[env.tableName] = TABLE_NAME;
    for (const name of Object.keys(queues) as QueueName[]) process.env[env.queueUrl(name)] = queueUrls[name].url;
    process.env.DYNAMODB_ENDPOINT = endpoints.dynamodb;
    process.env.SQS_ENDPOINT = endpoints.sqs;
    process.env.SES_ENDPOINT = endpoints.ses;
    process.env.AWS_REGION ||= emulatorRegion;
    process.env.AWS_ACCESS_KEY_ID ||= emulatorCredentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY ||= emulatorCredentials.secretAccessKey;
    process.env.RAPPORT_ADMIN_KEY = adminKey;
    process.env.RAPPORT_MASTER_KEY = masterKey;
    resetConfig();
    resetClients();
    cleanups.push(() => resetClients());

    const region = process.env.AWS_REGION;
    const sqsAdmin = sqsClientFor(endpoints.sqs);
    cleanups.push(() => sqsAdmin.destroy());
    const consumerOf = (spec: FunctionSpec): ConsumerConfig | undefined => {
      if (!spec.consumes) return undefined;
      const queue = queues[spec.consumes];
      return {
        fn: spec,
        queueUrl: queueUrls[spec.consumes].url,
        queueArn: queueUrls[spec.consumes].arn,
        batchSize: queue.batchSize,
        batchingWindowSeconds: opts.batchingWindowSeconds ?? queue.maxBatchingWindowSeconds,
        // The event source's maximum concurrency (the email queue's pacing) bounds the pollers as it bounds Lambda.
        concurrency: Math.min(opts.pollerConcurrency ?? DEFAULT_POLLER_CONCURRENCY, queue.maxConcurrency ?? Number.POSITIVE_INFINITY),
      };
    };

    const handlers = new Map<string, AnyHandler>();
    for (const spec of specs) {
      if (!spec.routes?.length && !spec.consumes && !spec.subscribes) continue;
      if (threaded.includes(spec)) continue;
      handlers.set(spec.name, opts.handlers?.[spec.name] ?? (await loadHandler(spec)));
    }
    const handlerOf = (spec: FunctionSpec) => handlers.get(spec.name) as AnyHandler;
    await Promise.all(threads.map(({ thread }) => thread.loaded));

    const routes: HttpRouteBinding[] = specs.flatMap((spec) =>
      (spec.routes ?? []).map((route) => ({ ...route, fn: spec, handler: handlerOf(spec) as HttpHandler })),
    );
    const topics: TopicBinding[] = specs.flatMap((spec) =>
      spec.subscribes ? [{ topic: spec.subscribes, fn: spec, handler: handlerOf(spec) as TopicBinding['handler'] }] : [],
    );
    const health = startHealthCheck({ endpoints: { ...endpoints, ...opts.healthEndpoints }, tableName: TABLE_NAME, queues: queueUrls });
    cleanups.push(() => health.close());
    const http: HttpAdapter = await startHttpAdapter({ routes, topics, port, region, activity, log, health: health.check });
    cleanups.push(() => http.close());
    // Links in emails point here unless the user names a public URL (RAPPORT_PUBLIC_URL: a tunnel, say).
    process.env[env.publicUrl] = process.env.RAPPORT_PUBLIC_URL || http.url;
    resetConfig();

    // Messages a runtime before the queue journal saved at its stop (pending-messages.json) go back
    // only now that nothing else can fail: a failed start must not lose them.
    if (dataDir) await restorePendingMessages(dataDir, sqsAdmin, queueUrls, log);

    for (const { spec, thread } of threads) {
      thread.start({
        consumers: [consumerOf(spec) as ConsumerConfig],
        sqsEndpoint: endpoints.sqs,
        region,
        env: { ...process.env } as Record<string, string>,
      });
    }
    for (const spec of specs) {
      const consumer = consumerOf(spec);
      if (!consumer || threaded.includes(spec)) continue;
      pollers.push(
        startSqsPoller({
          ...consumer,
          endpoint: endpoints.sqs,
          handler: handlerOf(spec) as SqsHandler,
          region,
          activity,
          giveWay: () => activity.requests > 0,
          log,
        }),
      );
    }

    if (specs.some((spec) => spec.consumes === 'runs')) {
      const { documentClient } = await import('#shared/aws/dynamodb.ts');
      cleanups.push(
        startRunScheduler({ db: { client: documentClient(), table: TABLE_NAME }, sqs: sqsAdmin, queueUrl: queueUrls.runs.url, log }),
      );
    }

    const idle = (timeoutMs = 30_000) => waitUntilIdle(sqsAdmin, queueUrls, activity, timeoutMs);

    // Last: the file says the runtime is up, so it is written only once everything is.
    const discovery = dataDir
      ? publishRuntimeFile(dataDir, {
          pid: process.pid,
          apiUrl: http.url,
          tableName: TABLE_NAME,
          endpoints,
          queues: Object.fromEntries(
            Object.entries(queueUrls).map(([name, urls]) => [name, { url: urls.url, dlqUrl: urls.dlqUrl }]),
          ) as RuntimeFile['queues'],
          adminKey,
        })
      : undefined;
    if (discovery) cleanups.push(discovery.remove);

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        // First: a tool that finds the runtime now would send to queues about to be saved and emptied.
        discovery?.remove();
        await http.close();
        try {
          await idle(opts.drainTimeoutMs ?? 15_000);
        } catch (err) {
          log(`stopping before the queues drained: ${(err as Error).message}`);
        }
        await Promise.all(pollers.map((p) => p.stop()));
        // What is still queued is in the queue journal (fauxqs's stop compacts it); a queue the user runs keeps its own.
        await cleanUp();
      })();
      return stopping;
    };

    return {
      apiUrl: http.url,
      mailViewerUrl: endpoints.ses,
      adminKey,
      tableName: TABLE_NAME,
      dataDir,
      dynamodb: external.dynamodb ? 'external' : engine,
      endpoints,
      queues: queueUrls,
      idle,
      faults: async () => {
        const all = [faultCounts(), ...(await Promise.all(threads.map(({ thread }) => thread.faults())))];
        const byKind: Record<string, number> = {};
        for (const counts of all) for (const [kind, n] of Object.entries(counts.byKind)) byKind[kind] = (byKind[kind] ?? 0) + (n ?? 0);
        return {
          replay: all.find((c) => c.replay)?.replay,
          calls: all.reduce((n, c) => n + c.calls, 0),
          total: all.reduce((n, c) => n + c.faults, 0),
          byKind,
        };
      },
      ...(dynamo?.requestCounts ? { dynamodbRequests: dynamo.requestCounts } : {}),
      stop,
    };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/**
 * `<dataDir>/runtime.json`, written (mode 0600) once a runtime with a data directory is up and
 * removed when it stops, so tools such as `rapport import` can find its API, table and queues.
 * A runtime that was killed leaves it behind: check `pid` (readRuntimeFile does).
 */
export interface RuntimeFile {
  pid: number;
  apiUrl: string;
  tableName: string;
  endpoints: { dynamodb: string; sqs: string; ses: string };
  queues: Record<QueueName, { url: string; dlqUrl: string }>;
  adminKey: string;
}

function publishRuntimeFile(dataDir: string, content: RuntimeFile): { remove: () => void } {
  const path = join(dataDir, RUNTIME_FILE);
  // It holds the admin key: owner-only, like secrets.json beside it, and written whole or not at all.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  const remove = () => {
    process.off('exit', remove);
    try {
      if ((JSON.parse(readFileSync(path, 'utf8')) as Partial<RuntimeFile>).pid === content.pid) rmSync(path, { force: true });
    } catch {
      // Already gone, or not ours to remove.
    }
  };
  // An exit without stop() (a second Ctrl-C) must not leave a file pointing at nothing.
  process.on('exit', remove);
  return { remove };
}

/** The running runtime of a data directory, or undefined when none is (no file, or its process is gone). */
export function readRuntimeFile(dataDir: string): RuntimeFile | undefined {
  let content: RuntimeFile;
  try {
    content = JSON.parse(readFileSync(join(resolve(dataDir), RUNTIME_FILE), 'utf8')) as RuntimeFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return Number.isInteger(content.pid) && content.pid > 0 && isAlive(content.pid) ? content : undefined;
}

function resolveDataDir(option: string | null | undefined): string | null {
  if (option === null) return null;
  return resolve(option ?? (process.env.RAPPORT_DATA_DIR || '.rapport'));
}

function parseEngine(value: string | undefined): DynamoEngine {
  if (value === undefined || value === '' || value === 'dynalite') return 'dynalite';
  if (value === 'dynamodb-local') return 'dynamodb-local';
  throw new Error(`RAPPORT_DYNAMODB must be dynalite or dynamodb-local, not ${value}`);
}

/** dynalite's LevelDB and DynamoDB Local's file each allow one process; say so before they fail obscurely. */
function acquireLock(dataDir: string): void {
  const path = join(dataDir, LOCK_FILE);
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const holder = Number(readFileSync(path, 'utf8'));
  if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
    throw new Error(`${dataDir} is in use by another Rapport runtime (pid ${holder}); stop it or set RAPPORT_DATA_DIR`);
  }
  writeFileSync(path, String(process.pid), { mode: 0o600 });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The local stand-in for the deployment secret: made once, kept readable by the owner only. */
function loadOrCreateMasterKey(dataDir: string): string {
  const path = join(dataDir, SECRETS_FILE);
  try {
    const { masterKey } = JSON.parse(readFileSync(path, 'utf8')) as { masterKey?: unknown };
    if (typeof masterKey === 'string' && /^[0-9a-f]{64}$/.test(masterKey)) return masterKey;
    throw new Error(`${path} has no valid masterKey (64 hex characters)`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const masterKey = randomBytes(32).toString('hex');
  writeFileSync(path, `${JSON.stringify({ masterKey }, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
  return masterKey;
}

async function waitUntilIdle(
  client: SQSClient,
  queueUrls: Record<QueueName, QueueUrls>,
  activity: Activity,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A handler that starts and ends between two reads would go unseen; `started` catches it.
    const startedBefore = activity.started;
    const busy = activity.running > 0;
    const counts = await Promise.all(
      Object.entries(queueUrls).map(async ([name, { url }]) => ({ name, ...(await readQueueDepth(client, url)) })),
    );
    const empty = counts.every((c) => c.visible + c.inFlight + c.delayed === 0);
    if (!busy && empty && activity.running === 0 && activity.started === startedBefore) return;
    if (Date.now() >= deadline) {
      const queueState = counts.map((c) => `${c.name}: ${c.visible} visible, ${c.inFlight} in flight, ${c.delayed} delayed`);
      throw new Error(`not idle after ${timeoutMs} ms (${[...queueState, `${activity.running} handler(s) running`].join('; ')})`);
    }
    await sleep(50);
  }
}

function writePending(dataDir: string, pending: PendingMessage[]): void {
  const path = join(dataDir, PENDING_FILE);
  if (pending.length === 0) {
    rmSync(path, { force: true });
    return;
  }
  // Bodies hold customer data: owner-only, and written whole or not at all.
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: 1, savedAt: new Date().toISOString(), messages: pending }), {
    mode: 0o600,
  });
  renameSync(tmp, path);
}

async function restorePendingMessages(
  dataDir: string,
  client: SQSClient,
  queueUrls: Record<QueueName, QueueUrls>,
  log: (line: string) => void,
): Promise<void> {
  let saved: { messages: PendingMessage[] };
  try {
    saved = JSON.parse(readFileSync(join(dataDir, PENDING_FILE), 'utf8')) as { messages: PendingMessage[] };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const unknown = saved.messages.filter((m) => !(m.queue in queueUrls));
  const known = saved.messages.filter((m) => m.queue in queueUrls);
  const byUrl = new Map<string, PendingMessage[]>();
  for (const m of known) {
    const urls = queueUrls[m.queue as QueueName];
    const url = m.deadLetter ? urls.dlqUrl : urls.url;
    byUrl.set(url, [...(byUrl.get(url) ?? []), m]);
  }
  for (const [url, messages] of byUrl) {
    for (let i = 0; i < messages.length; i += 10) {
      const { Failed } = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.slice(i, i + 10).map((m, n) => ({
            Id: String(n),
            MessageBody: m.body,
            MessageAttributes: Object.fromEntries(
              Object.entries(m.messageAttributes).map(([key, v]) => [
                key,
                {
                  DataType: v.dataType,
                  StringValue: v.stringValue,
                  BinaryValue: v.binaryValue === undefined ? undefined : Buffer.from(v.binaryValue, 'base64'),
                },
              ]),
            ),
          })),
        }),
      );
      if (Failed?.length) throw new Error(`could not re-send ${Failed.length} saved message(s): ${Failed[0]?.Message}`);
    }
  }
  // A message for a queue that no longer exists stays in the file rather than being dropped.
  writePending(dataDir, unknown);
  if (known.length > 0) log(`re-sent ${known.length} message(s) saved at the last stop`);
  if (unknown.length > 0) log(`${unknown.length} saved message(s) are for queues that no longer exist; kept in ${PENDING_FILE}`);
}
