import { db, loadShop } from '#shared/deps.ts';
import { httpHandler } from '#shared/http/http-handler.ts';
import { referralLanding } from '#shared/http/referral-page.ts';
import { logger } from '#shared/observability.ts';
import { followReferralLink } from '#shared/use-cases/referrals.ts';

/** GET /r/{code}: a customer's referral link, public — to the shop with the code as `ref`, or a page showing the code. */
export const handler = httpHandler(async (event) => {
  const landing = await followReferralLink(event.pathParameters?.code, { db: db(), loadShop });
  logger.info('referral link followed', { redirected: landing.target !== undefined });
  return referralLanding(landing);
});
