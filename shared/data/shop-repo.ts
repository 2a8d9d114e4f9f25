import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import { shopDirectoryKey, shopErasureKey, shopKey } from '#shared/data/keys.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import type { Brand } from '#shared/email/shop-template.ts';

export type WebhookSource = 'shopify' | 'woocommerce' | 'generic';

/** The signing secrets a shop replaces with a grace period: its webhook secrets and its storefront secret. */
export type SealedSecretName = WebhookSource | 'storefront';

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
  /**
   * Secrets replaced in the last 24 hours, still accepted until `until` so deliveries signed before
   * the sender switched are not refused (sealed like `secrets`, under the same context); `storefront`
   * likewise for the storefront secret, so customers signed a moment before a rotation stay signed in.
   */
  previousSecrets?: Partial<Record<SealedSecretName, { sealed: string; until: string }>>;
  /**
   * The secret the shop's server signs its logged-in customers with (`X-Rapport-Customer`, domain/
   * customer-signature.ts), sealed under the context `${shopId}:storefront` (data/shop-credentials.ts).
   */
  storefrontSecret?: string;
  /** The Shopify Admin API credentials, for reward codes on the shop's platform; the token sealed (`${shopId}:shopify-admin`). */
  shopify?: { domain: string; adminAccessToken: string };
  /**
   * The WooCommerce REST API credentials, for reward codes on the shop's platform; key and secret
   * sealed (`${shopId}:woocommerce-key`, `${shopId}:woocommerce-secret`).
   */
  woocommerce?: { url: string; consumerKey: string; consumerSecret: string };
  settings: { ignoreTestOrders: boolean };
  /** The look and the postal address of the emails the shop writes (shared/email/shop-template.ts BrandSchema). */
  brand?: Brand;
  createdAt: string;
  updatedAt?: string;
  /** Optimistic version of the record: every change through the shop API is conditional on it (absent: 0). */
  revision?: number;
}

/**
 * Access pattern: get a shop by id (webhook verification, API key check). Whether it is erased is a
 * separate read (shopErasedAt): the record is cached per container, the marker never is.
 */
export async function getShop(db: Db, shopId: string, consistent = false): Promise<ShopRecord | undefined> {
  const { Item } = await db.client.send(new GetCommand({ TableName: db.table, Key: shopKey(shopId), ConsistentRead: consistent }));
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

/**
 * Invariant: a change to the shop is planned from the record it replaces. The update applies only if
 * nobody changed the shop since `revision` was read (a secret's grace, the key hashes and the
 * settings are each computed from the record as read); returns the record after the write, or
 * undefined when the condition failed (the caller re-reads). `remove` names attributes to delete.
 */
export async function updateShopIfUnchanged(
  db: Db,
  shopId: string,
  revision: number,
  set: Partial<Omit<ShopRecord, 'shopId' | 'revision'>>,
  remove: Array<keyof ShopRecord> = [],
): Promise<ShopRecord | undefined> {
  const entries = Object.entries(set).filter(([, value]) => value !== undefined);
  const names: Record<string, string> = { '#rev': 'revision' };
  const values: Record<string, unknown> = { ':next': revision + 1 };
  const sets = ['#rev = :next'];
  entries.forEach(([name, value], i) => {
    names[`#s${i}`] = name;
    values[`:s${i}`] = value;
    sets.push(`#s${i} = :s${i}`);
  });
  remove.forEach((name, i) => {
    names[`#r${i}`] = name;
  });
  if (revision > 0) values[':rev'] = revision;
  try {
    const { Attributes } = await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: shopKey(shopId),
        UpdateExpression: `SET ${sets.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.map((_, i) => `#r${i}`).join(', ')}` : ''}`,
        ConditionExpression: revision > 0 ? 'attribute_exists(PK) AND #rev = :rev' : 'attribute_exists(PK) AND attribute_not_exists(#rev)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    const { PK: _pk, SK: _sk, ...shop } = Attributes ?? {};
    return shop as ShopRecord;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
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

/** Access pattern: one page of the shop directory, by shop id (GET /admin/shops). */
export async function shopDirectoryPage(db: Db, limit: number, after?: string) {
  const pk = shopDirectoryKey('').PK;
  const { Items, LastEvaluatedKey } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      Limit: limit,
      ...(after ? { ExclusiveStartKey: { PK: pk, SK: after } } : {}),
    }),
  );
  return {
    shops: (Items ?? []).map((item) => ({
      shopId: item.SK as string,
      timezone: item.timezone as string,
      createdAt: item.createdAt as string,
    })),
    last: LastEvaluatedKey?.SK as string | undefined,
  };
}

