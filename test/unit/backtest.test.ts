import { describe, expect, it } from 'vitest';
import { Backtest, type BacktestCustomer, replayCustomer, reviewInstants } from '#shared/loyalty/backtest.ts';
import { defaultProgram, type Program } from '#shared/loyalty/program.ts';

/** Spend tiers over a lifetime window, 1 point per 100 minor units, every multiplier 1: easy to work out by hand. */
function program(changes: { gold?: number; earn?: { points: number; per: number } } = {}): Program {
  const base = defaultProgram({ currency: 'USD', name: 'Test' });
  return {
    ...base,
    tiers: {
      ...base.tiers,
      metric: 'spend',
      window: { kind: 'lifetime' },
      levels: [
        { id: 'member', name: { en: 'Member' }, threshold: 0, earnMultiplier: 1 },
        { id: 'silver', name: { en: 'Silver' }, threshold: 10_000, earnMultiplier: 1 },
        { id: 'gold', name: { en: 'Gold' }, threshold: changes.gold ?? 30_000, earnMultiplier: 1 },
      ],
    },
    points: {
      ...base.points,
      earn: changes.earn ?? { points: 1, per: 100 },
      firstOrderBonus: 0,
      expiry: { kind: 'none' },
      milestones: [],
    },
    rewards: [],
    offers: {},
  };
}

const s = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const paid = (orderId: string, iso: string, total: number, ...later: Array<[string, number]>) => ({
  orderId,
  c: s(iso),
  total,
  steps: [[s(iso), total], ...later.map(([at, value]) => [s(at), value])] as Array<[number, number]>,
});

/** A, C and E reach Gold at 30,000 and not at 50,000; B is Gold either way, D Silver either way. */
const shop: BacktestCustomer[] = [
  { customerId: 'c_a', orders: [paid('a1', '2026-01-05T10:00:00Z', 40_050)], moves: [] },
  { customerId: 'c_b', orders: [paid('b1', '2026-01-06T10:00:00Z', 60_000)], moves: [] },
  {
    customerId: 'c_c',
    orders: [paid('c1', '2026-01-07T10:00:00Z', 20_000), paid('c2', '2026-02-07T10:00:00Z', 15_075)],
    moves: [],
  },
  {
    customerId: 'c_d',
    orders: [paid('d1', '2026-01-08T10:00:00Z', 20_000)],
    moves: [{ kind: 'redeem', at: '2026-03-01T10:00:00Z', points: -150, entryId: 'redeem:d' }],
  },
  // Paid 45,000, then 10,000 refunded: 35,000 net.
  { customerId: 'c_e', orders: [paid('e1', '2026-01-09T10:00:00Z', 45_000, ['2026-02-01T10:00:00Z', 35_000])], moves: [] },
];

const asOf = new Date('2026-06-01T00:00:00Z');
const options = {
  asOf,
  reviews: reviewInstants(Date.parse('2026-01-01T00:00:00Z'), asOf.getTime(), 'UTC'),
  timeZone: 'UTC',
  currency: 'USD',
};

function run(current: Program, proposed: Program) {
  const backtest = new Backtest({ current, proposed }, options);
  for (const customer of shop) backtest.add(customer);
  return backtest.report(null);
}

