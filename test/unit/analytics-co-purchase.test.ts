import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coPurchaseStats } from '#shared/analytics/co-purchase.ts';

describe('co-purchase statistics', () => {
  // 5 baskets: tea+cup ×2, tea+cup+pot, tea, pot
  const baskets = [['tea', 'cup'], ['cup', 'tea'], ['tea', 'cup', 'pot'], ['tea'], ['pot']];

  it('gives support, confidence and lift as their definitions say', () => {
    const stats = coPurchaseStats(baskets);
    expect(stats.baskets).toBe(5);
    expect(stats.bestSellers).toEqual([
      { productId: 'tea', count: 4 },
      { productId: 'cup', count: 3 },
      { productId: 'pot', count: 2 },
    ]);
    // tea & cup together in 3 of 5 baskets; cup → tea: 3/3; tea → cup: 3/4; lift = (3/4) / (3/5) = 1.25
    expect(stats.related.cup).toEqual([{ productId: 'tea', count: 3, support: 0.6, confidence: 1, lift: 1.25 }]);
    expect(stats.related.tea).toEqual([{ productId: 'cup', count: 3, support: 0.6, confidence: 0.75, lift: 1.25 }]);
    // pot is with tea and cup once only: below the default minimum of two baskets
    expect(stats.related.pot).toBeUndefined();
    expect(coPurchaseStats(baskets, { minPairCount: 1 }).related.pot?.map((r) => r.productId)).toEqual(['cup', 'tea']);
  });

  it('counts a product once per basket and ignores empty baskets', () => {
    const stats = coPurchaseStats([['tea', 'tea', 'cup'], [], ['tea', 'cup']]);
    expect(stats.baskets).toBe(2);
    expect(stats.bestSellers[0]).toEqual({ productId: 'cup', count: 2 });
    expect(stats.related.tea?.[0]).toMatchObject({ productId: 'cup', count: 2, confidence: 1, lift: 1 });
  });

  it('does not depend on the order of the baskets or of the products in them', () => {
    const basket = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(fc.array(basket, { minLength: 1, maxLength: 40 }), fc.array(fc.nat()), (list, keys) => {
        const shuffled = list
          .map((b, i) => ({ b: [...b].reverse(), key: keys[i] ?? i }))
          .sort((x, y) => x.key - y.key)
          .map((x) => x.b);
        expect(coPurchaseStats(shuffled)).toEqual(coPurchaseStats(list));
      }),
      { numRuns: 200 },
    );
  });
});
