import { goldenSection, logGamma, minimizeWithRestarts } from './numeric.ts';

/**
 * The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo
 * & Jiang 1999): a customer's transaction values are Gamma(p, ν) around their own mean, with
 * ν ~ Gamma(q, v) across customers. Fitted on customers with x > 0 repeat purchases and their
 * mean repeat spend m (the first purchase excluded, as in the paper).
 */

export interface GammaGammaParams {
  p: number;
  q: number;
  v: number;
}

/** Customers with x > 0 and m > 0, sorted by x then m, with a weight each (merged when identical). */
export interface GammaGammaData {
  x: Float64Array;
  m: Float64Array;
  weight: Float64Array;
  customers: number;
}

/**
 * Keeps the customers the model applies to (x > 0, m > 0) and merges identical (x, m): bucketed by
 * x, each bucket's spends sorted as numbers, so the result is the same in any input order.
 */
export function groupGammaGamma(x: ArrayLike<number>, m: ArrayLike<number>, weight?: ArrayLike<number>): GammaGammaData {
  const buckets = new Map<number, { m: number[]; w: number[] }>();
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number;
    const mi = m[i] as number;
    if (!(xi > 0 && mi > 0 && Number.isFinite(mi))) continue;
    let bucket = buckets.get(xi);
    if (!bucket) {
      bucket = { m: [], w: [] };
      buckets.set(xi, bucket);
    }
    bucket.m.push(mi);
    if (weight) bucket.w.push(weight[i] as number);
  }
  const xs: number[] = [];
  const ms: number[] = [];
  const ws: number[] = [];
  let customers = 0;
  for (const xi of [...buckets.keys()].sort((p, q) => p - q)) {
    const bucket = buckets.get(xi) as { m: number[]; w: number[] };
    let order: ArrayLike<number>;
    let values: ArrayLike<number>;
    if (weight) {
      order = Uint32Array.from(bucket.m, (_, k) => k).sort((i, j) => (bucket.m[i] as number) - (bucket.m[j] as number));
      values = bucket.m;
    } else {
      values = Float64Array.from(bucket.m).sort();
      order = Uint32Array.from(values, (_, k) => k);
    }
    for (let k = 0; k < order.length; k++) {
      const row = order[k] as number;
      const mi = values[row] as number;
      const w = weight ? (bucket.w[row] as number) : 1;
      customers += w;
      if (xs[xs.length - 1] === xi && ms[ms.length - 1] === mi) ws[ws.length - 1] = (ws[ws.length - 1] as number) + w;
      else {
        xs.push(xi);
        ms.push(mi);
        ws.push(w);
      }
    }
  }
  return { x: Float64Array.from(xs), m: Float64Array.from(ms), weight: Float64Array.from(ws), customers };
}

/**
 * The log-likelihood split by what it depends on. Per customer it is
 *   ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m + px ln x − (px+q) ln(xm+v)
 * so per distinct x only the customer count, Σ ln m and Σ ln(xm+v) are needed; the last is the
 * one sum over all customers, and it depends on v alone.
 */
class GammaGammaTerms {
  readonly xs: Float64Array;
  readonly count: Float64Array;
  readonly sumLogM: Float64Array;
  private readonly start: Uint32Array;
  private readonly xm: Float64Array;
  private readonly weight: Float64Array;
  readonly sumLogXmV: Float64Array;
  private cachedV = Number.NaN;

  constructor(data: GammaGammaData) {
    const distinct = [...new Set(data.x)].sort((p, q) => p - q);
    this.xs = Float64Array.from(distinct);
    this.count = new Float64Array(distinct.length);
    this.sumLogM = new Float64Array(distinct.length);
    this.sumLogXmV = new Float64Array(distinct.length);
    this.start = new Uint32Array(distinct.length + 1);
    this.xm = Float64Array.from(data.x, (x, i) => x * (data.m[i] as number));
    this.weight = data.weight;
    // data is sorted by x: each distinct x is one run
    let k = -1;
    for (let i = 0; i < data.x.length; i++) {
      if (k < 0 || data.x[i] !== this.xs[k]) {
        k++;
        this.start[k] = i;
      }
      this.count[k] = (this.count[k] as number) + (data.weight[i] as number);
      this.sumLogM[k] = (this.sumLogM[k] as number) + (data.weight[i] as number) * Math.log(data.m[i] as number);
    }
    this.start[distinct.length] = data.x.length;
  }

  /** Σ w ln(xm + v) per distinct x: one pass over the customers, skipped when v has not changed. */
  prepare(v: number): void {
    if (v === this.cachedV) return;
    for (let k = 0; k < this.xs.length; k++) {
      let sum = 0;
      for (let i = this.start[k] as number; i < (this.start[k + 1] as number); i++)
        sum += (this.weight[i] as number) * Math.log((this.xm[i] as number) + v);
      this.sumLogXmV[k] = sum;
    }
    this.cachedV = v;
  }

