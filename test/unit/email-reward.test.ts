import { describe, expect, it } from 'vitest';
import { type EmailContext, escapeHtml, InvalidEmailContextError, isMarketing, renderEmail } from '#shared/email/render.ts';

/**
 * The reward emails: the code a customer bought with points (reward_issued), and the news that it
 * could not be made and the points are back (reward_failed), as the code step enqueues them.
 */

const NBSP = '\u00a0';
const LOYALTY = 'https://rapport.example/l/tra-moc?t=v1.e30.sig';
const NAME = { en: 'Money off your order', vi: 'Giảm giá đơn hàng' };

function issued(locale: string, data: Record<string, unknown> = {}, shop: Partial<EmailContext['shop']> = {}): EmailContext {
  return {
    trigger: 'reward_issued',
    locale,
    shop: { name: 'Trà Mộc', currency: 'VND', locale: 'vi-VN', timezone: 'Asia/Ho_Chi_Minh', url: 'https://tramoc.example.vn', ...shop },
    customer: { firstName: 'Lan', points: { balance: 700, lifetime: 1_200 } },
    data: {
      code: 'RW-7KQ2M-X9PDT',
      rewardId: 'money-off',
      name: NAME,
      value: { kind: 'amount_off', amount: 50_000 },
      currency: 'VND',
      points: 500,
      // 03:00 on the 15th in Ho Chi Minh City, still the 14th in New York.
      expiresAt: '2026-03-14T20:00:00.000Z',
      ...data,
    },
    recommendations: [],
    loyaltyUrl: LOYALTY,
  };
}

/** Each kind of value, with what a reader sees for it in the large figure and in the sentence. */
const KINDS = [
  {
    value: { kind: 'amount_off', amount: 50_000 },
    en: { short: '₫50,000 off', long: '₫50,000 off your order' },
    vi: { short: `Giảm 50.000${NBSP}₫`, long: `giảm 50.000${NBSP}₫ cho đơn hàng` },
  },
  {
    value: { kind: 'percent_off', percent: 15, maxAmount: 100_000 },
    en: { short: '15% off', long: '15% off your order, up to ₫100,000' },
    vi: { short: 'Giảm 15%', long: `giảm 15% cho đơn hàng, tối đa 100.000${NBSP}₫` },
  },
  {
    value: { kind: 'percent_off', percent: 10 },
    en: { short: '10% off', long: '10% off your order.' },
    vi: { short: 'Giảm 10%', long: 'giảm 10% cho đơn hàng.' },
  },
  {
    value: { kind: 'free_shipping' },
    en: { short: 'Free shipping', long: 'free shipping on your order' },
    vi: { short: 'Miễn phí vận chuyển', long: 'miễn phí vận chuyển cho đơn hàng' },
  },
  {
    value: { kind: 'free_product', productId: '8012345' },
    en: { short: 'A free product', long: 'a free product with your order' },
    vi: { short: 'Quà tặng miễn phí', long: 'một sản phẩm tặng kèm cho đơn hàng' },
  },
] as const;

const LANGUAGES = [
  { language: 'en', locale: 'en-US', date: 'March 15, 2026', code: 'Your code', points: '500 points' },
  { language: 'vi', locale: 'vi-VN', date: '15 tháng 3, 2026', code: 'Mã ưu đãi của bạn', points: '500 điểm' },
] as const;

describe.each(
  LANGUAGES.flatMap((lang) => KINDS.map((kind) => ({ ...lang, kind: kind.value.kind, value: kind.value, words: kind[lang.language] }))),
)('reward_issued, $kind, in $language', ({ language, locale, date, code, points, value, words }) => {
  const email = renderEmail(issued(locale, { value }));

  it('is in the customer’s language, complete', () => {
    expect(email.locale).toBe(language);
    for (const part of [email.subject, email.html, email.text]) expect(part).not.toMatch(/\{\{|\}\}/);
  });

  it('gives the code, large and on a line of its own, with the value and the points it cost', () => {
    expect(email.text).toContain(`${code}: RW-7KQ2M-X9PDT\n`);
    // One tap selects the whole code in the HTML.
    expect(email.html).toMatch(/<span style="-webkit-user-select: all; user-select: all; white-space: nowrap">RW-7KQ2M-X9PDT<\/span>/);
    expect(email.subject).toContain(words.short);
    expect(email.html).toContain(escapeHtml(words.short));
    expect(email.text).toContain(words.long);
    expect(email.text).toContain(points);
  });

  it('says until when the code is valid, in the shop’s time zone', () => {
    expect(email.text).toContain(language === 'vi' ? `Có hiệu lực đến hết ngày ${date}` : `Valid until ${date}`);
    expect(email.html).toContain(date);
  });

  it('has no minimum order when the reward sets none', () => {
    expect(email.text).not.toMatch(/Minimum order|tối thiểu/);
  });
});

