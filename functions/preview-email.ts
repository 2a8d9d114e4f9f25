import { masterKey } from '#shared/aws/secrets.ts';
import { config } from '#shared/config.ts';
import { getEmailTemplate } from '#shared/data/email-template-repo.ts';
import { getCoPurchase } from '#shared/data/run-repo.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { parseJson } from '#shared/http/validate.ts';
import { logger } from '#shared/observability.ts';
import { loadProgram } from '#shared/program-deps.ts';
import type { StoredCoPurchase } from '#shared/use-cases/compose-email.ts';
import { type PreviewDeps, previewDraft, previewEmail } from '#shared/use-cases/preview-email.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/**
 * GET /v1/emails/preview?customerId=&trigger=[&format=html|text|json]: what that customer would get.
 * POST /v1/emails/preview {customerId, trigger, message, language?}: a copy being written, as JSON.
 */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  const deps: PreviewDeps = {
    db: db(),
    program: loadProgram,
    masterKey,
    coPurchase: async (shopId) => (await getCoPurchase(db(), shopId)) as StoredCoPurchase | undefined,
    publicUrl: config().PUBLIC_API_URL ?? 'https://example.invalid',
    now,
    shopCopy: async (shopId, trigger) => (await getEmailTemplate(db(), shopId, trigger))?.message,
  };
  if (event.routeKey === 'POST /v1/emails/preview') return json(200, await previewDraft(shop, parseJson(rawBody(event)), deps));
  const { format, rendered } = await previewEmail(shop, event.queryStringParameters ?? {}, deps);
  if (format === 'json') return json(200, rendered);
  return {
    statusCode: 200,
    headers: {
      'content-type': format === 'html' ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
      'content-language': rendered.locale,
      // Whose words these are: the shop's own copy, or the built-in one.
      'x-rapport-email-copy': rendered.copy,
      // A preview shows one customer's details: never cached by a proxy.
      'cache-control': 'no-store',
    },
    body: format === 'html' ? rendered.html : rendered.text,
  };
});
