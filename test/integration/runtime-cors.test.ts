import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_CORS } from '#infra/api-cors.ts';
import { type HttpAdapter, type HttpRouteBinding, startHttpAdapter } from '#infra/local/http-adapter.ts';
import type { HttpHandler } from '#infra/local/lambda.ts';

/**
 * The local runtime answers CORS as API Gateway does with the deployed API's configuration
 * (infra/api-cors.ts): a shop's page on another origin can call a local Rapport, the storefront
 * widget's headers included.
 */

const fn = { name: 'fake', memoryMb: 128, timeoutSeconds: 2 };
const answer: HttpHandler = async () => ({
  statusCode: 200,
  // The function's own CORS headers: API Gateway replaces them with the configuration's.
  headers: { 'content-type': 'application/json', 'access-control-allow-origin': 'https://only.example', 'x-next-cursor': 'c2' },
  body: '{"ok":true}',
});
const routes: HttpRouteBinding[] = [
  { method: 'GET', path: '/v1/storefront/me', fn, handler: answer },
  { method: 'POST', path: '/v1/storefront/me/rewards/{rewardId}/redeem', fn, handler: answer },
];
const SHOP_PAGE = 'https://traxanh.example.vn';

describe('CORS on the local runtime', () => {
  let adapter: HttpAdapter;
  let bare: HttpAdapter;

  beforeAll(async () => {
    adapter = await startHttpAdapter({ routes, port: 0, consoleDir: null, widgetDir: null });
    bare = await startHttpAdapter({ routes, port: 0, consoleDir: null, widgetDir: null, cors: null });
  });
  afterAll(async () => {
    await Promise.all([adapter?.close(), bare?.close()]);
  });

  const preflight = (base: string, method: string, headers: string) =>
    fetch(`${base}/v1/storefront/me/rewards/r1/redeem`, {
      method: 'OPTIONS',
      headers: { origin: SHOP_PAGE, 'access-control-request-method': method, 'access-control-request-headers': headers },
    });

  it('answers the widget’s preflight itself, with no OPTIONS route: any origin, its headers, a day’s cache', async () => {
    const res = await preflight(adapter.url, 'POST', 'content-type,idempotency-key,x-rapport-customer,x-rapport-shop');
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe(API_CORS.allowMethods.join(','));
    expect(res.headers.get('access-control-allow-headers')).toBe(API_CORS.allowHeaders.join(','));
    expect(res.headers.get('access-control-max-age')).toBe('86400');
    for (const header of ['x-rapport-customer', 'x-rapport-link', 'x-rapport-shop', 'idempotency-key', 'authorization', 'if-match']) {
      expect((await preflight(adapter.url, 'GET', header)).headers.get('access-control-allow-origin'), header).toBe('*');
    }
  });

  it('gives a preflight asking for a header or method not configured no CORS headers, so the browser refuses', async () => {
    for (const res of [await preflight(adapter.url, 'POST', 'x-something-else'), await preflight(adapter.url, 'HEAD', '')]) {
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('puts the configuration’s headers on a CORS request’s answer, instead of the function’s own', async () => {
    const res = await fetch(`${adapter.url}/v1/storefront/me`, { headers: { origin: SHOP_PAGE } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toBe('x-next-cursor,etag');
    expect(res.headers.get('x-next-cursor')).toBe('c2');
    const unknown = await fetch(`${adapter.url}/v1/nothing`, { headers: { origin: SHOP_PAGE } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('leaves a request without an Origin as it was, and an API without CORS without any', async () => {
    const plain = await fetch(`${adapter.url}/v1/storefront/me`);
    expect(plain.headers.get('access-control-allow-origin')).toBe('https://only.example');
    expect(plain.headers.get('access-control-expose-headers')).toBeNull();
    const none = await preflight(bare.url, 'POST', 'x-rapport-shop');
    expect(none.status).toBe(404);
  });
});
