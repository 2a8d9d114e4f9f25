import { createShopRunSchedule } from '#shared/aws/scheduler.ts';
import { adminKey, masterKey } from '#shared/aws/secrets.ts';
import { db, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { parseJson } from '#shared/http/validate.ts';
import { authorizeAdmin, createShop } from '#shared/use-cases/create-shop.ts';

/** POST /admin/shops (admin key): create a shop and show its API key once. */
export const handler = httpHandler(async (event) => {
  const deps = { db: db(), masterKey, adminKey, now, scheduleRuns: createShopRunSchedule };
  await authorizeAdmin(bearerToken(event), deps);
  return json(201, await createShop(parseJson(rawBody(event)), deps));
});
