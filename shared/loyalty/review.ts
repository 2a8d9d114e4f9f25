import type { OrderHistory } from '#shared/domain/history.ts';
import { expiryOutlook } from '#shared/loyalty/expiry.ts';
import { type LedgerEntryDraft, type LoyaltyState, type Outbox, type TriggerDraft, tierMetricOf } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { downgradeDecision } from '#shared/loyalty/rules.ts';

/**
 * What the scheduled run's loyalty review decides for one customer at `now`, as pure functions of
 * the customer's loyalty, order history and ledger: the tier step (warn, or one tier down) and the
 * points step (the expiry reminder, the expiry). The run (use-cases/review-loyalty.ts) writes these
 * decisions to the table; the backtest (backtest.ts) applies them to its shadow state. One
 * implementation, so a backtest of the current program lands where the live run did.
 */

/** What the review reads of a customer: the profile's loyalty and order history. */
export interface ReviewedCustomer {
  loyalty: LoyaltyState;
  history: OrderHistory;
}

const DAY = 86_400_000;

/** The local hour (the shop's time zone) at which the scheduled run, and so the review, runs each day. */
export const RUN_HOUR = 3;
const day = (date: Date) => date.toISOString().slice(0, 10);

/** Where the customer's tier stands at `now` (keep, warn, or step down), with the metric it was judged on. */
export function tierDecisionOf(customer: ReviewedCustomer, program: Program, now: Date) {
  const { tier, tierSince, tierOverride } = customer.loyalty;
  if (tier === undefined || tierSince === undefined) return undefined;
  const metric = tierMetricOf(customer.history, program, now);
  return { metric, decision: downgradeDecision(tier, new Date(tierSince), metric, program, now, tierOverride) };
}

export type TierReview =
  | { action: 'keep' }
  /** The warning, dated by the schedule (not the run), so a retried or later run lands on the same key. */
  | { action: 'warn'; trigger: TriggerDraft }
  /** One tier down: the loyalty fields to set and the effects (a tier_down trigger, the tier entry). */
  | { action: 'downgrade'; sets: Pick<LoyaltyState, 'tier' | 'tierSince' | 'tierBase'>; outbox: Outbox };

export function tierReviewOf(customer: ReviewedCustomer, program: Program, now: Date): TierReview {
  const review = tierDecisionOf(customer, program, now);
  if (!review) return { action: 'keep' };
  const { metric, decision } = review;
  const tier = customer.loyalty.tier;
  if (decision.action === 'keep') return { action: 'keep' };
  if (decision.action === 'warn') {
    return {
      action: 'warn',
      trigger: {
        key: `tier_down_warning:${tier}:${day(decision.downgradeOn)}`,
        trigger: 'tier_down_warning',
        at: new Date(decision.downgradeOn.getTime() - program.tiers.downgrade.warningDays * DAY).toISOString(),
        data: { tier, to: decision.to.id, downgradeOn: decision.downgradeOn.toISOString(), shortfall: decision.shortfall, metric },
      },
    };
  }
  const since = decision.downgradeOn.toISOString();
  return {
    action: 'downgrade',
    // The run's decision is the base events lift the tier from, judged from now on: an earlier
    // peak, which the run has just judged out of date, does not lift the customer back.
    sets: { tier: decision.to.id, tierSince: since, tierBase: { tier: decision.to.id, at: now.toISOString() } },
    outbox: {
      ledger: [],
      triggers: [
        {
          key: `tier_down:${decision.to.id}:${day(new Date(since))}`,
          trigger: 'tier_down',
          at: since,
          data: { from: tier, to: decision.to.id, metric },
        },
      ],
      tier: {
        from: tier,
        to: decision.to.id,
        metric,
        threshold: decision.to.threshold,
        at: since,
        reason: `term and grace ended with tier metric ${metric}, below the ${tier} threshold`,
      },
    },
  };
}

export interface PointsReview {
  /** The points-expiring reminder, due from `reminderDays` before the next expiry. */
  reminder?: TriggerDraft;
  /** The expiry entry to append (once per period: absent when the ledger has it already). */
  expire?: LedgerEntryDraft;
}

/** The points step of the review: remind of the next expiry, expire what is due (never more than the balance). */
export function pointsReviewOf(entries: LedgerEntryDraft[], balance: number, program: Program, now: Date): PointsReview {
  if (balance <= 0) return {};
  const outlook = expiryOutlook(entries, program, now);
  const review: PointsReview = {};
  if (outlook.next && now.getTime() >= outlook.next.on.getTime() - program.points.reminderDays * DAY) {
    review.reminder = {
      key: `points_expiring:${day(outlook.next.on)}`,
      trigger: 'points_expiring',
      at: new Date(outlook.next.on.getTime() - program.points.reminderDays * DAY).toISOString(),
      data: { points: outlook.next.points, expiresOn: outlook.next.on.toISOString() },
    };
  }
  const entryId = `expire:${outlook.periodKey}`;
  const due = Math.min(outlook.dueNow, balance);
  if (due > 0 && !entries.some((entry) => entry.entryId === entryId)) {
    review.expire = { entryId, kind: 'expire', points: -due, at: now.toISOString(), source: { policy: program.points.expiry.kind } };
  }
  return review;
}

/** Points earned less than `pendingDays` ago are on the balance but not spendable yet. */
export function pendingPoints(customer: { history: OrderHistory; loyalty: { balance: number } }, program: Program, now: Date): number {
  const days = program.points.pendingDays;
  if (days === 0) return 0;
  let pending = 0;
  const { history } = customer;
  for (const summary of Object.values(history.open)) {
    if (summary.c * 1000 + days * DAY > now.getTime()) pending += Math.max(0, summary.e ?? 0);
  }
  // Folded orders are kept per month: a month whose latest order is still pending counts whole (the
  // guard errs on the side of what a refund could still claw back).
  for (const [, , points, latest] of Object.values(history.base.m)) {
    if (latest * 1000 + days * DAY > now.getTime()) pending += Math.max(0, points);
  }
  return Math.min(pending, customer.loyalty.balance);
}
