import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { parseJson } from '#shared/http/validate.ts';
import { logger } from '#shared/observability.ts';
import { replaceProgram } from '#shared/use-cases/manage-program.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** PUT /v1/program: {version, program} → the new version and the changes; 409 if edited meanwhile. */
export const handler = httpHandler(async (event) => {
  const apiKey = bearerToken(event);
  const shop = await authenticateShop(apiKey, { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  return json(200, await replaceProgram(shop, parseJson(rawBody(event)), { db: db(), now }, apiKey ?? ''));
});
