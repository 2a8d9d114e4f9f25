import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CODE_TAKEN,
  type CodeRequest,
  type CodeResult,
  createShopifyCode,
  createWooCommerceCode,
  SHOPIFY_ADMIN_URL_ENV,
  SHOPIFY_API_VERSION,
  WOOCOMMERCE_URL_ENV,
} from '#shared/connectors/discount-codes.ts';
import { type ShopifyAdminServer, startShopifyAdminServer } from '#test/support/shopify-admin-server.ts';
import { startWooCommerceServer, type WooCommerceServer } from '#test/support/woocommerce-server.ts';

/**
 * The two discount-code clients against local contract servers written from each platform's
 * documentation: the exact fields each platform records, how every failure is classified, and that
 * retries after a lost answer create the code once.
 */

const EMAIL = 'lan.nguyen@example.com';

const codeRequest = (overrides: Partial<CodeRequest> = {}): CodeRequest => ({
  code: 'RAP-7K2M-9QXD',
  title: 'Rapport: 50,000 ₫ off (c_0123)',
  value: { kind: 'amount_off', amount: 50_000 },
  currency: 'VND',
  startsAt: '2026-12-03T00:00:00.000Z',
  endsAt: '2027-01-02T23:59:59.999Z',
  customer: { email: EMAIL, platformCustomerId: '7212345678901' },
  ...overrides,
});

/** The caller's simple loop: retry what is retryable, waiting what the platform asks (cut short here). */
async function untilSettled(attempt: () => Promise<CodeResult>, failures: CodeResult[] = []): Promise<CodeResult> {
  for (let i = 0; i < 30; i++) {
    const result = await attempt();
    if (result.ok || !result.retryable) return result;
    failures.push(result);
    await sleep(Math.min(result.retryAfterMs ?? 0, 5));
  }
  throw new Error('still failing after 30 attempts');
}

