import { describe, expect, it } from 'vitest';
import { messageValuesOf } from '#shared/email/message-values.ts';
import { EMAIL_TRIGGERS, type EmailContext, type EmailTrigger, InvalidEmailContextError, isMarketing } from '#shared/email/render.ts';
import { htmlProblems, htmlToText } from '#shared/email/safe-html.ts';
import {
  type Brand,
  brandProblems,
  CAMPAIGN_VARIABLES,
  type MessageValues,
  renderShopMessage,
  type ShopMessageInput,
  ShopMessageNotSendableError,
  ShopMessageSchema,
  triggerVariables,
  validateShopMessage,
} from '#shared/email/shop-template.ts';
import { renderTriggerEmail } from '#shared/email/trigger-email.ts';

const message = (input: ShopMessageInput) => ShopMessageSchema.parse(input);
const problemsOf = (input: ShopMessageInput, variables = triggerVariables('win_back')) => validateShopMessage(message(input), variables);
const vi = (body: string, subject = 'Chào {{ customer.first_name }}') => ({ subject: { vi: subject }, body: { vi: body } });

const BRAND: Brand = { address: '12 Hàng Bạc, Hoàn Kiếm, Hà Nội', primaryColor: '#aa3300', logoUrl: 'https://tramoc.example.vn/logo.png' };
const VALUES: MessageValues = {
  customer: { first_name: 'Lan', points: '1.250', tier: 'Vàng' },
  shop: { name: 'Trà Mộc', url: 'https://tramoc.example.vn' },
  links: {
    loyalty_page: 'https://rapport.example/l/tra-moc?t=abc',
    shop: 'https://tramoc.example.vn',
    unsubscribe: 'https://rapport.example/unsubscribe?token=tok',
  },
  reward: { code: 'RW-ABCD-EFGH', value: 'giảm 10%', expires_on: '15 tháng 3, 2026', name: 'Giảm 10%' },
};

describe('ShopMessageSchema', () => {
  it('takes one language or both, and needs a subject with every body', () => {
    expect(ShopMessageSchema.safeParse(vi('<p>x</p>')).success).toBe(true);
    expect(ShopMessageSchema.parse(vi('<p>x</p>')).format).toBe('liquid');
    expect(ShopMessageSchema.safeParse({ subject: {}, body: {} }).success).toBe(false);
    const noSubject = ShopMessageSchema.safeParse({ subject: { en: 'Hi' }, body: { en: 'x', vi: 'y' } });
    expect(noSubject.error?.issues[0]?.path).toEqual(['subject', 'vi']);
  });

  it('refuses MJML, other languages and oversized parts', () => {
    expect(ShopMessageSchema.safeParse({ format: 'mjml', ...vi('x') }).error?.issues[0]?.path).toEqual(['format']);
    expect(ShopMessageSchema.safeParse({ subject: { fr: 'Salut' }, body: { fr: 'x' } }).success).toBe(false);
    expect(ShopMessageSchema.safeParse(vi('x', 's'.repeat(201))).error?.issues[0]?.path).toEqual(['subject', 'vi']);
    expect(ShopMessageSchema.safeParse(vi('b'.repeat(20_001))).error?.issues[0]?.path).toEqual(['body', 'vi']);
  });
});

