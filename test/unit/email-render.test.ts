import { describe, expect, it } from 'vitest';
import { resolveLocale } from '#shared/email/locales.ts';
import {
  EMAIL_TRIGGERS,
  type EmailContext,
  type EmailTrigger,
  escapeHtml,
  fillTemplate,
  InvalidEmailContextError,
  isMarketing,
  renderEmail,
  TemplateError,
} from '#shared/email/render.ts';
import { TEMPLATES } from '#shared/email/templates.generated.ts';
import { compileTemplates } from '../../scripts/compile-emails.ts';

const UNSUBSCRIBE = 'https://rapport.example/u/abc123?shop=s1&sig=xyz';
const FEEDBACK = 'https://rapport.example/f/order-1001?token=t0k';
const LOYALTY = 'https://rapport.example/l/tra-moc?t=v1.eyJzIjoidHJhLW1vYyJ9.sig';
const SHOP_URL = 'https://tramoc.example.vn';
/** The emails about points, tier and rewards: their button opens the loyalty page, the shop is a link under it. */
const LOYALTY_FIRST = new Set<EmailTrigger>([
  'tier_up',
  'tier_down_warning',
  'tier_down',
  'points_expiring',
  'points_milestone',
  'reward_issued',
  'reward_failed',
]);
/** The href of the email's button (mj-button's anchor). */
const buttonHref = (html: string) => /<a\s+href="([^"]*)"\s+style="display:inline-block;background/.exec(html)?.[1];

/** What each trigger carries in `data`, as the loyalty stages write it. */
const DATA: Record<EmailTrigger, Record<string, unknown>> = {
  welcome: { bonus: 100 },
  tier_up: { from: 'silver', to: 'gold', metric: 12 },
  tier_down_warning: { shortfall: 150_000, shortfallMetric: 'spend', downgradeOn: '2026-03-14T20:00:00.000Z' },
  tier_down: { from: 'gold', to: 'silver' },
  birthday: { bonus: 500 },
  win_back: { coupon: { code: 'WELCOME-BACK-10', expiresOn: '2026-04-30' } },
  points_expiring: { points: 320, expiresOn: '2026-03-14T20:00:00.000Z' },
  feedback_request: { feedbackUrl: FEEDBACK, orderNumber: '#1001' },
  redemption_receipt: { pointsSpent: 500, balance: 1250, redeemedAt: '2026-02-01T03:00:00.000Z' },
  points_milestone: { milestone: 5000 },
  reward_issued: {
    code: 'RW-ABCDE-FGHJK',
    rewardId: 'amount-off',
    name: { en: 'Money off your order', vi: 'Giảm giá đơn hàng' },
    value: { kind: 'amount_off', amount: 50_000 },
    currency: 'VND',
    minOrder: 200_000,
    points: 500,
    expiresAt: '2026-03-14T20:00:00.000Z',
  },
  reward_failed: { code: 'RW-ABCDE-FGHJK', name: { en: 'Money off your order', vi: 'Giảm giá đơn hàng' }, points: 500 },
  flow: {
    flowId: 'vip-welcome',
    offer: { code: 'RW-VIPWE-LCOME', value: { kind: 'percent_off', percent: 15 }, currency: 'VND', expiresAt: '2026-03-14T20:00:00.000Z' },
  },
};

/** A Vietnamese shop (VND, no decimals) and a Gold customer close to Platinum; overrides win. */
function contextFor(trigger: EmailTrigger, locale: string | undefined, overrides: Partial<EmailContext> = {}): EmailContext {
  return {
    trigger,
    locale,
    shop: { name: 'Tra Moc', currency: 'VND', locale: 'vi-VN', timezone: 'Asia/Ho_Chi_Minh', url: SHOP_URL },
    customer: {
      firstName: 'Linh',
      tier: { id: 'gold', name: { en: 'Gold', vi: 'Vàng' } },
      points: { balance: 1250, lifetime: 5200 },
      progress: { nextTier: { name: { en: 'Platinum', vi: 'Bạch Kim' } }, metric: 'orders', remaining: 2 },
    },
    data: DATA[trigger],
    recommendations: [
      { productId: 'p1', title: 'Green tea 100 g', url: 'https://tramoc.example.vn/p/1', price: 320_000 },
      { productId: 'p2', title: 'Tea pot', price: 450_000 },
    ],
    unsubscribeUrl: UNSUBSCRIBE,
    loyaltyUrl: LOYALTY,
    ...overrides,
  };
}

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

