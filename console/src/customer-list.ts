import type { Api } from './api.ts';
import type { CustomerRow, Page } from './types.ts';

/** GET /v1/customers?limit=&cursor=&sort=&q= (the list; before it existed the route took only email/phone/externalId). */
export const listCustomers = (api: Api, query: { limit?: number; cursor?: string | undefined; sort?: string; q?: string | undefined }) =>
  api.get<Page<CustomerRow>>('/v1/customers', query);

/** The list route is absent: a 404, or the old lookup's 400 asking for exactly one identity. */
export const listingUnsupported = (error: unknown) => {
  const e = error as { status?: number; field?: string; message?: string };
  return e?.status === 404 || (e?.status === 400 && e.field === 'query' && /exactly one/.test(e.message ?? ''));
};

export const OVERVIEW_LIST_CAP = 2000;

export interface CustomerSample {
  rows: CustomerRow[];
  /** Every customer was read (the shop has at most OVERVIEW_LIST_CAP). */
  complete: boolean;
}

/**
 * Customers by last order, newest first, up to a cap: enough to count recent buyers exactly (the
 * walk stops early once past 90 days) and, for a shop this small, to add up revenue per segment.
 */
export async function recentCustomers(api: Api, needAll: boolean): Promise<CustomerSample> {
  const rows: CustomerRow[] = [];
  const cutoff = Date.now() - 90 * 86_400_000;
  let cursor: string | undefined;
  do {
    const page = await listCustomers(api, { limit: 100, sort: 'lastOrderAt', cursor });
    rows.push(...page.items);
    cursor = page.cursor;
    const last = page.items.at(-1)?.lastOrderAt;
    if (!needAll && (!last || Date.parse(last) < cutoff)) break;
  } while (cursor && rows.length < OVERVIEW_LIST_CAP);
  return { rows, complete: !cursor };
}