/** Runs `body` with an environment variable set, and leaves the environment as it was. */
async function withEnv<T>(name: string, value: string | undefined, body: () => Promise<T>): Promise<T> {
  const before = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return await body();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

describe('createShopifyCode against the Shopify Admin API contract', () => {
  let server: ShopifyAdminServer;
  const shopify = (request: CodeRequest, options: { timeoutMs?: number; token?: string } = {}) =>
    createShopifyCode({ domain: server.shopDomain, adminAccessToken: options.token ?? server.accessToken }, request, {
      baseUrl: server.url,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });

  beforeEach(async () => {
    server = await startShopifyAdminServer();
  });
  afterEach(() => server.close());

  it('amount off in VND (no minor unit): "50000" off the whole order, for that one customer, once, until endsAt', async () => {
    const result = await shopify(codeRequest());

    const [discount] = server.created();
    expect(result).toEqual({ ok: true, platformId: discount!.id });
    expect(discount).toEqual({
      id: expect.stringMatching(/^gid:\/\/shopify\/DiscountCodeNode\/\d+$/),
      kind: 'basic',
      code: 'RAP-7K2M-9QXD',
      title: 'Rapport: 50,000 ₫ off (c_0123)',
      value: { amount: '50000', appliesOnEachItem: false },
      items: 'all',
      customers: ['gid://shopify/Customer/7212345678901'],
      usageLimit: 1,
      appliesOncePerCustomer: true,
      startsAt: '2026-12-03T00:00:00.000Z',
      endsAt: '2027-01-02T23:59:59.999Z',
      minimumSubtotal: null,
      destination: null,
      shopDomain: 'traviet.myshopify.com',
      apiVersion: SHOPIFY_API_VERSION,
    });
  });

  it('amount off in USD: 1999 minor units are "19.99"; a minimum order of 10000 is a subtotal of "100.00"', async () => {
    const result = await shopify(
      codeRequest({
        value: { kind: 'amount_off', amount: 1999 },
        currency: 'USD',
        minOrder: 10_000,
        customer: { platformCustomerId: 'gid://shopify/Customer/42' },
      }),
    );

    expect(result.ok).toBe(true);
    expect(server.created()[0]).toMatchObject({
      value: { amount: '19.99', appliesOnEachItem: false },
      minimumSubtotal: '100.00',
      customers: ['gid://shopify/Customer/42'],
    });
  });

  it('percent off: 15 % is 0.15 and 12.5 % is 0.125 of the whole order', async () => {
    expect((await shopify(codeRequest({ code: 'RAP-P15', value: { kind: 'percent_off', percent: 15 } }))).ok).toBe(true);
    expect((await shopify(codeRequest({ code: 'RAP-P125', value: { kind: 'percent_off', percent: 12.5 } }))).ok).toBe(true);

    expect(server.created().map(({ code, value, items }) => ({ code, value, items }))).toEqual([
      { code: 'RAP-P15', value: { percentage: 0.15 }, items: 'all' },
      { code: 'RAP-P125', value: { percentage: 0.125 }, items: 'all' },
    ]);
  });

  it('free shipping: discountCodeFreeShippingCreate to every destination, same customer, limits and dates', async () => {
    const result = await shopify(codeRequest({ value: { kind: 'free_shipping' }, minOrder: 200_000 }));

    expect(result.ok).toBe(true);
    expect(server.created()[0]).toMatchObject({
      kind: 'free_shipping',
      value: null,
      items: null,
      destination: 'all',
      customers: ['gid://shopify/Customer/7212345678901'],
      usageLimit: 1,
      appliesOncePerCustomer: true,
      minimumSubtotal: '200000',
      endsAt: '2027-01-02T23:59:59.999Z',
    });
  });

  it('free product: 100 % off that one product, from a numeric id or a gid', async () => {
    expect((await shopify(codeRequest({ code: 'RAP-F1', value: { kind: 'free_product', productId: '8123456789' } }))).ok).toBe(true);
    expect(
      (await shopify(codeRequest({ code: 'RAP-F2', value: { kind: 'free_product', productId: 'gid://shopify/Product/77' } }))).ok,
    ).toBe(true);

    expect(server.created().map(({ value, items }) => ({ value, items }))).toEqual([
      { value: { percentage: 1 }, items: { products: ['gid://shopify/Product/8123456789'] } },
      { value: { percentage: 1 }, items: { products: ['gid://shopify/Product/77'] } },
    ]);
  });

  it('refuses for good, without a request, what Shopify cannot hold or the request gets wrong', async () => {
    const refusals = await Promise.all([
      shopify(codeRequest({ value: { kind: 'percent_off', percent: 20, maxAmount: 100_000 } })),
      shopify(codeRequest({ customer: { email: EMAIL } })),
      shopify(codeRequest({ value: { kind: 'free_product', productId: 'gid://shopify/Customer/1' } })),
      shopify(codeRequest({ endsAt: '2026-12-02T00:00:00Z' })),
      shopify(codeRequest({ currency: 'XAU' })),
      shopify(codeRequest({ value: { kind: 'amount_off', amount: 12.5 } })),
      shopify(codeRequest({ customer: { email: 'not an email', platformCustomerId: '1' } })),
    ]);

    expect(refusals).toEqual([
      { ok: false, retryable: false, reason: 'percent cap unsupported by shopify' },
      { ok: false, retryable: false, reason: 'shopify needs the platform customer id' },
      { ok: false, retryable: false, reason: 'invalid request: value.productId' },
      { ok: false, retryable: false, reason: 'invalid request: endsAt' },
      { ok: false, retryable: false, reason: 'invalid request: currency' },
      { ok: false, retryable: false, reason: 'invalid request: value.amount' },
      { ok: false, retryable: false, reason: 'invalid request: customer.email' },
    ]);
    expect(server.requests()).toBe(0);
  });

  it('a wrong access token is a permanent 401', async () => {
    expect(await shopify(codeRequest(), { token: 'shpat_wrong' })).toEqual({ ok: false, retryable: false, reason: 'http 401' });
    expect(server.created()).toEqual([]);
  });

  it('every transient failure is retryable, with the wait Shopify asks for when it says one', async () => {
    const results: CodeResult[] = [];
    for (const kind of ['throttled', '429', '502', '503', 'reset-after-write', 'timeout-after-write'] as const) {
      server.failNext(kind);
      results.push(await shopify(codeRequest({ code: `RAP-T-${kind}` }), { timeoutMs: 300 }));
    }

    expect(results).toEqual([
      // (10 requested − 4 available) points at 100 points a second
      { ok: false, retryable: true, reason: 'THROTTLED', retryAfterMs: 60 },
      { ok: false, retryable: true, reason: 'http 429', retryAfterMs: 1000 },
      { ok: false, retryable: true, reason: 'http 502' },
      { ok: false, retryable: true, reason: 'http 503' },
      { ok: false, retryable: true, reason: 'network error' },
      { ok: false, retryable: true, reason: 'timeout' },
    ]);
    // The two failures after the write left their codes behind, which is what the retry must cope with.
    expect(server.created().map((discount) => discount.code)).toEqual(['RAP-T-reset-after-write', 'RAP-T-timeout-after-write']);
  });

  it('a retry after a lost answer finds the code it created and answers its id: one code, not two', async () => {
    server.failNext('502-after-write');
    const first = await shopify(codeRequest());
    const second = await shopify(codeRequest());

    const created = server.created();
    expect(first).toEqual({ ok: false, retryable: true, reason: 'http 502' });
    expect(created).toHaveLength(1);
    expect(second).toEqual({ ok: true, platformId: created[0]!.id });
    expect(server.requests()).toBe(3); // create (answer lost), create (code taken), look up by code
  });

  it('the same code already held by another discount stays taken: it is not ours to hand out', async () => {
    expect((await shopify(codeRequest({ title: 'Summer sale' }))).ok).toBe(true);

    expect(await shopify(codeRequest({ code: 'rap-7k2m-9qxd' }))).toEqual({ ok: false, retryable: false, reason: CODE_TAKEN });
    expect(server.created()).toHaveLength(1);
  });

  it('RAPPORT_SHOPIFY_ADMIN_URL redirects the client when no baseUrl is given, naming the shop in a header', async () => {
    const result = await withEnv(SHOPIFY_ADMIN_URL_ENV, server.url, () =>
      createShopifyCode({ domain: server.shopDomain, adminAccessToken: server.accessToken }, codeRequest()),
    );

    expect(result.ok).toBe(true);
    expect(server.created()[0]?.shopDomain).toBe('traviet.myshopify.com');
  });

  it('without an override: https://{shop}/admin/api/{version}/graphql.json with the token and no Rapport header', async () => {
    const seen: Array<{ url: string; init: RequestInit }> = [];
    const fakeFetch = (async (url: string | URL | Request, init?: RequestInit) => {
      seen.push({ url: String(url), init: init ?? {} });
      return Response.json({
        data: { discountCodeBasicCreate: { codeDiscountNode: { id: 'gid://shopify/DiscountCodeNode/1' }, userErrors: [] } },
      });
    }) as typeof fetch;

    const result = await withEnv(SHOPIFY_ADMIN_URL_ENV, undefined, () =>
      createShopifyCode({ domain: 'traviet.myshopify.com', adminAccessToken: 'shpat_real' }, codeRequest(), { fetch: fakeFetch }),
    );

    expect(result).toEqual({ ok: true, platformId: 'gid://shopify/DiscountCodeNode/1' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('https://traviet.myshopify.com/admin/api/2026-10/graphql.json');
    expect(seen[0]!.init.headers).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      'x-shopify-access-token': 'shpat_real',
    });
    expect(seen[0]!.init.redirect).toBe('manual');
  });

  it('30 % of calls failing, some after the write: a retry loop ends with exactly one code per request', async () => {
    await server.close();
    server = await startShopifyAdminServer({ failRate: 0.3, seed: 20261203, afterWrite: 0.4 });
    const failures: CodeResult[] = [];
    const requests = Array.from({ length: 40 }, (_, i) => codeRequest({ code: `RAP-LOAD-${i}`, title: `Rapport: 5% off (c_${i})` }));

    const results = [];
    for (const request of requests) results.push(await untilSettled(() => shopify(request, { timeoutMs: 2000 }), failures));

    const created = server.created();
    expect(created.map((discount) => discount.code).sort()).toEqual(requests.map((request) => request.code).sort());
    expect(results).toEqual(requests.map((request) => ({ ok: true, platformId: created.find((d) => d.code === request.code)!.id })));
    expect(failures.length).toBeGreaterThan(5);
    expect(new Set(failures.map((failure) => (failure.ok ? '' : failure.reason)))).toEqual(
      new Set(['THROTTLED', 'http 429', 'http 502', 'http 503', 'network error']),
    );
    expect(JSON.stringify(failures)).not.toMatch(/@|shpat_/);
  });
});

describe('createWooCommerceCode against the WooCommerce REST API v3 contract', () => {
  let server: WooCommerceServer;
  const woo = (request: CodeRequest, options: { timeoutMs?: number; secret?: string } = {}) =>
    createWooCommerceCode(
      { url: server.siteUrl, consumerKey: server.consumerKey, consumerSecret: options.secret ?? server.consumerSecret },
      request,
      { baseUrl: server.url, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) },
    );

  beforeEach(async () => {
    server = await startWooCommerceServer();
  });
  afterEach(() => server.close());

  it('amount off in VND: a fixed_cart coupon of "50000" for that email alone, once, alone in the cart, until endsAt', async () => {
    const result = await woo(codeRequest());

    const [coupon] = server.created();
    expect(result).toEqual({ ok: true, platformId: String(coupon!.id) });
    expect(coupon).toEqual({
      id: expect.any(Number),
      code: 'rap-7k2m-9qxd',
      discount_type: 'fixed_cart',
      amount: '50000',
      description: 'Rapport: 50,000 ₫ off (c_0123)',
      individual_use: true,
      usage_limit: 1,
      usage_limit_per_user: 1,
      limit_usage_to_x_items: null,
      product_ids: [],
      free_shipping: false,
      minimum_amount: null,
      maximum_amount: null,
      email_restrictions: [EMAIL],
      // whole seconds, cut down: the coupon never outlives the reward
      date_expires_gmt: '2027-01-02T23:59:59Z',
      meta_data: [{ key: 'rapport_title', value: 'Rapport: 50,000 ₫ off (c_0123)' }],
      siteUrl: 'https://traviet.example',
    });
  });

  it('amount off in USD: 1999 minor units are "19.99"; a minimum order of 5000 is "50.00"', async () => {
    const result = await woo(codeRequest({ value: { kind: 'amount_off', amount: 1999 }, currency: 'USD', minOrder: 5000 }));

    expect(result.ok).toBe(true);
    expect(server.created()[0]).toMatchObject({ discount_type: 'fixed_cart', amount: '19.99', minimum_amount: '50.00' });
  });

  it('percent off: 15 % is "15" and 12.5 % is "12.5"', async () => {
    expect((await woo(codeRequest({ code: 'RAP-P15', value: { kind: 'percent_off', percent: 15 } }))).ok).toBe(true);
    expect((await woo(codeRequest({ code: 'RAP-P125', value: { kind: 'percent_off', percent: 12.5 } }))).ok).toBe(true);

    expect(server.created().map(({ discount_type, amount }) => ({ discount_type, amount }))).toEqual([
      { discount_type: 'percent', amount: '15' },
      { discount_type: 'percent', amount: '12.5' },
    ]);
  });

  it('free shipping: a zero fixed_cart coupon that grants free shipping', async () => {
    expect((await woo(codeRequest({ value: { kind: 'free_shipping' } }))).ok).toBe(true);

    expect(server.created()[0]).toMatchObject({ discount_type: 'fixed_cart', amount: '0', free_shipping: true, usage_limit: 1 });
  });

  it('free product: 100 % off that product, on one item only', async () => {
    expect((await woo(codeRequest({ value: { kind: 'free_product', productId: '123' } }))).ok).toBe(true);

    expect(server.created()[0]).toMatchObject({ discount_type: 'percent', amount: '100', product_ids: [123], limit_usage_to_x_items: 1 });
  });

  it('refuses for good, without a request, what WooCommerce cannot hold or the request gets wrong', async () => {
    const refusals = await Promise.all([
      woo(codeRequest({ value: { kind: 'percent_off', percent: 20, maxAmount: 100_000 } })),
      woo(codeRequest({ customer: { platformCustomerId: '12' } })),
      woo(codeRequest({ value: { kind: 'free_product', productId: 'gid://shopify/Product/1' } })),
      createWooCommerceCode({ url: 'http://traviet.example', consumerKey: 'ck', consumerSecret: 'cs' }, codeRequest(), {
        baseUrl: server.url,
      }),
      createWooCommerceCode({ url: server.siteUrl, consumerKey: 'ck', consumerSecret: 'cs' }, codeRequest(), {
        baseUrl: 'http://shop.example',
      }),
      woo(codeRequest({ value: { kind: 'percent_off', percent: 120 } })),
    ]);

    expect(refusals).toEqual([
      { ok: false, retryable: false, reason: 'percent cap unsupported by woocommerce' },
      { ok: false, retryable: false, reason: 'woocommerce needs the customer email' },
      { ok: false, retryable: false, reason: 'invalid request: value.productId' },
      { ok: false, retryable: false, reason: 'woocommerce url must be https' },
      { ok: false, retryable: false, reason: 'insecure or invalid base url' },
      { ok: false, retryable: false, reason: 'invalid request: value.percent' },
    ]);
    expect(server.requests()).toBe(0);
  });

  it('a wrong consumer secret is a permanent 401', async () => {
    expect(await woo(codeRequest(), { secret: 'cs_wrong' })).toEqual({
      ok: false,
      retryable: false,
      reason: 'http 401 woocommerce_rest_authentication_error',
    });
    expect(server.created()).toEqual([]);
  });

  it('every transient failure is retryable, with the wait the site asks for when it says one', async () => {
    const results: CodeResult[] = [];
    for (const kind of ['429', '500', '503', 'reset-after-write', 'timeout-after-write'] as const) {
      server.failNext(kind);
      results.push(await woo(codeRequest({ code: `RAP-T-${kind}` }), { timeoutMs: 300 }));
    }

    expect(results).toEqual([
      { ok: false, retryable: true, reason: 'http 429 rest_too_many_requests', retryAfterMs: 2000 },
      { ok: false, retryable: true, reason: 'http 500 internal_server_error' },
      { ok: false, retryable: true, reason: 'http 503', retryAfterMs: 600_000 },
      { ok: false, retryable: true, reason: 'network error' },
      { ok: false, retryable: true, reason: 'timeout' },
    ]);
    expect(server.created().map((coupon) => coupon.code)).toEqual(['rap-t-reset-after-write', 'rap-t-timeout-after-write']);
  });

  it('a retry after a lost answer finds the coupon it created and answers its id: one coupon, not two', async () => {
    server.failNext('503-after-write');
    const first = await woo(codeRequest());
    const second = await woo(codeRequest());

    const created = server.created();
    expect(first).toMatchObject({ ok: false, retryable: true, reason: 'http 503' });
    expect(created).toHaveLength(1);
    expect(second).toEqual({ ok: true, platformId: String(created[0]!.id) });
    expect(server.requests()).toBe(3); // create (answer lost), create (already exists), GET ?code=
  });

  it('the same code already held by another coupon stays taken', async () => {
    expect((await woo(codeRequest({ title: 'Black Friday' }))).ok).toBe(true);

    expect(await woo(codeRequest())).toEqual({ ok: false, retryable: false, reason: CODE_TAKEN });
    expect(server.created()).toHaveLength(1);
  });

  it('RAPPORT_WOOCOMMERCE_URL redirects the client when no baseUrl is given, naming the site in a header', async () => {
    const result = await withEnv(WOOCOMMERCE_URL_ENV, server.url, () =>
      createWooCommerceCode({ url: server.siteUrl, consumerKey: server.consumerKey, consumerSecret: server.consumerSecret }, codeRequest()),
    );

    expect(result.ok).toBe(true);
    expect(server.created()[0]?.siteUrl).toBe('https://traviet.example');
  });

  it('without an override: {site}/wp-json/wc/v3/coupons with Basic auth and no Rapport header', async () => {
    const seen: Array<{ url: string; init: RequestInit }> = [];
    const fakeFetch = (async (url: string | URL | Request, init?: RequestInit) => {
      seen.push({ url: String(url), init: init ?? {} });
      return Response.json({ id: 719, code: 'rap-7k2m-9qxd' }, { status: 201 });
    }) as typeof fetch;

    const result = await withEnv(WOOCOMMERCE_URL_ENV, undefined, () =>
      createWooCommerceCode({ url: 'https://traviet.example/store/', consumerKey: 'ck_1', consumerSecret: 'cs_2' }, codeRequest(), {
        fetch: fakeFetch,
      }),
    );

    expect(result).toEqual({ ok: true, platformId: '719' });
    expect(seen[0]!.url).toBe('https://traviet.example/store/wp-json/wc/v3/coupons');
    expect(seen[0]!.init.headers).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from('ck_1:cs_2').toString('base64')}`,
    });
  });

  it('30 % of calls failing, some after the write: a retry loop ends with exactly one coupon per request', async () => {
    await server.close();
    server = await startWooCommerceServer({ failRate: 0.3, seed: 20261203, afterWrite: 0.4 });
    const failures: CodeResult[] = [];
    const requests = Array.from({ length: 40 }, (_, i) => codeRequest({ code: `RAP-LOAD-${i}`, title: `Rapport: 5% off (c_${i})` }));

    const results = [];
    for (const request of requests) results.push(await untilSettled(() => woo(request, { timeoutMs: 2000 }), failures));

    const created = server.created();
    expect(created.map((coupon) => coupon.code).sort()).toEqual(requests.map((request) => request.code.toLowerCase()).sort());
    expect(results).toEqual(
      requests.map((request) => ({ ok: true, platformId: String(created.find((c) => c.code === request.code.toLowerCase())!.id) })),
    );
    expect(failures.length).toBeGreaterThan(5);
    expect(new Set(failures.map((failure) => (failure.ok ? '' : failure.reason)))).toEqual(
      new Set(['http 429 rest_too_many_requests', 'http 500 internal_server_error', 'http 503', 'network error']),
    );
    expect(JSON.stringify(failures)).not.toMatch(/@|ck_|cs_/);
  });
});

describe('the contract servers refuse what the documentation does not allow', () => {
  const post = (url: string, headers: Record<string, string>, body: unknown) =>
    fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  interface GraphqlAnswer {
    errors?: Array<{ message: string; extensions: { code: string } }>;
    data?: { discountCodeBasicCreate: { userErrors: Array<{ code: string }> } };
  }
  const answer = async (res: Promise<Response>) => (await (await res).json()) as GraphqlAnswer;

  it('Shopify: content type, the operation text, undeclared variables and input fields the type lacks', async () => {
    const server = await startShopifyAdminServer();
    try {
      const endpoint = `${server.url}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`;
      const headers = { 'x-shopify-access-token': server.accessToken, 'x-rapport-shop-domain': server.shopDomain };
      const json = { ...headers, 'content-type': 'application/json' };
      const mutation = `mutation M($basicCodeDiscount: DiscountCodeBasicInput!) {
        discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) { codeDiscountNode { id } userErrors { field code message } } }`;

      expect((await post(endpoint, { ...headers, 'content-type': 'text/plain' }, { query: mutation })).status).toBe(400);
      expect((await post(`${server.url}/admin/api/2026-11/graphql.json`, json, { query: mutation })).status).toBe(404);
      expect((await post(endpoint, { ...json, 'x-rapport-shop-domain': 'other.myshopify.com' }, { query: mutation })).status).toBe(404);
      const inline = await answer(post(endpoint, json, { query: mutation.replace('$basicCodeDiscount)', '{ code: "X" })') }));
      expect(inline.errors?.[0]?.message).toMatch(/must take basicCodeDiscount from a variable/);
      const unselected = await answer(
        post(endpoint, json, { query: mutation.replace('userErrors { field code message }', 'userErrors { message }') }),
      );
      expect(unselected.errors?.[0]?.message).toMatch(/selection must include/);
      const extra = await answer(post(endpoint, json, { query: mutation, variables: { basicCodeDiscount: {}, other: 1 } }));
      expect(extra.errors?.[0]?.extensions.code).toBe('variableNotDefined');
      const unknownField = await answer(
        post(endpoint, json, { query: mutation, variables: { basicCodeDiscount: { code: 'X', customerEmail: EMAIL } } }),
      );
      expect(unknownField.errors?.[0]?.extensions.code).toBe('INVALID_VARIABLE');
      // title, startsAt, context and customerGets are required on create; Shopify says so in userErrors
      const blank = await answer(post(endpoint, json, { query: mutation, variables: { basicCodeDiscount: { code: 'X' } } }));
      expect(blank.data?.discountCodeBasicCreate.userErrors.map((error) => error.code)).toEqual(['BLANK', 'BLANK', 'BLANK', 'BLANK']);
      expect(server.created()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('WooCommerce: content type, properties the schema lacks, wrong types and an expiry without an offset', async () => {
    const server = await startWooCommerceServer();
    try {
      const endpoint = `${server.url}/wp-json/wc/v3/coupons`;
      const auth = `Basic ${Buffer.from(`${server.consumerKey}:${server.consumerSecret}`).toString('base64')}`;
      const json = { authorization: auth, 'x-rapport-shop-url': server.siteUrl, 'content-type': 'application/json' };
      const refusal = async (headers: Record<string, string>, body: unknown) => {
        const res = await post(endpoint, headers, body);
        return { status: res.status, code: ((await res.json()) as { code: string }).code };
      };

      expect(await refusal({ ...json, 'content-type': 'application/x-www-form-urlencoded' }, 'code=x')).toEqual({
        status: 400,
        code: 'rest_invalid_json',
      });
      expect(await refusal({ ...json, authorization: '' }, { code: 'x' })).toEqual({ status: 401, code: 'woocommerce_rest_cannot_create' });
      expect(await refusal(json, { code: 'x', customer_email: [EMAIL] })).toEqual({ status: 400, code: 'rest_invalid_param' });
      expect(await refusal(json, { code: 'x', amount: 10 })).toEqual({ status: 400, code: 'rest_invalid_param' });
      expect(await refusal(json, { code: 'x', date_expires: '2027-01-02T23:59:59' })).toEqual({ status: 400, code: 'rest_invalid_param' });
      expect(await refusal(json, { code: 'x', date_expires: '2027-01-02T23:59:59.999Z' })).toEqual({
        status: 400,
        code: 'rest_invalid_param',
      });
      expect(await refusal(json, { code: ' ' })).toEqual({ status: 400, code: 'woocommerce_rest_empty_coupon_code' });
      expect(server.created()).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
