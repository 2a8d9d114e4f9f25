import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProfile, getTimelinePage } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { getShop, putShopIfAbsent, type ShopRecord } from '#shared/data/shop-repo.ts';
import { markProfileSuppressed } from '#shared/data/suppression-repo.ts';
import type { CanonicalEvent, EventCustomer } from '#shared/domain/event.ts';
import { unsubscribeKey } from '#shared/email/keys.ts';
import { createUnsubscribeToken } from '#shared/email/unsubscribe.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { readUnsubscribeForm, type UnsubscribeDeps, unsubscribe, unsubscribePage } from '#shared/use-cases/unsubscribe.ts';
import { processDepsFor, startTestDb } from '#test/support/dynamo.ts';
import { aCustomer, aShop } from '#test/support/factories.ts';
import { apiRequest, type HttpFunction, lambdaContext, loadHttpFunction } from '#test/support/function-harness.ts';
import { profileView } from '#test/support/profile.ts';

/** GET|POST /unsubscribe?token=… (DESIGN §3, RFC 8058) on the emulated table: the use case, and the handler once as API Gateway calls it. */

const MASTER_KEY = 'test-master-key-0123456789abcdef0123456789';
const NOW = new Date('2026-03-10T12:00:00.000Z');

let db: Db;
let endpoint: string;
let stop: () => Promise<void>;
const deps = (now = NOW): UnsubscribeDeps => ({ db, masterKey: async () => MASTER_KEY, loadShop: (id) => getShop(db, id), now: () => now });

beforeAll(async () => {
  ({ db, endpoint, stop } = await startTestDb());
});
afterAll(async () => stop());

let shopN = 0;
async function newShop(overrides: Partial<ShopRecord> = {}) {
  const shopId = `unsub-${process.pid}-${shopN++}`;
  await putShopIfAbsent(db, aShop(shopId, overrides));
  return shopId;
}

let eventN = 0;
const customerEvent = (shopId: string, customer: EventCustomer): CanonicalEvent => ({
  eventId: `evt-unsub-${eventN++}`,
  shopId,
  type: 'customer.upserted',
  occurredAt: customer.updatedAt ?? '2026-03-01T00:00:00.000Z',
  source: 'shopify',
  customer,
});

/** A subscribed customer, as the shop's customer webhook would make one. */
async function subscribedCustomer(shopId: string, overrides: Partial<EventCustomer> = {}) {
  const customer = aCustomer({ acceptsEmailMarketing: true, updatedAt: '2026-03-01T00:00:00.000Z', ...overrides });
  const { customerId } = await processEvent(customerEvent(shopId, customer), processDepsFor(db, NOW));
  return customerId as string;
}

const tokenFor = (shopId: string, customerId: string, issuedAt = 1_773_000_000) =>
  createUnsubscribeToken({ shopId, customerId, issuedAt }, unsubscribeKey(MASTER_KEY));

const consentOf = async (shopId: string, customerId: string) =>
  profileView((await getProfile(db, shopId, customerId, true))!, 'VND').consent.email;

const unsubscribeEntries = async (shopId: string, customerId: string) =>
  (await getTimelinePage(db, shopId, customerId, 100)).items.filter((item) => item.type === 'email' && item.status === 'unsubscribed');

describe('GET: the confirmation page', () => {
  it('speaks Vietnamese to a vi-VN customer and changes nothing', async () => {
    const shopId = await newShop({ locale: 'en-US' });
    const customerId = await subscribedCustomer(shopId, { locale: 'vi-VN' });
    const before = await getProfile(db, shopId, customerId, true);

    const page = await unsubscribePage(tokenFor(shopId, customerId), deps());

    expect(page).toMatchObject({ shopId, customerId, language: 'vi' });
    expect(page.html).toContain('<html lang="vi">');
    expect(page.html).toContain('Hủy đăng ký nhận email từ Trà Việt?');
    expect(page.html).toMatch(
      /<form method="post"><input type="hidden" name="token" value="v1\.[^"]+"><button type="submit">Hủy đăng ký<\/button><\/form>/,
    );
    expect(page.html).not.toContain('example.com');
    expect(await getProfile(db, shopId, customerId, true)).toEqual(before);
    expect(await consentOf(shopId, customerId)).toBe('subscribed');
    expect(await unsubscribeEntries(shopId, customerId)).toEqual([]);
  });

  it('speaks English to an en customer of a Vietnamese shop, and escapes the shop name', async () => {
    const shopId = await newShop({ name: 'Tea & <Co>' });
    const customerId = await subscribedCustomer(shopId, { locale: 'en' });

    const page = await unsubscribePage(tokenFor(shopId, customerId), deps());

    expect(page.language).toBe('en');
    expect(page.html).toContain('<html lang="en">');
    expect(page.html).toContain('Unsubscribe from Tea &amp; &lt;Co&gt; emails?');
    expect(page.html).not.toContain('<Co>');
    expect(await consentOf(shopId, customerId)).toBe('subscribed');
  });

  it("falls back to the shop's language for a customer without one", async () => {
    const shopId = await newShop({ locale: 'vi-VN' });
    const customerId = await subscribedCustomer(shopId);
    expect((await unsubscribePage(tokenFor(shopId, customerId), deps())).language).toBe('vi');
  });
});

