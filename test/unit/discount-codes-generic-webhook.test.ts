import { describe, expect, it } from 'vitest';
import { encryptSecret } from '#shared/domain/crypto.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';
import { signGeneric } from '#shared/domain/signature.ts';
import { receiveWebhook, type WebhookDeps } from '#shared/use-cases/receive-webhook.ts';
import { anOrder, aShop, orderEvent } from '#test/support/factories.ts';

/**
 * The generic route takes order.discountCodes as the canonical schema gives it: normalized on the
 * way in, and a bad code refused with a 400 naming it (`order.discountCodes[3]`) like any field.
 * The HTTP status of a ValidationError is handlers.test.ts's; here the use case, with the real
 * signature code and the queue stubbed.
 */

const MASTER = 'm'.repeat(64);
const SECRET = 'generic-secret-for-discount-codes-0';
const NOW = new Date('2026-06-01T12:00:00.000Z');
const shop = aShop('code-shop', { secrets: { generic: encryptSecret(MASTER, SECRET, 'code-shop:generic') } });

async function deliver(payload: unknown): Promise<{ queued: CanonicalEvent[]; field?: string }> {
  const queued: CanonicalEvent[] = [];
  const deps: WebhookDeps = {
    loadShop: async () => shop,
    markShopErased: async () => undefined,
    masterKey: async () => MASTER,
    enqueue: async (events) => {
      queued.push(...events);
    },
    wasDelivered: async () => false,
    markDelivered: async () => undefined,
  };
  const body = JSON.stringify(payload);
  const headers = { 'x-rapport-signature': signGeneric(SECRET, body, Math.floor(NOW.getTime() / 1000)) };
  try {
    await receiveWebhook({ source: 'generic', shopId: shop.shopId, headers, body: Buffer.from(body), now: NOW }, deps);
  } catch (error) {
    if (error instanceof ValidationError) return { queued, field: error.field };
    throw error;
  }
  return { queued };
}

/** An order event as a sender would post it, its codes whatever the test gives (JSON, not a typed event). */
const withCodes = (discountCodes: unknown) => ({ ...orderEvent('code-shop'), order: { ...anOrder(), discountCodes } });

describe('order.discountCodes on the generic route', () => {
  it('queues the codes normalized: trimmed, upper-cased, each once', async () => {
    const { queued, field } = await deliver(withCodes([' spring20', 'SPRING20 ', 'vip']));
    expect(field).toBeUndefined();
    expect(queued.map((event) => event.order?.discountCodes)).toEqual([['SPRING20', 'VIP']]);
  });

  it('refuses a bad code, naming it', async () => {
    expect(await deliver(withCodes(['A', 'B', 'C', 'x'.repeat(101)]))).toEqual({ queued: [], field: 'order.discountCodes[3]' });
    expect(await deliver(withCodes(['A', 'B', 'C', '  ']))).toEqual({ queued: [], field: 'order.discountCodes[3]' });
    expect(await deliver(withCodes(['A', 7]))).toEqual({ queued: [], field: 'order.discountCodes[1]' });
  });

  it('refuses more than 20 codes, or codes that are not a list, naming the field', async () => {
    const many = Array.from({ length: 21 }, (_, i) => `CODE-${i}`);
    expect(await deliver(withCodes(many))).toEqual({ queued: [], field: 'order.discountCodes' });
    expect(await deliver(withCodes('SPRING20'))).toEqual({ queued: [], field: 'order.discountCodes' });
  });

  it('names the element of an array delivery, and queues nothing of it', async () => {
    const delivery = [withCodes(['OK']), withCodes(['fine', ''])];
    expect(await deliver(delivery)).toEqual({ queued: [], field: '[1].order.discountCodes[1]' });
  });
});
