import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functions } from '#functions/triggers.ts';
import type { Runtime } from '#infra/local/runtime.ts';
import { apiGet, createShopOverHttp, startTestRuntime } from '#test/support/local-api.ts';
import { send } from '#test/support/senders.ts';

/**
 * Path parameters over HTTP: API Gateway (and the local adapter) hands a function each one decoded
 * once, so a function must not decode again — `%25` is a literal `%`, which a second decode turned
 * into a URIError and a 500. Every route with a path parameter answers 400 naming the parameter for
 * a value that is not valid, whether it decoded (`%25`) or not (`%ZZ`, a cut UTF-8 sequence).
 */

const CUSTOMER = 'c_0123456789abcdef0123';
const COUPON_QUERY = `customerId=${CUSTOMER}&offer=win_back:2026-11`;

let runtime: Runtime;
let stop: () => Promise<void>;
let apiKey: string;

beforeAll(async () => {
  ({ runtime, stop } = await startTestRuntime());
  apiKey = await createShopOverHttp(runtime, { shopId: 'path-shop' });
});
afterAll(async () => stop?.());

describe('GET /v1/segments/{segmentId}/customers', () => {
  it.each(['%25', '%ZZ', '%E0%A4%A', 'rfm%3A%25'])('answers 400 naming segmentId for %s', async (raw) => {
    const res = await apiGet(runtime, apiKey, `/v1/segments/${raw}/customers`);
    expect(res.status, res.text).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'invalid_request', field: 'segmentId' });
  });

  it('reads an encoded segment id once: rfm%3Achampions is rfm:champions', async () => {
    const res = await apiGet(runtime, apiKey, '/v1/segments/rfm%3Achampions/customers');
    expect(res.status, res.text).toBe(200);
    expect(res.json.segmentId).toBe('rfm:champions');
  });
});

describe('GET /v1/coupons/{code}', () => {
  it.each(['%25', '%ZZ', '%E0%A4%A', 'RP-%25'])('answers 400 naming code for %s', async (raw) => {
    const res = await apiGet(runtime, apiKey, `/v1/coupons/${raw}?${COUPON_QUERY}`);
    expect(res.status, res.text).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'invalid_request', field: 'code' });
  });

  it('reads an encoded code once and checks it: a made-up code is not valid, and is no error', async () => {
    const res = await apiGet(runtime, apiKey, `/v1/coupons/summer%20sale?${COUPON_QUERY}`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ code: 'summer sale', valid: false });
  });
});

describe('every route with a path parameter in the trigger table', () => {
  const routes = functions
    .flatMap((f) => f.routes ?? [])
    .filter((route) => route.path.includes('{'))
    .flatMap((route) => ['%25', '%ZZ'].map((raw) => ({ ...route, raw })));

  it.each(routes)('$method $path with $raw: 400 naming the parameter, never 5xx', async ({ method, path, raw }) => {
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const target = path.replace(/\{\w+\}/g, raw);
    const query = path.startsWith('/v1/coupons/') ? `?${COUPON_QUERY}` : '';
    const res = await send(`${runtime.apiUrl}${target}${query}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': 'path-parameters-0001', 'content-type': 'application/json' },
      ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
    });
    expect(res.status, res.text).toBe(400);
    expect(params).toContain(res.json.error.field);
  });
});
