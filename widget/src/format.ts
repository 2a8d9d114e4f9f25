import { currencyExponent } from '../../shared/domain/money.ts';
import type {
  StorefrontCustomer,
  StorefrontLanguage,
  StorefrontReward,
  StorefrontRewardValue,
} from '../../shared/http/storefront-contract.ts';
import type { Translate } from './i18n.ts';

/**
 * Numbers, money and dates as a customer reads them, plus the few sums the panel shows. Pure, so
 * the unit tests run them in Node (test/unit/widget-format.test.ts).
 */
export interface Format {
  t: Translate;
  /** Minor units of the shop's currency (VND has none: 1 minor unit is 1 đồng). */
  money(minor: number): string;
  points(n: number): string;
  number(n: number): string;
  date(iso: string): string;
}

/** vi → Vietnam's conventions (1.999.000 ₫), en → English with the shop's currency. */
const LOCALES: Record<StorefrontLanguage, string> = { vi: 'vi-VN', en: 'en-US' };

export function format(language: StorefrontLanguage, currency: string, t: Translate): Format {
  const locale = LOCALES[language];
  // The server's ISO 4217 table, not Intl's digits: they differ for a few currencies (IQD is 3 in
  // ISO, 0 in CLDR), and an amount must mean what the server meant.
  const exponent = currencyExponent(currency) ?? 2;
  const numbers = new Intl.NumberFormat(locale);
  const money = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: 0,
    maximumFractionDigits: exponent,
  });
  // 02/01/2027 is how Vietnamese shops write dates (CLDR's medium style gives "2 thg 1, 2027").
  const dates = new Intl.DateTimeFormat(
    locale,
    language === 'vi' ? { day: '2-digit', month: '2-digit', year: 'numeric' } : { dateStyle: 'medium' },
  );
  return {
    t,
    money: (minor) => money.format(minor / 10 ** exponent),
    points: (n) => t(Math.abs(n) === 1 ? 'pointsOne' : 'pointsOther', { n: numbers.format(n) }),
    number: (n) => numbers.format(n),
    date: (iso) => dates.format(new Date(iso)),
  };
}

/** How far along the way to the next tier, 0..1, for the progress bar. */
export function tierProgress(next: NonNullable<StorefrontCustomer['nextTier']>): number {
  // No threshold: a rule the metric alone cannot meet, so there is no distance to draw.
  if (next.threshold === undefined) return 0;
  if (next.threshold <= 0) return 1;
  return Math.min(1, Math.max(0, next.progress / next.threshold));
}

/** A tier threshold or what is left to it, in the tier metric's unit. */
export function metricAmount(metric: 'spend' | 'orders' | 'points', amount: number, f: Format): string {
  if (metric === 'spend') return f.money(amount);
  if (metric === 'orders') return f.t(amount === 1 ? 'ordersOne' : 'ordersOther', { n: f.number(amount) });
  return f.points(amount);
}

export function rewardValue(value: StorefrontRewardValue, f: Format): string {
  switch (value.kind) {
    case 'amount_off':
      return f.t('amountOff', { amount: f.money(value.amount) });
    case 'percent_off':
      return value.maxAmount === undefined
        ? f.t('percentOff', { percent: f.number(value.percent) })
        : f.t('percentOffMax', { percent: f.number(value.percent), amount: f.money(value.maxAmount) });
    case 'free_shipping':
      return f.t('freeShipping');
    case 'free_product':
      return f.t('freeProduct');
  }
}

export function rewardCost(reward: StorefrontReward, f: Format): string {
  const { cost, value } = reward;
  if (cost.kind === 'fixed') return f.t('costFixed', { points: f.points(cost.points) });
  const step = value.kind === 'amount_off' ? f.money(value.amount) : rewardValue(value, f);
  return f.t('costPer', { points: f.points(cost.points), amount: step });
}

/**
 * The steps a customer may pick for a per-step reward: minSteps up to what their spendable points
 * pay for, never above maxSteps. Empty when even minSteps is out of reach.
 */
export function affordableSteps(reward: StorefrontReward, spendable: number): number[] {
  if (reward.cost.kind !== 'per') return [];
  const { points, minSteps, maxSteps } = reward.cost;
  const top = Math.min(maxSteps, points > 0 ? Math.floor(spendable / points) : maxSteps);
  const steps: number[] = [];
  for (let n = Math.max(1, minSteps); n <= top; n++) steps.push(n);
  return steps;
}

/** The points a redemption costs. */
export function redeemCost(reward: StorefrontReward, steps: number): number {
  return reward.cost.kind === 'fixed' ? reward.cost.points : reward.cost.points * steps;
}
