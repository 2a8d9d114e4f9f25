import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type BgNbdFit, type BgNbdParams, distinctIndex, expectedPurchases, fitBgNbd, groupBgNbd, probabilityAlive } from './bgnbd.ts';
import { CsvFormatError, formatCsv } from './csv.ts';
import { AnalyticsDataError, AnalyticsUsageError } from './errors.ts';
import { expectedSpend, fitGammaGamma, type GammaGammaFit, type GammaGammaParams, groupGammaGamma } from './gamma-gamma.ts';
import { isoDay, isoOfDay } from './numeric.ts';
import {
  type ClvCustomer,
  parseCdnow,
  parseTransactionsCsv,
  summarizeTransactions,
  type TimeUnit,
  type Transaction,
  UNIT_DAYS,
} from './transactions.ts';

/**
 * Customer lifetime value (DESIGN §6): BG/NBD for the number of future purchases and P(alive),
 * Gamma-Gamma for the spend per purchase, both fitted by maximum likelihood on the customers'
 * (frequency, recency, T, mean repeat spend) summary. CLV over a horizon = expected purchases in
 * the horizon × expected spend per purchase. With too little data — fewer than 50 customers with
 * a repeat purchase — or a fit that does not converge, the numbers come from historical averages
 * instead, and say so (`model: 'historical'`).
 */

export {
  type BgNbdData,
  type BgNbdFit,
  type BgNbdParams,
  bgnbdLogLikelihood,
  expectedPurchases,
  expectedPurchasesNew,
  fitBgNbd,
  groupBgNbd,
  probabilityAlive,
} from './bgnbd.ts';
export {
  expectedSpend,
  fitGammaGamma,
  type GammaGammaData,
  type GammaGammaFit,
  type GammaGammaParams,
  gammaGammaLogLikelihood,
  groupGammaGamma,
} from './gamma-gamma.ts';
export {
  type ClvCustomer,
  parseCdnow,
  parseTransactionsCsv,
  summarizeTransactions,
  type TimeUnit,
  type Transaction,
} from './transactions.ts';

/** The repeat customers a model fit needs at least; below it the historical averages are used. */
export const MIN_REPEAT_CUSTOMERS = 50;

/** Above this, a BG/NBD dropout parameter (a or b) has diverged rather than been estimated. */
const MAX_DROPOUT_PARAMETER = 10_000;

/** What a customer's CLV is computed from: the BG/NBD summary and the mean repeat spend. */
export interface ClvInput {
  frequency: number;
  recency: number;
  T: number;
  monetary: number;
  /** The first purchase's amount; the historical model's spend for a one-time buyer. */
  firstAmount?: number;
}

export type ClvModel =
  | {
      model: 'bgnbd-gg';
      bgnbd: BgNbdFit;
      gammaGamma: GammaGammaFit;
      customers: number;
      repeatCustomers: number;
    }
  | {
      model: 'historical';
      /** Why the models were not used. */
      reason: string;
      /** Σ x / Σ T: repeat purchases per unit of time over all customers. */
      repeatRate: number;
      /** Mean T: how much history the shop rate stands for (see historicalPurchases). */
      meanT: number;
      /** Mean repeat spend per purchase over all repeat purchases (or first purchases when there are none). */
      meanSpend: number;
      customers: number;
      repeatCustomers: number;
    };

function historicalModel(customers: readonly ClvInput[], reason: string): ClvModel {
  let sumX = 0;
  let sumT = 0;
  let repeatSpend = 0;
  let firstSpend = 0;
  let repeatCustomers = 0;
  for (const c of customers) {
    sumX += c.frequency;
    sumT += c.T;
    repeatSpend += c.frequency * c.monetary;
    firstSpend += c.firstAmount ?? 0;
    if (c.frequency > 0) repeatCustomers++;
  }
  const n = customers.length;
  return {
    model: 'historical',
    reason,
    repeatRate: sumT > 0 ? sumX / sumT : 0,
    meanT: n > 0 ? sumT / n : 0,
    meanSpend: sumX > 0 ? repeatSpend / sumX : n > 0 ? firstSpend / n : 0,
    customers: n,
    repeatCustomers,
  };
}

/**
 * Fits both models on the customers, or falls back to the historical averages (see ClvModel).
 * The customers may come in any order: the fits read sorted groups.
 */
