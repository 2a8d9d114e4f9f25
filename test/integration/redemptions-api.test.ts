import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DynamoEngine, dynamoClient } from '#infra/local/emulators.ts';
import { type Runtime, startRuntime } from '#infra/local/runtime.ts';
import { ledgerEntries } from '#shared/data/ledger-repo.ts';
import { signGeneric } from '#shared/domain/signature.ts';
import { orderEvent } from '#test/support/factories.ts';

/**
 * Redemptions over HTTP as a shop's POS would call them: 20 concurrent redemptions of 10 points
 * against a balance of 100 → exactly 10 succeed, the balance is 0, the ledger has 10 entries.
 */

let runtime: Runtime;
let auth: Record<string, string>;
let customerId: string;
let signingSecret: string;

beforeAll(async () => {
  runtime = await startRuntime({
    port: 0,
    dataDir: null,
    dynamodb: (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine,
    log: () => {},
  });
  const created = await fetch(`${runtime.apiUrl}/admin/shops`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.adminKey}` },
    body: JSON.stringify({ shopId: 'redeem-shop', name: 'Trà Việt', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' }),
  });
  const shop = (await created.json()) as { apiKey: string; generatedSecrets: { generic: string } };
  signingSecret = shop.generatedSecrets.generic;
  auth = { authorization: `Bearer ${shop.apiKey}` };
  // 500,000 ₫ at the default 1 point per 10,000 ₫ = 50 points, plus the 50-point first-order bonus.
  const body = JSON.stringify(orderEvent('redeem-shop', { total: 500_000, lineItems: [] }));
  const posted = await fetch(`${runtime.apiUrl}/webhooks/generic/redeem-shop`, {
    method: 'POST',
    headers: { 'x-rapport-signature': signGeneric(shop.generatedSecrets.generic, body, Math.floor(Date.now() / 1000)) },
    body,
  });
  expect(posted.status).toBe(202);
  await runtime.idle();
  const found = (await (await fetch(`${runtime.apiUrl}/v1/customers?externalId=generic:1001`, { headers: auth })).json()) as {
    items: Array<{ customerId: string; points: { balance: number } }>;
  };
  customerId = found.items[0]!.customerId;
  expect(found.items[0]!.points.balance).toBe(100);
});
afterAll(async () => runtime?.stop());

const redeem = (key: string, points = 10) =>
  fetch(`${runtime.apiUrl}/v1/customers/${customerId}/redemptions`, {
    method: 'POST',
    headers: { ...auth, 'idempotency-key': key },
    body: JSON.stringify({ points, reason: 'voucher' }),
  });

it('lets exactly 10 of 20 concurrent redemptions of 10 points through a balance of 100', async () => {
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => redeem(`concurrent-${i}`)));
  const statuses = answers.map((a) => a.status).sort();
  expect(statuses.filter((s) => s === 201)).toHaveLength(10);
  expect(statuses.filter((s) => s === 409)).toHaveLength(10);
  const profile = (await (await fetch(`${runtime.apiUrl}/v1/customers/${customerId}`, { headers: auth })).json()) as {
    points: { balance: number };
  };
  expect(profile.points.balance).toBe(0);
  const db = { client: DynamoDBDocumentClient.from(dynamoClient(runtime.endpoints.dynamodb)), table: runtime.tableName };
  const ledger = await ledgerEntries(db, 'redeem-shop', customerId);
  expect(ledger.filter((e) => e.kind === 'redeem')).toHaveLength(10);
  expect(ledger.reduce((sum, e) => sum + e.points, 0)).toBe(0);
});

it('answers a repeated Idempotency-Key with the first answer, and names what is wrong', async () => {
  const winners = [];
  for (let i = 0; i < 20; i++) {
    const again = await redeem(`concurrent-${i}`);
    if (again.status === 201) winners.push(await again.json());
  }
  expect(winners).toHaveLength(10);
  expect(winners[0]).toMatchObject({ entry: { kind: 'redeem', points: -10 }, balance: expect.any(Number) });
  expect((await redeem('concurrent-0', 999)).status).toBe(201); // the key's first answer, whatever the new body says
  const missingKey = await fetch(`${runtime.apiUrl}/v1/customers/${customerId}/redemptions`, {
    method: 'POST',
    headers: auth,
    body: '{"points":1}',
  });
  expect(missingKey.status).toBe(400);
  expect(((await missingKey.json()) as { error: { field: string } }).error.field).toBe('Idempotency-Key');
  const negative = await redeem('negative-key', -5);
  expect(((await negative.json()) as { error: { field: string } }).error.field).toBe('points');
});

it('reports the liability and applies manual tier overrides', async () => {
  // A second customer: 1,000,000 ₫ = 100 points + the 50-point first-order bonus, worth 100 ₫ each by default.
  const body = JSON.stringify(
    orderEvent('redeem-shop', { orderId: 'second', total: 1_000_000, lineItems: [] }, { externalId: 'generic:2002' }),
  );
  await fetch(`${runtime.apiUrl}/webhooks/generic/redeem-shop`, {
    method: 'POST',
    headers: { 'x-rapport-signature': signGeneric(signingSecret, body, Math.floor(Date.now() / 1000)) },
    body,
  });
  await runtime.idle();
  const liability = (await (await fetch(`${runtime.apiUrl}/v1/loyalty/liability`, { headers: auth })).json()) as Record<string, unknown>;
  expect(liability).toMatchObject({
    customers: 2,
    customersWithPoints: 1,
    points: { outstanding: 150, pending: 0, spendable: 150 },
    pointValue: { amount: 100, currency: 'VND' },
    value: { amount: 15_000, currency: 'VND' },
  });

  const setTier = (override: unknown) =>
    fetch(`${runtime.apiUrl}/v1/customers/${customerId}/tier`, { method: 'PUT', headers: auth, body: JSON.stringify({ override }) });
  expect(await (await setTier({ tier: 'gold', mode: 'pin' })).json()).toMatchObject({ tier: 'gold', override: { mode: 'pin' } });
  expect(await (await setTier(null)).json()).toMatchObject({ tier: 'gold', override: null });
  const bad = await setTier({ tier: 'platinum', mode: 'floor' });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('override.tier');
  const timeline = (await (await fetch(`${runtime.apiUrl}/v1/customers/${customerId}/timeline?limit=50`, { headers: auth })).json()) as {
    items: Array<{ type: string; reason?: string }>;
  };
  expect(timeline.items.find((e) => e.type === 'tier' && e.reason?.startsWith('manual override'))).toBeDefined();
});
