import type { Program, Tier } from '#shared/loyalty/program.ts';
import {
  compiledTierExpression,
  evaluateTierExpression,
  shortfallOf,
  type TierExpression,
  type TierFacts,
} from '#shared/loyalty/tier-expression.ts';

export type { TierFacts } from '#shared/loyalty/tier-expression.ts';

/**
 * The loyalty rules as pure functions of the program and the facts: no I/O, no clock but the one
 * passed in, so the processor, the scheduled run, the preview API and the tests all compute the same
 * answer. Integer arithmetic throughout (BigInt where a product can pass 2^53).
 */

/** A paid order's part in the rules: its net value and when it was placed. */
export interface QualifyingOrder {
  net: number;
  placedAt: Date;
  /** Points this order has earned (after clawbacks), for a `points` tier metric. */
  points: number;
  /** Orders this entry stands for (folded orders come as one entry per month); 1 when absent. */
  count?: number;
}

/**
 * Points an order earns: `earn.points` per `earn.per` minor units of net paid spend, times the
 * tier multiplier, times the order's bonus rate, rounded down once. The bonus rate is the weighted
 * mean of the multipliers of its parts (`bonus`, [hundredths, amount] pairs: bonuses.ts bonusParts;
 * absent: 1). Because it is a function of the net, a refund of a share of the order claws back
 * exactly that share of what it earned, bonus included, and a cancellation all of it.
 */
export function pointsFor(net: number, program: Program, earnMultiplier: number, bonus?: ReadonlyArray<readonly [number, number]>): number {
  if (net <= 0) return 0;
  const hundredths = BigInt(Math.round(earnMultiplier * 100));
  const { points, per } = program.points.earn;
  let weighted = 100n;
  let weights = 1n;
  if (bonus && bonus.length > 0) {
    weighted = bonus.reduce((sum, [multiplier, amount]) => sum + BigInt(multiplier) * BigInt(amount), 0n);
    weights = bonus.reduce((sum, [, amount]) => sum + BigInt(amount), 0n);
    if (weights === 0n) [weighted, weights] = [100n, 1n];
  }
  return Number((BigInt(net) * BigInt(points) * hundredths * weighted) / (BigInt(per) * 10_000n * weights));
}

/** The start of the tier metric's window at `now`: rolling months, the calendar year (UTC), or ever. */
export function windowStart(program: Program, now: Date): Date {
  const window = program.tiers.window;
  switch (window.kind) {
    case 'lifetime':
      return new Date(0);
    case 'calendarYear':
      return new Date(Date.UTC(now.getUTCFullYear(), 0, 1));
    case 'rollingMonths': {
      const start = new Date(now);
      start.setUTCMonth(start.getUTCMonth() - window.months);
      return start;
    }
  }
}

/**
 * What the scheduled run last predicted of a customer (the profile's clv), as a tier rule reads it.
 * Known only from the last run: an event between two runs is judged on the figures the last run
 * left, at every instant it reads; a customer no run has scored yet reads 0 for both.
 */
export interface ClvFacts {
  predictedValue12m: number;
  pAlive: number;
}

export const NO_CLV: ClvFacts = { predictedValue12m: 0, pAlive: 0 };

/** The profile's clv (Derived['clv']) as a tier rule reads it; P(alive) the model could not give reads 0. */
export const clvFactsOf = (clv: { expectedValue12m: number; pAlive: number | null } | null | undefined): ClvFacts =>
  clv ? { predictedValue12m: clv.expectedValue12m, pAlive: clv.pAlive ?? 0 } : NO_CLV;

/**
 * The figures a tier rule reads at `now`: spend (minor units), paid orders and qualifying points in
 * the window, and the last run's predictions (`clv`).
 */
