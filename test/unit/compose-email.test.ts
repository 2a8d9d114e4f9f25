import { describe, expect, it } from 'vitest';
import { profileOf } from '#shared/data/profile-item.ts';
import { verifyCoupon } from '#shared/email/coupon.ts';
import { verifyFeedbackToken } from '#shared/email/feedback-link.ts';
import { couponKey, feedbackKey, unsubscribeKey } from '#shared/email/keys.ts';
import { loyaltyKey, verifyLoyaltyToken } from '#shared/email/loyalty-link.ts';
import { EMAIL_TRIGGERS, escapeHtml, renderEmail } from '#shared/email/render.ts';
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
/** A reward code record as the code step enqueues it. */
const REWARD = {
  code: 'RW-7KQ2M-X9PDT',
  rewardId: 'free-pot',
  name: { en: 'A free tea pot', vi: 'Tặng ấm trà' },
  value: { kind: 'free_product', productId: 'pot' },
  currency: 'VND',
  minOrder: 300_000,
  points: 800,
  expiresAt: '2026-12-20T03:00:00.000Z',
};
/** What each trigger record carries (the loyalty stages' and the code step's data). */
const RECORD_DATA: Record<string, Record<string, unknown>> = {
  welcome: { bonus: 50 },
  tier_up: { to: 'gold' },
  tier_down_warning: { tier: 'silver', to: 'member', shortfall: 2, downgradeOn: '2026-12-01T00:00:00.000Z' },
  tier_down: { from: 'silver', to: 'member' },
  birthday: { bonus: 100 },
  win_back: {},
  points_expiring: { points: 120, expiresOn: '2026-12-20T00:00:00.000Z' },
  points_milestone: { milestone: 500 },
  feedback_request: { orderId: 'o-1' },
  redemption_receipt: { points: 100, balance: 320 },
  reward_issued: REWARD,
  reward_failed: { code: REWARD.code, name: REWARD.name, points: REWARD.points },
  flow: { flowId: 'vip-welcome', reasons: ['rule:vip'] },
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

  it.each(EMAIL_TRIGGERS)(
    'gives the %s email a link to the customer’s loyalty page, signed for this customer, naming ids only',
    (trigger) => {
      const { context } = compose(trigger, `${trigger}:1`, RECORD_DATA[trigger] ?? {});
      const link = new URL(context.loyaltyUrl as string);
      expect(link.origin + link.pathname).toBe(`https://loyalty.example.com/l/${shop.shopId}`);
      const token = link.searchParams.get('t') as string;
      expect(verifyLoyaltyToken(token, loyaltyKey(MASTER), NOW)).toEqual({
        ok: true,
        payload: { shopId: shop.shopId, customerId, issuedAt: NOW.getTime() / 1000 },
      });
      expect(verifyLoyaltyToken(token, loyaltyKey('another-master-key-0123456789abcdef'), NOW).ok).toBe(false);
      // The link ends up in mail logs: nothing in it says who the customer is but the id.
      expect(JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString())).toEqual({
        s: shop.shopId,
        c: customerId,
        t: NOW.getTime() / 1000,
      });
      const email = renderEmail(context);
      expect(email.html).toContain(`href="${escapeHtml(context.loyaltyUrl as string)}"`);
      expect(email.text).toContain(context.loyaltyUrl);
    },
  );

  it('passes a reward code record to the email, with the free product named from the catalogue', () => {
    const { context, unsubscribeUrl } = compose('reward_issued', `reward_issued:${REWARD.code}`, REWARD);
    expect(unsubscribeUrl).toBeUndefined();
    expect(context.data).toEqual({
      code: REWARD.code,
      name: REWARD.name,
      value: REWARD.value,
      currency: 'VND',
      minOrder: 300_000,
      points: 800,
      expiresAt: REWARD.expiresAt,
      productTitle: 'Ấm tử sa',
    });
    const email = renderEmail(context);
    expect(email.subject).toBe(`Ưu đãi của bạn tại ${shop.name}: Tặng Ấm tử sa`);
    expect(email.text).toContain('Mã ưu đãi của bạn: RW-7KQ2M-X9PDT');
    expect(email.text).toContain('Có hiệu lực đến hết ngày 20 tháng 12, 2026');
    expect(renderEmail(compose('reward_failed', 'reward_failed:x', RECORD_DATA.reward_failed ?? {}).context).text).toContain(
      'Mã tham chiếu: RW-7KQ2M-X9PDT',
    );
  });
});
