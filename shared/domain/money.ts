/**
 * Money as integer minor units (DESIGN §3): decimal text in, an integer of the currency's smallest
 * unit out, by string digit manipulation only. A float never touches an amount, so "0.29" is 29
 * cents and not 28.999999999999996.
 */

/**
 * ISO 4217 minor-unit exponents: every code of list one as published 2024-06-25 that has a minor
 * unit, plus XCG (amendment 177, in use from 2025-03-31) and codes withdrawn so recently that old
 * shops may still be configured with them (HRK, SLL, ZWL). The metals, bond units, XDR, XSU, XUA,
 * XTS and XXX have no minor unit ("N.A." in the list) and are deliberately absent: an amount in
 * them cannot be expressed in minor units.
 */
// biome-ignore format: a table reads best in columns
const EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  AED: 2, AFN: 2, ALL: 2, AMD: 2, ANG: 2, AOA: 2, ARS: 2, AUD: 2, AWG: 2, AZN: 2,
  BAM: 2, BBD: 2, BDT: 2, BGN: 2, BHD: 3, BIF: 0, BMD: 2, BND: 2, BOB: 2, BOV: 2,
  BRL: 2, BSD: 2, BTN: 2, BWP: 2, BYN: 2, BZD: 2, CAD: 2, CDF: 2, CHE: 2, CHF: 2,
  CHW: 2, CLF: 4, CLP: 0, CNY: 2, COP: 2, COU: 2, CRC: 2, CUC: 2, CUP: 2, CVE: 2,
  CZK: 2, DJF: 0, DKK: 2, DOP: 2, DZD: 2, EGP: 2, ERN: 2, ETB: 2, EUR: 2, FJD: 2,
  FKP: 2, GBP: 2, GEL: 2, GHS: 2, GIP: 2, GMD: 2, GNF: 0, GTQ: 2, GYD: 2, HKD: 2,
  HNL: 2, HTG: 2, HUF: 2, IDR: 2, ILS: 2, INR: 2, IQD: 3, IRR: 2, ISK: 0, JMD: 2,
  JOD: 3, JPY: 0, KES: 2, KGS: 2, KHR: 2, KMF: 0, KPW: 2, KRW: 0, KWD: 3, KYD: 2,
  KZT: 2, LAK: 2, LBP: 2, LKR: 2, LRD: 2, LSL: 2, LYD: 3, MAD: 2, MDL: 2, MGA: 2,
  MKD: 2, MMK: 2, MNT: 2, MOP: 2, MRU: 2, MUR: 2, MVR: 2, MWK: 2, MXN: 2, MXV: 2,
  MYR: 2, MZN: 2, NAD: 2, NGN: 2, NIO: 2, NOK: 2, NPR: 2, NZD: 2, OMR: 3, PAB: 2,
  PEN: 2, PGK: 2, PHP: 2, PKR: 2, PLN: 2, PYG: 0, QAR: 2, RON: 2, RSD: 2, RUB: 2,
  RWF: 0, SAR: 2, SBD: 2, SCR: 2, SDG: 2, SEK: 2, SGD: 2, SHP: 2, SLE: 2, SOS: 2,
  SRD: 2, SSP: 2, STN: 2, SVC: 2, SYP: 2, SZL: 2, THB: 2, TJS: 2, TMT: 2, TND: 3,
  TOP: 2, TRY: 2, TTD: 2, TWD: 2, TZS: 2, UAH: 2, UGX: 0, USD: 2, USN: 2, UYI: 0,
  UYU: 2, UYW: 4, UZS: 2, VED: 2, VES: 2, VND: 0, VUV: 0, WST: 2, XAF: 0, XCD: 2,
  XCG: 2, XOF: 0, XPF: 0, YER: 2, ZAR: 2, ZMW: 2, ZWG: 2,
  // withdrawn recently (2023–2024), kept so a shop still configured with one keeps working
  HRK: 2, SLL: 2, ZWL: 2,
});

/** The number of decimal places of a currency's minor unit, or undefined for a code without one. */
export function currencyExponent(currency: string): number | undefined {
  return Object.hasOwn(EXPONENTS, currency) ? EXPONENTS[currency] : undefined;
}

export class InvalidAmountError extends Error {
  override name = 'InvalidAmountError';
}