describe('reward_issued', () => {
  it('is transactional: no unsubscribe link is needed, and it reaches customers who opted out of marketing', () => {
    expect(isMarketing('reward_issued')).toBe(false);
    expect(renderEmail(issued('en')).text).not.toMatch(/unsubscribe/i);
  });

  it('states the minimum order in the shop’s money', () => {
    const en = renderEmail(issued('en', { minOrder: 200_000 }));
    expect(en.text).toContain('It applies to orders of ₫200,000 or more.');
    expect(en.text).toContain('Minimum order: ₫200,000');
    const vi = renderEmail(issued('vi', { minOrder: 200_000 }));
    expect(vi.text).toContain(`Áp dụng cho đơn hàng từ 200.000${NBSP}₫ trở lên.`);
    expect(vi.text).toContain(`Đơn hàng tối thiểu: 200.000${NBSP}₫`);
  });

  it('formats amounts in the code’s currency by its ISO 4217 exponent', () => {
    const usd = renderEmail(
      issued(
        'en',
        { value: { kind: 'percent_off', percent: 20, maxAmount: 2_500 }, currency: 'USD', minOrder: 5_000 },
        { currency: 'USD' },
      ),
    );
    expect(usd.subject).toBe('Your Trà Mộc reward: 20% off');
    expect(usd.text).toContain('20% off your order, up to $25.00');
    expect(usd.text).toContain('orders of $50.00 or more');
    // Without a currency of its own the code is in the shop's.
    const { currency: _, ...data } = issued('en').data;
    expect(renderEmail({ ...issued('en'), data }).text).toContain('₫50,000 off your order');
  });

  it('reads the expiry in the shop’s time zone', () => {
    const toronto = renderEmail(issued('en', {}, { timezone: 'America/Toronto' }));
    expect(toronto.text).toContain('Valid until March 14, 2026');
    expect(renderEmail(issued('en', { expiresAt: '2026-03-20' })).text).toContain('Valid until March 20, 2026');
  });

  it('names the free product when the catalogue knows it', () => {
    const data = { value: { kind: 'free_product', productId: '8012345' }, productTitle: 'Trà sen Tây Hồ' };
    expect(renderEmail(issued('en', data)).subject).toBe('Your Trà Mộc reward: Free Trà sen Tây Hồ');
    expect(renderEmail(issued('vi', data)).text).toContain('tặng kèm Trà sen Tây Hồ cho đơn hàng');
  });

  it('names the reward in the customer’s language, English when the catalog has no other', () => {
    expect(renderEmail(issued('vi')).text).toContain('“Giảm giá đơn hàng”');
    expect(renderEmail(issued('vi', { name: { en: 'Money off' } })).text).toContain('“Money off”');
  });

  it('escapes the names it is given', () => {
    const email = renderEmail(issued('en', { name: { en: '<b>Gift</b>' }, productTitle: '"><script>' }));
    expect(email.html).not.toMatch(/<b>Gift|<script/);
  });

  it('says nothing of points for a code that cost none (an offer)', () => {
    const en = renderEmail(issued('en', { points: 0 }));
    expect(en.text).toContain(
      'Your code for “Money off your order” is ready. Enter the code below at checkout to get ₫50,000 off your order.',
    );
    expect(en.text).not.toMatch(/redeemed|\b0 points/);
    const vi = renderEmail(issued('vi', { points: 0 }));
    expect(vi.text).toContain('Mã ưu đãi “Giảm giá đơn hàng” của bạn đã sẵn sàng.');
    expect(vi.text).not.toMatch(/Số điểm đã đổi|\b0 điểm/);
  });

  it('refuses a record without what the email needs: nothing half-made is sent', () => {
    const refused = (data: Record<string, unknown>) => () => renderEmail(issued('en', data));
    expect(refused({ code: '' })).toThrow(InvalidEmailContextError);
    expect(refused({ expiresAt: 'soon' })).toThrow(InvalidEmailContextError);
    expect(refused({ value: { kind: 'cashback', amount: 5 } })).toThrow(InvalidEmailContextError);
    expect(refused({ value: { kind: 'percent_off', percent: 120 } })).toThrow(InvalidEmailContextError);
    expect(refused({ currency: 'ABC' })).toThrow(InvalidEmailContextError);
    expect(refused({ points: -500 })).toThrow(InvalidEmailContextError);
    expect(refused({ name: {} })).toThrow(InvalidEmailContextError);
  });
});

