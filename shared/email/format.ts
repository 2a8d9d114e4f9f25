import { currencyExponent, formatMinorUnits, InvalidAmountError } from '#shared/domain/money.ts';

/**
 * Numbers, money and dates as a reader of the email's language expects them. Amounts are integer
 * minor units (DESIGN §3) and are shown with exactly the ISO 4217 exponent of the currency — VND
 * with no decimals, KWD with three — whatever CLDR's own default for the currency is. The decimal
 * text goes to Intl as a string, so no amount is ever divided as a float.
 */

/** Integer minor units of `currency` → "150.000 ₫" (vi-VN), "₫150,000" (en), "$404.95" (en). */
export function formatMoney(minor: number, currency: string, locale: string): string {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) throw new InvalidAmountError(`${currency} is not an ISO 4217 currency with a minor unit`);
  const decimal = formatMinorUnits(minor, currency) as `${number}`;
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  }).format(decimal);
}

/** A whole count with the locale's grouping: 1,250 (en), 1.250 (vi). */
export function formatCount(value: number, locale: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(value);
}

/**
 * A calendar date as the shop's customers see it: the instant is read in the shop's time zone, so
 * an expiry at 2026-03-14T20:00Z is "15 March" in Ho Chi Minh City, not the 14th.
 */
export function formatDate(instant: string | Date, locale: string, timeZone = 'UTC'): string {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  if (Number.isNaN(date.getTime())) throw new RangeError(`${String(instant)} is not a date`);
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone }).format(date);
}

/** A whole percentage: 10% (en), 10% (vi). */
export function formatPercent(percent: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(percent / 100);
}