/** Markup with comments (Outlook's conditional ones included) and style sheets taken out. */
const markupOf = (html: string) => html.replace(/<!--[\s\S]*?-->/g, '').replace(/<style\b[^>]*>[\s\S]*?<\/style>/g, '<style></style>');

/** Problems with the document's structure: unbalanced tags, stray angle brackets in text. */
function structureProblems(html: string): string[] {
  const problems: string[] = [];
  if (!/^<!doctype html>/i.test(html)) problems.push('no doctype');
  const markup = markupOf(html).replace(/^<!doctype html>/i, '');
  const open: string[] = [];
  const TAG = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']+))?)*)\s*(\/?)>/g;
  let at = 0;
  for (const match of markup.matchAll(TAG)) {
    const between = markup.slice(at, match.index);
    if (/[<>]/.test(between)) problems.push(`stray angle bracket in "${between.trim().slice(0, 60)}"`);
    at = match.index + match[0].length;
    const [, closing, rawName = '', , selfClosing] = match;
    const name = rawName.toLowerCase();
    if (VOID.has(name) || selfClosing) continue;
    if (!closing) open.push(name);
    else if (open.at(-1) === name) open.pop();
    else problems.push(`</${name}> closes <${open.at(-1) ?? 'nothing'}>`);
  }
  if (/[<>]/.test(markup.slice(at))) problems.push('stray angle bracket at the end');
  if (open.length > 0) problems.push(`never closed: ${open.join(', ')}`);
  return problems;
}

/** The opening tags of elements with nothing but white space inside. */
function emptyElements(html: string): string[] {
  return [...markupOf(html).matchAll(/(<([a-zA-Z][\w:-]*)\b[^>]*>)\s*<\/\2>/g)].map((m) => (m[1] ?? '').replace(/\s+/g, ' '));
}

/** The text a reader sees, entities decoded enough for the checks below. */
const visibleText = (html: string) =>
  markupOf(html)
    .replace(/<title>[\s\S]*?<\/title>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;|&rarr;/g, ' ')
    .replace(/\s+/g, ' ');

const VIETNAMESE = /[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]/i;
const ENGLISH_WORDS = /\b(the|your|you|points?|tier|and|with|thank)\b/i;

describe('the compiled templates', () => {
  it('are what the .mjml sources compile to now (run npm run build:emails after editing a template)', async () => {
    expect(TEMPLATES).toEqual(await compileTemplates());
  }, 60_000);

  it('exist for exactly the email triggers', () => {
    expect(Object.keys(TEMPLATES).sort()).toEqual([...EMAIL_TRIGGERS].sort());
  });
});

