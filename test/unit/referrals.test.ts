import { describe, expect, it } from 'vitest';
import { normalizeShopify } from '#shared/connectors/shopify.ts';
import type { ConnectorContext, NormalizeResult } from '#shared/connectors/types.ts';
import { normalizeWooCommerce } from '#shared/connectors/woocommerce.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';
import { normalizeReferralCode, REFERRAL_CODE_PATTERN } from '#shared/domain/referral-code.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { defaultProgram, ProgramSchema } from '#shared/loyalty/program.ts';
import {
  decideApproval,
  decideAttribution,
  REFERRALS_OFF,
  referralCodeOf,
  refOfUrl,
  shippingAddressHash,
} from '#shared/loyalty/referrals.ts';
import { type JsonObject, loadFixture } from '#test/support/fixtures.ts';

const context = (currency = 'USD'): ConnectorContext => ({
  shopId: 'lumen-optics',
  currency,
  ignoreTestOrders: false,
  receivedAt: new Date('2026-03-01T10:00:00.000Z'),
  headers: {},
});
const orderOf = (result: NormalizeResult) => {
  if (result.kind !== 'events') expect.fail(JSON.stringify(result));
  return (result.events[0] as CanonicalEvent).order;
};

describe('referral codes', () => {
  it('derives the same short code from the shop and customer every time, another per attempt', () => {
    const code = referralCodeOf('tra-viet', 'c_0123456789abcdef0123', 0);
    expect(code).toMatch(REFERRAL_CODE_PATTERN);
    expect(referralCodeOf('tra-viet', 'c_0123456789abcdef0123', 0)).toBe(code);
    expect(referralCodeOf('tra-viet', 'c_0123456789abcdef0123', 1)).not.toBe(code);
    expect(referralCodeOf('other-shop', 'c_0123456789abcdef0123', 0)).not.toBe(code);
    // No 0/O, 1/I/L: nothing a friend can misread.
    expect(code).not.toMatch(/[01ILO]/);
  });

  it('reads a code as people type it and as links carry it', () => {
    expect(normalizeReferralCode(' k7mp-q2zd ')).toBe('K7MPQ2ZD');
    expect(normalizeReferralCode('K7MPQ2Z')).toBeUndefined();
    expect(normalizeReferralCode('K7MPQ2Z0')).toBeUndefined();
    expect(refOfUrl('/?ref=k7mpq2zd')).toBe('K7MPQ2ZD');
    expect(refOfUrl('https://shop.example/products/tea?utm_source=x&ref=K7MPQ2ZD')).toBe('K7MPQ2ZD');
    expect(refOfUrl('/collections/all')).toBeUndefined();
    expect(refOfUrl(null)).toBeUndefined();
  });

  it('hashes a shipping address the same however it is written, and keeps nothing of it', () => {
    const a = shippingAddressHash({ line1: '12 Lê Lợi', postcode: '700000', country: 'VN' });
    expect(a).toBe(shippingAddressHash({ line1: '12 le loi', postcode: '700 000', country: 'vn' }));
    expect(a).not.toBe(shippingAddressHash({ line1: '14 Lê Lợi', postcode: '700000', country: 'VN' }));
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(shippingAddressHash({ line1: '  ', country: 'VN' })).toBeUndefined();
  });
});

describe('deciding a referral', () => {
  const facts = {
    friend: { customerId: 'c_friend', email: 'lan@example.com', phone: '+84901234567' },
    referrer: { customerId: 'c_referrer', email: 'mai@example.com', phone: '+84907654321', shippingHashes: ['aaa'] },
    order: { status: 'paid', createdAt: '2026-03-01T10:00:00.000Z', shippingHash: 'bbb' },
    referrerCountThisMonth: 0,
    program: { ...REFERRALS_OFF, active: true },
  };

  it('attributes a friend’s first paid order, waits on a pending one', () => {
    expect(decideAttribution(facts)).toEqual({ status: 'attributed' });
    expect(decideAttribution({ ...facts, order: { ...facts.order, status: 'pending' } })).toBeUndefined();
  });

  it('refuses the referrer as their own friend: same customer, email, phone or shipping address', () => {
    const self = { status: 'rejected', reason: 'self' };
    expect(decideAttribution({ ...facts, friend: { ...facts.friend, customerId: 'c_referrer' } })).toEqual(self);
    expect(decideAttribution({ ...facts, friend: { ...facts.friend, email: 'mai@example.com' } })).toEqual(self);
    expect(decideAttribution({ ...facts, friend: { ...facts.friend, phone: '+84907654321' } })).toEqual(self);
    expect(decideAttribution({ ...facts, order: { ...facts.order, shippingHash: 'aaa' } })).toEqual(self);
  });

  it('refuses an order that is not the friend’s first, a cancelled one, one past the cap', () => {
    expect(decideAttribution({ ...facts, friendEarlierOrderAt: '2026-02-01T00:00:00.000Z' })).toEqual({
      status: 'rejected',
      reason: 'not_first_order',
    });
    // The profile keeps times to the second: the order itself is not "earlier" than itself.
    expect(decideAttribution({ ...facts, friendEarlierOrderAt: '2026-03-01T10:00:00.000Z' })).toEqual({ status: 'attributed' });
    expect(decideAttribution({ ...facts, order: { ...facts.order, status: 'cancelled' } })).toEqual({
      status: 'rejected',
      reason: 'cancelled',
    });
    expect(decideAttribution({ ...facts, referrerCountThisMonth: 10 })).toEqual({ status: 'rejected', reason: 'cap' });
  });

  it('approves the referrer only for an order still paid, never refunded, still the first', () => {
    const order = { status: 'paid', refunded: 0, total: 500_000, createdAt: '2026-03-01T10:00:00.000Z' };
    const base = { order, friendFirstOrderAt: '2026-03-01T10:00:00.000Z', self: false, active: true };
    expect(decideApproval(base)).toEqual({ status: 'approved' });
    expect(decideApproval({ ...base, order: { ...order, refunded: 1 } })).toEqual({ status: 'rejected', reason: 'refunded' });
    expect(decideApproval({ ...base, order: { ...order, status: 'partially_refunded' } })).toEqual({
      status: 'rejected',
      reason: 'refunded',
    });
    expect(decideApproval({ ...base, order: { ...order, status: 'cancelled' } })).toEqual({ status: 'rejected', reason: 'cancelled' });
    expect(decideApproval({ ...base, friendFirstOrderAt: '2026-02-27T00:00:00.000Z' })).toEqual({
      status: 'rejected',
      reason: 'not_first_order',
    });
    expect(decideApproval({ ...base, self: true })).toEqual({ status: 'rejected', reason: 'self' });
    expect(decideApproval({ ...base, active: false })).toEqual({ status: 'rejected', reason: 'inactive' });
  });
});

