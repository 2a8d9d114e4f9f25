import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/data/db.ts';
import { SHOP_ACTIVITY_PREFIX, shopActivityKey, shopKey } from '#shared/data/keys.ts';

/**
 * The shop's activity: what was changed through the shop API, when, and with which key — under the
 * shop's partition (`SHOP#{shopId}` / `ACT#{at}#{entryId}`), a year by TTL. An entry names fields and
 * ids, never a secret's value (a secret entry says only `set` or `replaced`) nor anything personal (a
 * points adjustment keeps the customer id and the points, not the reason, which is free text; the
 * reason is on the customer's own timeline, which erasure clears).
 */

export const SHOP_ACTIVITY_KEEP_DAYS = 365;

export interface ShopActivityEntry {
  at: string;
  /** Unique per entry (a random id): two identical changes are two entries. */
  entryId: string;
  action: 'shop.updated' | 'apiKey.rotated' | 'points.adjusted' | 'program.updated';
  /** Which API key acted: the first 12 hex digits of its SHA-256 (the key cannot be derived from it). */
  by: string;
  /** shop.updated: each field changed; a secret's value is never given. */
  changes?: Array<{ field: string; from?: unknown; to?: unknown; change?: 'set' | 'replaced' }>;
  customerId?: string;
  points?: number;
  /** program.updated: the version saved (its changes are the program's diff lines, `field` the path). */
  version?: number;
  /** program.updated: changes beyond the first MAX_PROGRAM_CHANGES, counted, not listed (the entry stays small). */
  more?: number;
}

/** A program.updated entry lists at most this many changed fields: a whole new program stays one small item. */
export const MAX_PROGRAM_CHANGES = 50;

export async function putShopActivity(db: Db, shopId: string, entry: ShopActivityEntry): Promise<void> {
  await db.client.send(
    new PutCommand({
      TableName: db.table,
      Item: {
        ...shopActivityKey(shopId, entry.at, entry.entryId),
        ...entry,
        expiresAt: Math.floor(Date.parse(entry.at) / 1000) + SHOP_ACTIVITY_KEEP_DAYS * 86_400,
      },
    }),
  );
}

/** Access pattern: the shop's activity, newest first, a page at a time. */
export async function shopActivityPage(db: Db, shopId: string, limit: number, afterSk?: string) {
  const pk = shopKey(shopId).PK;
  const { Items, LastEvaluatedKey } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :act)',
      ExpressionAttributeValues: { ':pk': pk, ':act': SHOP_ACTIVITY_PREFIX },
      ScanIndexForward: false,
      Limit: limit,
      ...(afterSk ? { ExclusiveStartKey: { PK: pk, SK: afterSk } } : {}),
    }),
  );
  return {
    items: (Items ?? []).map(({ PK: _pk, SK: _sk, expiresAt: _e, ...entry }) => entry as ShopActivityEntry),
    lastSk: LastEvaluatedKey?.SK as string | undefined,
  };
}
