import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { parseJson } from '#shared/http/validate.ts';
import { logger } from '#shared/observability.ts';
import { loadProgram } from '#shared/program-deps.ts';
import { setTierOverride } from '#shared/use-cases/loyalty-admin.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** PUT /v1/customers/{customerId}/tier: set or remove a manual tier override (floor or pin). */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId, customerId: event.pathParameters?.customerId });
  return json(
    200,
    await setTierOverride(shop, event.pathParameters?.customerId, parseJson(rawBody(event)), { db: db(), program: loadProgram, now }),
  );
});
