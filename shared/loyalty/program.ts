import * as z from 'zod';
import { RFM_SEGMENT_NAMES } from '#shared/analytics/rfm.ts';
import { segmentIdOfRfm, segmentIdOfRule, segmentIdOfTier } from '#shared/analytics/segment-ids.ts';
import { segmentsDocumentSchema } from '#shared/analytics/segments.ts';
import { currencyExponent } from '#shared/domain/money.ts';
import { ActivitySchema, defaultActivities, MAX_ACTIVITIES } from '#shared/loyalty/activities.ts';
import { BonusSchema, MAX_BONUSES } from '#shared/loyalty/bonuses.ts';
import { FlowSchema, MAX_FLOWS, MAX_FLOWS_BYTES, winBackFlow } from '#shared/loyalty/flows.ts';
import { defaultReferrals, REFERRALS_OFF, ReferralsSchema } from '#shared/loyalty/referrals.ts';
import { defaultRewards, MAX_REWARDS, RewardSchema } from '#shared/loyalty/rewards.ts';
import { MAX_EXPRESSION_LENGTH, parseTierExpression, TierExpressionError } from '#shared/loyalty/tier-expression.ts';

/**
 * The loyalty program as code: one zod-validated, versioned document per shop. Every rule the
 * engine applies is written here, so a shop can read, preview and diff exactly what its customers
 * get — the opposite of undocumented tier rules.
 */

const Id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, up to 40 characters');

/** A name per locale, e.g. { "en": "Gold", "vi": "Vàng" }; `en` is required as the fallback. */
const LocalizedName = z
  .record(z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a locale such as en or vi-VN'), z.string().trim().min(1).max(60))
  .refine((names) => 'en' in names, { message: 'an English name (en) is required as the fallback' });

/** Over which period the tier metric is summed. */
export const WindowSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('lifetime') }),
  z.object({ kind: z.literal('calendarYear') }),
  z.object({ kind: z.literal('rollingMonths'), months: z.number().int().min(1).max(120) }),
]);

/** A level's own rule (tier-expression.ts), refused with the position where it stops making sense. */
const TierRule = z
  .string()
  .trim()
  .min(1, 'a rule such as spend >= 5000000 or (orders >= 6 and predictedValue12m >= 3000000)')
  .max(MAX_EXPRESSION_LENGTH)
  .superRefine((text, ctx) => {
    try {
      parseTierExpression(text);
    } catch (error) {
      if (!(error instanceof TierExpressionError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
    }
  });

export const TierSchema = z.object({
  id: Id,
  name: LocalizedName,
  /**
   * In the metric's unit: minor units of the shop currency (spend), orders, or qualifying points.
   * A level has a threshold or a rule of its own (`qualifies`), not both.
   */
  threshold: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  /**
   * The level's own rule over the tier window's `spend`, `orders`, `points` and the last run's
   * `predictedValue12m` (minor units) and `pAlive` (0–1), e.g.
   * `spend >= 5000000 or (orders >= 6 and predictedValue12m >= 3000000)`; instead of a threshold.
   */
  qualifies: TierRule.optional(),
  /** Points earned are multiplied by this (hundredths allowed: 1.25). */
  earnMultiplier: z
    .number()
    .min(0)
    .max(10)
    .refine((m) => Number.isInteger(Math.round(m * 100)) && Math.abs(m * 100 - Math.round(m * 100)) < 1e-9, 'at most two decimals'),
  /**
   * The tier's own recurring rewards (issue 13): a code of a catalog reward given free to everyone
   * in the tier once a calendar month or year (the shop's time zone), by the scheduled run.
   */
  perks: z
    .array(z.strictObject({ rewardId: Id, every: z.enum(['month', 'year']) }))
    .max(5)
    .optional(),
});

export const ExpirySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  /** All spendable points expire after this many months without an earning or redeeming event. */
  z.object({ kind: z.literal('inactivity'), months: z.number().int().min(1).max(120) }),
  /** Each earning expires this many months after it became spendable. */
  z.object({ kind: z.literal('fixedTerm'), months: z.number().int().min(1).max(120) }),
]);

