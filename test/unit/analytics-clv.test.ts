import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyzeTransactions,
  bgnbdLogLikelihood,
  type ClvCustomer,
  expectedPurchases,
  expectedPurchasesNew,
  expectedSpend,
  fitBgNbd,
  fitClvModel,
  fitGammaGamma,
  groupBgNbd,
  groupGammaGamma,
  holdoutCheck,
  parseCdnow,
  probabilityAlive,
  runClvCommand,
  scoreClv,
  summarizeTransactions,
} from '#shared/analytics/clv.ts';
import { parseCsv } from '#shared/analytics/csv.ts';
import { AnalyticsDataError, AnalyticsUsageError } from '#shared/analytics/errors.ts';
import { isoDay } from '#shared/analytics/numeric.ts';
import { simulateCustomers } from '#shared/analytics/simulate.ts';

const SAMPLE_FILE = 'test/fixtures/cdnow/CDNOW_sample.txt';
const CALIBRATION_END = isoDay('1997-09-30');
const transactions = parseCdnow(readFileSync(SAMPLE_FILE, 'utf8'));
const summary = summarizeTransactions(transactions, { calibrationEndDay: CALIBRATION_END, unit: 'week' });
const customers = summary.customers;
const byId = new Map(customers.map((c) => [c.customerId, c]));

const bgData = groupBgNbd(
  customers.map((c) => c.frequency),
  customers.map((c) => c.recency),
  customers.map((c) => c.T),
);
const bgFit = fitBgNbd(bgData);
const ggFit = fitGammaGamma(
  groupGammaGamma(
    customers.map((c) => c.frequency),
    customers.map((c) => c.monetary),
  ),
);

/** The published parameters, as the literature quotes them. */
const PUBLISHED_BGNBD = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

/**
 * Rows of the published CDNOW summary (lifetimes' datasets/cdnow_customers_summary_with_transactions.csv,
 * Hardie's data: ID, x, t_x, T in weeks to 2 decimals, zbar = mean repeat transaction value), picked
 * across the file and its corner cases (most repeat purchases, tₓ = T, the largest and smallest spends).
 */
const PUBLISHED_ROWS: [string, number, number, number, number][] = [
  ['0001', 2, 30.43, 38.86, 22.35],
  ['0002', 1, 1.71, 38.86, 11.77],
  ['0003', 0, 0, 38.86, 0],
  ['0006', 7, 29.43, 38.86, 73.74],
  ['0017', 10, 34.14, 38.86, 24.24],
  ['0026', 1, 1.57, 38.71, 227.14],
  ['0059', 1, 38.43, 38.43, 6.49],
  ['0157', 29, 37.71, 38.0, 26.26],
  ['0325', 25, 27.29, 36.86, 37.21],
  ['0509', 18, 35.14, 35.86, 78.63],
  ['0841', 19, 34.0, 34.14, 29.49],
  ['1081', 11, 32.0, 33.14, 106.53],
  ['1516', 26, 30.86, 31.0, 39.97],
  ['1696', 2, 17.71, 30.14, 245.21],
  ['1863', 1, 28.57, 29.43, 2.99],
  ['1901', 21, 4.71, 29.29, 299.63],
  ['1981', 17, 28.43, 28.86, 48.23],
  ['2240', 6, 27.57, 27.57, 31.1],
  ['2332', 5, 13.0, 27.0, 146.96],
  ['2357', 0, 0, 27.0, 0],
];

describe('CDNOW summary (calibration to 1997-09-30, weeks)', () => {
  it('has the 2,357 customers and the 2,457 calibration repeat purchases of the published analyses', () => {
    expect(customers).toHaveLength(2357);
    expect(summary.acquiredAfterCalibration).toBe(0);
    expect(customers.reduce((sum, c) => sum + c.frequency, 0)).toBe(2457);
    expect(customers.filter((c) => c.frequency > 0)).toHaveLength(946);
  });

  it('equals the published summary row by row (days / 7, same-day purchases merged, first purchase excluded)', () => {
    for (const [id, x, tx, T, zbar] of PUBLISHED_ROWS) {
      const c = byId.get(id) as ClvCustomer;
      expect(c.frequency, id).toBe(x);
      expect(Math.abs(c.recency - tx), `${id} recency`).toBeLessThanOrEqual(0.005 + 1e-12);
      expect(Math.abs(c.T - T), `${id} T`).toBeLessThanOrEqual(0.005 + 1e-12);
      expect(Math.abs(c.monetary - zbar), `${id} monetary`).toBeLessThanOrEqual(0.005 + 1e-12);
    }
    // customer 1: purchases on 1997-01-01, 01-18, 08-02 (and 12-12, in the holdout)
    expect(byId.get('0001')).toMatchObject({
      frequency: 2,
      recency: 213 / 7,
      T: 272 / 7,
      monetary: (29.73 + 14.96) / 2,
      holdoutPurchases: 1,
    });
  });
});

