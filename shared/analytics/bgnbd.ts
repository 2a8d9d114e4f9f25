import { hyp2f1, logGamma, minimizeWithRestarts } from './numeric.ts';

/**
 * The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while
 * alive a customer buys at rate λ ~ Gamma(r, α); after each purchase they drop out with
 * probability p ~ Beta(a, b). Fitted by maximum likelihood on (x, tₓ, T) — repeat purchases,
 * time of the last one since the first, time since the first — with identical tuples merged
 * into one weighted row, so the cost of a fit grows with the number of distinct tuples, not
 * customers.
 */

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** Distinct (x, tₓ, T) tuples with how many customers have each, sorted by x, then T, then tₓ. */
export interface BgNbdData {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
  /** Σ weight: the customers. */
  customers: number;
}

/** The sorted distinct values of a column and, per row, the position of its value among them. */
export function distinctIndex(values: ArrayLike<number>): { distinct: Float64Array; index: Uint32Array } {
  const seen = new Set<number>();
  for (let i = 0; i < values.length; i++) seen.add(values[i] as number);
  const distinct = Float64Array.from(seen).sort();
  const position = new Map<number, number>();
  for (let k = 0; k < distinct.length; k++) position.set(distinct[k] as number, k);
  const index = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) index[i] = position.get(values[i] as number) as number;
  return { distinct, index };
}

/**
 * Merges identical tuples: each tuple becomes one integer key (its positions among the distinct
 * x, T and tₓ values), the keys are sorted, and runs of equal keys are one group. The groups come
 * out sorted by x, then T, then tₓ, so the same customers give the same arrays — and the same
 * sums, to the last bit — whatever order they came in.
 */
export function groupBgNbd(x: ArrayLike<number>, tx: ArrayLike<number>, T: ArrayLike<number>, weight?: ArrayLike<number>): BgNbdData {
  const n = x.length;
  if (tx.length !== n || T.length !== n || (weight && weight.length !== n))
    throw new RangeError('x, tx, T (and weight) must have the same length');
  for (let i = 0; i < n; i++) {
    const xi = x[i] as number;
    const ti = tx[i] as number;
    const Ti = T[i] as number;
    if (!(Number.isInteger(xi) && xi >= 0 && ti >= 0 && Ti >= ti && Number.isFinite(Ti))) {
      throw new RangeError(`invalid tuple x=${xi}, tx=${ti}, T=${Ti}: need a whole x ≥ 0 and 0 ≤ tx ≤ T`);
    }
  }
  const xs = distinctIndex(x);
  const Ts = distinctIndex(T);
  const txs = distinctIndex(tx);
  const nT = Ts.distinct.length;
  const nTx = txs.distinct.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = ((xs.index[i] as number) * nT + (Ts.index[i] as number)) * nTx + (txs.index[i] as number);
  // sort row numbers by key (weights follow their rows); without weights, sorting the keys is enough
  let order: Uint32Array | undefined;
  if (weight) {
    order = Uint32Array.from({ length: n }, (_, i) => i);
    order.sort((i, j) => (keys[i] as number) - (keys[j] as number));
  } else {
    keys.sort();
  }
  const gx: number[] = [];
  const gtx: number[] = [];
  const gT: number[] = [];
  const gw: number[] = [];
  let customers = 0;
  let previous = -1;
  for (let k = 0; k < n; k++) {
    const row = order ? (order[k] as number) : k;
    const key = keys[row] as number;
    const w = weight ? (weight[row] as number) : 1;
    customers += w;
    if (key === previous) {
      gw[gw.length - 1] = (gw[gw.length - 1] as number) + w;
      continue;
    }
    previous = key;
    const txIndex = key % nTx;
    const rest = (key - txIndex) / nTx;
    const TIndex = rest % nT;
    gx.push(xs.distinct[(rest - TIndex) / nT] as number);
    gT.push(Ts.distinct[TIndex] as number);
    gtx.push(txs.distinct[txIndex] as number);
    gw.push(w);
  }
  return { x: Float64Array.from(gx), tx: Float64Array.from(gtx), T: Float64Array.from(gT), weight: Float64Array.from(gw), customers };
}

/**
 * A compiled log-likelihood for one data set: the terms that depend only on x, only on T or only
 * on tₓ are computed once per distinct value per evaluation, and the per-tuple work is a few
 * multiplications and one log-sum-exp.
 */
