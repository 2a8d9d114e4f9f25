import { describe, expect, it } from 'vitest';
import { COUPON_ALPHABET, couponCode, normalizeCoupon, verifyCoupon } from '#shared/email/coupon.ts';

const key = 'the coupon key of shop tra-sen';
const subject = { shopId: 'tra-sen', customerId: 'c_0123456789abcdef0123', offer: 'birthday-2026' };
const customer = (i: number) => `c_${i.toString(16).padStart(20, '0')}`;

describe('coupon codes', () => {
  it('look like RP-XXXX-XXXX-XXXX in an alphabet without 0/O or 1/I', () => {
    const code = couponCode(subject, key);
    expect(code).toMatch(/^RP-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$/);
    expect(COUPON_ALPHABET).toHaveLength(32);
    expect(COUPON_ALPHABET).not.toMatch(/[01OI]/);
  });

  it('are the same for the same customer, offer and key', () => {
    expect(couponCode({ ...subject }, key)).toBe(couponCode(subject, key));
  });

  it('are unique over 100,000 customers of one offer', () => {
    const codes = new Set<string>();
    for (let i = 0; i < 100_000; i++) codes.add(couponCode({ ...subject, customerId: customer(i) }, key));
    expect(codes.size).toBe(100_000);
  });

  it('use every letter of the alphabet in every position', () => {
    const seen = Array.from({ length: 12 }, () => new Set<string>());
    for (let i = 0; i < 2_000; i++) {
      const body = couponCode({ ...subject, customerId: customer(i) }, key)
        .slice(3)
        .replaceAll('-', '');
      for (const [position, c] of [...body].entries()) seen[position]!.add(c);
    }
    for (const letters of seen) expect(letters.size).toBe(32);
  });

  it('differ by offer, shop and key, and do not confuse where one field ends', () => {
    const codes = new Set([
      couponCode(subject, key),
      couponCode({ ...subject, offer: 'birthday-2027' }, key),
      couponCode({ ...subject, shopId: 'tra-sen-2' }, key),
      couponCode(subject, `${key}!`),
      couponCode({ shopId: 'a', customerId: 'b-c', offer: 'd' }, key),
      couponCode({ shopId: 'a-b', customerId: 'c', offer: 'd' }, key),
    ]);
    expect(codes.size).toBe(6);
  });

  it('verify for their customer and offer, typed loosely', () => {
    const code = couponCode(subject, key);
    expect(verifyCoupon(code, subject, key)).toBe(true);
    expect(verifyCoupon(code.toLowerCase(), subject, key)).toBe(true);
    expect(verifyCoupon(` ${code.replaceAll('-', ' ')} `, subject, key)).toBe(true);
    expect(verifyCoupon(code.replaceAll('-', ''), subject, key)).toBe(true);
  });

  it('do not verify for another customer, offer, shop or key', () => {
    const code = couponCode(subject, key);
    expect(verifyCoupon(code, { ...subject, customerId: customer(1) }, key)).toBe(false);
    expect(verifyCoupon(code, { ...subject, offer: 'win-back' }, key)).toBe(false);
    expect(verifyCoupon(code, { ...subject, shopId: 'other-shop' }, key)).toBe(false);
    expect(verifyCoupon(code, subject, 'another key of enough length')).toBe(false);
  });

  it('do not verify with any one character changed', () => {
    const code = couponCode(subject, key);
    for (let i = 3; i < code.length; i++) {
      if (code[i] === '-') continue;
      for (const c of COUPON_ALPHABET) {
        if (c === code[i]) continue;
        expect(verifyCoupon(code.slice(0, i) + c + code.slice(i + 1), subject, key)).toBe(false);
      }
    }
  });

  it('reject garbage without throwing', () => {
    for (const input of ['', 'RP', 'RP-', 'XX-AAAA-AAAA-AAAA', 'RP-AAAA-AAAA', 'RP-AAAA-AAAA-AAA0', 'RP-AAAA-AAAA-AAAA-A', '\u0000\r\n']) {
      expect(normalizeCoupon(input)).toBeUndefined();
      expect(verifyCoupon(input, subject, key)).toBe(false);
    }
    expect(normalizeCoupon('rp 2345 6789 abcd')).toBe('RP-2345-6789-ABCD');
  });

  it('need a key long enough to be a secret', () => {
    expect(() => couponCode(subject, 'short')).toThrow(RangeError);
  });
});
