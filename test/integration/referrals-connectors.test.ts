import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import type { Db } from '#shared/data/db.ts';
import { ledgerEntries } from '#shared/data/ledger-repo.ts';
import { getReferral } from '#shared/data/referral-repo.ts';
import { resetShopCache } from '#shared/deps.ts';
import { type ReferralView, referralCodeFor } from '#shared/use-cases/referrals.ts';
import { loadFixture } from '#test/support/fixtures.ts';
import { apiGet, createShopOverHttp, lookup, startTestRuntime } from '#test/support/local-api.ts';
import { send, shopifyHeaders, wooHeaders } from '#test/support/senders.ts';

/**
 * Referrals from the platforms' own payloads, through the webhook routes, the queue, the processor
 * and a run started over HTTP: Shopify's orders/paid sample landing on `/?ref={code}` (what
 * `/r/{code}` sends a friend to), WooCommerce's order sample carrying the code in its order
 * attribution's landing page and, for a third friend, as a coupon — then refunded before the run.
 * The friends get their points at once; the run rewards the referrer for the two orders still paid
 * and rejects the refunded one, each decision on both timelines.
 */

const SHOP = 'referral-shop';
const SHOPIFY_SECRET = 'referral-shop-shopify-secret-0001';
const WOO_SECRET = 'referral-shop-woocommerce-secret-01';

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let apiKey: string;

beforeAll(async () => {
  ({ runtime, db, stop } = await startTestRuntime());
  apiKey = await createShopOverHttp(runtime, {
    shopId: SHOP,
    currency: 'USD',
    secrets: { shopify: SHOPIFY_SECRET, woocommerce: WOO_SECRET },
    settings: { ignoreTestOrders: false },
  });
}, 120_000);
afterAll(async () => stop?.());

const postShopify = (topic: string, body: string) =>
  send(`${runtime.apiUrl}/webhooks/shopify/${SHOP}`, { headers: shopifyHeaders({ topic, secret: SHOPIFY_SECRET, body }), body });
const postWoo = (topic: string, body: string) =>
  send(`${runtime.apiUrl}/webhooks/woocommerce/${SHOP}`, { headers: wooHeaders({ topic, secret: WOO_SECRET, body }), body });

async function waitForRun(runId: string) {
  for (let i = 0; i < 240; i++) {
    const res = await apiGet(runtime, apiKey, `/v1/runs/${runId}`);
    if (res.json.status === 'succeeded' || res.json.status === 'failed') return res.json;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`run ${runId} did not finish`);
}

const timeline = async (customerId: string) =>
  ((await apiGet(runtime, apiKey, `/v1/customers/${customerId}/timeline?limit=50`)).json.items as Array<Record<string, unknown>>).filter(
    (entry) => entry.type === 'referral',
  );

