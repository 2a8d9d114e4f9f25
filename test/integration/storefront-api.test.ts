import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import type { Db } from '#shared/data/db.ts';
import { markShopErased } from '#shared/data/shop-repo.ts';
import { signCustomer } from '#shared/domain/customer-signature.ts';
import { createLoyaltyToken, loyaltyKey } from '#shared/email/loyalty-link.ts';
import type { StorefrontMe } from '#shared/http/storefront-contract.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { orderEvent } from '#test/support/factories.ts';
import { apiGet, createShopOverHttp, lookup, postGeneric, startTestRuntime } from '#test/support/local-api.ts';

/**
 * The storefront API and the hosted loyalty page over HTTP, as the widget and a customer's browser
 * use them: the program for an anonymous visitor; a customer signed by the shop's server (or by an
 * email's link) sees the same balance, tier, codes and ledger the shop API shows; a redemption through
 * the storefront is the shop API's redemption; every bad signature, link or input is a 4xx naming it.
 */

const SHOP = 'storefront-shop';
const OTHER = 'storefront-other';
const BARE = 'storefront-bare';
const GENERIC = 'storefront-shop-generic-secret-01';
const STOREFRONT = 'sf_storefront-secret-of-storefront-shop-01';
const OTHER_STOREFRONT = 'sf_storefront-secret-of-storefront-other-1';

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let apiKey: string;
let customerId: string;
let masterKey: string;

const now = () => Math.floor(Date.now() / 1000);

/** A request as the widget makes it (fetch: the answers' headers are read too). */
async function call(path: string, headers: Record<string, string>, init: { method?: string; body?: string } = {}) {
  const res = await fetch(`${runtime.apiUrl}${path}`, { method: init.method ?? 'GET', headers, ...(init.body ? { body: init.body } : {}) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked by assertions, not by types
  return { status: res.status, headers: res.headers, text, json: json as any };
}

const signed = (customer: string, options: { secret?: string; shopId?: string; at?: number } = {}) => ({
  'X-Rapport-Shop': options.shopId ?? SHOP,
  'X-Rapport-Customer': signCustomer(options.secret ?? STOREFRONT, options.shopId ?? SHOP, customer, options.at ?? now()),
});
const me = (headers: Record<string, string>, query = '') => call(`/v1/storefront/me${query}`, headers);
const redeem = (rewardId: string, headers: Record<string, string>, key: string | undefined, body = '{}') =>
  call(
    `/v1/storefront/me/rewards/${rewardId}/redeem`,
    { ...headers, ...(key ? { 'Idempotency-Key': key } : {}) },
    { method: 'POST', body },
  );

const expect4xx = (res: { status: number; json: { error: { message: string; field?: string } } }, status: number, names: string) => {
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  if (status === 400) expect(res.json.error.field).toBe(names);
  else expect(res.json.error.message).toContain(names);
};

beforeAll(async () => {
  ({ runtime, db, stop } = await startTestRuntime());
  masterKey = process.env.RAPPORT_MASTER_KEY as string;
  apiKey = await createShopOverHttp(runtime, {
    shopId: SHOP,
    currency: 'VND',
    locale: 'vi-VN',
    timezone: 'Asia/Ho_Chi_Minh',
    secrets: { generic: GENERIC },
  });
  const otherKey = await createShopOverHttp(runtime, { shopId: OTHER, currency: 'VND', locale: 'vi-VN', timezone: 'Asia/Ho_Chi_Minh' });
  await createShopOverHttp(runtime, { shopId: BARE });
  for (const [key, secret] of [
    [apiKey, STOREFRONT],
    [otherKey, OTHER_STOREFRONT],
  ] as const) {
    const res = await fetch(`${runtime.apiUrl}/v1/shop`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ secrets: { storefront: secret } }),
    });
    expect(res.status).toBe(200);
  }
  // A reward for Gold members only, beside the default catalog (before any order: the program is read from here on).
  const current = (await apiGet(runtime, apiKey, '/v1/program')).json as { version: number; program: Program };
  const program = structuredClone(current.program);
  program.rewards.push({
    id: 'gold-gift',
    name: { en: 'Gold gift', vi: 'Quà hạng Vàng' },
    value: { kind: 'free_product', productId: 'p-gift' },
    cost: { kind: 'fixed', points: 100 },
    tiers: ['gold'],
    validityDays: 30,
    active: true,
  });
  const put = await fetch(`${runtime.apiUrl}/v1/program`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ version: current.version, program }),
  });
  expect(put.status).toBe(200);
  // 5,000,000 ₫ at 1 point per 10,000 ₫ = 500 points, plus the 50-point first-order bonus: 550.
  expect((await postGeneric(runtime, SHOP, GENERIC, orderEvent(SHOP, { orderId: '1042', total: 5_000_000, lineItems: [] }))).status).toBe(
    202,
  );
  await runtime.idle();
  customerId = (await lookup(runtime, apiKey, 'externalId', 'generic:1001')).customerId;
});
afterAll(async () => stop?.());

