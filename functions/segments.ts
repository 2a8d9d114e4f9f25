import { db, loadShop } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { loadProgram } from '#shared/program-deps.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';
import { listSegmentCustomers, listSegments } from '#shared/use-cases/read-segments.ts';

/** GET /v1/segments (counts per segment) and GET /v1/segments/{segmentId}/customers (members, paged). */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  const deps = { db: db(), program: loadProgram };
  if (event.pathParameters?.segmentId !== undefined) {
    return json(200, await listSegmentCustomers(shop, event.pathParameters.segmentId, event.queryStringParameters ?? {}, deps));
  }
  return json(200, await listSegments(shop, deps));
});
