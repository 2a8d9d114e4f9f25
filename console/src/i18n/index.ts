import { en, type Messages } from './en.ts';
import { vi } from './vi.ts';

export type Language = 'en' | 'vi';
export type { Messages };

/** An RFM segment's name in the console's language (the API names them in English). */
export const rfmName = (t: Messages, name: string | null | undefined) => (name ? (t.rfmNames[name] ?? name) : '—');

export const catalogs: Record<Language, Messages> = { en, vi };

/** vi, vi-VN, vi_VN → vi; anything else → en (the console is written in these two). */
export const languageOf = (locale: string | null | undefined): Language => (/^vi(\b|[-_])/i.test(locale ?? '') ? 'vi' : 'en');

/**
 * The locale numbers and dates are written in: the shop's own when the console speaks its
 * language (vi-VN: 1.999.000 ₫), otherwise the chosen language's usual one, so an English page
 * does not mix in Vietnamese separators.
 */
export const formattingLocale = (language: Language, shopLocale: string): string =>
  languageOf(shopLocale) === language ? shopLocale : language === 'vi' ? 'vi-VN' : 'en-US';