describe('GET /v1/storefront/me', () => {
  it('shows an anonymous visitor the program in the shop’s language, to any origin', async () => {
    const res = await me({ 'X-Rapport-Shop': SHOP });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const body = res.json as StorefrontMe;
    expect(body.customer).toBeNull();
    expect(body.language).toBe('vi');
    expect(body.shop).toEqual({ shopId: SHOP, name: `Shop ${SHOP}`, currency: 'VND' });
    // Intl puts a no-break space between the amount and the symbol.
    expect(body.program.howToEarn[0]).toBe('Nhận 1 điểm cho mỗi 10.000\u00a0₫ chi tiêu.');
    expect(body.program.howToEarn).toContain('Nhận thêm 50 điểm cho đơn hàng đầu tiên.');
    expect(body.program.howToEarn).toContain('Nhận 100 điểm vào ngày sinh nhật.');
    expect(body.program.howToEarn).toContain('Thành viên hạng Bạc nhận 1,25× điểm.');
    expect(body.program.tiers).toEqual({
      metric: 'orders',
      levels: [
        { id: 'member', name: 'Thành viên', threshold: 0, earnMultiplier: 1 },
        { id: 'silver', name: 'Bạc', threshold: 3, earnMultiplier: 1.25 },
        { id: 'gold', name: 'Vàng', threshold: 8, earnMultiplier: 1.5 },
      ],
    });
    expect(body.program.rewards.map((reward) => reward.id)).toEqual(['amount-off', 'free-shipping', 'gold-gift']);
    expect(body.program.rewards[2]).toMatchObject({ name: 'Quà hạng Vàng', tiers: ['gold'], cost: { kind: 'fixed', points: 100 } });

    const english = await me({ 'X-Rapport-Shop': SHOP }, '?lang=en');
    expect(english.json.language).toBe('en');
    expect(english.json.program.howToEarn[0]).toBe('Earn 1 point for every ₫10,000 you spend.');
    expect(english.json.program.howToEarn).toContain('Silver members earn 1.25× points.');
  });

  it('shows a signed customer what the shop API shows of them: balance, tier, rewards and the ledger', async () => {
    const res = await me(signed('generic:1001'));
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const customer = (res.json as StorefrontMe).customer!;
    const profile = (await apiGet(runtime, apiKey, `/v1/customers/${customerId}`)).json;
    expect(customer.balance).toBe(profile.points.balance);
    expect(customer.balance).toBe(550);
    expect(customer).toMatchObject({ firstName: 'Lan', spendable: 550, pending: 0, tier: { id: profile.tier, name: 'Thành viên' } });
    expect(customer.nextTier).toEqual({ id: 'silver', name: 'Bạc', threshold: 3, progress: 1, remaining: 2 });
    const offers = Object.fromEntries(customer.rewards.map((offer) => [offer.id, offer]));
    expect(offers['amount-off']).toMatchObject({ available: true });
    expect(offers['free-shipping']).toMatchObject({ available: true });
    expect(offers['gold-gift']).toMatchObject({ available: false, reason: 'Dành cho thành viên hạng Vàng' });
    expect(customer.codes).toEqual([]);
    // Their referral code and link to give friends (a new shop's program has referrals on), the offer in Vietnamese.
    expect(customer.referral).toEqual({
      code: expect.stringMatching(/^[A-HJKMNP-Z2-9]{8}$/),
      url: expect.stringMatching(/\/r\/[A-HJKMNP-Z2-9]{8}$/),
      offer: 'Mời bạn bè: bạn ấy nhận 100 điểm cho đơn hàng đầu tiên, bạn nhận 200 điểm khi đơn được xác nhận.',
    });
    const link = await fetch(customer.referral?.url as string, { redirect: 'manual' });
    expect([200, 302]).toContain(link.status);

    const ledger = (await apiGet(runtime, apiKey, `/v1/customers/${customerId}/ledger`)).json.items as Array<{
      at: string;
      kind: string;
      points: number;
    }>;
    expect(customer.history.map(({ at, kind, points }) => ({ at, kind, points }))).toEqual(
      ledger.map(({ at, kind, points }) => ({ at, kind, points })),
    );
    expect(customer.history.map((entry) => entry.description).sort()).toEqual(['Thưởng đơn hàng đầu tiên', 'Đơn hàng #1042']);
    // Nothing personal beyond the first name.
    expect(res.text).not.toMatch(/lan\.nguyen|Nguyen|generic:1001/i);
  });

  it('finds the customer by email too, however the shop spells it, percent-encoded', async () => {
    const byEmail = await me(signed('Lan.Nguyen@Example.com'), '?lang=en');
    expect(byEmail.status, byEmail.text).toBe(200);
    expect(byEmail.json.customer.balance).toBe(550);
    expect(byEmail.json.customer.tier.name).toBe('Member');
    expect(byEmail.json.customer.rewards.find((offer: { id: string }) => offer.id === 'gold-gift').reason).toBe('For Gold members');
  });

  it('gives a signed customer Rapport has not seen 0 points in the first tier, nothing to redeem', async () => {
    const res = await me(signed('shopify:999999'));
    expect(res.status, res.text).toBe(200);
    expect(res.json.customer).toMatchObject({ spendable: 0, balance: 0, pending: 0, tier: { id: 'member' }, codes: [], history: [] });
    expect(res.json.customer.nextTier).toMatchObject({ id: 'silver', progress: 0, remaining: 3 });
    for (const offer of res.json.customer.rewards) expect(offer).toMatchObject({ available: false, reason: expect.any(String) });
    const refused = await redeem('free-shipping', signed('shopify:999999'), 'never-seen-0001');
    expect(refused.status).toBe(409);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refuses a bad signature with 401 naming X-Rapport-Customer, to any origin', async () => {
    const good = signed('generic:1001')['X-Rapport-Customer'];
    const cases: Record<string, Record<string, string>> = {
      tampered: { 'X-Rapport-Shop': SHOP, 'X-Rapport-Customer': good.replace('generic%3A1001', 'generic%3A1002') },
      'expired 11 minutes ago': signed('generic:1001', { at: now() - 660 }),
      'ahead by 5 minutes': signed('generic:1001', { at: now() + 300 }),
      "another shop's secret": signed('generic:1001', { secret: OTHER_STOREFRONT }),
      'signed for another shop': {
        'X-Rapport-Shop': SHOP,
        'X-Rapport-Customer': signed('generic:1001', { shopId: OTHER })['X-Rapport-Customer'],
      },
      malformed: { 'X-Rapport-Shop': SHOP, 'X-Rapport-Customer': 'c=generic:1001' },
      'no storefront secret set': signed('generic:1001', { shopId: BARE }),
    };
    for (const [what, headers] of Object.entries(cases)) {
      const res = await me(headers);
      expect(res.status, what).toBe(401);
      expect(res.json.error.message, what).toContain('X-Rapport-Customer');
      expect(res.headers.get('access-control-allow-origin'), what).toBe('*');
      expect((await redeem('free-shipping', headers, 'bad-signature-01')).status, what).toBe(401);
    }
  });

  it('opens with an email’s link token, and refuses an expired or foreign one with 401 naming X-Rapport-Link', async () => {
    const key = loyaltyKey(masterKey);
    const token = createLoyaltyToken({ shopId: SHOP, customerId, issuedAt: now() }, key);
    const res = await me({ 'X-Rapport-Shop': SHOP, 'X-Rapport-Link': token });
    expect(res.status, res.text).toBe(200);
    expect(res.json.customer.balance).toBe((await me(signed('generic:1001'))).json.customer.balance);

    const expired = createLoyaltyToken({ shopId: SHOP, customerId, issuedAt: now() - 31 * 86_400 }, key);
    expect4xx(await me({ 'X-Rapport-Shop': SHOP, 'X-Rapport-Link': expired }), 401, 'X-Rapport-Link');
    expect4xx(await me({ 'X-Rapport-Shop': OTHER, 'X-Rapport-Link': token }), 401, 'X-Rapport-Link');
    const forged = createLoyaltyToken({ shopId: SHOP, customerId, issuedAt: now() }, Buffer.alloc(32, 7));
    expect4xx(await me({ 'X-Rapport-Shop': SHOP, 'X-Rapport-Link': forged }), 401, 'X-Rapport-Link');
    expect4xx(await me({ 'X-Rapport-Shop': SHOP, 'X-Rapport-Link': 'garbage' }), 401, 'X-Rapport-Link');
    expect4xx(await me({ ...signed('generic:1001'), 'X-Rapport-Link': token }), 400, 'X-Rapport-Customer');
  });

  it('refuses bad input with 4xx, never 5xx', async () => {
    expect4xx(await me({}), 400, 'X-Rapport-Shop');
    expect4xx(await me({ 'X-Rapport-Shop': 'Not A Shop!' }), 400, 'X-Rapport-Shop');
    expect4xx(await me({ 'X-Rapport-Shop': 'no-such-shop' }), 404, 'no-such-shop');
    expect4xx(await me({ 'X-Rapport-Shop': SHOP }, '?lang=fr'), 400, 'lang');
  });

  it('answers an erased shop as an unknown one', async () => {
    await markShopErased(db, BARE, new Date());
    expect4xx(await me({ 'X-Rapport-Shop': BARE }), 404, BARE);
    const page = await call(`/l/${BARE}`, {});
    expect(page.status).toBe(404);
  });
});

