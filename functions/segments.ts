import { db, loadShop } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { loadProgram } from '#shared/program-deps.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';
import { listSegmentCustomers, listSegments, segmentCustomersCsv } from '#shared/use-cases/read-segments.ts';

/** GET /v1/segments (counts per segment) and GET /v1/segments/{segmentId}/customers (members, paged; `format=csv`: an audience file). */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  const deps = { db: db(), program: loadProgram };
  const segmentId = event.pathParameters?.segmentId;
  const query = event.queryStringParameters ?? {};
  if (segmentId === undefined) return json(200, await listSegments(shop, deps));
  if (query.format === undefined) return json(200, await listSegmentCustomers(shop, segmentId, query, deps));
  const { csv, cursor, segmentId: id } = await segmentCustomersCsv(shop, segmentId, query, deps);
  const next = new URLSearchParams({ format: 'csv', ...(query.limit ? { limit: query.limit } : {}), cursor: cursor ?? '' });
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${id.replace(':', '-')}.csv"`,
      ...(cursor ? { 'x-next-cursor': cursor, link: `</v1/segments/${encodeURIComponent(id)}/customers?${next}>; rel="next"` } : {}),
    },
    body: csv,
  };
});
