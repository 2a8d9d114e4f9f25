import { db, loadShop } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { readBacktest } from '#shared/use-cases/backtest.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** GET /v1/program/backtests/{backtestId}: status, progress and, once done, the report. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  return json(200, await readBacktest(shop, event.pathParameters?.backtestId, db()));
});
