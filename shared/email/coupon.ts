import { createHmac } from 'node:crypto';
import { safeEqual } from '#shared/domain/crypto.ts';

/**
 * Per-customer coupon codes a shop can check offline, with no lookup: the code is an HMAC of
 * (shop, customer, offer) under the shop's coupon key, so only the key holder can mint one, a code
 * is worthless to any other customer or offer, and checking it needs nothing but the key.
 *
 * `RP-XXXX-XXXX-XXXX`: 12 characters of a 32-letter alphabet with no 0/O or 1/I (read aloud and
 * typed at a till), 60 bits. Why not the shorter 8 (40 bits): among 100,000 customers two would
 * share a code for the same offer with probability ~0.5 %, among a million ~37 %, and a shop's
 * platform refuses duplicate discount codes. At 60 bits a million customers collide with
 * probability ~4·10⁻⁷, and guessing a given customer's code takes ~10¹⁸ tries.
 */

export const COUPON_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const PREFIX = 'RP';
const GROUPS = 3;
const GROUP_LENGTH = 4;
const DOMAIN_TAG = 'rapport/coupon/v1';
const MIN_KEY_BYTES = 16;

export interface CouponSubject {
  shopId: string;
  customerId: string;
  /** What the code buys, as the shop names it: `birthday-2026`, `win-back-10pct`. */
  offer: string;
}

export type CouponKey = string | Buffer;

function assertKey(key: CouponKey): void {
  if (Buffer.byteLength(key) < MIN_KEY_BYTES) throw new RangeError(`a coupon key needs at least ${MIN_KEY_BYTES} bytes`);
}

/** Base32 (in COUPON_ALPHABET) of the leading `length` × 5 bits of `bytes`. */
function base32(bytes: Buffer, length: number): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      bits -= 5;
      out += COUPON_ALPHABET[(buffer >> bits) & 31];
    }
    if (out.length === length) break;
  }
  return out;
}

/** The customer's code for this offer; the same inputs and key always give the same code. */
export function couponCode(subject: CouponSubject, key: CouponKey): string {
  assertKey(key);
  // JSON keeps the fields apart: ("a-b", "c") and ("a", "b-c") never sign the same bytes.
  const digest = createHmac('sha256', key)
    .update(`${DOMAIN_TAG}.${JSON.stringify([subject.shopId, subject.customerId, subject.offer])}`)
    .digest();
  const body = base32(digest, GROUPS * GROUP_LENGTH);
  const groups = Array.from({ length: GROUPS }, (_, i) => body.slice(i * GROUP_LENGTH, (i + 1) * GROUP_LENGTH));
  return [PREFIX, ...groups].join('-');
}

/**
 * The code as the customer might type it, in canonical form: case, spaces and dashes do not matter.
 * Undefined when it cannot be a Rapport code at all.
 */
export function normalizeCoupon(input: string): string | undefined {
  const compact = input.toUpperCase().replace(/[\s-]+/g, '');
  if (!compact.startsWith(PREFIX)) return undefined;
  const body = compact.slice(PREFIX.length);
  if (body.length !== GROUPS * GROUP_LENGTH || [...body].some((c) => !COUPON_ALPHABET.includes(c))) return undefined;
  const groups = Array.from({ length: GROUPS }, (_, i) => body.slice(i * GROUP_LENGTH, (i + 1) * GROUP_LENGTH));
  return [PREFIX, ...groups].join('-');
}

/** Whether `code` is this customer's code for this offer under this key (constant-time compare). */
export function verifyCoupon(code: string, subject: CouponSubject, key: CouponKey): boolean {
  const normalized = normalizeCoupon(code);
  const expected = couponCode(subject, key);
  return normalized !== undefined && safeEqual(normalized, expected);
}
