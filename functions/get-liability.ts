import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { loadProgram } from '#shared/program-deps.ts';
import { loyaltyLiability } from '#shared/use-cases/loyalty-admin.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** GET /v1/loyalty/liability: outstanding, pending and spendable points and what they are worth. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  return json(200, await loyaltyLiability(shop, { db: db(), program: loadProgram, now }));
});
