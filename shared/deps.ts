import { documentClient } from '#shared/aws/dynamodb.ts';
import { config } from '#shared/config.ts';
import type { Db } from '#shared/data/db.ts';
import { getShop, type ShopRecord } from '#shared/data/shop-repo.ts';
import { regionOfLocale } from '#shared/domain/identity.ts';

/**
 * The production wiring of ports to adapters, built lazily once per container. Handlers pass
 * these to use cases; tests pass their own. Only DynamoDB is wired here: a function that also
 * needs the queue or the secrets imports those adapters itself, so no function loads an SDK
 * package it does not use.
 */

export function db(): Db {
  return { client: documentClient(), table: config().TABLE_NAME };
}

const SHOP_CACHE_MS = 30_000;
const shopCache = new Map<string, { shop: ShopRecord | undefined; until: number }>();

/** Shops change rarely and are read on every request: keep them for 30 s per container. */
export async function loadShop(shopId: string): Promise<ShopRecord | undefined> {
  const cached = shopCache.get(shopId);
  if (cached && cached.until > Date.now()) return cached.shop;
  const shop = await getShop(db(), shopId);
  shopCache.set(shopId, { shop, until: Date.now() + (shop ? SHOP_CACHE_MS : 1_000) });
  return shop;
}

export function resetShopCache(): void {
  shopCache.clear();
}

export const now = () => new Date();

export const readDeps = () => ({ db: db(), loadShop });

export const processDeps = () => ({
  db: db(),
  now,
  phoneRegion: async (shopId: string) => regionOfLocale((await loadShop(shopId))?.locale),
});
