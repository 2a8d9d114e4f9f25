import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { type DynamoEngine, dynamoClient, isLoopbackEndpoint } from '#infra/local/emulators.ts';
import { type Runtime, startRuntime } from '#infra/local/runtime.ts';
import { sqsClient } from '#shared/aws/sqs.ts';
import type { Db } from '#shared/data/db.ts';
import { resetShopCache } from '#shared/deps.ts';
import { type FixtureName, type JsonObject, loadFixture } from '#test/support/fixtures.ts';
import { apiGet, createShopOverHttp, lookup, shopItems } from '#test/support/local-api.ts';
import { type RawResponse, send, shopifyHeaders, tamperOneByte, wooHeaders } from '#test/support/senders.ts';

/**
 * Issue 3, first acceptance item: every sample body of Shopify and WooCommerce goes through its
 * route on the local stack — signed as the sender signs, with the sender's headers — and the
 * profile it makes is read back through the API and checked value by value. Expected values are
 * worked out below from the sample bodies and the rules in CONNECTORS.md and the README, not from
 * the code. A tampered body or a wrong secret is answered 401 and changes nothing, on every topic.
 *
 * Both senders' samples are in USD (Shopify's shop_money and WooCommerce's `currency`), so every
 * shop here is a USD shop; each scenario gets its own shop so that erasures cannot mask each other.
 */

const SHOPIFY_SECRET = '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';
const WOO_SECRET = 'wc-secret-the-shop-chose-0001';
const WRONG_SECRET = 'not-the-secret-of-this-shop-000';

let runtime: Runtime;
let db: Db;
/** The webhook function's own SQS client, spied on: every SendMessageBatch a delivery causes is seen. */
let sqsSend: MockInstance;