describe('reward_failed', () => {
  const failed = (locale: string): EmailContext => ({
    ...issued(locale),
    trigger: 'reward_failed',
    data: { code: 'RW-7KQ2M-X9PDT', name: NAME, points: 500 },
  });

  it('says the points are back, in English', () => {
    const email = renderEmail(failed('en'));
    expect(email.subject).toBe('We could not issue your “Money off your order” reward');
    expect(email.text).toContain('The 500 points you redeemed are back in your account.');
    expect(email.text).toContain('+500 points — back in your account');
    expect(email.text).toContain('Reference: RW-7KQ2M-X9PDT');
    expect(email.text).not.toMatch(/Your code|Valid until/);
  });

  it('says the points are back, in Vietnamese', () => {
    const email = renderEmail(failed('vi-VN'));
    expect(email.subject).toBe('Chưa thể tạo mã cho ưu đãi “Giảm giá đơn hàng” của bạn');
    expect(email.text).toContain('500 điểm bạn đã dùng đã được hoàn lại vào tài khoản.');
    expect(email.text).toContain('Mã tham chiếu: RW-7KQ2M-X9PDT');
  });

  it('gives no points back for a code that cost none', () => {
    for (const locale of ['en', 'vi']) {
      const email = renderEmail({ ...failed(locale), data: { code: 'RW-7KQ2M-X9PDT', name: NAME, points: 0 } });
      expect(email.text).not.toMatch(/\+0|\b0 points|\b0 điểm|returned|back in your account|hoàn lại/);
      expect(email.text).toContain(locale === 'en' ? 'Reference: RW-7KQ2M-X9PDT' : 'Mã tham chiếu: RW-7KQ2M-X9PDT');
      for (const part of [email.subject, email.html, email.text]) expect(part).not.toMatch(/\{\{|\}\}/);
    }
  });

  it('sends the customer to the loyalty page to choose again, and is transactional', () => {
    const email = renderEmail(failed('en'));
    expect(email.text).toContain(`Choose a reward: ${LOYALTY}`);
    expect(isMarketing('reward_failed')).toBe(false);
    expect(email.text).not.toMatch(/unsubscribe/i);
  });
});

describe("the win-back email with the program's win-back reward", () => {
  const winBack = (locale: string, offer?: Record<string, unknown>): EmailContext => ({
    ...issued(locale),
    trigger: 'win_back',
    unsubscribeUrl: 'https://rapport.example/unsubscribe?token=v1.e30.sig',
    data: offer ? { offer } : {},
  });
  const offer = {
    code: 'RW-7KQ2M-X9PDT',
    value: { kind: 'percent_off', percent: 10 },
    currency: 'VND',
    expiresAt: '2026-03-14T20:00:00.000Z',
  };

  it('says what the code gives and until when, and shows the code', () => {
    const en = renderEmail(winBack('en', offer));
    expect(en.subject).toBe('We miss you at Trà Mộc: 10% off your order');
    expect(en.text).toContain('To welcome you back, here is 10% off your order with this code:');
    expect(en.text).toContain('Valid until March 15, 2026');
    expect(en.text).toContain('RW-7KQ2M-X9PDT');
    const vi = renderEmail(winBack('vi', offer));
    expect(vi.subject).toBe('Trà Mộc rất nhớ bạn: giảm 10% cho đơn hàng');
    expect(vi.text).toContain('Để chào mừng bạn quay lại, Trà Mộc tặng bạn giảm 10% cho đơn hàng với mã dưới đây:');
    expect(vi.text).toContain('RW-7KQ2M-X9PDT');
  });

  it('without an offer stays as it was: no code, no value', () => {
    const en = renderEmail(winBack('en'));
    expect(en.subject).toBe('We miss you at Trà Mộc');
    expect(en.text).not.toContain('RW-');
  });
});

describe("the birthday email with the program's birthday reward", () => {
  const birthday = (locale: string, data: Record<string, unknown>): EmailContext => ({
    ...issued(locale),
    trigger: 'birthday',
    unsubscribeUrl: 'https://rapport.example/unsubscribe?token=v1.e30.sig',
    data,
  });
  const offer = { code: 'RW-7KQ2M-X9PDT', value: { kind: 'free_shipping' }, currency: 'VND', expiresAt: '2026-05-12T00:00:00.000Z' };

  it('gives the code alone, or beside the bonus', () => {
    const alone = renderEmail(birthday('en', { bonus: 0, offer }));
    expect(alone.text).toContain('And a gift to treat yourself: free shipping on your order with this code:');
    expect(alone.text).toContain('RW-7KQ2M-X9PDT');
    expect(alone.text).not.toContain('we added');
    const both = renderEmail(birthday('vi', { bonus: 100, offer }));
    expect(both.text).toContain('đã tặng bạn 100 điểm');
    expect(both.text).toContain('Và một món quà để bạn tự thưởng: miễn phí vận chuyển cho đơn hàng với mã dưới đây:');
  });

  it('refuses a birthday email that gives nothing', () => {
    expect(() => renderEmail(birthday('en', { bonus: 0 }))).toThrow(InvalidEmailContextError);
  });
});
