import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { ShopIdSchema } from '#shared/domain/event.ts';
import { openToken, signToken, type TokenKey } from './signed-token.ts';

/**
 * Links to the hosted loyalty page (`GET /l/{shopId}?t=…`), put in every email so that a customer can
 * see their points and redeem without logging into the shop: whoever holds the link acts as that one
 * customer of that one shop on the storefront API (`X-Rapport-Link`).
 *
 * `v1.<base64url payload>.<base64url HMAC-SHA256>`, as feedback and unsubscribe tokens are, under a
 * domain tag of its own, so a token signed for another purpose never opens the page. Unlike those,
 * this one expires: it spends points, and emails are forwarded and archived. The payload holds ids
 * and a time, never an address or a name.
 */

const DOMAIN_TAG = 'rapport/loyalty/v1';

/** How long a link opens the customer's page; older ones show the page anonymously. */
export const LOYALTY_LINK_DAYS = 30;

const LIFETIME_SECONDS = LOYALTY_LINK_DAYS * 24 * 60 * 60;

/**
 * The key that signs loyalty links, derived from the deployment master key as the other email keys
 * are (shared/email/keys.ts): one key per purpose, so a leak of one mints nothing else.
 */
export const loyaltyKey = (masterKey: string): Buffer => createHmac('sha256', masterKey).update('rapport/loyalty/v1').digest();

export const LoyaltyPayloadSchema = z.object({
  shopId: ShopIdSchema,
  /** Rapport's own customer id: the link never carries an address. */
  customerId: z.string().regex(/^c_[0-9a-f]{20}$/, 'a Rapport customer id (c_ and 20 hex digits)'),
  /** Unix seconds. */
  issuedAt: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40),
});

export type LoyaltyPayload = z.infer<typeof LoyaltyPayloadSchema>;

export type LoyaltyKey = TokenKey;

export type LoyaltyVerification = { ok: true; payload: LoyaltyPayload } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

/** The compact wire form of the payload: short keys keep the link short. */
const WireSchema = z.object({ s: z.string(), c: z.string(), t: z.number() });

/** A URL-safe token naming exactly this shop and customer; throws on ids outside their formats. */
export function createLoyaltyToken(payload: LoyaltyPayload, key: LoyaltyKey): string {
  const { shopId, customerId, issuedAt } = LoyaltyPayloadSchema.parse(payload);
  return signToken(DOMAIN_TAG, 'loyalty link', { s: shopId, c: customerId, t: issuedAt }, key);
}

/**
 * The payload of a token this key signed at most LOYALTY_LINK_DAYS before `now`, or why not. Never
 * throws on any token (a missing one is `malformed`): it comes from the open internet. Only a key too
 * short to be a secret throws. A token issued after `now` (the signer's clock ahead of this one) is
 * accepted: only Rapport signs them, so it cannot be a forgery, and it still ends LOYALTY_LINK_DAYS
 * after its issue.
 */
export function verifyLoyaltyToken(token: string | undefined, key: LoyaltyKey, now: Date): LoyaltyVerification {
  const opened = openToken(DOMAIN_TAG, 'loyalty link', token, key);
  if (!opened.ok) return opened;
  const wire = WireSchema.safeParse(opened.wire);
  if (!wire.success) return { ok: false, reason: 'malformed' };
  const { s, c, t } = wire.data;
  const payload = LoyaltyPayloadSchema.safeParse({ shopId: s, customerId: c, issuedAt: t });
  if (!payload.success) return { ok: false, reason: 'malformed' };
  if (Math.floor(now.getTime() / 1000) - payload.data.issuedAt > LIFETIME_SECONDS) return { ok: false, reason: 'expired' };
  return { ok: true, payload: payload.data };
}

/** The link in the email: `${publicUrl}/l/${shopId}?t=…`. */
export function loyaltyPageUrl(publicUrl: string, shopId: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/l/${encodeURIComponent(shopId)}?t=${encodeURIComponent(token)}`;
}
