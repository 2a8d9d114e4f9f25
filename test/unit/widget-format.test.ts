import { describe, expect, it } from 'vitest';
import type { StorefrontReward } from '#shared/http/storefront-contract.ts';
import { affordableSteps, format, metricAmount, redeemCost, rewardCost, rewardValue, tierProgress } from '#widget/src/format.ts';
import { translator } from '#widget/src/i18n.ts';

const vnd = format('vi', 'VND', translator('vi'));
const usd = format('en', 'USD', translator('en'));
/** Intl separates a currency sign with a no-break space; compare with plain ones. */
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

const perStep: StorefrontReward = {
  id: 'r_per',
  name: 'Money off',
  value: { kind: 'amount_off', amount: 10_000 },
  cost: { kind: 'per', points: 100, minSteps: 2, maxSteps: 5 },
  validityDays: 30,
};

describe('widget formatting', () => {
  it('reads money as minor units of the shop’s currency: VND has none, USD has cents', () => {
    expect(plain(vnd.money(1_999_000))).toBe('1.999.000 ₫');
    expect(usd.money(1999)).toBe('$19.99');
    expect(usd.money(2000)).toBe('$20');
    expect(plain(format('en', 'KWD', translator('en')).money(1234))).toBe('KWD 1.234');
  });

  it('counts points and orders in each language', () => {
    expect(usd.points(1)).toBe('1 point');
    expect(usd.points(1250)).toBe('1,250 points');
    expect(vnd.points(1250)).toBe('1.250 điểm');
    expect(metricAmount('orders', 1, usd)).toBe('1 order');
    expect(metricAmount('orders', 3, vnd)).toBe('3 đơn hàng');
    expect(plain(metricAmount('spend', 500_000, vnd))).toBe('500.000 ₫');
    expect(metricAmount('points', 20, usd)).toBe('20 points');
  });

  it('fills the progress bar to the next tier, within 0..1', () => {
    expect(tierProgress({ id: 'gold', name: 'Gold', threshold: 5_000_000, progress: 3_500_000, remaining: 1_500_000 })).toBe(0.7);
    expect(tierProgress({ id: 'gold', name: 'Gold', threshold: 100, progress: 140, remaining: 0 })).toBe(1);
    expect(tierProgress({ id: 'gold', name: 'Gold', threshold: 100, progress: -5, remaining: 105 })).toBe(0);
    expect(tierProgress({ id: 'x', name: 'X', threshold: 0, progress: 0, remaining: 0 })).toBe(1);
    // A tier whose rule the metric alone cannot meet has no distance to draw.
    expect(tierProgress({ id: 'vip', name: 'VIP', progress: 4 })).toBe(0);
  });

  it('says what a reward is worth and costs', () => {
    expect(plain(rewardValue({ kind: 'amount_off', amount: 50_000 }, vnd))).toBe('Giảm 50.000 ₫');
    expect(rewardValue({ kind: 'percent_off', percent: 10, maxAmount: 2500 }, usd)).toBe('10% off, up to $25');
    expect(rewardValue({ kind: 'free_shipping' }, usd)).toBe('Free shipping');
    expect(rewardCost({ ...perStep, cost: { kind: 'fixed', points: 500 } }, usd)).toBe('500 points');
    expect(plain(rewardCost(perStep, vnd))).toBe('100 điểm cho mỗi 10.000 ₫');
  });

  it('offers the steps spendable points pay for, between minSteps and maxSteps', () => {
    expect(affordableSteps(perStep, 350)).toEqual([2, 3]);
    expect(affordableSteps(perStep, 10_000)).toEqual([2, 3, 4, 5]);
    expect(affordableSteps(perStep, 150)).toEqual([]);
    expect(affordableSteps({ ...perStep, cost: { kind: 'fixed', points: 1 } }, 10)).toEqual([]);
    expect(redeemCost(perStep, 3)).toBe(300);
    expect(redeemCost({ ...perStep, cost: { kind: 'fixed', points: 700 } }, 3)).toBe(700);
  });

  it('writes dates in the customer’s language', () => {
    expect(usd.date('2026-12-31T10:00:00Z')).toBe('Dec 31, 2026');
    expect(vnd.date('2026-01-02T10:00:00Z')).toBe('02/01/2026');
  });
});
