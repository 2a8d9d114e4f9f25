import { enqueueEvents } from '#shared/aws/event-queue.ts';
import { masterKey } from '#shared/aws/secrets.ts';
import { loadShop } from '#shared/deps.ts';
import { httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { receiveWebhook } from '#shared/use-cases/receive-webhook.ts';

const webhookDeps = { loadShop, masterKey, enqueue: enqueueEvents };

/** POST /webhooks/generic/{shopId}: verify, validate, enqueue, answer 202. */
export const handler = httpHandler(async (event) => {
  const shopId = event.pathParameters?.shopId ?? '';
  logger.appendKeys({ shopId });
  const result = await receiveWebhook(
    { source: 'generic', shopId, headers: event.headers, body: rawBody(event), now: new Date() },
    webhookDeps,
  );
  logger.info('webhook accepted', { source: 'generic', ...result });
  return json(result.accepted > 0 ? 202 : 200, result);
});
