import * as z from 'zod';
import { ShopIdSchema } from '#shared/domain/event.ts';
import { openToken, signToken, type TokenKey } from './signed-token.ts';

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

const DOMAIN_TAG = 'rapport/unsubscribe/v1';

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

export type UnsubscribeKey = TokenKey;

export type UnsubscribeVerification = { ok: true; payload: UnsubscribePayload } | { ok: false; reason: 'malformed' | 'bad_signature' };

/** The compact wire form of the payload: short keys keep the link short. */
const WireSchema = z.object({ s: z.string(), c: z.string(), t: z.number() });

/** A URL-safe token naming exactly this shop and customer; throws on ids that are not opaque ids. */
export function createUnsubscribeToken(payload: UnsubscribePayload, key: UnsubscribeKey): string {
  const { shopId, customerId, issuedAt } = UnsubscribePayloadSchema.parse(payload);
  return signToken(DOMAIN_TAG, 'unsubscribe', { s: shopId, c: customerId, t: issuedAt }, key);
}

/**
 * The payload of a token this key signed, or why not. Never throws on any token (a missing one is
 * `malformed`): it comes from the open internet. Only a key too short to be a secret throws.
 */
export function verifyUnsubscribeToken(token: string | undefined, key: UnsubscribeKey): UnsubscribeVerification {
  const opened = openToken(DOMAIN_TAG, 'unsubscribe', token, key);
  if (!opened.ok) return opened;
  const wire = WireSchema.safeParse(opened.wire);
  if (!wire.success) return { ok: false, reason: 'malformed' };
  const payload = UnsubscribePayloadSchema.safeParse({ shopId: wire.data.s, customerId: wire.data.c, issuedAt: wire.data.t });
  return payload.success ? { ok: true, payload: payload.data } : { ok: false, reason: 'malformed' };
}
