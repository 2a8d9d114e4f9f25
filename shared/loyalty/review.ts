import type { OrderHistory } from '#shared/domain/history.ts';
import { expiryOutlook } from '#shared/loyalty/expiry.ts';
import { type LedgerEntryDraft, type LoyaltyState, type Outbox, type TriggerDraft, tierFactsOf } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { type ClvFacts, NO_CLV, tierDecision } from '#shared/loyalty/rules.ts';

/**
 * What the scheduled run's loyalty review decides for one customer at `now`, as pure functions of
 * the customer's loyalty, order history and ledger: the tier step (warn, or one tier down) and the
 * points step (the expiry reminder, the expiry). The run (use-cases/review-loyalty.ts) writes these
 * decisions to the table; the backtest (backtest.ts) applies them to its shadow state. One
 * implementation, so a backtest of the current program lands where the live run did.
 */

/**
 * What the review reads of a customer: the profile's loyalty and order history, and the predictions
 * a tier rule reads (rules.ts ClvFacts; absent: none, read as 0).
 */
export interface ReviewedCustomer {
  loyalty: LoyaltyState;
  history: OrderHistory;
  clv?: ClvFacts;
}

const DAY = 86_400_000;

/** The local hour (the shop's time zone) at which the scheduled run, and so the review, runs each day. */
export const RUN_HOUR = 3;
const day = (date: Date) => date.toISOString().slice(0, 10);

/**
 * Where the customer's tier stands at `now` (keep, warn, step down, or up on a rule the facts now
 * meet: rules.ts tierDecision), with the program's metric it was judged on.
 */
export function tierDecisionOf(customer: ReviewedCustomer, program: Program, now: Date) {
  const { tier, tierSince, tierOverride } = customer.loyalty;
  if (tier === undefined || tierSince === undefined) return undefined;
  const facts = tierFactsOf(customer.history, program, now, customer.clv ?? NO_CLV);
  return { metric: facts[program.tiers.metric], decision: tierDecision(tier, new Date(tierSince), facts, program, now, tierOverride) };
}

export type TierReview =
  | { action: 'keep' }
  /** The warning, dated by the schedule (not the run), so a retried or later run lands on the same key. */
  | { action: 'warn'; trigger: TriggerDraft }
  /**
   * One tier down, or up to the highest rule the facts now meet: the loyalty fields to set and the
   * effects (a tier_down or tier_up trigger, the tier entry).
   */
  | { action: 'downgrade' | 'upgrade'; sets: Pick<LoyaltyState, 'tier' | 'tierSince' | 'tierBase'>; outbox: Outbox };

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
        data: {
          tier,
          to: decision.to.id,
          downgradeOn: decision.downgradeOn.toISOString(),
          // None when the metric alone cannot keep the tier (a rule that needs a prediction).
          ...(decision.shortfall !== undefined ? { shortfall: decision.shortfall } : {}),
          metric,
        },
      },
    };
  }
  const at = now.toISOString();
  const to = decision.to;
  // A step down is dated by its schedule (term end + grace); a step up by the run that saw it.
  const since = decision.action === 'downgrade' ? decision.downgradeOn.toISOString() : at;
  const held = program.tiers.levels.find((level) => level.id === tier);
  const reason =
    decision.action === 'upgrade'
      ? `the run's figures meet the ${to.id} rule${to.qualifies ? ` (${to.qualifies})` : ''}`
      : held?.qualifies
        ? `term and grace ended no longer meeting the ${tier} rule (${held.qualifies})`
        : `term and grace ended with tier metric ${metric}, below the ${tier} threshold`;
  return {
    action: decision.action,
    // The run's decision is the base events lift the tier from, judged from now on: an earlier
    // peak, which the run has just judged out of date, does not lift the customer back.
    sets: { tier: to.id, tierSince: since, tierBase: { tier: to.id, at } },
    outbox: {
      ledger: [],
      triggers: [
        decision.action === 'downgrade'
          ? { key: `tier_down:${to.id}:${day(new Date(since))}`, trigger: 'tier_down', at: since, data: { from: tier, to: to.id, metric } }
          : { key: `tier_up:${to.id}:${day(now)}`, trigger: 'tier_up', at, data: { from: tier, to: to.id, metric } },
      ],
      tier: { from: tier, to: to.id, metric, ...(to.threshold !== undefined ? { threshold: to.threshold } : {}), at: since, reason },
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
