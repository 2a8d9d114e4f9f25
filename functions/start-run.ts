import { enqueueRunSteps } from '#shared/aws/run-queue.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';
import { requestRun } from '#shared/use-cases/resegment.ts';

/** POST /v1/runs: a re-segmentation run now; 202 with the run, to be followed at GET /v1/runs/{runId}. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  const run = await requestRun(shop, 'api', { db: db(), now, enqueue: enqueueRunSteps });
  logger.info('run requested', { runId: run.runId });
  return json(202, { runId: run.runId, status: run.status, asOf: run.asOf, location: `/v1/runs/${run.runId}` });
});