export function windowFacts(
  orders: QualifyingOrder[],
  bonusPoints: Array<{ points: number; at: Date }>,
  program: Program,
  now: Date,
  clv: ClvFacts = NO_CLV,
): TierFacts {
  const from = windowStart(program, now).getTime();
  const to = now.getTime();
  let spend = 0;
  let count = 0;
  let earned = 0;
  for (const order of orders) {
    const placed = order.placedAt.getTime();
    if (placed < from || placed > to) continue;
    spend += order.net;
    if (order.net > 0) count += order.count ?? 1;
    earned += order.points;
  }
  if (program.points.qualifying === 'all') {
    for (const bonus of bonusPoints) if (bonus.at.getTime() >= from && bonus.at.getTime() <= to) earned += bonus.points;
  }
  return { spend, orders: count, points: earned, ...clv };
}

/** The tier metric at `now`: spend (minor units), paid orders, or qualifying points in the window. */
export function qualifyingMetric(
  orders: QualifyingOrder[],
  bonusPoints: Array<{ points: number; at: Date }>,
  program: Program,
  now: Date,
): number {
  return windowFacts(orders, bonusPoints, program, now)[program.tiers.metric];
}

/**
 * A level's rule: its own expression (`qualifies`), else the program's metric at least its
 * threshold — the same rule written the other way, so both kinds are judged, and their shortfalls
 * measured, by one evaluator.
 */
export function levelRule(level: Tier, program: Program): TierExpression {
  if (level.qualifies !== undefined) return compiledTierExpression(level.qualifies);
  return {
    kind: 'compare',
    op: '>=',
    left: { kind: 'fact', name: program.tiers.metric },
    right: { kind: 'number', value: level.threshold ?? 0 },
  };
}

export const qualifiesFor = (level: Tier, facts: TierFacts, program: Program) =>
  // A threshold is read directly: this runs at every instant of every order's history.
  level.qualifies === undefined
    ? facts[program.tiers.metric] >= (level.threshold ?? 0)
    : evaluateTierExpression(compiledTierExpression(level.qualifies), facts);

/**
 * How much more of the program's metric would reach a level, the other facts as they are (0: it is
 * reached; undefined: the metric alone cannot, e.g. a rule that needs predictedValue12m).
 */
export const shortfallTo = (level: Tier, facts: TierFacts, program: Program) =>
  shortfallOf(levelRule(level, program), facts, program.tiers.metric);

/**
 * The facts a reading of the program's metric alone stands for (the other figures 0): how callers
 * that know only the metric — threshold programs, the tests written for them — ask the same rules.
 */
export const factsOf = (reading: number | TierFacts, program: Program): TierFacts =>
  typeof reading === 'number' ? { spend: 0, orders: 0, points: 0, ...NO_CLV, [program.tiers.metric]: reading } : reading;

/**
 * The highest tier whose rule the facts meet (the first always: it is where everyone starts). With
 * thresholds alone this is the highest threshold the metric reaches; a rule may hold for a level
 * whose neighbour below does not, and the highest still wins.
 */
export function tierFor(reading: number | TierFacts, program: Program): Tier {
  const facts = factsOf(reading, program);
  const levels = program.tiers.levels;
  let reached = levels[0] as Tier;
  for (const level of levels.slice(1)) if (qualifiesFor(level, facts, program)) reached = level;
  return reached;
}

export const tierIndex = (program: Program, tierId: string | undefined) => {
  const index = program.tiers.levels.findIndex((level) => level.id === tierId);
  return Math.max(index, 0);
};

/** A manual override: `floor` keeps the customer at or above a tier; `pin` holds exactly that tier. */
export interface TierOverride {
  tier: string;
  mode: 'floor' | 'pin';
}

/** A tier within the override: `pin` gives exactly the pinned tier, `floor` at least the floor's. */
export function withOverride(tier: Tier, program: Program, override?: TierOverride): Tier {
  const levels = program.tiers.levels;
  if (override?.mode === 'pin') return levels[tierIndex(program, override.tier)] as Tier;
  const floor = override ? tierIndex(program, override.tier) : 0;
  return levels[Math.max(tierIndex(program, tier.id), floor)] as Tier;
}

