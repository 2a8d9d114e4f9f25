import { masterKey } from '#shared/aws/secrets.ts';
import { config } from '#shared/config.ts';
import { getCoPurchase } from '#shared/data/run-repo.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { bearerToken, httpHandler, json } from '#shared/http/http-handler.ts';
import { logger } from '#shared/observability.ts';
import { loadProgram } from '#shared/program-deps.ts';
import type { StoredCoPurchase } from '#shared/use-cases/compose-email.ts';
import { previewEmail } from '#shared/use-cases/preview-email.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** GET /v1/emails/preview?customerId=&trigger=[&format=html|text|json]: what that customer would get. */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  const { format, rendered } = await previewEmail(shop, event.queryStringParameters ?? {}, {
    db: db(),
    program: loadProgram,
    masterKey,
    coPurchase: async (shopId) => (await getCoPurchase(db(), shopId)) as StoredCoPurchase | undefined,
    publicUrl: config().PUBLIC_API_URL ?? 'https://example.invalid',
    now,
  });
  if (format === 'json') return json(200, rendered);
  return {
    statusCode: 200,
    headers: {
      'content-type': format === 'html' ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
      'content-language': rendered.locale,
      // A preview shows one customer's details: never cached by a proxy.
      'cache-control': 'no-store',
    },
    body: format === 'html' ? rendered.html : rendered.text,
  };
});