describe('BG/NBD on CDNOW_sample', () => {
  it('reproduces the published parameters r = 0.243, α = 4.414, a = 0.793, b = 2.426 to 3 decimals', () => {
    expect(bgFit.converged).toBe(true);
    for (const name of ['r', 'alpha', 'a', 'b'] as const) {
      expect(bgFit.params[name].toFixed(3), name).toBe(PUBLISHED_BGNBD[name].toFixed(3));
    }
    // the published log-likelihood is −9582.4
    expect(bgFit.logLikelihood).toBeCloseTo(-9582.43, 1);
  });

  it('is a maximum: every small step away lowers the likelihood', () => {
    for (const name of ['r', 'alpha', 'a', 'b'] as const) {
      for (const factor of [0.999, 1.001]) {
        const moved = { ...bgFit.params, [name]: bgFit.params[name] * factor };
        expect(bgnbdLogLikelihood(moved, bgData), `${name} × ${factor}`).toBeLessThan(bgFit.logLikelihood);
      }
    }
  });

  it("gives the Hardie spreadsheet's conditional expectation: E[Y(39) | x=2, tₓ=30.43, T=38.86] = 1.226", () => {
    expect(expectedPurchases(PUBLISHED_BGNBD, 39, 2, 30.43, 38.86)).toBeCloseTo(1.226, 3);
    expect(expectedPurchases(bgFit.params, 39, 2, 30.43, 38.86)).toBeCloseTo(1.226, 3);
  });

  it("gives the Hardie spreadsheet's E[X(t)] for a new customer", () => {
    const times = [0.1429, 1, 3, 31.8571, 32, 78];
    const published = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576];
    for (const [i, t] of times.entries()) {
      expect(Math.abs(expectedPurchasesNew(bgFit.params, t) - (published[i] as number)), `t=${t}`).toBeLessThan(1.5e-3);
    }
  });

  it('computes P(alive) as the closed form, worked by hand', () => {
    // 1 / (1 + a/(b+x−1) · ((α+T)/(α+tₓ))^(r+x)) with the published parameters:
    // 0.793/3.426 = 0.231465…, (43.274/34.844)^2.243 = 1.625806…, so 1/(1 + 0.376318…) = 0.726577…
    expect(probabilityAlive(PUBLISHED_BGNBD, 2, 30.43, 38.86)).toBeCloseTo(0.726577, 5);
    expect(probabilityAlive(PUBLISHED_BGNBD, 0, 0, 38.86)).toBe(1);
    // more purchases and a recent last one: more likely alive; the same purchases long ago: less
    expect(probabilityAlive(PUBLISHED_BGNBD, 10, 38.86, 38.86)).toBeGreaterThan(0.9);
    expect(probabilityAlive(PUBLISHED_BGNBD, 10, 5, 38.86)).toBeLessThan(0.01);
    for (const [x, tx, T] of [
      [1, 1, 2],
      [50, 10, 90],
      [2000, 1, 500],
    ] as const) {
      const p = probabilityAlive(bgFit.params, x, tx, T);
      expect(p >= 0 && p <= 1).toBe(true);
    }
  });

  it('stays finite for extreme customers (the hypergeometric series is summed in its shrinking form)', () => {
    // 500 repeat purchases in 39 weeks, the last one today: about 13 a week for another year, minus dropout
    const e = expectedPurchases(bgFit.params, 52, 500, 38.86, 38.86);
    expect(Number.isFinite(e) && e > 400 && e < 52 * 13).toBe(true);
    // …but a week of silence after 13 a week is telling: P(alive) ≈ 3 %
    expect(probabilityAlive(bgFit.params, 500, 38, 38.86)).toBeLessThan(0.05);
    expect(expectedPurchases(bgFit.params, 52, 3000, 1, 500)).toBeCloseTo(0, 10);
  });

  it('gives the same likelihood for merged tuples as for the customers one by one', () => {
    const ones = groupBgNbd([2, 2, 0], [5, 5, 0], [10, 10, 8]);
    expect(ones.weight).toEqual(Float64Array.from([1, 2]));
    const params = { r: 0.5, alpha: 3, a: 0.8, b: 2 };
    const single = (x: number, tx: number, T: number) => bgnbdLogLikelihood(params, groupBgNbd([x], [tx], [T]));
    expect(bgnbdLogLikelihood(params, ones)).toBeCloseTo(2 * single(2, 5, 10) + single(0, 0, 8), 10);
  });
});

