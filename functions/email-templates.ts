import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { parseJson } from '#shared/http/validate.ts';
import { logger } from '#shared/observability.ts';
import { etagOf, readEmailTemplates, removeEmailTemplate, saveEmailTemplate } from '#shared/use-cases/manage-email-templates.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** GET /v1/emails/templates, PUT|DELETE /v1/emails/templates/{trigger}: the shop's own copy of the trigger emails. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event) ?? '', { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  const deps = { db: db(), now };
  const trigger = event.pathParameters?.trigger;
  const ifMatch = event.headers['if-match'];
  switch (event.routeKey) {
    case 'PUT /v1/emails/templates/{trigger}':
      return withEtag(await saveEmailTemplate(shop, trigger, parseJson(rawBody(event)), ifMatch, deps));
    case 'DELETE /v1/emails/templates/{trigger}':
      return withEtag(await removeEmailTemplate(shop, trigger, ifMatch, deps));
    default:
      return json(200, await readEmailTemplates(shop, deps));
  }
});

/** The answer with its revision as an ETag, which the next If-Match sends back. */
function withEtag(view: { revision: number }) {
  const answer = json(200, view);
  return { ...answer, headers: { ...answer.headers, etag: etagOf(view.revision) } };
}
