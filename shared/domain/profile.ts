import { type Aggregates, aggregateHistory, emptyTotals } from '#shared/domain/history.ts';
import type { OrderSummary } from '#shared/domain/order.ts';

/** Money as the API shows it, and a customer's aggregates (use-cases/profile-view.ts shows the profile). */

export interface Money {
  amount: number;
  currency: string;
}

export type { Aggregates };

/** The aggregates of a set of order summaries (as if none were folded): the oracle's view. */
export const aggregate = (summaries: Iterable<OrderSummary>): Aggregates =>
  aggregateHistory({ open: Object.fromEntries([...summaries].map((summary, i) => [String(i), summary])), base: emptyTotals() });
