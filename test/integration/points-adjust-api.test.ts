import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import type { Db } from '#shared/data/db.ts';
import { ledgerEntries } from '#shared/data/ledger-repo.ts';
import { orderEvent } from '#test/support/factories.ts';
import { apiGet, createShopOverHttp, lookup, postGeneric, startTestRuntime } from '#test/support/local-api.ts';
import { type RawResponse, send } from '#test/support/senders.ts';

/**
 * Staff adjustments over HTTP, POST /v1/customers/{id}/points: give and take with a reason, the
 * ledger and both timelines, once per Idempotency-Key, never below zero under concurrent requests.
 */

const SHOP = 'adjust-shop';
const SECRET = 'adjust-shop-generic-secret-0001';

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let apiKey: string;
let otherKey: string;
let customerId: string;

beforeAll(async () => {
  ({ runtime, db, stop } = await startTestRuntime());
  apiKey = await createShopOverHttp(runtime, {
    shopId: SHOP,
    currency: 'VND',
    locale: 'vi-VN',
    timezone: 'Asia/Ho_Chi_Minh',
    secrets: { generic: SECRET },
  });
  otherKey = await createShopOverHttp(runtime, { shopId: 'adjust-other' });
  // 500,000 ₫ at the default 1 point per 10,000 ₫ = 50 points, plus the 50-point first-order bonus.
  const posted = await postGeneric(runtime, SHOP, SECRET, orderEvent(SHOP, { total: 500_000, lineItems: [] }));
  expect(posted.status).toBe(202);
  await runtime.idle();
  const found = await lookup(runtime, apiKey, 'externalId', 'generic:1001');
  customerId = found.customerId;
  expect(found.points.balance).toBe(100);
});
afterAll(async () => stop?.());

const adjust = (body: unknown, key: string | undefined, auth = apiKey, id = customerId): Promise<RawResponse> =>
  send(`${runtime.apiUrl}/v1/customers/${id}/points`, {
    headers: {
      authorization: `Bearer ${auth}`,
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    body: JSON.stringify(body),
  });

const balance = async () =>
  (await apiGet(runtime, apiKey, `/v1/customers/${customerId}`)).json.points as { balance: number; lifetime: number };

it('gives points with a reason: a ledger entry of kind adjust, on the timeline with the reason and on the activity without it', async () => {
  const res = await adjust({ points: 50, reason: 'Bảo hành: hàng giao trễ' }, 'adjust-give-0001');
  expect(res.status).toBe(201);
  expect(res.json).toEqual({
    entry: {
      entryId: 'adjust:adjust-give-0001',
      kind: 'adjust',
      points: 50,
      at: expect.any(String),
      source: { idempotencyKey: 'adjust-give-0001', reason: 'Bảo hành: hàng giao trễ', by: expect.stringMatching(/^[0-9a-f]{12}$/) },
      balanceAfter: 150,
    },
    balance: 150,
  });
  // The balance moves; lifetime points (milestones, a points tier) follow only what the program awards.
  expect(await balance()).toEqual({ balance: 150, lifetime: 100 });
  const timeline = await apiGet(runtime, apiKey, `/v1/customers/${customerId}/timeline?limit=1`);
  expect(timeline.json.items[0]).toMatchObject({
    type: 'points',
    source: 'staff',
    kind: 'adjust',
    points: 50,
    reason: 'Bảo hành: hàng giao trễ',
    balanceAfter: 150,
  });
  const activity = await apiGet(runtime, apiKey, '/v1/shop/activity?limit=1');
  expect(activity.json.items[0]).toMatchObject({ action: 'points.adjusted', customerId, points: 50 });
  expect(activity.text).not.toContain('Bảo hành');

  const again = await adjust({ points: 50, reason: 'Bảo hành: hàng giao trễ' }, 'adjust-give-0001');
  expect(again.status).toBe(201);
  expect(again.json).toEqual(res.json);
  expect((await balance()).balance).toBe(150);
});

it('takes points never below zero: of 20 concurrent takes of 10 from 150, exactly 15 pass; the ledger sums to the balance', async () => {
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => adjust({ points: -10, reason: 'correction' }, `adjust-take-${i}`)),
  );
  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(15);
  expect(statuses.filter((s) => s === 409)).toHaveLength(5);
  const refused = answers.find((a) => a.status === 409) as RawResponse;
  expect(refused.json.error.message).toBe('not enough points: 10 to take, 0 spendable (balance 0, pending 0)');
  expect((await balance()).balance).toBe(0);
  const ledger = await ledgerEntries(db, SHOP, customerId);
  expect(ledger.filter((e) => e.kind === 'adjust')).toHaveLength(16);
  expect(ledger.reduce((sum, e) => sum + e.points, 0)).toBe(0);
  // A refused key may be used again once there are points.
  expect((await adjust({ points: 25, reason: 'goodwill' }, 'adjust-give-0002')).status).toBe(201);
  const retried = answers.findIndex((a) => a.status === 409);
  const late = await adjust({ points: -10, reason: 'correction' }, `adjust-take-${retried}`);
  expect(late.status).toBe(201);
  expect(late.json.balance).toBe(15);
});

