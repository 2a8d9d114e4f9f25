import { enqueueEvents } from '#shared/aws/event-queue.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { requestErasure } from '#shared/use-cases/customer-privacy.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** DELETE /v1/customers/{customerId}: erase a customer's personal data; 202 once queued. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId, customerId: event.pathParameters?.customerId });
  return json(202, await requestErasure(shop, event.pathParameters?.customerId, { db: db(), enqueue: enqueueEvents, now }));
});
