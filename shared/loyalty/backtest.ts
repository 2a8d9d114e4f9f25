import { emptyTotals, type Held, historyOrders, movesFirstOrLast, type OrderHistory } from '#shared/domain/history.ts';
import type { OrderSummary } from '#shared/domain/order.ts';
import { wallClockToUtc } from '#shared/domain/time-zone.ts';
import type { BonusOrder } from '#shared/loyalty/bonuses.ts';
import { expiryOutlook } from '#shared/loyalty/expiry.ts';
import {
  type LedgerEntryDraft,
  type LoyaltyState,
  multiplierOf,
  planOrderChange,
  summaryToPlan,
  type TriggerDraft,
} from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { pendingPoints, pointsReviewOf, RUN_HOUR, tierReviewOf } from '#shared/loyalty/review.ts';
import { type ClvFacts, clvFactsOf, NO_CLV, pointsFor, type TierOverride, tierIndex, windowStart } from '#shared/loyalty/rules.ts';

/**
 * The backtest: a shop's history replayed through a program into a shadow ledger and shadow tiers,
 * as of an instant. Pure — it reads compact columns handed to it and writes nothing anywhere.
 *
 * It calls the live path's own functions, so replaying the program in force lands where the live
 * records are: each change of an order's value goes through summaryToPlan and planOrderChange (the
 * processor's earn, clawback, bonus rules, first-order bonus, tier-up and milestones), and the
 * scheduled run's review (review.ts: warnings, one-down-with-grace downgrades, expiry reminders
 * and expiry) is applied at the run's daily instants. What the customer did with the points is
 * replayed as it happened: redemptions while the shadow balance affords them (the others counted
 * as blocked, with the later return of a blocked reward's code), staff adjustments, activities and
 * birthdays at the program's own points.
 *
 * What it reads of an order is its value over time (order.ts valueSteps: the states and refunds it
 * had, by event time) — one order change per step — and, when a bonus rule reads them, its lines.
 */

/** One order, as compact columns: its value over time and what the bonus rules read. */
export interface BacktestOrder {
  orderId: string;
  /** createdAt, epoch seconds. */
  c: number;
  total: number;
  /** [epoch s, value from then on], oldest first; empty when it never counted (order.ts valueSteps). */
  steps: Array<[number, number]>;
  /** Categories and products of the order's summary (kept as the live summary keeps them). */
  k?: Record<string, number>;
  p?: string[];
  /** The order's lines, when a bonus rule on products or categories needs them. */
  lines?: BonusOrder['lineItems'];
}

/** What a customer did with points (ledger kinds redeem, adjust, activity, return, referral; the birthday bonus). */
export interface BacktestMove {
  kind: 'redeem' | 'adjust' | 'activity' | 'return' | 'referral' | 'birthday';
  /** ISO instant. */
  at: string;
  /** As recorded (signed): a redemption's are negative. Activities and birthdays are re-priced by the program; referral rewards are kept as given. */
  points: number;
  entryId: string;
  /** The activity awarded (kind activity). */
  activity?: string;
  /** The reward code a redemption bought or a return gave back. */
  code?: string;
}

export interface BacktestCustomer {
  customerId: string;
  orders: BacktestOrder[];
  moves: BacktestMove[];
  tierOverride?: TierOverride;
  /**
   * The customer's CLV model output from the last run, for the projection and for tier rules that
   * read predictedValue12m and pAlive (the replay reads them as the live path does between runs).
   */
  clv?: { expectedPurchases12m: number; expectedValue12m: number; pAlive?: number | null };
}

export interface ReplayOptions {
  asOf: Date;
  /** The scheduled run's review instants (epoch ms, ascending): reviewInstants. */
  reviews: readonly number[];
  /** The shop's time zone (dates rules of bonuses). */
  timeZone: string;
  /** Instants (epoch ms, ascending) at which to read the balance: the liability over time. */
  marks?: readonly number[];
}

