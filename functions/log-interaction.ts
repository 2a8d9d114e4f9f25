import { enqueueEvents } from '#shared/aws/event-queue.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { parseJson } from '#shared/http/validate.ts';
import { logger } from '#shared/observability.ts';
import { logInteraction } from '#shared/use-cases/log-interaction.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** POST /v1/interactions: log a touch or a feedback answer; 202 once it is on the queue. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  const result = await logInteraction(shop, parseJson(rawBody(event)), event.headers['idempotency-key'], {
    db: db(),
    enqueue: enqueueEvents,
    now,
  });
  return json(202, result);
});
