import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchMe, redeem, StorefrontRequestError } from '#widget/src/api.ts';

/** What the widget sends: the storefront contract's headers (shared/http/storefront-contract.ts), nothing else. */

const calls: Array<{ url: string; init: RequestInit }> = [];
const answerWith = (status: number, body: unknown) =>
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  });

afterEach(() => {
  vi.unstubAllGlobals();
  calls.length = 0;
});

const api = 'https://rapport.example';

describe('the widget’s storefront calls', () => {
  it('reads as an anonymous visitor with the shop only, and in the language asked', async () => {
    answerWith(200, { customer: null });
    await fetchMe({ api, shop: 'tra-xanh' }, 'vi');
    expect(calls[0]!.url).toBe(`${api}/v1/storefront/me?lang=vi`);
    expect(calls[0]!.init.headers).toEqual({ 'Accept-Language': 'vi', 'X-Rapport-Shop': 'tra-xanh' });
    await fetchMe({ api, shop: 'tra-xanh' }, undefined);
    expect(calls[1]!.url).toBe(`${api}/v1/storefront/me`);
    expect(calls[1]!.init.headers).toEqual({ 'X-Rapport-Shop': 'tra-xanh' });
  });

  it('sends the shop’s signature as it is, and it wins over a link token', async () => {
    answerWith(200, { customer: null });
    await fetchMe({ api, shop: 'tra-xanh', customer: 't=1,c=shopify%3A7,v1=ab', link: 'lnk' }, 'en');
    expect(calls[0]!.init.headers).toMatchObject({ 'X-Rapport-Customer': 't=1,c=shopify%3A7,v1=ab' });
    expect(calls[0]!.init.headers).not.toHaveProperty('X-Rapport-Link');
    await fetchMe({ api, shop: 'tra-xanh', link: 'lnk' }, 'en');
    expect(calls[1]!.init.headers).toMatchObject({ 'X-Rapport-Link': 'lnk' });
  });

  it('redeems with the click’s Idempotency-Key and a body of {} or {steps}', async () => {
    answerWith(201, { code: {}, spendable: 0, balance: 0 });
    const who = { api, shop: 'tra-xanh', link: 'lnk' };
    await redeem(who, 'off 50k', undefined, 'key-1', 'vi');
    await redeem(who, 'points-off', 3, 'key-2', 'en');
    expect(calls.map((c) => [c.url, c.init.method, c.init.body])).toEqual([
      [`${api}/v1/storefront/me/rewards/off%2050k/redeem`, 'POST', '{}'],
      [`${api}/v1/storefront/me/rewards/points-off/redeem`, 'POST', '{"steps":3}'],
    ]);
    expect(calls[0]!.init.headers).toMatchObject({ 'Idempotency-Key': 'key-1', 'Content-Type': 'application/json' });
    expect(calls[1]!.init.headers).toMatchObject({ 'Idempotency-Key': 'key-2', 'Accept-Language': 'en' });
  });

  it('turns an error answer into its status, code and message', async () => {
    answerWith(409, { error: { code: 'not_enough_points', message: 'Not enough points.' } });
    const refused = await redeem({ api, shop: 's' }, 'r', undefined, 'k', 'en').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(StorefrontRequestError);
    expect(refused).toMatchObject({ status: 409, code: 'not_enough_points', message: 'Not enough points.' });
    answerWith(502, 'Bad Gateway');
    await expect(fetchMe({ api, shop: 's' }, 'en')).rejects.toMatchObject({ status: 502, code: 'unknown' });
  });
});
