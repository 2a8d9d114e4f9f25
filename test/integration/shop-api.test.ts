import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import type { Db } from '#shared/data/db.ts';
import { getShop } from '#shared/data/shop-repo.ts';
import { loadFixture } from '#test/support/fixtures.ts';
import { apiGet, createShopOverHttp, startTestRuntime } from '#test/support/local-api.ts';
import { type RawResponse, send, shopifyHeaders } from '#test/support/senders.ts';

/**
 * The shop API over HTTP as a shop owner's console uses it: GET|PATCH /v1/shop, the activity of
 * changes, key rotation (the old key refused at once, by a container that has the shop cached), the
 * 24-hour grace of a replaced webhook secret, and the operator's list of shops.
 */

const OLD_SECRET = 'shpss_old-secret-of-the-shop-000001';
const NEW_SECRET = 'shpss_new-secret-of-the-shop-000002';

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let apiKey: string;
let otherKey: string;

beforeAll(async () => {
  ({ runtime, db, stop } = await startTestRuntime());
  apiKey = await createShopOverHttp(runtime, { shopId: 'shop-api', secrets: { shopify: OLD_SECRET } });
  otherKey = await createShopOverHttp(runtime, { shopId: 'shop-api-other' });
});
afterAll(async () => stop?.());

const patch = (key: string, body: unknown) =>
  send(`${runtime.apiUrl}/v1/shop`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const expectField = (res: RawResponse, field: string) => {
  expect(res.status).toBe(400);
  expect(res.json.error.field).toBe(field);
};

const deliverShopify = (secret: string) => {
  const body = loadFixture('shopify', 'customers_create').raw;
  return send(`${runtime.apiUrl}/webhooks/shopify/shop-api`, {
    headers: shopifyHeaders({ topic: 'customers/create', secret, body }),
    body,
  });
};

describe('GET and PATCH /v1/shop', () => {
  it('shows the settings, which secrets are set (never their values) and the webhook URLs', async () => {
    const res = await apiGet(runtime, apiKey, '/v1/shop');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      shopId: 'shop-api',
      name: 'Shop shop-api',
      url: null,
      currency: 'USD',
      locale: 'en-US',
      timezone: 'America/Toronto',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      settings: { ignoreTestOrders: true },
      brand: null,
      secrets: { shopify: true, woocommerce: false, generic: true, storefront: false },
      previousSecretsValidUntil: {},
      webhooks: {
        shopify: `${runtime.apiUrl}/webhooks/shopify/shop-api`,
        woocommerce: `${runtime.apiUrl}/webhooks/woocommerce/shop-api`,
        generic: `${runtime.apiUrl}/webhooks/generic/shop-api`,
      },
      shopify: null,
      woocommerce: null,
    });
    expect(res.text).not.toContain(OLD_SECRET);
    expect(res.text).not.toContain('v1.');
  });

  it('changes only the fields given, answers the shop, and puts each change on the activity without secrets', async () => {
    const res = await patch(apiKey, {
      name: 'Lumen Optics',
      url: 'https://lumen.example.com',
      locale: 'vi-VN',
      timezone: 'Asia/Ho_Chi_Minh',
      settings: { ignoreTestOrders: false },
      secrets: { woocommerce: 'wc-secret-the-shop-chose-0001' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      name: 'Lumen Optics',
      url: 'https://lumen.example.com',
      locale: 'vi-VN',
      timezone: 'Asia/Ho_Chi_Minh',
      currency: 'USD',
      settings: { ignoreTestOrders: false },
      secrets: { shopify: true, woocommerce: true, generic: true },
    });
    expect((await apiGet(runtime, apiKey, '/v1/shop')).json).toEqual(res.json);
    // The local scheduler follows the new time zone.
    const directory = await db.client.send(new GetCommand({ TableName: db.table, Key: { PK: 'SHOPS', SK: 'shop-api' } }));
    expect(directory.Item?.timezone).toBe('Asia/Ho_Chi_Minh');

    const removed = await patch(apiKey, { url: null });
    expect(removed.json.url).toBeNull();
    // Nothing to change: the shop as it is, and no activity entry.
    expect((await patch(apiKey, { name: 'Lumen Optics' })).json.name).toBe('Lumen Optics');

    const activity = await apiGet(runtime, apiKey, '/v1/shop/activity?limit=10');
    expect(activity.status).toBe(200);
    expect(activity.json.items).toHaveLength(2);
    const [latest, first] = activity.json.items;
    expect(latest).toMatchObject({ action: 'shop.updated', changes: [{ field: 'url', from: 'https://lumen.example.com', to: null }] });
    expect(first.changes).toEqual([
      { field: 'name', from: 'Shop shop-api', to: 'Lumen Optics' },
      { field: 'locale', from: 'en-US', to: 'vi-VN' },
      { field: 'timezone', from: 'America/Toronto', to: 'Asia/Ho_Chi_Minh' },
      { field: 'url', from: null, to: 'https://lumen.example.com' },
      { field: 'settings.ignoreTestOrders', from: true, to: false },
      { field: 'secrets.woocommerce', change: 'set' },
    ]);
    expect(first.by).toMatch(/^[0-9a-f]{12}$/);
    expect(activity.text).not.toContain('wc-secret');
    const paged = await apiGet(runtime, apiKey, '/v1/shop/activity?limit=1');
    expect(paged.json.items).toEqual([latest]);
    const next = await apiGet(runtime, apiKey, `/v1/shop/activity?limit=1&cursor=${paged.json.cursor}`);
    expect(next.json.items).toEqual([first]);
  });

  it('refuses bad input with 400 naming the field, currency with the reason', async () => {
    const currency = await patch(apiKey, { currency: 'VND' });
    expectField(currency, 'currency');
    expect(currency.json.error.message).toContain('currency cannot be changed');
    expectField(await patch(apiKey, { timezone: 'Mars/Olympus' }), 'timezone');
    expectField(await patch(apiKey, { locale: 'not a locale!' }), 'locale');
    expectField(await patch(apiKey, { url: 'ftp://lumen.example.com' }), 'url');
    expectField(await patch(apiKey, { name: '' }), 'name');
    expectField(await patch(apiKey, { settings: { ignoreTestOrders: 'no' } }), 'settings.ignoreTestOrders');
    expectField(await patch(apiKey, { settings: { sendEmails: true } }), 'settings.sendEmails');
    expectField(await patch(apiKey, { secrets: { shopify: 'short' } }), 'secrets.shopify');
    expectField(await patch(apiKey, { secrets: { stripe: 'a-long-enough-secret-000' } }), 'secrets.stripe');
    expectField(await patch(apiKey, { apiKeyHashes: [] }), 'apiKeyHashes');
    expectField(await patch(apiKey, [1, 2]), 'body');
    const notJson = await send(`${runtime.apiUrl}/v1/shop`, { method: 'PATCH', headers: { authorization: `Bearer ${apiKey}` }, body: '{' });
    expectField(notJson, 'body');
  });

  it('answers 401 without a key, with a bad one, or with another shop key made to name this shop', async () => {
    expect((await send(`${runtime.apiUrl}/v1/shop`, { method: 'GET' })).status).toBe(401);
    expect((await apiGet(runtime, `rk_shop-api_${'0'.repeat(64)}`, '/v1/shop')).status).toBe(401);
    const forged = otherKey.replace('rk_shop-api-other_', 'rk_shop-api_');
    expect((await apiGet(runtime, forged, '/v1/shop')).status).toBe(401);
    expect((await patch(forged, { name: 'Taken over' })).status).toBe(401);
    expect((await apiGet(runtime, otherKey, '/v1/shop')).json.shopId).toBe('shop-api-other');
  });
});