const DEFAULT_ANALYTICS = { winBackPAliveBelow: 0.3, segments: [] };
const RFM_SEGMENT_IDS = RFM_SEGMENT_NAMES.map(segmentIdOfRfm);

export const ProgramSchema = z
  .object({
    tiers: z.object({
      metric: z.enum(['spend', 'orders', 'points']),
      window: WindowSchema,
      /** Lowest first; the first has threshold 0 (everyone starts there). */
      levels: z.array(TierSchema).min(1).max(10),
      downgrade: z.object({
        /** A tier, once reached, holds at least this long before the scheduled run may lower it. */
        termMonths: z.number().int().min(1).max(36),
        /** Extra days after the term during which the customer can still requalify. */
        graceDays: z.number().int().min(0).max(365),
        /** The warning (with the exact shortfall) goes out this many days before a downgrade. */
        warningDays: z.number().int().min(0).max(90),
      }),
    }),
    points: z.object({
      /** `points` points for every `per` minor units of net paid spend, times the tier multiplier. */
      earn: z.object({ points: z.number().int().min(0).max(1_000_000), per: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
      firstOrderBonus: z.number().int().min(0).max(1_000_000),
      birthdayBonus: z.number().int().min(0).max(1_000_000),
      /** Earned points become spendable after this many days (0: at once), so a quick refund cannot be spent first. */
      pendingDays: z.number().int().min(0).max(90),
      expiry: ExpirySchema,
      /** The points-expiring reminder goes out this many days before they expire. */
      reminderDays: z.number().int().min(0).max(90),
      /** Lifetime points that trigger a milestone message, ascending. */
      milestones: z.array(z.number().int().min(1)).max(20),
      /** What one point is worth when redeemed, in minor units of the shop currency (for liability). */
      pointValue: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      /** Which earned points count toward a `points` tier metric: all earned, or only those from paid orders (no bonuses). */
      qualifying: z.enum(['all', 'orders']),
      /**
       * A reward's code that expires unused gives its points back (the scheduled run; a `return`
       * ledger entry). Off: the points are spent on the code whether it is used or not.
       */
      returnUnusedRewardCodes: z.boolean().default(true),
    }),
    email: z.object({
      fromAddress: z.email(),
      fromName: z.string().trim().min(1).max(100),
      replyTo: z.email().optional(),
      /** At most this many marketing emails per customer in any 7 days. */
      maxMarketingPerWeek: z.number().int().min(0).max(14),
      /** The post-purchase feedback request goes out this many days after a paid order. */
      feedbackDelayDays: z.number().int().min(0).max(90),
    }),
    /** The scheduled run (shared/use-cases/resegment.ts). Programs saved before it existed get the defaults. */
    analytics: z
      .object({
        /** A win-back trigger when P(alive) falls below this (0: only on entering a win-back RFM segment). */
        winBackPAliveBelow: z.number().min(0).max(1),
        /** The shop's rule segments (shared/analytics/segments.ts). */
        segments: segmentsDocumentSchema.shape.segments,
      })
      .superRefine((analytics, ctx) => {
        const checked = segmentsDocumentSchema.safeParse({ segments: analytics.segments });
        if (!checked.success) {
          for (const issue of checked.error.issues)
            ctx.addIssue({ code: 'custom', path: issue.path as (string | number)[], message: issue.message });
        }
      })
      .default(DEFAULT_ANALYTICS),
    /**
     * What points buy (shared/loyalty/rewards.ts). Programs saved before the catalog existed read as
     * an empty catalog: a shop's rewards are its own decision, never added to a program behind its back.
     */
    rewards: z.array(RewardSchema).max(MAX_REWARDS).default([]),
    /**
     * Rewards of the catalog that the win-back and birthday emails give, free: their codes are real
     * (on the shop's platform, or Rapport's own), valid for the reward's days. Absent: the email
     * carries a coupon the shop checks with GET /v1/coupons (win-back) or none (birthday).
     */
    offers: z.strictObject({ winBack: Id.optional(), birthday: Id.optional() }).default({}),
    /**
     * Points for what a customer does beyond buying (shared/loyalty/activities.ts), one entry per
     * activity. Programs saved before activities existed award none: like the catalog, the shop's
     * own decision.
     */
    activities: z.array(ActivitySchema).max(MAX_ACTIVITIES).default([]),
    /**
     * More points on some products, categories or dates (shared/loyalty/bonuses.ts), in the same earn
     * computation as the base points. Programs saved before bonuses existed have none.
     */
    bonuses: z.array(BonusSchema).max(MAX_BONUSES).default([]),
    /**
     * Messages on entering a segment (shared/loyalty/flows.ts). Absent — a program saved before flows
     * existed, or a PUT that leaves them out — reads as the built-in win-back flow alone, made from
     * `offers.winBack` and `analytics.winBackPAliveBelow` (flowsOf); once a program has `flows`, those
     * two settings no longer steer the win-back, its flow does. `[]`: no flows, no win-back.
     */
    flows: z.array(FlowSchema).max(MAX_FLOWS).optional(),
    /**
     * Rewards for bringing friends (shared/loyalty/referrals.ts). Programs saved before referrals
     * existed have them off.
     */
    referrals: ReferralsSchema.default(REFERRALS_OFF),
  })
  .superRefine((program, ctx) => {
    const levels = program.tiers.levels;
    if (levels[0] && levels[0].threshold !== 0) {
      ctx.addIssue({ code: 'custom', path: ['tiers', 'levels', 0, 'threshold'], message: 'the first tier starts at 0' });
    }
    if (levels[0]?.qualifies !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tiers', 'levels', 0, 'qualifies'], message: 'the first tier is everyone’s: it has no rule' });
    }
    // Thresholds increase over the levels that have one; a level with a rule of its own sits
    // where the shop puts it (the highest level whose rule holds wins: rules.ts tierFor).
    let previousThreshold: number | undefined;
    levels.forEach((level, i) => {
      if (i > 0 && level.threshold === undefined && level.qualifies === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', 'levels', i, 'threshold'],
          message: 'a threshold or a rule (qualifies) is required',
        });
      }
      if (level.threshold !== undefined && level.qualifies !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['tiers', 'levels', i, 'qualifies'], message: 'a level has a threshold or a rule, not both' });
      }
      if (level.threshold !== undefined) {
        if (previousThreshold !== undefined && level.threshold <= previousThreshold) {
          ctx.addIssue({
            code: 'custom',
            path: ['tiers', 'levels', i, 'threshold'],
            message: 'thresholds must increase from tier to tier',
          });
        }
        previousThreshold = level.threshold;
      }
      if (levels.findIndex((other) => other.id === level.id) !== i) {
        ctx.addIssue({ code: 'custom', path: ['tiers', 'levels', i, 'id'], message: `tier id ${level.id} is used twice` });
      }
    });
    const tierIds = new Set(levels.map((level) => level.id));
    program.rewards.forEach((reward, i) => {
      if (program.rewards.findIndex((other) => other.id === reward.id) !== i) {
        ctx.addIssue({ code: 'custom', path: ['rewards', i, 'id'], message: `reward id ${reward.id} is used twice` });
      }
      reward.tiers?.forEach((tier, t) => {
        if (!tierIds.has(tier))
          ctx.addIssue({ code: 'custom', path: ['rewards', i, 'tiers', t], message: `no tier ${tier} in tiers.levels` });
      });
    });
    program.activities.forEach((activity, i) => {
      if (program.activities.findIndex((other) => other.activity === activity.activity) !== i) {
        ctx.addIssue({ code: 'custom', path: ['activities', i, 'activity'], message: `activity ${activity.activity} is listed twice` });
      }
      activity.tiers?.forEach((tier, t) => {
        if (!tierIds.has(tier))
          ctx.addIssue({ code: 'custom', path: ['activities', i, 'tiers', t], message: `no tier ${tier} in tiers.levels` });
      });
    });
    program.bonuses.forEach((bonus, i) => {
      if (program.bonuses.findIndex((other) => other.id === bonus.id) !== i) {
        ctx.addIssue({ code: 'custom', path: ['bonuses', i, 'id'], message: `bonus id ${bonus.id} is used twice` });
      }
      bonus.tiers?.forEach((tier, t) => {
        if (!tierIds.has(tier))
          ctx.addIssue({ code: 'custom', path: ['bonuses', i, 'tiers', t], message: `no tier ${tier} in tiers.levels` });
      });
    });
    const rewardIds = new Set(program.rewards.map((reward) => reward.id));
    for (const side of ['friendReward', 'referrerReward'] as const) {
      const reward = program.referrals[side];
      if ('rewardId' in reward && !rewardIds.has(reward.rewardId))
        ctx.addIssue({ code: 'custom', path: ['referrals', side, 'rewardId'], message: `no reward ${reward.rewardId} in rewards` });
    }
    for (const offer of ['winBack', 'birthday'] as const) {
      const id = program.offers[offer];
      if (id !== undefined && !rewardIds.has(id))
        ctx.addIssue({ code: 'custom', path: ['offers', offer], message: `no reward ${id} in rewards` });
    }
    levels.forEach((level, i) => {
      level.perks?.forEach((perk, p) => {
        if (!rewardIds.has(perk.rewardId))
          ctx.addIssue({
            code: 'custom',
            path: ['tiers', 'levels', i, 'perks', p, 'rewardId'],
            message: `no reward ${perk.rewardId} in rewards`,
          });
      });
    });
    const flows = program.flows ?? [];
    const segmentIds = new Set([
      ...RFM_SEGMENT_IDS,
      ...levels.map((level) => segmentIdOfTier(level.id)),
      ...program.analytics.segments.map((segment) => segmentIdOfRule(segment.id)),
    ]);
    flows.forEach((flow, i) => {
      if (flows.findIndex((other) => other.id === flow.id) !== i)
        ctx.addIssue({ code: 'custom', path: ['flows', i, 'id'], message: `flow id ${flow.id} is used twice` });
      flow.segments.forEach((segment, s) => {
        if (!segmentIds.has(segment))
          ctx.addIssue({
            code: 'custom',
            path: ['flows', i, 'segments', s],
            message: `no segment ${segment}: an RFM segment (rfm:champions…), a tier of tiers.levels (tier:<id>) or a rule segment of analytics.segments (rule:<id>)`,
          });
      });
      if (flow.rewardId !== undefined && !rewardIds.has(flow.rewardId))
        ctx.addIssue({ code: 'custom', path: ['flows', i, 'rewardId'], message: `no reward ${flow.rewardId} in rewards` });
    });
    // Only messages make flows big: twenty flows without one are a few kilobytes.
    if (flows.some((flow) => flow.message) && Buffer.byteLength(JSON.stringify(flows)) > MAX_FLOWS_BYTES)
      ctx.addIssue({
        code: 'custom',
        path: ['flows'],
        message: `the flows take more than ${MAX_FLOWS_BYTES} bytes: shorten their messages`,
      });
    program.points.milestones.forEach((milestone, i) => {
      const previous = program.points.milestones[i - 1];
      if (previous !== undefined && milestone <= previous) {
        ctx.addIssue({ code: 'custom', path: ['points', 'milestones', i], message: 'milestones must increase' });
      }
    });
  });

