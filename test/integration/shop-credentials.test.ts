import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import type { Db } from '#shared/data/db.ts';
import { platformCredentials, storefrontSecretOf, storefrontSecretsOf } from '#shared/data/shop-credentials.ts';
import { getShop } from '#shared/data/shop-repo.ts';
import { apiGet, createShopOverHttp, startTestRuntime } from '#test/support/local-api.ts';
import { type RawResponse, send } from '#test/support/senders.ts';

/**
 * The shop's storefront secret and platform credentials through PATCH /v1/shop: stored sealed under
 * their own contexts, shown only as "set" (a domain, a site URL), a replaced storefront secret kept
 * 24 hours, null removing credentials, the activity without values, and every bad input a 400 naming
 * its field.
 */

const SHOP = 'credentials-shop';
const STOREFRONT = 'sf_the-storefront-secret-of-this-shop-0001';
const STOREFRONT_NEXT = 'sf_the-storefront-secret-of-this-shop-0002';
const SHOPIFY = { domain: 'Tra-Sen.myshopify.com', adminAccessToken: 'shpat_0123456789abcdef0123456789abcdef' };
const WOO = {
  url: 'https://shop.example.vn/store/',
  consumerKey: 'ck_0123456789abcdef0123456789abcdef01234567',
  consumerSecret: 'cs_0123456789abcdef0123456789abcdef01234567',
};

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let apiKey: string;
let masterKey: string;

beforeAll(async () => {
  ({ runtime, db, stop } = await startTestRuntime());
  masterKey = process.env.RAPPORT_MASTER_KEY as string;
  apiKey = await createShopOverHttp(runtime, { shopId: SHOP });
});
afterAll(async () => stop?.());

