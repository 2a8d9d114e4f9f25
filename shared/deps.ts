import { documentClient } from '#shared/aws/dynamodb.ts';
import { config } from '#shared/config.ts';
import type { Db } from '#shared/data/db.ts';
import { getStoredProgram } from '#shared/data/program-repo.ts';
import { getShop, type ShopRecord } from '#shared/data/shop-repo.ts';
import { regionOfLocale } from '#shared/domain/identity.ts';
import { defaultProgram, type Program } from '#shared/loyalty/program.ts';

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

function cachedLoader<T>(load: (key: string) => Promise<T | undefined>) {
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
const programs = cachedLoader(async (shopId) => {
  const stored = await getStoredProgram(db(), shopId);
  if (stored) return stored.program;
  const shop = await shops.get(shopId);
  return defaultProgram(shop ?? { currency: 'USD', name: shopId });
});

export const loadShop = (shopId: string): Promise<ShopRecord | undefined> => shops.get(shopId);

/** The shop's loyalty program: the saved one, or the defaults for its currency. */
export const loadProgram = async (shopId: string): Promise<Program> => (await programs.get(shopId)) as Program;

export function resetShopCache(): void {
  shops.clear();
  programs.clear();
}

export const now = () => new Date();

export const readDeps = () => ({ db: db(), loadShop });

export const processDeps = () => ({
  db: db(),
  now,
  phoneRegion: async (shopId: string) => regionOfLocale((await loadShop(shopId))?.locale),
  program: loadProgram,
});