export function bgnbdLogLikelihoodFunction(data: BgNbdData): (params: BgNbdParams) => number {
  const xs = distinctIndex(data.x);
  const Ts = distinctIndex(data.T);
  const txs = distinctIndex(data.tx);
  const nx = xs.distinct.length;
  const base = new Float64Array(nx);
  const logA4 = new Float64Array(nx);
  const logT = new Float64Array(Ts.distinct.length);
  const logTx = new Float64Array(txs.distinct.length);
  const { weight } = data;
  const groups = weight.length;
  const xValue = xs.distinct;
  const xIndex = xs.index;
  const tIndex = Ts.index;
  const txIndex = txs.index;
  // distinct x are sorted: every index from here on has x > 0
  const firstRepeat = xValue[0] === 0 ? 1 : 0;
  return ({ r, alpha, a, b }) => {
    if (!(r > 0 && alpha > 0 && a > 0 && b > 0)) return Number.NaN;
    const common = -logGamma(r) + logGamma(a + b) - logGamma(b) + r * Math.log(alpha);
    const logA = Math.log(a);
    for (let k = 0; k < nx; k++) {
      const x = xs.distinct[k] as number;
      // A1 + A2 of Fader, Hardie & Lee's note: Γ(r+x) α^r / Γ(r) · B(a, b+x) / B(a, b)
      base[k] = common + logGamma(r + x) + logGamma(b + x) - logGamma(a + b + x);
      logA4[k] = x > 0 ? logA - Math.log(b + x - 1) : Number.NEGATIVE_INFINITY;
    }
    for (let k = 0; k < logT.length; k++) logT[k] = Math.log(alpha + (Ts.distinct[k] as number));
    for (let k = 0; k < logTx.length; k++) logTx[k] = Math.log(alpha + (txs.distinct[k] as number));
    let total = 0;
    for (let g = 0; g < groups; g++) {
      const kx = xIndex[g] as number;
      const rx = r + (xValue[kx] as number);
      const a3 = -rx * (logT[tIndex[g] as number] as number);
      let ll = a3;
      if (kx >= firstRepeat) {
        // log(e^A3 + e^A4) = A3 + log(1 + e^d), d = A4 − A3 = log a − log(b+x−1) + (r+x) log((α+T)/(α+tₓ))
        const d = (logA4[kx] as number) - rx * (logTx[txIndex[g] as number] as number) - a3;
        // log rather than log1p: the absolute error is the same (~1e-16) and this is a sum of absolutes
        ll += d > 0 ? d + Math.log(1 + Math.exp(-d)) : Math.log(1 + Math.exp(d));
      }
      total += (weight[g] as number) * ((base[kx] as number) + ll);
    }
    return total;
  };
}

export function bgnbdLogLikelihood(params: BgNbdParams, data: BgNbdData): number {
  return bgnbdLogLikelihoodFunction(data)(params);
}

export interface BgNbdFit {
  params: BgNbdParams;
  logLikelihood: number;
  converged: boolean;
  iterations: number;
  evaluations: number;
}

const fromLog = (theta: readonly number[]): BgNbdParams => ({
  r: Math.exp(theta[0] as number),
  alpha: Math.exp(theta[1] as number),
  a: Math.exp(theta[2] as number),
  b: Math.exp(theta[3] as number),
});

/** A log-parameter beyond ±25 means the likelihood kept improving toward a boundary: no usable fit. */
const DIVERGED = 25;

/** Above this many distinct tuples a fit first finds its start on a systematic sample of the customers. */
const PILOT_GROUPS = 12_000;
const PILOT_FRACTION = 8;

/**
 * Every k-th customer along the sorted groups (systematic sampling): a sample spread over all
 * of x, T and tₓ, the same on every run. Used only to find a good start.
 */
function thin(data: BgNbdData, k: number): BgNbdData {
  const keep: number[] = [];
  const weights: number[] = [];
  let cumulative = 0;
  for (let g = 0; g < data.weight.length; g++) {
    const before = Math.floor(cumulative / k);
    cumulative += data.weight[g] as number;
    const w = Math.floor(cumulative / k) - before;
    if (w > 0) {
      keep.push(g);
      weights.push(w);
    }
  }
  const pick = (column: Float64Array) => Float64Array.from(keep, (g) => column[g] as number);
  return {
    x: pick(data.x),
    tx: pick(data.tx),
    T: pick(data.T),
    weight: Float64Array.from(weights),
    customers: weights.reduce((s, w) => s + w, 0),
  };
}

/**
 * Maximum likelihood over the log-parameters (so every parameter stays positive) by Nelder–Mead,
 * restarted from the best point until a fresh simplex no longer improves on it. The objective is
 * the mean negative log-likelihood per customer, so the tolerances mean the same for a hundred
 * customers as for ten million. A small data set is fitted from three starts scaled to its time
 * unit; a large one (many distinct tuples) starts from the fit of a one-in-eight sample of its
 * customers, found the same way — most of the simplex's steps are then taken on the cheap sample.
 */