describe.each(EMAIL_TRIGGERS.flatMap((trigger) => (['en', 'vi'] as const).map((language) => ({ trigger, language }))))(
  '$trigger in $language',
  ({ trigger, language }) => {
    const ctx = contextFor(trigger, language === 'vi' ? 'vi-VN' : 'en-US');
    const email = renderEmail(ctx);

    it('is in the language asked for', () => {
      expect(email.locale).toBe(language);
      expect(email.html).toMatch(new RegExp(`<html lang="${language}"`));
    });

    it('leaves no placeholder unreplaced', () => {
      for (const part of [email.subject, email.html, email.text]) expect(part).not.toMatch(/\{\{|\}\}/);
    });

    it('is a well-formed document', () => {
      expect(structureProblems(email.html)).toEqual([]);
    });

    it('creates no empty element: every empty one is the layout’s own (a divider)', () => {
      const layoutEmpties = new Set(emptyElements(TEMPLATES[trigger]));
      expect(emptyElements(email.html).filter((tag) => !layoutEmpties.has(tag))).toEqual([]);
    });

    it('has a plain-text part with the name, tier and points', () => {
      expect(email.text.trim().length).toBeGreaterThan(100);
      expect(email.text).toContain('Linh');
      expect(email.text).toContain(language === 'vi' ? 'Vàng' : 'Gold');
      expect(email.text).toContain(language === 'vi' ? '1.250 điểm' : '1,250 points');
      expect(email.html).toContain(language === 'vi' ? '1.250 điểm' : '1,250 points');
    });

    it(isMarketing(trigger) ? 'links to the unsubscribe page' : 'has no unsubscribe link (transactional)', () => {
      const inHtml = email.html.includes(`href="${escapeHtml(UNSUBSCRIBE)}"`);
      expect(inHtml).toBe(isMarketing(trigger));
      expect(email.text.includes(UNSUBSCRIBE)).toBe(isMarketing(trigger));
    });

    it('links to the customer’s loyalty page in the footer', () => {
      const label = language === 'vi' ? 'Điểm và ưu đãi của bạn' : 'Your points and rewards';
      const footer = email.html.slice(email.html.lastIndexOf(escapeHtml(label)) - 300);
      expect(footer).toContain(`href="${escapeHtml(LOYALTY)}"`);
      expect(email.text.slice(email.text.lastIndexOf('\n--\n'))).toContain(`${label}: ${LOYALTY}`);
    });

    if (LOYALTY_FIRST.has(trigger)) {
      it('opens the loyalty page from its button, with the shop as a link under it', () => {
        expect(buttonHref(email.html)).toBe(escapeHtml(LOYALTY));
        expect(email.html).toContain(`href="${SHOP_URL}"`);
        const links = email.text.split('\n').filter((line) => line.endsWith(LOYALTY) || line.endsWith(SHOP_URL));
        expect(links[0]).toMatch(new RegExp(`: ${LOYALTY.replace(/[.?]/g, '\\$&')}$`));
        expect(links[1]).toMatch(/: https:\/\/tramoc\.example\.vn$/);
      });
    } else {
      it('keeps its button where it was (the shop, or the feedback page)', () => {
        expect(buttonHref(email.html)).toBe(escapeHtml(trigger === 'feedback_request' ? FEEDBACK : SHOP_URL));
      });
    }

    it('shows VND without decimals', () => {
      // Intl puts a no-break space between a Vietnamese amount and its symbol.
      const vnd = language === 'vi' ? /\d[\d.]*\u00a0₫/g : /₫\d[\d,]*/g;
      const amounts = email.text.match(vnd) ?? [];
      expect(amounts).toContain(language === 'vi' ? '320.000\u00a0₫' : '₫320,000');
      expect(email.text).not.toMatch(/₫\s?\d+(?:[.,]\d{3})*[.,]\d{2}\b|\d[.,]\d{2}\s₫/);
    });

    it('recommends the products given, with the progress to the next tier', () => {
      expect(email.text).toContain('Green tea 100 g');
      expect(email.html).toContain('href="https://tramoc.example.vn/p/1"');
      expect(email.text).toContain(language === 'vi' ? 'đặt thêm 2 đơn hàng nữa để lên hạng Bạch Kim' : '2 more orders to reach Platinum');
    });

    if (language === 'vi') {
      it('is written in Vietnamese, subject and body', () => {
        const body = visibleText(email.html).replace(/Green tea 100 g|Tea pot|Tra Moc|WELCOME-BACK-10/g, '');
        for (const part of [email.subject, body, email.text.replace(/Green tea 100 g|Tea pot|Tra Moc/g, '')]) {
          expect(part).toMatch(VIETNAMESE);
          expect(part).not.toMatch(ENGLISH_WORDS);
        }
      });
    } else {
      it('is written in English', () => {
        expect(email.text).not.toMatch(/\b(bạn|điểm|hạng)\b/);
      });
    }
  },
);