export interface PointsTotals {
  /** Every point given: earned on orders, first-order and birthday bonuses, activities, adjustments up, codes returned. */
  issued: number;
  earned: number;
  bonuses: number;
  activities: number;
  /** Referral rewards, as the shop gave them (friend and referrer). */
  referrals: number;
  adjusted: number;
  returned: number;
  /** Taken back by refunds and cancellations (what the balance held). */
  clawedBack: number;
  /** Clawbacks the balance could not cover (already spent). */
  writtenOff: number;
  redeemed: number;
  /** Actual redemptions (and adjustments down) the shadow balance could not afford. */
  blocked: { redemptions: number; points: number };
  expired: number;
  /** The balances at the instant. */
  outstanding: number;
}

export interface ReplayResult {
  tier: string;
  tierSince?: string;
  balance: number;
  lifetime: number;
  points: PointsTotals;
  /** Triggers that would have fired, per trigger (once per key, as the email stage sends them). */
  emails: Record<string, number>;
  /** The balance at each of `options.marks`. */
  balances: number[];
}

const DAY = 86_400_000;

const emptyPoints = (): PointsTotals => ({
  issued: 0,
  earned: 0,
  bonuses: 0,
  activities: 0,
  referrals: 0,
  adjusted: 0,
  returned: 0,
  clawedBack: 0,
  writtenOff: 0,
  redeemed: 0,
  blocked: { redemptions: 0, points: 0 },
  expired: 0,
  outstanding: 0,
});

const addMonths = (ms: number, months: number) => {
  const d = new Date(ms);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.getTime();
};

/**
 * The scheduled run's instants from `from` to `to` (epoch ms): daily at RUN_HOUR in the shop's time
 * zone, as the schedule sends them (infra: one schedule per shop, `cron(0 RUN_HOUR * * ? *)`).
 */
export function reviewInstants(from: number, to: number, timeZone: string, hour = RUN_HOUR): number[] {
  const instants: number[] = [];
  const start = new Date(from - 2 * DAY);
  for (let day = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()); day <= to + DAY; day += DAY) {
    const instant = wallClockToUtc(day + hour * 3_600_000, timeZone);
    if (instant >= from && instant <= to) instants.push(instant);
  }
  return instants;
}

