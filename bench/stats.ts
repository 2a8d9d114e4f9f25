/** Small, dependency-free statistics for the benches. */

/** Nearest-rank percentile (p in 0..100) of unsorted samples: the smallest value with ≥ p % of samples at or below it. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export const median = (samples: readonly number[]) => {
  if (samples.length === 0) throw new Error('median of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

export const mean = (samples: readonly number[]) => samples.reduce((sum, v) => sum + v, 0) / samples.length;

export const round = (value: number, digits = 3) => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/** Nanoseconds between two process.hrtime.bigint() readings, as milliseconds. */
export const elapsedMs = (start: bigint, end: bigint = process.hrtime.bigint()) => Number(end - start) / 1e6;
