import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/data/db.ts';
import { customerPk, ledgerKey } from '#shared/data/keys.ts';
import type { LedgerEntryDraft } from '#shared/loyalty/plan.ts';

/**
 * The points ledger: SHOP#{shopId}#C#{customerId} / PTS#{at}#{entryId}. Entries are written after
 * the profile write that applied them (the profile's balance is the authority), each under a
 * deterministic id, so a repeat rewrites the same entry and the balance always equals their sum.
 */

export async function putLedgerEntry(db: Db, shopId: string, customerId: string, entry: LedgerEntryDraft): Promise<void> {
  await db.client.send(
    new PutCommand({ TableName: db.table, Item: { ...ledgerKey(shopId, customerId, entry.at, entry.entryId), ...entry } }),
  );
}

/** Access pattern: is this entry written (a repeated delivery checks before rewriting)? */
export async function hasLedgerEntry(db: Db, shopId: string, customerId: string, entry: LedgerEntryDraft): Promise<boolean> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: ledgerKey(shopId, customerId, entry.at, entry.entryId), ProjectionExpression: 'PK' }),
  );
  return Item !== undefined;
}

/** Access pattern: one ledger entry by its time and id (a repeated request finds the first answer). */
export async function getLedgerEntry(
  db: Db,
  shopId: string,
  customerId: string,
  at: string,
  entryId: string,
): Promise<LedgerEntryDraft | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: ledgerKey(shopId, customerId, at, entryId), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const { PK: _pk, SK: _sk, ...entry } = Item;
  return entry as LedgerEntryDraft;
}

/** Access pattern: a customer's ledger, oldest first (expiry, the liability report, audits). */
export async function ledgerEntries(db: Db, shopId: string, customerId: string): Promise<LedgerEntryDraft[]> {
  const entries: LedgerEntryDraft[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)',
        ExpressionAttributeValues: { ':pk': customerPk(shopId, customerId), ':p': 'PTS#' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const { PK: _pk, SK: _sk, ...entry } of page.Items ?? []) entries.push(entry as LedgerEntryDraft);
    start = page.LastEvaluatedKey;
  } while (start);
  return entries;
}
