import { createServer } from 'node:net';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsClientFor } from '#infra/local/emulators.ts';
import type { HealthReport } from '#infra/local/health.ts';
import type { Runtime } from '#infra/local/runtime.ts';
import type { Db } from '#shared/data/db.ts';
import { createRunIfAbsent, type RunRecord } from '#shared/data/run-repo.ts';
import { startTestRuntime } from '#test/support/local-api.ts';
import { type RawResponse, send } from '#test/support/senders.ts';

/** GET /health of the local runtime: emulators, queue depths, last scheduled runs; nothing secret. */

const getHealth = async (runtime: Runtime): Promise<RawResponse & { json: HealthReport }> =>
  send(`${runtime.apiUrl}/health`, { method: 'GET' });

const run = (shopId: string, runId: string, trigger: RunRecord['trigger'], requestedAt: string): RunRecord => ({
  runId,
  shopId,
  status: 'succeeded',
  trigger,
  requestedAt,
  asOf: requestedAt,
  shards: 16,
  shardResults: {},
  finishedAt: requestedAt,
});

describe('GET /health with every emulator up', () => {
  let runtime: Runtime;
  let db: Db;
  let stop: () => Promise<void>;
  const SHOP = 'health-tea';
  const SHOP_NAME = 'Trà Sen Health';
  const SECRET_IN_MESSAGE = 'dead-letter-buyer@example.com';
  const WEBHOOK_SECRET = 'health-generic-secret-0123456789';
  let apiKey: string;

  beforeAll(async () => {
    ({ runtime, db, stop } = await startTestRuntime());
    const created = await send(`${runtime.apiUrl}/admin/shops`, {
      headers: { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        shopId: SHOP,
        name: SHOP_NAME,
        currency: 'VND',
        timezone: 'Asia/Ho_Chi_Minh',
        locale: 'vi-VN',
        secrets: { generic: WEBHOOK_SECRET },
      }),
    });
    expect(created.status).toBe(201);
    apiKey = created.json.apiKey as string;
    await createRunIfAbsent(db, run(SHOP, 'd_20260301', 'schedule', '2026-03-01T03:00:00.000Z'));
    await createRunIfAbsent(db, run(SHOP, 'd_20260302', 'schedule', '2026-03-02T03:00:00.000Z'));
    // Newer, but started through the API: not the last scheduled run.
    await createRunIfAbsent(db, run(SHOP, 'r_20260303120000_ab12cd', 'api', '2026-03-03T12:00:00.000Z'));
  });
  afterAll(() => stop?.());

  it('answers 200 ok with every component up, every queue depth and the last scheduled run per shop', async () => {
    const res = await getHealth(runtime);
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('ok');
    expect(res.json.reasons).toEqual([]);
    for (const component of ['dynamodb', 'sqs', 'ses'] as const) expect(res.json.components[component].up).toBe(true);
    const empty = { visible: 0, inFlight: 0, delayed: 0 };
    expect(res.json.queues).toEqual({
      interactions: { ...empty, deadLetter: empty },
      runs: { ...empty, deadLetter: empty },
      email: { ...empty, deadLetter: empty },
      codes: { ...empty, deadLetter: empty },
      campaigns: { ...empty, deadLetter: empty },
    });
    expect(res.json.scheduledRuns.truncated).toBe(false);
    expect(res.json.scheduledRuns.shops).toContainEqual({
      shopId: SHOP,
      lastRun: {
        runId: 'd_20260302',
        status: 'succeeded',
        requestedAt: '2026-03-02T03:00:00.000Z',
        finishedAt: '2026-03-02T03:00:00.000Z',
      },
    });
  });

  it('answers 200 degraded, naming the queue, when a dead-letter queue holds a message', async () => {
    const sqs = sqsClientFor(runtime.endpoints.sqs);
    try {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: runtime.queues.email.dlqUrl,
          MessageBody: JSON.stringify({ shopId: SHOP, email: SECRET_IN_MESSAGE }),
        }),
      );
    } finally {
      sqs.destroy();
    }
    const res = await getHealth(runtime);
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('degraded');
    expect(res.json.queues?.email.deadLetter).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    expect(res.json.queues?.interactions.deadLetter.visible).toBe(0);
    expect(res.json.reasons).toEqual(['1 message(s) in the email dead-letter queue']);
  });

  it('holds nothing secret or personal: no key, no message body, no shop name', async () => {
    const res = await getHealth(runtime);
    expect(res.text).toContain(SHOP);
    for (const secret of [
      runtime.adminKey,
      process.env.RAPPORT_MASTER_KEY as string,
      apiKey,
      WEBHOOK_SECRET,
      SHOP_NAME,
      SECRET_IN_MESSAGE,
    ]) {
      expect(res.text).not.toContain(secret);
    }
    // Nor where the queues are: the depths are keyed by queue name only.
    expect(res.text).not.toContain(runtime.queues.email.dlqUrl);
  });

  it('is answered without authentication and never cached', async () => {
    const res = await fetch(`${runtime.apiUrl}/health`);
    await res.body?.cancel();
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe('GET /health with the SQS emulator unreachable', () => {
  let runtime: Runtime;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ runtime, stop } = await startTestRuntime({ healthEndpoints: { sqs: `http://127.0.0.1:${await closedPort()}` } }));
  });
  afterAll(() => stop?.());

  it('answers 503 down, naming the component, and still reports the others', async () => {
    const started = Date.now();
    const res = await getHealth(runtime);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.status).toBe(503);
    expect(res.json.status).toBe('down');
    expect(res.json.components.sqs).toMatchObject({ up: false, error: 'ECONNREFUSED' });
    expect(res.json.components.dynamodb.up).toBe(true);
    expect(res.json.components.ses.up).toBe(true);
    expect(res.json.reasons).toEqual(['sqs is down (ECONNREFUSED)']);
    expect(res.json.queues).toBeUndefined();
  });
});

/** A loopback port nothing listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
