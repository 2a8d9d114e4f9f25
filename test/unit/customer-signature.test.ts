import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCustomerSignature, customerSignatureProblem, signCustomer } from '#shared/domain/customer-signature.ts';

const SECRET = 'sf_a-storefront-secret-of-32-chars-or-more';
const OTHER = 'sf_another-shops-storefront-secret-000000';
const SHOP = 'tra-sen';
const NOW = 1_767_225_600;

const check = (header: string | undefined, secrets: string[] = [SECRET], now = NOW, shopId = SHOP) =>
  checkCustomerSignature(header, shopId, secrets, now);

/** A header signed by hand, as a shop's server in another language would. */
const handSigned = (c: string, t: number, secret = SECRET, shopId = SHOP) =>
  `t=${t},c=${c},v1=${createHmac('sha256', secret).update(`${shopId}:${c}:${t}`).digest('hex')}`;

describe('X-Rapport-Customer', () => {
  it('names the customer the shop signed: an external id or an email', () => {
    expect(check(signCustomer(SECRET, SHOP, 'shopify:7412341234123412341', NOW))).toEqual({
      ok: true,
      customer: 'shopify:7412341234123412341',
    });
    expect(check(signCustomer(SECRET, SHOP, 'lan@example.vn', NOW))).toEqual({ ok: true, customer: 'lan@example.vn' });
    expect(signCustomer(SECRET, SHOP, 'lan@example.vn', NOW)).toMatch(/^t=1767225600,c=lan%40example\.vn,v1=[0-9a-f]{64}$/);
  });

  it('decodes a percent-encoded email with a +, and a + left as it is stays a + (never a space)', () => {
    expect(check(handSigned('lan%2Bshop%40example.vn', NOW))).toEqual({ ok: true, customer: 'lan+shop@example.vn' });
    expect(check(handSigned('lan+shop@example.vn', NOW))).toEqual({ ok: true, customer: 'lan+shop@example.vn' });
    expect(check(signCustomer(SECRET, SHOP, 'lan+shop@example.vn', NOW))).toEqual({ ok: true, customer: 'lan+shop@example.vn' });
    expect(check(handSigned('Nguy%E1%BB%85n%20Lan', NOW))).toEqual({ ok: true, customer: 'Nguyễn Lan' });
  });

  it('covers c as it is spelled: another spelling of the same customer does not verify under this MAC', () => {
    const header = handSigned('lan%40example.vn', NOW);
    expect(check(header.replace('lan%40example.vn', 'lan@example.vn'))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a tampered customer, time or MAC', () => {
    const header = signCustomer(SECRET, SHOP, 'shopify:1001', NOW);
    expect(check(header.replace('shopify%3A1001', 'shopify%3A1002'))).toEqual({ ok: false, reason: 'bad_signature' });
    expect(check(header.replace(`t=${NOW}`, `t=${NOW - 1}`))).toEqual({ ok: false, reason: 'bad_signature' });
    const mac = header.slice(-64);
    const flipped = mac.slice(0, -1) + (mac.endsWith('0') ? '1' : '0');
    expect(check(header.slice(0, -64) + flipped)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it("refuses another shop's secret, and this secret's signature for another shop", () => {
    expect(check(signCustomer(OTHER, SHOP, 'shopify:1001', NOW))).toEqual({ ok: false, reason: 'bad_signature' });
    expect(check(signCustomer(SECRET, 'other-shop', 'shopify:1001', NOW))).toEqual({ ok: false, reason: 'bad_signature' });
    expect(check(signCustomer(SECRET, SHOP, 'shopify:1001', NOW), [SECRET], NOW, 'other-shop')).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    // A shop without a storefront secret verifies nothing.
    expect(check(signCustomer(SECRET, SHOP, 'shopify:1001', NOW), [])).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('accepts any of the secrets given (a replaced one in its grace)', () => {
    expect(check(signCustomer(OTHER, SHOP, 'shopify:1001', NOW), [SECRET, OTHER])).toEqual({ ok: true, customer: 'shopify:1001' });
  });

  it('holds for 10 minutes, and 1 minute ahead of this clock, not a second more', () => {
    const header = signCustomer(SECRET, SHOP, 'shopify:1001', NOW);
    expect(check(header, [SECRET], NOW + 600).ok).toBe(true);
    expect(check(header, [SECRET], NOW + 601)).toEqual({ ok: false, reason: 'expired' });
    expect(check(header, [SECRET], NOW + 660)).toEqual({ ok: false, reason: 'expired' });
    expect(check(header, [SECRET], NOW - 60).ok).toBe(true);
    expect(check(header, [SECRET], NOW - 61)).toEqual({ ok: false, reason: 'ahead' });
  });

  it('is strict about the format', () => {
    const good = signCustomer(SECRET, SHOP, 'shopify:1001', NOW);
    const [t, c, v1] = good.split(',');
    for (const header of [
      `${c},${t},${v1}`,
      `${t}, ${c},${v1}`,
      `${t},${c},${v1},${v1}`,
      `${t},${c},v1=${v1!.slice(3).toUpperCase()}`,
      `${t},${c}`,
      `t=,${c},${v1}`,
      `t=-5,${c},${v1}`,
      `t=1e9,${c},${v1}`,
      `${t},c=,${v1}`,
      `${t},c=a b,${v1}`,
      `${t},c=a%2,${v1}`,
      `${t},c=%E0%A4%A,${v1}`,
      `${t},c=%20,${v1}`,
      `${t},c=${'a'.repeat(321)},${v1}`,
      ` ${good}`,
      `${good}\n`,
    ]) {
      expect(check(header), header).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(check(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(check('')).toEqual({ ok: false, reason: 'missing' });
  });

  it('never throws and never verifies garbage', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (header) => {
        expect(check(header).ok).toBe(false);
      }),
    );
  });

  it('round-trips any customer a shop may name', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 100 }).filter((s) => s.trim() !== ''),
        (customer) => {
          const header = signCustomer(SECRET, SHOP, customer, NOW);
          if (encodeURIComponent(customer).length > 960) return;
          expect(check(header)).toEqual({ ok: true, customer });
        },
      ),
    );
  });

  it('explains each refusal naming the header, never the customer', () => {
    for (const reason of ['missing', 'malformed', 'expired', 'ahead', 'bad_signature'] as const) {
      expect(customerSignatureProblem(reason)).toContain('X-Rapport-Customer');
    }
  });
});