export function fitBgNbd(data: BgNbdData): BgNbdFit {
  if (data.customers <= 0) throw new RangeError('no customers to fit');
  const ll = bgnbdLogLikelihoodFunction(data);
  const objective = (theta: number[]) => -ll(fromLog(theta)) / data.customers;
  let starts: number[][];
  let step = 0.5;
  let xTolerance = 1e-8;
  let pilotIterations = 0;
  let pilotEvaluations = 0;
  const sample = data.weight.length > PILOT_GROUPS ? thin(data, PILOT_FRACTION) : undefined;
  if (sample && sample.customers >= 1000) {
    const pilot = fitBgNbd(sample);
    const { r, alpha, a, b } = pilot.params;
    starts = [[Math.log(r), Math.log(alpha), Math.log(a), Math.log(b)]];
    step = 0.05;
    // a millionth in log-parameters: far below the standard errors of a fit this size
    xTolerance = 1e-6;
    pilotIterations = pilot.iterations;
    pilotEvaluations = pilot.evaluations;
  } else {
    let meanT = 0;
    let meanX = 0;
    for (let g = 0; g < data.weight.length; g++) {
      meanT += ((data.weight[g] as number) * (data.T[g] as number)) / data.customers;
      meanX += ((data.weight[g] as number) * (data.x[g] as number)) / data.customers;
    }
    // α is in time units: start it near the mean time between purchases
    const scale = Math.log(Math.max(meanT, 1e-3) / (1 + meanX));
    starts = [
      [0, scale, 0, 0],
      [Math.log(0.5), scale, Math.log(0.5), Math.log(2)],
      [Math.log(2), scale + 1, Math.log(2), Math.log(5)],
    ];
  }
  const result = minimizeWithRestarts(objective, starts, { xTolerance, fTolerance: 1e-12, step });
  const diverged = result.x.some((v) => Math.abs(v) > DIVERGED);
  return {
    params: fromLog(result.x),
    logLikelihood: -result.fx * data.customers,
    converged: result.converged && !diverged,
    iterations: result.iterations + pilotIterations,
    evaluations: result.evaluations + pilotEvaluations,
  };
}

/** log of a/(b+x−1) · ((α+T)/(α+tₓ))^(r+x): P(alive) = 1 / (1 + e^this) when x > 0. */
function logDeathOdds({ r, alpha, a, b }: BgNbdParams, x: number, tx: number, T: number): number {
  return Math.log(a) - Math.log(b + x - 1) + (r + x) * Math.log((alpha + T) / (alpha + tx));
}

/** 1 / (1 + e^L) without overflow. */
const logistic = (logOdds: number) => (logOdds > 0 ? Math.exp(-logOdds) / (1 + Math.exp(-logOdds)) : 1 / (1 + Math.exp(logOdds)));

/** P(alive | x, tₓ, T): 1 for a customer with no repeat purchase (the model lets them drop out only after one). */
export function probabilityAlive(params: BgNbdParams, x: number, tx: number, T: number): number {
  return x === 0 ? 1 : logistic(logDeathOdds(params, x, tx, T));
}

/**
 * 1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z) with z = t/(α+T+t), through Euler's
 * transformation ₂F₁(A, B; C; z) = (1−z)^(C−A−B) ₂F₁(C−A, C−B; C; z): the powers cancel to
 * (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z), whose terms shrink from the start whatever x is
 * (the direct series grows like (1−z)^−x before it converges, and overflows for big x).
 */
function purchaseFactor({ r, alpha, a, b }: BgNbdParams, t: number, x: number, T: number): number {
  const z = t / (alpha + T + t);
  const c = a + b + x - 1;
  return 1 - (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, c, z);
}

/**
 * Expected purchases in (T, T + t] of a customer with history (x, tₓ, T): equation (10) of
 * Fader, Hardie & Lee (2005).
 */
export function expectedPurchases(params: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (t <= 0) return 0;
  const { a, b } = params;
  const numerator = ((a + b + x - 1) / (a - 1)) * purchaseFactor(params, t, x, T);
  return x === 0 ? numerator : numerator * logistic(logDeathOdds(params, x, tx, T));
}

/** Expected purchases in (0, t] of a customer just acquired: E[X(t)], equation (9). */
export function expectedPurchasesNew(params: BgNbdParams, t: number): number {
  return expectedPurchases(params, t, 0, 0, 0);
}
