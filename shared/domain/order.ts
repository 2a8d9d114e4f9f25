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
  /** The referral code a link left on the order (event.ts referralCode); order item only, like the codes. */
  referralCode?: string;
  /** A hash of the shipping address (loyalty/referrals.ts), to refuse a referrer referring themselves. */
  shippingHash?: string;
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
  /**
   * The order's value by bonus multiplier, [hundredths, amount] (loyalty/bonuses.ts bonusParts),
   * fixed with `m` when the order first earned; absent: no bonus rule applied.
   */
  b?: Array<[number, number]>;
  /**
   * When the order's current value began (epoch s): absent when that is its creation (`c`), and when
   * the order counts for nothing and never did. With `v`, the order's value over time (valueSteps),
   * which the tier metric reads as of every instant (loyalty/plan.ts tierFromEvents).
   */
  u?: number;
  /** The order's earlier values, oldest first: [epoch s, value from then]; at most VALUE_STEPS_KEPT. */
  v?: Array<[number, number]>;
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
 * Earlier values an order summary keeps (with the current one, five steps). Beyond them the oldest
 * goes: the order then reads as worth nothing before its oldest kept step — only an order whose
 * value changed more than five times can count for less, early in its life, than it did.
 */
export const VALUE_STEPS_KEPT = 4;

/** What one state of an order is worth by itself, before its refund records: paid and not refunded in full, its total less the refund it reports. */
export function stateValue(state: Pick<OrderState, 'status' | 'total' | 'reportedRefunded'>): number {
  if (!PAID_STATUSES.has(state.status) || state.status === 'refunded') return 0;
  return Math.max(0, state.total - Math.min(state.total, state.reportedRefunded));
}

/** What a change of an order tells about its value over time: states ([epoch s, stateValue]) and refund records ([epoch s, amount]). */
export interface ValueFacts {
  /** The order item's newest state and, for a stale delivery, the older state it carried. */
  states: Array<[number, number]>;
  refunds: Array<[number, number]>;
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * The facts of an order item (its newest state, stamped `updatedAt`; its refund records) and of a
 * stale state a delivery carried: an older state is no longer the order's state, but it is when the
 * order had that value (how "paid on day 2" is learned after "cancelled on day 30").
 */
export function valueFactsOf(
  state: OrderState,
  updatedAt: string | undefined,
  stale?: Pick<OrderState, 'status' | 'total' | 'reportedRefunded'> & { updatedAt: string },
): ValueFacts {
  const states: Array<[number, number]> = [[updatedAt ? seconds(updatedAt) : seconds(state.createdAt), stateValue(state)]];
  if (stale) states.push([seconds(stale.updatedAt), stateValue(stale)]);
  return { states, refunds: state.refunds.map((refund) => [seconds(refund.createdAt), refund.amount]) };
}

/** The order's value over time: [epoch s, value from then on], oldest first; worth nothing before the first. */
export function valueSteps(summary: OrderSummary): Array<[number, number]> {
  const current = counts(summary) ? netOf(summary) : 0;
  const earlier = summary.v ?? [];
  if (earlier.length === 0 && current === 0) return [];
  return [...earlier, [summary.u ?? summary.c, current]];
}

/** The order's value at `at` (epoch s). */
export function valueAt(summary: OrderSummary, at: number): number {
  let value = 0;
  for (const [from, worth] of valueSteps(summary)) if (from <= at) value = worth;
  return value;
}

export const sameValueSteps = (a: OrderSummary, b: OrderSummary) => JSON.stringify(valueSteps(a)) === JSON.stringify(valueSteps(b));

/**
 * `next` with its value over time: what `held` knew merged with what this change tells (`facts`).
 * At any instant an order is worth the value of its state then, less the refunds recorded by then
 * (never more than its total less them): value(τ) = min(state(τ), total − refunded(τ)), 0 before
 * its first state. `held`'s steps stand for the states it knew — a step at a refund's instant is
 * that refund, not a state, and a step worth the total less the refunds by then stands for a state
 * worth at least that (the same value from then on, whatever the state) — so a state learned late,
 * in any order, lands where it belongs, and the same facts give the same steps whatever order they
 * came in. Approximations: a state whose value equalled its neighbour's leaves no step of its own
 * (a late state between two equal ones then reads the later value from itself on: exact whenever an
 * order's states go unpaid → paid → less and less, as orders do), a total changed by an edit
 * re-reads the earlier steps with the new total, and VALUE_STEPS_KEPT bounds the steps.
 */
export function withValueSteps(next: OrderSummary, held: OrderSummary | undefined, facts: ValueFacts): OrderSummary {
  const total = next.t;
  const refundedBy = (at: number) => facts.refunds.reduce((sum, [t, amount]) => (t <= at ? sum + amount : sum), 0);
  const refundInstants = new Set(facts.refunds.map(([t]) => t));
  const states = new Map<number, number>();
  for (const [t, value] of held ? valueSteps(held) : []) {
    if (!refundInstants.has(t)) states.set(t, value < total - refundedBy(t) ? value : total);
  }
  for (const [t, value] of facts.states) states.set(t, value);
  const steps: Array<[number, number]> = [];
  let state = 0;
  let last = 0;
  for (const t of [...new Set([...states.keys(), ...refundInstants])].sort((a, b) => a - b)) {
    state = states.get(t) ?? state;
    const value = state > 0 ? Math.max(0, Math.min(state, total - refundedBy(t))) : 0;
    if (value !== last) steps.push([t, value]);
    last = value;
  }
  // The newest state and every refund are among the facts, so the last step is the current value;
  // should they disagree (a summary without facts of its newest state), the current value wins.
  const current = counts(next) ? netOf(next) : 0;
  if (last !== current) {
    const [at] = steps.pop() ?? [next.c];
    if ((steps.at(-1)?.[1] ?? 0) !== current) steps.push([at, current]);
  }
  const { u: _u, v: _v, ...rest } = next;
  const [now] = steps.at(-1) ?? [next.c];
  const earlier = steps.slice(0, -1).slice(-VALUE_STEPS_KEPT);
  if (steps.length === 0 || (steps.length === 1 && now === next.c)) return rest;
  return { ...rest, ...(now !== next.c ? { u: now } : {}), ...(earlier.length > 0 ? { v: earlier } : {}) };
}

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
