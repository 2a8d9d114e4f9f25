import { describe, expect, it } from 'vitest';
import { emptyTotals } from '#shared/domain/history.ts';
import { type OrderState, summarize, valueFactsOf } from '#shared/domain/order.ts';
import { type Bonus, BonusSchema, bonusParts } from '#shared/loyalty/bonuses.ts';
import { planOrderChange, summaryToPlan } from '#shared/loyalty/plan.ts';
import { defaultProgram, type Program, ProgramSchema } from '#shared/loyalty/program.ts';
import { pointsFor } from '#shared/loyalty/rules.ts';

/**
 * Bonus rules in the earn computation (shared/loyalty/bonuses.ts, rules.ts pointsFor, plan.ts): which
 * multiplier each line gets, how they combine with the tier's, which date a dates rule reads, and
 * that a refund takes back exactly what the bonus gave.
 */

const ZONE = 'Asia/Ho_Chi_Minh';
const base = defaultProgram({ currency: 'VND', name: 'x' });
const bonus = (over: Partial<Bonus> & Pick<Bonus, 'on'>): Bonus => ({ id: 'b', multiplier: 2, active: true, ...over });
const withBonuses = (bonuses: Bonus[], firstOrderBonus = 0): Program => ({
  ...base,
  points: { ...base.points, firstOrderBonus },
  bonuses,
});

const tea = { title: 'Oolong', productId: 'p-oolong', sku: 'TEA-1', category: 'Tea', price: 300_000, quantity: 2 };
const cup = { title: 'Cup', productId: 'p-cup', sku: 'CUP-1', category: 'Cups', price: 200_000, quantity: 1 };
// 600,000 ₫ of tea, 200,000 ₫ of cups, 50,000 ₫ shipping.
const order = { total: 850_000, lineItems: [tea, cup], createdAt: '2026-03-09T18:30:00Z' };

describe('bonusParts', () => {
  it('gives each line the largest multiplier of the rules that name it, by product id, SKU or category (any case)', () => {
    const rules = [
      bonus({ id: 'tea', multiplier: 1.5, on: { kind: 'categories', names: ['tea'] } }),
      bonus({ id: 'oolong', multiplier: 3, on: { kind: 'products', ids: ['TEA-1'] } }),
      bonus({ id: 'cups', multiplier: 2, on: { kind: 'products', ids: ['p-cup'] } }),
    ];
    expect(bonusParts(order, rules, 'member', ZONE)).toEqual([
      [100, 50_000],
      [200, 200_000],
      [300, 600_000],
    ]);
  });

  it('reads a dates rule on the order’s own date in the shop’s time zone; it covers shipping, lines take the larger', () => {
    // 18:30 UTC on 9 March is 01:30 on 10 March in Hồ Chí Minh City.
    const week = bonus({ id: 'week', multiplier: 2, on: { kind: 'dates', from: '2026-03-10', to: '2026-03-16' } });
    const cups = bonus({ id: 'cups', multiplier: 3, on: { kind: 'categories', names: ['Cups'] } });
    expect(bonusParts(order, [week, cups], 'member', ZONE)).toEqual([
      [200, 650_000],
      [300, 200_000],
    ]);
    expect(bonusParts(order, [week], 'member', 'UTC')).toBeUndefined();
    expect(bonusParts({ ...order, createdAt: '2026-03-16T16:59:59Z' }, [week], 'member', ZONE)).toEqual([[200, 850_000]]);
    expect(bonusParts({ ...order, createdAt: '2026-03-16T17:00:00Z' }, [week], 'member', ZONE)).toBeUndefined();
  });

  it('leaves out inactive rules and rules for other tiers; none applying is no bonus', () => {
    const gold = bonus({ id: 'gold-tea', on: { kind: 'categories', names: ['Tea'] }, tiers: ['gold'] });
    const off = bonus({ id: 'off', on: { kind: 'categories', names: ['Tea'] }, active: false });
    expect(bonusParts(order, [gold, off], 'member', ZONE)).toBeUndefined();
    expect(bonusParts(order, [gold, off], 'gold', ZONE)).toEqual([
      [100, 250_000],
      [200, 600_000],
    ]);
    expect(bonusParts(order, [bonus({ on: { kind: 'products', ids: ['nothing'] } })], 'member', ZONE)).toBeUndefined();
  });

  it('weighs lines by their own ratio when they are worth more than the order (a discount)', () => {
    const discounted = { ...order, total: 700_000 };
    expect(bonusParts(discounted, [bonus({ on: { kind: 'categories', names: ['Tea'] } })], 'member', ZONE)).toEqual([
      [100, 200_000],
      [200, 600_000],
    ]);
  });
});

describe('pointsFor with bonus parts', () => {
  it('multiplies the tier’s multiplier by the weighted bonus rate, rounding down once', () => {
    const program = withBonuses([]);
    // 850,000 ₫ at 1 point per 10,000 ₫ is 85 points; the tea (600,000 of 850,000) at ×2.
    const parts: Array<[number, number]> = [
      [100, 250_000],
      [200, 600_000],
    ];
    expect(pointsFor(850_000, program, 1)).toBe(85);
    expect(pointsFor(850_000, program, 1, parts)).toBe(145);
    // Gold's 1.5 times the bonus rate: (25 + 120) × 1.5, rounded down.
    expect(pointsFor(850_000, program, 1.5, parts)).toBe(217);
    expect(pointsFor(0, program, 1.5, parts)).toBe(0);
    expect(pointsFor(850_000, program, 1, [])).toBe(85);
  });
});

