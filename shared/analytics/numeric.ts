/**
 * The numerical pieces the analytics need, written out so every figure can be traced: log-gamma,
 * log-sum-exp, the Gauss hypergeometric series, R's type-7 quantile and a Nelder–Mead minimizer.
 * No dependencies, no I/O.
 */

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln Γ(x) for x > 0. Stirling's series from x ≥ 10 (the first omitted term is below 1e-15 there),
 * and for smaller x the recurrence Γ(x) = Γ(x + n) / (x (x+1) … (x+n-1)) to get there: about
 * 1e-15 relative accuracy everywhere, which the likelihood differences of the fits need.
 */
export function logGamma(x: number): number {
  if (!(x > 0)) return x === 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  let product = 1;
  while (x < 10) {
    product *= x;
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  const series =
    inv *
    (1 / 12 + inv2 * (-1 / 360 + inv2 * (1 / 1260 + inv2 * (-1 / 1680 + inv2 * (1 / 1188 + inv2 * (-691 / 360360 + inv2 * (1 / 156)))))));
  const stirling = (x - 0.5) * Math.log(x) - x + HALF_LOG_TWO_PI + series;
  return product === 1 ? stirling : stirling - Math.log(product);
}

/** log(e^a + e^b) without overflow or underflow. */
export function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/**
 * The Gauss hypergeometric series ₂F₁(a, b; c; z) for 0 ≤ z < 1, summed term by term until a term
 * no longer changes the sum. The callers arrange their parameters so the terms shrink from the
 * start (see clv.ts); the iteration cap only guards against a z that is practically 1.
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  let term = 1;
  let sum = 1;
  for (let n = 0; n < 1_000_000; n++) {
    term *= (((a + n) * (b + n)) / ((c + n) * (n + 1))) * z;
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) return sum;
  }
  return sum;
}

/**
 * The quantile of sorted values at probability p, R's default (type 7) computed exactly as R's
 * quantile.default does: index = 1 + (n - 1) p, lo = floor(index), and (1 - h) x[lo] + h x[hi]
 * only when index > lo and x[hi] differs from x[lo]. Same operations in the same order, so the
 * same IEEE doubles — which matters when an edge lands on (or a hair off) an integer.
 */
export function quantileType7(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const index = 1 + Math.max(n - 1, 0) * p;
  const lo = Math.floor(index);
  const hi = Math.ceil(index);
  const qs = sorted[lo - 1] as number;
  const xHi = sorted[hi - 1] as number;
  if (index > lo && xHi !== qs) {
    const h = index - lo;
    return (1 - h) * qs + h * xHi;
  }
  return qs;
}

/** R's seq(0, 1, length.out = n + 1) without its ends: c(from + (1:(n-1)) * ((to - from) / n)). */
export function innerProbabilities(bins: number): number[] {
  const by = (1 - 0) / bins;
  return Array.from({ length: bins - 1 }, (_, i) => 0 + (i + 1) * by);
}

export interface NelderMeadOptions {
  /** Stop when every vertex is within this of the best, coordinate by coordinate. */
  xTolerance?: number;
  /** …and every vertex's value is within this of the best value. */
  fTolerance?: number;
  maxIterations?: number;
  /** Size of the first simplex around the start, per coordinate. */
  step?: number;
}

export interface MinimizeResult {
  x: number[];
  fx: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

const finiteOr = (value: number) => (Number.isNaN(value) ? Number.POSITIVE_INFINITY : value);

/**
 * Nelder–Mead with the standard coefficients (reflection 1, expansion 2, contraction ½,
 * shrink ½) and scipy's stopping rule (both the simplex and its values have collapsed).
 * NaN counts as +∞, so a step into an invalid region is simply rejected.
 */
export function nelderMead(f: (x: number[]) => number, start: readonly number[], options: NelderMeadOptions = {}): MinimizeResult {
  const { xTolerance = 1e-10, fTolerance = 1e-12, maxIterations = 20_000, step = 0.25 } = options;
  const n = start.length;
  let evaluations = 0;
  const evaluate = (x: number[]) => {
    evaluations++;
    return finiteOr(f(x));
  };
  const simplex: number[][] = [start.slice()];
  for (let i = 0; i < n; i++) {
    const vertex = start.slice();
    vertex[i] = (vertex[i] as number) + step;
    simplex.push(vertex);
  }
  const values = simplex.map(evaluate);
  const order = Array.from({ length: n + 1 }, (_, i) => i);
  const centroid = new Array<number>(n).fill(0);
  const along = (from: number[], to: number[], t: number) => from.map((v, i) => v + t * ((to[i] as number) - v));

  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    order.sort((i, j) => (values[i] as number) - (values[j] as number) || i - j);
    const best = order[0] as number;
    const worst = order[n] as number;
    const secondWorst = order[n - 1] as number;
    let spread = 0;
    let fSpread = 0;
    for (let k = 1; k <= n; k++) {
      const vertex = simplex[order[k] as number] as number[];
      for (let i = 0; i < n; i++) spread = Math.max(spread, Math.abs((vertex[i] as number) - ((simplex[best] as number[])[i] as number)));
      fSpread = Math.max(fSpread, Math.abs((values[order[k] as number] as number) - (values[best] as number)));
    }
    if (spread <= xTolerance && fSpread <= fTolerance) {
      converged = true;
      break;
    }
    iterations++;

    centroid.fill(0);
    for (let k = 0; k < n; k++) {
      const vertex = simplex[order[k] as number] as number[];
      for (let i = 0; i < n; i++) centroid[i] = (centroid[i] as number) + (vertex[i] as number) / n;
    }
    const worstVertex = simplex[worst] as number[];
    const reflected = along(worstVertex, centroid, 2);
    const fReflected = evaluate(reflected);
    if (fReflected < (values[best] as number)) {
      const expanded = along(worstVertex, centroid, 3);
      const fExpanded = evaluate(expanded);
      if (fExpanded < fReflected) {
        simplex[worst] = expanded;
        values[worst] = fExpanded;
      } else {
        simplex[worst] = reflected;
        values[worst] = fReflected;
      }
      continue;
    }
    if (fReflected < (values[secondWorst] as number)) {
      simplex[worst] = reflected;
      values[worst] = fReflected;
      continue;
    }
    // contract: outside when the reflection beat the worst vertex, inside otherwise
    const outside = fReflected < (values[worst] as number);
    const contracted = outside ? along(worstVertex, centroid, 1.5) : along(worstVertex, centroid, 0.5);
    const fContracted = evaluate(contracted);
    if (fContracted < (outside ? fReflected : (values[worst] as number))) {
      simplex[worst] = contracted;
      values[worst] = fContracted;
      continue;
    }
    const bestVertex = simplex[best] as number[];
    for (let k = 1; k <= n; k++) {
      const index = order[k] as number;
      simplex[index] = along(bestVertex, simplex[index] as number[], 0.5);
      values[index] = evaluate(simplex[index] as number[]);
    }
  }
  let bestIndex = 0;
  for (let k = 1; k <= n; k++) if ((values[k] as number) < (values[bestIndex] as number)) bestIndex = k;
  return { x: (simplex[bestIndex] as number[]).slice(), fx: values[bestIndex] as number, iterations, evaluations, converged };
}

/**
 * Nelder–Mead from several starts, then restarted from the best point until a fresh simplex no
 * longer improves on it: a simplex can stall on a ridge, and a restart is the cheap cure.
 */
export function minimizeWithRestarts(
  f: (x: number[]) => number,
  starts: readonly (readonly number[])[],
  options: NelderMeadOptions & { maxRestarts?: number } = {},
): MinimizeResult {
  const { maxRestarts = 6, ...nmOptions } = options;
  let best: MinimizeResult | undefined;
  let iterations = 0;
  let evaluations = 0;
  const keep = (result: MinimizeResult) => {
    iterations += result.iterations;
    evaluations += result.evaluations;
    if (!best || result.fx < best.fx) best = result;
  };
  for (const start of starts) keep(nelderMead(f, start, nmOptions));
  const tolerance = nmOptions.fTolerance ?? 1e-12;
  for (let restart = 0; restart < maxRestarts; restart++) {
    const before = best as MinimizeResult;
    const again = nelderMead(f, before.x, { ...nmOptions, step: (nmOptions.step ?? 0.25) / 4 });
    keep(again);
    if (before.fx - again.fx <= tolerance && again.converged) break;
  }
  const result = best as MinimizeResult;
  return { ...result, iterations, evaluations, converged: result.converged && Number.isFinite(result.fx) };
}

/**
 * Minimum of a function of one variable on [lo, hi] by golden-section search, to an interval of
 * width `tolerance`. For smooth unimodal profiles (see the Gamma-Gamma fit).
 */
export function goldenSection(f: (x: number) => number, lo: number, hi: number, tolerance = 1e-9): { x: number; fx: number } {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - ratio * (b - a);
  let d = a + ratio * (b - a);
  let fc = finiteOr(f(c));
  let fd = finiteOr(f(d));
  while (b - a > tolerance) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - ratio * (b - a);
      fc = finiteOr(f(c));
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + ratio * (b - a);
      fd = finiteOr(f(d));
    }
  }
  return fc <= fd ? { x: c, fx: fc } : { x: d, fx: fd };
}

/** A small, fast, seedable PRNG (mulberry32): benches and simulations must be reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Days since 1970-01-01 of a calendar date (proleptic Gregorian, UTC): exact integers. */
export function dayNumber(year: number, month: number, day: number): number {
  return Math.round(Date.UTC(year, month - 1, day) / 86_400_000);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/;

/** The day number of 'YYYY-MM-DD' (a time part after it is ignored), or NaN when it is not a real date. */
export function isoDay(text: string): number {
  const match = ISO_DATE.exec(text);
  if (!match) return Number.NaN;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > 31) return Number.NaN;
  const n = dayNumber(year, month, day);
  // 2023-02-30 would roll over to March: not a date
  return new Date(n * 86_400_000).getUTCDate() === day ? n : Number.NaN;
}

export const isoOfDay = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);