beforeAll(async () => {
  runtime = await startRuntime({
    port: 0,
    dataDir: null,
    dynamodb: (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine,
    visibilityTimeoutSeconds: 2,
    batchingWindowSeconds: 0,
    log: () => {},
  });
  for (const endpoint of [runtime.apiUrl, runtime.endpoints.dynamodb, runtime.endpoints.sqs]) {
    if (!isLoopbackEndpoint(endpoint)) throw new Error(`refusing to test against ${endpoint}`);
  }
  db = { client: DynamoDBDocumentClient.from(dynamoClient(runtime.endpoints.dynamodb)), table: runtime.tableName };
  sqsSend = vi.spyOn(sqsClient(), 'send');
});

afterAll(async () => {
  sqsSend?.mockRestore();
  await runtime?.stop();
});

/** Messages the webhook function has put on the interactions queue so far. */
const enqueued = () =>
  sqsSend.mock.calls
    .map(([command]) => command)
    .filter((command): command is SendMessageBatchCommand => command instanceof SendMessageBatchCommand)
    .reduce((sum, command) => sum + (command.input.Entries?.length ?? 0), 0);

const settle = () => runtime.idle(60_000);

function postShopify(shopId: string, topic: string, body: string, opts: Partial<Parameters<typeof shopifyHeaders>[0]> = {}) {
  return send(`${runtime.apiUrl}/webhooks/shopify/${shopId}`, {
    headers: shopifyHeaders({ topic, secret: SHOPIFY_SECRET, body, ...opts }),
    body,
  });
}

function postWoo(shopId: string, topic: string, body: string, opts: Partial<Parameters<typeof wooHeaders>[0]> = {}) {
  return send(`${runtime.apiUrl}/webhooks/woocommerce/${shopId}`, {
    headers: wooHeaders({ topic, secret: WOO_SECRET, body, ...opts }),
    body,
  });
}

const shopifyRaw = (name: FixtureName<'shopify'>) => loadFixture('shopify', name).raw;
const shopifyBody = (name: FixtureName<'shopify'>) => loadFixture('shopify', name).body;
const wooRaw = (name: FixtureName<'woocommerce'>) => loadFixture('woocommerce', name).raw;
const wooBody = (name: FixtureName<'woocommerce'>) => loadFixture('woocommerce', name).body;

function expectAnswer(res: RawResponse, status: number, body: Record<string, unknown>) {
  expect({ status: res.status, body: res.json }, res.text).toEqual({ status, body });
}

function expectUnauthorized(res: RawResponse, what: string) {
  expect(res.status, `${what}: ${res.text}`).toBe(401);
  expect(res.json?.error?.code, what).toBe('unauthorized');
}

/**
 * Runs `act`, lets the stack settle, and checks that the queue saw nothing and the shop's items
 * are as they were. A delivery that Shopify gets a 2xx for is remembered by its webhook id (a
 * marker item, so a retry is answered duplicate_delivery): `acceptedDeliveries` allows exactly
 * those markers, and nothing else, to appear.
 */
async function expectNothingChanges(shopId: string, act: () => Promise<void>, acceptedDeliveries = 0) {
  const before = await shopItems(db, shopId);
  const sentBefore = enqueued();
  await act();
  await settle();
  expect(enqueued(), 'messages enqueued').toBe(sentBefore);
  const after = await shopItems(db, shopId);
  const isNew = (item: Record<string, unknown>) => !before.some((old) => old.PK === item.PK && old.SK === item.SK);
  const markers = after.filter((item) => isNew(item) && item.SK === 'DLV');
  expect(markers).toHaveLength(acceptedDeliveries);
  expect(after.filter((item) => !markers.includes(item))).toEqual(before);
}

/** Timeline entries that deliveries write (orders, refunds, customer changes, privacy); loyalty's own entries (tiers, points) are left out. */
const DELIVERY_ENTRIES = ['order', 'refund', 'customer', 'privacy'];
const fromDeliveries = (entries: Array<Record<string, unknown>>) =>
  entries.filter((entry) => DELIVERY_ENTRIES.includes(String(entry.type)));

async function timelineOf(apiKey: string, customerId: string) {
  const res = await apiGet(runtime, apiKey, `/v1/customers/${customerId}/timeline?limit=100`);
  expect(res.status, res.text).toBe(200);
  return fromDeliveries(res.json.items);
}

async function profileById(apiKey: string, customerId: string) {
  const res = await apiGet(runtime, apiKey, `/v1/customers/${customerId}`);
  expect(res.status, res.text).toBe(200);
  return res.json;
}

const usd = (amount: number) => ({ amount, currency: 'USD' });

// ── Shopify ───────────────────────────────────────────────────────────────────────────────────

/**
 * The sample order (orders_create = orders_paid): id 820982911946154508 (above 2^53), created
 * 2021-12-31T19:00:00-05:00 = 2022-01-01T00:00:00Z, total_price_set.shop_money 404.95 USD, five
 * lines adding up to 414.95 before a 20.00 discount and 10.00 shipping, `test: true`, and
 * cancelled (cancelled_at set, financial_status voided): it counts nothing. Its customer is
 * 115310627314723954, John Smith, john@example.com (the order's own contact email is jon@…),
 * locale en, default address Ottawa, CA, no marketing consent state (so: unsubscribed).
 */
const SAMPLE_ORDER_ID = '820982911946154508';
const JOHN = 'shopify:115310627314723954';
const BOB = 'shopify:706405506930370084';

describe('Shopify route, every sample topic, on a shop that keeps test orders', () => {
  const shopId = 'sfy-live';
  let apiKey: string;
  let johnId: string;
  let bobId: string;

  beforeAll(async () => {
    apiKey = await createShopOverHttp(runtime, {
      shopId,
      secrets: { shopify: SHOPIFY_SECRET, woocommerce: WOO_SECRET },
      settings: { ignoreTestOrders: false },
    });
  });

  it('orders/create: the sample makes John Smith a customer whose cancelled order counts nothing', async () => {
    const sent = enqueued();
    const res = await postShopify(shopId, 'orders/create', shopifyRaw('orders_create'), { triggeredAt: '2022-01-01T00:00:01.000Z' });
    expectAnswer(res, 202, { accepted: 1, ignored: 0 });
    expect(enqueued()).toBe(sent + 1);
    await settle();
    const john = await lookup(runtime, apiKey, 'externalId', JOHN);
    expect(john).toMatchObject({
      shopId,
      email: 'john@example.com',
      phone: null,
      name: 'John Smith',
      firstName: 'John',
      lastName: 'Smith',
      locale: 'en',
      country: 'CA',
      city: 'Ottawa',
      externalIds: [JOHN],
      consent: { email: 'unsubscribed' },
      orderCount: 0,
      totalSpent: usd(0),
      refunded: usd(0),
      firstOrderAt: null,
      lastOrderAt: null,
    });
    johnId = john.customerId;
    expect(johnId).toMatch(/^c_[0-9a-f]{20}$/);
    expect((await lookup(runtime, apiKey, 'email', 'John@Example.com'))?.customerId).toBe(johnId);
    // The order's contact email is not an identity of the customer: the customer's own email is.
    expect(await lookup(runtime, apiKey, 'email', 'jon@example.com')).toBeUndefined();
    const timeline = await timelineOf(apiKey, johnId);
    expect(timeline).toEqual([
      expect.objectContaining({
        type: 'order',
        source: 'shopify',
        orderId: SAMPLE_ORDER_ID,
        status: 'cancelled',
        total: usd(40495),
        at: '2022-01-01T00:00:01.000Z',
      }),
    ]);
  });

  it('orders/paid: the same state again changes nothing; the same delivery again is answered duplicate_delivery', async () => {
    const before = await lookup(runtime, apiKey, 'externalId', JOHN);
    const webhookId = 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043';
    const first = await postShopify(shopId, 'orders/paid', shopifyRaw('orders_paid'), { webhookId });
    expectAnswer(first, 202, { accepted: 1, ignored: 0 });
    await settle();
    expect(await lookup(runtime, apiKey, 'externalId', JOHN)).toEqual(before);
    await expectNothingChanges(shopId, async () => {
      const again = await postShopify(shopId, 'orders/paid', shopifyRaw('orders_paid'), { webhookId });
      expectAnswer(again, 200, { accepted: 0, ignored: 0, note: 'duplicate_delivery' });
    });
    expect(await lookup(runtime, apiKey, 'externalId', JOHN)).toEqual(before);
  });

  it('orders/updated: once paid and no longer cancelled, the order counts its shop_money total, 404.95', async () => {
    const body = shopifyBody('orders_paid');
    Object.assign(body, {
      cancelled_at: null,
      cancel_reason: null,
      financial_status: 'paid',
      updated_at: '2022-01-02T09:30:00-05:00',
      // The customer paid in CAD: the presentment amount must not be read as the shop's money.
      total_price_set: {
        shop_money: { amount: '404.95', currency_code: 'USD' },
        presentment_money: { amount: '555.00', currency_code: 'CAD' },
      },
    });
    const res = await postShopify(shopId, 'orders/updated', JSON.stringify(body), { triggeredAt: '2022-01-02T14:30:00.000Z' });
    expectAnswer(res, 202, { accepted: 1, ignored: 0 });
    await settle();
    expect(await lookup(runtime, apiKey, 'externalId', JOHN)).toMatchObject({
      customerId: johnId,
      orderCount: 1,
      totalSpent: usd(40495),
      refunded: usd(0),
      firstOrderAt: '2022-01-01T00:00:00.000Z',
      lastOrderAt: '2022-01-01T00:00:00.000Z',
      spendByMonth: { '2022-01': 40495 },
    });
  });

  it('an unknown topic, signed, is answered 200 and ignored', async () => {
    await expectNothingChanges(
      shopId,
      async () => {
        const res = await postShopify(shopId, 'products/create', '{"id":632910392,"title":"IPod Nano - 8GB"}');
        expectAnswer(res, 200, { accepted: 0, ignored: 0, note: 'unknown_topic' });
      },
      1,
    );
  });

  it('refunds/create: the sample returns 85.00 — its two successful transactions, not its line subtotals (414.95)', async () => {
    const res = await postShopify(shopId, 'refunds/create', shopifyRaw('refunds_create'));
    expectAnswer(res, 202, { accepted: 1, ignored: 0 });
    await settle();
    expect(await lookup(runtime, apiKey, 'externalId', JOHN)).toMatchObject({
      orderCount: 1,
      totalSpent: usd(40495 - 8500),
      refunded: usd(8500),
      firstOrderAt: '2022-01-01T00:00:00.000Z',
    });
    expect(await timelineOf(apiKey, johnId)).toContainEqual(
      expect.objectContaining({
        type: 'refund',
        refundId: '890088186047892319',
        amount: usd(8500),
        at: '2022-01-01T00:00:00.000Z',
      }),
    );
  });

  it('customers/create and customers/update: Bob Biller, then only newer details win', async () => {
    // customers_create: 706405506930370084, Bob Biller, bob@biller.com, no phone (the address phone
    // is not his identity), Ottawa CA, updated 2021-12-31T19:00:00-05:00, no consent state.
    expectAnswer(await postShopify(shopId, 'customers/create', shopifyRaw('customers_create')), 202, { accepted: 1, ignored: 0 });
    await settle();
    const bob = await lookup(runtime, apiKey, 'externalId', BOB);
    expect(bob).toMatchObject({
      email: 'bob@biller.com',
      phone: null,
      name: 'Bob Biller',
      country: 'CA',
      city: 'Ottawa',
      locale: null,
      consent: { email: 'unsubscribed' },
      orderCount: 0,
      totalSpent: usd(0),
      firstOrderAt: null,
      externalIds: [BOB],
    });
    bobId = bob.customerId;
    expect(bobId).not.toBe(johnId);

    // customers_update is byte-for-byte the create sample: a second delivery of the same state.
    expectAnswer(await postShopify(shopId, 'customers/update', shopifyRaw('customers_update')), 202, { accepted: 1, ignored: 0 });
    await settle();
    expect(await lookup(runtime, apiKey, 'externalId', BOB)).toEqual(bob);

    const newer = shopifyBody('customers_update');
    Object.assign(newer, {
      first_name: 'Robert',
      phone: '+16135550199',
      updated_at: '2022-02-01T10:00:00-05:00',
      email_marketing_consent: { state: 'subscribed', opt_in_level: 'single_opt_in', consent_updated_at: '2022-02-01T10:00:00-05:00' },
    });
    expectAnswer(await postShopify(shopId, 'customers/update', JSON.stringify(newer)), 202, { accepted: 1, ignored: 0 });
    const older = shopifyBody('customers_update');
    Object.assign(older, { first_name: 'Bobby', updated_at: '2021-06-01T00:00:00-05:00' });
    expectAnswer(await postShopify(shopId, 'customers/update', JSON.stringify(older)), 202, { accepted: 1, ignored: 0 });
    await settle();
    expect(await lookup(runtime, apiKey, 'phone', '(613) 555-0199')).toMatchObject({
      customerId: bobId,
      name: 'Robert Biller',
      phone: '+16135550199',
      email: 'bob@biller.com',
      consent: { email: 'subscribed' },
    });
  });

  it('customers/delete: Bob’s contact details and identities are erased', async () => {
    expectAnswer(await postShopify(shopId, 'customers/delete', shopifyRaw('customers_delete')), 202, { accepted: 1, ignored: 0 });
    await settle();
    expect(await lookup(runtime, apiKey, 'externalId', BOB)).toBeUndefined();
    expect(await lookup(runtime, apiKey, 'email', 'bob@biller.com')).toBeUndefined();
    expect(await lookup(runtime, apiKey, 'phone', '+16135550199')).toBeUndefined();
    const bob = await profileById(apiKey, bobId);
    expect(bob).toMatchObject({ email: null, phone: null, name: null, city: null, externalIds: [], erasedAt: expect.any(String) });
    expect(await timelineOf(apiKey, bobId)).toContainEqual(expect.objectContaining({ type: 'privacy', action: 'erased' }));
    // John is someone else.
    expect((await lookup(runtime, apiKey, 'externalId', JOHN))?.email).toBe('john@example.com');
  });

  it('customers/data_request: a privacy entry on the timeline of the customer it names, and the export', async () => {
    // The request names customer 191167, john@example.com, 555-625-1199: the email is John's.
    const triggeredAt = '2022-03-01T12:00:00.000Z';
    const res = await postShopify(shopId, 'customers/data_request', shopifyRaw('customers_data_request'), { triggeredAt });
    expectAnswer(res, 202, { accepted: 1, ignored: 0 });
    await settle();
    expect(await timelineOf(apiKey, johnId)).toContainEqual(
      expect.objectContaining({ type: 'privacy', action: 'data_requested', requestId: '9999', source: 'shopify', at: triggeredAt }),
    );
    expect(await profileById(apiKey, johnId)).toMatchObject({ dataRequestedAt: triggeredAt });
    const exported = await apiGet(runtime, apiKey, `/v1/customers/${johnId}/export`);
    expect(exported.status, exported.text).toBe(200);
    expect(exported.json.profile).toMatchObject({ customerId: johnId, email: 'john@example.com', name: 'John Smith', orderCount: 1 });
    expect(exported.json.orders).toEqual([
      expect.objectContaining({ orderId: SAMPLE_ORDER_ID, status: 'paid', total: 40495, customerId: johnId }),
    ]);
    expect(
      fromDeliveries(exported.json.timeline)
        .map((entry) => entry.type)
        .sort(),
    ).toEqual(['order', 'order', 'privacy', 'refund']);
  });

  it('orders/delete: the deleted order counts no more', async () => {
    const res = await postShopify(shopId, 'orders/delete', shopifyRaw('orders_delete'), { triggeredAt: '2022-03-02T00:00:00.000Z' });
    expectAnswer(res, 202, { accepted: 1, ignored: 0 });
    await settle();
    expect(await profileById(apiKey, johnId)).toMatchObject({
      orderCount: 0,
      totalSpent: usd(0),
      refunded: usd(0),
      firstOrderAt: null,
      lastOrderAt: null,
    });
  });

  it('customers/redact: the customer’s email and phone are gone', async () => {
    expectAnswer(await postShopify(shopId, 'customers/redact', shopifyRaw('customers_redact')), 202, { accepted: 1, ignored: 0 });
    await settle();
    expect(await profileById(apiKey, johnId)).toMatchObject({
      email: null,
      phone: null,
      name: null,
      externalIds: [],
      erasedAt: expect.any(String),
    });
    expect(await lookup(runtime, apiKey, 'email', 'john@example.com')).toBeUndefined();
    expect(await lookup(runtime, apiKey, 'externalId', JOHN)).toBeUndefined();
    const items = JSON.stringify(await shopItems(db, shopId));
    for (const pii of ['john@example.com', 'bob@biller.com', 'Smith', 'Biller', '6135550199']) expect(items).not.toContain(pii);
  });

  it('shop/redact: everything the shop held is erased, the shop itself included', async () => {
    expect((await shopItems(db, shopId)).length).toBeGreaterThan(5);
    expectAnswer(await postShopify(shopId, 'shop/redact', shopifyRaw('shop_redact')), 202, { accepted: 1, ignored: 0 });
    await settle();
    // Left: Shopify delivery markers (a webhook id and an expiry, 72 hours) and the tombstones of
    // erased identities (a hash and an expiry, 7 days) — no personal data, gone by TTL.
    const left = await shopItems(db, shopId);
    const expiring = (item: Record<string, unknown>) =>
      typeof item.expiresAt === 'number' &&
      ((item.SK === 'DLV' && Object.keys(item).length === 3) ||
        (String(item.PK).startsWith(`SHOP#${shopId}#ID#erased#`) && Object.keys(item).length === 3));
    expect(left.filter((item) => !expiring(item))).toEqual([]);
    // Functions keep a shop for up to 30 s per container (shared/deps.ts); once that lapses the
    // shop's key and secrets are unknown. A delivery to a shop that is gone is answered as a bad
    // signature is: a webhook route never tells whether a shop exists.
    resetShopCache();
    expect((await apiGet(runtime, apiKey, `/v1/customers/${johnId}`)).status).toBe(401);
    const late = await postShopify(shopId, 'orders/create', shopifyRaw('orders_create'));
    expectAnswer(late, 401, { error: { code: 'unauthorized', message: 'X-Shopify-Hmac-Sha256 does not match the body' } });
  });
});

describe('Shopify test orders on a shop with the default settings', () => {
  const shopId = 'sfy-default';
  let apiKey: string;

  beforeAll(async () => {
    apiKey = await createShopOverHttp(runtime, { shopId, secrets: { shopify: SHOPIFY_SECRET } });
  });

  it('answers the sample orders (test orders) 200, ignored, and writes nothing but their delivery markers', async () => {
    const deliveries = [
      ['orders/create', 'orders_create'],
      ['orders/paid', 'orders_paid'],
      ['orders/updated', 'orders_paid'],
      ['orders/cancelled', 'orders_paid'],
    ] as const;
    await expectNothingChanges(
      shopId,
      async () => {
        for (const [topic, name] of deliveries) {
          expectAnswer(await postShopify(shopId, topic, shopifyRaw(name)), 200, { accepted: 0, ignored: 1 });
        }
      },
      deliveries.length,
    );
    expect(await lookup(runtime, apiKey, 'externalId', JOHN)).toBeUndefined();
  });
});

describe('Shopify signatures: a tampered body or a wrong secret is refused on every topic', () => {
  const shopId = 'sfy-guarded';
  let apiKey: string;

  beforeAll(async () => {
    apiKey = await createShopOverHttp(runtime, {
      shopId,
      secrets: { shopify: SHOPIFY_SECRET, woocommerce: WOO_SECRET },
      settings: { ignoreTestOrders: false },
    });
    // Something to lose: John's order and Bob, so that a forged privacy topic would show.
    await postShopify(shopId, 'orders/create', shopifyRaw('orders_create'));
    await postShopify(shopId, 'customers/create', shopifyRaw('customers_create'));
    await settle();
  });

  const samples: Array<[string, FixtureName<'shopify'>]> = [
    ['orders/create', 'orders_create'],
    ['orders/paid', 'orders_paid'],
    ['orders/updated', 'orders_paid'],
    ['orders/cancelled', 'orders_paid'],
    ['orders/delete', 'orders_delete'],
    ['refunds/create', 'refunds_create'],
    ['customers/create', 'customers_create'],
    ['customers/update', 'customers_update'],
    ['customers/delete', 'customers_delete'],
    ['customers/data_request', 'customers_data_request'],
    ['customers/redact', 'customers_redact'],
    ['shop/redact', 'shop_redact'],
  ];

  it.each(samples)('%s: 401 for a tampered body, a wrong secret, the WooCommerce secret or no signature', async (topic, name) => {
    const raw = shopifyRaw(name);
    const url = `${runtime.apiUrl}/webhooks/shopify/${shopId}`;
    expect((await lookup(runtime, apiKey, 'externalId', BOB))?.email).toBe('bob@biller.com');
    await expectNothingChanges(shopId, async () => {
      const tampered = tamperOneByte(raw);
      expect(tampered).not.toBe(raw);
      // Signed over the original bytes, delivered with one byte changed.
      const headers = shopifyHeaders({ topic, secret: SHOPIFY_SECRET, body: raw });
      expectUnauthorized(await send(url, { headers, body: tampered }), 'tampered body');
      expectUnauthorized(await postShopify(shopId, topic, raw, { secret: WRONG_SECRET }), 'wrong secret');
      expectUnauthorized(await postShopify(shopId, topic, raw, { secret: WOO_SECRET }), 'the other sender’s secret');
      const { 'X-Shopify-Hmac-Sha256': _omitted, ...unsigned } = shopifyHeaders({ topic, secret: SHOPIFY_SECRET, body: raw });
      expectUnauthorized(await send(url, { headers: unsigned, body: raw }), 'no signature');
      // A hex digest of the right HMAC is not Shopify's encoding (base64).
      expectUnauthorized(await postShopify(shopId, topic, raw, { hmac: 'a'.repeat(64) }), 'hex signature');
    });
  });
});

// ── WooCommerce ───────────────────────────────────────────────────────────────────────────────

/**
 * The REST v3 order sample (order.json): id 727, status processing (paid), guest (customer_id 0),
 * total 29.35 USD, created 2017-03-22T19:28:02 GMT, modified 19:28:08 GMT; billing John Doe,
 * john.doe@example.com, (555) 555-5555, San Francisco, US. order_updated.json is the same order
 * completed (still paid), modified 19:30:35 GMT. The refund sample (order_refund.json) is id 726,
 * 10.00; in a webhook it arrives inside order.updated as `refunds: [{id, reason, total: "-10.00"}]`.
 * The customer sample is id 25, John Doe, the same email, modified 2017-03-21T19:09:30 GMT.
 */
describe('WooCommerce route, every sample, on one shop', () => {
  const shopId = 'woo-live';
  let apiKey: string;
  let johnId: string;

  beforeAll(async () => {
    apiKey = await createShopOverHttp(runtime, { shopId, secrets: { woocommerce: WOO_SECRET } });
  });

  it('answers the unsigned creation ping exactly 200 and writes nothing', async () => {
    await expectNothingChanges(shopId, async () => {
      const res = await send(`${runtime.apiUrl}/webhooks/woocommerce/${shopId}`, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'WooCommerce/9.8.0 Hookshot (WordPress/6.8)' },
        body: 'webhook_id=123',
      });
      expectAnswer(res, 200, { accepted: 0, ignored: 0, note: 'ping' });
    });
  });

  it('answers the same ping to a shop that does not exist alike, so the unsigned ping tells nobody which shops exist', async () => {
    const res = await send(`${runtime.apiUrl}/webhooks/woocommerce/woo-no-such-shop`, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'WooCommerce/9.8.0 Hookshot (WordPress/6.8)' },
      body: 'webhook_id=123',
    });
    expectAnswer(res, 200, { accepted: 0, ignored: 0, note: 'ping' });
  });

  it('order.created: the processing guest order counts 29.35', async () => {
    expectAnswer(await postWoo(shopId, 'order.created', wooRaw('order')), 202, { accepted: 1, ignored: 0 });
    await settle();
    const john = await lookup(runtime, apiKey, 'email', 'john.doe@example.com');
    expect(john).toMatchObject({
      shopId,
      email: 'john.doe@example.com',
      phone: '+15555555555',
      name: 'John Doe',
      country: 'US',
      city: 'San Francisco',
      externalIds: [],
      consent: { email: 'unsubscribed' },
      orderCount: 1,
      totalSpent: usd(2935),
      refunded: usd(0),
      firstOrderAt: '2017-03-22T19:28:02.000Z',
      lastOrderAt: '2017-03-22T19:28:02.000Z',
    });
    johnId = john.customerId;
    expect((await lookup(runtime, apiKey, 'phone', '(555) 555-5555'))?.customerId).toBe(johnId);
    expect(await timelineOf(apiKey, johnId)).toEqual([
      expect.objectContaining({ type: 'order', source: 'woocommerce', orderId: '727', status: 'paid', at: '2017-03-22T19:28:08.000Z' }),
    ]);
  });

  it('order.updated: the completed order is still one paid order of 29.35', async () => {
    expectAnswer(await postWoo(shopId, 'order.updated', wooRaw('order_updated')), 202, { accepted: 1, ignored: 0 });
    await settle();
    expect(await profileById(apiKey, johnId)).toMatchObject({ orderCount: 1, totalSpent: usd(2935), refunded: usd(0) });
    const exported = await apiGet(runtime, apiKey, `/v1/customers/${johnId}/export`);
    expect(exported.json.orders).toEqual([
      expect.objectContaining({ orderId: '727', status: 'paid', total: 2935, updatedAt: '2017-03-22T19:30:35.000Z' }),
    ]);
  });

  it('the refund, as order.updated delivers it: 10.00 back, counted once however often it is delivered', async () => {
    const refund = wooBody('order_refund');
    const body = wooBody('order_updated');
    Object.assign(body, {
      date_modified: '2017-03-22T16:45:00',
      date_modified_gmt: '2017-03-22T19:45:00',
      refunds: [{ id: refund.id, reason: refund.reason, total: `-${refund.amount}` }],
    });
    const raw = JSON.stringify(body);
    // The order state and one refund event.
    expectAnswer(await postWoo(shopId, 'order.updated', raw), 202, { accepted: 2, ignored: 0 });
    await settle();
    const refunded = await profileById(apiKey, johnId);
    expect(refunded).toMatchObject({ orderCount: 1, totalSpent: usd(2935 - 1000), refunded: usd(1000) });
    expect(await timelineOf(apiKey, johnId)).toContainEqual(
      expect.objectContaining({ type: 'refund', refundId: '726', amount: usd(1000), at: '2017-03-22T19:45:00.000Z' }),
    );
    // WooCommerce gives every delivery a new delivery id: the same body again changes nothing.
    expectAnswer(await postWoo(shopId, 'order.updated', raw), 202, { accepted: 2, ignored: 0 });
    await settle();
    expect(await profileById(apiKey, johnId)).toEqual(refunded);
  });

  it('customer.created and customer.updated: the registered customer is the same person, newer details win', async () => {
    expectAnswer(await postWoo(shopId, 'customer.created', wooRaw('customer')), 202, { accepted: 1, ignored: 0 });
    await settle();
    // Known by email from the guest order: the external id joins that profile.
    expect(await lookup(runtime, apiKey, 'externalId', 'woocommerce:25')).toMatchObject({
      customerId: johnId,
      name: 'John Doe',
      email: 'john.doe@example.com',
      externalIds: ['woocommerce:25'],
      orderCount: 1,
      totalSpent: usd(1935),
    });
    const body = wooBody('customer');
    Object.assign(body, { first_name: 'Johnny', date_modified: '2017-04-01T05:00:00', date_modified_gmt: '2017-04-01T08:00:00' });
    expectAnswer(await postWoo(shopId, 'customer.updated', JSON.stringify(body)), 202, { accepted: 1, ignored: 0 });
    await settle();
    expect(await profileById(apiKey, johnId)).toMatchObject({ name: 'Johnny Doe', firstName: 'Johnny', lastName: 'Doe' });
  });

  it('order.deleted {"id": 727}: the order counts no more', async () => {
    expectAnswer(await postWoo(shopId, 'order.deleted', '{"id":727}'), 202, { accepted: 1, ignored: 0 });
    await settle();
    expect(await profileById(apiKey, johnId)).toMatchObject({
      orderCount: 0,
      totalSpent: usd(0),
      refunded: usd(0),
      firstOrderAt: null,
    });
  });

  it('customer.deleted {"id": 25}: contact details and identities are erased', async () => {
    expectAnswer(await postWoo(shopId, 'customer.deleted', '{"id":25}'), 202, { accepted: 1, ignored: 0 });
    await settle();
    expect(await profileById(apiKey, johnId)).toMatchObject({ email: null, phone: null, name: null, externalIds: [] });
    expect(await lookup(runtime, apiKey, 'externalId', 'woocommerce:25')).toBeUndefined();
    expect(await lookup(runtime, apiKey, 'email', 'john.doe@example.com')).toBeUndefined();
    expect(await lookup(runtime, apiKey, 'phone', '+15555555555')).toBeUndefined();
  });
});

