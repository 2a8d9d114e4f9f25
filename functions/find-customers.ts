import { readDeps } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { authenticateShop, findCustomers } from '#shared/use-cases/read-customers.ts';

/** GET /v1/customers?email=|phone=|externalId=: look a customer up by one identity. */
export const handler = httpHandler(async (event) => {
  const deps = readDeps();
  const shop = await authenticateShop(bearerToken(event), deps);
  logger.appendKeys({ shopId: shop.shopId });
  return json(200, await findCustomers(shop, event.queryStringParameters ?? {}, deps));
});
