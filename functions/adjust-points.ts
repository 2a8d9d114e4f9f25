import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { parseJson } from '#shared/http/validate.ts';
import { logger } from '#shared/observability.ts';
import { loadProgram } from '#shared/program-deps.ts';
import { adjustPoints } from '#shared/use-cases/adjust-points.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** POST /v1/customers/{customerId}/points (Idempotency-Key): a staff adjustment, 201 with the entry and the new balance, 409 if too few points. */
export const handler = httpHandler(async (event) => {
  const apiKey = bearerToken(event) ?? '';
  const shop = await authenticateShop(apiKey, { loadShop });
  logger.appendKeys({ shopId: shop.shopId, customerId: event.pathParameters?.customerId });
  const { status, ...answer } = await adjustPoints(
    shop,
    event.pathParameters?.customerId,
    parseJson(rawBody(event)),
    event.headers['idempotency-key'],
    apiKey,
    { db: db(), program: loadProgram, now },
  );
  return json(status, answer);
});