describe('POST /v1/storefront/me/rewards/{rewardId}/redeem', () => {
  it('redeems as the shop API does: a code, the points taken, the shop’s ledger showing it, the first answer again for its key', async () => {
    const res = await redeem('free-shipping', signed('generic:1001'), 'storefront-click-0001');
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.json).toMatchObject({
      spendable: 250,
      balance: 250,
      code: { rewardId: 'free-shipping', name: 'Miễn phí vận chuyển', value: { kind: 'free_shipping' }, points: 300, status: 'issued' },
    });
    const code = res.json.code.code as string;
    expect(code).toMatch(/^RW-[A-Z0-9]{5}-[A-Z0-9]{5}$/);

    const again = await redeem('free-shipping', signed('generic:1001'), 'storefront-click-0001');
    expect(again.status).toBe(201);
    expect(again.json.code.code).toBe(code);
    expect((await apiGet(runtime, apiKey, `/v1/customers/${customerId}`)).json.points.balance).toBe(250);

    const ledger = (await apiGet(runtime, apiKey, `/v1/customers/${customerId}/ledger`)).json.items;
    expect(ledger[0]).toMatchObject({
      kind: 'redeem',
      points: -300,
      source: { rewardId: 'free-shipping', code, idempotencyKey: 'sf:storefront-click-0001' },
    });

    const after = (await me(signed('generic:1001'), '?lang=en')).json.customer;
    expect(after.codes).toEqual([res.json.code].map((c) => ({ ...c, name: 'Free shipping' })));
    expect(after.history[0]).toMatchObject({ kind: 'redeem', points: -300, description: 'Redeemed: Free shipping' });
    expect(after.rewards.find((offer: { id: string }) => offer.id === 'amount-off')).toMatchObject({
      available: false,
      reason: '250 points more needed',
    });
  });

  it('writes its texts in the language the widget names with Accept-Language', async () => {
    const english = await redeem('free-shipping', { ...signed('generic:1001'), 'Accept-Language': 'en' }, 'storefront-click-0001');
    expect(english.json.code.name).toBe('Free shipping');
    const browser = await redeem(
      'free-shipping',
      { ...signed('generic:1001'), 'Accept-Language': 'fr-FR,fr;q=0.9' },
      'storefront-click-0001',
    );
    expect(browser.status).toBe(201);
    expect(browser.json.code.name).toBe('Miễn phí vận chuyển');
  });

  it('redeems with a link token too', async () => {
    const token = createLoyaltyToken({ shopId: SHOP, customerId, issuedAt: now() }, loyaltyKey(masterKey));
    const res = await redeem('free-shipping', { 'X-Rapport-Shop': SHOP, 'X-Rapport-Link': token }, 'link-click-0001');
    expect(res.status, res.text).toBe(409);
    expect(res.json.error.message).toMatch(/^not enough points: 300 needed, 250 spendable/);
  });

  it('refuses bad input with 4xx naming it, never 5xx', async () => {
    const headers = signed('generic:1001');
    expect4xx(await redeem('free-shipping', { 'X-Rapport-Shop': SHOP }, 'anonymous-0001'), 401, 'X-Rapport-Customer');
    expect4xx(await redeem('free-shipping', headers, undefined), 400, 'Idempotency-Key');
    expect4xx(await redeem('free-shipping', headers, 'short'), 400, 'Idempotency-Key');
    expect4xx(await redeem('free-shipping', headers, 'k'.repeat(97)), 400, 'Idempotency-Key');
    expect4xx(await redeem('Not_A_Reward', headers, 'bad-reward-0001'), 400, 'rewardId');
    expect4xx(await redeem('no-such-reward', headers, 'no-reward-0001'), 404, 'no-such-reward');
    expect4xx(await redeem('free-shipping', headers, 'bad-body-0001', '{'), 400, 'body');
    expect4xx(await redeem('free-shipping', headers, 'bad-steps-0001', '{"steps":2}'), 400, 'steps');
    expect4xx(await redeem('free-shipping', headers, 'bad-field-0001', '{"points":2}'), 400, 'points');
    expect4xx(await redeem('gold-gift', headers, 'gold-gift-0001'), 409, 'gold');
  });
});

