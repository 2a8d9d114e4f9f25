import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { decryptSecret, encryptSecret } from '#shared/domain/crypto.ts';

/**
 * The shop's own credentials as the shop record keeps them: sealed with the deployment master key
 * (domain/crypto.ts), each under a context naming its shop and purpose, so a sealed value copied onto
 * another shop or another field does not open. Only this module knows the contexts.
 */

const context = {
  storefront: (shopId: string) => `${shopId}:storefront`,
  shopifyAdmin: (shopId: string) => `${shopId}:shopify-admin`,
  woocommerceKey: (shopId: string) => `${shopId}:woocommerce-key`,
  woocommerceSecret: (shopId: string) => `${shopId}:woocommerce-secret`,
};

export type PlatformCredentials =
  | { kind: 'shopify'; domain: string; accessToken: string }
  | { kind: 'woocommerce'; url: string; consumerKey: string; consumerSecret: string };

/**
 * What Rapport may call the shop's platform with (reward codes): Shopify when both are given (a shop
 * runs on one platform; Shopify's discount API is the richer one), else WooCommerce, else undefined.
 */
export function platformCredentials(shop: ShopRecord, masterKey: string): PlatformCredentials | undefined {
  if (shop.shopify) {
    const { domain, adminAccessToken } = shop.shopify;
    return { kind: 'shopify', domain, accessToken: decryptSecret(masterKey, adminAccessToken, context.shopifyAdmin(shop.shopId)) };
  }
  if (shop.woocommerce) {
    const { url, consumerKey, consumerSecret } = shop.woocommerce;
    return {
      kind: 'woocommerce',
      url,
      consumerKey: decryptSecret(masterKey, consumerKey, context.woocommerceKey(shop.shopId)),
      consumerSecret: decryptSecret(masterKey, consumerSecret, context.woocommerceSecret(shop.shopId)),
    };
  }
  return undefined;
}

/** The storefront secret in clear, undefined when the shop has not set one. */
export function storefrontSecretOf(shop: ShopRecord, masterKey: string): string | undefined {
  return shop.storefrontSecret === undefined ? undefined : decryptSecret(masterKey, shop.storefrontSecret, context.storefront(shop.shopId));
}

/**
 * Every storefront secret a signature may be made with at `now`: the current one, then the one it
 * replaced while its grace lasts (PATCH /v1/shop keeps it 24 hours).
 */
export function storefrontSecretsOf(shop: ShopRecord, masterKey: string, now: Date): string[] {
  const current = storefrontSecretOf(shop, masterKey);
  const previous = shop.previousSecrets?.storefront;
  const grace =
    previous && Date.parse(previous.until) > now.getTime()
      ? [decryptSecret(masterKey, previous.sealed, context.storefront(shop.shopId))]
      : [];
  return [...(current === undefined ? [] : [current]), ...grace];
}

export const sealStorefrontSecret = (shopId: string, masterKey: string, plain: string) =>
  encryptSecret(masterKey, plain, context.storefront(shopId));

export const sealShopify = (shopId: string, masterKey: string, plain: { domain: string; adminAccessToken: string }) => ({
  domain: plain.domain,
  adminAccessToken: encryptSecret(masterKey, plain.adminAccessToken, context.shopifyAdmin(shopId)),
});

export const sealWoocommerce = (
  shopId: string,
  masterKey: string,
  plain: { url: string; consumerKey: string; consumerSecret: string },
) => ({
  url: plain.url,
  consumerKey: encryptSecret(masterKey, plain.consumerKey, context.woocommerceKey(shopId)),
  consumerSecret: encryptSecret(masterKey, plain.consumerSecret, context.woocommerceSecret(shopId)),
});
