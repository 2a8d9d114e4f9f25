import { describe, expect, it } from 'vitest';
import { canonicalJson, sameValue } from '#shared/domain/canonical.ts';

describe('canonical JSON', () => {
  it('ignores the order of map keys at every depth, as DynamoDB does', () => {
    expect(
      sameValue({ r: 1, f: 2, nested: { b: [1, { y: 1, x: 2 }], a: null } }, { nested: { a: null, b: [1, { x: 2, y: 1 }] }, f: 2, r: 1 }),
    ).toBe(true);
  });

  it('keeps array order and tells different values apart', () => {
    expect(sameValue([1, 2], [2, 1])).toBe(false);
    expect(sameValue({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameValue(undefined, null)).toBe(true);
    expect(canonicalJson(new Set(['b', 'a']))).toBe('["a","b"]');
  });
});
