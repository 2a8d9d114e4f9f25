/**
 * JSON with object keys sorted, at every depth: DynamoDB keeps no order of a map's keys, so two
 * equal values read back from the table may list their keys differently. Compare with this, never
 * with plain JSON.stringify. Sets (DynamoDB string sets) compare as sorted arrays.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_, v: unknown) => {
    if (v instanceof Set) return [...v].sort();
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

export const sameValue = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);