describe('validateShopMessage', () => {
  it('accepts the documented variables, filters and tags', () => {
    const body = [
      '<p>Chào {{ customer.first_name | default: "bạn" }},</p>',
      '{% if reward.code %}<p>Mã: <strong>{{ reward.code }}</strong> ({{ reward.value }}, đến {{ reward.expires_on }})</p>{% endif %}',
      '{% assign greeting = shop.name | upcase %}<p>{{ greeting }}</p>',
      '<p><a href="{{ links.loyalty_page }}">Xem điểm</a> · <a href="https://tramoc.example.vn/sale?x=1">Sale</a></p>',
      '<table width="100%"><tr><td style="color:#333;font-weight:600">{{ customer.points }}</td></tr></table>',
    ].join('\n');
    expect(problemsOf(vi(body))).toEqual([]);
  });

  it('names the field and the unknown variable', () => {
    expect(problemsOf(vi('<p>{{ customer.password }}</p>'))).toEqual([
      { field: 'body.vi', message: 'unknown variable {{ customer.password }}' },
    ]);
    expect(problemsOf({ subject: { en: 'Hi {{ customer.email }}' }, body: { en: '<p>x</p>' } })).toEqual([
      { field: 'subject.en', message: 'unknown variable {{ customer.email }}' },
    ]);
    // In a filter's argument and in a branch's condition too.
    expect(problemsOf(vi('{{ shop.name | append: customer.phone }}')).map((p) => p.message)).toEqual([
      'unknown variable {{ customer.phone }}',
    ]);
    expect(problemsOf(vi('{% if customer.address %}x{% endif %}')).map((p) => p.message)).toEqual([
      'unknown variable {{ customer.address }}',
    ]);
    expect(problemsOf(vi('{{ customer[shop.name] }}'))[0]?.message).toMatch(/cannot be computed/);
    // A trigger's facts belong to that trigger only: the welcome email has no reward code.
    expect(problemsOf(vi('{{ reward.code }}'), triggerVariables('welcome'))[0]?.message).toBe('unknown variable {{ reward.code }}');
    // A transactional email has no unsubscribe link to show.
    expect(problemsOf(vi('{{ links.unsubscribe }}'), triggerVariables('reward_issued'))[0]?.message).toBe(
      'unknown variable {{ links.unsubscribe }}',
    );
  });

  it('refuses tags and filters that read files or bypass escaping', () => {
    for (const source of ['{% include "secrets" %}', '{% render "x" %}', '{% layout "x" %}', '{% for x in y %}{% endfor %}']) {
      expect(problemsOf(vi(source))[0]?.message, source).toMatch(/^Liquid: tag ".*" not found/);
    }
    expect(problemsOf(vi('{{ shop.name | raw }}'))[0]?.message).toMatch(/^Liquid: undefined filter: raw/);
    expect(problemsOf(vi('{{ shop.name'))[0]?.message).toMatch(/^Liquid: output .* not closed/);
  });

  it('refuses unsafe HTML, naming the field', () => {
    const unsafe = [
      ['<script>alert(1)</script>', /<script> is not allowed/],
      ['<p onclick="x()">hi</p>', /event handler attribute onclick/],
      ['<img src="https://x.example/a.png" onerror="x()">', /onerror/],
      ['<a href="javascript:alert(1)">x</a>', /href="javascript:alert\(1\)" must be/],
      ['<a href=" JaVaScRiPt:alert(1)">x</a>', /must be/],
      ['<a href="{{ customer.first_name }}">x</a>', /must be/],
      ['<iframe src="https://x.example"></iframe>', /<iframe> is not allowed/],
      ['<object data="x"></object>', /<object>/],
      ['<form action="https://x.example"><input name="a"></form>', /<form>/],
      ['<svg><script>x</script></svg>', /<svg>/],
      ['<!--[if mso]><script>x</script><![endif]-->', /comments are not allowed/],
      ['<p style="background:url(https://x.example/t.gif)">x</p>', /style/],
      ['<p style="color:{{ customer.first_name }}">x</p>', /style attribute cannot hold Liquid/],
      ['<p title={{ customer.first_name }}>x</p>', /put its value in quotes/],
      ['<scr{% if shop.name %}ipt{% endif %}>x</script>', /not allowed/],
      ['<p {% if shop.name %}onclick="x()"{% endif %}>x</p>', /not allowed/],
      ['<style>p{}</style>', /<style>/],
      ['<meta http-equiv="refresh" content="0;url=https://x.example">', /<meta>/],
    ] as const;
    for (const [body, expected] of unsafe) {
      const problems = problemsOf(vi(body));
      expect(problems[0]?.field, body).toBe('body.vi');
      expect(problems[0]?.message, body).toMatch(expected);
    }
  });

  it('needs the postal address for marketing', () => {
    expect(brandProblems(undefined, triggerVariables('win_back'))).toEqual([{ field: 'brand.address', message: expect.any(String) }]);
    expect(brandProblems({}, CAMPAIGN_VARIABLES)).toHaveLength(1);
    expect(brandProblems(BRAND, CAMPAIGN_VARIABLES)).toEqual([]);
    expect(brandProblems(undefined, triggerVariables('reward_issued'))).toEqual([]);
  });
});

