import { enqueueEvents } from '#shared/aws/event-queue.ts';
import { masterKey } from '#shared/aws/secrets.ts';
import { markDelivered, wasDelivered } from '#shared/data/delivery-repo.ts';
import { markShopErased } from '#shared/data/shop-repo.ts';
import { db, loadShop } from '#shared/deps.ts';
import { httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { receiveWebhook, type WebhookSource } from '#shared/use-cases/receive-webhook.ts';

const webhookDeps = {
  loadShop,
  masterKey,
  enqueue: enqueueEvents,
  markShopErased: (shopId: string, at: Date) => markShopErased(db(), shopId, at),
  wasDelivered: (shopId: string, id: string) => wasDelivered(db(), shopId, id),
  markDelivered: (shopId: string, id: string, now: Date) => markDelivered(db(), shopId, id, now),
};

/** The route's source: /webhooks/{source}/{shopId} (the trigger table lists exactly these three). */
const sourceOf = (routeKey: string) => /^POST \/webhooks\/(generic|shopify|woocommerce)\//.exec(routeKey)?.[1] as WebhookSource;

/** POST /webhooks/{generic|shopify|woocommerce}/{shopId}: verify, normalize, enqueue, answer 202. */
export const handler = httpHandler(async (event) => {
  const shopId = event.pathParameters?.shopId ?? '';
  const source = sourceOf(event.routeKey);
  logger.appendKeys({ shopId, source });
  const result = await receiveWebhook({ source, shopId, headers: event.headers, body: rawBody(event), now: new Date() }, webhookDeps);
  logger.info('webhook answered', { ...result });
  return json(result.accepted > 0 ? 202 : 200, result);
});
