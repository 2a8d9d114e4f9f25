import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';
import { readEmailLog } from '#shared/use-cases/read-email-log.ts';

/** GET /v1/emails?trigger=&status=&limit=&cursor=: the shop's send log (sent, skipped with the reason, bounced), newest first. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  return json(200, await readEmailLog(shop, event.queryStringParameters ?? {}, { db: db(), now }));
});
