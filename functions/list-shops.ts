import { adminKey } from '#shared/aws/secrets.ts';
import { db } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { authorizeAdmin } from '#shared/use-cases/create-shop.ts';
import { listShops } from '#shared/use-cases/manage-shop.ts';

/** GET /admin/shops?limit=&cursor= (admin key): the deployment's shops, a page at a time. */
export const handler = httpHandler(async (event) => {
  await authorizeAdmin(bearerToken(event), { adminKey });
  return json(200, await listShops(event.queryStringParameters ?? {}, db()));
});
