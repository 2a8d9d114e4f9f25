import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import { shopKey } from '#shared/data/keys.ts';
import { ConflictError } from '#shared/domain/errors.ts';

export type WebhookSource = 'shopify' | 'woocommerce' | 'generic';

export interface ShopRecord {
  shopId: string;
  name: string;
  currency: string;
  timezone: string;
  locale: string;
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
