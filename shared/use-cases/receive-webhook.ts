import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { normalizeShopify } from '#shared/connectors/shopify.ts';
import type { ConnectorContext, NormalizeResult } from '#shared/connectors/types.ts';
import { normalizeWooCommerce } from '#shared/connectors/woocommerce.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { decryptSecret } from '#shared/domain/crypto.ts';
import { PayloadTooLargeError, ValidationError } from '#shared/domain/errors.ts';
import { type CanonicalEvent, CanonicalEventSchema, ShopIdSchema } from '#shared/domain/event.ts';
import { signatureMismatch, verifyBase64Hmac, verifyGeneric } from '#shared/domain/signature.ts';
import { parseJson, parseOrThrow } from '#shared/http/validate.ts';

/**
 * A webhook delivery becomes canonical events on the interactions queue. Nothing slow happens
 * before the answer: verify the signature on the raw bytes, validate, normalize, enqueue.
 */

export const MAX_BODY_BYTES = 256 * 1024;
export const MAX_EVENTS_PER_DELIVERY = 100;
/** The event types a shop may send on the generic route; erasure and interactions have their own routes. */
export const GENERIC_TYPES = new Set(['order.upserted', 'refund.created', 'customer.upserted']);

export type WebhookSource = 'generic' | 'shopify' | 'woocommerce';

export interface WebhookCommand {
  source: WebhookSource;
  shopId: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
  now: Date;
}

export interface WebhookDeps {
  /**
   * The shop, undefined when it never existed or is erased (deps.ts loadShop): cached, or read afresh
   * (`fresh`) when the cached secrets did not verify a delivery — one set a moment ago may be the one.
   */
  loadShop: (shopId: string, options?: { fresh?: boolean }) => Promise<ShopRecord | undefined>;
  /** Makes a shop unknown to every route at once (shop-repo.ts markShopErased). */
  markShopErased: (shopId: string, at: Date) => Promise<void>;
  masterKey: () => Promise<string>;
  enqueue: (events: CanonicalEvent[]) => Promise<void>;
  /** Shopify delivery dedupe (X-Shopify-Webhook-Id). */
  wasDelivered: (shopId: string, deliveryId: string) => Promise<boolean>;
  markDelivered: (shopId: string, deliveryId: string, now: Date) => Promise<void>;
}

export interface WebhookResult {
  accepted: number;
  ignored: number;
  /** Why nothing was enqueued, when that is the answer: a repeated delivery, an unknown topic, a ping. */
  note?: 'duplicate_delivery' | 'unknown_topic' | 'ping';
}

const GenericDelivery = z.union([
  z.array(z.record(z.string(), z.unknown())).min(1).max(MAX_EVENTS_PER_DELIVERY),
  z.record(z.string(), z.unknown()),
]);

/**
 * WooCommerce, on creating a webhook, posts an unsigned form body `webhook_id=<id>` and disables
 * the webhook unless it gets exactly 200. It carries nothing to enqueue, so answering it unsigned
 * is safe. It is answered 200 for every well-formed shop id, known or not, without reading the
 * table: being unsigned, any other answer for an unknown shop would tell anyone which shops exist.
 * The price: a mistyped URL is no longer refused when the webhook is created, only (401) when the
 * first signed delivery arrives.
 */
function isWooCommercePing(command: WebhookCommand): boolean {
  return (
    command.source === 'woocommerce' &&
    command.headers['x-wc-webhook-signature'] === undefined &&
    /^webhook_id=\d{1,20}$/.test(command.body.toString('utf8').trim())
  );
}

const SIGNATURE_HEADER: Record<WebhookSource, { name: string; display: string }> = {
  generic: { name: 'x-rapport-signature', display: 'X-Rapport-Signature' },
  shopify: { name: 'x-shopify-hmac-sha256', display: 'X-Shopify-Hmac-Sha256' },
  woocommerce: { name: 'x-wc-webhook-signature', display: 'X-WC-Webhook-Signature' },
};