export type Program = z.infer<typeof ProgramSchema>;

export type Tier = z.infer<typeof TierSchema>;

/**
 * How many minor units make "one point's worth" of spend by default: one major unit, except where a
 * major unit is worth very little and a point per unit would make absurd balances.
 */
const DEFAULT_EARN_PER: Readonly<Record<string, number>> = {
  VND: 10_000,
  IDR: 1_000_000,
  KRW: 1_000,
  JPY: 100,
  CLP: 1_000,
  COP: 400_000,
  UGX: 4_000,
  PYG: 7_000,
};

/**
 * A new shop's program: tiers on the number of paid orders in a rolling year (currency-neutral, so
 * sensible in every shop), one point per major unit (or its local equivalent), a first-order and a
 * birthday bonus, points expiring after a year of inactivity, a few activities worth points. The shop
 * edits it from here.
 */
export function defaultProgram(shop: { currency: string; name: string }): Program {
  const exponent = currencyExponent(shop.currency) ?? 2;
  const per = DEFAULT_EARN_PER[shop.currency] ?? 10 ** exponent;
  const pointValue = Math.max(1, Math.round(per / 100));
  return {
    tiers: {
      metric: 'orders',
      window: { kind: 'rollingMonths', months: 12 },
      levels: [
        { id: 'member', name: { en: 'Member', vi: 'Thành viên' }, threshold: 0, earnMultiplier: 1 },
        { id: 'silver', name: { en: 'Silver', vi: 'Bạc' }, threshold: 3, earnMultiplier: 1.25 },
        {
          id: 'gold',
          name: { en: 'Gold', vi: 'Vàng' },
          threshold: 8,
          earnMultiplier: 1.5,
          perks: [{ rewardId: 'free-shipping', every: 'month' }],
        },
      ],
      downgrade: { termMonths: 12, graceDays: 30, warningDays: 14 },
    },
    points: {
      earn: { points: 1, per },
      firstOrderBonus: 50,
      birthdayBonus: 100,
      pendingDays: 0,
      expiry: { kind: 'inactivity', months: 12 },
      reminderDays: 30,
      milestones: [500, 1000, 5000],
      // A point is worth 1% of the spend that earns it.
      pointValue,
      qualifying: 'orders',
      returnUnusedRewardCodes: true,
    },
    email: {
      fromAddress: 'loyalty@example.com',
      fromName: shop.name.slice(0, 100) || 'Loyalty',
      maxMarketingPerWeek: 2,
      feedbackDelayDays: 7,
    },
    analytics: { ...DEFAULT_ANALYTICS, segments: [] },
    rewards: defaultRewards(pointValue),
    offers: { winBack: 'win-back' },
    activities: defaultActivities(),
    bonuses: [],
    flows: [winBackFlow({ rewardId: 'win-back', pAliveBelow: DEFAULT_ANALYTICS.winBackPAliveBelow })],
    referrals: defaultReferrals(),
  };
}

