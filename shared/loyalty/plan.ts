import { foldedHistoryOrders, type Held, historyOrders, type OrderHistory, withOrder } from '#shared/domain/history.ts';
import {
  counts,
  netOf,
  type OrderSummary,
  sameValueSteps,
  type ValueFacts,
  valueAt,
  valueSteps,
  withValueSteps,
} from '#shared/domain/order.ts';
import { type BonusOrder, bonusParts } from '#shared/loyalty/bonuses.ts';
import type { Program, Tier } from '#shared/loyalty/program.ts';
import {
  type ClvFacts,
  NO_CLV,
  pointsFor,
  type QualifyingOrder,
  type TierFacts,
  type TierOverride,
  tierFor,
  tierIndex,
  windowFacts,
  withOverride,
} from '#shared/loyalty/rules.ts';

/**
 * What a change to one order means for the loyalty program, planned from the profile as read: the
 * points the order earns now, the ledger entries that move the balance there, a first-order bonus,
 * a tier change, milestone triggers. Pure: the processor writes the plan in one conditional profile
 * update (conditional on the profile version it read), then the ledger and trigger items.
 */

/** An order summary with its loyalty fields (`e` points earned, `m` multiplier, `b` bonus parts). */
export type LoyaltySummary = OrderSummary;

export type LedgerKind = 'earn' | 'bonus' | 'clawback' | 'redeem' | 'expire' | 'adjust' | 'return' | 'activity' | 'referral';

export interface LedgerEntryDraft {
  /** Deterministic, so a repeated delivery rewrites the same entry instead of adding one. */
  entryId: string;
  kind: LedgerKind;
  points: number;
  at: string;
  source: Record<string, string | number>;
  writtenOff?: number;
}

export interface TriggerDraft {
  /** `${trigger}:${period}`: once per (customer, trigger, period). */
  key: string;
  trigger:
    | 'welcome'
    | 'tier_up'
    | 'tier_down_warning'
    | 'tier_down'
    | 'points_milestone'
    | 'points_expiring'
    | 'redemption_receipt'
    | 'reward_issued'
    | 'reward_failed'
    | 'birthday'
    | 'win_back'
    | 'feedback_request'
    | 'flow';
  at: string;
  data: Record<string, unknown>;
}

/** A customer's loyalty as the profile holds it. */
export interface LoyaltyState {
  balance: number;
  lifetime: number;
  tier?: string;
  tierSince?: string;
  tierOverride?: TierOverride;
  /**
   * The tier the last decision that was not an event left (the scheduled run's downgrade, an
   * override set or removed) and when: events lift the tier from there, judged from then on. `{}`:
   * no such decision, the base tier since ever. Absent on a profile whose tier was set before tiers
   * were judged by event time: its tier and tierSince stand in (tierBaseOf).
   */
  tierBase?: TierBase;
  /** The first-order bonus, once awarded. */
  firstOrderBonus?: { orderId: string; points: number; at: string };
  /** When the customer was welcomed (the welcome trigger fires once). */
  welcomedAt?: string;
  /** The effects of the last write that had any (use-cases/loyalty-effects.ts). */
  outbox?: Outbox;
}

/** The loyalty effects of a profile write: rewritten if a crash lost them before they were written. */
export interface Outbox {
  ledger: LedgerEntryDraft[];
  triggers: TriggerDraft[];
  tier?: LoyaltyPlan['tierChange'] & { at: string; reason?: string };
  /** The source of the event that decided these effects: an `import` never mails anyone. */
  source?: string;
}

export interface LoyaltyPlan {
  summary: LoyaltySummary;
  /** The customer's order history after the change, and the page it folds (written before the profile). */
  history: OrderHistory;
  page?: Record<string, LoyaltySummary>;
  /** Loyalty fields to set (besides the history). */
  sets: Pick<LoyaltyState, 'tier' | 'tierSince' | 'tierBase' | 'firstOrderBonus' | 'welcomedAt'>;
  balanceDelta: number;
  lifetimeDelta: number;
  ledger: LedgerEntryDraft[];
  triggers: TriggerDraft[];
  /** `threshold`: the level's, for a level that has one (a level with a rule of its own has none). */
  tierChange?: { from: string | undefined; to: string; metric: number; threshold?: number; reason?: string };
}

export interface TierBase {
  tier?: string;
  /** ISO instant; absent: since ever. */
  at?: string;
}

