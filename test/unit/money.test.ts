import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyExponent, formatMinorUnits, InvalidAmountError, parseMinorUnits, prorate, toMinorUnits } from '#shared/domain/money.ts';

describe('ISO 4217 exponents', () => {
  it('knows the minor unit of every kind of currency', () => {
    expect(currencyExponent('USD')).toBe(2);
    expect(currencyExponent('EUR')).toBe(2);
    expect(currencyExponent('VND')).toBe(0);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KRW')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
    expect(currencyExponent('BHD')).toBe(3);
    expect(currencyExponent('TND')).toBe(3);
    expect(currencyExponent('CLF')).toBe(4);
    expect(currencyExponent('UYW')).toBe(4);
    expect(currencyExponent('ISK')).toBe(0);
    expect(currencyExponent('ZWG')).toBe(2);
  });

  it('has no exponent for codes without a minor unit, unknown codes or object keys', () => {
    for (const code of ['XAU', 'XDR', 'XXX', 'XTS', 'ABC', 'usd', '', 'constructor', '__proto__', 'toString']) {
      expect(currencyExponent(code), code).toBeUndefined();
    }
  });
});

describe('toMinorUnits', () => {
  it('reads decimal strings by the currency exponent, without floating point', () => {
    expect(toMinorUnits('404.95', 'USD')).toBe(40495);
    expect(toMinorUnits('0.29', 'USD')).toBe(29);
    expect(toMinorUnits('1.005', 'KWD')).toBe(1005);
    expect(toMinorUnits('1.2345', 'CLF')).toBe(12345);
    expect(toMinorUnits('1999000', 'VND')).toBe(1_999_000);
    expect(toMinorUnits('1000', 'JPY')).toBe(1000);
    expect(toMinorUnits('7', 'USD')).toBe(700);
    expect(toMinorUnits('007.10', 'USD')).toBe(710);
  });

  it('accepts extra decimal places only when they are zeros', () => {
    expect(toMinorUnits('10.500', 'USD')).toBe(1050);
    expect(toMinorUnits('1999000.00', 'VND')).toBe(1_999_000);
    expect(toMinorUnits('0.0', 'JPY')).toBe(0);
    expect(() => toMinorUnits('10.505', 'USD')).toThrow(/more decimal places than USD allows \(2\)/);
    expect(() => toMinorUnits('1999000.5', 'VND')).toThrow(/VND allows \(0\)/);
  });

  it('reads numbers as the decimal they were written as', () => {
    expect(toMinorUnits(89.99, 'USD')).toBe(8999);
    expect(toMinorUnits(3, 'USD')).toBe(300);
    expect(toMinorUnits(0.07, 'USD')).toBe(7);
    expect(toMinorUnits(1.015, 'KWD')).toBe(1015);
    expect(() => toMinorUnits(0.1 + 0.2, 'USD')).toThrow(InvalidAmountError);
    expect(() => toMinorUnits(10 / 3, 'USD')).toThrow(InvalidAmountError);
  });

  it('refuses negatives unless allowed', () => {
    expect(() => toMinorUnits('-10.00', 'USD')).toThrow(/negative/);
    expect(toMinorUnits('-10.00', 'USD', { allowNegative: true })).toBe(-1000);
    expect(toMinorUnits('-0.00', 'USD')).toBe(0);
    expect(Object.is(toMinorUnits('-0', 'USD', { allowNegative: true }), 0)).toBe(true);
  });

  it('refuses garbage, NaN, infinities and exponent notation with a clear error', () => {
    const garbage: unknown[] = ['', ' 1.00', '1.00 ', '1.', '.5', '+1', '1,00', '1e5', '0x10', 'abc', '١٢', 'NaN', 'Infinity'];
    garbage.push(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e21, 1e-7, null, undefined, {}, [], true);
    for (const value of garbage) {
      expect(() => toMinorUnits(value, 'USD'), String(value)).toThrow(InvalidAmountError);
    }
    expect(() => toMinorUnits(null, 'USD')).toThrow('a null is not an amount');
    expect(() => toMinorUnits('abc', 'USD')).toThrow('"abc" is not a decimal amount');
  });

  it('refuses amounts beyond Number.MAX_SAFE_INTEGER minor units', () => {
    expect(toMinorUnits('90071992547409.91', 'USD')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => toMinorUnits('90071992547409.92', 'USD')).toThrow(/too large/);
    expect(() => toMinorUnits('1'.repeat(400), 'VND')).toThrow(/too large/);
    expect(toMinorUnits(`${'0'.repeat(300)}1`, 'VND')).toBe(1);
  });

  it('refuses currencies without a minor unit', () => {
    expect(() => toMinorUnits('1.00', 'XAU')).toThrow(/XAU is not an ISO 4217 currency with a minor unit/);
    expect(parseMinorUnits('1.00', 'XXX')).toEqual({ ok: false, error: 'XXX is not an ISO 4217 currency with a minor unit' });
    expect(parseMinorUnits('1.00', 'USD')).toEqual({ ok: true, minor: 100 });
  });
});

