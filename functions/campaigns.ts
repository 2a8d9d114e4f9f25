import { enqueueCampaignSteps } from '#shared/aws/campaign-queue.ts';
import { masterKey } from '#shared/aws/secrets.ts';
import { sesClient } from '#shared/aws/ses.ts';
import { config } from '#shared/config.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { sendRawEmail } from '#shared/email/ses.ts';
import { bearerToken, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { parseJson } from '#shared/http/validate.ts';
import { logger } from '#shared/observability.ts';
import { loadFreshProgram } from '#shared/program-deps.ts';
import * as campaigns from '#shared/use-cases/campaigns.ts';
import { authenticateShop } from '#shared/use-cases/read-customers.ts';

/** /v1/campaigns…: drafts, preview, test send, schedule, cancel, results (shared/use-cases/campaigns.ts). */
export const handler = httpHandler(async (event) => {
  const shop = await authenticateShop(bearerToken(event), { loadShop });
  logger.appendKeys({ shopId: shop.shopId });
  const configurationSetName = config().SES_CONFIGURATION_SET;
  const deps: campaigns.CampaignDeps = {
    db: db(),
    now,
    // Afresh: a reward or segment the shop added a moment ago counts.
    program: loadFreshProgram,
    masterKey,
    publicUrl: config().PUBLIC_API_URL ?? 'https://example.invalid',
    enqueue: enqueueCampaignSteps,
    sendRaw: (raw, tags) => sendRawEmail(sesClient(), raw, { tags, ...(configurationSetName ? { configurationSetName } : {}) }),
  };
  const id = event.pathParameters?.campaignId;
  const body = () => parseJson(rawBody(event));
  switch (event.routeKey) {
    case 'POST /v1/campaigns':
      return json(201, await campaigns.createCampaign(shop, body(), deps));
    case 'GET /v1/campaigns/{campaignId}':
      return json(200, await campaigns.readCampaign(shop, id, deps));
    case 'PATCH /v1/campaigns/{campaignId}':
      return json(200, await campaigns.updateCampaign(shop, id, body(), deps));
    case 'POST /v1/campaigns/{campaignId}/preview':
      return json(200, await campaigns.previewCampaign(shop, id, body(), deps));
    case 'POST /v1/campaigns/{campaignId}/test':
      return json(202, await campaigns.testCampaign(shop, id, body(), deps));
    case 'POST /v1/campaigns/{campaignId}/schedule':
      return json(200, await campaigns.scheduleCampaign(shop, id, rawBody(event).length > 0 ? body() : {}, deps));
    case 'POST /v1/campaigns/{campaignId}/cancel':
      return json(200, await campaigns.cancelCampaign(shop, id, deps));
    default:
      return json(200, await campaigns.listCampaigns(shop, event.queryStringParameters ?? {}, deps));
  }
});
