/**
 * The storefront API's answers (issue 13), as the embeddable widget (widget/) and the hosted loyalty
 * page read them. Types only, no imports: the widget's bundle takes this file as it is.
 *
 * Who is asking: the shop's server signs its logged-in customer into `X-Rapport-Customer`
 * (`t=<unix s>,c=<percent-encoded external id or email>,v1=<hex HMAC-SHA256(storefront secret,
 * "<shopId>:<c>:<t>")>`, 10 minutes), with `X-Rapport-Shop: <shopId>`; a link from an email carries
 * `X-Rapport-Link: <token>` instead (Rapport signs it; the shop is inside). Neither: an anonymous
 * visitor, who gets the program only (`customer: null`).
 *
 * Money is in minor units of `shop.currency`; texts are already in `language`.
 */

export type StorefrontLanguage = 'vi' | 'en';

export type StorefrontRewardValue =
  | { kind: 'amount_off'; amount: number }
  | { kind: 'percent_off'; percent: number; maxAmount?: number }
  | { kind: 'free_shipping' }
  | { kind: 'free_product'; productId: string };

export interface StorefrontReward {
  id: string;
  name: string;
  value: StorefrontRewardValue;
  /** `fixed`: `points` buys the reward; `per`: `points` buys one step of `value.amount`, minSteps..maxSteps steps. */
  cost: { kind: 'fixed'; points: number } | { kind: 'per'; points: number; minSteps: number; maxSteps: number };
  minOrder?: number;
  /** Tier ids allowed; absent: every tier. */
  tiers?: string[];
  limit?: { count: number; per: 'ever' | 'month' | 'year' };
  validityDays: number;
}

export interface StorefrontTier {
  id: string;
  name: string;
  /** In the metric's unit: minor units (spend), orders, or points; absent for a level with a rule of its own. */
  threshold?: number;
  earnMultiplier: number;
}

export interface StorefrontProgram {
  /** How points are earned, one sentence each, in `language`. */
  howToEarn: string[];
  tiers: { metric: 'spend' | 'orders' | 'points'; levels: StorefrontTier[] };
  rewards: StorefrontReward[];
}

export type StorefrontCodeStatus = 'pending' | 'issued' | 'used' | 'returned' | 'failed';

export interface StorefrontCode {
  code: string;
  rewardId: string;
  name: string;
  value: StorefrontRewardValue;
  minOrder?: number;
  points: number;
  issuedAt: string;
  expiresAt: string;
  /** pending: being created on the shop's platform; failed: refused, points returned; returned: expired unused, points returned. */
  status: StorefrontCodeStatus;
}

export interface StorefrontRewardOffer extends StorefrontReward {
  /** The customer may redeem it now (enough spendable points, their tier, within the limit). */
  available: boolean;
  /** Why not, in `language`, when not available. */
  reason?: string;
}

export interface StorefrontHistoryEntry {
  at: string;
  kind: 'earn' | 'clawback' | 'bonus' | 'redeem' | 'adjust' | 'expire' | 'return' | 'activity' | 'referral';
  points: number;
  /** In `language`, e.g. "Order #1042" or "Money off your order". */
  description: string;
}

export interface StorefrontCustomer {
  firstName?: string;
  /** Points that may be spent now (balance less points still pending). */
  spendable: number;
  balance: number;
  pending: number;
  tier: { id: string; name: string };
  /**
   * The next tier and what is left to reach it, in the metric's unit; null at the top. For a tier
   * with a rule of its own, `threshold` is the metric that meets the rule with the customer's other
   * figures as they are, and both it and `remaining` are absent when the metric alone cannot.
   */
  nextTier: { id: string; name: string; threshold?: number; progress: number; remaining?: number } | null;
  rewards: StorefrontRewardOffer[];
  /** Newest first, at most 20. */
  codes: StorefrontCode[];
  /** Newest first, at most 20 ledger entries. */
  history: StorefrontHistoryEntry[];
  /**
   * The customer's referral code and link (`/r/{code}`) to give friends, and the offer in
   * `language`; absent when the shop's program has referrals off.
   */
  referral?: { code: string; url?: string; offer: string };
}

/** GET /v1/storefront/me */
export interface StorefrontMe {
  shop: { shopId: string; name: string; currency: string; url?: string };
  language: StorefrontLanguage;
  program: StorefrontProgram;
  customer: StorefrontCustomer | null;
}

/** POST /v1/storefront/me/rewards/{rewardId}/redeem → 201 (Idempotency-Key required; body `{steps?}`). */
export interface StorefrontRedeemAnswer {
  code: StorefrontCode;
  spendable: number;
  balance: number;
}

/** Every non-2xx answer of the API. */
export interface StorefrontError {
  error: { code: string; message: string; field?: string };
}