it('keeps an adjustment and a redemption under the same Idempotency-Key apart', async () => {
  const key = 'shared-key-0001';
  expect((await adjust({ points: 5, reason: 'sample' }, key)).json.balance).toBe(20);
  const redeemed = await send(`${runtime.apiUrl}/v1/customers/${customerId}/redemptions`, {
    headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': key },
    body: JSON.stringify({ points: 5 }),
  });
  expect(redeemed.status).toBe(201);
  expect(redeemed.json.entry.kind).toBe('redeem');
  expect((await balance()).balance).toBe(15);
});

it('answers bad input with 400 naming the field, an unknown customer 404, a key not of this shop 401', async () => {
  const field = async (res: Promise<RawResponse>, name: string) => {
    const answer = await res;
    expect(answer.status).toBe(400);
    expect(answer.json.error.field).toBe(name);
  };
  await field(adjust({ points: 0, reason: 'nothing' }, 'adjust-bad-0001'), 'points');
  await field(adjust({ points: 1.5, reason: 'half' }, 'adjust-bad-0002'), 'points');
  await field(adjust({ points: '10', reason: 'text' }, 'adjust-bad-0003'), 'points');
  await field(adjust({ points: 10 }, 'adjust-bad-0004'), 'reason');
  await field(adjust({ points: 10, reason: '   ' }, 'adjust-bad-0005'), 'reason');
  await field(adjust({ points: 10, reason: 'x'.repeat(201) }, 'adjust-bad-0006'), 'reason');
  await field(adjust({ points: 10, reason: 'ok' }, undefined), 'Idempotency-Key');
  await field(adjust({ points: 10, reason: 'ok' }, 'short'), 'Idempotency-Key');
  await field(adjust({ points: 10, reason: 'ok' }, 'adjust-bad-0007', apiKey, 'c_nope'), 'customerId');
  expect((await adjust({ points: 10, reason: 'ok' }, 'adjust-bad-0008', apiKey, 'c_00000000000000000000')).status).toBe(404);
  // Another shop's key finds no such customer in its own shop; a key made to name this shop is refused.
  expect((await adjust({ points: 10, reason: 'ok' }, 'adjust-bad-0009', otherKey)).status).toBe(404);
  const forged = otherKey.replace('rk_adjust-other_', `rk_${SHOP}_`);
  expect((await adjust({ points: 10, reason: 'ok' }, 'adjust-bad-0010', forged)).status).toBe(401);
  expect((await balance()).balance).toBe(15);
});

it('pages the ledger newest first over GET /v1/customers/{id}/ledger: every entry once, the same as the export, summing to the balance', async () => {
  const exported = (await apiGet(runtime, apiKey, `/v1/customers/${customerId}/export`)).json.pointsLedger as Array<{ entryId: string }>;
  const paged: Array<{ entryId: string; points: number; at: string }> = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const res = await apiGet(runtime, apiKey, `/v1/customers/${customerId}/ledger?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    expect(res.json.items.length).toBeLessThanOrEqual(7);
    paged.push(...res.json.items);
    cursor = res.json.cursor;
    pages++;
  } while (cursor && pages < 20);
  expect(pages).toBeGreaterThan(2);
  expect(paged.map((e) => e.entryId).sort()).toEqual(exported.map((e) => e.entryId).sort());
  expect(new Set(paged.map((e) => e.entryId)).size).toBe(paged.length);
  expect(paged.map((e) => e.at)).toEqual(
    paged
      .map((e) => e.at)
      .sort()
      .reverse(),
  );
  expect(paged.reduce((sum, e) => sum + e.points, 0)).toBe((await balance()).balance);
  // A timeline cursor is not a ledger cursor; an unknown customer is a 404.
  const timeline = await apiGet(runtime, apiKey, `/v1/customers/${customerId}/timeline?limit=1`);
  const wrong = await apiGet(runtime, apiKey, `/v1/customers/${customerId}/ledger?cursor=${timeline.json.cursor}`);
  expect(wrong.status).toBe(400);
  expect(wrong.json.error.field).toBe('cursor');
  expect((await apiGet(runtime, apiKey, '/v1/customers/c_00000000000000000000/ledger')).status).toBe(404);
});
