import { enqueueRewardCode } from '#shared/aws/code-queue.ts';
import { enqueueTriggerEmails } from '#shared/aws/email-queue.ts';
import { masterKey } from '#shared/aws/secrets.ts';
import { config } from '#shared/config.ts';
import { platformCredentials } from '#shared/data/shop-credentials.ts';
import { getShop, shopErasedAt } from '#shared/data/shop-repo.ts';
import { db, now } from '#shared/deps.ts';
import { loadFreshProgram } from '#shared/program-deps.ts';
import type { CodeDeps } from '#shared/use-cases/create-reward-code.ts';
import type { RedeemRewardDeps } from '#shared/use-cases/redeem-reward.ts';

/**
 * The wiring of rewards, for the functions that redeem them (shop API, storefront API) and the codes
 * queue's consumer: a shop that gave Shopify or WooCommerce credentials gets its codes created there
 * through the codes queue; every other shop gets Rapport's own codes.
 */
export const redeemRewardDeps = (): RedeemRewardDeps => ({
  db: db(),
  program: loadFreshProgram,
  now,
  platform: async (shop) => (shop.shopify ? 'shopify' : shop.woocommerce ? 'woocommerce' : undefined),
  codes: (message) => enqueueRewardCode(message),
  triggers: enqueueTriggerEmails,
});

export const createCodeDeps = (retrySeconds = config().RAPPORT_CODE_RETRY_SECONDS): CodeDeps => ({
  db: db(),
  now,
  // Read afresh: credentials just changed (or an erasure just accepted) must count for the next code.
  shop: async (shopId) => {
    const [shop, erased] = await Promise.all([getShop(db(), shopId, true), shopErasedAt(db(), shopId, now())]);
    return erased ? undefined : shop;
  },
  credentials: async (shop) => platformCredentials(shop, await masterKey()),
  requeue: enqueueRewardCode,
  triggers: enqueueTriggerEmails,
  ...(retrySeconds === undefined ? {} : { backoffSeconds: () => retrySeconds }),
});
