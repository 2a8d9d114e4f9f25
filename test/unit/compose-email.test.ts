import { describe, expect, it } from 'vitest';
import { profileOf } from '#shared/data/profile-item.ts';
import { verifyCoupon } from '#shared/email/coupon.ts';
import { verifyFeedbackToken } from '#shared/email/feedback-link.ts';
import { couponKey, feedbackKey, unsubscribeKey } from '#shared/email/keys.ts';
import { renderEmail } from '#shared/email/render.ts';
import { verifyUnsubscribeToken } from '#shared/email/unsubscribe.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import { composeEmail } from '#shared/use-cases/compose-email.ts';
import { aShop } from '#test/support/factories.ts';

const MASTER = 'unit-master-key-0123456789abcdef0123456789';
const shop = aShop('compose-shop');
const program = defaultProgram(shop);
const customerId = 'c_00000000000000000001';
const NOW = new Date('2026-11-20T03:00:00.000Z');
// A silver customer with two paid orders of tea (the profile item as stored by an earlier version: one summary per order).
const profile = profileOf({
  PK: `SHOP#${shop.shopId}#C#${customerId}`,
  SK: 'PROFILE',
  email: 'lan@example.com',
  firstName: 'Lan',
  locale: 'vi-VN',
  consentEmail: 'subscribed',
  tier: 'silver',
  pointsBalance: 420,
  pointsLifetime: 600,
  o_1: { q: 1, s: 'paid', t: 500_000, r: 0, c: Date.parse('2026-10-01') / 1000, p: ['tea'] },
  o_2: { q: 1, s: 'paid', t: 700_000, r: 0, c: Date.parse('2026-11-01') / 1000, p: ['tea', 'cup'] },
  createdAt: '2026-10-01T00:00:00.000Z',
});
const coPurchase = {
  bestSellers: [
    { productId: 'tea', count: 9 },
    { productId: 'pot', count: 5 },
  ],
  related: { tea: [{ productId: 'cup', lift: 2, confidence: 0.5 }], cup: [{ productId: 'pot', lift: 1.5, confidence: 0.4 }] },
  products: { tea: { title: 'Trà', price: 1 }, cup: { title: 'Chén', price: 1 }, pot: { title: 'Ấm tử sa', price: 900_000 } },
};

const compose = (trigger: string, key: string, data: Record<string, unknown>) =>
  composeEmail({
    record: { shopId: shop.shopId, customerId, key, trigger: trigger as never, at: NOW.toISOString(), data },
    shop,
    program,
    profile,
    coPurchase,
    masterKey: MASTER,
    publicUrl: 'https://loyalty.example.com',
    now: NOW,
  });

describe('composing an email from a trigger record', () => {
  it('names the tier still held in a warning, the new tier in a tier change', () => {
    expect(
      compose('tier_down_warning', 'w', { tier: 'silver', to: 'member', shortfall: 2, downgradeOn: '2026-12-01T00:00:00.000Z' }).context
        .customer.tier?.id,
    ).toBe('silver');
    expect(compose('tier_up', 'u', { to: 'gold' }).context.customer.tier?.id).toBe('gold');
    expect(compose('tier_down', 'd', { from: 'silver', to: 'member' }).context.customer.tier?.id).toBe('member');
  });

  it('recommends what they have not bought first (theirs only to fill the list), and progress to the next tier', () => {
    const { context } = compose('tier_up', 'u', { to: 'silver' });
    expect(context.recommendations.map((r) => r.productId)[0]).toBe('pot');
    expect(
      context.recommendations
        .map((r) => r.productId)
        .slice(1)
        .sort(),
    ).toEqual(['cup', 'tea']);
    expect(context.customer.progress).toMatchObject({ metric: 'orders', remaining: 6 }); // gold at 8 paid orders
  });

  it('signs the links and the coupon for this customer only', () => {
    const marketing = compose('win_back', 'win_back:2026-11', {});
    const token = new URL(marketing.unsubscribeUrl as string).searchParams.get('token') as string;
    expect(verifyUnsubscribeToken(token, unsubscribeKey(MASTER))).toMatchObject({ ok: true, payload: { customerId } });
    const code = (marketing.context.data.coupon as { code: string }).code;
    expect(verifyCoupon(code, { shopId: shop.shopId, customerId, offer: 'win_back:2026-11' }, couponKey(MASTER, shop.shopId))).toBe(true);

    const feedback = compose('feedback_request', 'feedback_request:o#1', { orderId: 'o#1' });
    const link = new URL(feedback.context.data.feedbackUrl as string);
    expect(link.origin + link.pathname).toBe('https://loyalty.example.com/feedback');
    expect(verifyFeedbackToken(link.searchParams.get('token') as string, feedbackKey(MASTER))).toMatchObject({
      ok: true,
      payload: { customerId },
    });

    // The shop's storefront, when it has one, is the email's button.
    const withUrl = composeEmail({
      record: { shopId: shop.shopId, customerId, key: 'u', trigger: 'tier_up', at: NOW.toISOString(), data: { to: 'gold' } },
      shop: { ...shop, url: 'https://traviet.example' },
      program,
      profile,
      masterKey: MASTER,
      publicUrl: 'https://loyalty.example.com',
      now: NOW,
    });
    expect(renderEmail(withUrl.context).html).toContain('href="https://traviet.example"');

    const receipt = compose('redemption_receipt', 'r', { points: 100, balance: 320 });
    expect(receipt.unsubscribeUrl).toBeUndefined();
    expect(renderEmail(receipt.context).text).toContain('320');
  });
});
