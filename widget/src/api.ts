import type { StorefrontError, StorefrontLanguage, StorefrontMe, StorefrontRedeemAnswer } from '../../shared/http/storefront-contract.ts';

/** Who is asking and where: the element's attributes, as the shop's page wrote them. */
export interface Who {
  api: string;
  shop: string;
  /** The shop server's signature of its logged-in customer, passed through as it is. */
  customer?: string;
  /** A link token from an email (the hosted loyalty page). */
  link?: string;
}

/** A call that was answered with an error: `status` 401 means the signature has expired. */
export class StorefrontRequestError extends Error {
  override name = 'StorefrontRequestError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function headers(who: Who, language: StorefrontLanguage | undefined): Record<string, string> {
  // The language of the texts the API writes (a refusal's message); ?lang on the read as well.
  const out: Record<string, string> = language ? { 'Accept-Language': language } : {};
  if (who.shop) out['X-Rapport-Shop'] = who.shop;
  // The customer's signature wins over a link: a signed-in page knows who is there.
  if (who.customer) out['X-Rapport-Customer'] = who.customer;
  else if (who.link) out['X-Rapport-Link'] = who.link;
  return out;
}

async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => undefined)) as T | StorefrontError | undefined;
  if (response.ok && body) return body as T;
  const error = (body as StorefrontError | undefined)?.error;
  throw new StorefrontRequestError(response.status, error?.code ?? 'unknown', error?.message ?? response.statusText);
}

export async function fetchMe(who: Who, language: StorefrontLanguage | undefined): Promise<StorefrontMe> {
  const query = language ? `?lang=${language}` : '';
  return answer(await fetch(`${who.api}/v1/storefront/me${query}`, { headers: headers(who, language) }));
}

/**
 * One redemption. `idempotencyKey` is made once per click and sent again when the same click is
 * retried after a network error, so a request that did arrive is not redeemed twice. A fetch that
 * throws (no answer at all) is the caller's to retry.
 */
export async function redeem(
  who: Who,
  rewardId: string,
  steps: number | undefined,
  idempotencyKey: string,
  language: StorefrontLanguage,
): Promise<StorefrontRedeemAnswer> {
  const response = await fetch(`${who.api}/v1/storefront/me/rewards/${encodeURIComponent(rewardId)}/redeem`, {
    method: 'POST',
    headers: { ...headers(who, language), 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
    body: JSON.stringify(steps === undefined ? {} : { steps }),
  });
  return answer(response);
}
