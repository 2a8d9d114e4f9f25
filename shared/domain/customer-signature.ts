import { hmacSha256, safeEqual } from '#shared/domain/crypto.ts';

/**
 * A customer signed in by the shop (the storefront API, DESIGN §3): the shop's server, which knows who
 * is logged in, signs that customer with its storefront secret and the page passes the header on:
 *
 *   X-Rapport-Customer: t=<unix seconds>,c=<percent-encoded external id or email>,v1=<hex HMAC-SHA256(secret, "<shopId>:<c>:<t>")>
 *
 * The MAC covers `c` exactly as the header spells it (what the shop's server signed), the shop id
 * (a signature for one shop never speaks for another sharing the secret) and the time. Strict: the
 * three parts in that order, once each, so there is one spelling to check; at most 10 minutes old and
 * 1 minute ahead of this clock (a page left open re-fetches a fresh signature from the shop's server).
 */

export const CUSTOMER_SIGNATURE_HEADER = 'X-Rapport-Customer';
export const CUSTOMER_SIGNATURE_MAX_AGE_SECONDS = 600;
export const CUSTOMER_SIGNATURE_MAX_AHEAD_SECONDS = 60;

/** What encodeURIComponent leaves as it is, plus `%`, and `@ + :` for signers that do not encode them. */
const SHAPE = /^t=(\d{1,12}),c=([A-Za-z0-9\-_.!~*'()%@+:]{1,960}),v1=([0-9a-f]{64})$/;
const MAX_CUSTOMER_LENGTH = 320;

export type CustomerSignatureCheck =
  | { ok: true; customer: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'ahead' | 'bad_signature' };

/** The header value a shop's server sends for `customer` (an external id or an email) at `unixSeconds`. */
export function signCustomer(secret: string, shopId: string, customer: string, unixSeconds: number): string {
  const c = encodeURIComponent(customer);
  return `t=${unixSeconds},c=${c},v1=${hmacSha256(secret, `${shopId}:${c}:${unixSeconds}`).digest('hex')}`;
}

/**
 * The customer the header names, if one of `secrets` (the current storefront secret, and a replaced
 * one in its grace) signed it for this shop within the window; else why not. Never throws: the header
 * comes from the open internet. The time is checked before the MAC, which is compared in constant time.
 */
export function checkCustomerSignature(
  header: string | undefined,
  shopId: string,
  secrets: readonly string[],
  nowSeconds: number,
): CustomerSignatureCheck {
  if (header === undefined || header === '') return { ok: false, reason: 'missing' };
  const match = SHAPE.exec(header);
  if (!match) return { ok: false, reason: 'malformed' };
  const [, t = '', c = '', v1 = ''] = match;
  let customer: string;
  try {
    customer = decodeURIComponent(c);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (customer.trim() === '' || customer.length > MAX_CUSTOMER_LENGTH) return { ok: false, reason: 'malformed' };
  const at = Number(t);
  if (nowSeconds - at > CUSTOMER_SIGNATURE_MAX_AGE_SECONDS) return { ok: false, reason: 'expired' };
  if (at - nowSeconds > CUSTOMER_SIGNATURE_MAX_AHEAD_SECONDS) return { ok: false, reason: 'ahead' };
  const signed = `${shopId}:${c}:${t}`;
  // Every secret is tried, so the time taken does not say which one (if any) matched.
  const matches = secrets.map((secret) => safeEqual(v1, hmacSha256(secret, signed).digest('hex')));
  return matches.includes(true) ? { ok: true, customer } : { ok: false, reason: 'bad_signature' };
}

/** Why a check failed, as the 401's message says it (naming the header, never the secret or the customer). */
export function customerSignatureProblem(reason: Exclude<CustomerSignatureCheck, { ok: true }>['reason']): string {
  switch (reason) {
    case 'missing':
      return `${CUSTOMER_SIGNATURE_HEADER} is empty`;
    case 'malformed':
      return `${CUSTOMER_SIGNATURE_HEADER} must be t=<unix seconds>,c=<percent-encoded customer>,v1=<hex HMAC-SHA256>`;
    case 'expired':
      return `${CUSTOMER_SIGNATURE_HEADER} is more than ${CUSTOMER_SIGNATURE_MAX_AGE_SECONDS / 60} minutes old: sign the customer again`;
    case 'ahead':
      return `${CUSTOMER_SIGNATURE_HEADER} is signed for a time more than ${CUSTOMER_SIGNATURE_MAX_AHEAD_SECONDS} seconds ahead: check the signing server's clock`;
    case 'bad_signature':
      return `${CUSTOMER_SIGNATURE_HEADER} is not signed with this shop's storefront secret`;
  }
}