export interface DiffLine {
  path: string;
  change: 'added' | 'removed' | 'changed';
  from?: unknown;
  to?: unknown;
}

/**
 * Lists whose entries have an identity of their own: diffed by it (`activities[survey].points`,
 * `bonuses[tet-week]` added) rather than by position, so removing one entry reads as that entry
 * removed, not as every later one changed.
 */
const KEYED_LISTS: Readonly<Record<string, string>> = { activities: 'activity', bonuses: 'id', flows: 'id' };

const keyedEntries = (list: unknown[], key: string) =>
  Object.fromEntries(list.map((entry, i) => [String((entry as Record<string, unknown> | null)?.[key] ?? i), entry]));

/** What changes between two programs, field by field (arrays by index, activities, bonuses and flows by id), for review before applying. */
export function diffPrograms(from: unknown, to: unknown, path = ''): DiffLine[] {
  if (JSON.stringify(from) === JSON.stringify(to)) return [];
  const key = KEYED_LISTS[path];
  if (key && Array.isArray(from) && Array.isArray(to)) {
    const a = keyedEntries(from, key);
    const b = keyedEntries(to, key);
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((id) => diffPrograms(a[id], b[id], `${path}[${id}]`));
  }
  const isContainer = (value: unknown) => typeof value === 'object' && value !== null;
  if (!isContainer(from) || !isContainer(to) || Array.isArray(from) !== Array.isArray(to)) {
    if (from === undefined) return [{ path, change: 'added', to }];
    if (to === undefined) return [{ path, change: 'removed', from }];
    return [{ path, change: 'changed', from, to }];
  }
  const a = from as Record<string, unknown>;
  const b = to as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const at = (key: string) => (Array.isArray(from) ? `${path}[${key}]` : path ? `${path}.${key}` : key);
  return keys.flatMap((key) => diffPrograms(a[key], b[key], at(key)));
}

export function formatDiff(lines: DiffLine[]): string {
  if (lines.length === 0) return 'no changes';
  const show = (value: unknown) => JSON.stringify(value);
  return lines
    .map((line) =>
      line.change === 'added'
        ? `+ ${line.path}: ${show(line.to)}`
        : line.change === 'removed'
          ? `- ${line.path}: ${show(line.from)}`
          : `~ ${line.path}: ${show(line.from)} → ${show(line.to)}`,
    )
    .join('\n');
}