describe('POST: unsubscribe', () => {
  it('withdraws consent at once, logs it on the timeline once, and answers the same when repeated', async () => {
    const shopId = await newShop();
    const customerId = await subscribedCustomer(shopId, { locale: 'vi-VN' });
    const token = tokenFor(shopId, customerId, 1_773_000_123);

    const first = await unsubscribe(token, 'one-click', deps());
    const again = await unsubscribe(token, 'one-click', deps(new Date(NOW.getTime() + 60_000)));

    expect(first).toMatchObject({ shopId, customerId, changed: true, language: 'vi' });
    expect(first.html).toContain('Bạn đã hủy đăng ký thành công');
    expect(again).toMatchObject({ changed: false, html: first.html });
    expect(await consentOf(shopId, customerId)).toBe('unsubscribed');
    const entries = await unsubscribeEntries(shopId, customerId);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      at: NOW.toISOString(),
      entryId: 'unsubscribe:1773000123',
      type: 'email',
      channel: 'email',
      source: 'customer',
      status: 'unsubscribed',
      via: 'one-click',
    });
  });

  it('is not undone by a customer update stamped before it, and is by one stamped after', async () => {
    const shopId = await newShop();
    const customerId = await subscribedCustomer(shopId);
    await unsubscribe(tokenFor(shopId, customerId), 'page', deps());

    // A late delivery of an older customers/update (the shop still said "accepts marketing").
    await processEvent(
      customerEvent(shopId, aCustomer({ acceptsEmailMarketing: true, updatedAt: '2026-03-10T11:59:59.000Z' })),
      processDepsFor(db, NOW),
    );
    expect(await consentOf(shopId, customerId)).toBe('unsubscribed');

    // The customer opts in again at the shop, later.
    await processEvent(
      customerEvent(shopId, aCustomer({ acceptsEmailMarketing: true, updatedAt: '2026-03-11T08:00:00.000Z' })),
      processDepsFor(db, NOW),
    );
    expect(await consentOf(shopId, customerId)).toBe('subscribed');
  });

  it('wins over a consent stamped in the future by a shop with a fast clock', async () => {
    const shopId = await newShop();
    const customerId = await subscribedCustomer(shopId, { updatedAt: '2026-03-12T00:00:00.000Z' });
    await unsubscribe(tokenFor(shopId, customerId), 'page', deps());
    expect(await consentOf(shopId, customerId)).toBe('unsubscribed');
  });

  it('keeps a suppressed address suppressed', async () => {
    const shopId = await newShop();
    const customerId = await subscribedCustomer(shopId);
    await markProfileSuppressed(db, shopId, customerId, { kind: 'bounce', at: '2026-03-09T00:00:00.000Z' });
    expect((await unsubscribe(tokenFor(shopId, customerId), 'page', deps())).changed).toBe(true);
    expect(await consentOf(shopId, customerId)).toBe('suppressed');
    expect((await getProfile(db, shopId, customerId, true))?.consentEmail).toBe('unsubscribed');
  });
});

describe('bad links', () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['garbled', 'hello'],
    ['truncated', 'v1.abc'],
    ['an address instead', 'lan.nguyen@example.com'],
  ])('refuses a %s token with 400 naming token', async (_, token) => {
    await expect(unsubscribePage(token, deps())).rejects.toMatchObject({ name: 'ValidationError', field: 'token' });
    await expect(unsubscribe(token, 'one-click', deps())).rejects.toMatchObject({ name: 'ValidationError', field: 'token' });
  });

  it('refuses a forged token and one whose payload was changed', async () => {
    const shopId = await newShop();
    const customerId = await subscribedCustomer(shopId);
    const forged = createUnsubscribeToken({ shopId, customerId, issuedAt: 1 }, unsubscribeKey('another-deployment-master-key-0123456789'));
    const [version, , mac] = tokenFor(shopId, customerId).split('.');
    const other = Buffer.from(JSON.stringify({ s: shopId, c: 'c_someoneelse00000000', t: 1 })).toString('base64url');
    for (const token of [forged, `${version}.${other}.${mac}`]) {
      await expect(unsubscribe(token, 'one-click', deps())).rejects.toMatchObject({ name: 'ValidationError', field: 'token' });
    }
    expect(await consentOf(shopId, customerId)).toBe('subscribed');
  });

  it('answers 404 for a customer or shop that does not exist', async () => {
    const shopId = await newShop();
    for (const token of [tokenFor(shopId, 'c_00000000000000000000'), tokenFor('no-such-shop', 'c_00000000000000000000')]) {
      await expect(unsubscribePage(token, deps())).rejects.toMatchObject({ name: 'NotFoundError' });
      await expect(unsubscribe(token, 'one-click', deps())).rejects.toMatchObject({ name: 'NotFoundError' });
    }
    expect(await getProfile(db, shopId, 'c_00000000000000000000', true)).toBeUndefined();
  });
});

