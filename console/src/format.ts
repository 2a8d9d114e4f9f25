import { currencyExponent } from '../../shared/domain/money.ts';
import type { Money } from './types.ts';

/**
 * Numbers, money and dates with Intl, in the shop's currency and time zone. The API's money is
 * integer minor units: 1999000 VND is 1.999.000 ₫ (VND has no minor unit), 1999 USD is $19.99; the
 * exponent comes from the same ISO 4217 table the server uses.
 */
export interface Formatters {
  locale: string;
  currency: string;
  number(value: number | null | undefined, maximumFractionDigits?: number): string;
  /** Minor units of `currency` (the shop's unless named). */
  money(amount: number | null | undefined, currency?: string): string;
  moneyOf(money: Money | null | undefined): string;
  /** Major units, short (15 N US$, 1,2 Tr ₫): for a chart's axis. */
  moneyShort(major: number): string;
  /** Minor units → the major-unit number a person types (19.99), and back. */
  toMajor(amount: number, currency?: string): number;
  toMinor(major: number, currency?: string): number;
  percent(value: number | null | undefined, maximumFractionDigits?: number): string;
  date(iso: string | null | undefined): string;
  dateTime(iso: string | null | undefined): string;
}

const DASH = '—';

export function formatters(locale: string, currency: string, timeZone: string): Formatters {
  const exponent = (code: string) => currencyExponent(code) ?? 2;
  const zone = safeTimeZone(timeZone);
  const numberFormats = new Map<string, Intl.NumberFormat>();
  const numberFormat = (key: string, options: Intl.NumberFormatOptions) => {
    let format = numberFormats.get(key);
    if (!format) {
      format = new Intl.NumberFormat(locale, options);
      numberFormats.set(key, format);
    }
    return format;
  };
  const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: zone });
  const dateTimeFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone });
  const valid = (iso: string | null | undefined) => (iso && !Number.isNaN(Date.parse(iso)) ? new Date(iso) : undefined);
  const toMajor = (amount: number, code = currency) => amount / 10 ** exponent(code);
  return {
    locale,
    currency,
    number: (value, digits = 0) =>
      value === null || value === undefined || !Number.isFinite(value)
        ? DASH
        : numberFormat(`n${digits}`, { maximumFractionDigits: digits }).format(value),
    money(amount, code = currency) {
      if (amount === null || amount === undefined || !Number.isFinite(amount)) return DASH;
      const digits = exponent(code);
      return numberFormat(`m${code}`, {
        style: 'currency',
        currency: code,
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      }).format(toMajor(amount, code));
    },
    moneyShort: (major) =>
      numberFormat(`s${currency}`, { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 1 }).format(major),
    moneyOf(money) {
      return money ? this.money(money.amount, money.currency) : DASH;
    },
    toMajor,
    toMinor: (major, code = currency) => Math.round(major * 10 ** exponent(code)),
    percent: (value, digits = 0) =>
      value === null || value === undefined || !Number.isFinite(value)
        ? DASH
        : numberFormat(`p${digits}`, { style: 'percent', maximumFractionDigits: digits }).format(value),
    date: (iso) => {
      const date = valid(iso);
      return date ? dateFormat.format(date) : DASH;
    },
    dateTime: (iso) => {
      const date = valid(iso);
      return date ? dateTimeFormat.format(date) : DASH;
    },
  };
}

function safeTimeZone(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}
