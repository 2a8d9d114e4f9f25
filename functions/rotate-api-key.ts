import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { rotateApiKey } from '#shared/use-cases/manage-shop.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** POST /v1/shop/api-keys: a new API key, shown once; every earlier key is refused from this answer on. */
export const handler = httpHandler(async (event) => {
  const apiKey = bearerToken(event) ?? '';
  const shop = await authenticateShop(apiKey, { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  return json(201, await rotateApiKey(shop, apiKey, { db: db(), now }));
});
