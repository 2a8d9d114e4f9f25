import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DynamoEngine, dynamoClient, sqsClientFor } from '#infra/local/emulators.ts';
import { tick } from '#infra/local/run-scheduler.ts';
import { type Runtime, startRuntime } from '#infra/local/runtime.ts';
import type { Db } from '#shared/data/db.ts';
import { getRun } from '#shared/data/run-repo.ts';
import { signGeneric } from '#shared/domain/signature.ts';
import { runRapport } from '#test/support/cli.ts';
import { apiGet } from '#test/support/local-api.ts';
import { send } from '#test/support/senders.ts';

/**
 * Runs over the local runtime as a shop (POST /v1/runs, GET /v1/runs/{id}, GET /v1/segments…), as
 * the daily schedule starts them, and as an operator does with `rapport run`.
 */

let runtime: Runtime;
let dataDir: string;
let apiKey: string;
let db: Db;
const SHOP = 'runs-api';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rapport-runs-'));
  runtime = await startRuntime({
    port: 0,
    dataDir,
    dynamodb: (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine,
    batchingWindowSeconds: 0,
    log: () => undefined,
  });
  db = { client: DynamoDBDocumentClient.from(dynamoClient(runtime.endpoints.dynamodb)), table: runtime.tableName };
  const created = await send(`${runtime.apiUrl}/admin/shops`, {
    headers: { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ shopId: SHOP, name: 'Trà Việt', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' }),
  });
  expect(created.status).toBe(201);
  apiKey = created.json.apiKey as string;
  const secret = (created.json.generatedSecrets as { generic: string }).generic;
  const events = Array.from({ length: 30 }, (_, i) => {
    const at = new Date(Date.UTC(2026, 0, 1 + i * 9)).toISOString();
    return {
      eventId: `runs-api-${i}`,
      type: 'order.upserted',
      occurredAt: at,
      customer: { email: `buyer${i % 12}@example.com` },
      order: {
        orderId: `ra-${i}`,
        status: 'paid',
        currency: 'VND',
        total: 150_000 * (1 + (i % 7)),
        createdAt: at,
        updatedAt: at,
        lineItems: [{ productId: `p${i % 4}`, title: `Trà ${i % 4}`, quantity: 1, price: 150_000 * (1 + (i % 7)) }],
      },
    };
  });
  const body = JSON.stringify(events);
  const posted = await send(`${runtime.apiUrl}/webhooks/generic/${SHOP}`, {
    headers: { 'content-type': 'application/json', 'x-rapport-signature': signGeneric(secret, body, Math.floor(Date.now() / 1000)) },
    body,
  });
  expect(posted.status).toBe(202);
  await runtime.idle(60_000);
}, 120_000);

afterAll(async () => {
  db?.client.destroy();
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function waitForRun(runId: string) {
  for (let i = 0; i < 240; i++) {
    const res = await apiGet(runtime, apiKey, `/v1/runs/${runId}`);
    expect(res.status).toBe(200);
    if (res.json.status === 'succeeded' || res.json.status === 'failed') return res.json;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`run ${runId} did not finish`);
}

it('starts a run over HTTP and shows its progress, model and counters; the segments follow', async () => {
  const started = await send(`${runtime.apiUrl}/v1/runs`, { headers: { authorization: `Bearer ${apiKey}` }, body: '' });
  expect(started.status).toBe(202);
  const run = await waitForRun(started.json.runId as string);
  expect(run).toMatchObject({
    status: 'succeeded',
    trigger: 'api',
    progress: { shardsDone: 16, shards: 16, customersRead: 12, customers: 12 },
    totals: { customers: 12, scored: 12 },
    model: { customers: 12, buyers: 12, clv: { fit: { model: 'historical' } } },
  });
  expect(run.model.clv.fit.reason).toMatch(/customers with a repeat purchase/);

  const segments = await apiGet(runtime, apiKey, '/v1/segments');
  expect(segments.status).toBe(200);
  const rfmTotal = (segments.json.segments as Array<{ kind: string; customers: number }>)
    .filter((s) => s.kind === 'rfm')
    .reduce((sum, s) => sum + s.customers, 0);
  expect(rfmTotal).toBe(12);
  const withMembers = (segments.json.segments as Array<{ id: string; customers: number }>).find(
    (s) => s.customers > 0 && s.id.startsWith('rfm:'),
  );
  const members = await apiGet(runtime, apiKey, `/v1/segments/${encodeURIComponent(withMembers?.id as string)}/customers?limit=2`);
  expect(members.status).toBe(200);
  expect((members.json.items as unknown[]).length).toBe(Math.min(2, withMembers?.customers as number));
  if ((withMembers?.customers as number) > 2) expect(members.json.cursor).toEqual(expect.any(String));

  const profile = await apiGet(runtime, apiKey, `/v1/customers?email=buyer1@example.com`);
  expect(profile.json.items[0]).toMatchObject({
    rfm: { r: expect.any(Number), f: expect.any(Number), m: expect.any(Number), segment: expect.any(String) },
    clv: { model: 'historical', pAlive: null, expectedPurchases12m: expect.any(Number), expectedValue12m: expect.any(Number) },
  });
});

it('answers bad run and segment ids with 400 naming the field, unknown runs with 404', async () => {
  const bad = await apiGet(runtime, apiKey, '/v1/runs/..%2F..');
  expect(bad.status).toBe(400);
  expect(bad.text).toContain('runId');
  expect((await apiGet(runtime, apiKey, '/v1/runs/r_20260101000000_abcdef')).status).toBe(404);
  const badSegment = await apiGet(runtime, apiKey, '/v1/segments/champions/customers');
  expect(badSegment.status).toBe(400);
  expect(badSegment.text).toContain('segmentId');
  const badCursor = await apiGet(runtime, apiKey, '/v1/segments/rfm:champions/customers?cursor=abc');
  expect(badCursor.status).toBe(400);
  expect((await send(`${runtime.apiUrl}/v1/runs`, { headers: {}, body: '' })).status).toBe(401);
});

it('starts the day’s run once when the schedule fires at 03:00 in the shop’s time zone, twice or not', async () => {
  const sqs = sqsClientFor(runtime.endpoints.sqs);
  try {
    const opts = { db, sqs, queueUrl: runtime.queues.runs.url };
    expect(await tick(new Date('2026-11-22T19:00:00Z'), opts)).toEqual([]); // 02:00 in Hồ Chí Minh
    expect(await tick(new Date('2026-11-22T20:00:00Z'), opts)).toEqual([SHOP]); // 03:00 on the 23rd
    expect(await tick(new Date('2026-11-22T20:00:00Z'), opts)).toEqual([SHOP]); // delivered again
  } finally {
    sqs.destroy();
  }
  await runtime.idle(120_000);
  const runId = `d_${new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date()).replaceAll('-', '')}`;
  const run = await getRun(db, SHOP, runId);
  expect(run).toMatchObject({ status: 'succeeded', trigger: 'schedule' });
});

it('`rapport run` re-segments with progress and writes nothing on unchanged data', async () => {
  const result = await runRapport(['run', '--shop', SHOP], dataDir);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toContain(`Re-segmenting ${SHOP}`);
  const run = JSON.parse(result.stdout);
  expect(run).toMatchObject({ status: 'succeeded', trigger: 'cli', totals: { customers: 12, itemsWritten: 0 } });
});