describe('the one-click form body', () => {
  it('reads RFC 8058 bodies, form-urlencoded and multipart, and the page form', () => {
    expect(readUnsubscribeForm('List-Unsubscribe=One-Click', 'application/x-www-form-urlencoded')).toEqual({ oneClick: true });
    const multipart = ['--XyZ', 'Content-Disposition: form-data; name="List-Unsubscribe"', '', 'One-Click', '--XyZ--', ''].join('\r\n');
    expect(readUnsubscribeForm(multipart, 'multipart/form-data; boundary=XyZ')).toEqual({ oneClick: true });
    expect(readUnsubscribeForm('token=v1.abc.def', 'application/x-www-form-urlencoded')).toEqual({ token: 'v1.abc.def', oneClick: false });
    expect(readUnsubscribeForm('\u0000%%%garbage', undefined)).toEqual({ oneClick: false });
  });
});

describe('the handler, as API Gateway calls it', () => {
  let handler: HttpFunction;
  let restore: () => void;

  beforeAll(async () => {
    ({ handler, restore } = await loadHttpFunction('#functions/unsubscribe.ts', {
      TABLE_NAME: db.table,
      DYNAMODB_ENDPOINT: endpoint,
      RAPPORT_MASTER_KEY: MASTER_KEY,
    }));
  });
  afterAll(() => restore());

  const context = lambdaContext('unsubscribe');
  const request = (method: 'GET' | 'POST', token: string | undefined, body?: { text: string; contentType: string }) =>
    apiRequest(method, '/unsubscribe', token === undefined ? {} : { token }, body, NOW);
  const oneClick = { text: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded' };
  it('serves the page on GET, unsubscribes on the one-click POST, and again harmlessly', async () => {
    const shopId = await newShop();
    const customerId = await subscribedCustomer(shopId, { locale: 'vi-VN' });
    const token = tokenFor(shopId, customerId);

    const page = await handler(request('GET', token), context);
    expect(page.statusCode).toBe(200);
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    expect(page.headers?.['content-security-policy']).toContain("form-action 'self'");
    expect(page.body).toContain('lang="vi"');
    expect(await consentOf(shopId, customerId)).toBe('subscribed');

    for (let i = 0; i < 2; i++) {
      const done = await handler(request('POST', token, oneClick), context);
      expect(done).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'unsubscribed' });
    }
    expect(await consentOf(shopId, customerId)).toBe('unsubscribed');
    expect(await unsubscribeEntries(shopId, customerId)).toMatchObject([{ via: 'one-click' }]);
  });

  it("answers the page's button (token in the form body) with the localized page", async () => {
    const shopId = await newShop();
    const customerId = await subscribedCustomer(shopId, { locale: 'en-GB' });
    const body = { text: `token=${encodeURIComponent(tokenFor(shopId, customerId))}`, contentType: 'application/x-www-form-urlencoded' };

    const done = await handler(request('POST', undefined, body), context);

    expect(done.statusCode).toBe(200);
    expect(done.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(done.body).toContain('You are unsubscribed');
    expect(await unsubscribeEntries(shopId, customerId)).toMatchObject([{ via: 'page' }]);
  });

  it('answers 400 naming token for a bad link and 404 for an unknown customer, never 5xx', async () => {
    for (const [method, token] of [
      ['GET', 'garbage'],
      ['POST', 'v1.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ['GET', undefined],
    ] as const) {
      const answer = await handler(request(method, token, method === 'POST' ? oneClick : undefined), context);
      expect(answer.statusCode).toBe(400);
      expect(JSON.parse(answer.body as string)).toMatchObject({ error: { code: 'invalid_request', field: 'token' } });
    }
    const shopId = await newShop();
    const missing = await handler(request('POST', tokenFor(shopId, 'c_11111111111111111111'), oneClick), context);
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body as string)).toMatchObject({ error: { code: 'not_found' } });
  });
});
