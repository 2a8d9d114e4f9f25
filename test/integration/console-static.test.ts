import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpAdapter, type HttpRouteBinding, startHttpAdapter } from '#infra/local/http-adapter.ts';
import type { HttpHandler } from '#infra/local/lambda.ts';

/** The local runtime serves the merchant console's build at `/` without changing any API answer. */

const fn = { name: 'fake', memoryMb: 128, timeoutSeconds: 2 };
const answer: HttpHandler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ route: event.routeKey }),
});
const routes: HttpRouteBinding[] = [
  { method: 'GET', path: '/v1/customers', fn, handler: answer },
  { method: 'GET', path: '/docs', fn, handler: answer },
];

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body></body></html>';
const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

describe('the console on the local runtime', () => {
  let dist: string;
  let adapter: HttpAdapter;
  let bare: HttpAdapter;

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'rapport-console-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), INDEX);
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'index-abc123.css'), 'body{}');
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    adapter = await startHttpAdapter({ routes, port: 0, consoleDir: dist });
    bare = await startHttpAdapter({ routes, port: 0, consoleDir: join(dist, 'not-built') });
  });
  afterAll(async () => {
    await Promise.all([adapter?.close(), bare?.close()]);
    rmSync(dist, { recursive: true, force: true });
  });

  it('GET / answers index.html, never cached without asking, with a content security policy', async () => {
    for (const headers of [{}, browser]) {
      const res = await fetch(`${adapter.url}/`, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toBe(INDEX);
    }
    const head = await fetch(`${adapter.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(INDEX)));
    expect(await head.text()).toBe('');
  });

  it('answers hashed assets with their type, cached for a year', async () => {
    const js = await fetch(`${adapter.url}/assets/index-abc123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log(1)');
    const css = await fetch(`${adapter.url}/assets/index-abc123.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const icon = await fetch(`${adapter.url}/favicon.svg`);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    // Not hashed: a new build may change it under the same name.
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers index.html to a browser opening one of the app’s own routes, so a reload keeps the page', async () => {
    for (const path of ['/customers', '/customers/c_0123456789abcdef0123', '/program?tab=json']) {
      const res = await fetch(`${adapter.url}${path}`, { headers: browser });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toBe(INDEX);
    }
  });

  it('leaves a missing file, a client that does not ask for HTML and a path outside the dist to the JSON 404', async () => {
    for (const [path, headers] of [
      ['/assets/missing-123.js', browser],
      ['/assets/missing', browser],
      ['/robots.txt', browser],
      ['/customers', {}],
    ] as const) {
      const res = await fetch(`${adapter.url}${path}`, { headers });
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('never reads outside the build, however the path is written', async () => {
    for (const path of [
      '/../../../../etc/hosts',
      '/..%2f..%2f..%2f..%2fetc%2fhosts',
      '/assets/..%2f..%2f..%2f..%2f..%2fetc%2fhosts',
      '/%2e%2e/%2e%2e/%2e%2e/etc/hosts',
    ]) {
      const res = await rawGet(adapter.url, path, browser);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('localhost');
    }
  });

  it('keeps every API path as it was: routes answer, unknown API paths are JSON 404s even to a browser', async () => {
    const listed = await fetch(`${adapter.url}/v1/customers`, { headers: browser });
    expect(await listed.json()).toEqual({ route: 'GET /v1/customers' });
    const docs = await fetch(`${adapter.url}/docs`, { headers: browser });
    expect(await docs.json()).toEqual({ route: 'GET /docs' });
    for (const path of [
      '/v1/nowhere',
      '/admin',
      '/admin/shops',
      '/webhooks/generic/s1',
      '/unsubscribe',
      '/feedback',
      '/health',
      '/openapi.json',
      '/_local/x',
    ]) {
      const res = await fetch(`${adapter.url}${path}`, { headers: browser });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toBe('application/json');
    }
    const post = await fetch(`${adapter.url}/`, { method: 'POST', headers: browser, body: '{}' });
    expect(post.status).toBe(404);
    expect(await post.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('says how to build the console when it is not built, and leaves other paths to the JSON 404', async () => {
    const res = await fetch(`${bare.url}/`, { headers: browser });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toContain('npm run build:console');
    const route = await fetch(`${bare.url}/customers`, { headers: browser });
    expect(route.status).toBe(404);
    expect(await route.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('serves no console when told not to: GET / is the JSON 404 it always was', async () => {
    const none = await startHttpAdapter({ routes, port: 0, consoleDir: null });
    try {
      const res = await fetch(`${none.url}/`, { headers: browser });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ message: 'Not Found', error: { code: 'not_found' } });
    } finally {
      await none.close();
    }
  });
});

/** A GET with the path exactly as given: fetch would resolve the dot segments first. */
function rawGet(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}
