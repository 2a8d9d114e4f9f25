import { counts, netOf, type OrderSummary } from '#shared/domain/order.ts';

/**
 * A customer's order history in bounded form. The profile keeps the summaries of its most recent
 * orders (`open`, at most OPEN_MAX) and, for every older order, only totals (`base`): when a change
 * would leave more than OPEN_MAX open, the oldest other order is folded (FOLD_COUNT, one: so every
 * order of a long history costs the same) — its summary goes to a history page (an item of its own,
 * written before the profile) and its contribution into the totals. A later change to a folded order (a refund a year on) unfolds it: its summary is found in
 * the pages (the highest seq wins), its contribution taken out of the totals, and the new summary
 * goes back into `open`. So the profile's size never follows the number of orders, and every
 * aggregate still equals what the order states sum to. ACCESS_PATTERNS.md has the argument.
 */

export const OPEN_MAX = 6;
export const FOLD_COUNT = 1;
/** Months of spend kept per month (for windowed tier metrics and the spend-per-month view). */
export const MONTHS_KEPT = 121;
/** Categories kept with their amounts (top categories: the largest, like a space-saving sketch). */
export const CATEGORIES_KEPT = 10;
/** Product ids of folded orders kept, newest first (recommendations skip what was bought). */
export const PRODUCTS_KEPT = 20;

/** [net, orders, points, createdAt of the latest order (epoch s)] of the counted folded orders placed in one month. */
export type MonthTotals = [number, number, number, number];

/** The contribution of every folded order, summed. */
export interface FoldedTotals {
  /** orders that count (paid, not cancelled, not refunded in full) */
  n: number;
  /** their net spend */
  s: number;
  /** refunded amount of paid orders */
  r: number;
  /** points the counted orders earn */
  e: number;
  /** first and last createdAt (epoch s) of a counted order */
  f?: number;
  l?: number;
  /** per month (YYYY-MM), the last MONTHS_KEPT months */
  m: Record<string, MonthTotals>;
  /** gross amount per category, the CATEGORIES_KEPT largest */
  k: Record<string, number>;
  /** product ids of counted folded orders, newest first, at most PRODUCTS_KEPT */
  p: string[];
  /** history pages written (0: there is nothing to look up) */
  h: number;
}

export interface OrderHistory {
  open: Record<string, OrderSummary>;
  base: FoldedTotals;
}

export const emptyTotals = (): FoldedTotals => ({ n: 0, s: 0, r: 0, e: 0, m: {}, k: {}, p: [], h: 0 });

/** What the profile holds for one order before a change: nothing, its open summary, or its folded one. */
export type Held =
  | { where: 'open'; summary: OrderSummary }
  /** `others`: every other folded summary, read only when this one is the first or last order (movesFirstOrLast). */
  | { where: 'folded'; summary: OrderSummary; others: OrderSummary[] };

export interface HistoryChange {
  history: OrderHistory;
  /** Summaries folded by this change: a history page to write before the profile. */
  page?: Record<string, OrderSummary>;
}

const monthOf = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 7);
const paidRefund = (s: OrderSummary) => (s.s !== 'cancelled' && s.s !== 'pending' ? s.r : 0);

function addFolded(base: FoldedTotals, summary: OrderSummary): void {
  base.r += paidRefund(summary);
  if (!counts(summary)) return;
  const net = netOf(summary);
  base.n += 1;
  base.s += net;
  base.e += summary.e ?? 0;
  base.f = base.f === undefined ? summary.c : Math.min(base.f, summary.c);
  base.l = base.l === undefined ? summary.c : Math.max(base.l, summary.c);
  const month = monthOf(summary.c);
  const held = base.m[month] ?? [0, 0, 0, 0];
  base.m[month] = [held[0] + net, held[1] + 1, held[2] + (summary.e ?? 0), Math.max(held[3], summary.c)];
  for (const [category, amount] of Object.entries(summary.k ?? {})) base.k[category] = (base.k[category] ?? 0) + amount;
  base.p = [...new Set([...(summary.p ?? []), ...base.p])].slice(0, PRODUCTS_KEPT);
}