describe('renderShopMessage', () => {
  const winBack = message({
    subject: { vi: '{{ customer.first_name | default: "Bạn" }} ơi, {{ shop.name }} nhớ bạn', en: 'We miss you, {{ customer.first_name }}' },
    body: {
      vi: '<p>Chào {{ customer.first_name }}, mã của bạn: <strong>{{ reward.code }}</strong></p><p><a href="{{ links.loyalty_page }}">Điểm của bạn</a></p>',
      en: '<p>Hi {{ customer.first_name }}</p>',
    },
  });

  it('renders the language asked for inside the brand layout with the mandatory footer', () => {
    const out = renderShopMessage(winBack, 'vi', VALUES, BRAND, triggerVariables('win_back'));
    expect(out.language).toBe('vi');
    expect(out.subject).toBe('Lan ơi, Trà Mộc nhớ bạn');
    expect(out.html).toContain('<html lang="vi">');
    expect(out.html).toContain('mã của bạn: <strong>RW-ABCD-EFGH</strong>');
    expect(out.html).toContain('<img src="https://tramoc.example.vn/logo.png"');
    expect(out.html).toContain('12 Hàng Bạc, Hoàn Kiếm, Hà Nội');
    expect(out.html).toContain('href="https://rapport.example/unsubscribe?token=tok"');
    expect(out.html).toContain('#aa3300');
    expect(htmlProblems(out.html.slice(out.html.indexOf('<table')), { template: false }).map((p) => p.message)).toEqual([]);
    expect(out.text).toContain('Chào Lan, mã của bạn: RW-ABCD-EFGH');
    expect(out.text).toContain('Điểm của bạn (https://rapport.example/l/tra-moc?t=abc)');
    expect(out.text).toContain('12 Hàng Bạc, Hoàn Kiếm, Hà Nội');
    expect(out.text).toContain('https://rapport.example/unsubscribe?token=tok');
  });

  it('escapes every value, in the body, the title and the footer', () => {
    const values = { ...VALUES, customer: { first_name: '<img src=x onerror=alert(1)>' }, shop: { name: 'A & "B"' } };
    const out = renderShopMessage(winBack, 'vi', values, BRAND, triggerVariables('win_back'));
    expect(out.html).not.toContain('<img src=x');
    expect(out.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out.html).toContain('A &amp; &quot;B&quot;');
    // The subject is a header: text, unescaped (the title in the HTML is escaped).
    expect(out.subject).toBe('<img src=x onerror=alert(1)> ơi, A & "B" nhớ bạn');
    expect(out.html).toContain('<title>&lt;img src=x');
  });

  it('falls back to a language the message has, and renders a missing value empty', () => {
    const onlyEn = message({
      subject: { en: 'Hi {{ customer.first_name | default: "there" }}' },
      body: { en: '<p>{{ customer.tier }}</p>' },
    });
    const out = renderShopMessage(onlyEn, 'vi', { shop: { name: 'S' }, links: VALUES.links }, BRAND, CAMPAIGN_VARIABLES);
    expect(out.language).toBe('en');
    expect(out.subject).toBe('Hi there');
    expect(out.html).toContain('<p></p>');
  });

  it('passes only the variables of the set to the template', () => {
    const sneaky = message(vi('<p>[{{ customer.first_name }}]</p>'));
    // Validation stops {{ customer.email }}; even a message that skipped it sees nothing outside the set.
    const bypass = { ...sneaky, body: { vi: '<p>[{{ customer.email }}]</p>' } };
    const out = renderShopMessage(bypass, 'vi', { ...VALUES, customer: { email: 'lan@example.com' } }, BRAND, CAMPAIGN_VARIABLES);
    expect(out.html).toContain('<p>[]</p>');
    expect(out.html).not.toContain('lan@example.com');
  });

  it('never sends marketing without the postal address or the unsubscribe link', () => {
    const attempt = (brand: Brand | undefined, values: MessageValues) => () =>
      renderShopMessage(winBack, 'vi', values, brand, triggerVariables('win_back'));
    expect(attempt(undefined, VALUES)).toThrowError(ShopMessageNotSendableError);
    expect(attempt({ primaryColor: '#000000' }, VALUES)).toThrow(/postal address/);
    expect(attempt(BRAND, { ...VALUES, links: { loyalty_page: 'https://x.example' } })).toThrow(/unsubscribe/);
    // A receipt is transactional: no address needed, and no unsubscribe link in its footer.
    const receipt = message({ subject: { en: 'Your code' }, body: { en: '<p>{{ reward.code }}</p>' } });
    const out = renderShopMessage(receipt, 'en', VALUES, undefined, triggerVariables('reward_issued'));
    expect(out.html).not.toContain('unsubscribe?token');
    expect(out.html).toContain('<p>RW-ABCD-EFGH</p>');
  });
});

