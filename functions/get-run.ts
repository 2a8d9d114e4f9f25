import * as z from 'zod';
import { db, loadShop } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';
import { readRun } from '#shared/use-cases/resegment.ts';

export const RunIdSchema = z.string().regex(/^[rd]_[0-9a-z_]{1,40}$/, 'a run id such as r_20261122153000_ab12cd');

/** GET /v1/runs/{runId}: progress, counters, the fitted model and its holdout check. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  const runId = parseOrThrow(RunIdSchema, event.pathParameters?.runId, 'runId');
  return json(200, await readRun(shop, runId, db()));
});
