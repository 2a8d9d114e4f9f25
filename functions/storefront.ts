import { masterKey } from '#shared/aws/secrets.ts';
import { config } from '#shared/config.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { errorResponse, type HttpResult, httpHandler, json, rawBody } from '#shared/http/http-handler.ts';
import { loyaltyPage } from '#shared/http/loyalty-page.ts';
import { parseJson } from '#shared/http/validate.ts';
import { logger } from '#shared/observability.ts';
import { loadProgram } from '#shared/program-deps.ts';
import { redeemRewardDeps } from '#shared/reward-deps.ts';
import { loyaltyPageFacts, redeemOnStorefront, type StorefrontRequest, storefrontMe } from '#shared/use-cases/storefront.ts';

/**
 * The storefront API, called by the widget from the shop's own pages (other origins; no cookie is
 * ever read, so any origin may read the answers, errors included) — GET /v1/storefront/me, POST
 * /v1/storefront/me/rewards/{rewardId}/redeem — and the hosted loyalty page GET /l/{shopId}?t=….
 */
const anyOrigin = (result: HttpResult): HttpResult => ({ ...result, headers: { ...result.headers, 'access-control-allow-origin': '*' } });

export const handler = httpHandler(async (event) => {
  const publicUrl = (config().PUBLIC_API_URL ?? '').replace(/\/+$/, '');
  const deps = { db: db(), loadShop, program: loadProgram, masterKey, now, redeem: redeemRewardDeps(), publicUrl };
  const query = event.queryStringParameters ?? {};
  if (event.routeKey === 'GET /l/{shopId}') {
    const facts = await loyaltyPageFacts(event.pathParameters?.shopId, query.t, query.lang, deps);
    logger.appendKeys({ shopId: facts.shopId, customerId: facts.customerId });
    // The widget's script: a CDN's copy when the deployment names one, else the API's own.
    const widgetUrl = config().RAPPORT_WIDGET_URL ?? `${publicUrl}/widget/rapport-loyalty.js`;
    return loyaltyPage(facts, { publicUrl, widgetUrl });
  }
  const request: StorefrontRequest = {
    shopId: event.headers['x-rapport-shop'],
    customer: event.headers['x-rapport-customer'],
    link: event.headers['x-rapport-link'],
    lang: query.lang,
    acceptLanguage: event.headers['accept-language'],
  };
  // Errors are answered here rather than by httpHandler's mapper, so they carry the CORS header too.
  try {
    if (event.routeKey === 'GET /v1/storefront/me') {
      const { answer, ...keys } = await storefrontMe(request, deps);
      logger.appendKeys(keys);
      return anyOrigin(json(200, answer));
    }
    const body = rawBody(event);
    const parsed = body.length === 0 ? {} : parseJson(body);
    const { answer, ...keys } = await redeemOnStorefront(
      request,
      event.pathParameters?.rewardId,
      parsed,
      event.headers['idempotency-key'],
      deps,
    );
    logger.appendKeys(keys);
    logger.info('reward redeemed on the storefront', { rewardId: answer.code.rewardId, points: answer.code.points });
    return anyOrigin(json(201, answer));
  } catch (error) {
    return anyOrigin(errorResponse(error));
  }
});
