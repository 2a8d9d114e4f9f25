import * as z from 'zod';
import { ShopIdSchema } from '#shared/domain/event.ts';
import { openToken, signToken, type TokenKey } from './signed-token.ts';

/**
 * Post-purchase feedback links (DESIGN §3 `GET|POST /feedback?token=…`, §6 "post-purchase feedback
 * request"): whoever holds the link may answer for that one order of that one customer of that one
 * shop, and nobody can make a link for anyone else without the key.
 *
 * `v1.<base64url payload>.<base64url HMAC-SHA256>`, as unsubscribe tokens are, under a domain tag of
 * its own: the MAC covers the tag and the payload exactly as it appears in the token, so a token
 * signed for another purpose (an unsubscribe link) never verifies here even under the same key, and
 * no second spelling of the same bytes does. The payload holds ids and a time, never an address or a
 * name: the link ends up in mail logs, proxies and forwarded messages.
 *
 * Tokens do not expire here: `issuedAt` is there for the caller to refuse old ones if it wants to.
 */

const DOMAIN_TAG = 'rapport/feedback/v1';

export const FeedbackPayloadSchema = z.object({
  shopId: ShopIdSchema,
  /** Rapport's own customer id, the only kind an answer's canonical event can name (CustomerSchema). */
  customerId: z.string().regex(/^c_[0-9a-f]{20}$/, 'a Rapport customer id (c_ and 20 hex digits)'),
  /** The shop's order id the request is about. */
  orderId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, '1–64 characters of letters, digits, _ . : -'),
  /** Unix seconds. */
  issuedAt: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40),
});

export type FeedbackPayload = z.infer<typeof FeedbackPayloadSchema>;

export type FeedbackKey = TokenKey;

export type FeedbackVerification = { ok: true; payload: FeedbackPayload } | { ok: false; reason: 'malformed' | 'bad_signature' };

/** The compact wire form of the payload: short keys keep the link short. */
const WireSchema = z.object({ s: z.string(), c: z.string(), o: z.string(), t: z.number() });

/** A URL-safe token naming exactly this shop, customer and order; throws on ids outside their formats. */
export function createFeedbackToken(payload: FeedbackPayload, key: FeedbackKey): string {
  const { shopId, customerId, orderId, issuedAt } = FeedbackPayloadSchema.parse(payload);
  return signToken(DOMAIN_TAG, 'feedback', { s: shopId, c: customerId, o: orderId, t: issuedAt }, key);
}

/**
 * The payload of a token this key signed, or why not. Never throws on any token (a missing one is
 * `malformed`): it comes from the open internet. Only a key too short to be a secret throws.
 */
export function verifyFeedbackToken(token: string | undefined, key: FeedbackKey): FeedbackVerification {
  const opened = openToken(DOMAIN_TAG, 'feedback', token, key);
  if (!opened.ok) return opened;
  const wire = WireSchema.safeParse(opened.wire);
  if (!wire.success) return { ok: false, reason: 'malformed' };
  const { s, c, o, t } = wire.data;
  const payload = FeedbackPayloadSchema.safeParse({ shopId: s, customerId: c, orderId: o, issuedAt: t });
  return payload.success ? { ok: true, payload: payload.data } : { ok: false, reason: 'malformed' };
}

/**
 * The link in the email: `${baseUrl}/feedback?token=…`. A `score` pre-selects that answer on the page
 * (one link per number in the email); the page still asks before anything is recorded.
 */
export function feedbackUrl(baseUrl: string, token: string, options: { score?: number } = {}): string {
  const url = `${baseUrl.replace(/\/+$/, '')}/feedback?token=${encodeURIComponent(token)}`;
  const { score } = options;
  if (score === undefined) return url;
  if (!Number.isInteger(score) || score < 0 || score > 10) throw new RangeError('a pre-selected score is a whole number from 0 to 10');
  return `${url}&score=${score}`;
}
