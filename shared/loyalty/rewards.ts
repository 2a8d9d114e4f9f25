import * as z from 'zod';

/**
 * The rewards catalog (issue 13): what points buy. Each reward becomes a single-use discount code on
 * the shop's platform (Shopify, WooCommerce) or, for a generic shop, a code Rapport issues and the
 * shop checks with GET /v1/coupons/{code}. Part of the program document: validated, versioned and
 * diffed with it.
 *
 * Money is in minor units of the shop currency, like everywhere in the program. A reward is either
 * bought whole (`cost.kind: fixed`) or by the step (`per`: "spend N×100 points for N×10,000 ₫ off",
 * amount-off rewards only), between `minSteps` and `maxSteps` steps.
 */

const Id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, up to 40 characters');
const Minor = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** Names by locale, English required as the fallback (rewards, activities). */
export const LocalizedText = z
  .record(z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a locale such as en or vi-VN'), z.string().trim().min(1).max(80))
  .refine((names) => 'en' in names, { message: 'an English name (en) is required as the fallback' });

export const RewardValueSchema = z.discriminatedUnion('kind', [
  /** An amount off the order (per step, for a `per` cost). */
  z.strictObject({ kind: z.literal('amount_off'), amount: Minor }),
  /** A percentage off the order, with an optional cap on the amount taken off. */
  z.strictObject({ kind: z.literal('percent_off'), percent: z.number().int().min(1).max(100), maxAmount: Minor.optional() }),
  z.strictObject({ kind: z.literal('free_shipping') }),
  /** One unit of a product free: the platform's product id (Shopify numeric id or gid, WooCommerce id). */
  z.strictObject({ kind: z.literal('free_product'), productId: z.string().trim().min(1).max(100) }),
]);

export const RewardCostSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), points: z.number().int().min(1).max(100_000_000) }),
  z
    .strictObject({
      kind: z.literal('per'),
      /** Points for one step of the reward's value. */
      points: z.number().int().min(1).max(100_000_000),
      minSteps: z.number().int().min(1).max(1000).default(1),
      maxSteps: z.number().int().min(1).max(1000),
    })
    .refine((cost) => cost.minSteps <= cost.maxSteps, { message: 'minSteps must not exceed maxSteps', path: ['minSteps'] }),
]);

export const RewardLimitSchema = z.strictObject({
  /** At most this many redemptions of the reward per customer… */
  count: z.number().int().min(1).max(100),
  /** …ever, or per calendar month or year (in the shop's time zone). */
  per: z.enum(['ever', 'month', 'year']),
});

export const RewardSchema = z
  .strictObject({
    id: Id,
    name: LocalizedText,
    value: RewardValueSchema,
    cost: RewardCostSchema,
    /** The order's subtotal must reach this for the code to apply. */
    minOrder: Minor.optional(),
    /** Only customers in these tiers may redeem it; absent: every tier. */
    tiers: z.array(Id).min(1).max(10).optional(),
    limit: RewardLimitSchema.optional(),
    /** The code is valid this many days from its issue. */
    validityDays: z.number().int().min(1).max(365),
    /** A reward taken off the catalog stays in the document (its codes still resolve) but cannot be redeemed. */
    active: z.boolean().default(true),
  })
  .refine((reward) => reward.cost.kind === 'fixed' || reward.value.kind === 'amount_off', {
    message: 'a per-step cost needs an amount_off value (N steps buy N × amount)',
    path: ['cost', 'kind'],
  });

export type Reward = z.infer<typeof RewardSchema>;
export type RewardValue = z.infer<typeof RewardValueSchema>;

export const MAX_REWARDS = 50;

/**
 * A new shop's catalog: an amount off worth its points at the program's point value, and free
 * shipping, so the program has something to spend points on before the shop edits it; and the
 * win-back email's offer, 10 % off for 14 days, which is given, not sold (`active: false`: not for
 * points, its codes still valid).
 */
export function defaultRewards(pointValue: number): Reward[] {
  const points = 500;
  return [
    {
      id: 'amount-off',
      name: { en: 'Money off your order', vi: 'Giảm giá đơn hàng' },
      value: { kind: 'amount_off', amount: Math.max(1, points * pointValue) },
      cost: { kind: 'fixed', points },
      validityDays: 30,
      active: true,
    },
    {
      id: 'free-shipping',
      name: { en: 'Free shipping', vi: 'Miễn phí vận chuyển' },
      value: { kind: 'free_shipping' },
      cost: { kind: 'fixed', points: 300 },
      validityDays: 30,
      active: true,
    },
    {
      id: 'win-back',
      name: { en: '10 % off: we miss you', vi: 'Giảm 10 %: chúng tôi nhớ bạn' },
      value: { kind: 'percent_off', percent: 10 },
      cost: { kind: 'fixed', points: 1000 },
      validityDays: 14,
      active: false,
    },
  ];
}

/** What `steps` steps of a reward cost and are worth; steps outside the reward's range are refused by the caller. */
export function priceOf(reward: Reward, steps: number): { points: number; value: RewardValue } {
  if (reward.cost.kind === 'fixed') return { points: reward.cost.points, value: reward.value };
  const value = reward.value.kind === 'amount_off' ? { kind: 'amount_off' as const, amount: reward.value.amount * steps } : reward.value;
  return { points: reward.cost.points * steps, value };
}

/** The period a per-customer limit (a reward's, an activity's) counts in: `ever`, `2026`, `2026-12`, `2026-12-03` (the shop's local date). */
export function limitPeriod(limit: { per: 'ever' | 'day' | 'month' | 'year' } | undefined, localDate: string): string {
  if (!limit || limit.per === 'ever') return 'ever';
  return localDate.slice(0, limit.per === 'year' ? 4 : limit.per === 'month' ? 7 : 10);
}

/** A limit's period in words, for the refusal: `ever`, `a month`. */
export const limitWords = (per: 'ever' | 'day' | 'month' | 'year') => (per === 'ever' ? 'ever' : `a ${per}`);