describe('htmlToText', () => {
  it('keeps the words in reading order with blocks, list items and links', () => {
    expect(
      htmlToText('<h1>Hello</h1><p>One <b>two</b><br>three</p><ul><li>a</li><li>b</li></ul><p><a href="https://x.example">Go</a></p>'),
    ).toBe('Hello\n\nOne two\nthree\n\n- a\n- b\n\nGo (https://x.example)');
  });
});

describe('messageValuesOf', () => {
  const LOYALTY = 'https://rapport.example/l/tra-moc?t=abc';
  const UNSUBSCRIBE = 'https://rapport.example/unsubscribe?token=tok';
  const DATA: Record<EmailTrigger, Record<string, unknown>> = {
    welcome: { bonus: 100 },
    tier_up: {},
    tier_down_warning: { shortfall: 150_000, shortfallMetric: 'spend', downgradeOn: '2026-03-14T20:00:00.000Z' },
    tier_down: {},
    birthday: {
      bonus: 500,
      offer: { code: 'RW-BDAY-CODE', value: { kind: 'percent_off', percent: 10 }, currency: 'VND', expiresAt: '2026-03-14T20:00:00.000Z' },
    },
    win_back: { offer: { code: 'RW-BACK-CODE', value: { kind: 'amount_off', amount: 50_000 }, expiresAt: '2026-04-30' } },
    points_expiring: { points: 320, expiresOn: '2026-03-14T20:00:00.000Z' },
    feedback_request: { feedbackUrl: 'https://rapport.example/f/1', orderNumber: '#1001' },
    redemption_receipt: { pointsSpent: 500, coupon: { code: 'RW-REDEEMED' } },
    points_milestone: { milestone: 5000 },
    reward_issued: {
      code: 'RW-ABCDE-FGHJK',
      name: { en: 'Money off', vi: 'Giảm giá' },
      value: { kind: 'amount_off', amount: 50_000 },
      currency: 'VND',
      minOrder: 200_000,
      points: 500,
      expiresAt: '2026-03-14T20:00:00.000Z',
    },
    reward_failed: { code: 'RW-ABCDE-FGHJK', name: { en: 'Money off', vi: 'Giảm giá' }, points: 500 },
    flow: {
      flowId: 'vip-welcome',
      offer: { code: 'RW-FLOW-CODE', value: { kind: 'free_shipping' }, currency: 'VND', expiresAt: '2026-04-30' },
    },
  };
  const contextFor = (trigger: EmailTrigger, locale = 'vi-VN'): EmailContext => ({
    trigger,
    locale,
    shop: { name: 'Trà Mộc', currency: 'VND', locale: 'vi-VN', timezone: 'Asia/Ho_Chi_Minh', url: 'https://tramoc.example.vn' },
    customer: { firstName: 'Lan', tier: { id: 'gold', name: { en: 'Gold', vi: 'Vàng' } }, points: { balance: 1250, lifetime: 5200 } },
    data: DATA[trigger],
    recommendations: [],
    ...(isMarketing(trigger) ? { unsubscribeUrl: UNSUBSCRIBE } : {}),
    loyaltyUrl: LOYALTY,
  });
  const flat = (values: MessageValues) =>
    Object.entries(values).flatMap(([group, entries]) =>
      Object.entries(entries ?? {}).flatMap(([key, value]) => (value === undefined ? [] : [`${group}.${key}`])),
    );

  it('gives every variable of each trigger a value, and none outside its set', () => {
    /** Facts these contexts do not carry: no full name; an offer's code has no catalog name in the email's data. */
    const absent = new Set(['customer.name', 'birthday:reward.name', 'win_back:reward.name', 'flow:reward.name']);
    for (const trigger of EMAIL_TRIGGERS) {
      const names = flat(messageValuesOf(contextFor(trigger)).values).sort();
      const expected = triggerVariables(trigger).names.filter((name) => !absent.has(name) && !absent.has(`${trigger}:${name}`));
      expect(names, trigger).toEqual([...expected].sort());
    }
  });

  it('formats as the built-in copy does, in the customer language', () => {
    const vi = messageValuesOf(contextFor('win_back')).values;
    expect(vi.customer).toMatchObject({ first_name: 'Lan', points: '1.250', tier: 'Vàng' });
    expect(vi.reward?.code).toBe('RW-BACK-CODE');
    expect(vi.reward?.value).toMatch(/50\.000/);
    expect(vi.reward?.expires_on).toBe('30 tháng 4, 2026');
    const en = messageValuesOf(contextFor('points_expiring', 'en-US'));
    expect(en.language).toBe('en');
    expect(en.values.points).toEqual({ expiring: '320 points', expires_on: 'March 15, 2026' });
  });

  it('writes the values in the language the message is shown in when it lacks the customer one', () => {
    const onlyEnglish = messageValuesOf(contextFor('win_back'), ['en']);
    expect(onlyEnglish.language).toBe('en');
    expect(onlyEnglish.values.customer).toMatchObject({ points: '1,250', tier: 'Gold' });
    expect(onlyEnglish.values.reward?.expires_on).toBe('April 30, 2026');
    expect(messageValuesOf(contextFor('win_back'), ['en', 'vi']).values.customer?.tier).toBe('Vàng');
  });
});