/** A secret nobody holds, per container: what a delivery to an unknown shop is checked against. */
const NOBODYS_SECRET = randomBytes(32).toString('hex');

function verifySignature(command: WebhookCommand, secret: string): void {
  const header = SIGNATURE_HEADER[command.source];
  if (command.source === 'generic') {
    verifyGeneric(secret, command.body.toString('utf8'), command.headers[header.name], Math.floor(command.now.getTime() / 1000));
  } else {
    verifyBase64Hmac(secret, command.body, command.headers[header.name], header.display);
  }
}

/**
 * The secrets a delivery may be signed with: the route's current one and, for 24 hours after it was
 * replaced (PATCH /v1/shop), the one before — deliveries signed before the sender switched (Shopify
 * retries for hours) are not refused.
 */
function secretsOf(shop: ShopRecord | undefined, command: WebhookCommand, masterKey: string): string[] {
  if (!shop) return [];
  const previous = shop.previousSecrets?.[command.source];
  const sealed = [
    shop.secrets[command.source],
    previous && Date.parse(previous.until) > command.now.getTime() ? previous.sealed : undefined,
  ];
  return sealed.filter((s) => s !== undefined).map((s) => decryptSecret(masterKey, s, `${shop.shopId}:${command.source}`));
}

/**
 * Why the delivery is refused, or undefined when one of the secrets signed it. Without a secret
 * (unknown, erased, or no secret for this route) it is answered exactly as a bad signature is (same
 * status, same body, whatever the headers hold), after the same HMAC, so neither the answer nor its
 * time tells which shops exist. Only the decryption of the shop's secrets (microseconds, beside the
 * table reads every path makes) differs.
 */
function refusal(command: WebhookCommand, secrets: string[]): Error | undefined {
  let first: unknown;
  for (const secret of secrets.length > 0 ? secrets : [NOBODYS_SECRET]) {
    try {
      verifySignature(command, secret);
      if (secrets.length > 0) return undefined;
    } catch (error) {
      first ??= error;
    }
  }
  return (first as Error | undefined) ?? signatureMismatch(SIGNATURE_HEADER[command.source].display);
}

/** A Shopify delivery id as we store it (X-Shopify-Webhook-Id). */
const DELIVERY_ID = /^[\w.:-]{1,128}$/;

