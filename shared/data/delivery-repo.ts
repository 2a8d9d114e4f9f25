import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/data/db.ts';
import { deliveryKey } from '#shared/data/keys.ts';

/**
 * Delivery markers: a Shopify delivery (X-Shopify-Webhook-Id) seen in the last 72 hours — more
 * than Shopify's 48-hour retry horizon — is answered without enqueuing it again. The processor
 * converges without them; they only save the work. Expired by DynamoDB TTL on `expiresAt`.
 */
const KEEP_SECONDS = 72 * 3600;

/** Access pattern: was this delivery already accepted? */
export async function wasDelivered(db: Db, shopId: string, deliveryId: string): Promise<boolean> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: deliveryKey(shopId, deliveryId), ProjectionExpression: 'expiresAt' }),
  );
  // TTL deletion lags expiry by up to days: an expired marker counts as absent.
  return Item !== undefined && (Item.expiresAt as number) > Date.now() / 1000;
}

export async function markDelivered(db: Db, shopId: string, deliveryId: string, now: Date): Promise<void> {
  await db.client.send(
    new PutCommand({
      TableName: db.table,
      Item: { ...deliveryKey(shopId, deliveryId), expiresAt: Math.floor(now.getTime() / 1000) + KEEP_SECONDS },
    }),
  );
}