describe('the program’s referrals', () => {
  it('is on for a new shop, off for a program saved before referrals existed', () => {
    const fresh = defaultProgram({ currency: 'VND', name: 'Trà Việt' });
    expect(fresh.referrals).toEqual({
      active: true,
      friendReward: { points: 100 },
      referrerReward: { points: 200 },
      approvalDays: 14,
      monthlyCap: 10,
    });
    const { referrals: _gone, ...saved } = fresh;
    expect(ProgramSchema.parse(saved).referrals).toEqual(REFERRALS_OFF);
  });

  it('refuses a reward that is not in the catalog, a negative period, a reward both points and code, naming the field', () => {
    const program = defaultProgram({ currency: 'VND', name: 'Trà Việt' });
    const bad = (referrals: unknown) => () => parseOrThrow(ProgramSchema, { ...program, referrals });
    expect(bad({ ...program.referrals, friendReward: { rewardId: 'nope' } })).toThrow(
      expect.objectContaining({ field: 'referrals.friendReward.rewardId' }),
    );
    expect(bad({ ...program.referrals, approvalDays: -1 })).toThrow(expect.objectContaining({ field: 'referrals.approvalDays' }));
    expect(bad({ ...program.referrals, referrerReward: { points: 5, rewardId: 'free-shipping' } })).toThrow(
      expect.objectContaining({ field: 'referrals.referrerReward' }),
    );
    expect(() =>
      ProgramSchema.parse({ ...program, referrals: { ...program.referrals, friendReward: { rewardId: 'free-shipping' } } }),
    ).not.toThrow();
  });
});

describe('the code on real platform payloads', () => {
  const shopify = (changes: JsonObject) => JSON.stringify({ ...loadFixture('shopify', 'orders_paid').body, test: false, ...changes });
  const woo = (changes: JsonObject) => JSON.stringify({ ...loadFixture('woocommerce', 'order').body, ...changes });

  it('Shopify: the landing page’s ref, else a note attribute, else none; a discount code stays a discount code', () => {
    expect(orderOf(normalizeShopify('orders/paid', shopify({ landing_site: '/?ref=k7mpq2zd' }), context()))?.referralCode).toBe('K7MPQ2ZD');
    expect(
      orderOf(normalizeShopify('orders/paid', shopify({ note_attributes: [{ name: 'ref', value: 'K7MP-Q2ZD' }] }), context()))
        ?.referralCode,
    ).toBe('K7MPQ2ZD');
    const sample = orderOf(normalizeShopify('orders/paid', shopify({}), context()));
    expect(sample?.referralCode).toBeUndefined();
    const typed = orderOf(
      normalizeShopify('orders/paid', shopify({ discount_codes: [{ code: 'k7mpq2zd', amount: '5.00', type: 'fixed_amount' }] }), context()),
    );
    expect(typed?.discountCodes).toEqual(['K7MPQ2ZD']);
  });

  it('WooCommerce: the order attribution’s landing page, else a ref meta entry; coupon lines as discount codes', () => {
    const attributed = woo({
      meta_data: [
        { id: 1, key: '_wc_order_attribution_source_type', value: 'referral' },
        { id: 2, key: '_wc_order_attribution_session_entry', value: 'https://books.example/?ref=K7MPQ2ZD' },
      ],
    });
    expect(orderOf(normalizeWooCommerce('order.created', attributed, context()))?.referralCode).toBe('K7MPQ2ZD');
    expect(
      orderOf(normalizeWooCommerce('order.created', woo({ meta_data: [{ id: 3, key: 'ref', value: 'k7mpq2zd' }] }), context()))
        ?.referralCode,
    ).toBe('K7MPQ2ZD');
    expect(orderOf(normalizeWooCommerce('order.created', woo({}), context()))?.referralCode).toBeUndefined();
    const coupon = woo({ coupon_lines: [{ id: 9, code: 'k7mpq2zd', discount: '5.00', discount_tax: '0.00', meta_data: [] }] });
    expect(orderOf(normalizeWooCommerce('order.created', coupon, context()))?.discountCodes).toEqual(['K7MPQ2ZD']);
  });
});
