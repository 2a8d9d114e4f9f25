import type { BgNbdParams } from './bgnbd.ts';
import type { GammaGammaParams } from './gamma-gamma.ts';
import { seededRandom } from './numeric.ts';

/**
 * Synthetic customers drawn from the models themselves, for benches and for checking that a fit
 * recovers the parameters it was generated with. Seeded, so every run draws the same customers.
 */

/** Gamma(shape, rate) draws from a uniform source (Marsaglia & Tsang 2000). */
export function gammaSampler(random: () => number) {
  let spare = Number.NaN;
  const normal = () => {
    if (!Number.isNaN(spare)) {
      const value = spare;
      spare = Number.NaN;
      return value;
    }
    let u = 0;
    while (u === 0) u = random();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * random();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  /** Gamma(shape, rate) by Marsaglia & Tsang (2000), boosted by U^(1/shape) for shape < 1. */
  const gamma = (shape: number, rate: number): number => {
    if (shape < 1) {
      let u = 0;
      while (u === 0) u = random();
      return gamma(shape + 1, rate) * u ** (1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let z: number;
      let v: number;
      do {
        z = normal();
        v = 1 + c * z;
      } while (v <= 0);
      v = v * v * v;
      const u = random();
      if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return (d * v) / rate;
    }
  };
  return gamma;
}

export interface SimulatedCustomers {
  /** Repeat purchases in the calibration period. */
  x: Uint32Array;
  /** Days from the first purchase to the last, and to the calibration end. */
  txDays: Uint16Array;
  TDays: Uint16Array;
  /** Mean repeat spend (0 when x = 0). */
  monetary: Float64Array;
  /** Total spend, and days from the last purchase to the calibration end — for RFM. */
  totalSpend: Float64Array;
}

/**
 * `count` customers acquired uniformly over `acquisitionDays` days before the calibration end,
 * each buying by the BG/NBD process (rates per week, as the parameters are usually quoted) and
 * spending by the Gamma-Gamma process. Purchase times are recorded to the day, as order dates
 * are; every purchase of the process counts (two on one day are rare at these rates, and merging
 * them would make the data depart from the model the fit assumes).
 */
export function simulateCustomers(
  count: number,
  params: { bgnbd: BgNbdParams; gammaGamma: GammaGammaParams },
  { seed = 1, acquisitionDays = 365 } = {},
): SimulatedCustomers {
  const random = seededRandom(seed);
  const gamma = gammaSampler(random);
  const { r, alpha, a, b } = params.bgnbd;
  const { p, q, v } = params.gammaGamma;
  const x = new Uint32Array(count);
  const txDays = new Uint16Array(count);
  const TDays = new Uint16Array(count);
  const monetary = new Float64Array(count);
  const totalSpend = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const T = Math.floor(random() * acquisitionDays);
    // λ ~ Gamma(r, α) per week; p ~ Beta(a, b)
    const ratePerDay = gamma(r, alpha) / 7;
    const g1 = gamma(a, 1);
    const dropout = g1 / (g1 + gamma(b, 1));
    const nu = gamma(q, v);
    const spend = () => gamma(p, nu);
    let t = 0;
    let last = 0;
    let purchases = 0;
    let repeatSpend = 0;
    let total = spend();
    for (;;) {
      t += -Math.log(1 - random()) / ratePerDay;
      if (t > T) break;
      const amount = spend();
      total += amount;
      repeatSpend += amount;
      purchases++;
      last = Math.floor(t);
      if (random() < dropout) break;
    }
    x[i] = purchases;
    txDays[i] = last;
    TDays[i] = T;
    monetary[i] = purchases > 0 ? repeatSpend / purchases : 0;
    totalSpend[i] = total;
  }
  return { x, txDays, TDays, monetary, totalSpend };
}

/**
 * One customer's purchase days by the BG/NBD process: a first purchase on `firstDay`, then
 * purchases at rate λ ~ Gamma(r, α) per week, each followed by dropout with p ~ Beta(a, b); up to
 * `endDay` (exclusive) and at most `max` purchases. For seeding test and bench shops.
 */
export function simulatePurchaseDays(
  random: () => number,
  gamma: ReturnType<typeof gammaSampler>,
  params: BgNbdParams,
  firstDay: number,
  endDay: number,
  max = 30,
): number[] {
  const lambdaPerDay = gamma(params.r, params.alpha) / 7;
  const x = gamma(params.a, 1);
  const p = x / (x + gamma(params.b, 1));
  const days = [firstDay];
  let day = firstDay;
  while (days.length < max && random() >= p) {
    day += Math.max(1, Math.ceil(-Math.log(1 - random()) / lambdaPerDay));
    if (day >= endDay) break;
    days.push(day);
  }
  return days;
}