export async function receiveWebhook(command: WebhookCommand, deps: WebhookDeps): Promise<WebhookResult> {
  if (command.body.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(`body is over ${MAX_BODY_BYTES} bytes`);
  const shopId = parseOrThrow(ShopIdSchema, command.shopId, 'shopId');
  if (isWooCommercePing(command)) return { accepted: 0, ignored: 0, note: 'ping' };
  // Whether a Shopify delivery was seen already is read beside the shop, not after it: one round trip
  // to the table less on every delivery. Only a well-formed id is looked up (a malformed one is
  // refused below, after the signature, as before); an unknown shop costs the same read.
  const shopifyDelivery = command.source === 'shopify' ? command.headers['x-shopify-webhook-id']?.trim() : undefined;
  const seen = shopifyDelivery && DELIVERY_ID.test(shopifyDelivery) ? deps.wasDelivered(shopId, shopifyDelivery) : Promise.resolve(false);
  seen.catch(() => undefined); // awaited below, unless the delivery is refused first
  const [cached, masterKey] = await Promise.all([deps.loadShop(shopId), deps.masterKey()]);
  let shop = cached;
  let refused = refusal(command, secretsOf(shop, command, masterKey));
  // The signature does not match what this container has cached (30 s): the shop's secret may have
  // been set or replaced a moment ago, so the record is read afresh once (1 read unit, only for a
  // delivery that is refused so far; an unknown shop pays the same, so the time tells nothing).
  if (refused?.message === signatureMismatch(SIGNATURE_HEADER[command.source].display).message) {
    shop = await deps.loadShop(shopId, { fresh: true });
    refused = refusal(command, secretsOf(shop, command, masterKey));
  }
  if (refused || !shop) throw refused ?? signatureMismatch(SIGNATURE_HEADER[command.source].display);
  const { headers } = command;

  switch (command.source) {
    case 'generic': {
      const delivery = parseOrThrow(GenericDelivery, parseJson(command.body));
      const raw = Array.isArray(delivery) ? delivery : [delivery];
      const events = raw.map((element, i) => genericEvent(element, shop, Array.isArray(delivery) ? `[${i}]` : ''));
      const kept = events.filter((event) => !(event.order?.test && shop.settings.ignoreTestOrders));
      if (kept.length > 0) await deps.enqueue(kept);
      return { accepted: kept.length, ignored: events.length - kept.length };
    }
    case 'shopify': {
      const deliveryId = headers['x-shopify-webhook-id']?.trim() || undefined;
      if (deliveryId && !DELIVERY_ID.test(deliveryId))
        throw new ValidationError('X-Shopify-Webhook-Id', 'X-Shopify-Webhook-Id is malformed');
      if (deliveryId && (await seen)) return { accepted: 0, ignored: 0, note: 'duplicate_delivery' };
      const topic = requireHeader(headers, 'x-shopify-topic', 'X-Shopify-Topic');
      const normalized = normalizeShopify(topic, command.body.toString('utf8'), context(shop, command, deliveryId));
      const result = await enqueueNormalized(normalized, deps);
      // A shop's erasure takes effect with this answer, not when the processor gets to it: from the
      // marker on, every route answers for the shop as for one that never existed. Written after the
      // event is queued, so that if it fails (a 5xx) Shopify's retry still verifies and queues again.
      if (normalized.kind === 'events' && normalized.events.some((event) => event.type === 'shop.erased')) {
        await deps.markShopErased(shop.shopId, command.now);
      }
      // Marked only once enqueued: a delivery that failed half-way is retried by Shopify, not lost.
      if (deliveryId) await deps.markDelivered(shop.shopId, deliveryId, command.now);
      return result;
    }
    case 'woocommerce': {
      const topic = requireHeader(headers, 'x-wc-webhook-topic', 'X-WC-Webhook-Topic');
      const deliveryId = headers['x-wc-webhook-delivery-id']?.trim() || undefined;
      return enqueueNormalized(normalizeWooCommerce(topic, command.body.toString('utf8'), context(shop, command, deliveryId)), deps);
    }
  }
}

function requireHeader(headers: Record<string, string | undefined>, name: string, display: string): string {
  const value = headers[name]?.trim();
  if (!value || value.length > 100) throw new ValidationError(display, `${display} header is missing or malformed`);
  return value;
}

function context(shop: ShopRecord, command: WebhookCommand, deliveryId: string | undefined): ConnectorContext {
  return {
    shopId: shop.shopId,
    currency: shop.currency,
    ignoreTestOrders: shop.settings.ignoreTestOrders,
    receivedAt: command.now,
    deliveryId,
    headers: command.headers,
  };
}

async function enqueueNormalized(result: NormalizeResult, deps: WebhookDeps): Promise<WebhookResult> {
  if (result.kind === 'unknown_topic') return { accepted: 0, ignored: 0, note: 'unknown_topic' };
  if (result.kind === 'invalid') throw new ValidationError(result.field, result.message);
  if (result.events.length > 0) await deps.enqueue(result.events);
  return { accepted: result.events.length, ignored: result.ignored };
}

/** An id from the event's own content; a body nested too deep to serialize is refused, not a 500. */
function derivedEventId(element: Record<string, unknown>, field: string): string {
  let text: string;
  try {
    text = JSON.stringify(element);
  } catch {
    throw new ValidationError(field, 'the event is nested too deeply to derive an eventId: give one');
  }
  return `gen:${createHash('sha256').update(text).digest('hex').slice(0, 40)}`;
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
      eventId: element.eventId ?? derivedEventId(element, at('eventId')),
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
