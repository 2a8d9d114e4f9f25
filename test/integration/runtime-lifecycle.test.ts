import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionSpec } from '#functions/triggers.ts';
import {
  type DynamoEngine,
  type Emulator,
  isLoopbackEndpoint,
  sqsClientFor,
  startDynamo,
  startSes,
  startSqs,
} from '#infra/local/emulators.ts';
import { JOURNAL_FILE, readJournal } from '#infra/local/queue-journal.ts';
import { type Runtime, type RuntimeOptions, readRuntimeFile, startRuntime } from '#infra/local/runtime.ts';
import { documentClient, sqsClient } from '#shared/aws/clients.ts';
import { config } from '#shared/config.ts';

const engine = (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine;

/** A route that writes through the shared clients and queues the body, and a consumer of that queue. */
const fakeFunctions: FunctionSpec[] = [
  {
    name: 'fakeApi',
    entry: 'not/imported.ts',
    memoryMb: 128,
    timeoutSeconds: 5,
    routes: [{ method: 'POST', path: '/things/{thingId}' }],
    sendsTo: ['interactions'],
    tableActions: ['dynamodb:PutItem'],
  },
  {
    name: 'fakeConsumer',
    entry: 'not/imported.ts',
    memoryMb: 128,
    timeoutSeconds: 5,
    consumes: 'interactions',
    tableActions: [],
  },
];

const fakeApi = async (event: APIGatewayProxyEventV2) => {
  const thingId = event.pathParameters?.thingId ?? '';
  await documentClient().send(
    new PutCommand({ TableName: config().TABLE_NAME, Item: { PK: `THING#${thingId}`, SK: 'THING', body: event.body } }),
  );
  await sqsClient().send(new SendMessageCommand({ QueueUrl: config().INTERACTIONS_QUEUE_URL, MessageBody: event.body ?? '' }));
  return { statusCode: 202, body: JSON.stringify({ accepted: 1 }) };
};

function consumer(behaviour: 'succeed' | 'fail') {
  const bodies: string[] = [];
  const attributes: Array<Record<string, string | undefined>> = [];
  const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    for (const r of event.Records) {
      bodies.push(r.body);
      attributes.push(Object.fromEntries(Object.entries(r.messageAttributes).map(([k, v]) => [k, v.stringValue])));
    }
    return {
      batchItemFailures: behaviour === 'fail' ? event.Records.map((r) => ({ itemIdentifier: r.messageId })) : [],
    };
  };
  return { bodies, attributes, handler };
}

function options(overrides: RuntimeOptions): RuntimeOptions {
  return {
    port: 0,
    dynamodb: engine,
    visibilityTimeoutSeconds: 1,
    batchingWindowSeconds: 0,
    functions: fakeFunctions,
    ...overrides,
  };
}

