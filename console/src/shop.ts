import { type Api, isMissingRoute } from './api.ts';
import type { ShopInfo } from './app-context.ts';
import type { Liability, Program, Shop } from './types.ts';

/**
 * The shop behind a key. GET /v1/shop when the server has it; otherwise the liability answer,
 * which every server has, names the shop and its currency (the locale is then the browser's).
 */
export async function loadShop(api: Api): Promise<ShopInfo> {
  try {
    const shop = await api.get<Shop>('/v1/shop');
    return { shopId: shop.shopId, name: shop.name, currency: shop.currency, locale: shop.locale, timezone: shop.timezone, full: shop };
  } catch (error) {
    if (!isMissingRoute(error)) throw error;
  }
  const liability = await api.get<Liability>('/v1/loyalty/liability');
  return {
    shopId: liability.shopId,
    name: liability.shopId,
    currency: liability.value.currency,
    locale: navigator.language,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    full: null,
  };
}

/** A tier's name in the console's language: the program names it per locale, English required. */
export function tierName(program: Program | undefined, tierId: string | null | undefined, language: string): string {
  if (!tierId) return '—';
  const level = program?.tiers.levels.find((l) => l.id === tierId);
  if (!level) return tierId;
  const names = level.name;
  return names[language] ?? Object.entries(names).find(([locale]) => locale.startsWith(`${language}-`))?.[1] ?? names.en ?? tierId;
}
