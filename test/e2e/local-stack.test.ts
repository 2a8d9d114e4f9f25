import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOURNAL_FILE, readJournal } from '#infra/local/queue-journal.ts';
import { signGeneric } from '#shared/domain/signature.ts';
import { freePort, type LocalProcess, startLocalProcess, waitFor } from '#test/e2e/local-process.ts';
import { orderEvent } from '#test/support/factories.ts';

/**
 * End to end, as a shop owner would do it: `npm start`, wait for the ready line, create a shop,
 * post signed orders over HTTP, read the profile and timeline back, stop with SIGTERM, start
 * again on the same data and find everything still there.
 */

// biome-ignore lint/suspicious/noExplicitAny: responses are checked by assertions, not by types
type Json = any;
const json = (response: Response): Promise<Json> => response.json();

const dataDir = mkdtempSync(join(tmpdir(), 'rapport-e2e-'));
let port: number;
let app: LocalProcess | undefined;

async function start(): Promise<string> {
  // The start script under `sh -c`, as npm runs it but without npm in between, so signals reach the
  // runtime as they do from a terminal's Ctrl-C, and its exit code is the runtime's own.
  app = startLocalProcess({ via: 'script', port, dataDir });
  return app.ready();
}

async function stop(): Promise<number | null> {
  if (!app) return null;
  app.child.kill('SIGTERM');
  return (await app.closed).code;
}

beforeAll(async () => {
  port = await freePort();
});

afterAll(async () => {
  await app?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start, as a shop would use it', () => {
  let api: string;
  let apiKey: string;
  let secret: string;
  let customerId: string;

  it('prints the contract lines, the ready line last', async () => {
    api = await start();
    expect(api).toBe(`http://127.0.0.1:${port}`);
    expect(app!.output()).toMatch(/Admin key: e2e-admin-key-123/);
    expect(app!.output()).toMatch(/Mail viewer: http:\/\/127\.0\.0\.1:\d+/);
  });

  it('creates a shop with the admin key', async () => {
    const response = await fetch(`${api}/admin/shops`, {
      method: 'POST',
      headers: { authorization: 'Bearer e2e-admin-key-123', 'content-type': 'application/json' },
      body: JSON.stringify({ shopId: 'e2e-shop', name: 'Trà Việt', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' }),
    });
    expect(response.status).toBe(201);
    const shop = await json(response);
    apiKey = shop.apiKey;
    secret = shop.generatedSecrets.generic;
    expect(apiKey).toMatch(/^rk_e2e-shop_/);
  });

  it('accepts signed orders, refuses a bad signature, and builds the profile and timeline', async () => {
    const post = (body: string, signature?: string) =>
      fetch(`${api}/webhooks/generic/e2e-shop`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-rapport-signature': signature ?? signGeneric(secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
      });
    const first = JSON.stringify(
      orderEvent(
        'e2e-shop',
        { orderId: 'A-1' },
        { externalId: 'generic:77', email: 'Mai@Example.vn', phone: '0912 345 678', firstName: 'Mai' },
      ),
    );
    const second = JSON.stringify(
      orderEvent(
        'e2e-shop',
        { orderId: 'A-2', total: 500_000, createdAt: '2026-04-02T00:00:00.000Z', updatedAt: '2026-04-02T00:00:00.000Z' },
        { email: 'mai@example.vn' },
      ),
    );
    expect((await post(first)).status).toBe(202);
    expect((await post(first)).status).toBe(202); // a redelivery is accepted and changes nothing
    expect((await post(second)).status).toBe(202);
    const forged = await post(second, signGeneric('not-the-shop-secret-000000', second, Math.floor(Date.now() / 1000)));
    expect(forged.status).toBe(401);
    expect((await json(forged)).error.code).toBe('unauthorized');
    const bad = await post(JSON.stringify({ ...JSON.parse(second), order: { ...JSON.parse(second).order, currency: 'USD' } }));
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.field).toBe('order.currency');

    const auth = { authorization: `Bearer ${apiKey}` };
    const found = await waitFor('the customer', async () => {
      const res = await fetch(`${api}/v1/customers?phone=${encodeURIComponent('+84912345678')}`, { headers: auth });
      const body = await json(res);
      return body.items?.[0]?.orderCount === 2 ? body.items[0] : undefined;
    });
    customerId = found.customerId;
    const profile = await json(await fetch(`${api}/v1/customers/${customerId}`, { headers: auth }));
    expect(profile).toMatchObject({
      shopId: 'e2e-shop',
      email: 'mai@example.vn',
      phone: '+84912345678',
      name: 'Mai',
      orderCount: 2,
      totalSpent: { amount: 1_999_000 + 500_000, currency: 'VND' },
      lastOrderAt: '2026-04-02T00:00:00.000Z',
    });
    // The whole timeline, two entries a page, newest first — once the email stage has had its say.
    const timeline = await waitFor('the welcome email decision', async () => {
      const items: Array<Record<string, unknown>> = [];
      let cursor: string | undefined;
      do {
        const page = await json(
          await fetch(`${api}/v1/customers/${customerId}/timeline?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { headers: auth }),
        );
        expect(page.items.length).toBeLessThanOrEqual(2);
        items.push(...page.items);
        cursor = page.cursor;
      } while (cursor);
      return items.some((i) => i.type === 'email') ? items : undefined;
    });
    const ats = timeline.map((i) => String(i.at));
    expect(ats).toEqual([...ats].sort().reverse());
    expect(timeline.filter((i) => i.type === 'order').map((i) => i.orderId)).toEqual(['A-2', 'A-1']);
    // The first order, the customer joining the program's first tier with it, the welcome trigger,
    // and the email stage's decision: Mai never subscribed, so no welcome email.
    expect(timeline.map((i) => i.type).sort()).toEqual(['email', 'order', 'order', 'tier', 'trigger']);
    expect(timeline.find((i) => i.type === 'email')).toMatchObject({ status: 'skipped', reason: 'unsubscribed', trigger: 'welcome' });
    expect((await fetch(`${api}/v1/customers/${customerId}`)).status).toBe(401);
  });

  it('stops cleanly on SIGTERM and keeps everything on restart', async () => {
    expect(await stop()).toBe(0);
    // Drained before it stopped: the queue journal holds nothing.
    expect(readJournal(join(dataDir, JOURNAL_FILE)).live.size).toBe(0);
    api = await start();
    const profile = await json(await fetch(`${api}/v1/customers/${customerId}`, { headers: { authorization: `Bearer ${apiKey}` } }));
    expect(profile.orderCount).toBe(2);
    expect(readFileSync(join(dataDir, 'secrets.json'), 'utf8')).not.toContain(apiKey);
    expect(await stop()).toBe(0);
  });
});