function refuseNonLoopback(runtime: Runtime): void {
  for (const endpoint of [runtime.apiUrl, ...Object.values(runtime.endpoints)]) {
    if (!isLoopbackEndpoint(endpoint)) throw new Error(`refusing to test against ${endpoint}`);
  }
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

describe(`local runtime on ${engine}`, () => {
  const running: Runtime[] = [];
  const dirs: string[] = [];
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);

  const start = async (overrides: RuntimeOptions) => {
    const runtime = await startRuntime(options({ log, ...overrides }));
    running.push(runtime);
    refuseNonLoopback(runtime);
    return runtime;
  };
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-runtime-'));
    dirs.push(dir);
    return dir;
  };

  beforeAll(() => {
    for (const name of ['RAPPORT_DYNAMODB_ENDPOINT', 'RAPPORT_SQS_ENDPOINT', 'RAPPORT_SES_ENDPOINT']) {
      const endpoint = process.env[name];
      if (endpoint && !isLoopbackEndpoint(endpoint)) throw new Error(`refusing to run with ${name}=${endpoint}`);
    }
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('runs injected handlers behind HTTP and SQS on emulators bound to 127.0.0.1', async () => {
    const consume = consumer('succeed');
    const runtime = await start({ dataDir: null, handlers: { fakeApi, fakeConsumer: consume.handler } });

    expect(process.env.TABLE_NAME).toBe(runtime.tableName);
    expect(process.env.INTERACTIONS_QUEUE_URL).toBe(runtime.queues.interactions.url);
    expect(process.env.DYNAMODB_ENDPOINT).toBe(runtime.endpoints.dynamodb);
    expect(process.env.SQS_ENDPOINT).toBe(runtime.endpoints.sqs);
    expect(process.env.SES_ENDPOINT).toBe(runtime.endpoints.ses);
    expect(process.env.RAPPORT_MASTER_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(process.env.RAPPORT_ADMIN_KEY).toBe(runtime.adminKey);

    const res = await fetch(`${runtime.apiUrl}/things/t1`, { method: 'POST', body: '{"hello":"world"}' });
    expect(res.status).toBe(202);
    await runtime.idle(10_000);
    expect(consume.bodies).toEqual(['{"hello":"world"}']);

    const mail = await fetch(`${runtime.mailViewerUrl}/store`);
    expect(mail.status).toBe(200);

    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    const servers = [runtime.apiUrl, runtime.endpoints.sqs, runtime.endpoints.ses];
    // DynamoDB Local cannot be bound to one interface; dynalite can.
    if (engine === 'dynalite') servers.push(runtime.endpoints.dynamodb);
    for (const url of servers) {
      const { hostname, port } = new URL(url);
      expect(hostname).toBe('127.0.0.1');
      expect(await reachable('127.0.0.1', Number(port))).toBe(true);
      if (external) expect(await reachable(external.address, Number(port))).toBe(false);
    }
  });

  it('idle() waits for messages still failing and reports what is left', async () => {
    const consume = consumer('fail');
    const runtime = await start({ dataDir: null, handlers: { fakeApi, fakeConsumer: consume.handler }, drainTimeoutMs: 100 });
    const client = sqsClientFor(runtime.endpoints.sqs);
    await client.send(new SendMessageCommand({ QueueUrl: runtime.queues.interactions.url, MessageBody: 'stuck' }));
    await expect(runtime.idle(500)).rejects.toThrow(/not idle after 500 ms \(interactions: /);
    client.destroy();
  });

  it('keeps undelivered messages in the queue journal at stop() and re-delivers them on the next start', async () => {
    const dataDir = tempDir();
    const failing = consumer('fail');
    const first = await start({ dataDir, handlers: { fakeApi, fakeConsumer: failing.handler }, drainTimeoutMs: 300 });
    const masterKey = process.env.RAPPORT_MASTER_KEY;

    // Persisted data: one item written through the handler's own client.
    expect((await fetch(`${first.apiUrl}/things/kept`, { method: 'POST', body: 'm-0' })).status).toBe(202);
    const client = sqsClientFor(first.endpoints.sqs);
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: first.queues.interactions.url,
        Entries: ['m-1', 'm-2'].map((body, i) => ({
          Id: String(i),
          MessageBody: body,
          MessageAttributes: { origin: { DataType: 'String', StringValue: `o-${i + 1}` } },
        })),
      }),
    );
    await client.send(new SendMessageCommand({ QueueUrl: first.queues.interactions.dlqUrl, MessageBody: 'dead' }));
    client.destroy();

    // Another runtime may not share the data directory meanwhile.
    await expect(startRuntime(options({ dataDir }))).rejects.toThrow(/in use by another Rapport runtime/);

    await first.stop();
    await first.stop();
    running.splice(running.indexOf(first), 1);

    // What was still queued is in the queue journal, owner-only, compacted to exactly those messages.
    const journalPath = join(dataDir, JOURNAL_FILE);
    expect(statSync(journalPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    const { live } = readJournal(journalPath);
    const queued = [...live].flatMap(([queue, messages]) => [...messages.values()].map((m) => [m.body, queue.endsWith('-dlq')]));
    expect(queued.sort()).toEqual([
      ['dead', true],
      ['m-0', false],
      ['m-1', false],
      ['m-2', false],
    ]);
    expect(readFileSync(journalPath, 'utf8').trim().split('\n')).toHaveLength(4);

    const succeeding = consumer('succeed');
    const second = await start({ dataDir, handlers: { fakeApi, fakeConsumer: succeeding.handler } });
    expect(process.env.RAPPORT_MASTER_KEY).toBe(masterKey);
    await second.idle(10_000);
    expect([...succeeding.bodies].sort()).toEqual(['m-0', 'm-1', 'm-2']);
    expect(succeeding.attributes).toContainEqual({ origin: 'o-1' });

    const dlq = await sqsClientFor(second.endpoints.sqs).send(
      new GetQueueAttributesCommand({ QueueUrl: second.queues.interactions.dlqUrl, AttributeNames: ['All'] }),
    );
    expect(dlq.Attributes?.ApproximateNumberOfMessages).toBe('1');

    const item = await documentClient().send(new GetCommand({ TableName: second.tableName, Key: { PK: 'THING#kept', SK: 'THING' } }));
    expect(item.Item?.body).toBe('m-0');
  });

  it('re-sends the messages an earlier version saved in pending-messages.json, once', async () => {
    const dataDir = tempDir();
    const pendingPath = join(dataDir, 'pending-messages.json');
    writeFileSync(
      pendingPath,
      JSON.stringify({
        version: 1,
        savedAt: '2026-11-30T00:00:00.000Z',
        messages: [
          { queue: 'interactions', deadLetter: false, body: 'old-1', messageAttributes: {} },
          { queue: 'gone', deadLetter: false, body: 'old-2', messageAttributes: {} },
        ],
      }),
      { mode: 0o600 },
    );
    const succeeding = consumer('succeed');
    const runtime = await start({ dataDir, handlers: { fakeApi, fakeConsumer: succeeding.handler } });
    await runtime.idle(10_000);
    expect([...succeeding.bodies]).toEqual(['old-1']);
    // A message for a queue that no longer exists stays in the file.
    expect((JSON.parse(readFileSync(pendingPath, 'utf8')) as { messages: Array<{ body: string }> }).messages.map((m) => m.body)).toEqual([
      'old-2',
    ]);
  });

  it('publishes runtime.json (0600) while it runs with a data directory, for tools to find it', async () => {
    const dataDir = tempDir();
    const runtime = await start({ dataDir, handlers: { fakeApi, fakeConsumer: consumer('succeed').handler } });
    const path = join(dataDir, 'runtime.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const published = JSON.parse(readFileSync(path, 'utf8'));
    expect(published).toEqual({
      pid: process.pid,
      apiUrl: runtime.apiUrl,
      tableName: runtime.tableName,
      endpoints: runtime.endpoints,
      queues: Object.fromEntries(Object.entries(runtime.queues).map(([name, q]) => [name, { url: q.url, dlqUrl: q.dlqUrl }])),
      adminKey: runtime.adminKey,
    });
    expect(readRuntimeFile(dataDir)).toEqual(published);
    // What a tool does with it: send to the queue it names, and see the runtime consume it.
    const client = sqsClientFor(published.endpoints.sqs);
    await client.send(new SendMessageCommand({ QueueUrl: published.queues.interactions.url, MessageBody: 'found' }));
    client.destroy();
    await runtime.idle(10_000);

    await runtime.stop();
    expect(existsSync(path)).toBe(false);
    expect(readRuntimeFile(dataDir)).toBeUndefined();
    // A file left by a runtime that was killed does not count.
    writeFileSync(path, JSON.stringify({ ...published, pid: 2 ** 22 + 1 }), { mode: 0o600 });
    expect(readRuntimeFile(dataDir)).toBeUndefined();
  });

  it('runs a consumer loaded from its module on a worker thread that idle() and stop() wait for', async () => {
    const dir = tempDir();
    const out = join(dir, 'consumed.ndjson');
    const entry = join(dir, 'consumer.mjs');
    writeFileSync(
      entry,
      [
        "import { appendFileSync } from 'node:fs';",
        "import { isMainThread } from 'node:worker_threads';",
        'export const handler = async (event) => {',
        '  await new Promise((done) => setTimeout(done, 300));',
        '  for (const r of event.Records) {',
        `    appendFileSync(${JSON.stringify(out)}, JSON.stringify({ body: r.body, isMainThread, queue: process.env.INTERACTIONS_QUEUE_URL }) + '\\n');`,
        '  }',
        '  return { batchItemFailures: [] };',
        '};',
      ].join('\n'),
    );
    const functions: FunctionSpec[] = [
      fakeFunctions[0] as FunctionSpec,
      { ...(fakeFunctions[1] as FunctionSpec), name: 'moduleConsumer', entry },
    ];
    const runtime = await start({ dataDir: null, functions, handlers: { fakeApi } });
    expect((await fetch(`${runtime.apiUrl}/things/t1`, { method: 'POST', body: 'to-a-thread' })).status).toBe(202);
    await runtime.idle(10_000);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([{ body: 'to-a-thread', isMainThread: false, queue: runtime.queues.interactions.url }]);
    await runtime.stop();

    // A module without a handler fails the start, and leaves nothing running behind it.
    const broken = join(dir, 'broken.mjs');
    writeFileSync(broken, 'export const notAHandler = 1;\n');
    await expect(
      start({ dataDir: null, functions: [{ ...(fakeFunctions[1] as FunctionSpec), name: 'brokenConsumer', entry: broken }] }),
    ).rejects.toThrow(/broken\.mjs does not export a handler function/);
  });

  it('uses RAPPORT_*_ENDPOINT instead of starting its own emulators', async () => {
    const emulators: Emulator[] = await Promise.all([startDynamo({ engine: 'dynalite' }), startSqs(), startSes()]);
    const [dynamo, sqs, ses] = emulators as [Emulator, Emulator, Emulator];
    process.env.RAPPORT_DYNAMODB_ENDPOINT = dynamo.endpoint;
    process.env.RAPPORT_SQS_ENDPOINT = sqs.endpoint;
    process.env.RAPPORT_SES_ENDPOINT = ses.endpoint;
    try {
      const consume = consumer('succeed');
      const runtime = await start({ dataDir: null, handlers: { fakeApi, fakeConsumer: consume.handler } });
      expect(runtime.dynamodb).toBe('external');
      expect(runtime.endpoints).toEqual({ dynamodb: dynamo.endpoint, sqs: sqs.endpoint, ses: ses.endpoint });
      expect((await fetch(`${runtime.apiUrl}/things/x`, { method: 'POST', body: 'via-external' })).status).toBe(202);
      await runtime.idle(10_000);
      expect(consume.bodies).toEqual(['via-external']);
      await runtime.stop();
    } finally {
      delete process.env.RAPPORT_DYNAMODB_ENDPOINT;
      delete process.env.RAPPORT_SQS_ENDPOINT;
      delete process.env.RAPPORT_SES_ENDPOINT;
      await Promise.all(emulators.map((e) => e.stop()));
    }
  });
});
