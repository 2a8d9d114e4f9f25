import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import type { Db } from '#shared/data/db.ts';
import { ledgerEntries } from '#shared/data/ledger-repo.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { type JsonObject, loadFixture } from '#test/support/fixtures.ts';
import { apiGet, createShopOverHttp, lookup, startTestRuntime } from '#test/support/local-api.ts';
import { send, shopifyHeaders } from '#test/support/senders.ts';

/**
 * Bonus rules end to end, on Shopify's own order and refund payloads through the webhook, the queue
 * and the processor: a line in a bonus category and a bonus product earn their multiplier in the
 * order's points; a dates rule reads the order's date in the shop's time zone; a partial refund
 * claws back its share of what the order earned, bonus included, a full refund all of it; a
 * redelivered order, or a refund that arrives before its order, changes nothing.
 */

const SHOP = 'bonus-shop';
const SECRET = 'bonus-shop-shopify-webhook-secret';

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let apiKey: string;

const auth = () => ({ authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' });

const postShopify = (topic: string, body: unknown) => {
  const raw = JSON.stringify(body);
  return send(`${runtime.apiUrl}/webhooks/shopify/${SHOP}`, { headers: shopifyHeaders({ topic, secret: SECRET, body: raw }), body: raw });
};

beforeAll(async () => {
  ({ runtime, db, stop } = await startTestRuntime());
  apiKey = await createShopOverHttp(runtime, {
    shopId: SHOP,
    currency: 'USD',
    locale: 'en-US',
    timezone: 'America/New_York',
    secrets: { shopify: SECRET },
  });
  const current = (await apiGet(runtime, apiKey, '/v1/program')).json as { version: number; program: Program };
  const program = structuredClone(current.program);
  program.points.firstOrderBonus = 0;
  program.bonuses = [
    { id: 'sunglasses', multiplier: 3, on: { kind: 'categories', names: ['sunglasses'] }, active: true },
    { id: 'lens-cover', multiplier: 2, on: { kind: 'products', ids: ['LENS-PROTECT-2YR'] }, active: true },
    // 1–7 January in New York: the order, placed at 19:00 on 31 December there (1 January in UTC), is not in it.
    { id: 'new-year', multiplier: 2, on: { kind: 'dates', from: '2022-01-01', to: '2022-01-07' }, active: true },
    { id: 'retired', multiplier: 10, on: { kind: 'categories', names: ['Cases'] }, active: false },
  ];
  const saved = await send(`${runtime.apiUrl}/v1/program`, {
    method: 'PUT',
    headers: auth(),
    body: JSON.stringify({ version: current.version, program }),
  });
  expect(saved.status, saved.text).toBe(200);
}, 120_000);
afterAll(async () => stop?.());

/** Shopify's orders/paid example, paid, for a customer of its own, the Aviator sunglasses (89.99) in the Sunglasses category. */
function paidOrder(orderId: string, customerId: number): JsonObject {
  const order = structuredClone(loadFixture('shopify', 'orders_paid').body);
  const customer = structuredClone(order.customer as JsonObject);
  Object.assign(customer, {
    id: customerId,
    email: `buyer-${customerId}@example.com`,
    admin_graphql_api_id: `gid://shopify/Customer/${customerId}`,
  });
  const lines = order.line_items as JsonObject[];
  (lines[0] as JsonObject).product_type = 'Sunglasses';
  (lines[2] as JsonObject).product_type = 'Cases';
  Object.assign(order, {
    id: orderId,
    admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
    email: customer.email,
    financial_status: 'paid',
    test: false,
    cancelled_at: null,
    refunds: [],
    customer,
  });
  return order;
}

/** Shopify's refunds/create example (75.00 + 10.00 back, the sunglasses line returned) for an order. */
function refundOf(orderId: string, refundId: string): JsonObject {
  const refund = structuredClone(loadFixture('shopify', 'refunds_create').body);
  Object.assign(refund, { id: refundId, order_id: orderId, admin_graphql_api_id: `gid://shopify/Refund/${refundId}` });
  for (const transaction of refund.transactions as JsonObject[]) Object.assign(transaction, { test: false, order_id: orderId });
  return refund;
}

const pointsOf = async (shopifyCustomer: number) => {
  const found = await lookup(runtime, apiKey, 'externalId', `shopify:${shopifyCustomer}`);
  return { customerId: found.customerId as string, ...(found.points as { balance: number; lifetime: number }) };
};

// The order: 404.95 after a 10.00 discount on 414.95 of lines; at 1 point a dollar it would earn 404.
// Its lines weigh 89.99 at ×3 (sunglasses), 19.99 at ×2 (the lens cover), 304.97 at ×1 (the case
// rule is retired; the date is 31 December in New York): 404.95 × (269.97 + 39.98 + 304.97) / 414.95
// = 600 points, rounded down.
const EARNED = 600;
// The refund returns 85.00 of the 404.95: the order keeps 319.95 of its money, which earns 474 at
// the same rates — the refund claws back 126, its share of what the order earned, bonus included.
const AFTER_REFUND = 474;

it('earns the bonus rules in the order’s points, once however often the order is delivered', async () => {
  const order = paidOrder('7100001', 9100001);
  expect((await postShopify('orders/paid', order)).status).toBe(202);
  await runtime.idle();
  const first = await pointsOf(9100001);
  expect(first).toMatchObject({ balance: EARNED, lifetime: EARNED });
  expect((await postShopify('orders/paid', order)).status).toBe(202);
  await runtime.idle();
  expect(await pointsOf(9100001)).toEqual(first);
  const ledger = await ledgerEntries(db, SHOP, first.customerId);
  expect(ledger.map((entry) => [entry.kind, entry.points])).toEqual([['earn', EARNED]]);
});

it('claws back a partial refund’s share of the bonus points, and a full refund all of them', async () => {
  expect((await postShopify('refunds/create', refundOf('7100001', '7200001'))).status).toBe(202);
  await runtime.idle();
  const partly = await pointsOf(9100001);
  expect(partly).toMatchObject({ balance: AFTER_REFUND, lifetime: AFTER_REFUND });

  // Then the whole order is refunded: every point it earned goes, bonus included.
  const refunded = { ...paidOrder('7100001', 9100001), financial_status: 'refunded', updated_at: '2022-01-05T10:00:00-05:00' };
  expect((await postShopify('orders/updated', refunded)).status).toBe(202);
  await runtime.idle();
  expect(await pointsOf(9100001)).toMatchObject({ balance: 0, lifetime: 0 });
  const ledger = await ledgerEntries(db, SHOP, partly.customerId);
  expect(ledger.map((entry) => [entry.kind, entry.points])).toEqual([
    ['earn', EARNED],
    ['clawback', AFTER_REFUND - EARNED],
    ['clawback', -AFTER_REFUND],
  ]);
});

it('ends at the same points when the refund arrives before its order', async () => {
  expect((await postShopify('refunds/create', refundOf('7100002', '7200002'))).status).toBe(202);
  await runtime.idle();
  expect((await postShopify('orders/paid', paidOrder('7100002', 9100002))).status).toBe(202);
  await runtime.idle();
  expect(await pointsOf(9100002)).toMatchObject({ balance: AFTER_REFUND, lifetime: AFTER_REFUND });
});

it("puts the program's save on the shop's activity, each bonus rule named by its id", async () => {
  const { items } = (await apiGet(runtime, apiKey, '/v1/shop/activity?limit=5')).json as { items: Array<Record<string, unknown>> };
  const saved = items.find((entry) => entry.action === 'program.updated');
  expect(saved).toMatchObject({ version: 1, by: expect.stringMatching(/^[0-9a-f]{12}$/) });
  const fields = ((saved?.changes ?? []) as Array<{ field: string }>).map((change) => change.field);
  expect(fields).toEqual(['points.firstOrderBonus', 'bonuses[sunglasses]', 'bonuses[lens-cover]', 'bonuses[new-year]', 'bonuses[retired]']);
});

it('refuses a bad bonus rule naming the field', async () => {
  const current = (await apiGet(runtime, apiKey, '/v1/program')).json as { version: number; program: Program };
  const put = (bonuses: unknown[]) =>
    send(`${runtime.apiUrl}/v1/program`, {
      method: 'PUT',
      headers: auth(),
      body: JSON.stringify({ version: current.version, program: { ...current.program, bonuses } }),
    });
  const rule = current.program.bonuses[0];
  const backwards = await put([{ ...rule, on: { kind: 'dates', from: '2027-02-07', to: '2027-02-01' } }]);
  expect(backwards.status).toBe(400);
  expect(backwards.json.error.field).toBe('program.bonuses[0].on.to');
  const unknownTier = await put([{ ...rule, tiers: ['platinum'] }]);
  expect(unknownTier.status).toBe(400);
  expect(unknownTier.json.error.field).toBe('program.bonuses[0].tiers[0]');
});
