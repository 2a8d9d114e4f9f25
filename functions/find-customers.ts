import { readDeps } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { listCustomers } from '#shared/use-cases/list-customers.ts';
import { authenticateShop, findCustomers } from '#shared/use-cases/read-customers.ts';

/** The lookup's parameters: a query naming one of them is a lookup, any other a page of the list. */
const LOOKUP = ['email', 'phone', 'externalId'];

/** GET /v1/customers?email=|phone=|externalId= (look one customer up), or ?sort=&q=&limit=&cursor= (a page of them). */
export const handler = httpHandler(async (event) => {
  const deps = readDeps();
  const shop = await authenticateShop(bearerToken(event), deps);
  logger.appendKeys({ shopId: shop.shopId });
  const query = event.queryStringParameters ?? {};
  if (LOOKUP.some((name) => query[name] !== undefined)) return json(200, await findCustomers(shop, query, deps));
  return json(200, await listCustomers(shop, query, deps));
});
