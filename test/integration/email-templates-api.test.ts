import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsClientFor } from '#infra/local/emulators.ts';
import type { Runtime } from '#infra/local/runtime.ts';
import { SEND_ID_HEADER } from '#shared/email/mime.ts';
import { sendId } from '#shared/email/rules.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import { aCustomer, orderEvent } from '#test/support/factories.ts';
import { apiGet, createShopOverHttp, lookup, postGeneric, startTestRuntime } from '#test/support/local-api.ts';
import { type RawResponse, send } from '#test/support/senders.ts';
import { type CapturedMail, decodeWords, mimeHeader, mimePart, startSesCapture } from '#test/support/ses-capture.ts';

/**
 * Emails the shop writes, over HTTP and through the real email stage: its brand (PATCH /v1/shop),
 * its own copy of a trigger's email (PUT /v1/emails/templates/{trigger}) refused with the field
 * named for an unknown variable or unsafe HTML, the copy in the MIME actually sent (SES emulator
 * behind the capture proxy, which keeps the raw message), in Vietnamese and English, the built-in
 * copy where the shop wrote none (or not in the customer's language), and the preview.
 */

const SHOP = 'shop-templates';
const SECRET = 'shop-templates-generic-secret-01';
const ADDRESS = '12 Hàng Bạc, Hoàn Kiếm, Hà Nội';

let runtime: Runtime;
let stop: () => Promise<void>;
let ses: Awaited<ReturnType<typeof startSesCapture>>;
let apiKey: string;
const ids = { lan: '', hoa: '' };
const BRAND = { logoUrl: 'https://shop.example.vn/logo.png', primaryColor: '#b91c1c', address: ADDRESS };
let refusedWithoutAddress: RawResponse;
let badBrand: RawResponse[];
let brandSet: RawResponse;

