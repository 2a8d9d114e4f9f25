import { documentClient } from '#shared/aws/dynamodb.ts';
import { config } from '#shared/config.ts';
import type { Db } from '#shared/data/db.ts';
import { getShop, type ShopRecord, shopErasedAt } from '#shared/data/shop-repo.ts';

/**
 * The production wiring of ports to adapters, built lazily once per container. Handlers pass
 * these to use cases; tests pass their own. Only DynamoDB is wired here: a function that also
 * needs the queue or the secrets imports those adapters itself, so no function loads an SDK
 * package it does not use.
 */

export function db(): Db {
  return { client: documentClient(), table: config().TABLE_NAME };
}

export const now = () => new Date();

/** Shops and programs change rarely and are read on every event: keep them 30 s per container. */
const CACHE_MS = 30_000;

export function cachedLoader<T>(load: (key: string) => Promise<T | undefined>, { ms = CACHE_MS, max = 10_000 } = {}) {
  const cache = new Map<string, { value: T | undefined; until: number }>();
  const keep = (key: string, value: T | undefined) => {
    // A container lives for hours: what it has seen is let go at `max` keys, not kept for ever.
    if (cache.size >= max && !cache.has(key)) cache.clear();
    // An absent one is asked for again soon: it may be created any moment.
    cache.set(key, { value, until: Date.now() + (value ? ms : Math.min(ms, 1_000)) });
  };
  const get = async (key: string) => {
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    const value = await load(key);
    keep(key, value);
    return value;
  };
  /** A value read afresh by the caller replaces the cached one, so the next `get` sees it too. */
  const put = (key: string, value: T | undefined) => keep(key, value);
  return { get, put, clear: () => cache.clear() };
}

const shops = cachedLoader((shopId) => getShop(db(), shopId));

/**
 * The shop as every route and consumer must see it: undefined when it never existed or is erased.
 * The record comes from this container's cache; the erasure marker is read at every call, strongly
 * consistent, so a shop/redact accepted a moment ago in any container refuses the shop here now.
 * Cost: 1 read unit a call (the marker, present or not), plus the record's own read (0.5 unit) once
 * per container every 30 s. The marker is read for an unknown shop too, side by side with the
 * record: an answer about a shop that does not exist takes as long as one about a shop that does.
 */
async function liveShop(shopId: string, options: LoadShopOptions = {}): Promise<ShopRecord | undefined> {
  const record = options.fresh ? freshShop(shopId) : shops.get(shopId);
  const [shop, erasedAt] = await Promise.all([record, shopErasedAt(db(), shopId, now())]);
  return erasedAt ? undefined : shop;
}

export interface LoadShopOptions {
  /**
   * The record read strongly consistent (and put in the cache), not the cached one: for what must
   * see a change made a moment ago in another container — an API key checked against the key hashes
   * (a rotated key is refused at once), a webhook signature that failed against the cached secrets.
   * Cost: 1 read unit (the record, under 4 KB) beside the marker's, in parallel with it.
   */
  fresh?: boolean;
}

async function freshShop(shopId: string): Promise<ShopRecord | undefined> {
  const shop = await getShop(db(), shopId, true);
  shops.put(shopId, shop);
  return shop;
}

/** The shop, undefined when it never existed or is erased: the record cached (unless `fresh`), the erasure marker read every time. */
export const loadShop = liveShop;

/**
 * The cached record alone, erasure not checked: a shop's settings (currency, locale) for work that
 * `loadShop` or the processor's check has already let through. Never to authenticate, nor to decide
 * that a shop exists.
 */
export const shopSettings = (shopId: string): Promise<ShopRecord | undefined> => shops.get(shopId);

/**
 * Whether a shop was ever created, for the processor's check at each event (its erasure is checked
 * there, on the table). A cached yes is trusted; a no is read again, strongly consistent, since
 * dropping an event cannot be undone and a shop may have been created within the last second.
 */
export async function shopExists(shopId: string): Promise<boolean> {
  return (await shops.get(shopId)) !== undefined || (await getShop(db(), shopId, true)) !== undefined;
}

/** Caches kept by other wiring modules (program-deps.ts), cleared with the shops. */
const resetters: Array<() => void> = [];
export const onCacheReset = (reset: () => void) => void resetters.push(reset);

export function resetShopCache(): void {
  shops.clear();
  for (const reset of resetters) reset();
}

export const readDeps = () => ({ db: db(), loadShop });
