import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import { shopDirectoryKey, shopKey } from '#shared/data/keys.ts';
import { ConflictError } from '#shared/domain/errors.ts';

export type WebhookSource = 'shopify' | 'woocommerce' | 'generic';

export interface ShopRecord {
  shopId: string;
  name: string;
  currency: string;
  timezone: string;
  locale: string;
  /** The storefront's URL, for the emails' button. */
  url?: string;
  /** SHA-256 of each live API key (a list, so keys can be rotated without downtime). */
  apiKeyHashes: string[];
  /** Webhook signing secrets, sealed with the deployment master key (domain/crypto.ts). */
  secrets: Partial<Record<WebhookSource, string>>;
  settings: { ignoreTestOrders: boolean };
  createdAt: string;
}

/** Access pattern: get a shop by id (webhook verification, API key check). */
export async function getShop(db: Db, shopId: string): Promise<ShopRecord | undefined> {
  const { Item } = await db.client.send(new GetCommand({ TableName: db.table, Key: shopKey(shopId) }));
  if (!Item) return undefined;
  const { PK: _pk, SK: _sk, ...shop } = Item;
  return shop as ShopRecord;
}

/** Invariant: a shop id is taken once. */
export async function putShopIfAbsent(db: Db, shop: ShopRecord): Promise<void> {
  try {
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: { ...shopKey(shop.shopId), ...shop },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw new ConflictError(`shop ${shop.shopId} already exists`);
    throw error;
  }
}

/** The shop directory (SHOPS / {shopId}): which shops exist and their time zones, for the local scheduler. */
export async function putShopDirectoryEntry(db: Db, shop: Pick<ShopRecord, 'shopId' | 'timezone' | 'createdAt'>): Promise<void> {
  await db.client.send(
    new PutCommand({ TableName: db.table, Item: { ...shopDirectoryKey(shop.shopId), timezone: shop.timezone, createdAt: shop.createdAt } }),
  );
}

/** Access pattern: every shop with its time zone (one small partition; read by the local scheduler each hour). */
export async function listShopDirectory(db: Db): Promise<Array<{ shopId: string; timezone: string }>> {
  const shops: Array<{ shopId: string; timezone: string }> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': shopDirectoryKey('').PK },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) shops.push({ shopId: item.SK as string, timezone: item.timezone as string });
    start = page.LastEvaluatedKey;
  } while (start);
  return shops;
}