it('attributes Shopify and WooCommerce orders carrying the code, rewards the friends at once and the referrer after the run', async () => {
  // Bob, the referrer, is a Shopify customer (the customers/create sample).
  expect((await postShopify('customers/create', loadFixture('shopify', 'customers_create').raw)).status).toBe(202);
  await runtime.idle(60_000);
  const bob = await lookup(runtime, apiKey, 'externalId', 'shopify:706405506930370084');
  const code = await referralCodeFor(db, SHOP, bob.customerId, new Date());

  // Jon lands on the shop through Bob's link: Shopify keeps the landing page on the order.
  const shopifyOrder = {
    ...loadFixture('shopify', 'orders_paid').body,
    test: false,
    financial_status: 'paid',
    cancelled_at: null,
    landing_site: `/?ref=${code}`,
  };
  expect((await postShopify('orders/paid', JSON.stringify(shopifyOrder))).status).toBe(202);

  // John Doe's WooCommerce order: WooCommerce's order attribution recorded the link's landing page.
  const wooOrder = {
    ...loadFixture('woocommerce', 'order').body,
    meta_data: [
      { id: 13106, key: '_download_permissions_granted', value: 'yes' },
      { id: 13107, key: '_wc_order_attribution_source_type', value: 'referral' },
      { id: 13108, key: '_wc_order_attribution_session_entry', value: `https://books.example/?ref=${code}` },
    ],
  };
  expect((await postWoo('order.created', JSON.stringify(wooOrder))).status).toBe(202);

  // A third friend types the code as a coupon, then returns everything before the returns window ends.
  const couponOrder = {
    ...loadFixture('woocommerce', 'order').body,
    id: 728,
    billing: { ...(loadFixture('woocommerce', 'order').body.billing as Record<string, unknown>), email: 'lan@example.com', phone: '' },
    shipping: { first_name: 'Lan', last_name: 'Ng', address_1: '12 Lê Lợi', city: 'Huế', postcode: '530000', country: 'VN' },
    coupon_lines: [{ id: 7, code: code.toLowerCase(), discount: '2.00', discount_tax: '0.00', meta_data: [] }],
  };
  expect((await postWoo('order.created', JSON.stringify(couponOrder))).status).toBe(202);
  await runtime.idle(60_000);

  const jon = await lookup(runtime, apiKey, 'externalId', 'shopify:115310627314723954');
  const john = await lookup(runtime, apiKey, 'email', 'john.doe@example.com');
  const lan = await lookup(runtime, apiKey, 'email', 'lan@example.com');
  for (const [friend, via] of [
    [jon, 'link'],
    [john, 'link'],
    [lan, 'discount_code'],
  ] as const) {
    const referral = await getReferral(db, SHOP, friend.customerId);
    expect(referral).toMatchObject({ referrerId: bob.customerId, code, via, status: 'attributed', friendReward: { points: 100 } });
    const entries = await ledgerEntries(db, SHOP, friend.customerId);
    expect(entries.filter((entry) => entry.kind === 'referral')).toEqual([
      expect.objectContaining({ points: 100, source: expect.objectContaining({ role: 'friend', referrerId: bob.customerId }) }),
    ]);
    expect((await timeline(friend.customerId)).map((entry) => entry.decision).sort()).toEqual(['attributed', 'friend_rewarded']);
  }

  // Lan's order is refunded in full (WooCommerce: order.updated listing the refund).
  const refunded = {
    ...couponOrder,
    status: 'refunded',
    date_modified_gmt: '2017-03-23T10:00:00',
    refunds: [{ id: 900, reason: '', total: '-29.35' }],
  };
  expect((await postWoo('order.updated', JSON.stringify(refunded))).status).toBe(202);
  await runtime.idle(60_000);

  // The orders are years old: the approval period (14 days) is long past at the run.
  const started = await send(`${runtime.apiUrl}/v1/runs`, { headers: { authorization: `Bearer ${apiKey}` }, body: '' });
  expect(started.status).toBe(202);
  const run = await waitForRun(started.json.runId as string);
  expect(run.status).toBe('succeeded');
  expect(run.model.referrals).toEqual({ approved: 2, rejected: 1 });

  const bobLedger = (await ledgerEntries(db, SHOP, bob.customerId)).filter((entry) => entry.kind === 'referral');
  expect(bobLedger.map((entry) => [entry.points, entry.source.friendId]).sort()).toEqual(
    [
      [200, jon.customerId],
      [200, john.customerId],
    ].sort(),
  );
  expect((await getReferral(db, SHOP, lan.customerId))?.status).toBe('rejected');
  expect((await getReferral(db, SHOP, lan.customerId))?.reason).toBe('refunded');
  const bobSays = await timeline(bob.customerId);
  expect(bobSays.filter((entry) => entry.decision === 'approved')).toHaveLength(2);
  expect(bobSays.find((entry) => entry.decision === 'rejected')).toMatchObject({ friendId: lan.customerId, reason: 'refunded' });
  expect((await timeline(lan.customerId)).find((entry) => entry.decision === 'rejected')).toMatchObject({ reason: 'refunded' });
  expect((await lookup(runtime, apiKey, 'externalId', 'shopify:706405506930370084')).points.balance).toBe(400);

  // A second run changes nothing: each friend rewards the referrer once.
  const again = await waitForRun(
    (await send(`${runtime.apiUrl}/v1/runs`, { headers: { authorization: `Bearer ${apiKey}` }, body: '' })).json.runId as string,
  );
  expect(again.model.referrals).toEqual({ approved: 0, rejected: 0 });
  expect((await ledgerEntries(db, SHOP, bob.customerId)).filter((entry) => entry.kind === 'referral')).toHaveLength(2);
}, 240_000);

