import { enqueueRewardCode } from '#shared/aws/code-queue.ts';
import { masterKey } from '#shared/aws/secrets.ts';
import { shopSettings } from '#shared/deps.ts';
import { couponKey } from '#shared/email/keys.ts';

/**
 * The wiring of given codes (use-cases/give-reward.ts) for every function that gives one: the run's
 * win-back and flows, a referred friend's reward, a campaign's email. The code is derived under the
 * shop's coupon key; a shop with Shopify or WooCommerce credentials gets it made there through the
 * codes queue. The shop's settings are the cached record: each caller has let the shop through
 * already (its own erasure check), so a second marker read per code would only cost.
 */
export const giftDeps = {
  codeKey: async (shopId: string) => couponKey(await masterKey(), shopId),
  platform: async (shopId: string) => {
    const shop = await shopSettings(shopId);
    return shop?.shopify ? ('shopify' as const) : shop?.woocommerce ? ('woocommerce' as const) : undefined;
  },
  codes: enqueueRewardCode,
};
