import { db, loadShop } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { programVersion, programVersions, readProgram } from '#shared/use-cases/manage-program.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/**
 * GET /v1/program: the shop's loyalty program (the defaults, as version 0, until it saves one);
 * GET /v1/program/versions and /v1/program/versions/{version}: its history.
 */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  if (event.routeKey.endsWith('/versions')) return json(200, await programVersions(shop, event.queryStringParameters ?? {}, db()));
  if (event.routeKey.endsWith('/{version}')) return json(200, await programVersion(shop, event.pathParameters?.version, db()));
  return json(200, await readProgram(shop, db()));
});
