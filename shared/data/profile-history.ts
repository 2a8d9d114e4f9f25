import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure, writeBatch } from '#shared/data/db.ts';
import { customerPk, HISTORY_PAGE_PREFIX, historyPageKey, LEGACY_ORDER_SUMMARY_PREFIX } from '#shared/data/keys.ts';
import {
  emptyTotals,
  type FoldedTotals,
  foldedSummaries,
  historyFromSummaries,
  type OrderHistory,
  pageId,
} from '#shared/domain/history.ts';
import type { OrderSummary } from '#shared/domain/order.ts';

/**
 * The stored form of a customer's bounded order history (domain/history.ts): on the profile, `oo`
 * (the open summaries by order id) and `fb` (the folded totals); folded summaries in history pages
 * `SHOP#{shopId}#C#{customerId}` / `H#{orderId}#{seq}` (attribute `os`, one order each). The
 * attribute names live here and nowhere else.
 */

type Item = Record<string, unknown>;

function legacySummaries(item: Item): Map<string, OrderSummary> {
  const summaries = new Map<string, OrderSummary>();
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(LEGACY_ORDER_SUMMARY_PREFIX)) summaries.set(name.slice(LEGACY_ORDER_SUMMARY_PREFIX.length), value as OrderSummary);
  }
  return summaries;
}

/** Whether a profile still holds one summary per order (written before histories were bounded). */
export const isLegacyProfile = (item: Item | undefined) =>
  item !== undefined && Object.keys(item).some((name) => name.startsWith(LEGACY_ORDER_SUMMARY_PREFIX));

/** The order history a profile holds. A legacy profile is read as its migration would write it. */
export function historyOf(item: Item | undefined): OrderHistory {
  if (!item) return { open: {}, base: emptyTotals() };
  if (isLegacyProfile(item)) return historyFromSummaries(legacySummaries(item), new Date()).history;
  const stored = item.fb as Partial<FoldedTotals> | undefined;
  return {
    open: (item.oo as Record<string, OrderSummary> | undefined) ?? {},
    base: { ...emptyTotals(), ...stored },
  };
}

/** The profile attributes that store a history (for a profile update). */
export const historyAttributes = (history: OrderHistory) => ({ oo: history.open, fb: history.base });

/** Access pattern: every history page of a customer (a change to a folded order, the run, exports). */
export async function historyPages(db: Db, shopId: string, customerId: string): Promise<Array<Record<string, OrderSummary>>> {
  const pages: Array<Record<string, OrderSummary>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :h)',
        ExpressionAttributeValues: { ':pk': customerPk(shopId, customerId), ':h': HISTORY_PAGE_PREFIX },
        ProjectionExpression: 'os',
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) pages.push(item.os as Record<string, OrderSummary>);
    start = page.LastEvaluatedKey;
  } while (start);
  return pages;
}

/** Access pattern: the folded summary of one order, from its own pages (by prefix), unless the order is open. */
export async function foldedSummaryOf(
  db: Db,
  shopId: string,
  customerId: string,
  history: OrderHistory,
  orderId: string,
): Promise<OrderSummary | undefined> {
  if (history.base.h === 0 || orderId in history.open) return undefined;
  const { Items } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :h)',
      ExpressionAttributeValues: { ':pk': customerPk(shopId, customerId), ':h': `${HISTORY_PAGE_PREFIX}${orderId}#` },
      ProjectionExpression: 'os',
      ConsistentRead: true,
    }),
  );
  // The prefix also matches an order whose id continues with `#…`: only this order's entries count.
  const pages = (Items ?? []).map((item) => item.os as Record<string, OrderSummary>).filter((page) => orderId in page);
  return foldedSummaries(pages, history.open).get(orderId);
}

/** The folded summary of each folded order (none to read when the history never folded). */
export async function foldedOrders(db: Db, shopId: string, customerId: string, history: OrderHistory): Promise<Map<string, OrderSummary>> {
  if (history.base.h === 0) return new Map();
  return foldedSummaries(await historyPages(db, shopId, customerId), history.open);
}

/** Every order summary of a profile: open and folded (legacy profiles: their summaries). */
export async function allOrderSummaries(db: Db, shopId: string, customerId: string, item: Item): Promise<Map<string, OrderSummary>> {
  if (isLegacyProfile(item)) return legacySummaries(item);
  const history = historyOf(item);
  return new Map([...Object.entries(history.open), ...(await foldedOrders(db, shopId, customerId, history))]);
}

/** A history page as stored: keyed by its content, so the same fold always writes the same item. */
export const historyPageItem = (shopId: string, customerId: string, page: Record<string, OrderSummary>) => ({
  ...historyPageKey(shopId, customerId, pageId(page)),
  os: page,
});

const putPages = (db: Db, shopId: string, customerId: string, pages: Array<Record<string, OrderSummary>>) =>
  writeBatch(
    db,
    pages.map((page) => ({ PutRequest: { Item: historyPageItem(shopId, customerId, page) } })),
  );

/**
 * Rewrites a legacy profile into the bounded form: the folded summaries into history pages first,
 * then the profile — replaced whole, conditional on the version read, so a concurrent change makes
 * this attempt fail (false) and the caller reads again. Pages of a failed attempt are harmless: a
 * page never holds a summary newer than what the profile settles on (see foldedSummaries).
 */
export async function migrateProfile(db: Db, shopId: string, customerId: string, item: Item, now: Date): Promise<boolean> {
  if (!isLegacyProfile(item)) return false;
  const { history, pages } = historyFromSummaries(legacySummaries(item), now);
  await putPages(db, shopId, customerId, pages);
  const rewritten: Item = Object.fromEntries(Object.entries(item).filter(([name]) => !name.startsWith(LEGACY_ORDER_SUMMARY_PREFIX)));
  const version = (item.pv as number | undefined) ?? 0;
  try {
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: { ...rewritten, ...historyAttributes(history), pv: version + 1 },
        ConditionExpression: item.pv === undefined ? 'attribute_exists(PK) AND attribute_not_exists(pv)' : 'pv = :pv',
        ...(item.pv === undefined ? {} : { ExpressionAttributeValues: { ':pv': version } }),
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
