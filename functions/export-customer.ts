import { db, loadShop } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { exportCustomer } from '#shared/use-cases/customer-privacy.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** GET /v1/customers/{customerId}/export: everything Rapport holds about one customer. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId, customerId: event.pathParameters?.customerId });
  return json(200, await exportCustomer(shop, event.pathParameters?.customerId, db()));
});