export const qualifyingOrders = (history: OrderHistory): QualifyingOrder[] => historyOrders(history);

/** What the customer's tier rules read now: the window's figures from the order history, and the last run's predictions. */
export const tierFactsOf = (history: OrderHistory, program: Program, now: Date, clv: ClvFacts = NO_CLV): TierFacts =>
  windowFacts(qualifyingOrders(history), [], program, now, clv);

export const multiplierOf = (program: Program, tierId: string | undefined) =>
  Math.round((program.tiers.levels[tierIndex(program, tierId)]?.earnMultiplier ?? 1) * 100);

/** The base events lift the tier from (LoyaltyState.tierBase); a profile from before it keeps its tier from its tierSince. */
export function tierBaseOf(loyalty: LoyaltyState | undefined): TierBase {
  if (loyalty?.tierBase) return loyalty.tierBase;
  if (loyalty?.tier === undefined) return {};
  return { tier: loyalty.tier, ...(loyalty.tierSince ? { at: loyalty.tierSince } : {}) };
}

export interface TierReached {
  tier: Tier;
  /** When the metric first reached it (ms), if an event's instant did rather than the base. */
  reachedAt?: number;
  /** The metric then (or the highest the instants read, when none rose above the base). */
  metric: number;
}

/**
 * The tier events give, whatever order they arrived in: the one the customer would hold had every
 * event arrived in event-time order. It is the higher of the base (tierBaseOf) and the highest tier
 * the metric reaches at any instant from the base's time on, the metric at an instant counting each
 * open order at the value it had then (valueSteps; folded orders at their current value, by month).
 * The instants are every one at which the metric can rise — an open order's value changing, a folded
 * month's latest order — plus `at` and the base's time; between two of them it only falls (orders
 * leave the window). `until` (ms) reads the tier as of an instant instead (earn multipliers).
 * A rule that reads the run's predictions reads `clv` — the last run's — at every instant: the
 * only figures there are between two runs, so redelivered or reordered events still converge, and
 * the next run judges the tier again on its own (rules.ts tierDecision).
 * Overrides apply after (withOverride). Pure.
 */
export function tierFromEvents(
  history: OrderHistory,
  program: Program,
  loyalty: LoyaltyState | undefined,
  bonus: number,
  at: Date,
  until?: number,
  clv: ClvFacts = NO_CLV,
): TierReached {
  const base = tierBaseOf(loyalty);
  const from = base.at ? Date.parse(base.at) : Number.NEGATIVE_INFINITY;
  const folded = foldedHistoryOrders(history.base);
  const open = Object.values(history.open);
  const instants = new Set<number>([at.getTime(), ...(base.at ? [from] : [])]);
  for (const summary of open) for (const [t] of valueSteps(summary)) instants.add(t * 1000);
  for (const order of folded) if (order.placedAt.getTime() > 0) instants.add(order.placedAt.getTime());
  const levels = program.tiers.levels;
  let best = tierIndex(program, base.tier);
  let reached: TierReached = { tier: levels[best] as Tier, metric: 0 };
  for (const instant of [...instants].sort((a, b) => a - b)) {
    if (instant < from || (until !== undefined && instant > until)) continue;
    const facts = factsAt(open, folded, bonus, program, instant, clv);
    const metric = facts[program.tiers.metric];
    const index = tierIndex(program, tierFor(facts, program).id);
    if (index > best) {
      best = index;
      reached = { tier: levels[index] as Tier, reachedAt: instant, metric };
    } else if (reached.reachedAt === undefined) reached.metric = Math.max(reached.metric, metric);
  }
  return reached;
}

/** The tier facts at an instant (ms): open orders at their value then, folded ones as they are, the first-order bonus at every instant (as before). */
function factsAt(
  open: OrderSummary[],
  folded: QualifyingOrder[],
  bonus: number,
  program: Program,
  instant: number,
  clv: ClvFacts,
): TierFacts {
  const orders: QualifyingOrder[] = [...folded];
  for (const summary of open) {
    const value = valueAt(summary, Math.floor(instant / 1000));
    if (value <= 0) continue;
    // Its points then: what it earns now at its current value, else its value at its fixed multiplier.
    const points =
      value === netOf(summary) && counts(summary) ? (summary.e ?? 0) : pointsFor(value, program, (summary.m ?? 100) / 100, summary.b);
    orders.push({ net: value, placedAt: new Date(summary.c * 1000), points, count: 1 });
  }
  const at = new Date(instant);
  return windowFacts(orders, bonus > 0 ? [{ points: bonus, at }] : [], program, at, clv);
}