describe('Gamma-Gamma on CDNOW_sample', () => {
  it('reproduces the published p = 6.25, q = 3.74, v = 15.44 (946 customers with repeat purchases)', () => {
    expect(ggFit.converged).toBe(true);
    expect(ggFit.customers).toBe(946);
    expect(Math.abs(ggFit.params.p - 6.25)).toBeLessThan(0.015);
    expect(Math.abs(ggFit.params.q - 3.74)).toBeLessThan(0.015);
    expect(Math.abs(ggFit.params.v - 15.44)).toBeLessThan(0.015);
  });

  it("gives lifetimes' documented expected average spend per customer", () => {
    // lifetimes README: conditional_expected_average_profit(...).head(): fitted on the 2-decimal
    // summary, so cents of difference are expected
    const published: [string, number][] = [
      ['0001', 24.658619],
      ['0002', 18.911489],
      ['0003', 35.170981],
      ['0006', 71.462843],
      ['0009', 27.282408],
    ];
    for (const [id, value] of published) {
      const c = byId.get(id) as ClvCustomer;
      expect(Math.abs(expectedSpend(ggFit.params, c.frequency, c.monetary) - value), id).toBeLessThan(0.02);
    }
    const mean = customers.reduce((sum, c) => sum + expectedSpend(ggFit.params, c.frequency, c.monetary), 0) / customers.length;
    expect(Math.abs(mean - 35.2529588256)).toBeLessThan(0.01);
  });
});

describe('holdout check (1997-10-01 … 1998-06-30, 39 weeks)', () => {
  const model = fitClvModel(customers);
  const holdout = holdoutCheck(model, customers, summary);

  it('predicts the holdout purchases of the cohort within reason', () => {
    expect(holdout).not.toBeNull();
    const h = holdout as NonNullable<typeof holdout>;
    expect(h).toMatchObject({ from: '1997-10-01', to: '1998-06-30', length: 39, customers: 2357, actualPurchases: 1882 });
    // the model tracks the cohort: within 15 % in total, and under one purchase per customer off
    expect(Math.abs(h.predictedPurchases - h.actualPurchases) / h.actualPurchases).toBeLessThan(0.15);
    expect(h.meanAbsoluteError).toBeLessThan(1);
    // customers who bought more in calibration buy more in the holdout, predicted and actual alike
    const means = h.byFrequency.map((b) => b.predicted);
    expect([...means].sort((p, q) => p - q)).toEqual(means);
    expect(h.byFrequency.reduce((sum, b) => sum + b.customers, 0)).toBe(2357);
  });
});

describe('model choice', () => {
  it('falls back to historical averages with fewer than 50 repeat customers, and says so', () => {
    const thin = customers.filter((c) => c.frequency > 0).slice(0, 30);
    const model = fitClvModel([...thin, ...customers.filter((c) => c.frequency === 0).slice(0, 100)]);
    expect(model.model).toBe('historical');
    if (model.model !== 'historical') return;
    expect(model.reason).toMatch(/only 30 customers with a repeat purchase/);
    const score = scoreClv(model, { frequency: 3, recency: 20, T: 30, monetary: 40 }, { horizon: 52 });
    expect(score.pAlive).toBeNull();
    expect(score.expectedSpend).toBe(40);
    expect(score.expectedPurchases).toBeGreaterThan(0);
    expect(score.clv).toBeCloseTo(score.expectedPurchases * 40, 10);
  });

  it('discounts CLV when asked, and not otherwise', () => {
    const model = fitClvModel(customers);
    const c = byId.get('0001') as ClvCustomer;
    const plain = scoreClv(model, c, { horizon: 52 });
    const discounted = scoreClv(model, c, { horizon: 52, discountRate: 0.1 });
    expect(plain.clv).toBeCloseTo(plain.expectedPurchases * plain.expectedSpend, 10);
    expect(discounted.clv).toBeLessThan(plain.clv);
    expect(discounted.clv).toBeGreaterThan(plain.clv / 1.1);
  });

  it('recovers the parameters of a simulated BG/NBD population', () => {
    const truth = { bgnbd: { r: 0.6, alpha: 5, a: 1.5, b: 4 }, gammaGamma: { p: 4, q: 5, v: 60 } };
    const sim = simulateCustomers(30_000, truth, { seed: 7, acquisitionDays: 365 });
    const fit = fitBgNbd(
      groupBgNbd(
        sim.x,
        Float64Array.from(sim.txDays, (d) => d / 7),
        Float64Array.from(sim.TDays, (d) => d / 7),
      ),
    );
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.params.r / truth.bgnbd.r - 1)).toBeLessThan(0.15);
    expect(Math.abs(fit.params.alpha / truth.bgnbd.alpha - 1)).toBeLessThan(0.2);
    expect(Math.abs(fit.params.a / truth.bgnbd.a - 1)).toBeLessThan(0.3);
    expect(Math.abs(fit.params.b / truth.bgnbd.b - 1)).toBeLessThan(0.3);
    const gg = fitGammaGamma(groupGammaGamma(sim.x, sim.monetary));
    expect(Math.abs(gg.params.p / truth.gammaGamma.p - 1)).toBeLessThan(0.15);
  });
});

