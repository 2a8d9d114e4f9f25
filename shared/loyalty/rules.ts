import type { Program, Tier } from '#shared/loyalty/program.ts';

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

/** The tier metric at `now`: spend (minor units), paid orders, or qualifying points in the window. */
export function qualifyingMetric(
  orders: QualifyingOrder[],
  bonusPoints: Array<{ points: number; at: Date }>,
  program: Program,
  now: Date,
): number {
  const from = windowStart(program, now).getTime();
  const inWindow = orders.filter((order) => order.placedAt.getTime() >= from && order.placedAt.getTime() <= now.getTime());
  switch (program.tiers.metric) {
    case 'spend':
      return inWindow.reduce((sum, order) => sum + order.net, 0);
    case 'orders':
      return inWindow.filter((order) => order.net > 0).reduce((sum, order) => sum + (order.count ?? 1), 0);
    case 'points': {
      const earned = inWindow.reduce((sum, order) => sum + order.points, 0);
      if (program.points.qualifying === 'orders') return earned;
      return (
        earned + bonusPoints.filter((b) => b.at.getTime() >= from && b.at.getTime() <= now.getTime()).reduce((s, b) => s + b.points, 0)
      );
    }
  }
}

/** The highest tier whose threshold the metric reaches. */
export function tierFor(metric: number, program: Program): Tier {
  const levels = program.tiers.levels;
  let reached = levels[0] as Tier;
  for (const level of levels) if (metric >= level.threshold) reached = level;
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
export function tierAfterEvent(current: string | undefined, metric: number, program: Program, override?: TierOverride): Tier {
  const earned = tierFor(metric, program);
  const held = program.tiers.levels[tierIndex(program, current)] as Tier;
  return withOverride(tierIndex(program, earned.id) >= tierIndex(program, held.id) ? earned : held, program, override);
}

export type DowngradeDecision =
  | { action: 'keep' }
  | { action: 'warn'; downgradeOn: Date; to: Tier; shortfall: number }
  | { action: 'downgrade'; downgradeOn: Date; to: Tier };

const DAY = 86_400_000;

/**
 * What the scheduled run does about a customer's tier at `now`. A tier holds for the term from
 * `tierSince`, then a grace period; if at term end + grace the metric no longer earns the tier, the
 * customer moves down ONE tier (and `tierSince` restarts, so a further step waits another term).
 * `warningDays` before that date the customer is warned, with the exact shortfall to keep the tier.
 */
export function downgradeDecision(
  current: string | undefined,
  tierSince: Date,
  metric: number,
  program: Program,
  now: Date,
  override?: TierOverride,
): DowngradeDecision {
  const index = tierIndex(program, current);
  const levels = program.tiers.levels;
  if (index === 0 || override?.mode === 'pin') return { action: 'keep' };
  const floor = override ? tierIndex(program, override.tier) : 0;
  if (index <= floor) return { action: 'keep' };
  const held = levels[index] as Tier;
  if (metric >= held.threshold) return { action: 'keep' };
  const { termMonths, graceDays, warningDays } = program.tiers.downgrade;
  const termEnd = new Date(tierSince);
  termEnd.setUTCMonth(termEnd.getUTCMonth() + termMonths);
  const downgradeOn = new Date(termEnd.getTime() + graceDays * DAY);
  const to = levels[index - 1] as Tier;
  if (now.getTime() >= downgradeOn.getTime()) return { action: 'downgrade', downgradeOn, to };
  if (now.getTime() >= downgradeOn.getTime() - warningDays * DAY)
    return { action: 'warn', downgradeOn, to, shortfall: held.threshold - metric };
  return { action: 'keep' };
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