/**
 * What a change of an order gives planOrderChange: the order's summary with its value over time, when
 * there is anything to plan — a newer state than the profile holds, or the same state with an
 * earlier value learned (a stale delivery: "paid on day 2" after "cancelled on day 30"), for an open
 * order (a folded order counts at its current value only: nothing to learn for it). Undefined when
 * there is nothing to do (a repeat, or a state older than the profile's).
 */
export function summaryToPlan(held: Held | undefined, value: OrderSummary, facts: ValueFacts): OrderSummary | undefined {
  const next = withValueSteps(value, held?.summary, facts);
  if (!held || held.summary.q < next.q) return next;
  const learns = held.where === 'open' && held.summary.q === next.q && !sameValueSteps(held.summary, next);
  return learns ? next : undefined;
}

/**
 * The customer's tier for an order first earning at `at`: the tier the events dated up to then give,
 * from what the profile held before this change, so an order is not priced by orders dated after it
 * that happened to arrive first. It fixes the order's earn multiplier and the bonus rules it gets.
 * Later tiers do not re-price it; nor does an event dated before it that arrives after it has earned
 * (that would need every open order re-priced on any event).
 */
function tierAsOf(history: OrderHistory, program: Program, loyalty: LoyaltyState | undefined, at: string, clv: ClvFacts): Tier {
  const asOf = tierFromEvents(history, program, loyalty, loyalty?.firstOrderBonus?.points ?? 0, new Date(at), Date.parse(at), clv);
  return withOverride(asOf.tier, program, loyalty?.tierOverride);
}

/**
 * What the bonus rules read of an order (bonuses.ts): its lines as the order item holds them, and the
 * shop's time zone for a dates rule. Absent: no bonus applies (callers that plan without lines).
 */
export interface EarnContext {
  lineItems: BonusOrder['lineItems'];
  timeZone: string;
}

/**
 * `next` carries the order's value over time already (order.ts withValueSteps); it may be the same
 * state as `heldNow` with only earlier values learned from a stale delivery — then nothing moves but
 * the tier. `clv`: the last run's predictions of the customer, for tier rules that read them.
 */
