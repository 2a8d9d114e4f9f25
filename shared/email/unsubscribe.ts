import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { safeEqual } from '#shared/domain/crypto.ts';
import { ShopIdSchema } from '#shared/domain/event.ts';

/**
 * One-click unsubscribe tokens (DESIGN §3 `GET|POST /unsubscribe?token=…`, RFC 8058): whoever holds
 * the link may unsubscribe that one customer of that one shop, and nobody can make a link for anyone
 * else without the key.
 *
 * `v1.<base64url payload>.<base64url HMAC-SHA256>`. The MAC covers a domain tag and the payload
 * exactly as it appears in the token, so a token signed for another purpose with the same key is
 * useless here, and no second spelling of the same bytes verifies. The payload holds ids and a time,
 * never an address or a name: the link ends up in mail logs, proxies and forwarded messages.
 *
 * Tokens do not expire: a mail client may send the one-click POST days or months after delivery,
 * and unsubscribing is always safe. `issuedAt` is there for the caller to log or to refuse tokens
 * older than a key rotation.
 */

const VERSION = 'v1';
const DOMAIN_TAG = 'rapport/unsubscribe/v1';
const MIN_KEY_BYTES = 16;

/** Opaque ids only: no `@`, no spaces, so an email address can never stand in for a customer id. */
const CustomerIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an opaque id of letters, digits, _ and -');

export const UnsubscribePayloadSchema = z.object({
  shopId: ShopIdSchema,
  customerId: CustomerIdSchema,
  /** Unix seconds. */
  issuedAt: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40),
});

export type UnsubscribePayload = z.infer<typeof UnsubscribePayloadSchema>;

export type UnsubscribeKey = string | Buffer;

export type UnsubscribeVerification = { ok: true; payload: UnsubscribePayload } | { ok: false; reason: 'malformed' | 'bad_signature' };

/** The compact wire form of the payload: short keys keep the link short. */
const WireSchema = z.object({ s: z.string(), c: z.string(), t: z.number() });

const TOKEN_SHAPE = /^v1\.([A-Za-z0-9_-]{1,512})\.([A-Za-z0-9_-]{43})$/;

function assertKey(key: UnsubscribeKey): void {
  if (Buffer.byteLength(key) < MIN_KEY_BYTES) throw new RangeError(`an unsubscribe key needs at least ${MIN_KEY_BYTES} bytes`);
}

const mac = (key: UnsubscribeKey, encodedPayload: string) =>
  createHmac('sha256', key).update(`${DOMAIN_TAG}.${encodedPayload}`).digest('base64url');

/** A URL-safe token naming exactly this shop and customer; throws on ids that are not opaque ids. */
export function createUnsubscribeToken(payload: UnsubscribePayload, key: UnsubscribeKey): string {
  assertKey(key);
  const { shopId, customerId, issuedAt } = UnsubscribePayloadSchema.parse(payload);
  const encoded = Buffer.from(JSON.stringify({ s: shopId, c: customerId, t: issuedAt })).toString('base64url');
  return `${VERSION}.${encoded}.${mac(key, encoded)}`;
}

/**
 * The payload of a token this key signed, or why not. Never throws on any token (a missing one is
 * `malformed`): it comes from the open internet. Only a key too short to be a secret throws. The signature is checked (in constant time) before the payload is
 * even decoded.
 */
export function verifyUnsubscribeToken(token: string | undefined, key: UnsubscribeKey): UnsubscribeVerification {
  assertKey(key);
  const match = typeof token === 'string' ? TOKEN_SHAPE.exec(token) : null;
  if (!match) return { ok: false, reason: 'malformed' };
  const [, encoded = '', signature = ''] = match;
  if (!safeEqual(signature, mac(key, encoded))) return { ok: false, reason: 'bad_signature' };
  const wire = WireSchema.safeParse(parseJson(Buffer.from(encoded, 'base64url').toString('utf8')));
  if (!wire.success) return { ok: false, reason: 'malformed' };
  const payload = UnsubscribePayloadSchema.safeParse({ shopId: wire.data.s, customerId: wire.data.c, issuedAt: wire.data.t });
  return payload.success ? { ok: true, payload: payload.data } : { ok: false, reason: 'malformed' };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
