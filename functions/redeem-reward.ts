import { loadShop } from '#shared/deps.ts';
import { bearerToken, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { parseJson } from '#shared/http/validate.ts';
import { logger } from '#shared/observability.ts';
import { redeemRewardDeps } from '#shared/reward-deps.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';
import { redeemReward } from '#shared/use-cases/redeem-reward.ts';

/**
 * POST /v1/customers/{customerId}/rewards/{rewardId}/redeem (Idempotency-Key): 201 with the code,
 * the ledger entry and the new balance; 409 when the points, the tier or the reward's limit say no.
 * The code is Rapport's own, or `pending` while the codes queue creates it on the shop's platform.
 */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId, customerId: event.pathParameters?.customerId });
  const body = rawBody(event);
  const { status, ...answer } = await redeemReward(
    shop,
    event.pathParameters?.customerId,
    event.pathParameters?.rewardId,
    body.length === 0 ? {} : parseJson(body),
    event.headers['idempotency-key'],
    redeemRewardDeps(),
  );
  return json(status, answer);
});