describe('a replaced webhook secret', () => {
  it('keeps verifying deliveries for 24 hours beside the new one, in a container that had the shop cached', async () => {
    expect((await deliverShopify(OLD_SECRET)).status).toBe(202);
    const res = await patch(apiKey, { secrets: { shopify: NEW_SECRET } });
    expect(res.status).toBe(200);
    const until = Date.parse(res.json.previousSecretsValidUntil.shopify);
    expect(until - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    expect(until - Date.now()).toBeLessThanOrEqual(24 * 3_600_000);
    // The webhook function has the record from before the change in its cache: the new secret
    // fails against it, so the record is read afresh, once.
    expect((await deliverShopify(NEW_SECRET)).status).toBe(202);
    expect((await deliverShopify(OLD_SECRET)).status).toBe(202);
    expect((await deliverShopify('shpss_never-this-shops-secret-0003')).status).toBe(401);
    const stored = await getShop(db, 'shop-api', true);
    expect(JSON.stringify(stored)).not.toContain(NEW_SECRET);
    const activity = await apiGet(runtime, apiKey, '/v1/shop/activity?limit=1');
    expect(activity.json.items[0].changes).toEqual([{ field: 'secrets.shopify', change: 'replaced' }]);
  });
});

describe('POST /v1/shop/api-keys', () => {
  it('answers a new key once; the old key is refused at once, though the shop was cached with it', async () => {
    const old = apiKey;
    // Every function of this process now has the shop cached with the old key's hash.
    expect((await apiGet(runtime, old, '/v1/shop')).status).toBe(200);
    expect((await apiGet(runtime, old, '/v1/customers?email=nobody@example.com')).status).toBe(200);
    const rotated = await send(`${runtime.apiUrl}/v1/shop/api-keys`, { headers: { authorization: `Bearer ${old}` } });
    expect(rotated.status).toBe(201);
    const fresh = rotated.json.apiKey as string;
    expect(fresh).toMatch(/^rk_shop-api_[0-9a-f]{64}$/);
    expect(rotated.json.keyId).toMatch(/^[0-9a-f]{12}$/);
    expect((await apiGet(runtime, old, '/v1/shop')).status).toBe(401);
    expect((await apiGet(runtime, old, '/v1/customers?email=nobody@example.com')).status).toBe(401);
    expect((await send(`${runtime.apiUrl}/v1/shop/api-keys`, { headers: { authorization: `Bearer ${old}` } })).status).toBe(401);
    expect((await apiGet(runtime, fresh, '/v1/shop')).status).toBe(200);
    const stored = await getShop(db, 'shop-api', true);
    expect(stored?.apiKeyHashes).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(fresh);
    const activity = await apiGet(runtime, fresh, '/v1/shop/activity?limit=1');
    expect(activity.json.items[0]).toMatchObject({ action: 'apiKey.rotated' });
    expect(activity.text).not.toContain(fresh.slice(-64));
    apiKey = fresh;
  });
});

describe('GET /admin/shops', () => {
  const admin = () => ({ authorization: `Bearer ${runtime.adminKey}` });

  it('lists the shops by id, a page at a time, with the admin key only', async () => {
    const all = await send(`${runtime.apiUrl}/admin/shops`, { method: 'GET', headers: admin() });
    expect(all.status).toBe(200);
    expect(all.json.items).toEqual([
      expect.objectContaining({ shopId: 'shop-api', name: 'Lumen Optics', currency: 'USD', timezone: 'Asia/Ho_Chi_Minh' }),
      expect.objectContaining({ shopId: 'shop-api-other', name: 'Shop shop-api-other', url: null }),
    ]);
    expect(all.text).not.toMatch(/apiKeyHashes|secrets/);
    const first = await send(`${runtime.apiUrl}/admin/shops?limit=1`, { method: 'GET', headers: admin() });
    expect(first.json.items.map((s: { shopId: string }) => s.shopId)).toEqual(['shop-api']);
    const second = await send(`${runtime.apiUrl}/admin/shops?limit=1&cursor=${first.json.cursor}`, { method: 'GET', headers: admin() });
    expect(second.json.items.map((s: { shopId: string }) => s.shopId)).toEqual(['shop-api-other']);
    const bad = await send(`${runtime.apiUrl}/admin/shops?limit=0`, { method: 'GET', headers: admin() });
    expectField(bad, 'query.limit');
    expectField(await send(`${runtime.apiUrl}/admin/shops?cursor=%25%25`, { method: 'GET', headers: admin() }), 'cursor');
    expect((await apiGet(runtime, apiKey, '/admin/shops')).status).toBe(401);
  });
});