function subtractFolded(base: FoldedTotals, summary: OrderSummary, others: OrderSummary[]): void {
  base.r -= paidRefund(summary);
  if (!counts(summary)) return;
  const net = netOf(summary);
  base.n -= 1;
  base.s -= net;
  base.e -= summary.e ?? 0;
  const month = monthOf(summary.c);
  const held = base.m[month];
  if (held) {
    if (held[1] <= 1) delete base.m[month];
    else base.m[month] = [held[0] - net, held[1] - 1, held[2] - (summary.e ?? 0), held[3]];
  }
  for (const [category, amount] of Object.entries(summary.k ?? {})) {
    const left = (base.k[category] ?? 0) - amount;
    if (left > 0) base.k[category] = left;
    else delete base.k[category];
  }
  // The first or last order leaving: find them again among the other folded orders.
  if (summary.c === base.f || summary.c === base.l) {
    const remaining = others.filter(counts).map((s) => s.c);
    base.f = remaining.length > 0 ? Math.min(...remaining) : undefined;
    base.l = remaining.length > 0 ? Math.max(...remaining) : undefined;
  }
  if (base.n === 0) {
    base.f = undefined;
    base.l = undefined;
  }
}

function pruneTotals(base: FoldedTotals, at: Date): void {
  const oldest = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - (MONTHS_KEPT - 1), 1)).toISOString().slice(0, 7);
  for (const month of Object.keys(base.m)) if (month < oldest) delete base.m[month];
  const categories = Object.entries(base.k).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  base.k = Object.fromEntries(categories.slice(0, CATEGORIES_KEPT));
  if (base.f === undefined) delete base.f;
  if (base.l === undefined) delete base.l;
}

const cloneTotals = (base: FoldedTotals): FoldedTotals => ({
  ...base,
  m: Object.fromEntries(Object.entries(base.m).map(([month, totals]) => [month, [...totals] as MonthTotals])),
  k: { ...base.k },
  p: [...base.p],
});

/** Oldest first: by creation, then id, so every writer folds the same orders. */
const byAge = ([idA, a]: [string, OrderSummary], [idB, b]: [string, OrderSummary]) => a.c - b.c || (idA < idB ? -1 : idA > idB ? 1 : 0);

/**
 * The history after one order's summary changes to `next`. Pure and deterministic: the same
 * history and change always give the same result (and the same page), whichever writer computes it.
 */
export function withOrder(history: OrderHistory, orderId: string, next: OrderSummary, held: Held | undefined, at: Date): HistoryChange {
  const base = cloneTotals(history.base);
  const open = { ...history.open };
  if (held?.where === 'folded') subtractFolded(base, held.summary, held.others);
  open[orderId] = next;
  let page: Record<string, OrderSummary> | undefined;
  const entries = Object.entries(open);
  if (entries.length > OPEN_MAX) {
    page = {};
    // The changed order itself never folds in its own change: a page may only hold summaries the
    // profile already holds, so a page left by a write that then lost its race never holds a
    // summary newer than the profile's (foldedSummaries relies on it).
    const candidates = entries.filter(([id]) => id !== orderId).sort(byAge);
    for (const [id, summary] of candidates.slice(0, FOLD_COUNT)) {
      addFolded(base, summary);
      delete open[id];
      page[id] = summary;
    }
    base.h += 1;
  }
  pruneTotals(base, at);
  return { history: { open, base }, ...(page ? { page } : {}) };
}

/**
 * A page holds one folded order; its sort key is the order id, then the summary's seq (zero-padded),
 * so the pages of one order are found by prefix and the same fold always writes the same page.
 */
export function pageId(page: Record<string, OrderSummary>): string {
  const [orderId, summary] = Object.entries(page)[0] as [string, OrderSummary];
  return `${orderId}#${String(summary.q).padStart(10, '0')}`;
}

/**
 * The folded summary of each order from its history pages: the highest seq wins (a page written
 * by a fold whose profile write then lost a race holds an older or equal summary, never a newer
 * one). Orders still open on the profile are left out: the profile's summary is the one that counts.
 */
export function foldedSummaries(pages: Array<Record<string, OrderSummary>>, open: Record<string, OrderSummary>): Map<string, OrderSummary> {
  const folded = new Map<string, OrderSummary>();
  for (const page of pages) {
    for (const [orderId, summary] of Object.entries(page)) {
      if (orderId in open) continue;
      const held = folded.get(orderId);
      if (!held || held.q < summary.q) folded.set(orderId, summary);
    }
  }
  return folded;
}

/** Whether taking this folded summary out of the totals moves the first or last order (then the other folded summaries are needed). */
export const movesFirstOrLast = (history: OrderHistory, summary: OrderSummary) =>
  counts(summary) && (summary.c === history.base.f || summary.c === history.base.l);

export interface Aggregates {
  orderCount: number;
  totalSpent: number;
  refunded: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  spendByMonth: Record<string, number>;
  topCategories: string[];
}