describe('backtest', () => {
  it('raising the Gold threshold reports exactly the customers who would fall', () => {
    const report = run(program(), program({ gold: 50_000 }));
    expect(report.moves.down).toEqual({
      count: 3,
      customers: [
        { customerId: 'c_a', from: 'gold', to: 'silver' },
        { customerId: 'c_c', from: 'gold', to: 'silver' },
        { customerId: 'c_e', from: 'gold', to: 'silver' },
      ],
    });
    expect(report.moves.up.count).toBe(0);
    expect(report.moves.unchanged).toBe(2);
    expect(report.current.tiers).toEqual([
      { id: 'member', customers: 0 },
      { id: 'silver', customers: 1 },
      { id: 'gold', customers: 4 },
    ]);
    expect(report.proposed.tiers).toEqual([
      { id: 'member', customers: 0 },
      { id: 'silver', customers: 4 },
      { id: 'gold', customers: 1 },
    ]);
  });

  it('an earn-rate change reports the exact change in points issued', () => {
    const report = run(program(), program({ earn: { points: 3, per: 200 } }));
    // Worked by hand, rounding down per order: 1 per 100 → 400 + 600 + 200 + 150 + 200 + 450;
    // 3 per 200 → 600 (40,050 × 3 / 200 = 600.75) + 900 + 300 + 226 (15,075 → 226.125) + 300 + 675.
    expect(report.current.points.issued).toBe(2000);
    expect(report.proposed.points.issued).toBe(3001);
    expect(report.proposed.points.issued - report.current.points.issued).toBe(1001);
    // E's refund of 10,000 takes back its share: 100 points, then 150.
    expect(report.current.points.clawedBack).toBe(100);
    expect(report.proposed.points.clawedBack).toBe(150);
    // D's 150-point redemption is affordable under both.
    expect(report.current.points.redeemed).toBe(150);
    expect(report.current.points.outstanding).toBe(2000 - 100 - 150);
    expect(report.proposed.points.outstanding).toBe(3001 - 150 - 150);
    // The liability over time: 24 month starts up to the instant; on 1 February the five first orders
    // had earned (400 + 600 + 200 + 200 + 450), nothing taken back or spent yet; on 1 June, all of it.
    const months = report.current.liabilityByMonth;
    expect(months).toHaveLength(24);
    expect(months.at(-1)).toEqual({ month: '2026-06', points: 1750, value: 1750 * program().points.pointValue });
    expect(months.find((m) => m.month === '2026-02')?.points).toBe(1850);
    expect(months.find((m) => m.month === '2026-01')?.points).toBe(0);
    expect(months[0]?.month).toBe('2024-07');
  });

  it('counts a redemption the proposed balance cannot afford as blocked', () => {
    const report = run(program(), program({ earn: { points: 1, per: 200 } }));
    // D earns 100 under the proposal: the actual 150-point redemption is blocked.
    expect(report.proposed.points.blocked).toEqual({ redemptions: 1, points: 150 });
    expect(report.proposed.points.redeemed).toBe(0);
    expect(report.current.points.blocked).toEqual({ redemptions: 0, points: 0 });
    expect(report.current.emails.redemption_receipt).toBe(1);
    expect(report.proposed.emails.redemption_receipt).toBeUndefined();
    expect(report.proposed.rewardsCost).toBe(0);
    expect(report.current.rewardsCost).toBe(150 * program().points.pointValue);
  });

  it('applies the scheduled review: a warning, then one tier down after term and grace', () => {
    const rolling: Program = {
      ...program(),
      tiers: {
        ...program().tiers,
        window: { kind: 'rollingMonths', months: 12 },
        downgrade: { termMonths: 12, graceDays: 30, warningDays: 14 },
      },
    };
    const customer = { customerId: 'c_old', orders: [paid('o1', '2025-01-10T10:00:00Z', 40_000)], moves: [] };
    const at = new Date('2026-03-15T00:00:00Z');
    const reviews = reviewInstants(Date.parse('2025-01-01T00:00:00Z'), at.getTime(), 'UTC');
    const result = replayCustomer(customer, rolling, { asOf: at, reviews, timeZone: 'UTC' });
    // Gold from 2025-01-10T10:00; term + grace end 2026-02-09T10:00; the first run after it (03:00 UTC) lowers it one step.
    expect(result.tier).toBe('silver');
    expect(result.tierSince).toBe('2026-02-09T10:00:00.000Z');
    expect(result.emails).toEqual({ tier_up: 1, welcome: 1, tier_down_warning: 1, tier_down: 1 });
    // As of the day before the warning window, still Gold and nothing sent but the climb.
    const before = replayCustomer(customer, rolling, { asOf: new Date('2026-01-26T00:00:00Z'), reviews, timeZone: 'UTC' });
    expect(before.tier).toBe('gold');
    expect(before.emails).toEqual({ tier_up: 1, welcome: 1 });
  });

  it('reviews again after an event lowers the metric, not only when an order leaves the window', () => {
    const doubling: Program = {
      ...program(),
      tiers: {
        ...program().tiers,
        window: { kind: 'rollingMonths', months: 3 },
        levels: [
          { id: 'member', name: { en: 'Member' }, threshold: 0, earnMultiplier: 1 },
          { id: 'silver', name: { en: 'Silver' }, threshold: 10_000, earnMultiplier: 1 },
          { id: 'gold', name: { en: 'Gold' }, threshold: 30_000, earnMultiplier: 2 },
        ],
        downgrade: { termMonths: 3, graceDays: 0, warningDays: 0 },
      },
    };
    const customer = {
      customerId: 'c_refund',
      orders: [
        // Gold from 10 January; the term ends 10 April, when B alone still keeps Gold…
        paid('a', '2026-01-10T10:00:00Z', 40_000),
        // …until B's refund on 20 April: the next day's run lowers the tier, well before B leaves the window.
        paid('b', '2026-03-01T10:00:00Z', 30_000, ['2026-04-20T12:00:00Z', 20_000]),
        // So C, on 1 May, earns as Silver (× 1): 50 points, not Gold's 100 (and 25,000 in the window keeps Silver).
        paid('c', '2026-05-01T10:00:00Z', 5_000),
      ],
      moves: [],
    };
    const at = new Date('2026-05-10T00:00:00Z');
    const result = replayCustomer(customer, doubling, {
      asOf: at,
      reviews: reviewInstants(Date.parse('2026-01-01T00:00:00Z'), at.getTime(), 'UTC'),
      timeZone: 'UTC',
    });
    expect(result.tier).toBe('silver');
    expect(result.tierSince).toBe('2026-04-10T10:00:00.000Z');
    // A at Member (400), B at Gold after A (2 × 300, 200 taken back by the refund), C at Silver (50).
    expect(result.points.earned).toBe(400 + 600 + 50);
    expect(result.points.clawedBack).toBe(200);
  });

  it('is the same report whatever order the customers come in', () => {
    const forward = run(program(), program({ gold: 50_000 }));
    const backtest = new Backtest({ current: program(), proposed: program({ gold: 50_000 }) }, options);
    for (const customer of [...shop].reverse()) backtest.add(customer);
    expect(backtest.report(null)).toEqual(forward);
  });

  it("reviews at the run hour of the shop's own clock, on the days its clock changes too", () => {
    // New York springs forward at 02:00 on 8 March 2026 and falls back on 1 November: the run at
    // 03:00 local is 08:00Z before, 07:00Z from the change, 08:00Z again after it.
    const at = (iso: string) => new Date(iso).getTime();
    const instants = (from: string, to: string) =>
      reviewInstants(at(from), at(to), 'America/New_York').map((ms) => new Date(ms).toISOString());
    expect(instants('2026-03-07T00:00:00Z', '2026-03-09T23:00:00Z')).toEqual([
      '2026-03-07T08:00:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T07:00:00.000Z',
    ]);
    expect(instants('2026-10-31T00:00:00Z', '2026-11-01T23:00:00Z')).toEqual(['2026-10-31T07:00:00.000Z', '2026-11-01T08:00:00.000Z']);
  });
});