describe('independence of input order', () => {
  it('gives the same report and customers whatever order the transactions come in', () => {
    const base = analyzeTransactions(transactions.slice(0, 3000), { calibrationEndDay: CALIBRATION_END, unit: 'week', horizon: 52 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        let state = seed;
        const keyed = transactions.slice(0, 3000).map((t) => {
          state = (state * 48271) % 2147483647;
          return { t, key: state };
        });
        keyed.sort((p, q) => p.key - q.key);
        const shuffled = analyzeTransactions(
          keyed.map((k) => k.t),
          { calibrationEndDay: CALIBRATION_END, unit: 'week', horizon: 52 },
        );
        expect(shuffled).toEqual(base);
      }),
      { numRuns: 3 },
    );
  });
});

describe('rapport clv', () => {
  it('prints the fit and the holdout for CDNOW, and writes one row per customer', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rapport-clv-')), 'customers.csv');
    const result = await runClvCommand([
      '--transactions',
      SAMPLE_FILE,
      '--format',
      'cdnow',
      '--calibration-end',
      '1997-09-30',
      '--out',
      out,
    ]);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ customers: 2357, model: 'bgnbd-gg', unit: 'week', horizon: 52, calibrationEnd: '1997-09-30' });
    expect(report.bgnbd.r.toFixed(3)).toBe('0.243');
    expect(report.bgnbd.alpha.toFixed(3)).toBe('4.414');
    expect(report.bgnbd.a.toFixed(3)).toBe('0.793');
    expect(report.bgnbd.b.toFixed(3)).toBe('2.426');
    expect(Object.keys(report.gammaGamma)).toEqual(expect.arrayContaining(['p', 'q', 'v']));
    expect(report.holdout.actualPurchases).toBe(1882);
    const [header, ...rows] = parseCsv(readFileSync(out, 'utf8'));
    expect(header).toEqual(['id', 'frequency', 'recency', 'T', 'monetary', 'pAlive', 'expectedPurchases', 'expectedSpend', 'clv']);
    expect(rows).toHaveLength(2357);
    const first = rows[0] as string[];
    expect(first[0]).toBe('0001');
    expect(Number(first[5])).toBeCloseTo(probabilityAlive(bgFit.params, 2, 213 / 7, 272 / 7), 5);
    expect(Number(first[8])).toBeCloseTo(Number(first[6]) * Number(first[7]), 2);
  });

  it('reads the csv format in days', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-clv-'));
    const file = join(dir, 'tx.csv');
    const lines = ['customer_id,date,amount'];
    for (const t of transactions) {
      const iso = new Date(t.day * 86_400_000).toISOString().slice(0, 10);
      lines.push(`"${t.customerId}",${iso},${t.amount}`);
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const result = await runClvCommand([
      '--transactions',
      file,
      '--format',
      'csv',
      '--calibration-end',
      '1997-09-30',
      '--unit',
      'day',
      '--horizon',
      '365',
    ]);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ customers: 2357, model: 'bgnbd-gg', unit: 'day', horizon: 365 });
    // days instead of weeks rescale α by 7 and leave r, a, b as they are
    expect(report.bgnbd.r).toBeCloseTo(bgFit.params.r, 3);
    expect(report.bgnbd.alpha / 7).toBeCloseTo(bgFit.params.alpha, 2);
    expect(report.bgnbd.a).toBeCloseTo(bgFit.params.a, 3);
    expect(report.bgnbd.b).toBeCloseTo(bgFit.params.b, 3);
  });

  it('refuses bad options and unreadable files', async () => {
    const base = ['--transactions', SAMPLE_FILE, '--calibration-end', '1997-09-30'];
    await expect(runClvCommand(base)).rejects.toThrow(AnalyticsUsageError);
    await expect(runClvCommand([...base, '--format', 'cdnow', '--unit', 'month'])).rejects.toThrow(AnalyticsUsageError);
    await expect(runClvCommand([...base, '--format', 'cdnow', '--horizon', '-3'])).rejects.toThrow(AnalyticsUsageError);
    await expect(runClvCommand(['--transactions', SAMPLE_FILE, '--format', 'cdnow', '--calibration-end', '1997-13-01'])).rejects.toThrow(
      AnalyticsUsageError,
    );
    await expect(runClvCommand([...base, '--format', 'csv'])).rejects.toThrow(AnalyticsDataError);
    await expect(runClvCommand(['--transactions', 'nope.txt', '--format', 'cdnow', '--calibration-end', '1997-09-30'])).rejects.toThrow(
      AnalyticsDataError,
    );
  });
});