describe('renderEmail', () => {
  const hostile = '<script>alert("x")</script> & Co\'s';

  it('escapes every value it puts into HTML', () => {
    const email = renderEmail(
      contextFor('win_back', 'en', {
        shop: { name: hostile, currency: 'USD' },
        customer: { firstName: hostile, points: { balance: 10, lifetime: 10 } },
        data: { coupon: { code: '"><img src=x onerror=alert(1)>' } },
        recommendations: [{ productId: 'p', title: hostile, url: 'https://a.example/p?x=1&y="2"' }],
      }),
    );
    expect(email.html).not.toMatch(/<script|<img/i);
    expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co&#39;s');
    expect(email.html).toContain('href="https://a.example/p?x=1&amp;y=&quot;2&quot;"');
    expect(structureProblems(email.html)).toEqual([]);
    // The plain-text part is not HTML: it keeps the name as written.
    expect(email.text).toContain(`Hi ${hostile},`);
  });

  it('refuses URLs that are not http(s), so no href can run script', () => {
    const ctx = contextFor('feedback_request', 'en', { data: { feedbackUrl: 'javascript:alert(1)' } });
    expect(() => renderEmail(ctx)).toThrow(InvalidEmailContextError);
    expect(() => renderEmail(contextFor('welcome', 'en', { unsubscribeUrl: 'data:text/html,x' }))).toThrow(InvalidEmailContextError);
  });

  it('sends the button to the shop when there is no loyalty link, and refuses one that is not http(s)', () => {
    const { loyaltyUrl: _, ...withoutLink } = contextFor('tier_up', 'en');
    const email = renderEmail(withoutLink);
    expect(buttonHref(email.html)).toBe(SHOP_URL);
    expect(email.text).toContain(`See what is new: ${SHOP_URL}`);
    expect(email.text).not.toMatch(/Your points and rewards|See my tier/);
    expect(() => renderEmail(contextFor('tier_up', 'en', { loyaltyUrl: 'javascript:alert(1)' }))).toThrow(InvalidEmailContextError);
  });

  it("carries the shop's postal address and footer note in the built-in copy's footer, escaped, in the email's language", () => {
    const brand = { address: '12 Hàng Bạc, Hà Nội <b>', footer: { vi: 'Cảm ơn bạn & gia đình', en: 'Thank you' } };
    for (const trigger of ['win_back', 'redemption_receipt'] as const) {
      const shop = { ...contextFor(trigger, 'vi').shop, brand };
      const vi = renderEmail(contextFor(trigger, 'vi', { shop }));
      const footer = vi.html.slice(vi.html.lastIndexOf('Cảm ơn bạn &amp; gia đình'));
      expect(footer).toContain('12 Hàng Bạc, Hà Nội &lt;b&gt;');
      expect(structureProblems(vi.html)).toEqual([]);
      const text = vi.text.slice(vi.text.lastIndexOf('\n--\n'));
      expect(text).toContain('Cảm ơn bạn & gia đình');
      expect(text).toContain('12 Hàng Bạc, Hà Nội <b>');
      const en = renderEmail(contextFor(trigger, 'en', { shop }));
      expect(en.text.slice(en.text.lastIndexOf('\n--\n'))).toContain('Thank you');
      expect(en.text).not.toContain('Cảm ơn');
    }
    // No brand: the footer as before, nothing empty left behind.
    const plain = renderEmail(contextFor('win_back', 'vi'));
    expect(plain.text).not.toContain('Hàng Bạc');
    expect(emptyElements(plain.html).filter((tag) => !/^<(td|div|p|span)\b/.test(tag))).toEqual(
      emptyElements(renderEmail(contextFor('win_back', 'vi', { shop: { ...contextFor('win_back', 'vi').shop, brand } })).html).filter(
        (tag) => !/^<(td|div|p|span)\b/.test(tag),
      ),
    );
  });

  it('greets warmly when the name is unknown', () => {
    const customer = { points: { balance: 0, lifetime: 0 } };
    expect(renderEmail(contextFor('welcome', 'en', { customer })).text).toContain('Hi there,');
    expect(renderEmail(contextFor('welcome', 'vi', { customer })).text).toContain('Chào bạn,');
    expect(renderEmail(contextFor('welcome', 'en', { customer: { ...customer, name: '  ' } })).text).toContain('Hi there,');
    expect(renderEmail(contextFor('welcome', 'vi', { customer: { ...customer, name: 'Nguyễn Thu Hà' } })).text).toContain(
      'Chào Nguyễn Thu Hà,',
    );
  });

  it('removes the parts it has nothing for, cleanly', () => {
    const email = renderEmail(
      contextFor('win_back', 'en', {
        shop: { name: 'Tra Moc', currency: 'VND' },
        customer: { points: { balance: 0, lifetime: 40 } },
        data: {},
        recommendations: [],
      }),
    );
    expect(email.html).not.toMatch(/Picked for you|Your code|to reach|Your tier|Come back and shop/);
    expect(email.text).not.toMatch(/Picked for you|Your code|to reach|Your tier|Come back and shop/);
    expect(email.text).not.toMatch(/\n{3,}/);
    expect(structureProblems(email.html)).toEqual([]);
    const layoutEmpties = new Set(emptyElements(TEMPLATES.win_back));
    expect(emptyElements(email.html).filter((tag) => !layoutEmpties.has(tag))).toEqual([]);
  });

  it('states the exact shortfall in the metric of the tier, with the date in the shop’s time zone', () => {
    const orders = contextFor('tier_down_warning', 'en', {
      data: { shortfall: 2, shortfallMetric: 'orders', downgradeOn: '2026-03-14T20:00:00.000Z' },
    });
    expect(renderEmail(orders).subject).toBe('Keep your Gold tier: 2 more orders by March 15, 2026');
    expect(renderEmail({ ...orders, data: { ...orders.data, shortfall: 1 } }).text).toContain('1 more order before then');
    const spend = renderEmail(contextFor('tier_down_warning', 'vi-VN'));
    expect(spend.subject).toBe('Giữ hạng Vàng: bạn cần mua sắm thêm 150.000\u00a0₫ trước ngày 15 tháng 3, 2026');
    const usd = renderEmail(
      contextFor('tier_down_warning', 'en-US', {
        shop: { name: 'Shop', currency: 'USD', timezone: 'America/New_York' },
        data: { shortfall: 4_995, shortfallMetric: 'spend', downgradeOn: '2026-03-15T02:00:00.000Z' },
      }),
    );
    expect(usd.subject).toBe('Keep your Gold tier: $49.95 more spend by March 14, 2026');
  });

  it('warns with the review date alone when no amount of the metric keeps the tier (a rule that needs a prediction)', () => {
    const en = renderEmail(contextFor('tier_down_warning', 'en', { data: { downgradeOn: '2026-03-14T20:00:00.000Z' } }));
    expect(en.subject).toBe('Keep your Gold tier: review on March 15, 2026');
    expect(en.text).toContain('Your Gold tier is up for review on March 15, 2026. Shop with us before then to keep it.');
    expect(en.text).not.toMatch(/you need|needed by|undefined/);
    const vi = renderEmail(contextFor('tier_down_warning', 'vi-VN', { data: { downgradeOn: '2026-03-14T20:00:00.000Z' } }));
    expect(vi.subject).toBe('Giữ hạng Vàng: xét lại vào ngày 15 tháng 3, 2026');
    expect(vi.text).not.toContain('undefined');
  });

  it('takes the shortfall metric from the progress when the data does not say', () => {
    const email = renderEmail(contextFor('tier_down_warning', 'en', { data: { shortfall: 3, downgradeOn: '2026-03-15' } }));
    expect(email.subject).toBe('Keep your Gold tier: 3 more orders by March 15, 2026');
  });

  it('tells the birthday bonus, the expiring points and the receipt figures', () => {
    expect(renderEmail(contextFor('birthday', 'vi')).text).toContain('+500 điểm');
    const expiring = renderEmail(contextFor('points_expiring', 'en'));
    expect(expiring.subject).toBe('320 points expire on March 15, 2026');
    expect(renderEmail(contextFor('points_expiring', 'en', { data: { points: 1, expiresOn: '2026-03-15' } })).subject).toBe(
      '1 point expires on March 15, 2026',
    );
    const receipt = renderEmail(contextFor('redemption_receipt', 'en'));
    expect(receipt.text).toContain('Points redeemed: 500 points');
    expect(receipt.text).toContain('New balance: 1,250 points');
    const later = renderEmail(contextFor('redemption_receipt', 'en', { data: { pointsSpent: 500, balance: 750 } }));
    expect(later.text).toContain('New balance: 750 points');
    expect(later.text).toContain('Points balance: 750 points');
    const coupon = renderEmail(contextFor('win_back', 'vi'));
    expect(coupon.text).toContain('Mã ưu đãi của bạn: WELCOME-BACK-10');
    expect(coupon.text).toContain('Có hiệu lực đến hết ngày 30 tháng 4, 2026');
  });

  it('sends the feedback request to the feedback URL it is given', () => {
    const email = renderEmail(contextFor('feedback_request', 'vi'));
    expect(email.html).toContain(`href="${escapeHtml(FEEDBACK)}"`);
    expect(email.text).toContain(`Gửi đánh giá: ${FEEDBACK}`);
    expect(email.text).toContain('đơn hàng #1001');
  });

  it('needs what the trigger is about', () => {
    const noTier = { points: { balance: 1, lifetime: 1 } };
    expect(() => renderEmail(contextFor('tier_up', 'en', { customer: noTier }))).toThrow(InvalidEmailContextError);
    expect(() => renderEmail(contextFor('points_expiring', 'en', { data: { points: 10 } }))).toThrow(InvalidEmailContextError);
    expect(() => renderEmail(contextFor('birthday', 'en', { data: { bonus: 0 } }))).toThrow(InvalidEmailContextError);
    const { unsubscribeUrl: _, ...withoutUnsubscribe } = contextFor('welcome', 'en');
    expect(() => renderEmail(withoutUnsubscribe)).toThrow(/unsubscribeUrl/);
    const receipt = contextFor('redemption_receipt', 'en');
    delete receipt.unsubscribeUrl;
    expect(renderEmail(receipt).text).not.toMatch(/unsubscribe/i);
  });

  it('formats other currencies by their ISO 4217 exponent', () => {
    const price = (currency: string, amount: number) =>
      renderEmail(
        contextFor('tier_up', 'en', { shop: { name: 'S', currency }, recommendations: [{ productId: 'p', title: 'P', price: amount }] }),
      ).text;
    expect(price('USD', 150_000)).toContain('$1,500.00');
    expect(price('JPY', 1500)).toContain('¥1,500');
    expect(price('KWD', 1005)).toMatch(/KWD\s1\.005/);
  });
});

