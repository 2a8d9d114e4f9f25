import { documentClient } from '#shared/aws/dynamodb.ts';
import { config } from '#shared/config.ts';
import type { Db } from '#shared/data/db.ts';
import { getShop, type ShopRecord } from '#shared/data/shop-repo.ts';

/**
 * The production wiring of ports to adapters, built lazily once per container. Handlers pass
 * these to use cases; tests pass their own. Only DynamoDB is wired here: a function that also
 * needs the queue or the secrets imports those adapters itself, so no function loads an SDK
 * package it does not use.
 */

export function db(): Db {
  return { client: documentClient(), table: config().TABLE_NAME };
}

/** Shops and programs change rarely and are read on every event: keep them 30 s per container. */
const CACHE_MS = 30_000;

export function cachedLoader<T>(load: (key: string) => Promise<T | undefined>) {
  const cache = new Map<string, { value: T | undefined; until: number }>();
  const get = async (key: string) => {
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    const value = await load(key);
    // An absent one is asked for again soon: it may be created any moment.
    cache.set(key, { value, until: Date.now() + (value ? CACHE_MS : 1_000) });
    return value;
  };
  return { get, clear: () => cache.clear() };
}

const shops = cachedLoader((shopId) => getShop(db(), shopId));

export const loadShop = (shopId: string): Promise<ShopRecord | undefined> => shops.get(shopId);

/** Caches kept by other wiring modules (program-deps.ts), cleared with the shops. */
const resetters: Array<() => void> = [];
export const onCacheReset = (reset: () => void) => void resetters.push(reset);

export function resetShopCache(): void {
  shops.clear();
  for (const reset of resetters) reset();
}

export const now = () => new Date();

export const readDeps = () => ({ db: db(), loadShop });
