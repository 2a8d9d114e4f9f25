import { masterKey } from '#shared/aws/secrets.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';
import { checkCoupon, checkRewardCode, rewardCodeOf } from '#shared/use-cases/verify-coupon.ts';

/**
 * GET /v1/coupons/{code}: a reward's code (`RW-…`: its status, value and expiry, from its item), or
 * `?customerId=&offer=` for a segment offer's coupon (`{"valid": true|false}`, derived, no read).
 */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  const query = event.queryStringParameters ?? {};
  const given = event.pathParameters?.code;
  const reward = typeof given === 'string' ? rewardCodeOf(given) : undefined;
  if (reward) return json(200, await checkRewardCode(shop, reward, query, { db: db(), now }));
  return json(200, await checkCoupon(shop, given, query, { masterKey }));
});