describe('renderTriggerEmail', () => {
  const ctx = (locale: string, data: Record<string, unknown> = { coupon: { code: 'RP-ABCD' } }): EmailContext => ({
    trigger: 'win_back',
    locale,
    shop: { name: 'Trà Mộc', currency: 'VND', locale: 'vi-VN', timezone: 'Asia/Ho_Chi_Minh' },
    customer: { firstName: 'Lan', points: { balance: 10, lifetime: 10 } },
    data,
    recommendations: [],
    unsubscribeUrl: 'https://rapport.example/unsubscribe?token=tok',
    loyaltyUrl: 'https://rapport.example/l/x',
  });
  const copy = message(vi('<p>Mã {{ reward.code }}</p>', 'Quà cho {{ customer.first_name }}'));

  it("uses the shop's copy in the customer's language, the built-in copy in any other", () => {
    expect(renderTriggerEmail(ctx('vi-VN'), copy, BRAND)).toMatchObject({ copy: 'shop', subject: 'Quà cho Lan', locale: 'vi' });
    expect(renderTriggerEmail(ctx('vi-VN'), copy, BRAND).html).toContain('<p>Mã RP-ABCD</p>');
    expect(renderTriggerEmail(ctx('en-US'), copy, BRAND)).toMatchObject({ copy: 'builtin', locale: 'en' });
    expect(renderTriggerEmail(ctx('vi-VN'), undefined, BRAND)).toMatchObject({ copy: 'builtin', locale: 'vi' });
  });

  it('falls back to the built-in copy when the brand lost the postal address, and says why', () => {
    const out = renderTriggerEmail(ctx('vi-VN'), copy, { primaryColor: '#000000' });
    expect(out).toMatchObject({ copy: 'builtin', fallback: 'no_postal_address' });
    expect(out.subject).toBe('Trà Mộc rất nhớ bạn');
  });

  it('sends nothing in the shop words that the built-in copy could not make either', () => {
    const noUnsubscribe = { ...ctx('vi-VN') };
    delete noUnsubscribe.unsubscribeUrl;
    expect(() => renderTriggerEmail(noUnsubscribe, copy, BRAND)).toThrowError(InvalidEmailContextError);
  });
});
