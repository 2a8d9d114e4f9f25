import { describe, expect, it } from 'vitest';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { encryptSecret } from '#shared/domain/crypto.ts';
import { UnauthorizedError } from '#shared/domain/errors.ts';
import { signBase64Hmac, signGeneric } from '#shared/domain/signature.ts';
import { receiveWebhook, type WebhookCommand, type WebhookDeps } from '#shared/use-cases/receive-webhook.ts';
import { aShop } from '#test/support/factories.ts';
import { loadFixture } from '#test/support/fixtures.ts';

/**
 * A replaced webhook secret (PATCH /v1/shop) still verifies deliveries for 24 hours, checked with the
 * real signature code on both kinds of signature, at the edges of the grace; and a secret set a
 * moment ago in another container is found by reading the shop afresh once. Over HTTP:
 * test/integration/shop-api.test.ts.
 */

const MASTER = 'm'.repeat(64);
const OLD = 'shpss_unit-old-secret-0123456789';
const NEW = 'shpss_unit-new-secret-9876543210';
const REPLACED_AT = new Date('2026-06-01T12:00:00.000Z');
const UNTIL = new Date(REPLACED_AT.getTime() + 24 * 3_600_000);
const seal = (source: 'shopify' | 'generic', secret: string) => encryptSecret(MASTER, secret, `unit-grace:${source}`);

const replaced: ShopRecord = aShop('unit-grace', {
  currency: 'USD',
  secrets: { shopify: seal('shopify', NEW), generic: seal('generic', NEW) },
  previousSecrets: {
    shopify: { sealed: seal('shopify', OLD), until: UNTIL.toISOString() },
    generic: { sealed: seal('generic', OLD), until: UNTIL.toISOString() },
  },
});

function deps(cached: ShopRecord, fresh: ShopRecord = cached) {
  const reads: string[] = [];
  const value: WebhookDeps = {
    loadShop: async (_shopId, options) => {
      reads.push(options?.fresh ? 'fresh' : 'cached');
      return options?.fresh ? fresh : cached;
    },
    markShopErased: async () => undefined,
    masterKey: async () => MASTER,
    enqueue: async () => undefined,
    wasDelivered: async () => false,
    markDelivered: async () => undefined,
  };
  return { deps: value, reads };
}

const body = loadFixture('shopify', 'customers_create').raw;
const shopify = (secret: string, now: Date): WebhookCommand => ({
  source: 'shopify',
  shopId: 'unit-grace',
  body: Buffer.from(body),
  now,
  headers: { 'x-shopify-topic': 'customers/create', 'x-shopify-hmac-sha256': signBase64Hmac(secret, body) },
});
const genericBody = JSON.stringify({
  type: 'customer.upserted',
  occurredAt: '2026-06-01T12:00:00.000Z',
  customer: { externalId: 'generic:1', email: 'grace@example.com' },
});
const generic = (secret: string, now: Date): WebhookCommand => ({
  source: 'generic',
  shopId: 'unit-grace',
  body: Buffer.from(genericBody),
  now,
  headers: { 'x-rapport-signature': signGeneric(secret, genericBody, Math.floor(now.getTime() / 1000)) },
});

const at = (ms: number) => new Date(UNTIL.getTime() + ms);

describe('a replaced secret', () => {
  it.each([
    ['shopify', shopify],
    ['generic', generic],
  ] as const)('%s: verifies until its grace ends, not a millisecond after; the new one always', async (_, command) => {
    expect((await receiveWebhook(command(OLD, REPLACED_AT), deps(replaced).deps)).accepted).toBe(1);
    expect((await receiveWebhook(command(OLD, at(-1)), deps(replaced).deps)).accepted).toBe(1);
    await expect(receiveWebhook(command(OLD, at(0)), deps(replaced).deps)).rejects.toThrow(UnauthorizedError);
    await expect(receiveWebhook(command(OLD, at(1)), deps(replaced).deps)).rejects.toThrow(UnauthorizedError);
    expect((await receiveWebhook(command(NEW, at(1)), deps(replaced).deps)).accepted).toBe(1);
    await expect(receiveWebhook(command('shpss_nobody-knows-this-000000', REPLACED_AT), deps(replaced).deps)).rejects.toThrow(
      'does not match the body',
    );
  });

  it('refused after its grace with the answer any bad signature gets', async () => {
    const error = await receiveWebhook(shopify(OLD, at(1)), deps(replaced).deps).catch((e: unknown) => e);
    expect(error).toEqual(new UnauthorizedError('X-Shopify-Hmac-Sha256 does not match the body'));
  });
});

describe('a secret changed in another container', () => {
  const before: ShopRecord = aShop('unit-grace', { currency: 'USD', secrets: { shopify: seal('shopify', OLD) } });

  it('is found by reading the shop afresh once, only when the cached secrets do not verify', async () => {
    const stale = deps(before, replaced);
    expect((await receiveWebhook(shopify(NEW, REPLACED_AT), stale.deps)).accepted).toBe(1);
    expect(stale.reads).toEqual(['cached', 'fresh']);
    const current = deps(replaced);
    expect((await receiveWebhook(shopify(NEW, REPLACED_AT), current.deps)).accepted).toBe(1);
    expect(current.reads).toEqual(['cached']);
  });

  it('a secret set where there was none (or a shop unknown until now) is found the same way', async () => {
    const none = aShop('unit-grace', { currency: 'USD', secrets: {} });
    const set = deps(none, before);
    expect((await receiveWebhook(shopify(OLD, REPLACED_AT), set.deps)).accepted).toBe(1);
    expect(set.reads).toEqual(['cached', 'fresh']);
  });

  it('a delivery refused for another reason (no signature) is not worth a fresh read', async () => {
    const missing = deps(before, replaced);
    const command = shopify(NEW, REPLACED_AT);
    delete command.headers['x-shopify-hmac-sha256'];
    await expect(receiveWebhook(command, missing.deps)).rejects.toThrow('missing X-Shopify-Hmac-Sha256 header');
    expect(missing.reads).toEqual(['cached']);
  });
});