describe('GET /l/{shopId}', () => {
  it('is the widget in page mode with the link’s token, in the customer’s language, under a strict policy', async () => {
    const token = createLoyaltyToken({ shopId: SHOP, customerId, issuedAt: now() }, loyaltyKey(masterKey));
    const res = await call(`/l/${SHOP}?t=${token}`, {});
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.text).toContain(
      `<rapport-loyalty mode="page" shop="${SHOP}" link="${token}" api="${runtime.apiUrl}" lang="vi"></rapport-loyalty>`,
    );
    expect(res.text).toContain(`<script src="${runtime.apiUrl}/widget/rapport-loyalty.js" defer></script>`);
    expect(res.text).toContain('<title>Ưu đãi thành viên Shop storefront-shop</title>');
    const policy = res.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain(`script-src ${runtime.apiUrl}/widget/rapport-loyalty.js`);
    expect(policy).toContain(`connect-src ${runtime.apiUrl}/v1/storefront/`);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect((await call(`/l/${SHOP}?t=${token}&lang=en`, {})).text).toContain('lang="en"');
  });

  it('still shows the page to whoever holds an expired or foreign link, anonymous, saying why', async () => {
    const key = loyaltyKey(masterKey);
    const expired = createLoyaltyToken({ shopId: SHOP, customerId, issuedAt: now() - 31 * 86_400 }, key);
    const res = await call(`/l/${SHOP}?t=${expired}`, {});
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('link=');
    expect(res.text).toContain('Liên kết này đã hết hạn');
    const foreign = createLoyaltyToken({ shopId: OTHER, customerId, issuedAt: now() }, key);
    const other = await call(`/l/${SHOP}?t=${foreign}&lang=en`, {});
    expect(other.status).toBe(200);
    expect(other.text).not.toContain('link=');
    expect(other.text).toContain('This link is not valid');
    const plain = await call(`/l/${SHOP}`, {});
    expect(plain.status).toBe(200);
    expect(plain.text).not.toMatch(/link=|class="notice"/);
  });

  it('escapes the shop’s name, and refuses a bad or unknown shop with 4xx', async () => {
    const created = await fetch(`${runtime.apiUrl}/admin/shops`, {
      method: 'POST',
      headers: { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        shopId: 'storefront-escape',
        name: 'Trà <script>alert(1)</script> & "Sen"',
        currency: 'USD',
        locale: 'en-US',
        timezone: 'America/Toronto',
      }),
    });
    expect(created.status).toBe(201);
    const page = await call('/l/storefront-escape', {});
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<script>alert');
    expect(page.text).toContain('<h1>Trà &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Sen&quot; rewards</h1>');
    expect((await call('/l/Not_A_Shop', {})).status).toBe(400);
    expect((await call('/l/no-such-shop', {})).status).toBe(404);
    expect((await call(`/l/${SHOP}?lang=fr`, {})).status).toBe(400);
  });
});
