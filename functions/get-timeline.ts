import { readDeps } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { authenticateShop, getTimeline } from '#shared/use-cases/read-customers.ts';

/** GET /v1/customers/{customerId}/timeline?limit=&cursor=: newest first. */
export const handler = httpHandler(async (event) => {
  const deps = readDeps();
  const shop = await authenticateShop(bearerToken(event), deps);
  logger.appendKeys({ shopId: shop.shopId, customerId: event.pathParameters?.customerId });
  return json(200, await getTimeline(shop, event.pathParameters?.customerId, event.queryStringParameters ?? {}, deps));
});