/** The first index of `sorted` holding a value ≥ `at`. */
function firstAtOrAfter(sorted: readonly number[], at: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

type Step = { at: number; order: BacktestOrder; index: number } | { at: number; move: BacktestMove; afterReview?: boolean };

/** One customer's shadow: the live profile's loyalty and history, its ledger and the triggers fired. */
class Shadow {
  loyalty: LoyaltyState;
  history: OrderHistory = { open: {}, base: emptyTotals() };
  /** Summaries folded out of the history (the live history pages), for an order changing again. */
  readonly folded = new Map<string, OrderSummary>();
  readonly ledger: LedgerEntryDraft[] = [];
  readonly keys = new Set<string>();
  readonly emails: Record<string, number> = {};
  readonly points = emptyPoints();
  readonly blockedCodes = new Set<string>();
  /** The first review instants at which the tier step, or the points step, can do anything. */
  tierFrom = Number.POSITIVE_INFINITY;
  pointsFrom = Number.POSITIVE_INFINITY;

  constructor(
    readonly program: Program,
    readonly timeZone: string,
    override?: TierOverride,
    /** The predictions tier rules read (review.ts ReviewedCustomer). */
    readonly clv: ClvFacts = NO_CLV,
  ) {
    this.loyalty = { balance: 0, lifetime: 0, ...(override ? { tierOverride: override } : {}) };
  }

  fire(trigger: TriggerDraft) {
    if (this.keys.has(trigger.key)) return;
    this.keys.add(trigger.key);
    this.emails[trigger.trigger] = (this.emails[trigger.trigger] ?? 0) + 1;
  }

  book(entry: LedgerEntryDraft) {
    this.ledger.push(entry);
    const p = this.points;
    switch (entry.kind) {
      case 'earn':
        p.earned += entry.points;
        p.issued += entry.points;
        break;
      case 'clawback':
        p.clawedBack -= entry.points;
        p.writtenOff += entry.writtenOff ?? 0;
        break;
      case 'bonus':
        p.bonuses += entry.points;
        p.issued += entry.points;
        break;
      case 'activity':
        p.activities += entry.points;
        p.issued += entry.points;
        break;
      case 'referral':
        p.referrals += entry.points;
        p.issued += entry.points;
        break;
      case 'adjust':
        p.adjusted += entry.points;
        if (entry.points > 0) p.issued += entry.points;
        break;
      case 'return':
        p.returned += entry.points;
        p.issued += entry.points;
        break;
      case 'redeem':
        p.redeemed -= entry.points;
        break;
      case 'expire':
        p.expired -= entry.points;
        break;
    }
  }

  /** One change of an order's value, planned and applied as the processor plans and writes it. */
  orderStep(order: BacktestOrder, index: number) {
    const [at, value] = order.steps[index] as [number, number];
    const summary: OrderSummary = {
      q: index + 1,
      s: value > 0 ? 'paid' : 'cancelled',
      t: order.total,
      r: value > 0 ? order.total - value : 0,
      c: order.c,
      ...(order.k ? { k: order.k } : {}),
      ...(order.p ? { p: order.p } : {}),
    };
    const held = this.held(order.orderId);
    const next = summaryToPlan(held, summary, { states: [[at, value]], refunds: [] });
    if (!next) return;
    const iso = new Date(at * 1000).toISOString();
    const earn = { lineItems: order.lines ?? [], timeZone: this.timeZone };
    const plan = planOrderChange(this.loyalty, this.history, held, order.orderId, next, this.program, iso, earn, this.clv);
    if (held?.where === 'folded') this.folded.delete(order.orderId);
    for (const [orderId, folded] of Object.entries(plan.page ?? {})) this.folded.set(orderId, folded);
    this.history = plan.history;
    this.loyalty = {
      ...this.loyalty,
      ...plan.sets,
      balance: this.loyalty.balance + plan.balanceDelta,
      lifetime: this.loyalty.lifetime + plan.lifetimeDelta,
    };
    for (const entry of plan.ledger) this.book(entry);
    for (const trigger of plan.triggers) this.fire(trigger);
  }

  private held(orderId: string): Held | undefined {
    const open = this.history.open[orderId];
    if (open) return { where: 'open', summary: open };
    const folded = this.folded.get(orderId);
    if (!folded) return undefined;
    // The other folded summaries only when this one is the first or last order (as the processor reads them).
    const others = movesFirstOrLast(this.history, folded)
      ? [...this.folded.entries()].filter(([id]) => id !== orderId).map(([, s]) => s)
      : [];
    return { where: 'folded', summary: folded, others };
  }

  /** A redemption, an adjustment, an activity, a return or a birthday, at the program's points where it prices them. */
  move(move: BacktestMove) {
    const now = new Date(move.at);
    const take = (points: number, kind: 'redeem' | 'adjust') => {
      // Spendable as the live route judges it: the balance less what is still pending.
      const spendable = this.loyalty.balance - pendingPoints(this, this.program, now);
      if (spendable < points) {
        this.points.blocked.redemptions++;
        this.points.blocked.points += points;
        if (move.code) this.blockedCodes.add(move.code);
        return;
      }
      this.loyalty = { ...this.loyalty, balance: this.loyalty.balance - points };
      this.book({ entryId: move.entryId, kind, points: -points, at: move.at, source: {} });
      if (kind === 'redeem')
        this.fire({ key: move.entryId, trigger: move.code ? 'reward_issued' : 'redemption_receipt', at: move.at, data: {} });
    };
    const give = (points: number, kind: LedgerEntryDraft['kind'], lifetime: boolean) => {
      if (points <= 0) return;
      this.loyalty = {
        ...this.loyalty,
        balance: this.loyalty.balance + points,
        lifetime: this.loyalty.lifetime + (lifetime ? points : 0),
      };
      this.book({ entryId: move.entryId, kind, points, at: move.at, source: {} });
    };
    switch (move.kind) {
      case 'redeem':
        return take(-move.points, 'redeem');
      case 'adjust':
        return move.points < 0 ? take(-move.points, 'adjust') : give(move.points, 'adjust', false);
      case 'return':
        if (move.code && this.blockedCodes.has(move.code)) return;
        return give(move.points, 'return', false);
      case 'referral':
        return give(move.points, 'referral', true);
      case 'activity': {
        const rule = this.program.activities.find((activity) => activity.activity === move.activity);
        const tier = this.loyalty.tier ?? this.program.tiers.levels[0]?.id;
        const allowed = rule?.active && (!rule.tiers || (tier !== undefined && rule.tiers.includes(tier)));
        return give(allowed ? (rule?.points ?? 0) : 0, 'activity', true);
      }
      case 'birthday': {
        const bonus = this.program.points.birthdayBonus;
        give(bonus, 'bonus', true);
        if (bonus > 0 || this.program.offers.birthday)
          this.fire({ key: `birthday:${move.at.slice(0, 4)}`, trigger: 'birthday', at: move.at, data: {} });
        return;
      }
    }
  }

  /** The scheduled run's review at an instant: the tier step, then the points step (review-loyalty.ts). */
  review(at: number) {
    const now = new Date(at);
    if (at >= this.tierFrom) {
      const review = tierReviewOf(this, this.program, now);
      if (review.action === 'warn') this.fire(review.trigger);
      if (review.action === 'downgrade' || review.action === 'upgrade') {
        this.loyalty = { ...this.loyalty, ...review.sets };
        for (const trigger of review.outbox.triggers) this.fire(trigger);
      }
      this.tierFrom =
        review.action === 'keep' ? this.nextMetricFall(at) : review.action === 'warn' ? this.downgradeOn() : this.tierCheckFrom();
    }
    if (at >= this.pointsFrom) {
      const review = pointsReviewOf(this.ledger, this.loyalty.balance, this.program, now);
      if (review.reminder) this.fire(review.reminder);
      if (review.expire) {
        this.loyalty = { ...this.loyalty, balance: this.loyalty.balance + review.expire.points };
        this.book(review.expire);
      }
      this.pointsFrom = this.pointsCheckFrom(at + 1);
    }
  }

  /** When the tier step can first warn or lower the tier: `warningDays` before term end + grace. */
  tierCheckFrom(): number {
    const { tier, tierSince, tierOverride } = this.loyalty;
    if (tier === undefined || tierSince === undefined || tierOverride?.mode === 'pin') return Number.POSITIVE_INFINITY;
    const index = tierIndex(this.program, tier);
    if (index === 0 || (tierOverride && index <= tierIndex(this.program, tierOverride.tier))) return Number.POSITIVE_INFINITY;
    return this.downgradeOn() - this.program.tiers.downgrade.warningDays * DAY;
  }

  private downgradeOn(): number {
    const { termMonths, graceDays } = this.program.tiers.downgrade;
    return addMonths(Date.parse(this.loyalty.tierSince as string), termMonths) + graceDays * DAY;
  }

  /**
   * Between events the tier metric only falls, and only when an order leaves the window: the next
   * instant that can happen after `at` (a few days early: month arithmetic clamps at month ends).
   */
  private nextMetricFall(at: number): number {
    const window = this.program.tiers.window;
    if (window.kind === 'lifetime') return Number.POSITIVE_INFINITY;
    if (window.kind === 'calendarYear') return Date.UTC(new Date(at).getUTCFullYear() + 1, 0, 1);
    const from = windowStart(this.program, new Date(at)).getTime();
    let next = Number.POSITIVE_INFINITY;
    for (const order of historyOrders(this.history)) {
      const placed = order.placedAt.getTime();
      if (placed < from) continue;
      next = Math.min(next, Math.max(at + 1, addMonths(placed, window.months) - 4 * DAY));
    }
    return next;
  }

  /** When the points step can first remind or expire, judged at `at` (as pointsReviewOf judges it). */
  pointsCheckFrom(at: number): number {
    if (this.loyalty.balance <= 0 || this.program.points.expiry.kind === 'none') return Number.POSITIVE_INFINITY;
    const outlook = expiryOutlook(this.ledger, this.program, new Date(at));
    if (outlook.dueNow > 0 && !this.ledger.some((entry) => entry.entryId === `expire:${outlook.periodKey}`)) return at;
    if (!outlook.next) return Number.POSITIVE_INFINITY;
    const on = outlook.next.on.getTime();
    // Reminded of already (its key fired): nothing more until the points expire.
    if (this.keys.has(`points_expiring:${outlook.next.on.toISOString().slice(0, 10)}`)) return on;
    return Math.max(at, on - this.program.points.reminderDays * DAY);
  }
}

/** Replays one customer's history through `program` as of `options.asOf`. */
export function replayCustomer(customer: BacktestCustomer, program: Program, options: ReplayOptions): ReplayResult {
  const shadow = new Shadow(
    program,
    options.timeZone,
    customer.tierOverride,
    customer.clv ? clvFactsOf({ expectedValue12m: customer.clv.expectedValue12m, pAlive: customer.clv.pAlive ?? null }) : NO_CLV,
  );
  const asOf = options.asOf.getTime();
  const steps: Step[] = [];
  for (const order of customer.orders) {
    for (const [index, [at]] of order.steps.entries()) steps.push({ at: at * 1000, order, index });
  }
  for (const move of customer.moves) {
    // The run gives the birthday bonus in its review, after the tier and points steps (its entry is
    // dated by the day): replayed at that review, after them.
    const review = move.kind === 'birthday' ? options.reviews[firstAtOrAfter(options.reviews, Date.parse(move.at))] : undefined;
    steps.push(review === undefined ? { at: Date.parse(move.at), move } : { at: review, move, afterReview: true });
  }
  // Event-time order; an order's own steps keep theirs, and an order change comes before a move at the same instant.
  steps.sort((a, b) => a.at - b.at || ('order' in a ? 0 : 1) - ('order' in b ? 0 : 1));
  const reviews = options.reviews;
  const marks = options.marks ?? [];
  const balances: number[] = [];
  // The balance at a mark is the one everything before it left.
  const markUntil = (until: number) => {
    while (balances.length < marks.length && (marks[balances.length] as number) <= until) balances.push(shadow.loyalty.balance);
  };
  let next = 0;
  const reviewUntil = (until: number, inclusive: boolean) => {
    for (;;) {
      const due = Math.min(shadow.tierFrom, shadow.pointsFrom);
      // Not past the instants before `until`: a step may bring the next review forward again.
      const index = due === Number.POSITIVE_INFINITY ? reviews.length : Math.max(next, firstAtOrAfter(reviews, due));
      const at = reviews[index];
      if (at === undefined || at > until || (!inclusive && at === until)) return markUntil(inclusive ? until : until - 1);
      markUntil(at);
      shadow.review(at);
      next = index + 1;
    }
  };
  for (const step of steps) {
    if (step.at > asOf) break;
    const afterReview = 'move' in step && step.afterReview === true;
    reviewUntil(step.at, afterReview);
    // The clock moves on: no review before this step can happen after it.
    next = Math.max(next, firstAtOrAfter(reviews, afterReview ? step.at + 1 : step.at));
    if ('order' in step) shadow.orderStep(step.order, step.index);
    else shadow.move(step.move);
    shadow.tierFrom = shadow.tierCheckFrom();
    shadow.pointsFrom = shadow.pointsCheckFrom(step.at);
  }
  reviewUntil(asOf, true);
  shadow.points.outstanding = shadow.loyalty.balance;
  const tier = shadow.loyalty.tier ?? (program.tiers.levels[0]?.id as string);
  return {
    tier,
    ...(shadow.loyalty.tierSince ? { tierSince: shadow.loyalty.tierSince } : {}),
    balance: shadow.loyalty.balance,
    lifetime: shadow.loyalty.lifetime,
    points: shadow.points,
    emails: shadow.emails,
    balances,
  };
}

/* ---------------- the report ---------------- */

/** Move lists are capped: the report is stored on one item and shown on one page. */
export const MOVE_LIST_CAP = 100;

export interface TierMove {
  customerId: string;
  from: string;
  to: string;
}

export interface ProgramOutcome {
  tiers: Array<{ id: string; customers: number }>;
  points: PointsTotals;
  /** Outstanding points at the program's point value. */
  liability: { points: number; value: number };
  /** Expired over issued (0 when nothing was issued). */
  breakageRate: number;
  /** Redeemed points at the program's point value. */
  rewardsCost: number;
  emails: Record<string, number>;
  /** Outstanding points and their value at the start of each of the last LIABILITY_MONTHS months (UTC), oldest first. */
  liabilityByMonth: Array<{ month: string; points: number; value: number }>;
}

export interface Projection {
  customers: number;
  expectedPurchases: number;
  /** Expected spend, minor units. */
  expectedSpend: number;
  pointsIssued: number;
  pointsIssuedValue: number;
}

export interface BacktestReport {
  asOf: string;
  currency: string;
  customers: number;
  orders: number;
  current: ProgramOutcome;
  proposed: ProgramOutcome;
  moves: {
    up: { count: number; customers: TierMove[] };
    down: { count: number; customers: TierMove[] };
    unchanged: number;
    /** Each list holds at most this many customers (the lowest customer ids), the counts all of them. */
    listCap: number;
  };
  projection: {
    label: string;
    horizonMonths: 12;
    /** The CLV model's holdout check from the last run (null: no model yet). */
    holdout: { meanAbsoluteError: number; predictedPurchases: number; actualPurchases: number; relativeError: number | null } | null;
    current: Projection;
    proposed: Projection;
  };
  /** The current program's replay against the live records (profiles' tier and balance). */
  reconciliation: {
    customers: number;
    tierDiffers: number;
    balanceDiffers: number;
    examples: Array<{ customerId: string; tier: [string, string]; balance: [number, number] }>;
  };
}

/** The months of the liability over time, and their first instants (UTC) up to the instant. */
export const LIABILITY_MONTHS = 24;
function monthStarts(asOf: Date): number[] {
  const starts: number[] = [];
  for (let i = LIABILITY_MONTHS - 1; i >= 0; i--) starts.push(Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth() - i, 1));
  return starts;
}