export function fitClvModel(customers: readonly ClvInput[], { minRepeatCustomers = MIN_REPEAT_CUSTOMERS } = {}): ClvModel {
  const repeatCustomers = customers.filter((c) => c.frequency > 0).length;
  if (repeatCustomers < minRepeatCustomers) {
    return historicalModel(customers, `only ${repeatCustomers} customers with a repeat purchase (the models need ${minRepeatCustomers})`);
  }
  const bgnbd = fitBgNbd(
    groupBgNbd(
      customers.map((c) => c.frequency),
      customers.map((c) => c.recency),
      customers.map((c) => c.T),
    ),
  );
  if (!bgnbd.converged) return historicalModel(customers, 'the BG/NBD fit did not converge');
  // a, b running off together (a Beta dropout with no spread) means the data cannot tell dropout
  // apart from a lower purchase rate; its predictions are neither stable nor computable. Seen on
  // small shops with short histories.
  const { a, b } = bgnbd.params;
  if (!(a < MAX_DROPOUT_PARAMETER && b < MAX_DROPOUT_PARAMETER)) {
    return historicalModel(customers, `the BG/NBD dropout parameters diverged (a = ${a.toPrecision(3)}, b = ${b.toPrecision(3)})`);
  }
  const ggData = groupGammaGamma(
    customers.map((c) => c.frequency),
    customers.map((c) => c.monetary),
  );
  if (ggData.customers < minRepeatCustomers) {
    return historicalModel(
      customers,
      `only ${ggData.customers} customers with a positive repeat spend (the models need ${minRepeatCustomers})`,
    );
  }
  const gammaGamma = fitGammaGamma(ggData);
  if (!gammaGamma.converged) return historicalModel(customers, 'the Gamma-Gamma fit did not converge');
  // the population mean spend pv/(q−1) exists only for q > 1
  if (!(gammaGamma.params.q > 1))
    return historicalModel(customers, `the Gamma-Gamma fit has q = ${gammaGamma.params.q} ≤ 1 (no finite mean spend)`);
  return { model: 'bgnbd-gg', bgnbd, gammaGamma, customers: customers.length, repeatCustomers };
}

export interface ClvScore {
  /** null under the historical model, which does not estimate it. */
  pAlive: number | null;
  expectedPurchases: number;
  expectedSpend: number;
  clv: number;
}

export interface ClvScoreOptions {
  /** In the model's time unit (52 weeks or 365 days for 12 months). */
  horizon: number;
  /**
   * Yearly discount rate (0.1 = 10 %). When set, the horizon is cut into 12 equal slices and the
   * purchases expected in each are discounted from the slice's end: Σ ΔE[purchases] × spend /
   * (1 + d)^(years to the slice's end). Unset or 0: no discounting.
   */
  discountRate?: number;
  /** Time units per year, for discounting: 365.25 / 7 for weeks, 365.25 for days. */
  unitsPerYear?: number;
}

/**
 * The historical model's expected purchases: the customer's own repeat rate, pooled with the
 * shop's rate as if the customer had also been watched for one average customer lifetime at
 * that rate — so a customer seen for a day is not extrapolated from one day, and a long history
 * counts for what it is.
 */
function historicalPurchases(model: Extract<ClvModel, { model: 'historical' }>, c: ClvInput, t: number): number {
  const rate = (c.frequency + model.repeatRate * model.meanT) / (c.T + model.meanT);
  return Number.isFinite(rate) ? rate * t : 0;
}

function purchasesBy(model: ClvModel, c: ClvInput, t: number): number {
  return model.model === 'bgnbd-gg'
    ? expectedPurchases(model.bgnbd.params, t, c.frequency, c.recency, c.T)
    : historicalPurchases(model, c, t);
}

/** Expected spend per purchase: Gamma-Gamma's, or the customer's own mean repeat spend, else the shop's. */
function spendOf(model: ClvModel, c: ClvInput): number {
  if (model.model === 'bgnbd-gg') return expectedSpend(model.gammaGamma.params, c.frequency, c.monetary);
  return c.frequency > 0 && c.monetary > 0 ? c.monetary : model.meanSpend;
}

/** pAlive, expected purchases and spend, and CLV over the horizon, for one customer. */
export function scoreClv(model: ClvModel, c: ClvInput, options: ClvScoreOptions): ClvScore {
  const { horizon, discountRate = 0, unitsPerYear = 365.25 / 7 } = options;
  const purchases = purchasesBy(model, c, horizon);
  const spend = spendOf(model, c);
  let clv = purchases * spend;
  if (discountRate > 0) {
    clv = 0;
    let before = 0;
    for (let k = 1; k <= 12; k++) {
      const t = (horizon * k) / 12;
      const upTo = purchasesBy(model, c, t);
      clv += ((upTo - before) * spend) / (1 + discountRate) ** (t / unitsPerYear);
      before = upTo;
    }
  }
  return {
    pAlive: model.model === 'bgnbd-gg' ? probabilityAlive(model.bgnbd.params, c.frequency, c.recency, c.T) : null,
    expectedPurchases: purchases,
    expectedSpend: spend,
    clv,
  };
}

