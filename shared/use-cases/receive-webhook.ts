import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { decryptSecret } from '#shared/domain/crypto.ts';
import { NotFoundError, PayloadTooLargeError, UnauthorizedError, ValidationError } from '#shared/domain/errors.ts';
import { type CanonicalEvent, CanonicalEventSchema, ShopIdSchema } from '#shared/domain/event.ts';
import { verifyGeneric } from '#shared/domain/signature.ts';
import { parseJson, parseOrThrow } from '#shared/http/validate.ts';

/**
 * A webhook delivery becomes canonical events on the interactions queue. Nothing slow happens
 * before the answer: verify the signature on the raw bytes, validate, normalize, enqueue.
 */

export const MAX_BODY_BYTES = 256 * 1024;
const MAX_EVENTS_PER_DELIVERY = 100;
/** The event types a shop may send on the generic route; erasure and interactions have their own routes. */
const GENERIC_TYPES = new Set(['order.upserted', 'refund.created', 'customer.upserted']);

export interface WebhookCommand {
  source: 'generic';
  shopId: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
  now: Date;
}

export interface WebhookDeps {
  loadShop: (shopId: string) => Promise<ShopRecord | undefined>;
  masterKey: () => Promise<string>;
  enqueue: (events: CanonicalEvent[]) => Promise<void>;
}

export interface WebhookResult {
  accepted: number;
  ignored: number;
}

const GenericDelivery = z.union([
  z.array(z.record(z.string(), z.unknown())).min(1).max(MAX_EVENTS_PER_DELIVERY),
  z.record(z.string(), z.unknown()),
]);

export async function receiveWebhook(command: WebhookCommand, deps: WebhookDeps): Promise<WebhookResult> {
  if (command.body.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(`body is over ${MAX_BODY_BYTES} bytes`);
  const shop = await deps.loadShop(parseOrThrow(ShopIdSchema, command.shopId, 'shopId'));
  if (!shop) throw new NotFoundError(`no shop ${command.shopId}`);
  const sealed = shop.secrets[command.source];
  if (!sealed) throw new UnauthorizedError(`shop ${shop.shopId} has no ${command.source} webhook secret`);
  const secret = decryptSecret(await deps.masterKey(), sealed, `${shop.shopId}:${command.source}`);
  verifyGeneric(secret, command.body.toString('utf8'), command.headers['x-rapport-signature'], Math.floor(command.now.getTime() / 1000));

  const delivery = parseOrThrow(GenericDelivery, parseJson(command.body));
  const raw = Array.isArray(delivery) ? delivery : [delivery];
  const events = raw.map((element, i) => genericEvent(element, shop, Array.isArray(delivery) ? `[${i}]` : ''));
  const kept = events.filter((event) => !(event.order?.test && shop.settings.ignoreTestOrders));
  if (kept.length > 0) await deps.enqueue(kept);
  return { accepted: kept.length, ignored: events.length - kept.length };
}

function genericEvent(element: Record<string, unknown>, shop: ShopRecord, prefix: string): CanonicalEvent {
  const at = (field: string) => (prefix ? `${prefix}.${field}` : field);
  if (element.shopId !== undefined && element.shopId !== shop.shopId) {
    throw new ValidationError(at('shopId'), `${at('shopId')} does not match the shop in the URL`);
  }
  if (element.source !== undefined && element.source !== 'generic') {
    throw new ValidationError(at('source'), `${at('source')} must be "generic" on this route`);
  }
  const event = parseOrThrow(
    CanonicalEventSchema,
    {
      ...element,
      shopId: shop.shopId,
      source: 'generic',
      // The same delivery always yields the same id, so a redelivery is recognized downstream.
      eventId: element.eventId ?? `gen:${createHash('sha256').update(JSON.stringify(element)).digest('hex').slice(0, 40)}`,
    },
    prefix,
  );
  if (!GENERIC_TYPES.has(event.type)) {
    throw new ValidationError(at('type'), `${at('type')} must be one of ${[...GENERIC_TYPES].join(', ')}`);
  }
  for (const [field, currency] of [
    ['order.currency', event.order?.currency],
    ['refund.currency', event.refund?.currency],
  ] as const) {
    if (currency && currency !== shop.currency) {
      throw new ValidationError(at(field), `${at(field)} must be the shop currency ${shop.currency}`);
    }
  }
  return event;
}