it('lists the referrals and one referrer’s friends with their status and revenue, in pages; bad queries are 400 naming the field', async () => {
  const bob = await lookup(runtime, apiKey, 'externalId', 'shopify:706405506930370084');
  const all = await apiGet(runtime, apiKey, '/v1/referrals');
  expect(all.status).toBe(200);
  const items = all.json.items as ReferralView[];
  expect(items).toHaveLength(3);
  // Newest order first: the Shopify order (2022) before the two WooCommerce ones (2017).
  expect(items[0]).toMatchObject({
    friend: { customerId: expect.any(String) },
    referrer: { customerId: bob.customerId, name: 'Bob Biller' },
    via: 'link',
    status: 'approved',
    revenue: { amount: 40495, currency: 'USD' },
    friendReward: { points: 100 },
    referrerReward: { points: 200 },
  });
  expect(items.map((item) => item.status).sort()).toEqual(['approved', 'approved', 'rejected']);
  expect(items.find((item) => item.status === 'rejected')).toMatchObject({ reason: 'refunded', revenue: { amount: 0, currency: 'USD' } });
  expect(all.json.referrers).toEqual([
    {
      customerId: bob.customerId,
      name: 'Bob Biller',
      friends: 3,
      attributed: 0,
      approved: 2,
      rejected: 1,
      revenue: { amount: 40495 + 2935, currency: 'USD' },
    },
  ]);

  const first = await apiGet(runtime, apiKey, `/v1/referrals?referrer=${bob.customerId}&limit=2`);
  expect(first.status).toBe(200);
  expect(first.json.items).toHaveLength(2);
  const rest = await apiGet(runtime, apiKey, `/v1/referrals?referrer=${bob.customerId}&limit=2&cursor=${first.json.cursor}`);
  expect(rest.json.items).toHaveLength(1);
  expect(rest.json.cursor).toBeUndefined();
  const seen = [...first.json.items, ...rest.json.items].map((item: ReferralView) => item.friend.customerId).sort();
  expect(seen).toEqual(items.map((item) => item.friend.customerId).sort());

  for (const [query, field] of [
    ['referrer=bob', 'query.referrer'],
    ['limit=0', 'query.limit'],
    ['cursor=bm90LW91cnM', 'cursor'],
  ]) {
    const bad = await apiGet(runtime, apiKey, `/v1/referrals?${query}`);
    expect(bad.status, query).toBe(400);
    expect(bad.json.error.field, query).toBe(field);
  }
  expect((await send(`${runtime.apiUrl}/v1/referrals`, { method: 'GET', headers: {} })).status).toBe(401);
});

it('sends a friend following the link to the shop with the code, or shows the code when the shop has no URL', async () => {
  const bob = await lookup(runtime, apiKey, 'externalId', 'shopify:706405506930370084');
  const code = await referralCodeFor(db, SHOP, bob.customerId, new Date());
  // The API's own loopback URL; fetch does not follow the redirect, so its Location is read.
  const page = await fetch(`${runtime.apiUrl}/r/${code.toLowerCase()}`, { redirect: 'manual' });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
  const html = await page.text();
  expect(html).toContain(code);
  // The friend is nobody's customer yet: the page speaks the shop's language.
  expect(html).toContain('<html lang="en">');
  expect(html).toContain('A friend invited you. Use this code at checkout:');
  const vi = await send(`${runtime.apiUrl}/v1/shop`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ locale: 'vi-VN' }),
  });
  expect(vi.status).toBe(200);
  resetShopCache();
  const viPage = await (await fetch(`${runtime.apiUrl}/r/${code}`, { redirect: 'manual' })).text();
  expect(viPage).toContain('<html lang="vi">');
  expect(viPage).toContain('Một người bạn đã mời bạn. Hãy dùng mã này khi thanh toán:');

  const patched = await send(`${runtime.apiUrl}/v1/shop`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: 'https://lumen-optics.example/collections/all?utm_source=friends' }),
  });
  expect(patched.status).toBe(200);
  // Links read the shop through its 30-second cache, like the other public routes: the URL counts from the next read.
  resetShopCache();
  const moved = await fetch(`${runtime.apiUrl}/r/${code}`, { redirect: 'manual' });
  expect(moved.status).toBe(302);
  expect(moved.headers.get('location')).toBe(`https://lumen-optics.example/collections/all?utm_source=friends&ref=${code}`);

  const bad = await send(`${runtime.apiUrl}/r/not-a-code!`, { method: 'GET', headers: {} });
  expect(bad.status).toBe(400);
  expect(bad.json.error.field).toBe('code');
  expect((await send(`${runtime.apiUrl}/r/ABCDEFGH`, { method: 'GET', headers: {} })).status).toBe(404);
});
