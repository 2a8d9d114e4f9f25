import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import { startTestRuntime } from '#test/support/local-api.ts';

/**
 * GET /openapi.json and GET /docs on the local runtime, through the same function as on AWS: the
 * document, and a reference page that loads nothing the runtime does not serve itself (it must work
 * offline), under a policy that would keep the browser from loading anything else.
 */

// biome-ignore lint/suspicious/noExplicitAny: answers are checked by assertions, not by types
type Json = Record<string, any>;

const swaggerUiFile = (name: string) => readFileSync(createRequire(import.meta.url).resolve(`swagger-ui-dist/${name}`));

describe('the API describing itself on the local runtime', () => {
  let runtime: Runtime;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ runtime, stop } = await startTestRuntime());
  });
  afterAll(() => stop());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, `${runtime.apiUrl}/`), { headers });

  it('GET /openapi.json answers the OpenAPI 3.1 document as JSON', async () => {
    const res = await get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
    const doc = (await res.json()) as Json;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/v1/customers/{customerId}'].get.responses['200']).toBeDefined();
    expect(doc.paths['/openapi.json'].get).toBeDefined();
  });

  it('GET /docs answers an HTML page whose scripts and stylesheets the runtime serves itself', async () => {
    const res = await get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();

    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThanOrEqual(2);
    const sources = scripts.map((tag) => /\bsrc="([^"]+)"/.exec(tag)?.[1]);
    // Every script is a file of ours: no inline script, no URL with a scheme or a host.
    expect(sources.every((src) => src !== undefined)).toBe(true);
    const links = [...html.matchAll(/<link\b[^>]*>/g)].map((m) => m[0]);
    const stylesheets = links.filter((tag) => /\brel="stylesheet"/.test(tag)).map((tag) => /\bhref="([^"]+)"/.exec(tag)?.[1] as string);
    expect(stylesheets.length).toBeGreaterThanOrEqual(1);
    // The one other link is the icon, inline (`data:`), so the browser asks for no /favicon.ico.
    for (const tag of links.filter((t) => !/\brel="stylesheet"/.test(t))) expect(tag).toMatch(/\bhref="data:/);
    const loaded = [...(sources as string[]), ...stylesheets];
    for (const ref of loaded) expect(ref, ref).not.toMatch(/^([a-z][a-z0-9+.-]*:|\/\/)/i);
    expect(html).not.toMatch(/https?:\/\//);

    const page = new URL(res.url);
    for (const ref of loaded) {
      const url = new URL(ref, page);
      expect(url.origin).toBe(page.origin);
      const asset = await fetch(url);
      expect(asset.status, ref).toBe(200);
      expect(asset.headers.get('content-type'), ref).toMatch(/^text\/(javascript|css); charset=utf-8$/);
      expect((await asset.text()).length, ref).toBeGreaterThan(100);
    }

    // The browser itself is told to load nothing from anywhere else.
    const policy = res.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toMatch(/https?:|\*|'unsafe-inline'|'unsafe-eval'/);
  });

  it("serves Swagger UI's own files, gzipped when accepted, cached for a year at the version the page names", async () => {
    const html = await (await get('/docs')).text();
    const named = /src="(docs\/swagger-ui-bundle\.js\?v=[0-9a-f]+)"/.exec(html)?.[1];
    expect(named).toBeDefined();

    const gzipped = await fetch(new URL(named as string, `${runtime.apiUrl}/`), { headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(gzipped.headers.get('vary')).toBe('accept-encoding');
    // fetch undoes the gzip; the bytes are swagger-ui-dist's.
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(Buffer.from(await gzipped.arrayBuffer()).equals(swaggerUiFile('swagger-ui-bundle.js'))).toBe(true);

    const plain = await get('/docs/swagger-ui.css', { 'accept-encoding': 'identity' });
    expect(plain.headers.get('content-encoding')).toBeNull();
    // Without the page's version a copy may be stale: revalidated every time.
    expect(plain.headers.get('cache-control')).toBe('no-cache');
    expect(Buffer.from(await plain.arrayBuffer()).equals(swaggerUiFile('swagger-ui.css'))).toBe(true);

    const missing = await get('/docs/swagger-ui.js');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as Json).error.code).toBe('not_found');
  });
});