export interface MinorUnitOptions {
  /** Refund totals and adjustments may be negative; order totals and prices may not. */
  allowNegative?: boolean;
}

const PLAIN_DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
const MAX_SAFE_DIGITS = String(Number.MAX_SAFE_INTEGER);

/**
 * Decimal text (or a number, as WooCommerce sometimes sends) → integer minor units of `currency`.
 * Throws InvalidAmountError for garbage, NaN, exponent notation, a negative amount where none is
 * allowed, more decimal places than the currency has (unless the extra ones are zeros: "10.500"
 * is 1050 cents) and amounts beyond Number.MAX_SAFE_INTEGER minor units.
 */
export function toMinorUnits(value: unknown, currency: string, options: MinorUnitOptions = {}): number {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) throw new InvalidAmountError(`${currency} is not an ISO 4217 currency with a minor unit`);
  const text = decimalText(value);
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) throw new InvalidAmountError(`"${text.slice(0, 40)}" is not a decimal amount`);
  const [, sign, whole = '', fraction = ''] = match;
  if (fraction.length > exponent && /[^0]/.test(fraction.slice(exponent))) {
    throw new InvalidAmountError(`${text} has more decimal places than ${currency} allows (${exponent})`);
  }
  const digits = `${whole}${fraction.slice(0, exponent).padEnd(exponent, '0')}`.replace(/^0+(?=\d)/, '');
  // Compared as digit strings: the magnitude check itself must not go through a float.
  if (digits.length > MAX_SAFE_DIGITS.length || (digits.length === MAX_SAFE_DIGITS.length && digits > MAX_SAFE_DIGITS)) {
    throw new InvalidAmountError(`${text} ${currency} is too large`);
  }
  const minor = Number(digits);
  if (sign && minor !== 0) {
    if (!options.allowNegative) throw new InvalidAmountError(`${text} is negative`);
    return -minor;
  }
  return minor;
}

/** The non-throwing form, for callers that turn a bad amount into their own error. */
export function parseMinorUnits(
  value: unknown,
  currency: string,
  options: MinorUnitOptions = {},
): { ok: true; minor: number } | { ok: false; error: string } {
  try {
    return { ok: true, minor: toMinorUnits(value, currency, options) };
  } catch (error) {
    if (error instanceof InvalidAmountError) return { ok: false, error: error.message };
    throw error;
  }
}

/** Integer minor units → decimal text with exactly the currency's decimal places: 40495 USD → "404.95". */
export function formatMinorUnits(minor: number | bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) throw new InvalidAmountError(`${currency} is not an ISO 4217 currency with a minor unit`);
  if (typeof minor === 'number' && !Number.isSafeInteger(minor)) throw new InvalidAmountError(`${minor} is not an integer amount`);
  const negative = minor < 0;
  const digits = String(negative ? -minor : minor).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${negative ? '-' : ''}${whole}${exponent > 0 ? `.${fraction}` : ''}`;
}

/**
 * amount × numerator ÷ denominator, rounded half away from zero, in exact integer arithmetic:
 * a unit price from a line subtotal, or a presentment-currency amount in shop currency at the
 * rate the source itself applied.
 */
export function prorate(amount: number, numerator: number, denominator: number): number {
  if (![amount, numerator, denominator].every(Number.isSafeInteger) || denominator === 0) {
    throw new InvalidAmountError('prorate takes safe integers and a non-zero denominator');
  }
  let product = BigInt(amount) * BigInt(numerator);
  let divisor = BigInt(denominator);
  if (divisor < 0n) {
    product = -product;
    divisor = -divisor;
  }
  const magnitude = product < 0n ? -product : product;
  const rounded = (magnitude * 2n + divisor) / (divisor * 2n);
  const result = product < 0n ? -rounded : rounded;
  if (result > BigInt(Number.MAX_SAFE_INTEGER) || result < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidAmountError('prorated amount is too large');
  }
  return Number(result);
}

function decimalText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidAmountError(`${value} is not an amount`);
    // The shortest text that reads back as this double: the decimal a sender wrote, when it wrote
    // one with at most 15 significant digits. Exponent forms (1e21, 1e-7) are refused by the caller.
    return String(value);
  }
  throw new InvalidAmountError(`a ${value === null ? 'null' : typeof value} is not an amount`);
}