/**
 * Access pattern: several shops' records and erasure markers in one BatchGetItem (at most 50 shops:
 * two keys each). The records as stored, secrets sealed; the caller shows what it may.
 */
export async function getShopsWithErasure(db: Db, shopIds: string[]) {
  const keys = shopIds.flatMap((shopId) => [shopKey(shopId), shopErasureKey(shopId)]);
  const found = new Map<string, Record<string, unknown>>();
  let pending: Record<string, unknown>[] = keys;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 8) throw new Error('batch read did not finish');
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
    const { Responses, UnprocessedKeys } = await db.client.send(new BatchGetCommand({ RequestItems: { [db.table]: { Keys: pending } } }));
    for (const item of Responses?.[db.table] ?? []) found.set(`${item.PK}|${item.SK}`, item);
    pending = UnprocessedKeys?.[db.table]?.Keys ?? [];
  }
  return shopIds.map((shopId) => {
    const key = shopKey(shopId);
    const marker = shopErasureKey(shopId);
    const record = found.get(`${key.PK}|${key.SK}`);
    const erased = found.get(`${marker.PK}|${marker.SK}`);
    const { PK: _pk, SK: _sk, ...shop } = record ?? {};
    return {
      shopId,
      shop: record ? (shop as unknown as ShopRecord) : undefined,
      erasedAt: erased && (erased.expiresAt as number) > Date.now() / 1000 ? (erased.erasedAt as string) : undefined,
    };
  });
}

/**
 * How long the marker stands (then DynamoDB TTL removes it): longer than any event accepted before the
 * erasure can still be delivered — 14 days at most on the dead-letter queue, which keeps a message's
 * first enqueue time — with room for an operator's redrive. Until then the id cannot be reused.
 */
export const ERASURE_HOLD_DAYS = 30;

/**
 * Access pattern: when was this shop erased (undefined: it is not)? A strongly consistent read: an
 * erasure accepted a moment ago, in any container, is seen by the next request. 1 read unit, whether
 * or not the marker exists. TTL deletion lags expiry by up to days: an expired marker counts as absent.
 */
export async function shopErasedAt(db: Db, shopId: string, now: Date): Promise<string | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: shopErasureKey(shopId), ConsistentRead: true, ProjectionExpression: 'erasedAt, expiresAt' }),
  );
  return Item && (Item.expiresAt as number) > now.getTime() / 1000 ? (Item.erasedAt as string) : undefined;
}

/**
 * Invariant: a shop's erasure is marked once, with the time it was first accepted. Repeats (a second
 * shop/redact, the processor after the webhook, a redelivery) keep that time; a marker that has
 * expired is replaced. 1 write unit.
 */
export async function markShopErased(db: Db, shopId: string, now: Date): Promise<void> {
  const seconds = Math.floor(now.getTime() / 1000);
  try {
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: { ...shopErasureKey(shopId), erasedAt: now.toISOString(), expiresAt: seconds + ERASURE_HOLD_DAYS * 86_400 },
        ConditionExpression: 'attribute_not_exists(PK) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': seconds },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error; // marked already: the first erasure's time stands
  }
}
