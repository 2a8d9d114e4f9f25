/**
 * Products to show a customer in an email (DESIGN §6: "recommended products"), from what the shop
 * already knows: what this customer bought, what is bought together across the shop, and what
 * sells best. Pure and deterministic, so the same inputs give the same email.
 *
 * Ranking: products bought together with the customer's purchases, by lift × confidence (the best
 * association over all the customer's purchases); then the shop's best sellers. A product the
 * customer already bought comes only after every other candidate: it fills the list rather than
 * crowd out something new.
 */

/** One association "bought X → also buys Y" (Y = productId). */
export interface CoPurchase {
  productId: string;
  /** P(Y | X) ÷ P(Y): above 1, buying X makes Y more likely than it is for anyone. */
  lift: number;
  /** P(Y | X). */
  confidence: number;
}

export interface CoPurchaseStats {
  /** For each product, the products bought together with it. */
  related: Record<string, readonly CoPurchase[]>;
  /** Best first. */
  bestSellers: ReadonlyArray<{ productId: string; count: number }>;
}

export interface CatalogueProduct {
  title: string;
  url?: string;
  /** Minor units of the shop currency. */
  price?: number;
  /** False for a product that cannot be bought now: it is never recommended. */
  available?: boolean;
}

export interface Recommendation {
  productId: string;
  title: string;
  url?: string;
  price?: number;
}

export interface RecommendInput {
  purchased: Iterable<string>;
  stats: CoPurchaseStats;
  catalogue: ReadonlyMap<string, CatalogueProduct> | Readonly<Record<string, CatalogueProduct>>;
  limit?: number;
}

/** Up to `limit` (default 3) catalogue products, best first, none twice. */
export function recommendProducts({ purchased, stats, catalogue, limit = 3 }: RecommendInput): Recommendation[] {
  const bought = new Set(purchased);
  const productOf = (id: string) =>
    catalogue instanceof Map
      ? catalogue.get(id)
      : Object.hasOwn(catalogue, id)
        ? (catalogue as Record<string, CatalogueProduct>)[id]
        : undefined;

  // Score each associated product by its strongest association with anything bought. Lift ≤ 1 is
  // no association (or a negative one): such a product is no better a guess than a best seller.
  const scores = new Map<string, number>();
  for (const source of bought) {
    const related = Object.hasOwn(stats.related, source) ? stats.related[source] : undefined;
    for (const { productId, lift, confidence } of related ?? []) {
      if (!(Number.isFinite(lift) && Number.isFinite(confidence) && lift > 1 && confidence > 0)) continue;
      const score = lift * confidence;
      if (score > (scores.get(productId) ?? 0)) scores.set(productId, score);
    }
  }
  const associated = [...scores.entries()].sort((a, b) => b[1] - a[1] || compare(a[0], b[0])).map(([id]) => id);
  const bestSellers = [...stats.bestSellers].sort((a, b) => b.count - a.count || compare(a.productId, b.productId)).map((b) => b.productId);

  const candidates = [...associated, ...bestSellers];
  const ordered = [...candidates.filter((id) => !bought.has(id)), ...candidates.filter((id) => bought.has(id))];

  const chosen: Recommendation[] = [];
  const seen = new Set<string>();
  for (const productId of ordered) {
    if (chosen.length >= limit) break;
    if (seen.has(productId)) continue;
    seen.add(productId);
    const product = productOf(productId);
    if (!product || product.available === false || product.title.trim() === '') continue;
    chosen.push({
      productId,
      title: product.title,
      ...(product.url !== undefined ? { url: product.url } : {}),
      ...(product.price !== undefined ? { price: product.price } : {}),
    });
  }
  return chosen;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