describe('the language of an email', () => {
  it('follows the customer, then the shop, then English', () => {
    expect(resolveLocale('vi-VN', 'en-US')).toEqual({ language: 'vi', locale: 'vi-VN' });
    expect(resolveLocale('vi_VN', undefined).language).toBe('vi');
    expect(resolveLocale('VI', undefined)).toEqual({ language: 'vi', locale: 'vi-VN' });
    expect(resolveLocale(undefined, 'vi-VN').language).toBe('vi');
    expect(resolveLocale('fr-FR', 'vi-VN').language).toBe('vi');
    expect(resolveLocale('not a locale!', 'de-DE')).toEqual({ language: 'en', locale: 'en-US' });
    expect(resolveLocale('en-GB', 'vi-VN')).toEqual({ language: 'en', locale: 'en-GB' });
  });

  it('keeps the region of the customer’s locale for dates', () => {
    const email = renderEmail(contextFor('points_expiring', 'en-GB'));
    expect(email.subject).toBe('320 points expire on 15 March 2026');
  });

  it('uses the shop’s locale when the customer has none', () => {
    expect(renderEmail(contextFor('welcome', undefined)).locale).toBe('vi');
    expect(renderEmail(contextFor('welcome', undefined, { shop: { name: 'S', currency: 'USD' } })).locale).toBe('en');
  });
});