/**
 * One metric reading's tier: the higher of the current tier and the earned one, within the override.
 * The event path takes the highest over every instant instead (plan.ts tierFromEvents).
 */
export function tierAfterEvent(current: string | undefined, reading: number | TierFacts, program: Program, override?: TierOverride): Tier {
  const earned = tierFor(reading, program);
  const held = program.tiers.levels[tierIndex(program, current)] as Tier;
  return withOverride(tierIndex(program, earned.id) >= tierIndex(program, held.id) ? earned : held, program, override);
}

export type DowngradeDecision =
  | { action: 'keep' }
  /** `shortfall`: how much more of the program's metric keeps the tier; absent when the metric alone cannot (a rule that needs a prediction). */
  | { action: 'warn'; downgradeOn: Date; to: Tier; shortfall?: number }
  | { action: 'downgrade'; downgradeOn: Date; to: Tier };

const DAY = 86_400_000;

/**
 * What the scheduled run does about a customer's tier at `now`. A tier holds for the term from
 * `tierSince`, then a grace period; if at term end + grace the metric no longer earns the tier, the
 * customer moves down ONE tier (and `tierSince` restarts, so a further step waits another term).
 * `warningDays` before that date the customer is warned, with the exact shortfall to keep the tier.
 * The tier is kept while the facts meet its rule or a higher tier's (rules need not nest).
 */
export function downgradeDecision(
  current: string | undefined,
  tierSince: Date,
  reading: number | TierFacts,
  program: Program,
  now: Date,
  override?: TierOverride,
): DowngradeDecision {
  const facts = factsOf(reading, program);
  const index = tierIndex(program, current);
  const levels = program.tiers.levels;
  if (index === 0 || override?.mode === 'pin') return { action: 'keep' };
  const floor = override ? tierIndex(program, override.tier) : 0;
  if (index <= floor) return { action: 'keep' };
  const held = levels[index] as Tier;
  if (tierIndex(program, tierFor(facts, program).id) >= index) return { action: 'keep' };
  const { termMonths, graceDays, warningDays } = program.tiers.downgrade;
  const termEnd = new Date(tierSince);
  termEnd.setUTCMonth(termEnd.getUTCMonth() + termMonths);
  const downgradeOn = new Date(termEnd.getTime() + graceDays * DAY);
  const to = levels[index - 1] as Tier;
  if (now.getTime() >= downgradeOn.getTime()) return { action: 'downgrade', downgradeOn, to };
  if (now.getTime() >= downgradeOn.getTime() - warningDays * DAY) {
    const shortfall = shortfallTo(held, facts, program);
    return { action: 'warn', downgradeOn, to, ...(shortfall ? { shortfall } : {}) };
  }
  return { action: 'keep' };
}

export type TierDecision = DowngradeDecision | { action: 'upgrade'; to: Tier };

/**
 * The scheduled run's decision on a tier: up at once when the facts now meet a higher tier's rule
 * than the one held (a prediction of the run's own, or a program whose rules were lowered, lifts
 * without waiting for an order), else the downgrade rule (one step down, after term and grace).
 */
export function tierDecision(
  current: string | undefined,
  tierSince: Date,
  facts: TierFacts,
  program: Program,
  now: Date,
  override?: TierOverride,
): TierDecision {
  const reached = tierAfterEvent(current, facts, program, override);
  if (override?.mode !== 'pin' && tierIndex(program, reached.id) > tierIndex(program, current)) return { action: 'upgrade', to: reached };
  return downgradeDecision(current, tierSince, facts, program, now, override);
}

/** Today's date (YYYY-MM-DD) in a time zone. */
export function localDate(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** Whether a birthday (YYYY-MM-DD) falls on `today`; 29 February is celebrated on the 28th in other years. */
export function isBirthday(birthday: string, today: string): boolean {
  const monthDay = birthday.slice(5);
  const year = Number(today.slice(0, 4));
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return monthDay === today.slice(5) || (monthDay === '02-29' && !leap && today.slice(5) === '02-28');
}