const isoOfSeconds = (seconds: number) => new Date(seconds * 1000).toISOString();

/** The customer's aggregates: the folded totals plus the open summaries. */
export function aggregateHistory(history: OrderHistory): Aggregates {
  const { base } = history;
  let orderCount = base.n;
  let totalSpent = base.s;
  let refunded = base.r;
  let first = base.f ?? Number.POSITIVE_INFINITY;
  let last = base.l ?? Number.NEGATIVE_INFINITY;
  const spendByMonth: Record<string, number> = Object.fromEntries(Object.entries(base.m).map(([month, [net]]) => [month, net]));
  const byCategory = new Map(Object.entries(base.k));
  for (const summary of Object.values(history.open)) {
    refunded += paidRefund(summary);
    if (!counts(summary)) continue;
    orderCount++;
    totalSpent += netOf(summary);
    first = Math.min(first, summary.c);
    last = Math.max(last, summary.c);
    const month = monthOf(summary.c);
    spendByMonth[month] = (spendByMonth[month] ?? 0) + netOf(summary);
    for (const [category, amount] of Object.entries(summary.k ?? {})) byCategory.set(category, (byCategory.get(category) ?? 0) + amount);
  }
  const topCategories = [...byCategory.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 5)
    .map(([category]) => category);
  return {
    orderCount,
    totalSpent,
    refunded,
    firstOrderAt: orderCount > 0 ? isoOfSeconds(first) : null,
    lastOrderAt: orderCount > 0 ? isoOfSeconds(last) : null,
    spendByMonth: Object.fromEntries(Object.entries(spendByMonth).sort(([a], [b]) => a.localeCompare(b))),
    topCategories,
  };
}

/** A paid order's part in the tier rules; folded orders come as one entry per month (`count` orders). */
export interface HistoryOrder {
  net: number;
  placedAt: Date;
  points: number;
  count: number;
}

/**
 * The orders the tier metric reads: each open counted order as it is, the folded ones as one entry
 * per month dated at that month's latest order (a month counts in a window when its latest order
 * does), and what is older than the months kept as one entry at the epoch (counted by lifetime
 * windows only).
 */
export function historyOrders(history: OrderHistory): HistoryOrder[] {
  const open: HistoryOrder[] = Object.values(history.open)
    .filter(counts)
    .map((s) => ({ net: netOf(s), placedAt: new Date(s.c * 1000), points: s.e ?? 0, count: 1 }));
  return [...open, ...foldedHistoryOrders(history.base)];
}

/**
 * The folded orders' part of historyOrders: at their current value whatever the instant the tier
 * metric is read at (a folded order keeps no value over time; only the OPEN_MAX newest do).
 */
export function foldedHistoryOrders(base: FoldedTotals): HistoryOrder[] {
  const orders: HistoryOrder[] = [];
  let net = base.s;
  let count = base.n;
  let points = base.e;
  for (const [monthNet, monthCount, monthPoints, latest] of Object.values(base.m)) {
    orders.push({ net: monthNet, placedAt: new Date(latest * 1000), points: monthPoints, count: monthCount });
    net -= monthNet;
    count -= monthCount;
    points -= monthPoints;
  }
  if (count > 0) orders.push({ net, placedAt: new Date(0), points, count });
  return orders;
}

/** Product ids the customer bought: open counted orders, then the folded ones kept. */
export function purchasedProducts(history: OrderHistory): Set<string> {
  const products = new Set<string>();
  for (const summary of Object.values(history.open)) if (counts(summary)) for (const p of summary.p ?? []) products.add(p);
  for (const p of history.base.p) products.add(p);
  return products;
}

/**
 * A history from every summary of a customer (profiles written before histories were bounded held
 * one summary per order): the OPEN_MAX newest stay open, the rest are folded into pages.
 */
export function historyFromSummaries(
  summaries: Map<string, OrderSummary>,
  at: Date,
): HistoryChange & { pages: Array<Record<string, OrderSummary>> } {
  const sorted = [...summaries.entries()].sort(byAge);
  const keep = Math.max(0, sorted.length - OPEN_MAX);
  const base = emptyTotals();
  const pages = sorted.slice(0, keep).map(([orderId, summary]) => {
    addFolded(base, summary);
    return { [orderId]: summary };
  });
  base.h = pages.length;
  pruneTotals(base, at);
  return { history: { open: Object.fromEntries(sorted.slice(keep)), base }, pages };
}
