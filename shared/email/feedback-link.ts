import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { safeEqual } from '#shared/domain/crypto.ts';
import { ShopIdSchema } from '#shared/domain/event.ts';

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

const VERSION = 'v1';
const DOMAIN_TAG = 'rapport/feedback/v1';
const MIN_KEY_BYTES = 16;

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

export type FeedbackKey = string | Buffer;

export type FeedbackVerification = { ok: true; payload: FeedbackPayload } | { ok: false; reason: 'malformed' | 'bad_signature' };

/** The compact wire form of the payload: short keys keep the link short. */
const WireSchema = z.object({ s: z.string(), c: z.string(), o: z.string(), t: z.number() });

const TOKEN_SHAPE = /^v1\.([A-Za-z0-9_-]{1,512})\.([A-Za-z0-9_-]{43})$/;

function assertKey(key: FeedbackKey): void {
  if (Buffer.byteLength(key) < MIN_KEY_BYTES) throw new RangeError(`a feedback key needs at least ${MIN_KEY_BYTES} bytes`);
}

const mac = (key: FeedbackKey, encodedPayload: string) =>
  createHmac('sha256', key).update(`${DOMAIN_TAG}.${encodedPayload}`).digest('base64url');

/** A URL-safe token naming exactly this shop, customer and order; throws on ids outside their formats. */
export function createFeedbackToken(payload: FeedbackPayload, key: FeedbackKey): string {
  assertKey(key);
  const { shopId, customerId, orderId, issuedAt } = FeedbackPayloadSchema.parse(payload);
  const encoded = Buffer.from(JSON.stringify({ s: shopId, c: customerId, o: orderId, t: issuedAt })).toString('base64url');
  return `${VERSION}.${encoded}.${mac(key, encoded)}`;
}

/**
 * The payload of a token this key signed, or why not. Never throws on any token (a missing one is
 * `malformed`): it comes from the open internet. Only a key too short to be a secret throws. The
 * signature is checked, in constant time, before the payload is even decoded.
 */
export function verifyFeedbackToken(token: string | undefined, key: FeedbackKey): FeedbackVerification {
  assertKey(key);
  const match = typeof token === 'string' ? TOKEN_SHAPE.exec(token) : null;
  if (!match) return { ok: false, reason: 'malformed' };
  const [, encoded = '', signature = ''] = match;
  if (!safeEqual(signature, mac(key, encoded))) return { ok: false, reason: 'bad_signature' };
  const wire = WireSchema.safeParse(parseJson(Buffer.from(encoded, 'base64url').toString('utf8')));
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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
