import { masterKey } from '#shared/aws/secrets.ts';
import { config } from '#shared/config.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { parseJson } from '#shared/http/validate.ts';
import { logger } from '#shared/observability.ts';
import { readShopActivity, shopView, updateShop } from '#shared/use-cases/manage-shop.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** GET|PATCH /v1/shop, GET /v1/shop/activity: the shop as its owner manages it. */
export const handler = httpHandler(async (event) => {
  const apiKey = bearerToken(event) ?? '';
  const shop = await authenticateShop(apiKey, { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  const deps = { db: db(), masterKey, now, publicUrl: config().PUBLIC_API_URL ?? '' };
  switch (event.routeKey) {
    case 'PATCH /v1/shop':
      return json(200, await updateShop(shop, parseJson(rawBody(event)), apiKey, deps));
    case 'GET /v1/shop/activity':
      return json(200, await readShopActivity(shop, event.queryStringParameters ?? {}, deps.db));
    default:
      return json(200, shopView(shop, deps.publicUrl, now()));
  }
});
