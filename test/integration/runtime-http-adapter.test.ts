import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackEndpoint } from '#infra/local/emulators.ts';
import { apiGatewayTime, type HttpAdapter, type HttpRouteBinding, matchRoute, startHttpAdapter } from '#infra/local/http-adapter.ts';
import type { HttpHandler } from '#infra/local/lambda.ts';

const fn = { name: 'fake', memoryMb: 128, timeoutSeconds: 2 };

describe('local HTTP adapter (API Gateway HTTP API, payload format 2.0)', () => {
  const seen: Array<{ event: APIGatewayProxyEventV2; context: Context }> = [];
  const logs: string[] = [];
  let adapter: HttpAdapter;
  let result: (event: APIGatewayProxyEventV2) => unknown = () => ({ statusCode: 204 });

  const record: HttpHandler = async (event, context) => {
    seen.push({ event, context });
    return result(event);
  };
  const routes: HttpRouteBinding[] = [
    { method: 'POST', path: '/webhooks/generic/{shopId}', fn, handler: record },
    { method: 'GET', path: '/v1/customers/{customerId}', fn, handler: record },
    { method: 'GET', path: '/v1/customers/{customerId}/timeline', fn, handler: record },
    { method: 'GET', path: '/v1/customers', fn, handler: record },
    {
      method: 'POST',
      path: '/boom',
      fn,
      handler: async () => {
        throw new Error('handler exploded');
      },
    },
    { method: 'GET', path: '/slow', fn: { ...fn, timeoutSeconds: 1 }, handler: () => new Promise(() => undefined) },
  ];

  beforeAll(async () => {
    adapter = await startHttpAdapter({ routes, port: 0, log: (line) => logs.push(line) });
    if (!isLoopbackEndpoint(adapter.url)) throw new Error(`refusing to test against ${adapter.url}`);
  });
  afterAll(() => adapter?.close());

  const last = () => {
    const entry = seen.at(-1);
    if (!entry) throw new Error('handler was not called');
    return entry;
  };

  it('binds 127.0.0.1 only', async () => {
    expect(new URL(adapter.url).hostname).toBe('127.0.0.1');
    const port = Number(new URL(adapter.url).port);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) await expect(rawRequest({ host: external.address, port, path: '/v1/customers' })).rejects.toThrow();
  });

  it('builds the event API Gateway builds: routeKey, decoded pathParameters, lower-cased headers, raw body', async () => {
    const body = '{"b": 1,  "a":"é"}';
    const res = await rawRequest({
      port: Number(new URL(adapter.url).port),
      method: 'POST',
      path: '/webhooks/generic/shop%201?x=1&x=2&y=a%20b',
      headers: [
        ['X-Rapport-Signature', 't=1,v1=abc'],
        ['X-Dup', 'one'],
        ['X-Dup', 'two'],
        ['Cookie', 'a=1; b=2'],
        ['Content-Type', 'application/json'],
      ],
      body,
    });
    expect(res.status).toBe(204);
    const { event, context } = last();
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('POST /webhooks/generic/{shopId}');
    expect(event.rawPath).toBe('/webhooks/generic/shop%201');
    expect(event.rawQueryString).toBe('x=1&x=2&y=a%20b');
    expect(event.queryStringParameters).toEqual({ x: '1,2', y: 'a b' });
    expect(event.pathParameters).toEqual({ shopId: 'shop 1' });
    expect(event.headers['x-rapport-signature']).toBe('t=1,v1=abc');
    expect(event.headers['x-dup']).toBe('one,two');
    expect(event.headers['content-type']).toBe('application/json');
    expect(Object.keys(event.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.body).toBe(body);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext).toMatchObject({
      accountId: expect.any(String),
      apiId: expect.any(String),
      domainName: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      domainPrefix: '127',
      http: { method: 'POST', path: '/webhooks/generic/shop%201', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
      routeKey: 'POST /webhooks/generic/{shopId}',
      stage: '$default',
      timeEpoch: expect.any(Number),
    });
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(context.functionName).toBe('fake');
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(2000);
  });

  it('decodes each path parameter exactly once, as API Gateway does, and passes an escape that does not decode as sent', () => {
    expect(matchRoute(routes, 'GET', '/v1/customers/%25')?.pathParameters).toEqual({ customerId: '%' });
    expect(matchRoute(routes, 'GET', '/v1/customers/%2525')?.pathParameters).toEqual({ customerId: '%25' });
    expect(matchRoute(routes, 'GET', '/v1/customers/rfm%3Achampions')?.pathParameters).toEqual({ customerId: 'rfm:champions' });
    expect(matchRoute(routes, 'GET', '/v1/customers/%ZZ')?.pathParameters).toEqual({ customerId: '%ZZ' });
    expect(matchRoute(routes, 'GET', '/v1/customers/%E0%A4%A')?.pathParameters).toEqual({ customerId: '%E0%A4%A' });
  });

  it('leaves out body, query and path parameters when there are none', async () => {
    await fetch(`${adapter.url}/v1/customers`);
    const { event } = last();
    expect(event.routeKey).toBe('GET /v1/customers');
    expect(event).not.toHaveProperty('body');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('pathParameters');
    expect(event).not.toHaveProperty('cookies');
  });

  it("writes requestContext.time as API Gateway does, in UTC whatever the machine's time zone", () => {
    expect(apiGatewayTime(new Date(Date.UTC(2020, 2, 12, 19, 3, 58)))).toBe('12/Mar/2020:19:03:58 +0000');
    expect(apiGatewayTime(new Date(Date.UTC(2026, 0, 1, 0, 0, 0)))).toBe('01/Jan/2026:00:00:00 +0000');
    expect(apiGatewayTime(new Date(Date.UTC(2025, 11, 31, 23, 59, 59)))).toBe('31/Dec/2025:23:59:59 +0000');
  });

  it('prefers the most specific route', () => {
    expect(matchRoute(routes, 'GET', '/v1/customers/c1/timeline')?.route.path).toBe('/v1/customers/{customerId}/timeline');
    expect(matchRoute(routes, 'GET', '/v1/customers/c1')?.pathParameters).toEqual({ customerId: 'c1' });
    const withLiteral = [...routes, { ...routes[1], path: '/v1/customers/me' } as HttpRouteBinding];
    expect(matchRoute(withLiteral, 'GET', '/v1/customers/me')?.route.path).toBe('/v1/customers/me');
    expect(matchRoute(routes, 'GET', '/v1/customers/')).toBeUndefined();
  });

  it('writes structured results: status, headers, cookies, base64 bodies', async () => {
    result = () => ({
      statusCode: 202,
      headers: { 'content-type': 'application/json', 'x-count': 3 },
      cookies: ['s=1; HttpOnly', 't=2'],
      body: '{"accepted":1}',
    });
    const res = await fetch(`${adapter.url}/webhooks/generic/s1`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-count')).toBe('3');
    expect(res.headers.get('content-length')).toBe('14');
    expect(res.headers.getSetCookie()).toEqual(['s=1; HttpOnly', 't=2']);
    expect(await res.json()).toEqual({ accepted: 1 });

    result = () => ({ statusCode: 200, body: Buffer.from('binary!').toString('base64'), isBase64Encoded: true });
    expect(await (await fetch(`${adapter.url}/v1/customers`)).text()).toBe('binary!');
  });

  it('reads a string or an object without statusCode as a 200 JSON body, as API Gateway does', async () => {
    result = () => 'plain words';
    let res = await fetch(`${adapter.url}/v1/customers`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('plain words');

    result = () => ({ hello: 'world' });
    res = await fetch(`${adapter.url}/v1/customers`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ hello: 'world' });
    result = () => ({ statusCode: 204 });
  });

  it('answers 413 for a body over 256 KB without calling the handler', async () => {
    const calls = seen.length;
    const big = 'a'.repeat(256 * 1024 + 1);
    const res = await fetch(`${adapter.url}/webhooks/generic/s1`, { method: 'POST', body: big });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });

    // Chunked, with no content-length to go by.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new Uint8Array(16 * 1024).fill(97));
        controller.close();
      },
    });
    const chunked = await fetch(`${adapter.url}/webhooks/generic/s1`, {
      method: 'POST',
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(seen.length).toBe(calls);

    const exact = await fetch(`${adapter.url}/webhooks/generic/s1`, { method: 'POST', body: 'a'.repeat(256 * 1024) });
    expect(exact.status).toBe(204);
    expect(last().event.body).toHaveLength(256 * 1024);
  });

  it('answers 404 for an unknown path and for a known path with another method', async () => {
    for (const [method, path] of [
      ['GET', '/nowhere'],
      ['DELETE', '/v1/customers/c1'],
      ['GET', '/webhooks/generic/s1'],
    ] as const) {
      const res = await fetch(`${adapter.url}${path}`, { method });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ message: 'Not Found', error: { code: 'not_found' } });
    }
  });

  it('answers a throwing handler with API Gateway 500 and logs the error without the body', async () => {
    logs.length = 0;
    const res = await fetch(`${adapter.url}/boom`, { method: 'POST', body: '{"email":"someone@example.com"}' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
    expect(logs.join('\n')).toContain('handler exploded');
    expect(logs.join('\n')).not.toContain('someone@example.com');
  });

  it('answers 500 when a handler outlives its timeout', async () => {
    const res = await fetch(`${adapter.url}/slow`);
    expect(res.status).toBe(500);
    expect(logs.join('\n')).toContain('timed out after 1 seconds');
  });
});

/** node:http, because fetch cannot send duplicate headers or hit another interface's address easily. */
function rawRequest(opts: {
  host?: string;
  port: number;
  method?: string;
  path: string;
  headers?: Array<[string, string]>;
  body?: string;
}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: opts.host ?? '127.0.0.1',
        port: opts.port,
        method: opts.method ?? 'GET',
        path: opts.path,
        // Raw header pairs keep duplicates; Node then adds no Host of its own.
        headers: [['Host', `127.0.0.1:${opts.port}`], ...(opts.headers ?? [])].flat(),
        timeout: 2000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(opts.body);
  });
}
