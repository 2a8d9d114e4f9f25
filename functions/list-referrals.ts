import { db, loadShop } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';
import { readReferrals } from '#shared/use-cases/referrals.ts';

/** GET /v1/referrals?referrer=&limit=&cursor=: the shop's referrals (or one referrer's friends), newest first, with their status and revenue. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  return json(200, await readReferrals(shop, event.queryStringParameters ?? {}, { db: db() }));
});