/**
 * Scores many customers, computing each distinct (x, tₓ, T) only once: with order dates in whole
 * days most customers share their tuple with others, and the expected purchases (a hypergeometric
 * series) are the costly part.
 */
export function scoreClvMany(model: ClvModel, customers: readonly ClvInput[], options: ClvScoreOptions): ClvScore[] {
  if (options.discountRate) return customers.map((c) => scoreClv(model, c, options));
  const cache = new Map<number, Map<number, Map<number, ClvScore>>>();
  return customers.map((c) => {
    let byT = cache.get(c.frequency);
    if (!byT) {
      byT = new Map();
      cache.set(c.frequency, byT);
    }
    let byTx = byT.get(c.T);
    if (!byTx) {
      byTx = new Map();
      byT.set(c.T, byTx);
    }
    const hit = byTx.get(c.recency);
    if (!hit) {
      const score = scoreClv(model, c, options);
      byTx.set(c.recency, score);
      return score;
    }
    const spend = spendOf(model, c);
    return { pAlive: hit.pAlive, expectedPurchases: hit.expectedPurchases, expectedSpend: spend, clv: hit.expectedPurchases * spend };
  });
}

export interface ClvColumns {
  frequency: ArrayLike<number>;
  recency: ArrayLike<number>;
  T: ArrayLike<number>;
  monetary: ArrayLike<number>;
}

export interface ClvScoreColumns {
  /** NaN under the historical model. */
  pAlive: Float64Array;
  expectedPurchases: Float64Array;
  expectedSpend: Float64Array;
  clv: Float64Array;
}

/**
 * scoreClvMany for a whole shop in typed arrays (one entry per customer, no objects): each
 * distinct (x, tₓ, T) is scored once. Undiscounted; see scoreClv for discounting.
 */
export function scoreClvColumns(model: ClvModel, columns: ClvColumns, options: { horizon: number }): ClvScoreColumns {
  const n = columns.frequency.length;
  const xs = distinctIndex(columns.frequency);
  const Ts = distinctIndex(columns.T);
  const txs = distinctIndex(columns.recency);
  const slots = new Map<number, number>();
  const tuplePAlive: number[] = [];
  const tuplePurchases: number[] = [];
  const out: ClvScoreColumns = {
    pAlive: new Float64Array(n),
    expectedPurchases: new Float64Array(n),
    expectedSpend: new Float64Array(n),
    clv: new Float64Array(n),
  };
  const nT = Ts.distinct.length;
  const nTx = txs.distinct.length;
  for (let i = 0; i < n; i++) {
    const key = ((xs.index[i] as number) * nT + (Ts.index[i] as number)) * nTx + (txs.index[i] as number);
    const c: ClvInput = {
      frequency: columns.frequency[i] as number,
      recency: columns.recency[i] as number,
      T: columns.T[i] as number,
      monetary: columns.monetary[i] as number,
    };
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = tuplePurchases.length;
      slots.set(key, slot);
      tuplePurchases.push(purchasesBy(model, c, options.horizon));
      tuplePAlive.push(model.model === 'bgnbd-gg' ? probabilityAlive(model.bgnbd.params, c.frequency, c.recency, c.T) : Number.NaN);
    }
    const purchases = tuplePurchases[slot] as number;
    const spend = spendOf(model, c);
    out.pAlive[i] = tuplePAlive[slot] as number;
    out.expectedPurchases[i] = purchases;
    out.expectedSpend[i] = spend;
    out.clv[i] = purchases * spend;
  }
  return out;
}

export interface HoldoutCheck {
  /** First and last day of the holdout period (the day after the calibration end, the last transaction day). */
  from: string;
  to: string;
  /** Its length in the model's time unit. */
  length: number;
  customers: number;
  predictedPurchases: number;
  actualPurchases: number;
  /** Mean over customers of |predicted − actual| purchases. */
  meanAbsoluteError: number;
  /** Mean predicted and actual holdout purchases by calibration frequency (0 … 6, then 7+). */
  byFrequency: { frequency: string; customers: number; predicted: number; actual: number }[];
}

/**
 * The model's predictions for the holdout period — after the calibration end, up to the last
 * transaction — against the purchases the customers actually made in it (purchase days, merged
 * the same way as in calibration).
 */
