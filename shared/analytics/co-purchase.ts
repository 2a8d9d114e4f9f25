/**
 * Co-purchase statistics per shop (issue 5 item 6): which products are bought together, as
 * association rules over orders (baskets). For products A and B over N baskets:
 *   support(A,B)     = baskets with both / N
 *   confidence(A→B)  = baskets with both / baskets with A
 *   lift(A→B)        = confidence(A→B) / (baskets with B / N)   (> 1: bought together more than by chance)
 * A pair needs at least `minPairCount` baskets to count, so one odd order does not make a rule.
 * The result does not depend on the order of the baskets: every list is sorted with full ties broken
 * by product id.
 */

export interface RelatedProduct {
  productId: string;
  /** Baskets holding both products. */
  count: number;
  support: number;
  confidence: number;
  lift: number;
}

export interface CoPurchaseStats {
  baskets: number;
  /** The most bought products (by baskets holding them), most first. */
  bestSellers: Array<{ productId: string; count: number }>;
  /** Per product, its most related products (by lift, then confidence), at most `relatedPerProduct`. */
  related: Record<string, RelatedProduct[]>;
}

export interface CoPurchaseOptions {
  minPairCount?: number;
  relatedPerProduct?: number;
  bestSellers?: number;
  /** Products kept in `related` (the best sellers first): bounds the stored item's size. */
  maxProducts?: number;
}

const round = (value: number, digits = 6) => Math.round(value * 10 ** digits) / 10 ** digits;
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Accumulates baskets one at a time (the run reads profiles a page at a time), then computes the statistics. */
export class CoPurchaseCounter {
  private baskets = 0;
  private readonly items = new Map<string, number>();
  private readonly pairs = new Map<string, number>();

  add(products: Iterable<string>): void {
    const basket = [...new Set(products)].sort(byId);
    if (basket.length === 0) return;
    this.baskets++;
    for (const product of basket) this.items.set(product, (this.items.get(product) ?? 0) + 1);
    for (let i = 0; i < basket.length; i++) {
      for (let j = i + 1; j < basket.length; j++) {
        const key = `${basket[i]}\u0000${basket[j]}`;
        this.pairs.set(key, (this.pairs.get(key) ?? 0) + 1);
      }
    }
  }

  stats({ minPairCount = 2, relatedPerProduct = 10, bestSellers = 50, maxProducts = 200 }: CoPurchaseOptions = {}): CoPurchaseStats {
    const n = this.baskets;
    const ranked = [...this.items.entries()].sort((a, b) => b[1] - a[1] || byId(a[0], b[0]));
    const kept = new Set(ranked.slice(0, maxProducts).map(([id]) => id));
    const related = new Map<string, RelatedProduct[]>();
    const relate = (from: string, to: string, count: number) => {
      if (!kept.has(from)) return;
      const fromCount = this.items.get(from) as number;
      const toCount = this.items.get(to) as number;
      const confidence = count / fromCount;
      const rule = {
        productId: to,
        count,
        support: round(count / n),
        confidence: round(confidence),
        lift: round(confidence / (toCount / n)),
      };
      const list = related.get(from);
      if (list) list.push(rule);
      else related.set(from, [rule]);
    };
    for (const [key, count] of this.pairs) {
      if (count < minPairCount) continue;
      const [a, b] = key.split('\u0000') as [string, string];
      relate(a, b, count);
      relate(b, a, count);
    }
    const out: Record<string, RelatedProduct[]> = {};
    for (const id of [...related.keys()].sort(byId)) {
      out[id] = (related.get(id) as RelatedProduct[])
        .sort((x, y) => y.lift - x.lift || y.confidence - x.confidence || byId(x.productId, y.productId))
        .slice(0, relatedPerProduct);
    }
    return {
      baskets: n,
      bestSellers: ranked.slice(0, bestSellers).map(([productId, count]) => ({ productId, count })),
      related: out,
    };
  }
}

/** The statistics of a set of baskets at once. */
export function coPurchaseStats(baskets: Iterable<Iterable<string>>, options?: CoPurchaseOptions): CoPurchaseStats {
  const counter = new CoPurchaseCounter();
  for (const basket of baskets) counter.add(basket);
  return counter.stats(options);
}