class OutcomeSum {
  readonly tiers = new Map<string, number>();
  readonly balances: number[] = [];
  readonly points = emptyPoints();
  readonly emails: Record<string, number> = {};
  readonly projection: Projection = { customers: 0, expectedPurchases: 0, expectedSpend: 0, pointsIssued: 0, pointsIssuedValue: 0 };

  constructor(readonly program: Program) {
    for (const level of program.tiers.levels) this.tiers.set(level.id, 0);
  }

  add(result: ReplayResult, clv: BacktestCustomer['clv']) {
    this.tiers.set(result.tier, (this.tiers.get(result.tier) ?? 0) + 1);
    const p = this.points;
    for (const key of Object.keys(p) as Array<keyof PointsTotals>) {
      if (key === 'blocked') continue;
      p[key] += result.points[key];
    }
    p.blocked.redemptions += result.points.blocked.redemptions;
    p.blocked.points += result.points.blocked.points;
    for (const [trigger, count] of Object.entries(result.emails)) this.emails[trigger] = (this.emails[trigger] ?? 0) + count;
    result.balances.forEach((balance, i) => {
      this.balances[i] = (this.balances[i] ?? 0) + balance;
    });
    if (clv) {
      // Whole minor units and hundredths of purchases per customer: the sums are then the same in any order.
      const spend = Math.max(0, Math.round(clv.expectedValue12m));
      const points = pointsFor(spend, this.program, multiplierOf(this.program, result.tier) / 100);
      this.projection.customers++;
      this.projection.expectedPurchases += Math.round(clv.expectedPurchases12m * 100);
      this.projection.expectedSpend += spend;
      this.projection.pointsIssued += points;
      this.projection.pointsIssuedValue += points * this.program.points.pointValue;
    }
  }