export function holdoutCheck(
  model: ClvModel,
  customers: readonly (ClvInput & { holdoutPurchases: number })[],
  period: { calibrationEndDay: number; lastDay: number; unit: TimeUnit },
): HoldoutCheck | null {
  const days = period.lastDay - period.calibrationEndDay;
  if (days <= 0 || customers.length === 0) return null;
  const length = days / UNIT_DAYS[period.unit];
  const predicted = scoreClvMany(model, customers, { horizon: length }).map((score) => score.expectedPurchases);
  let predictedPurchases = 0;
  let actualPurchases = 0;
  let absoluteError = 0;
  const buckets = Array.from({ length: 8 }, (_, k) => ({ frequency: k < 7 ? String(k) : '7+', customers: 0, predicted: 0, actual: 0 }));
  customers.forEach((c, i) => {
    const p = predicted[i] as number;
    predictedPurchases += p;
    actualPurchases += c.holdoutPurchases;
    absoluteError += Math.abs(p - c.holdoutPurchases);
    const bucket = buckets[Math.min(c.frequency, 7)] as (typeof buckets)[number];
    bucket.customers++;
    bucket.predicted += p;
    bucket.actual += c.holdoutPurchases;
  });
  return {
    from: isoOfDay(period.calibrationEndDay + 1),
    to: isoOfDay(period.lastDay),
    length,
    customers: customers.length,
    predictedPurchases,
    actualPurchases,
    meanAbsoluteError: absoluteError / customers.length,
    byFrequency: buckets
      .filter((b) => b.customers > 0)
      .map((b) => ({
        frequency: b.frequency,
        customers: b.customers,
        predicted: b.predicted / b.customers,
        actual: b.actual / b.customers,
      })),
  };
}

const CLV_USAGE =
  'usage: rapport clv --transactions <file> --format cdnow|csv --calibration-end <YYYY-MM-DD> [--unit week|day] [--horizon <units>] [--out customers.csv]';

const round = (value: number, digits: number) => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

export interface ClvReport {
  customers: number;
  model: ClvModel['model'];
  reason?: string;
  unit: TimeUnit;
  calibrationEnd: string;
  horizon: number;
  bgnbd: (BgNbdParams & { logLikelihood: number }) | null;
  gammaGamma: (GammaGammaParams & { logLikelihood: number; customers: number }) | null;
  historical?: { repeatRate: number; meanSpend: number };
  acquiredAfterCalibration: number;
  totals: { expectedPurchases: number; clv: number };
  holdout?: HoldoutCheck;
}

/** The whole analysis of one transaction file, as the command prints it (numbers rounded for reading). */
export function analyzeTransactions(
  transactions: Iterable<Transaction>,
  options: { calibrationEndDay: number; unit: TimeUnit; horizon: number },
): { report: ClvReport; customers: (ClvCustomer & ClvScore)[] } {
  const summary = summarizeTransactions(transactions, options);
  const model = fitClvModel(summary.customers);
  const scores = scoreClvMany(model, summary.customers, { horizon: options.horizon });
  const customers = summary.customers.map((c, i) => ({ ...c, ...(scores[i] as ClvScore) }));
  let expectedPurchasesTotal = 0;
  let clvTotal = 0;
  for (const c of customers) {
    expectedPurchasesTotal += c.expectedPurchases;
    clvTotal += c.clv;
  }
  const holdout = holdoutCheck(model, summary.customers, summary);
  const report: ClvReport = {
    customers: summary.customers.length,
    model: model.model,
    ...(model.model === 'historical' ? { reason: model.reason } : {}),
    unit: options.unit,
    calibrationEnd: isoOfDay(options.calibrationEndDay),
    horizon: options.horizon,
    bgnbd:
      model.model === 'bgnbd-gg'
        ? {
            r: round(model.bgnbd.params.r, 6),
            alpha: round(model.bgnbd.params.alpha, 6),
            a: round(model.bgnbd.params.a, 6),
            b: round(model.bgnbd.params.b, 6),
            logLikelihood: round(model.bgnbd.logLikelihood, 4),
          }
        : null,
    gammaGamma:
      model.model === 'bgnbd-gg'
        ? {
            p: round(model.gammaGamma.params.p, 6),
            q: round(model.gammaGamma.params.q, 6),
            v: round(model.gammaGamma.params.v, 6),
            logLikelihood: round(model.gammaGamma.logLikelihood, 4),
            customers: model.gammaGamma.customers,
          }
        : null,
    ...(model.model === 'historical'
      ? { historical: { repeatRate: round(model.repeatRate, 6), meanSpend: round(model.meanSpend, 4) } }
      : {}),
    acquiredAfterCalibration: summary.acquiredAfterCalibration,
    totals: { expectedPurchases: round(expectedPurchasesTotal, 3), clv: round(clvTotal, 2) },
    ...(holdout
      ? {
          holdout: {
            ...holdout,
            length: round(holdout.length, 4),
            predictedPurchases: round(holdout.predictedPurchases, 2),
            meanAbsoluteError: round(holdout.meanAbsoluteError, 4),
            byFrequency: holdout.byFrequency.map((b) => ({ ...b, predicted: round(b.predicted, 4), actual: round(b.actual, 4) })),
          },
        }
      : {}),
  };
  return { report, customers };
}

