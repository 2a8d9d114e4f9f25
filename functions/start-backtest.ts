import { enqueueRunSteps } from '#shared/aws/run-queue.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { parseJson } from '#shared/http/validate.ts';
import { logger } from '#shared/observability.ts';
import { requestBacktest } from '#shared/use-cases/backtest.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** POST /v1/program/backtests: a proposed program replayed on the shop's history; 202, to be followed at GET …/{backtestId}. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  const started = await requestBacktest(shop, parseJson(rawBody(event)), { db: db(), now, enqueue: enqueueRunSteps });
  logger.info('backtest requested', { backtestId: started.backtestId });
  return json(202, started);
});
