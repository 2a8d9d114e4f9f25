import { createHmac } from 'node:crypto';
import { safeEqual } from '#shared/domain/crypto.ts';

/**
 * The signed links of emails (unsubscribe, feedback): `v1.<base64url JSON payload>.<base64url
 * HMAC-SHA256>`. The MAC covers a domain tag naming the purpose and the payload exactly as it
 * appears in the token, so a token signed for one purpose never verifies for another, even under
 * the same key, and no second spelling of the same bytes verifies. The signature is checked, in
 * constant time, before the payload is decoded; garbage never throws (it comes from the internet).
 */

const VERSION = 'v1';
const MIN_KEY_BYTES = 16;
const TOKEN_SHAPE = /^v1\.([A-Za-z0-9_-]{1,512})\.([A-Za-z0-9_-]{43})$/;

export type TokenKey = string | Buffer;

export type TokenCheck = { ok: true; wire: unknown } | { ok: false; reason: 'malformed' | 'bad_signature' };

function assertKey(key: TokenKey, purpose: string): void {
  if (Buffer.byteLength(key) < MIN_KEY_BYTES) throw new RangeError(`a ${purpose} key needs at least ${MIN_KEY_BYTES} bytes`);
}

const mac = (domainTag: string, key: TokenKey, encodedPayload: string) =>
  createHmac('sha256', key).update(`${domainTag}.${encodedPayload}`).digest('base64url');

/** Signs a (compact, already validated) payload for the purpose named by `domainTag`. */
export function signToken(domainTag: string, purpose: string, wire: unknown, key: TokenKey): string {
  assertKey(key, purpose);
  const encoded = Buffer.from(JSON.stringify(wire)).toString('base64url');
  return `${VERSION}.${encoded}.${mac(domainTag, key, encoded)}`;
}

/** The decoded (not yet validated) payload of a token this key signed for this purpose, or why not. */
export function openToken(domainTag: string, purpose: string, token: string | undefined, key: TokenKey): TokenCheck {
  assertKey(key, purpose);
  const match = typeof token === 'string' ? TOKEN_SHAPE.exec(token) : null;
  if (!match) return { ok: false, reason: 'malformed' };
  const [, encoded = '', signature = ''] = match;
  if (!safeEqual(signature, mac(domainTag, key, encoded))) return { ok: false, reason: 'bad_signature' };
  try {
    return { ok: true, wire: JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}