describe('the earn computation with bonuses (plan.ts)', () => {
  const state = (over: Partial<OrderState> = {}): OrderState => ({
    orderId: 'o1',
    status: 'paid',
    total: 800_000,
    reportedRefunded: 0,
    createdAt: '2026-03-10T03:00:00Z',
    lineItems: [tea, cup],
    refunds: [],
    seq: 1,
    ...over,
  });
  const teaDouble = bonus({ id: 'tea', on: { kind: 'categories', names: ['Tea'] } });
  const earn = { lineItems: [tea, cup], timeZone: ZONE };

  it('earns the bonus with the order, claws back a refund’s share of it exactly, all of it on a full refund', () => {
    const program = withBonuses([teaDouble]);
    const paid = state();
    const first = planOrderChange(
      undefined,
      { open: {}, base: emptyTotals() },
      undefined,
      'o1',
      summaryToPlan(undefined, summarize(paid), valueFactsOf(paid, paid.createdAt))!,
      program,
      paid.createdAt,
      earn,
    );
    // 200,000 of cups at ×1 and 600,000 of tea at ×2: 20 + 120 points.
    expect(first.summary).toMatchObject({
      e: 140,
      m: 100,
      b: [
        [100, 200_000],
        [200, 600_000],
      ],
    });
    expect(first.ledger).toEqual([expect.objectContaining({ kind: 'earn', points: 140 })]);

    // A refund of 400,000 ₫ (half the order's money) takes back half of what it earned: 70 points.
    const refunded = state({ status: 'partially_refunded', refunds: [{ amount: 400_000, createdAt: '2026-03-12T00:00:00Z' }], seq: 2 });
    const held = { where: 'open' as const, summary: first.summary };
    // Meanwhile the rule was switched off: the order keeps the rates it earned at.
    const later = withBonuses([{ ...teaDouble, active: false }]);
    const second = planOrderChange(
      { balance: 140, lifetime: 140 },
      first.history,
      held,
      'o1',
      summaryToPlan(held, summarize(refunded), valueFactsOf(refunded, '2026-03-12T00:00:00Z'))!,
      later,
      '2026-03-12T00:00:00Z',
      earn,
    );
    expect(second.summary).toMatchObject({
      e: 70,
      b: [
        [100, 200_000],
        [200, 600_000],
      ],
    });
    expect(second.ledger).toEqual([expect.objectContaining({ kind: 'clawback', points: -70 })]);

    const all = state({ status: 'refunded', seq: 3 });
    const held2 = { where: 'open' as const, summary: second.summary };
    const third = planOrderChange(
      { balance: 70, lifetime: 70 },
      second.history,
      held2,
      'o1',
      summaryToPlan(held2, summarize(all), valueFactsOf(all, '2026-03-13T00:00:00Z'))!,
      later,
      '2026-03-13T00:00:00Z',
      earn,
    );
    expect(third.ledger).toEqual([expect.objectContaining({ kind: 'clawback', points: -70 })]);
    expect(third.summary.e).toBeUndefined();
  });
});

describe('the program document', () => {
  const parse = (bonuses: unknown[]) => ProgramSchema.safeParse({ ...base, bonuses });
  const field = (bonuses: unknown[]) => {
    const result = parse(bonuses);
    expect(result.success).toBe(false);
    return result.error?.issues[0]?.path.join('.');
  };

  it('takes the three kinds of rule, and names the field of a bad one', () => {
    const good = [
      { id: 'tea', multiplier: 2, on: { kind: 'categories', names: ['Tea'] } },
      { id: 'oolong', multiplier: 1.25, on: { kind: 'products', ids: ['p-oolong'] }, tiers: ['gold'], active: false },
      { id: 'tet', multiplier: 3, on: { kind: 'dates', from: '2027-02-01', to: '2027-02-07' }, name: { en: 'Tết week', vi: 'Tuần Tết' } },
    ];
    expect(parse(good).success).toBe(true);
    expect(BonusSchema.parse(good[0]).active).toBe(true);
    expect(field([{ ...good[0], multiplier: 1 }])).toBe('bonuses.0.multiplier');
    expect(field([{ ...good[0], multiplier: 2.555 }])).toBe('bonuses.0.multiplier');
    expect(field([{ ...good[2], on: { kind: 'dates', from: '2027-02-07', to: '2027-02-01' } }])).toBe('bonuses.0.on.to');
    expect(field([{ ...good[0], on: { kind: 'categories', names: [] } }])).toBe('bonuses.0.on.names');
    expect(field([{ ...good[0], on: { kind: 'brands', names: ['x'] } }])).toBe('bonuses.0.on.kind');
    expect(field([good[0], good[0]])).toBe('bonuses.1.id');
    expect(field([{ ...good[1], tiers: ['platinum'] }])).toBe('bonuses.0.tiers.0');
  });

  it('reads a program saved before bonuses existed as having none', () => {
    const { bonuses: _none, ...older } = base;
    expect(ProgramSchema.parse(older).bonuses).toEqual([]);
  });
});