const recent = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
const auth = () => ({ authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' });
const call = (method: string, path: string, body?: unknown): Promise<RawResponse> =>
  send(`${runtime.apiUrl}${path}`, { method, headers: auth(), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

const WIN_BACK = {
  subject: {
    vi: '{{ customer.first_name | default: "Bạn" }} ơi, {{ shop.name }} có quà Tết',
    en: '{{ customer.first_name | default: "Friend" }}, a New Year gift from {{ shop.name }}',
  },
  body: {
    vi: '<h2>Chúc mừng năm mới!</h2><p>Mã của bạn: <strong>{{ reward.code }}</strong></p><p><a href="{{ links.loyalty_page }}">Xem điểm ({{ customer.points }})</a></p>',
    en: '<h2>Happy New Year!</h2><p>Your code: <strong>{{ reward.code }}</strong></p><p><a href="https://shop.example.vn/tet">Shop the sale</a></p>',
  },
};

async function enqueue(records: unknown[]) {
  const sqs = sqsClientFor(runtime.endpoints.sqs);
  try {
    for (const record of records) {
      await sqs.send(new SendMessageCommand({ QueueUrl: runtime.queues.email.url, MessageBody: JSON.stringify(record) }));
    }
  } finally {
    sqs.destroy();
  }
  await runtime.idle(60_000);
}

const trigger = (customerId: string, name: string, key: string, data: Record<string, unknown> = {}) => ({
  shopId: SHOP,
  customerId,
  key,
  trigger: name,
  at: new Date().toISOString(),
  data,
});

/** The one mail of a send (customer, trigger key), by the send id it carries. */
async function mailOf(customerId: string, key: string): Promise<string> {
  const mails = ses.captured.filter((mail) => mimeHeader(mail.raw, SEND_ID_HEADER) === sendId(SHOP, customerId, key));
  if (mails.length !== 1) {
    // What the send log says instead (a skip's reason).
    const log = (await apiGet(runtime, apiKey, '/v1/emails')).json.items as Array<{ sendId: string }>;
    expect(
      log.filter((entry) => entry.sendId === sendId(SHOP, customerId, key)),
      key,
    ).toEqual([]);
  }
  expect(mails, key).toHaveLength(1);
  return (mails[0] as CapturedMail).raw;
}
/**
 * The email function keeps the shop (and its brand) 30 s per container, and a copy the shop saved
 * for 30 s too, but the absence of one for 1 s only (shared/deps.ts cachedLoader): so the brand is
 * set before any email is sent, and a copy saved just after a send of the built-in copy is waited
 * for that second.
 */
const absenceLapses = () => new Promise((done) => setTimeout(done, 1_100));

const subjectOf = (raw: string) => decodeWords(mimeHeader(raw, 'Subject') ?? '');

beforeAll(async () => {
  ses = await startSesCapture();
  process.env.RAPPORT_SES_ENDPOINT = ses.url;
  try {
    ({ runtime, stop } = await startTestRuntime());
  } finally {
    delete process.env.RAPPORT_SES_ENDPOINT;
  }
  apiKey = await createShopOverHttp(runtime, {
    shopId: SHOP,
    currency: 'VND',
    locale: 'vi-VN',
    timezone: 'Asia/Ho_Chi_Minh',
    secrets: { generic: SECRET },
  });
  // Room for every marketing email these tests send in a week (a new shop allows 2), saved before
  // anything reads the program (a function keeps it 30 s).
  const program = defaultProgram({ currency: 'VND', name: `Shop ${SHOP}` });
  const saved = await call('PUT', '/v1/program', {
    version: 0,
    program: { ...program, email: { ...program.email, maxMarketingPerWeek: 14 } },
  });
  expect(saved.status, saved.text).toBe(200);
  refusedWithoutAddress = await call('PUT', '/v1/emails/templates/win_back', WIN_BACK);
  badBrand = [
    await call('PATCH', '/v1/shop', { brand: { logoUrl: 'javascript:alert(1)' } }),
    await call('PATCH', '/v1/shop', { brand: { primaryColor: 'red;background:url(x)' } }),
  ];
  brandSet = await call('PATCH', '/v1/shop', { brand: BRAND });
  const people = [
    [
      'lan',
      aCustomer({ externalId: 'generic:lan', email: 'lan@example.com', firstName: 'Lan', locale: 'vi-VN', acceptsEmailMarketing: true }),
    ],
    [
      'hoa',
      aCustomer({ externalId: 'generic:hoa', email: 'hoa@example.com', firstName: 'Hoa', locale: 'en-US', acceptsEmailMarketing: true }),
    ],
  ] as const;
  for (const [who, customer] of people) {
    const res = await postGeneric(runtime, SHOP, SECRET, [
      orderEvent(SHOP, { orderId: `${who}-1`, createdAt: recent(30), updatedAt: recent(30) }, customer),
    ]);
    expect(res.status, res.text).toBe(202);
  }
  await runtime.idle(60_000);
  for (const [who, customer] of people) ids[who] = (await lookup(runtime, apiKey, 'email', customer.email as string)).customerId;
}, 120_000);

afterAll(async () => {
  await stop?.();
  await ses?.stop();
});

describe('the built-in copy', () => {
  it('is what a trigger sends while the shop wrote none, in Vietnamese and in English', async () => {
    await enqueue([trigger(ids.lan, 'win_back', 'win_back:builtin'), trigger(ids.hoa, 'win_back', 'win_back:builtin')]);
    const vi = await mailOf(ids.lan, 'win_back:builtin');
    const en = await mailOf(ids.hoa, 'win_back:builtin');
    expect(subjectOf(vi)).toBe(`Shop ${SHOP} rất nhớ bạn`);
    expect(subjectOf(en)).toBe(`We miss you at Shop ${SHOP}`);
    for (const raw of [vi, en]) {
      expect(mimeHeader(raw, 'List-Unsubscribe')).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?token=/);
      expect(mimePart(raw, 'text/html')).not.toContain('Happy New Year');
    }
    const templates = await call('GET', '/v1/emails/templates');
    expect(templates.status).toBe(200);
    const list = templates.json.templates as Array<{ trigger: string; template: unknown; marketing: boolean; variables: string[] }>;
    expect(list).toHaveLength(12);
    expect(list.every((t) => t.template === null)).toBe(true);
    expect(list.find((t) => t.trigger === 'win_back')).toMatchObject({
      marketing: true,
      variables: expect.arrayContaining(['reward.code']),
    });
  });
});

describe('saving a copy', () => {
  it('refuses a marketing copy while the shop has no postal address, naming brand.address', () => {
    expect(refusedWithoutAddress.status).toBe(400);
    expect(refusedWithoutAddress.json.error).toMatchObject({ code: 'invalid_request', field: 'brand.address' });
  });

  it('takes the brand with PATCH /v1/shop, refusing what is not safe', async () => {
    expect(badBrand.map((res) => [res.status, res.json.error.field])).toEqual([
      [400, 'brand.logoUrl'],
      [400, 'brand.primaryColor'],
    ]);
    expect(brandSet.status, brandSet.text).toBe(200);
    expect(brandSet.json.brand).toEqual(BRAND);
    expect((await apiGet(runtime, apiKey, '/v1/shop')).json.brand).toEqual(BRAND);
    const activity = (await apiGet(runtime, apiKey, '/v1/shop/activity')).json.items as Array<{ changes?: unknown[] }>;
    // Which parts changed, never the address itself.
    expect(activity.flatMap((entry) => entry.changes ?? [])).toEqual(
      expect.arrayContaining([
        { field: 'brand.address', change: 'set' },
        { field: 'brand.logoUrl', change: 'set' },
      ]),
    );
    expect(JSON.stringify(activity)).not.toContain('Hàng Bạc');
  });

  it('refuses an unknown variable or a <script>, with the field named', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [
        { ...WIN_BACK, body: { ...WIN_BACK.body, vi: '<p>{{ customer.password }}</p>' } },
        'templates.win_back.body.vi',
        /^templates\.win_back\.body\.vi: unknown variable \{\{ customer\.password \}\}$/,
      ],
      [
        { ...WIN_BACK, subject: { ...WIN_BACK.subject, en: 'Hi {{ customer.email }}' } },
        'templates.win_back.subject.en',
        /unknown variable \{\{ customer\.email \}\}/,
      ],
      [
        { ...WIN_BACK, body: { ...WIN_BACK.body, en: '<p>Hi</p><script>steal()</script>' } },
        'templates.win_back.body.en',
        /<script> is not allowed/,
      ],
      [
        { ...WIN_BACK, body: { ...WIN_BACK.body, vi: '<img src="https://x.example/a.png" onerror="x()">' } },
        'templates.win_back.body.vi',
        /onerror/,
      ],
      [{ ...WIN_BACK, body: { ...WIN_BACK.body, vi: '<a href="javascript:alert(1)">x</a>' } }, 'templates.win_back.body.vi', /javascript/],
      [
        { ...WIN_BACK, body: { ...WIN_BACK.body, vi: '<iframe src="https://x.example"></iframe>' } },
        'templates.win_back.body.vi',
        /<iframe>/,
      ],
      [{ ...WIN_BACK, body: { ...WIN_BACK.body, vi: '{% include "x" %}' } }, 'templates.win_back.body.vi', /tag "include" not found/],
      [{ subject: { vi: 'Chào' }, body: {} }, 'templates.win_back.body.vi', /needs a vi body/],
      [{ ...WIN_BACK, format: 'mjml' }, 'templates.win_back.format', /liquid/],
    ];
    for (const [body, field, message] of cases) {
      const res = await call('PUT', '/v1/emails/templates/win_back', body);
      expect(res.status, field).toBe(400);
      expect(res.json.error.field).toBe(field);
      expect(res.json.error.message).toMatch(message);
    }
    // Every refused field is named, each with its own reason, so a form marks them all at once.
    const many = await call('PUT', '/v1/emails/templates/win_back', {
      subject: { vi: WIN_BACK.subject.vi, en: 'Hi {{ customer.email }}' },
      body: { vi: '<p>{{ customer.password }}</p>', en: '<p>Hi</p><script>steal()</script>' },
    });
    expect(many.status).toBe(400);
    expect(many.json.error.field).toBe('templates.win_back.subject.en');
    expect(many.json.error.fields).toHaveLength(3);
    expect(many.json.error.fields).toEqual(
      expect.arrayContaining([
        { field: 'templates.win_back.subject.en', message: 'unknown variable {{ customer.email }}' },
        { field: 'templates.win_back.body.vi', message: 'unknown variable {{ customer.password }}' },
        { field: 'templates.win_back.body.en', message: expect.stringMatching(/<script> is not allowed/) },
      ]),
    );
    const shapes = await call('PUT', '/v1/emails/templates/win_back', {
      subject: { vi: 'x'.repeat(201), en: 'Hi' },
      body: { de: 'Hallo' },
    });
    expect(shapes.status).toBe(400);
    // Too long, a language not taken, and two subjects without their bodies: four fields.
    expect(shapes.json.error.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'templates.win_back.body.de',
      'templates.win_back.body.en',
      'templates.win_back.body.vi',
      'templates.win_back.subject.vi',
    ]);
    // A trigger's facts belong to it: a welcome email has no code.
    const welcome = await call('PUT', '/v1/emails/templates/welcome', { subject: { en: 'Hi' }, body: { en: '{{ reward.code }}' } });
    expect(welcome.json.error.message).toBe('templates.welcome.body.en: unknown variable {{ reward.code }}');
    const unknown = await call('PUT', '/v1/emails/templates/black_friday', WIN_BACK);
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.field).toBe('trigger');
    // Nothing refused was saved.
    const list = (await call('GET', '/v1/emails/templates')).json.templates as Array<{ template: unknown }>;
    expect(list.every((t) => t.template === null)).toBe(true);
  });

  it('saves a valid copy, a revision more each time', async () => {
    const first = await call('PUT', '/v1/emails/templates/win_back', WIN_BACK);
    expect(first.status, first.text).toBe(200);
    expect(first.json.template).toMatchObject({ ...WIN_BACK, format: 'liquid', revision: 1 });
    const second = await call('PUT', '/v1/emails/templates/win_back', WIN_BACK);
    expect(second.json.template.revision).toBe(2);
    const list = (await call('GET', '/v1/emails/templates')).json.templates as Array<{ trigger: string; template: unknown }>;
    expect(list.filter((t) => t.template !== null).map((t) => t.trigger)).toEqual(['win_back']);
  });
});

