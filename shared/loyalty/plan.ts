import { type Held, historyOrders, type OrderHistory, withOrder } from '#shared/domain/history.ts';
import { counts, netOf, type OrderSummary } from '#shared/domain/order.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { pointsFor, type QualifyingOrder, qualifyingMetric, type TierOverride, tierAfterEvent, tierIndex } from '#shared/loyalty/rules.ts';

/**
 * What a change to one order means for the loyalty program, planned from the profile as read: the
 * points the order earns now, the ledger entries that move the balance there, a first-order bonus,
 * a tier change, milestone triggers. Pure: the processor writes the plan in one conditional profile
 * update (conditional on the profile version it read), then the ledger and trigger items.
 */

/** An order summary with its loyalty fields (`e` points earned, `m` multiplier). */
export type LoyaltySummary = OrderSummary;

export type LedgerKind = 'earn' | 'bonus' | 'clawback' | 'redeem' | 'expire' | 'adjust' | 'return';

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
    | 'feedback_request';
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
  sets: Pick<LoyaltyState, 'tier' | 'tierSince' | 'firstOrderBonus' | 'welcomedAt'>;
  balanceDelta: number;
  lifetimeDelta: number;
  ledger: LedgerEntryDraft[];
  triggers: TriggerDraft[];
  tierChange?: { from: string | undefined; to: string; metric: number; threshold: number };
}

export const qualifyingOrders = (history: OrderHistory): QualifyingOrder[] => historyOrders(history);

/** The customer's tier metric now, from the order history the profile holds. */
export const tierMetricOf = (history: OrderHistory, program: Program, now: Date) =>
  qualifyingMetric(qualifyingOrders(history), [], program, now);

export const multiplierOf = (program: Program, tierId: string | undefined) =>
  Math.round((program.tiers.levels[tierIndex(program, tierId)]?.earnMultiplier ?? 1) * 100);

export function planOrderChange(
  loyalty: LoyaltyState | undefined,
  history: OrderHistory,
  heldNow: Held | undefined,
  orderId: string,
  next: OrderSummary,
  program: Program,
  at: string,
): LoyaltyPlan {
  const held = heldNow?.summary;
  const currentTier = loyalty?.tier;
  const balance = loyalty?.balance ?? 0;
  const lifetime = loyalty?.lifetime ?? 0;

  // The multiplier is the customer's tier when the order first earned; later tiers do not re-price it.
  const m = held?.m ?? multiplierOf(program, currentTier);
  const e = counts(next) ? pointsFor(netOf(next), program, m / 100) : 0;
  const delta = e - (held?.e ?? 0);
  // Policy: the balance never goes below zero. A clawback takes what is there; the rest, already
  // spent, is written off and recorded on the entry.
  const applied = delta >= 0 ? delta : -Math.min(balance, -delta);
  const writtenOff = applied - delta;
  // Only what later plans need stays on the profile (every byte of it is paid on each write): an
  // order that earns nothing carries no points fields; applied and written-off amounts live in the
  // ledger entry.
  const summary: LoyaltySummary = { ...next, ...(e > 0 ? { e, m } : {}) };
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

  const bonus = program.points.firstOrderBonus;
  if (!loyalty?.firstOrderBonus && counts(next) && bonus > 0) {
    sets.firstOrderBonus = { orderId, points: bonus, at };
    ledger.push({ entryId: 'bonus:first-order', kind: 'bonus', points: bonus, at, source: { orderId, reason: 'first order' } });
    balanceDelta += bonus;
    lifetimeDelta += bonus;
  }

  const change = withOrder(history, orderId, summary, heldNow, new Date(at));
  const bonusMarker = sets.firstOrderBonus ?? loyalty?.firstOrderBonus;
  const bonuses = bonusMarker ? [{ points: bonusMarker.points, at: new Date(at) }] : [];
  const metric = qualifyingMetric(qualifyingOrders(change.history), bonuses, program, new Date(at));
  const tier = tierAfterEvent(currentTier, metric, program, loyalty?.tierOverride);
  const triggers: TriggerDraft[] = [];
  let tierChange: LoyaltyPlan['tierChange'];
  if (tier.id !== currentTier) {
    sets.tier = tier.id;
    sets.tierSince = at;
    tierChange = { from: currentTier, to: tier.id, metric, threshold: tier.threshold };
    // Starting in the base tier is no news; climbing is.
    if (tierIndex(program, tier.id) > tierIndex(program, currentTier)) {
      triggers.push({
        key: `tier_up:${tier.id}:${at.slice(0, 10)}`,
        trigger: 'tier_up',
        at,
        data: { from: currentTier ?? null, to: tier.id, metric },
      });
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
