import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expiryOutlook } from '#shared/loyalty/expiry.ts';
import type { LedgerEntryDraft } from '#shared/loyalty/plan.ts';
import { defaultProgram, type Program, type Tier } from '#shared/loyalty/program.ts';
import {
  downgradeDecision,
  isBirthday,
  localDate,
  pointsFor,
  qualifyingMetric,
  tierAfterEvent,
  tierFor,
  withOverride,
} from '#shared/loyalty/rules.ts';

const program: Program = defaultProgram({ currency: 'VND', name: 'x' });
const spendProgram: Program = {
  ...program,
  tiers: {
    ...program.tiers,
    metric: 'spend',
    levels: [
      { id: 'member', name: { en: 'Member' }, threshold: 0, earnMultiplier: 1 },
      { id: 'silver', name: { en: 'Silver' }, threshold: 5_000_000, earnMultiplier: 1.25 },
      { id: 'gold', name: { en: 'Gold' }, threshold: 20_000_000, earnMultiplier: 1.5 },
    ],
  },
};

describe('points', () => {
  it('earns per currency amount times the multiplier, rounded down, in integers', () => {
    expect(pointsFor(1_999_000, program, 1)).toBe(199);
    expect(pointsFor(1_999_000, program, 1.25)).toBe(249);
    expect(pointsFor(0, program, 1.5)).toBe(0);
    expect(pointsFor(Number.MAX_SAFE_INTEGER, program, 1.5)).toBe(Math.floor((Number.MAX_SAFE_INTEGER / 10_000) * 1.5));
  });

  it('claws back a refunded share of an order as the earn on the new net', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), fc.integer({ min: 0, max: 100 }), (net, refundPercent) => {
        const refunded = Math.floor((net * refundPercent) / 100);
        const before = pointsFor(net, program, 1.5);
        const after = pointsFor(net - refunded, program, 1.5);
        expect(after).toBeLessThanOrEqual(before);
        expect(after).toBeGreaterThanOrEqual(0);
        if (refundPercent === 100) expect(after).toBe(0);
      }),
    );
  });
});

describe('tiers', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const order = (net: number, placed: string) => ({ net, placedAt: new Date(placed), points: 0 });

  it('sums the metric over the window only', () => {
    const orders = [
      order(4_000_000, '2025-05-01T00:00:00Z'),
      order(3_000_000, '2025-07-01T00:00:00Z'),
      order(3_000_000, '2026-05-01T00:00:00Z'),
    ];
    expect(qualifyingMetric(orders, [], spendProgram, now)).toBe(6_000_000);
    expect(qualifyingMetric(orders, [], { ...spendProgram, tiers: { ...spendProgram.tiers, window: { kind: 'lifetime' } } }, now)).toBe(
      10_000_000,
    );
    expect(qualifyingMetric(orders, [], { ...spendProgram, tiers: { ...spendProgram.tiers, window: { kind: 'calendarYear' } } }, now)).toBe(
      3_000_000,
    );
    expect(qualifyingMetric(orders, [], program, now)).toBe(2);
  });

  it('moves up at once, never down on an event, and honours floor and pin overrides', () => {
    expect(tierFor(4_999_999, spendProgram).id).toBe('member');
    expect(tierFor(5_000_000, spendProgram).id).toBe('silver');
    expect(tierAfterEvent('member', 20_000_000, spendProgram).id).toBe('gold');
    expect(tierAfterEvent('gold', 0, spendProgram).id).toBe('gold');
    expect(tierAfterEvent('member', 0, spendProgram, { tier: 'silver', mode: 'floor' }).id).toBe('silver');
    expect(tierAfterEvent('member', 20_000_000, spendProgram, { tier: 'silver', mode: 'pin' }).id).toBe('silver');
  });

  it('keeps a tier within its override: a floor lifts, a pin holds, whatever the tier events give', () => {
    const [member, , gold] = spendProgram.tiers.levels as [Tier, Tier, Tier];
    expect(withOverride(member, spendProgram, { tier: 'silver', mode: 'floor' }).id).toBe('silver');
    expect(withOverride(gold, spendProgram, { tier: 'silver', mode: 'floor' }).id).toBe('gold');
    expect(withOverride(gold, spendProgram, { tier: 'silver', mode: 'pin' }).id).toBe('silver');
    expect(withOverride(member, spendProgram).id).toBe('member');
  });

  it('warns with the exact shortfall, then steps down one tier after term and grace', () => {
    const since = new Date('2025-01-01T00:00:00Z'); // term 12 months → 2026-01-01, grace 30 days → 2026-01-31
    expect(downgradeDecision('gold', since, 25_000_000, spendProgram, new Date('2026-02-10T00:00:00Z'))).toEqual({ action: 'keep' });
    expect(downgradeDecision('gold', since, 12_000_000, spendProgram, new Date('2026-01-10T00:00:00Z'))).toEqual({ action: 'keep' });
    expect(downgradeDecision('gold', since, 12_000_000, spendProgram, new Date('2026-01-20T00:00:00Z'))).toMatchObject({
      action: 'warn',
      shortfall: 8_000_000,
      downgradeOn: new Date('2026-01-31T00:00:00Z'),
      to: { id: 'silver' },
    });
    expect(downgradeDecision('gold', since, 0, spendProgram, new Date('2026-01-31T00:00:00Z'))).toMatchObject({
      action: 'downgrade',
      to: { id: 'silver' },
    });
    expect(downgradeDecision('gold', since, 0, spendProgram, new Date('2026-03-01T00:00:00Z'), { tier: 'gold', mode: 'floor' })).toEqual({
      action: 'keep',
    });
    expect(downgradeDecision('member', since, 0, spendProgram, new Date('2027-01-01T00:00:00Z'))).toEqual({ action: 'keep' });
  });
});