/**
 * `rapport clv --transactions <file> --format cdnow|csv --calibration-end <YYYY-MM-DD>
 * [--unit week|day] [--horizon <units>] [--out customers.csv]` (DESIGN §8). Prints the report as
 * JSON — customers, the BG/NBD and Gamma-Gamma parameters, the model used, and a holdout check
 * when the file goes past the calibration end; --out writes one row per customer. The horizon
 * defaults to 12 months: 52 weeks or 365 days. Throws AnalyticsUsageError for bad arguments and
 * AnalyticsDataError for an unreadable file.
 */
export async function runClvCommand(argv: string[]): Promise<{ stdout: string; exitCode: number }> {
  let values: { transactions?: string; format?: string; 'calibration-end'?: string; unit?: string; horizon?: string; out?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        transactions: { type: 'string' },
        format: { type: 'string' },
        'calibration-end': { type: 'string' },
        unit: { type: 'string' },
        horizon: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new AnalyticsUsageError(`${(error as Error).message}\n${CLV_USAGE}`);
  }
  if (!values.transactions) throw new AnalyticsUsageError(`--transactions is required\n${CLV_USAGE}`);
  if (values.format !== 'cdnow' && values.format !== 'csv') throw new AnalyticsUsageError(`--format must be cdnow or csv\n${CLV_USAGE}`);
  const calibrationEnd = values['calibration-end'] ?? '';
  const calibrationEndDay = isoDay(calibrationEnd);
  if (calibrationEnd.length !== 10 || Number.isNaN(calibrationEndDay)) {
    throw new AnalyticsUsageError(`--calibration-end must be a YYYY-MM-DD date\n${CLV_USAGE}`);
  }
  const unit = (values.unit ?? 'week') as TimeUnit;
  if (unit !== 'week' && unit !== 'day') throw new AnalyticsUsageError(`--unit must be week or day\n${CLV_USAGE}`);
  const horizon = values.horizon === undefined ? (unit === 'week' ? 52 : 365) : Number(values.horizon);
  if (!(Number.isFinite(horizon) && horizon > 0))
    throw new AnalyticsUsageError(`--horizon must be a positive number of ${unit}s\n${CLV_USAGE}`);

  let text: string;
  try {
    text = await readFile(values.transactions, 'utf8');
  } catch (error) {
    throw new AnalyticsDataError(`cannot read ${values.transactions}: ${(error as Error).message}`);
  }
  let transactions: Transaction[];
  try {
    transactions = values.format === 'cdnow' ? parseCdnow(text) : parseTransactionsCsv(text);
  } catch (error) {
    if (error instanceof CsvFormatError || error instanceof AnalyticsDataError)
      throw new AnalyticsDataError(`${values.transactions}: ${error.message}`);
    throw error;
  }
  if (transactions.length === 0) throw new AnalyticsDataError(`${values.transactions}: no transactions`);
  const { report, customers } = analyzeTransactions(transactions, { calibrationEndDay, unit, horizon });
  if (report.customers === 0) throw new AnalyticsDataError(`${values.transactions}: no customer bought on or before ${calibrationEnd}`);
  if (values.out) {
    const csv = formatCsv(
      ['id', 'frequency', 'recency', 'T', 'monetary', 'pAlive', 'expectedPurchases', 'expectedSpend', 'clv'],
      customers.map((c) => [
        c.customerId,
        c.frequency,
        round(c.recency, 6),
        round(c.T, 6),
        round(c.monetary, 4),
        c.pAlive === null ? '' : round(c.pAlive, 6),
        round(c.expectedPurchases, 6),
        round(c.expectedSpend, 4),
        round(c.clv, 4),
      ]),
    );
    await writeFile(values.out, csv);
  }
  return { stdout: `${JSON.stringify(report, null, 2)}\n`, exitCode: 0 };
}