  outcome(marks: readonly number[]): ProgramOutcome {
    const value = this.program.points.pointValue;
    return {
      tiers: [...this.tiers.entries()].map(([id, customers]) => ({ id, customers })),
      points: this.points,
      liability: { points: this.points.outstanding, value: this.points.outstanding * value },
      breakageRate: this.points.issued > 0 ? Math.round((this.points.expired / this.points.issued) * 10_000) / 10_000 : 0,
      rewardsCost: this.points.redeemed * value,
      emails: Object.fromEntries(Object.entries(this.emails).sort(([a], [b]) => a.localeCompare(b))),
      liabilityByMonth: marks.map((mark, i) => {
        const points = this.balances[i] ?? 0;
        return { month: new Date(mark).toISOString().slice(0, 7), points, value: points * value };
      }),
    };
  }

  projected(): Projection {
    return { ...this.projection, expectedPurchases: this.projection.expectedPurchases / 100 };
  }
}

/** The lowest `cap` customers by id, whatever order they came in (so every reader of the shop lists the same ones). */
class CappedList {
  items: TierMove[] = [];
  count = 0;
  constructor(readonly cap: number) {}
  add(move: TierMove) {
    this.count++;
    this.items.push(move);
    if (this.items.length > 2 * this.cap) this.trim();
  }
  trim() {
    this.items.sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
    this.items.length = Math.min(this.items.length, this.cap);
  }
  list() {
    this.trim();
    return { count: this.count, customers: this.items };
  }
}

