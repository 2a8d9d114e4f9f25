import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpAdapter, startHttpAdapter } from '#infra/local/http-adapter.ts';

/** The local runtime serves the storefront widget's build at /widget/*, for shops' pages on other origins. */

const SCRIPT = 'customElements.define("rapport-loyalty", class extends HTMLElement {});';
const INDEX = '<!doctype html><title>console</title>';
const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('the storefront widget on the local runtime', () => {
  let widget: string;
  let consoleBuild: string;
  let adapter: HttpAdapter;
  let bare: HttpAdapter;

  beforeAll(async () => {
    widget = mkdtempSync(join(tmpdir(), 'rapport-widget-'));
    consoleBuild = mkdtempSync(join(tmpdir(), 'rapport-console-'));
    writeFileSync(join(widget, 'rapport-loyalty.js'), SCRIPT);
    writeFileSync(join(consoleBuild, 'index.html'), INDEX);
    adapter = await startHttpAdapter({ routes: [], port: 0, consoleDir: consoleBuild, widgetDir: widget });
    bare = await startHttpAdapter({ routes: [], port: 0, consoleDir: consoleBuild, widgetDir: join(widget, 'not-built') });
  });
  afterAll(async () => {
    await Promise.all([adapter?.close(), bare?.close()]);
    rmSync(widget, { recursive: true, force: true });
    rmSync(consoleBuild, { recursive: true, force: true });
  });

  it('answers the script as JavaScript any origin may use, asked for again on each load', async () => {
    const res = await fetch(`${adapter.url}/widget/rapport-loyalty.js`, { headers: { origin: 'https://shop.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe(SCRIPT);
    const head = await fetch(`${adapter.url}/widget/rapport-loyalty.js`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(SCRIPT)));
  });

  it('answers a missing file, a path outside the build and an unbuilt widget with the JSON 404, never the console page', async () => {
    for (const path of ['/widget/missing.js', '/widget/', '/widget/..%2Findex.html', '/widget/..%2F..%2Fpackage.json']) {
      const res = await fetch(`${adapter.url}${path}`, { headers: html });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toBe('application/json');
    }
    const unbuilt = await fetch(`${bare.url}/widget/rapport-loyalty.js`);
    expect(unbuilt.status).toBe(404);
    expect(((await unbuilt.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('serves GET and HEAD only', async () => {
    const res = await fetch(`${adapter.url}/widget/rapport-loyalty.js`, { method: 'POST' });
    expect(res.status).toBe(404);
  });
});
