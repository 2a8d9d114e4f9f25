import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, type WriteRequest, writeBatch } from '#shared/data/db.ts';
import { type CustomerListSort, customerListPk, customerSearchPk } from '#shared/data/keys.ts';

/**
 * The customer lists the scheduled run keeps for the console (GET /v1/customers?sort=&q=): sparse
 * items of keys only, sorted by DynamoDB, so a page is one Query however many customers a shop has.
 *
 * - one list per sort, `SHOP#{shopId}#LIST#{sort}` / `{value}#{customerId}`, read in descending order:
 *   the last order's time (`0` before the first order), the total spent (16 digits), the 12-month
 *   value rounded to 3 significant digits (16 digits; `-` without a model) — rounded so the small
 *   daily drift of a fitted value does not rewrite the list every day;
 * - the search tokens (domain/search.ts), `SHOP#{shopId}#FIND#{first character}` / `{token}#{customerId}`,
 *   read by prefix.
 *
 * What a customer is listed under is kept on the profile (`lk`, profile-item.ts): the run writes a
 * customer's new entries, then the profile (unless erased meanwhile), then deletes the entries left
 * behind, so the profile always names every entry it has. Readers check a row against the profile
 * and skip one it does not name (a run cut short between its writes leaves such an entry behind).
 * Why the run and not the processor: see ACCESS_PATTERNS.md, "The customer lists".
 */

export const CUSTOMER_LIST_SORTS: readonly CustomerListSort[] = ['lastOrderAt', 'totalSpent', 'clv'];

/** What a customer is listed under: as of the run that wrote it. */
export interface ListedValues {
  lastOrderAt?: string;
  /** Minor units. */
  totalSpent: number;
  /** The 12-month expected value in minor units, when a model gave one. */
  clv?: number;
  tokens: string[];
}

type Key = { PK: string; SK: string };

const padded = (n: number) => String(Math.max(0, Math.round(n))).padStart(16, '0');

/** The sortable value a customer is listed under, per sort. */
export function sortValueOf(sort: CustomerListSort, values: ListedValues): string {
  switch (sort) {
    case 'lastOrderAt':
      return values.lastOrderAt ?? '0';
    case 'totalSpent':
      return padded(values.totalSpent);
    case 'clv':
      return values.clv === undefined ? '-' : padded(Number(Math.max(0, values.clv).toPrecision(3)));
  }
}

/** The partition of a token: its first character when a–z or 0–9, else `_`. */
export const tokenBucket = (token: string) => (/^[a-z0-9]/.test(token) ? (token[0] as string) : '_');

/** Every search partition of a shop (a shop's erasure empties them). */
export const SEARCH_BUCKETS = [...'abcdefghijklmnopqrstuvwxyz0123456789_'];

export const customerIdOfEntry = (sk: string) => sk.slice(sk.lastIndexOf('#') + 1);

/** The list entries of a customer listed under `values` (none when not listed). */
export function listEntryKeys(shopId: string, customerId: string, values: ListedValues | undefined): Key[] {
  if (!values) return [];
  return [
    ...CUSTOMER_LIST_SORTS.map((sort) => ({ PK: customerListPk(shopId, sort), SK: `${sortValueOf(sort, values)}#${customerId}` })),
    ...values.tokens.map((token) => ({ PK: customerSearchPk(shopId, tokenBucket(token)), SK: `${token}#${customerId}` })),
  ];
}

/** The entries to write and to delete to move a customer from `before` to `after`. */
export function listChanges(shopId: string, customerId: string, before: ListedValues | undefined, after: ListedValues | undefined) {
  const id = (key: Key) => `${key.PK}\u0000${key.SK}`;
  const old = listEntryKeys(shopId, customerId, before);
  const wanted = listEntryKeys(shopId, customerId, after);
  const had = new Set(old.map(id));
  const keep = new Set(wanted.map(id));
  return { puts: wanted.filter((key) => !had.has(id(key))), deletes: old.filter((key) => !keep.has(id(key))) };
}

/** Batches of 25 sent side by side: a page of the run (100 customers) moves up to ~1,000 entries. */
const PARALLEL_BATCHES = 4;

async function writeSideBySide(db: Db, requests: WriteRequest[]): Promise<void> {
  const chunk = Math.max(25, Math.ceil(requests.length / PARALLEL_BATCHES / 25) * 25);
  const chunks = Array.from({ length: Math.ceil(requests.length / chunk) }, (_, i) => requests.slice(i * chunk, (i + 1) * chunk));
  await Promise.all(chunks.map((part) => writeBatch(db, part)));
}

/** Entries hold their keys only: idempotent, 25 per BatchWriteItem, 1 write unit each. */
export const putListEntries = (db: Db, keys: Key[]) =>
  writeSideBySide(
    db,
    keys.map((Item) => ({ PutRequest: { Item } })),
  );
export const deleteListEntries = (db: Db, keys: Key[]) =>
  writeSideBySide(
    db,
    keys.map((Key) => ({ DeleteRequest: { Key } })),
  );

/** Access pattern: a page of one sort's list, largest (newest) first, from a position. */
export async function customerListPage(db: Db, shopId: string, sort: CustomerListSort, limit: number, afterSk?: string) {
  const pk = customerListPk(shopId, sort);
  const { Items, LastEvaluatedKey } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ScanIndexForward: false,
      Limit: limit,
      ...(afterSk ? { ExclusiveStartKey: { PK: pk, SK: afterSk } } : {}),
    }),
  );
  return { entries: (Items ?? []).map((item) => item.SK as string), lastSk: LastEvaluatedKey?.SK as string | undefined };
}

/** Access pattern: the customers with a token starting with `prefix`, by token, from a position. */
export async function customerSearchPage(db: Db, shopId: string, prefix: string, limit: number, afterSk?: string) {
  const pk = customerSearchPk(shopId, tokenBucket(prefix));
  const { Items, LastEvaluatedKey } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      Limit: limit,
      ...(afterSk ? { ExclusiveStartKey: { PK: pk, SK: afterSk } } : {}),
    }),
  );
  return { entries: (Items ?? []).map((item) => item.SK as string), lastSk: LastEvaluatedKey?.SK as string | undefined };
}
