import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CatalogueProduct, type CoPurchaseStats, recommendProducts } from '#shared/email/recommend.ts';

const catalogue: Record<string, CatalogueProduct> = {
  coffee: { title: 'Coffee', url: 'https://shop.example/coffee', price: 125_000 },
  filter: { title: 'Phin filter', price: 60_000 },
  mug: { title: 'Mug', price: 90_000 },
  tea: { title: 'Lotus tea', price: 320_000 },
  pot: { title: 'Tea pot', price: 450_000 },
  cake: { title: 'Mooncake', price: 85_000 },
  gone: { title: 'Discontinued', available: false },
};

const stats: CoPurchaseStats = {
  related: {
    coffee: [
      { productId: 'filter', lift: 3, confidence: 0.4 }, // 1.2
      { productId: 'mug', lift: 2, confidence: 0.3 }, // 0.6
      { productId: 'gone', lift: 9, confidence: 0.9 },
      { productId: 'cake', lift: 0.8, confidence: 0.5 }, // bought together less than by chance
    ],
    tea: [
      { productId: 'pot', lift: 4, confidence: 0.5 }, // 2.0
      { productId: 'mug', lift: 5, confidence: 0.2 }, // 1.0: mug's best association
      { productId: 'coffee', lift: 2, confidence: 0.5 },
    ],
  },
  bestSellers: [
    { productId: 'coffee', count: 900 },
    { productId: 'cake', count: 400 },
    { productId: 'tea', count: 300 },
  ],
};

const ids = (recommendations: Array<{ productId: string }>) => recommendations.map((r) => r.productId);

describe('recommendProducts', () => {
  it('ranks what is bought with the customer’s purchases by lift × confidence', () => {
    expect(ids(recommendProducts({ purchased: ['coffee', 'tea'], stats, catalogue, limit: 3 }))).toEqual(['pot', 'filter', 'mug']);
  });

  it('fills from the best sellers, skipping unknown, unavailable and already chosen products', () => {
    expect(ids(recommendProducts({ purchased: ['coffee'], stats, catalogue, limit: 4 }))).toEqual(['filter', 'mug', 'cake', 'tea']);
  });

  it('gives a customer with no history the best sellers', () => {
    expect(ids(recommendProducts({ purchased: [], stats, catalogue, limit: 2 }))).toEqual(['coffee', 'cake']);
  });

  it('carries title, url and price from the catalogue', () => {
    expect(recommendProducts({ purchased: ['tea'], stats, catalogue: new Map(Object.entries(catalogue)), limit: 1 })).toEqual([
      { productId: 'pot', title: 'Tea pot', price: 450_000 },
    ]);
    expect(recommendProducts({ purchased: [], stats, catalogue, limit: 1 })).toEqual([
      { productId: 'coffee', title: 'Coffee', url: 'https://shop.example/coffee', price: 125_000 },
    ]);
  });

  it('recommends an already-bought product only when no other candidate is left', () => {
    const everythingButCake = ['coffee', 'filter', 'mug', 'tea', 'pot'];
    expect(ids(recommendProducts({ purchased: everythingButCake, stats, catalogue, limit: 3 }))).toEqual(['cake', 'pot', 'filter']);
    expect(ids(recommendProducts({ purchased: ['coffee'], stats, catalogue, limit: 9 }))).toEqual([
      'filter',
      'mug',
      'cake',
      'tea',
      'coffee',
    ]);
  });

  it('never recommends an already-bought product while an unbought candidate remains (any shop, any customer)', () => {
    const productIds = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const id = fc.constantFrom(...productIds);
    const association = fc.record({
      productId: id,
      lift: fc.double({ min: 0, max: 10, noNaN: true }),
      confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.dictionary(id, fc.array(association, { maxLength: 6 })),
        fc.array(fc.record({ productId: id, count: fc.nat(1000) }), { maxLength: 8 }),
        fc.subarray(productIds),
        fc.subarray(productIds),
        fc.integer({ min: 1, max: 8 }),
        (related, bestSellers, purchased, inCatalogue, limit) => {
          const shopCatalogue = Object.fromEntries(inCatalogue.map((p) => [p, { title: p.toUpperCase() }]));
          const chosen = ids(recommendProducts({ purchased, stats: { related, bestSellers }, catalogue: shopCatalogue, limit }));
          expect(chosen.length).toBeLessThanOrEqual(limit);
          expect(new Set(chosen).size).toBe(chosen.length);
          if (chosen.some((p) => purchased.includes(p))) {
            // Then every unbought candidate the shop could show is already in the list.
            const candidates = new Set([
              ...purchased.flatMap((p) => (related[p] ?? []).filter((r) => r.lift > 1 && r.confidence > 0).map((r) => r.productId)),
              ...bestSellers.map((b) => b.productId),
            ]);
            for (const candidate of candidates) {
              if (!purchased.includes(candidate) && candidate in shopCatalogue) expect(chosen).toContain(candidate);
            }
          }
        },
      ),
    );
  });

  it('ignores associations that are not numbers and keys of Object.prototype', () => {
    const odd: CoPurchaseStats = {
      related: { coffee: [{ productId: 'mug', lift: Number.NaN, confidence: 1 }] },
      bestSellers: [],
    };
    expect(recommendProducts({ purchased: ['coffee', 'constructor', '__proto__'], stats: odd, catalogue })).toEqual([]);
  });
});