/**
 * Both programs over a shop, one customer at a time (streamed: nothing per customer is kept but the
 * capped lists), then the side-by-side report. The same in any order of customers.
 */
export class Backtest {
  private readonly current: OutcomeSum;
  private readonly proposed: OutcomeSum;
  private readonly up = new CappedList(MOVE_LIST_CAP);
  private readonly down = new CappedList(MOVE_LIST_CAP);
  private unchanged = 0;
  private customers = 0;
  private orders = 0;
  private readonly reconciliation: BacktestReport['reconciliation'] = { customers: 0, tierDiffers: 0, balanceDiffers: 0, examples: [] };

  private readonly options: ReplayOptions & { currency: string; marks: number[] };

  constructor(
    readonly programs: { current: Program; proposed: Program },
    options: ReplayOptions & { currency: string },
  ) {
    this.options = { ...options, marks: monthStarts(options.asOf) };
    this.current = new OutcomeSum(programs.current);
    this.proposed = new OutcomeSum(programs.proposed);
  }

  /** One customer through both programs; `actual` (the live profile's tier and balance) to reconcile the current program's replay. */
  add(customer: BacktestCustomer, actual?: { tier: string; balance: number }) {
    const current = replayCustomer(customer, this.programs.current, this.options);
    const proposed = replayCustomer(customer, this.programs.proposed, this.options);
    this.customers++;
    this.orders += customer.orders.length;
    this.current.add(current, customer.clv);
    this.proposed.add(proposed, customer.clv);
    const from = tierIndex(this.programs.current, current.tier);
    const to = tierIndex(this.programs.proposed, proposed.tier);
    const move = { customerId: customer.customerId, from: current.tier, to: proposed.tier };
    if (to > from) this.up.add(move);
    else if (to < from) this.down.add(move);
    else this.unchanged++;
    if (actual) {
      const r = this.reconciliation;
      r.customers++;
      const tierDiffers = actual.tier !== current.tier;
      const balanceDiffers = actual.balance !== current.balance;
      if (tierDiffers) r.tierDiffers++;
      if (balanceDiffers) r.balanceDiffers++;
      if ((tierDiffers || balanceDiffers) && r.examples.length < 10)
        r.examples.push({ customerId: customer.customerId, tier: [actual.tier, current.tier], balance: [actual.balance, current.balance] });
    }
    return { current, proposed };
  }

  report(holdout: BacktestReport['projection']['holdout']): BacktestReport {
    this.reconciliation.examples.sort((a, b) => (a.customerId < b.customerId ? -1 : 1));
    return {
      asOf: this.options.asOf.toISOString(),
      currency: this.options.currency,
      customers: this.customers,
      orders: this.orders,
      current: this.current.outcome(this.options.marks),
      proposed: this.proposed.outcome(this.options.marks),
      moves: { up: this.up.list(), down: this.down.list(), unchanged: this.unchanged, listCap: MOVE_LIST_CAP },
      projection: {
        label:
          'Projection, not a replay: the next 12 months of each customer as their CLV model expects them (purchases and spend), earning at their tier under each program; the model holdout error is beside it.',
        horizonMonths: 12,
        holdout,
        current: this.current.projected(),
        proposed: this.proposed.projected(),
      },
      reconciliation: this.reconciliation,
    };
  }
}
