import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { parseJson } from '#shared/http/validate.ts';
import { logger } from '#shared/observability.ts';
import { loadFreshProgram } from '#shared/program-deps.ts';
import { awardActivity } from '#shared/use-cases/award-activity.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** POST /v1/customers/{customerId}/activities (Idempotency-Key): points for an activity of the program, 201 with the entry and the new balance, 409 if not earned. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event) ?? '', { loadShop });
  logger.appendKeys({ shopId: shop.shopId, customerId: event.pathParameters?.customerId });
  const { status, ...answer } = await awardActivity(
    shop,
    event.pathParameters?.customerId,
    parseJson(rawBody(event)),
    event.headers['idempotency-key'],
    // Fresh: an activity the shop has just added to its program earns at once.
    { db: db(), program: loadFreshProgram, now },
  );
  return json(status, answer);
});