export function planOrderChange(
  loyalty: LoyaltyState | undefined,
  history: OrderHistory,
  heldNow: Held | undefined,
  orderId: string,
  next: OrderSummary,
  program: Program,
  at: string,
  earn?: EarnContext,
  clv: ClvFacts = NO_CLV,
): LoyaltyPlan {
  const held = heldNow?.summary;
  const currentTier = loyalty?.tier;
  const balance = loyalty?.balance ?? 0;
  const lifetime = loyalty?.lifetime ?? 0;
  const bonus = program.points.firstOrderBonus;

  const needsMultiplier = held?.m === undefined && (counts(next) || next.v !== undefined);
  const asOf = needsMultiplier ? tierAsOf(history, program, loyalty, at, clv) : undefined;
  const m = held?.m ?? (asOf ? multiplierOf(program, asOf.id) : undefined);
  // The bonus parts are fixed with the multiplier: an order that had one keeps the parts it had (none
  // for an order that earned before any rule applied to it), whatever the rules say now.
  const b =
    held?.m !== undefined
      ? held.b
      : asOf && earn
        ? bonusParts(
            { total: next.t, lineItems: earn.lineItems, createdAt: new Date(next.c * 1000).toISOString() },
            program.bonuses,
            asOf.id,
            earn.timeZone,
          )
        : undefined;
  // The same state with only earlier values learned earns what it earned (whatever the program says now).
  const sameState = held !== undefined && held.q === next.q;
  const e = sameState ? (held.e ?? 0) : counts(next) ? pointsFor(netOf(next), program, (m ?? 100) / 100, b) : 0;
  const delta = e - (held?.e ?? 0);
  // Policy: the balance never goes below zero. A clawback takes what is there; the rest, already
  // spent, is written off and recorded on the entry.
  const applied = delta >= 0 ? delta : -Math.min(balance, -delta);
  const writtenOff = applied - delta;
  // Only what later plans need stays on the profile (every byte of it is paid on each write): an
  // order that earns nothing carries no points fields — but its multiplier while it has earlier
  // values, which a points metric reads; applied and written-off amounts live in the ledger entry.
  const parts = b ? { b } : {};
  const summary: LoyaltySummary = { ...next, ...(e > 0 ? { e, m, ...parts } : m !== undefined && next.v ? { m, ...parts } : {}) };
  const ledger: LedgerEntryDraft[] = [];
  if (delta !== 0) {
    ledger.push({
      entryId: `order:${orderId}:${next.q}`,
      kind: delta > 0 ? 'earn' : 'clawback',
      points: applied,
      at,
      source: { orderId },
      ...(writtenOff ? { writtenOff } : {}),
    });
  }
  const sets: LoyaltyPlan['sets'] = {};
  let balanceDelta = applied;
  let lifetimeDelta = delta;

  if (!loyalty?.firstOrderBonus && counts(next) && bonus > 0) {
    sets.firstOrderBonus = { orderId, points: bonus, at };
    ledger.push({ entryId: 'bonus:first-order', kind: 'bonus', points: bonus, at, source: { orderId, reason: 'first order' } });
    balanceDelta += bonus;
    lifetimeDelta += bonus;
  }

  const change = withOrder(history, orderId, summary, heldNow, new Date(at));
  const bonusPoints = (sets.firstOrderBonus ?? loyalty?.firstOrderBonus)?.points ?? 0;
  const reached = tierFromEvents(change.history, program, loyalty, bonusPoints, new Date(at), undefined, clv);
  const tier = withOverride(reached.tier, program, loyalty?.tierOverride);
  const triggers: TriggerDraft[] = [];
  let tierChange: LoyaltyPlan['tierChange'];
  if (tier.id !== currentTier) {
    const pinned = loyalty?.tierOverride?.mode === 'pin';
    // Since the instant the tier was reached (event time); back at the base, since the base's time.
    const since = pinned
      ? at
      : reached.reachedAt !== undefined
        ? new Date(reached.reachedAt).toISOString()
        : (tierBaseOf(loyalty).at ?? at);
    sets.tier = tier.id;
    sets.tierSince = since;
    // A profile whose tier predates tiers by event time keeps it as its base from now on (tierBaseOf).
    if (!loyalty?.tierBase) sets.tierBase = tierBaseOf(loyalty);
    tierChange = {
      from: currentTier,
      to: tier.id,
      metric: reached.metric,
      ...(tier.threshold !== undefined ? { threshold: tier.threshold } : {}),
    };
    if (tierIndex(program, tier.id) > tierIndex(program, currentTier)) {
      // Climbing is news (starting in the base tier is not). The key is dated by the instant the
      // tier was reached: a tier corrected away and reached again from another instant mails again,
      // one reached again from the same instant (its email already told of it) does not.
      triggers.push({
        key: `tier_up:${tier.id}:${since.slice(0, 10)}`,
        trigger: 'tier_up',
        at,
        data: { from: currentTier ?? null, to: tier.id, metric: reached.metric },
      });
    } else if (currentTier !== undefined) {
      // The one way down on an event: the tier was reached only on a value that an event dated
      // earlier, arriving late, shows the order never had then (a cancellation or refund before
      // the instant it was reached, an earlier state). It is corrected to what event-time order
      // gives. Its tier_up email may have gone and cannot be unsent; a correction sends no
      // tier_down (that email is for the scheduled run's downgrades).
      tierChange.reason = `corrected: with the events known now, the tier metric reaches ${tier.id}, not ${currentTier}`;
    }
  }
  // Welcome: once, with the first order that counts (the email stage decides whether it may go).
  if (!loyalty?.welcomedAt && counts(next)) {
    sets.welcomedAt = at;
    triggers.push({ key: 'welcome', trigger: 'welcome', at, data: { bonus: sets.firstOrderBonus ? bonus : 0 } });
  }
  for (const milestone of program.points.milestones) {
    if (lifetime < milestone && lifetime + lifetimeDelta >= milestone) {
      triggers.push({ key: `points_milestone:${milestone}`, trigger: 'points_milestone', at, data: { milestone } });
    }
  }
  return {
    summary,
    history: change.history,
    ...(change.page ? { page: change.page } : {}),
    sets,
    balanceDelta,
    lifetimeDelta,
    ledger,
    triggers,
    ...(tierChange ? { tierChange } : {}),
  };
}