describe('fillTemplate', () => {
  it('fills values, sections, lists and inverted sections', () => {
    const template =
      '{{title}}:{{#items}} [{{name}}{{#tag}} ({{tag}}){{/tag}}]{{/items}}{{^items}} none{{/items}}{{#box}} {{box.label}}{{/box}}';
    expect(
      fillTemplate(template, {
        title: 'A&B',
        items: [
          { name: 'x', tag: 'new' },
          { name: 'y', tag: null },
        ],
        box: null,
      }),
    ).toBe('A&amp;B: [x (new)] [y]');
    expect(fillTemplate(template, { title: 'T', items: [], box: { label: '<b>' } })).toBe('T: none &lt;b&gt;');
  });

  it('refuses a missing or empty value rather than leave an empty element', () => {
    expect(() => fillTemplate('<p>{{name}}</p>', { name: '' })).toThrow(TemplateError);
    expect(() => fillTemplate('<p>{{name}}</p>', { name: null })).toThrow(TemplateError);
    expect(() => fillTemplate('<p>{{name}}</p>', {})).toThrow(/not in the view/);
    expect(() => fillTemplate('<p>{{name}}</p>', { name: { a: 1 } })).toThrow(TemplateError);
  });

  it('refuses unbalanced or malformed tags', () => {
    expect(() => fillTemplate('{{#a}}x', { a: true })).toThrow(/never closed/);
    expect(() => fillTemplate('{{#a}}x{{/b}}', { a: true })).toThrow(/closes a/);
    expect(() => fillTemplate('{{ name ', { name: 'x' })).toThrow(/malformed/);
    expect(() => fillTemplate('{{{name}}}', { name: 'x' })).toThrow(/unescaped output/);
  });
});
