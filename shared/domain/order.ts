import { createHash } from 'node:crypto';
import type { EventOrder, OrderStatus } from '#shared/domain/event.ts';

/**
 * An order's contribution to its customer's aggregates: one compact summary per order, kept on the
 * profile while the order is recent and in a history page once it is folded (domain/history.ts).
 */

export interface RefundRecord {
  amount: number;
  createdAt: string;
}

/** The order item as stored (see data/order-repo.ts), reduced to what the rules need. */
export interface OrderState {
  orderId: string;
  status: OrderStatus;
  total: number;
  reportedRefunded: number;
  createdAt: string;
  lineItems: EventOrder['lineItems'];
  /**
   * The discount codes of the newest state, normalized (event.ts DiscountCodeSchema); absent when it
   * carried none, as on the event. Kept on the order item only: no summary reads them, so the
   * profile never holds them.
   */
  discountCodes?: string[];
  refunds: RefundRecord[];
  /** Increases on every change of the order item: the newest summary wins on the profile. */
  seq: number;
}

export interface OrderSummary {
  /** seq of the order item this summary was computed from. */
  q: number;
  s: OrderStatus;
  t: number;
  /** refunded amount, capped at the total */
  r: number;
  /** createdAt, epoch seconds */
  c: number;
  /** gross line amount per category, for top categories */
  k?: Record<string, number>;
  /** the order's product ids (at most MAX_PRODUCTS_PER_ORDER), for co-purchase statistics and recommendations */
  p?: string[];
  /** points the order currently earns (its target after clawbacks) */
  e?: number;
  /** earn multiplier in hundredths, fixed when the order first earned */
  m?: number;
}

const MAX_CATEGORIES_PER_ORDER = 5;
const MAX_PRODUCTS_PER_ORDER = 10;

const PAID_STATUSES: ReadonlySet<OrderStatus> = new Set(['paid', 'partially_refunded', 'refunded']);

/**
 * Refunded amount: a refunded order is refunded in full; otherwise the larger of what the order
 * reports and what its refund records add up to (both only ever grow, so taking the larger is
 * the same whatever order the halves arrive in), never more than the total.
 */
export function refundedAmount(state: Pick<OrderState, 'status' | 'total' | 'reportedRefunded' | 'refunds'>): number {
  if (state.status === 'refunded') return state.total;
  const recorded = state.refunds.reduce((sum, refund) => sum + refund.amount, 0);
  return Math.min(state.total, Math.max(state.reportedRefunded, recorded));
}

export function summarize(state: OrderState): OrderSummary {
  const byCategory = new Map<string, number>();
  for (const line of state.lineItems) {
    if (line.category) byCategory.set(line.category, (byCategory.get(line.category) ?? 0) + line.price * line.quantity);
  }
  // Summaries are kept on the profile and in history pages: an order's five biggest categories.
  const categories = Object.fromEntries(
    [...byCategory.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, MAX_CATEGORIES_PER_ORDER),
  );
  // Likewise its first ten distinct products: enough for "bought together" and "already bought".
  // Ids longer than 64 characters are left out: they would cost more profile bytes than they are worth.
  const products = [
    ...new Set(
      state.lineItems.flatMap((line) => {
        const id = line.productId ?? line.sku;
        return id && id.length <= 64 ? [id] : [];
      }),
    ),
  ].slice(0, MAX_PRODUCTS_PER_ORDER);
  return {
    q: state.seq,
    s: state.status,
    t: state.total,
    r: refundedAmount(state),
    c: Math.floor(Date.parse(state.createdAt) / 1000),
    ...(Object.keys(categories).length > 0 ? { k: categories } : {}),
    ...(products.length > 0 ? { p: products } : {}),
  };
}

/**
 * An order counts as a purchase when it has been paid, is not cancelled and is not refunded in
 * full. Its value is the total net of refunds.
 */
export function counts(summary: OrderSummary): boolean {
  return PAID_STATUSES.has(summary.s) && summary.t - summary.r > 0;
}

export const netOf = (summary: OrderSummary) => summary.t - summary.r;

/**
 * The version of an order state: its updatedAt, then a hash of its content so two different
 * states stamped with the same instant still have one deterministic winner.
 */
export function orderVersion(order: EventOrder): string {
  const millis = String(Date.parse(order.updatedAt)).padStart(15, '0');
  // Codes join the hash only when there are some, so an order without codes keeps the version it
  // had before orders carried codes (a redelivery of it is still a duplicate, not a newer state).
  const codes = order.discountCodes?.length ? [order.discountCodes] : [];
  const content = createHash('sha256')
    .update(JSON.stringify([order.status, order.total, order.refunded ?? 0, order.lineItems, ...codes]))
    .digest('hex')
    .slice(0, 12);
  return `${millis}#${content}`;
}