describe('WooCommerce signatures: a tampered body or a wrong secret is refused on every topic', () => {
  const shopId = 'woo-guarded';
  let apiKey: string;

  beforeAll(async () => {
    apiKey = await createShopOverHttp(runtime, { shopId, secrets: { woocommerce: WOO_SECRET, shopify: SHOPIFY_SECRET } });
    await postWoo(shopId, 'order.created', wooRaw('order'));
    await settle();
    await postWoo(shopId, 'customer.created', wooRaw('customer'));
    await settle();
  });

  const refunded = (): string => {
    const body: JsonObject = wooBody('order_updated');
    body.refunds = [{ id: 726, reason: '', total: '-10.00' }];
    return JSON.stringify(body);
  };
  const samples: Array<[string, () => string]> = [
    ['order.created', () => wooRaw('order')],
    ['order.updated', () => wooRaw('order_updated')],
    ['order.updated', refunded],
    ['order.deleted', () => '{"id":727}'],
    ['customer.created', () => wooRaw('customer')],
    ['customer.updated', () => wooRaw('customer')],
    ['customer.deleted', () => '{"id":25}'],
  ];

  it.each(samples)('%s: 401 for a tampered body, a wrong secret, the Shopify secret or no signature', async (topic, body) => {
    const raw = body();
    const url = `${runtime.apiUrl}/webhooks/woocommerce/${shopId}`;
    expect((await lookup(runtime, apiKey, 'externalId', 'woocommerce:25'))?.orderCount).toBe(1);
    await expectNothingChanges(shopId, async () => {
      const headers = wooHeaders({ topic, secret: WOO_SECRET, body: raw });
      expectUnauthorized(await send(url, { headers, body: tamperOneByte(raw) }), 'tampered body');
      expectUnauthorized(await postWoo(shopId, topic, raw, { secret: WRONG_SECRET }), 'wrong secret');
      expectUnauthorized(await postWoo(shopId, topic, raw, { secret: SHOPIFY_SECRET }), 'the other sender’s secret');
      const { 'X-WC-Webhook-Signature': _omitted, ...unsigned } = headers;
      expectUnauthorized(await send(url, { headers: unsigned, body: raw }), 'no signature');
    });
  });

  it('a ping-shaped body that carries a wrong signature is not a ping: 401', async () => {
    await expectNothingChanges(shopId, async () => {
      expectUnauthorized(await postWoo(shopId, 'order.created', 'webhook_id=123', { secret: WRONG_SECRET }), 'signed ping');
    });
  });
});
