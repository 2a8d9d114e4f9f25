import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DynamoEngine } from '#infra/local/emulators.ts';
import { type Runtime, startRuntime } from '#infra/local/runtime.ts';
import { signGeneric } from '#shared/domain/signature.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { runRapport } from '#test/support/cli.ts';
import { apiGet } from '#test/support/local-api.ts';
import { send } from '#test/support/senders.ts';

/**
 * A backtest as a shop starts it (POST /v1/program/backtests, GET …/{id}) and as an operator runs it
 * (`rapport backtest`): one computation, the same numbers.
 */

let runtime: Runtime;
let dataDir: string;
let apiKey: string;
let current: Program;
const SHOP = 'backtest-api';
const AS_OF = '2026-11-30T00:00:00.000Z';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rapport-backtest-'));
  runtime = await startRuntime({
    port: 0,
    dataDir,
    dynamodb: (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine,
    batchingWindowSeconds: 0,
    log: () => undefined,
  });
  const created = await send(`${runtime.apiUrl}/admin/shops`, {
    headers: { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ shopId: SHOP, name: 'Trà Việt', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' }),
  });
  expect(created.status).toBe(201);
  apiKey = created.json.apiKey as string;
  const secret = (created.json.generatedSecrets as { generic: string }).generic;
  // 12 buyers, 1 to 6 paid orders each over the year (the default program: Silver from 3 orders in 12 months).
  const buyers = [1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 6].flatMap((orders, buyer) => Array.from({ length: orders }, () => buyer));
  const events = Array.from({ length: 36 }, (_, i) => {
    const at = new Date(Date.UTC(2026, 0, 3 + i * 9, 10)).toISOString();
    return {
      eventId: `backtest-api-${i}`,
      type: 'order.upserted',
      occurredAt: at,
      customer: { email: `buyer${buyers[(i * 7) % 36]}@example.com` },
      order: {
        orderId: `bt-${i}`,
        status: 'paid',
        currency: 'VND',
        total: 150_000 * (1 + (i % 7)),
        createdAt: at,
        updatedAt: at,
        lineItems: [{ productId: `p${i % 4}`, title: `Trà ${i % 4}`, quantity: 1, price: 150_000 * (1 + (i % 7)) }],
      },
    };
  });
  // One at a time, in event-time order: an order's earn multiplier is the tier of the orders that
  // arrived before it (plan.ts tierAsOf), so only arrival in event-time order is what a replay gives.
  for (const event of events) {
    const body = JSON.stringify(event);
    const posted = await send(`${runtime.apiUrl}/webhooks/generic/${SHOP}`, {
      headers: { 'content-type': 'application/json', 'x-rapport-signature': signGeneric(secret, body, Math.floor(Date.now() / 1000)) },
      body,
    });
    expect(posted.status).toBe(202);
    await runtime.idle(60_000);
  }
  current = (await apiGet(runtime, apiKey, '/v1/program')).json.program as Program;
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The program in force with Silver from 2 orders and twice the points per unit spent. */
const proposedOf = (program: Program): Program => ({
  ...program,
  tiers: { ...program.tiers, levels: program.tiers.levels.map((level) => (level.id === 'silver' ? { ...level, threshold: 2 } : level)) },
  points: { ...program.points, earn: { ...program.points.earn, points: program.points.earn.points * 2 } },
});

const post = (body: unknown) =>
  send(`${runtime.apiUrl}/v1/program/backtests`, {
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function finished(backtestId: string) {
  for (let i = 0; i < 240; i++) {
    const res = await apiGet(runtime, apiKey, `/v1/program/backtests/${backtestId}`);
    expect(res.status).toBe(200);
    if (res.json.status === 'succeeded' || res.json.status === 'failed') return res.json;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`backtest ${backtestId} did not finish`);
}

it('answers 202, then the report: the same numbers as `rapport backtest --json`', async () => {
  const proposed = proposedOf(current);
  const started = await post({ program: proposed, asOf: AS_OF });
  expect(started.status).toBe(202);
  expect(started.json).toMatchObject({ status: 'queued', asOf: AS_OF, location: `/v1/program/backtests/${started.json.backtestId}` });
  const done = await finished(started.json.backtestId as string);
  expect(done).toMatchObject({ status: 'succeeded', progress: { customers: 12, shardsDone: 16, shards: 16 } });
  const report = done.report;
  expect(report.customers).toBe(12);
  expect(report.orders).toBe(36);
  // The program in force, replayed, is what the live records say.
  expect(report.reconciliation, JSON.stringify(report.reconciliation)).toMatchObject({ customers: 12, tierDiffers: 0, balanceDiffers: 0 });
  // Twice the points per unit, and Silver's ×1.25 from the second order: more than twice the points earned.
  expect(report.proposed.points.earned).toBeGreaterThan(2 * report.current.points.earned);
  expect(report.current.points.earned).toBeGreaterThan(0);
  expect(report.moves.down.count).toBe(0);
  expect(report.moves.up.count).toBeGreaterThan(0);

  const file = join(dataDir, 'proposed.json');
  writeFileSync(file, JSON.stringify({ version: 7, program: proposed }));
  const cli = await runRapport(['backtest', '--shop', SHOP, '--program', file, '--as-of', AS_OF, '--json'], dataDir);
  expect(cli.stderr).toContain('replaying');
  expect(cli.code).toBe(0);
  expect(JSON.parse(cli.stdout)).toEqual(report);

  const table = await runRapport(['backtest', '--shop', SHOP, '--program', file, '--as-of', AS_OF], dataDir);
  expect(table.code).toBe(0);
  expect(table.stdout).toContain(`${report.customers} customers, ${report.orders} orders`);
  const issued = (n: number) => n.toLocaleString('en-US');
  expect(table.stdout).toMatch(
    new RegExp(`earned on orders\\s+${issued(report.current.points.earned)}\\s+${issued(report.proposed.points.earned)}`),
  );
  expect(table.stdout).toContain(`Tier moves: ${report.moves.up.count} up, 0 down`);
  expect(table.stdout).toContain('live tier and balance (12 of 12)');
}, 120_000);

it('refuses a bad program, a future instant and bad ids with 4xx naming the field', async () => {
  const badProgram = await post({ program: { ...current, tiers: { ...current.tiers, levels: [] } } });
  expect(badProgram.status).toBe(400);
  expect(badProgram.json.error.field).toBe('program.tiers.levels');
  const missing = await post({ asOf: AS_OF });
  expect(missing.status).toBe(400);
  expect(missing.json.error.field).toBe('program');
  const future = await post({ program: current, asOf: '2999-01-01T00:00:00Z' });
  expect(future.status).toBe(400);
  expect(future.json.error.field).toBe('asOf');
  const extra = await post({ program: current, save: true });
  expect(extra.status).toBe(400);
  expect(extra.json.error.field).toBe('save');
  const badId = await apiGet(runtime, apiKey, '/v1/program/backtests/..%2F..');
  expect(badId.status).toBe(400);
  expect(badId.text).toContain('backtestId');
  expect((await apiGet(runtime, apiKey, '/v1/program/backtests/b_20260101000000_abcdef')).status).toBe(404);
  expect((await send(`${runtime.apiUrl}/v1/program/backtests`, { headers: {}, body: '{}' })).status).toBe(401);
});
