import { masterKey } from '#shared/aws/secrets.ts';
import { loadShop } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';
import { checkCoupon } from '#shared/use-cases/verify-coupon.ts';

/** GET /v1/coupons/{code}?customerId=&offer=: `{"valid": true|false}` for a segment offer's coupon. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  return json(200, await checkCoupon(shop, event.pathParameters?.code, event.queryStringParameters ?? {}, { masterKey }));
});