const patch = (body: unknown) =>
  send(`${runtime.apiUrl}/v1/shop`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const expectField = (res: RawResponse, field: string) => {
  expect(res.status, res.text).toBe(400);
  expect(res.json.error.field).toBe(field);
};

const latestChanges = async () => (await apiGet(runtime, apiKey, '/v1/shop/activity?limit=1')).json.items[0].changes;

describe('the storefront secret', () => {
  it('is set sealed, shown as set, and read back by storefrontSecretOf', async () => {
    const before = await apiGet(runtime, apiKey, '/v1/shop');
    expect(before.json.secrets.storefront).toBe(false);
    expect(storefrontSecretOf((await getShop(db, SHOP, true))!, masterKey)).toBeUndefined();

    const res = await patch({ secrets: { storefront: STOREFRONT } });
    expect(res.status, res.text).toBe(200);
    expect(res.json.secrets).toEqual({ shopify: false, woocommerce: false, generic: true, storefront: true });
    expect(res.text).not.toContain(STOREFRONT);
    const stored = (await getShop(db, SHOP, true))!;
    expect(stored.storefrontSecret).toMatch(/^v1\./);
    expect(JSON.stringify(stored)).not.toContain(STOREFRONT);
    expect(storefrontSecretOf(stored, masterKey)).toBe(STOREFRONT);
    expect(await latestChanges()).toEqual([{ field: 'secrets.storefront', change: 'set' }]);
    // The same secret again changes nothing.
    await patch({ secrets: { storefront: STOREFRONT } });
    expect(await latestChanges()).toEqual([{ field: 'secrets.storefront', change: 'set' }]);
  });

  it('keeps the replaced one valid for 24 hours, and only the one just replaced', async () => {
    const res = await patch({ secrets: { storefront: STOREFRONT_NEXT } });
    expect(res.status).toBe(200);
    const until = Date.parse(res.json.previousSecretsValidUntil.storefront);
    expect(until - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    expect(until - Date.now()).toBeLessThanOrEqual(24 * 3_600_000);
    const stored = (await getShop(db, SHOP, true))!;
    expect(storefrontSecretsOf(stored, masterKey, new Date())).toEqual([STOREFRONT_NEXT, STOREFRONT]);
    expect(storefrontSecretsOf(stored, masterKey, new Date(until + 1))).toEqual([STOREFRONT_NEXT]);
    expect(await latestChanges()).toEqual([{ field: 'secrets.storefront', change: 'replaced' }]);
  });

  it('is sealed for this shop: a sealed value copied onto another shop does not open', async () => {
    const stored = (await getShop(db, SHOP, true))!;
    expect(() => storefrontSecretOf({ ...stored, shopId: 'another-shop' }, masterKey)).toThrow();
  });

  it('refuses a secret shorter than 32 characters or with spaces', async () => {
    expectField(await patch({ secrets: { storefront: 'sixteen-chars-01' } }), 'secrets.storefront');
    expectField(await patch({ secrets: { storefront: `${'x'.repeat(32)} y` } }), 'secrets.storefront');
    expectField(await patch({ secrets: { storefront: 42 } }), 'secrets.storefront');
  });
});

describe('platform credentials', () => {
  it('stores Shopify credentials sealed, shows the domain only, and platformCredentials opens them', async () => {
    const res = await patch({ shopify: SHOPIFY });
    expect(res.status, res.text).toBe(200);
    expect(res.json.shopify).toEqual({ domain: 'tra-sen.myshopify.com' });
    expect(res.json.woocommerce).toBeNull();
    expect(res.text).not.toContain(SHOPIFY.adminAccessToken);
    const stored = (await getShop(db, SHOP, true))!;
    expect(JSON.stringify(stored)).not.toContain(SHOPIFY.adminAccessToken);
    expect(platformCredentials(stored, masterKey)).toEqual({
      kind: 'shopify',
      domain: 'tra-sen.myshopify.com',
      accessToken: SHOPIFY.adminAccessToken,
    });
    expect(await latestChanges()).toEqual([{ field: 'shopify', change: 'set' }]);
    expect((await apiGet(runtime, apiKey, '/v1/shop/activity')).text).not.toContain('shpat_');
  });

  it('stores WooCommerce credentials sealed; Shopify wins while both are there', async () => {
    const res = await patch({ woocommerce: WOO });
    expect(res.status, res.text).toBe(200);
    expect(res.json.woocommerce).toEqual({ url: 'https://shop.example.vn/store' });
    expect(res.text).not.toMatch(/ck_|cs_/);
    const stored = (await getShop(db, SHOP, true))!;
    expect(JSON.stringify(stored)).not.toMatch(/ck_0123|cs_0123/);
    expect(platformCredentials(stored, masterKey)?.kind).toBe('shopify');
    expect(platformCredentials({ ...stored, shopify: undefined }, masterKey)).toEqual({
      kind: 'woocommerce',
      url: 'https://shop.example.vn/store',
      consumerKey: WOO.consumerKey,
      consumerSecret: WOO.consumerSecret,
    });
    // Given again as they are: nothing changes.
    await patch({ woocommerce: WOO, shopify: SHOPIFY });
    expect(await latestChanges()).toEqual([{ field: 'woocommerce', change: 'set' }]);
    await patch({ woocommerce: { ...WOO, consumerSecret: 'cs_ffffffffffffffffffffffffffffffffffffffff' } });
    expect(await latestChanges()).toEqual([{ field: 'woocommerce', change: 'replaced' }]);
  });

  it('removes them with null, and says so on the activity without their values', async () => {
    const res = await patch({ shopify: null });
    expect(res.json.shopify).toBeNull();
    expect(res.json.woocommerce).toEqual({ url: 'https://shop.example.vn/store' });
    expect(await latestChanges()).toEqual([{ field: 'shopify', to: null }]);
    expect(platformCredentials((await getShop(db, SHOP, true))!, masterKey)?.kind).toBe('woocommerce');
    await patch({ woocommerce: null });
    const after = (await getShop(db, SHOP, true))!;
    expect(after.shopify).toBeUndefined();
    expect(after.woocommerce).toBeUndefined();
    expect(platformCredentials(after, masterKey)).toBeUndefined();
    // Removing what is not there changes nothing.
    await patch({ shopify: null, woocommerce: null });
    expect(await latestChanges()).toEqual([{ field: 'woocommerce', to: null }]);
  });

  it('accepts plain http only on loopback', async () => {
    const res = await patch({ woocommerce: { ...WOO, url: 'http://127.0.0.1:8080' } });
    expect(res.status, res.text).toBe(200);
    expect(res.json.woocommerce).toEqual({ url: 'http://127.0.0.1:8080' });
    await patch({ woocommerce: null });
  });

  it('refuses bad credentials with 400 naming the field', async () => {
    expectField(await patch({ shopify: { ...SHOPIFY, domain: 'tra-sen.com' } }), 'shopify.domain');
    expectField(await patch({ shopify: { ...SHOPIFY, domain: 'evil.com/x.myshopify.com' } }), 'shopify.domain');
    expectField(await patch({ shopify: { ...SHOPIFY, adminAccessToken: 'short' } }), 'shopify.adminAccessToken');
    expectField(await patch({ shopify: { domain: SHOPIFY.domain } }), 'shopify.adminAccessToken');
    expectField(await patch({ shopify: { ...SHOPIFY, scope: 'all' } }), 'shopify.scope');
    expectField(await patch({ woocommerce: { ...WOO, url: 'http://shop.example.vn' } }), 'woocommerce.url');
    expectField(await patch({ woocommerce: { ...WOO, url: 'https://user:pw@shop.example.vn' } }), 'woocommerce.url');
    expectField(await patch({ woocommerce: { ...WOO, url: 'https://shop.example.vn/?a=1' } }), 'woocommerce.url');
    expectField(await patch({ woocommerce: { ...WOO, url: 'ftp://shop.example.vn' } }), 'woocommerce.url');
    expectField(await patch({ woocommerce: { ...WOO, consumerKey: 'cs_0123456789abcdef0123' } }), 'woocommerce.consumerKey');
    expectField(await patch({ woocommerce: { ...WOO, consumerSecret: 'ck_0123456789abcdef0123' } }), 'woocommerce.consumerSecret');
    expectField(await patch({ shopify: 'tra-sen.myshopify.com' }), 'shopify');
    const stored = (await getShop(db, SHOP, true))!;
    expect(stored.shopify).toBeUndefined();
    expect(stored.woocommerce).toBeUndefined();
  });
});