describe('two people editing one email (If-Match)', () => {
  const copy = (words: string) => ({ subject: { en: `Up: ${words}` }, body: { en: `<p>${words}</p>` } });
  /** The answer with its ETag (fetch: the raw sender keeps no headers). */
  const write = async (method: 'PUT' | 'DELETE', ifMatch: string | undefined, body?: unknown) => {
    const res = await fetch(`${runtime.apiUrl}/v1/emails/templates/tier_up`, {
      method,
      headers: { ...auth(), ...(ifMatch === undefined ? {} : { 'if-match': ifMatch }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: answers are checked by assertions, not by types
    return { status: res.status, text, json: JSON.parse(text) as any, etag: res.headers.get('etag') };
  };
  const put = (words: string, ifMatch?: string) => write('PUT', ifMatch, copy(words));
  const remove = (ifMatch?: string) => write('DELETE', ifMatch);
  const tierUp = async () =>
    (
      (await call('GET', '/v1/emails/templates')).json.templates as Array<{
        trigger: string;
        revision: number;
        template: { body: { en: string } } | null;
      }>
    ).find((t) => t.trigger === 'tier_up');

  it('saves over the revision read, and refuses with 409 a save or a removal over a newer one', async () => {
    expect(await tierUp()).toMatchObject({ revision: 0, template: null });
    const first = await put('first', '"0"');
    expect(first.status, first.text).toBe(200);
    expect(first.etag).toBe('"1"');
    expect(first.json).toMatchObject({ revision: 1, template: { revision: 1 } });
    // "Never written" is no longer true.
    const again = await put('again', '"0"');
    expect(again.status).toBe(409);
    expect(again.json.error.message).toMatch(/tier_up email is at revision 1, not 0/);

    // Two editors read revision 1; the first to save wins, the second is told, and nothing of theirs is saved.
    expect((await put('Anh', '"1"')).status).toBe(200);
    const late = await put('Bình', '"1"');
    expect(late.status).toBe(409);
    expect(late.json.error.message).toMatch(/at revision 2, not 1/);
    expect((await tierUp())?.template?.body.en).toBe('<p>Anh</p>');

    // A removal names its revision too; it keeps the count, so an editor from before it cannot save over what comes after.
    expect((await remove('"1"')).status).toBe(409);
    const removed = await remove('W/"2"');
    expect(removed.status, removed.text).toBe(200);
    expect(removed.etag).toBe('"3"');
    expect(removed.json).toMatchObject({ revision: 3, template: null });
    expect(await tierUp()).toMatchObject({ revision: 3, template: null });
    expect((await remove('"3"')).status).toBe(404);
    expect((await put('from revision 2', '"2"')).status).toBe(409);
    expect((await put('after the removal', '3')).json).toMatchObject({
      revision: 4,
      template: { body: { en: '<p>after the removal</p>' } },
    });

    // Five saves at once over one revision: exactly one is taken.
    const racing = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((words) => put(words, '"4"')));
    expect(racing.map((res) => res.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const winner = racing.find((res) => res.status === 200)?.json.template.body.en;
    expect((await tierUp())?.template?.body.en).toBe(winner);
    expect((await tierUp())?.revision).toBe(5);

    // Without If-Match (or with *), a save goes over whatever is there, as a script writing its copies wholesale wants.
    expect((await put('scripted')).json.revision).toBe(6);
    expect((await put('starred', '*')).json.revision).toBe(7);
    const bad = await put('bad', 'revision-7');
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('If-Match');
    expect((await remove('"7"')).status).toBe(200);
  });
});

describe("the shop's copy in the email sent", () => {
  it('goes out in the customer language with the brand, the address and the unsubscribe link', async () => {
    await absenceLapses();
    await enqueue([trigger(ids.lan, 'win_back', 'win_back:shop'), trigger(ids.hoa, 'win_back', 'win_back:shop')]);
    const vi = await mailOf(ids.lan, 'win_back:shop');
    const en = await mailOf(ids.hoa, 'win_back:shop');
    expect(subjectOf(vi)).toBe(`Lan ơi, Shop ${SHOP} có quà Tết`);
    expect(subjectOf(en)).toBe(`Hoa, a New Year gift from Shop ${SHOP}`);
    const viHtml = mimePart(vi, 'text/html');
    const enHtml = mimePart(en, 'text/html');
    expect(viHtml).toContain('<h2>Chúc mừng năm mới!</h2>');
    expect(viHtml).toMatch(/Mã của bạn: <strong>RP-[A-Z0-9-]+<\/strong>/);
    expect(viHtml).toContain('<img src="https://shop.example.vn/logo.png"');
    expect(viHtml).toContain('#b91c1c');
    expect(enHtml).toContain('<h2>Happy New Year!</h2>');
    for (const raw of [vi, en]) {
      const html = mimePart(raw, 'text/html');
      const text = mimePart(raw, 'text/plain');
      const unsubscribe = /^<(http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?token=[^>]+)>/.exec(mimeHeader(raw, 'List-Unsubscribe') ?? '')?.[1];
      expect(unsubscribe).toBeDefined();
      expect(mimeHeader(raw, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
      expect(html).toContain(`href="${(unsubscribe as string).replace(/&/g, '&amp;')}"`);
      expect(html).toContain(ADDRESS);
      expect(text).toContain(ADDRESS);
      expect(text).toContain(unsubscribe);
    }
    expect(mimePart(vi, 'text/plain')).toMatch(/Mã của bạn: RP-[A-Z0-9-]+/);
  });

  it('leaves the built-in copy to a language the shop did not write', async () => {
    const receipt = {
      subject: { vi: 'Mã {{ reward.code }} của bạn' },
      body: { vi: '<p>Mã: <strong>{{ reward.code }}</strong>, {{ reward.value }}</p>' },
    };
    // Transactional: no postal address needed (the shop has one anyway here).
    expect((await call('PUT', '/v1/emails/templates/reward_issued', receipt)).status).toBe(200);
    const issued = (customerId: string, code: string) =>
      trigger(customerId, 'reward_issued', `reward_issued:${code}`, {
        code,
        rewardId: 'money-off',
        name: { en: 'Money off', vi: 'Giảm giá' },
        value: { kind: 'amount_off', amount: 50_000 },
        currency: 'VND',
        points: 500,
        expiresAt: '2027-01-14T20:00:00.000Z',
      });
    await enqueue([issued(ids.lan, 'RW-7KQ2M-X9PDT'), issued(ids.hoa, 'RW-HQ3NP-4TZ8W')]);
    const vi = await mailOf(ids.lan, 'reward_issued:RW-7KQ2M-X9PDT');
    const en = await mailOf(ids.hoa, 'reward_issued:RW-HQ3NP-4TZ8W');
    expect(subjectOf(vi)).toBe('Mã RW-7KQ2M-X9PDT của bạn');
    expect(mimePart(vi, 'text/html')).toContain('<p>Mã: <strong>RW-7KQ2M-X9PDT</strong>, Giảm 50.000\u00a0₫</p>');
    expect(mimeHeader(vi, 'List-Unsubscribe')).toBeUndefined();
    // Hoa reads English: the shop wrote only Vietnamese, so she gets the built-in English copy.
    expect(subjectOf(en)).toBe(`Your Shop ${SHOP} reward: ₫50,000 off`);
    expect(mimePart(en, 'text/plain')).toContain('Your code: RW-HQ3NP-4TZ8W');
    // The built-in copy carries the brand's postal address in its footer too.
    expect(mimePart(en, 'text/plain')).toContain(ADDRESS);
  });
});

describe('the preview', () => {
  it('shows the saved copy for a real customer, and a draft before it is saved, refusing what a save refuses', async () => {
    const saved = await send(`${runtime.apiUrl}/v1/emails/preview?customerId=${ids.lan}&trigger=win_back&format=json`, {
      method: 'GET',
      headers: auth(),
    });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.json).toMatchObject({ copy: 'shop', locale: 'vi', subject: `Lan ơi, Shop ${SHOP} có quà Tết` });
    const html = await fetch(`${runtime.apiUrl}/v1/emails/preview?customerId=${ids.hoa}&trigger=win_back`, { headers: auth() });
    expect(html.headers.get('x-rapport-email-copy')).toBe('shop');
    expect(await html.text()).toContain('Happy New Year!');

    const draft = { subject: { en: 'Hello {{ customer.first_name }}' }, body: { en: '<p>You have {{ customer.points }} points</p>' } };
    const preview = await call('POST', '/v1/emails/preview', { customerId: ids.hoa, trigger: 'win_back', message: draft });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.json.subject).toBe('Hello Hoa');
    expect(preview.json.html).toMatch(/<p>You have \d+ points<\/p>/);
    // Vietnamese asked for, English written: the language the draft has.
    const asked = await call('POST', '/v1/emails/preview', { customerId: ids.lan, trigger: 'win_back', message: draft, language: 'vi' });
    expect(asked.json.locale).toBe('en');
    // And its values are written in that language too, not in the customer's (Lan reads Vietnamese).
    const gift = { subject: { en: 'A gift of {{ bonus.points }}' }, body: { en: '<p>{{ customer.tier }}</p>' } };
    const english = await call('POST', '/v1/emails/preview', { customerId: ids.lan, trigger: 'birthday', message: gift, language: 'vi' });
    expect([english.json.subject, english.json.html]).toEqual(['A gift of 100 points', expect.stringContaining('<p>Member</p>')]);

    const bad = await call('POST', '/v1/emails/preview', {
      customerId: ids.lan,
      trigger: 'win_back',
      message: { subject: { vi: 'x' }, body: { vi: '<p onclick="x()">{{ customer.password }}</p>' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('templates.win_back.body.vi');
    expect(bad.json.error.message).toContain('unknown variable {{ customer.password }}');
    expect(bad.json.error.message).toContain('onclick');
  });

  it('goes back to the built-in copy when the shop removes its own', async () => {
    const removed = await call('DELETE', '/v1/emails/templates/win_back');
    expect(removed.status).toBe(200);
    expect(removed.json.template).toBeNull();
    expect((await call('DELETE', '/v1/emails/templates/win_back')).status).toBe(404);
    const preview = await send(`${runtime.apiUrl}/v1/emails/preview?customerId=${ids.lan}&trigger=win_back&format=json`, {
      method: 'GET',
      headers: auth(),
    });
    expect(preview.json).toMatchObject({ copy: 'builtin', subject: `Shop ${SHOP} rất nhớ bạn` });
  });

  it('shows the built-in copy in a language asked for, even where the shop wrote its own (the editor shows what a blank language sends)', async () => {
    const vi = { subject: { vi: 'Chào {{ customer.first_name }}' }, body: { vi: '<p>Quà Tết</p>' } };
    expect((await call('PUT', '/v1/emails/templates/win_back', vi)).status).toBe(200);
    const get = (query: string) =>
      send(`${runtime.apiUrl}/v1/emails/preview?customerId=${ids.lan}&trigger=win_back&format=json${query}`, {
        method: 'GET',
        headers: auth(),
      });
    expect((await get('')).json).toMatchObject({ copy: 'shop', locale: 'vi', subject: 'Chào Lan' });
    expect((await get('&copy=builtin')).json).toMatchObject({ copy: 'builtin', locale: 'vi', subject: `Shop ${SHOP} rất nhớ bạn` });
    const english = (await get('&language=en')).json;
    expect(english).toMatchObject({ copy: 'builtin', locale: 'en' });
    expect(english.subject).toContain(`Shop ${SHOP}`);
    const refused = await get('&language=fr');
    expect(refused.status).toBe(400);
    expect(refused.json.error.field).toBe('query.language');
    expect((await call('DELETE', '/v1/emails/templates/win_back')).status).toBe(200);
  });
});