  /** The log-likelihood at (p, q, v); prepare(v) first. */
  logLikelihood(p: number, q: number, v: number): number {
    if (!(p > 0 && q > 0 && v > 0)) return Number.NaN;
    const logV = Math.log(v);
    const lgq = logGamma(q);
    let total = 0;
    for (let k = 0; k < this.xs.length; k++) {
      const x = this.xs[k] as number;
      const px = p * x;
      const n = this.count[k] as number;
      total +=
        n * (logGamma(px + q) - logGamma(px) - lgq + q * logV + px * Math.log(x)) +
        (px - 1) * (this.sumLogM[k] as number) -
        (px + q) * (this.sumLogXmV[k] as number);
    }
    return total;
  }
}

export function gammaGammaLogLikelihood(params: GammaGammaParams, data: GammaGammaData): number {
  const terms = new GammaGammaTerms(data);
  terms.prepare(params.v);
  return terms.logLikelihood(params.p, params.q, params.v);
}

export interface GammaGammaFit {
  params: GammaGammaParams;
  logLikelihood: number;
  converged: boolean;
  evaluations: number;
  /** Σ weight: the customers fitted on (x > 0, m > 0). */
  customers: number;
}

const DIVERGED = 25;

/**
 * Maximum likelihood by profiling v: for a fixed v the best (p, q) is found by Nelder–Mead over
 * their logs — cheap, it touches only the per-x sums — and ln v is then searched on a coarse grid
 * and refined by golden section. Changing v is the only step that reads every customer, so a fit
 * reads the data about sixty times whatever the number of customers (a plain three-parameter
 * simplex would read it on each of its hundreds of evaluations).
 */
export function fitGammaGamma(data: GammaGammaData): GammaGammaFit {
  if (data.customers <= 0) throw new RangeError('no customers with repeat purchases to fit');
  const terms = new GammaGammaTerms(data);
  let evaluations = 0;
  let warm: number[] | undefined;
  const inner = (logV: number) => {
    const v = Math.exp(logV);
    terms.prepare(v);
    const objective = (theta: number[]) => {
      evaluations++;
      // far out the likelihood is flat or still improving toward a boundary: wall it off
      if (Math.abs(theta[0] as number) > DIVERGED || Math.abs(theta[1] as number) > DIVERGED) return Number.NaN;
      return -terms.logLikelihood(Math.exp(theta[0] as number), Math.exp(theta[1] as number), v) / data.customers;
    };
    // the best (p, q) moves little with v: start from the last one with a small simplex
    const result = warm
      ? minimizeWithRestarts(objective, [warm], { xTolerance: 1e-8, fTolerance: 1e-13, step: 0.1, maxRestarts: 1, maxIterations: 5000 })
      : minimizeWithRestarts(
          objective,
          [
            [0, 0],
            [1, 1],
          ],
          { xTolerance: 1e-8, fTolerance: 1e-13, step: 0.5, maxRestarts: 2, maxIterations: 5000 },
        );
    if (result.converged) warm = result.x;
    return result;
  };
  const profile = (logV: number) => inner(logV).fx;

  let sum = 0;
  for (let i = 0; i < data.m.length; i++) sum += (data.weight[i] as number) * (data.m[i] as number);
  // bracket the minimum over ln v by unit steps downhill from the log mean spend (v is a spend scale)
  let centre = Math.log(sum / data.customers);
  let fCentre = profile(centre);
  let direction = 1;
  let fNext = profile(centre + direction);
  if (fNext > fCentre) {
    direction = -1;
    fNext = profile(centre + direction);
  }
  let steps = 0;
  while (fNext < fCentre && steps < 2 * DIVERGED) {
    centre += direction;
    fCentre = fNext;
    fNext = profile(centre + direction);
    steps++;
  }
  const { x: logV } = goldenSection(profile, centre - 1, centre + 1, 1e-7);
  const final = inner(logV);
  const params = { p: Math.exp(final.x[0] as number), q: Math.exp(final.x[1] as number), v: Math.exp(logV) };
  const diverged = [...final.x, logV].some((value) => Math.abs(value) > DIVERGED);
  return {
    params,
    logLikelihood: -final.fx * data.customers,
    converged: final.converged && !diverged,
    evaluations,
    customers: data.customers,
  };
}

/**
 * E[M | x, m]: the expected spend per transaction of a customer with x repeat purchases of mean
 * value m — a weighted average of the population mean pv/(q−1) and the customer's own mean. With
 * x = 0 it is the population mean.
 */
export function expectedSpend({ p, q, v }: GammaGammaParams, x: number, m: number): number {
  return (p * (v + x * (x > 0 ? m : 0))) / (p * x + q - 1);
}
