import { readDeps } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { authenticateShop, getLedger, getTimeline } from '#shared/use-cases/read-customers.ts';

/**
 * GET /v1/customers/{customerId}/timeline?limit=&cursor= and GET /v1/customers/{customerId}/ledger?limit=&cursor=:
 * a customer's records a page at a time, newest first. One function: the same query on another prefix.
 */
export const handler = httpHandler(async (event) => {
  const deps = readDeps();
  const shop = await authenticateShop(bearerToken(event), deps);
  logger.appendKeys({ shopId: shop.shopId, customerId: event.pathParameters?.customerId });
  const read = event.routeKey.endsWith('/ledger') ? getLedger : getTimeline;
  return json(200, await read(shop, event.pathParameters?.customerId, event.queryStringParameters ?? {}, deps));
});
