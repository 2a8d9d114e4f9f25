import { hmacSha256, safeEqual } from '#shared/domain/crypto.ts';
import { UnauthorizedError } from '#shared/domain/errors.ts';

/**
 * Rapport's own webhook signature (DESIGN §3): `X-Rapport-Signature: t=<unix seconds>,v1=<hex
 * HMAC-SHA256 of "t.body">`. The timestamp is signed with the body, so a captured delivery cannot
 * be replayed outside the window.
 */

export const SIGNATURE_WINDOW_SECONDS = 300;

export function signGeneric(secret: string, rawBody: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmacSha256(secret, `${unixSeconds}.${rawBody}`).digest('hex')}`;
}

export function verifyGeneric(secret: string, rawBody: string, header: string | undefined, nowSeconds: number): void {
  if (!header) throw new UnauthorizedError('missing X-Rapport-Signature header');
  const parts = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const [key, ...rest] = part.trim().split('=');
    if (!key || rest.length === 0) continue;
    parts.set(key, [...(parts.get(key) ?? []), rest.join('=')]);
  }
  const t = parts.get('t')?.[0];
  const signatures = parts.get('v1') ?? [];
  if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0) {
    throw new UnauthorizedError('X-Rapport-Signature must be t=<unix seconds>,v1=<hex>');
  }
  if (Math.abs(nowSeconds - Number(t)) > SIGNATURE_WINDOW_SECONDS) {
    throw new UnauthorizedError('X-Rapport-Signature timestamp is outside the 5-minute window');
  }
  const expected = hmacSha256(secret, `${t}.${rawBody}`).digest('hex');
  // Several v1 values are allowed so a sender can sign with an old and a new secret while rotating.
  if (!signatures.some((candidate) => safeEqual(candidate.toLowerCase(), expected))) {
    throw signatureMismatch('X-Rapport-Signature');
  }
}

/**
 * Shopify's `X-Shopify-Hmac-Sha256` and WooCommerce's `X-WC-Webhook-Signature`: the base64
 * HMAC-SHA256 of the raw body bytes. These senders sign no timestamp, and Shopify retries for up
 * to four hours (deliveries can be a day late), so there is no time window: replays are harmless
 * because every event is applied idempotently, and Shopify deliveries are also deduplicated.
 */
export function verifyBase64Hmac(secret: string, rawBody: Buffer, header: string | undefined, headerName: string): void {
  if (!header) throw new UnauthorizedError(`missing ${headerName} header`);
  const expected = hmacSha256(secret, rawBody).digest('base64');
  if (!safeEqual(header.trim(), expected)) throw signatureMismatch(headerName);
}

/** The answer to a signature that does not hold; also what an unknown shop gets (receive-webhook.ts). */
export const signatureMismatch = (headerName: string) => new UnauthorizedError(`${headerName} does not match the body`);

export const signBase64Hmac = (secret: string, rawBody: string | Buffer) => hmacSha256(secret, rawBody).digest('base64');