describe('formatMinorUnits', () => {
  it('writes exactly the currency’s decimal places', () => {
    expect(formatMinorUnits(40495, 'USD')).toBe('404.95');
    expect(formatMinorUnits(5, 'USD')).toBe('0.05');
    expect(formatMinorUnits(0, 'USD')).toBe('0.00');
    expect(formatMinorUnits(-150, 'USD')).toBe('-1.50');
    expect(formatMinorUnits(1_999_000, 'VND')).toBe('1999000');
    expect(formatMinorUnits(1234, 'KWD')).toBe('1.234');
    expect(formatMinorUnits(7, 'CLF')).toBe('0.0007');
    expect(formatMinorUnits(12345678901234567890n, 'USD')).toBe('123456789012345678.90');
    expect(() => formatMinorUnits(1.5, 'USD')).toThrow(InvalidAmountError);
  });
});

describe('prorate', () => {
  it('divides in integers, rounding half away from zero', () => {
    expect(prorate(1000, 1, 3)).toBe(333);
    expect(prorate(2000, 1, 3)).toBe(667);
    expect(prorate(1, 1, 2)).toBe(1);
    expect(prorate(-1, 1, 2)).toBe(-1);
    expect(prorate(1300, 1000, 1300)).toBe(1000);
    expect(prorate(5, 3, -2)).toBe(-8);
    expect(prorate(Number.MAX_SAFE_INTEGER, 3, 3)).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => prorate(1, 1, 0)).toThrow(InvalidAmountError);
    expect(() => prorate(Number.MAX_SAFE_INTEGER, 2, 1)).toThrow(/too large/);
    expect(() => prorate(0.5, 1, 1)).toThrow(InvalidAmountError);
  });
});

describe('money properties', () => {
  const currencies = fc.constantFrom('USD', 'VND', 'JPY', 'KWD', 'BHD', 'CLF', 'EUR', 'UYW', 'ISK');

  it('format then parse is the identity on minor units', () => {
    fc.assert(
      fc.property(currencies, fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (currency, minor) => {
        expect(toMinorUnits(formatMinorUnits(minor, currency), currency, { allowNegative: true })).toBe(minor);
      }),
      { numRuns: 2000 },
    );
  });

  it('parse agrees with exact BigInt arithmetic on any decimal text the currency allows, trailing zeros included', () => {
    fc.assert(
      fc.property(
        currencies,
        fc.stringMatching(/^[0-9]{1,11}$/),
        fc.stringMatching(/^[0-9]{0,4}$/),
        fc.nat(3),
        (currency, whole, fraction, zeros) => {
          const exponent = currencyExponent(currency) ?? 0;
          const digits = fraction.slice(0, exponent);
          const text = `${whole}${digits || zeros ? `.${digits}${'0'.repeat(zeros)}` : ''}`;
          const expected = BigInt(whole) * 10n ** BigInt(exponent) + BigInt(digits.padEnd(exponent, '0') || '0');
          expect(BigInt(toMinorUnits(text, currency))).toBe(expected);
          expect(toMinorUnits(formatMinorUnits(expected, currency), currency)).toBe(Number(expected));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but InvalidAmountError, whatever it is given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.double(), fc.anything()), currencies, (value, currency) => {
        const result = parseMinorUnits(value, currency);
        if (result.ok) expect(Number.isSafeInteger(result.minor)).toBe(true);
        else expect(result.error.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});