describe('points expiry', () => {
  const entry = (entryId: string, kind: LedgerEntryDraft['kind'], points: number, at: string): LedgerEntryDraft => ({
    entryId,
    kind,
    points,
    at,
    source: {},
  });
  const fixed: Program = { ...program, points: { ...program.points, expiry: { kind: 'fixedTerm', months: 6 } } };

  it('expires each credit after its term, oldest used first', () => {
    const ledger = [
      entry('a', 'earn', 100, '2026-01-01T00:00:00.000Z'),
      entry('b', 'earn', 50, '2026-03-01T00:00:00.000Z'),
      entry('r', 'redeem', -70, '2026-04-01T00:00:00.000Z'),
    ];
    // 70 redeemed from the January lot: 30 of it expire on 1 July, the March lot on 1 September.
    expect(expiryOutlook(ledger, fixed, new Date('2026-06-15T00:00:00Z'))).toMatchObject({
      dueNow: 0,
      next: { points: 30, on: new Date('2026-07-01T00:00:00Z') },
    });
    expect(expiryOutlook(ledger, fixed, new Date('2026-07-02T00:00:00Z'))).toMatchObject({ dueNow: 30, next: { points: 50 } });
    const afterExpiry = [...ledger, entry('x', 'expire', -30, '2026-07-02T00:00:00.000Z')];
    expect(expiryOutlook(afterExpiry, fixed, new Date('2026-07-03T00:00:00Z')).dueNow).toBe(0);
  });

  it('expires everything a set time after the last activity, and nothing without a policy', () => {
    const ledger = [entry('a', 'earn', 100, '2026-01-01T00:00:00.000Z'), entry('r', 'redeem', -10, '2026-02-01T00:00:00.000Z')];
    expect(expiryOutlook(ledger, program, new Date('2027-01-15T00:00:00Z'))).toMatchObject({
      dueNow: 0,
      next: { points: 90, on: new Date('2027-02-01T00:00:00Z') },
    });
    expect(expiryOutlook(ledger, program, new Date('2027-02-01T00:00:00Z')).dueNow).toBe(90);
    expect(
      expiryOutlook(ledger, { ...program, points: { ...program.points, expiry: { kind: 'none' } } }, new Date('2030-01-01T00:00:00Z'))
        .dueNow,
    ).toBe(0);
  });
});

describe('birthdays', () => {
  it('reads the date where the shop is, and keeps 29 February in other years', () => {
    expect(localDate(new Date('2026-04-11T18:00:00Z'), 'Asia/Ho_Chi_Minh')).toBe('2026-04-12');
    expect(localDate(new Date('2026-04-11T18:00:00Z'), 'America/New_York')).toBe('2026-04-11');
    expect(isBirthday('1990-04-12', '2026-04-12')).toBe(true);
    expect(isBirthday('1992-02-29', '2026-02-28')).toBe(true);
    expect(isBirthday('1992-02-29', '2028-02-28')).toBe(false);
    expect(isBirthday('1992-02-29', '2028-02-29')).toBe(true);
  });
});
