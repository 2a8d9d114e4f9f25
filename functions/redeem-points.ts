import { enqueueTriggerEmails } from '#shared/aws/email-queue.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { parseJson } from '#shared/http/validate.ts';
import { logger } from '#shared/observability.ts';
import { loadProgram } from '#shared/program-deps.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';
import { redeemPoints } from '#shared/use-cases/redeem-points.ts';

/** POST /v1/customers/{customerId}/redemptions (Idempotency-Key): 201 with the entry and the new balance, 409 if too few points. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId, customerId: event.pathParameters?.customerId });
  const { status, ...answer } = await redeemPoints(
    shop,
    event.pathParameters?.customerId,
    parseJson(rawBody(event)),
    event.headers['idempotency-key'],
    {
      db: db(),
      program: loadProgram,
      now,
      triggers: enqueueTriggerEmails,
    },
  );
  return json(status, answer);
});
