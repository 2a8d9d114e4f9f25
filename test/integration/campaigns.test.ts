import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import { getIdentityOwner, setDerivedFields } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { recentEmailsAttributes } from '#shared/data/profile-item.ts';
import { getRewardCode, listCustomerCodes } from '#shared/data/reward-code-repo.ts';
import { writeMemberships } from '#shared/data/run-repo.ts';
import { SEND_ID_HEADER } from '#shared/email/mime.ts';
import { sendId } from '#shared/email/rules.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import { aCustomer, orderEvent } from '#test/support/factories.ts';
import { createShopOverHttp, lookup, postGeneric, startTestRuntime } from '#test/support/local-api.ts';
import { type RawResponse, send } from '#test/support/senders.ts';
import { type CapturedMail, decodeWords, mimeHeader, mimePart, startSesCapture } from '#test/support/ses-capture.ts';

/**
 * Campaigns over HTTP and through the real queues and email stage (SES emulator behind the capture
 * proxy): drafts refused with the field named, changed with their revision, previewed for a real
 * customer, sent once to a test address; a campaign to a segment and one to everyone subscribed,
 * each customer written to at most once, the others skipped with their reason and counted; the
 * reward's codes, one used by an order, in the results; moves a status does not allow refused with
 * 409; a campaign scheduled for tomorrow in the shop's time zone, then cancelled.
 */

const SHOP = 'shop-campaigns';
const SECRET = 'shop-campaigns-generic-secret-01';
const ADDRESS = '12 Hàng Bạc, Hoàn Kiếm, Hà Nội';

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let ses: Awaited<ReturnType<typeof startSesCapture>>;
let apiKey: string;
const ids: Record<string, string> = {};

const auth = () => ({ authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' });
const call = (method: string, path: string, body?: unknown): Promise<RawResponse> =>
  send(`${runtime.apiUrl}${path}`, { method, headers: auth(), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
const recent = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
const subjectOf = (raw: string) => decodeWords(mimeHeader(raw, 'Subject') ?? '');

const MESSAGE = {
  subject: {
    vi: '{{ customer.first_name | default: "Bạn" }} ơi, quà 20/10 từ {{ shop.name }}',
    en: 'A gift for you, {{ customer.first_name }}',
  },
  body: {
    vi: '<p>Mã của bạn: <strong>{{ reward.code }}</strong> ({{ reward.value }}), đến {{ reward.expires_on }}.</p>',
    en: '<p>Your code: <strong>{{ reward.code }}</strong> ({{ reward.value }}).</p>',
  },
};

/** The people, by what the campaign should do with them. */
const PEOPLE = {
  lan: { email: 'lan@example.vn', locale: 'vi-VN', subscribed: true },
  hoa: { email: 'hoa@example.com', locale: 'en-US', subscribed: true },
  mai: { email: 'mai@example.vn', locale: 'vi-VN', subscribed: true },
  tuan: { email: 'tuan@example.vn', locale: 'vi-VN', subscribed: false },
  capped: { email: 'capped@example.vn', locale: 'vi-VN', subscribed: true },
} as const;
type Who = keyof typeof PEOPLE;

/** The mails a send (customer, key) produced, by the send id they carry. */
const mailsOf = (who: Who, key: string): CapturedMail[] =>
  ses.captured.filter((mail) => mimeHeader(mail.raw, SEND_ID_HEADER) === sendId(SHOP, ids[who] as string, key));

async function untilStatus(campaignId: string, status: string) {
  for (let i = 0; i < 200; i++) {
    const res = await call('GET', `/v1/campaigns/${campaignId}`);
    if (res.json.status === status) return res;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`campaign ${campaignId} never became ${status}`);
}

beforeAll(async () => {
  ses = await startSesCapture();
  process.env.RAPPORT_SES_ENDPOINT = ses.url;
  // 20 customers a second: a page of 100 puts the fan-out 5 s ahead, long enough to cancel in between.
  process.env.RAPPORT_CAMPAIGN_RATE = '20';
  try {
    ({ runtime, db, stop } = await startTestRuntime());
  } finally {
    delete process.env.RAPPORT_SES_ENDPOINT;
    delete process.env.RAPPORT_CAMPAIGN_RATE;
  }
  apiKey = await createShopOverHttp(runtime, {
    shopId: SHOP,
    currency: 'VND',
    locale: 'vi-VN',
    timezone: 'Asia/Ho_Chi_Minh',
    secrets: { generic: SECRET },
  });
  // Room for the welcome and the campaigns in a week (a new shop allows 2), saved before anything reads it.
  const program = defaultProgram({ currency: 'VND', name: `Shop ${SHOP}` });
  const saved = await call('PUT', '/v1/program', {
    version: 0,
    program: { ...program, email: { ...program.email, maxMarketingPerWeek: 4 } },
  });
  expect(saved.status, saved.text).toBe(200);
  expect((await call('PATCH', '/v1/shop', { brand: { address: ADDRESS } })).status).toBe(200);
  for (const [who, person] of Object.entries(PEOPLE)) {
    const customer = aCustomer({
      externalId: `generic:${who}`,
      email: person.email,
      firstName: who.charAt(0).toUpperCase() + who.slice(1),
      locale: person.locale,
      acceptsEmailMarketing: person.subscribed,
    });
    const res = await postGeneric(runtime, SHOP, SECRET, [
      orderEvent(SHOP, { orderId: `${who}-1`, createdAt: recent(30), updatedAt: recent(30) }, customer),
    ]);
    expect(res.status, res.text).toBe(202);
  }
  await runtime.idle(60_000);
  for (const [who, person] of Object.entries(PEOPLE)) ids[who] = (await lookup(runtime, apiKey, 'email', person.email)).customerId;
  // `capped` had 4 marketing emails this week already (the cap); the run would have put these in the segment.
  await setDerivedFields(db, SHOP, ids.capped as string, recentEmailsAttributes([recent(60), recent(50), recent(40), recent(30)]));
  await writeMemberships(
    db,
    SHOP,
    (['lan', 'hoa', 'tuan', 'capped'] as const).map((who) => ({
      segmentId: 'rfm:champions',
      customerId: ids[who] as string,
      member: true,
      since: recent(5),
    })),
  );
}, 120_000);

afterAll(async () => {
  await stop?.();
  await ses?.stop();
});

const draft = (extra: Record<string, unknown> = {}) => ({
  name: '20/10',
  audience: { kind: 'segment', segmentId: 'rfm:champions' },
  message: MESSAGE,
  rewardId: 'free-shipping',
  ...extra,
});

describe('a draft', () => {
  it('is refused with 400 naming the field for every bad input', async () => {
    const cases: Array<[unknown, string]> = [
      [draft({ name: '' }), 'name'],
      [draft({ audience: { kind: 'segment', segmentId: 'rfm:nobody' } }), 'audience.segmentId'],
      [draft({ audience: { kind: 'segment', segmentId: 'champions' } }), 'audience.segmentId'],
      [draft({ audience: { kind: 'all' } }), 'audience.kind'],
      [draft({ rewardId: 'no-such-reward' }), 'rewardId'],
      [draft({ rewardId: 'win-back' }), 'rewardId'],
      [draft({ scheduledAt: '2027-02-30T09:00' }), 'scheduledAt'],
      [draft({ scheduledAt: '2027-02-05T09:00+07:00' }), 'scheduledAt'],
      [draft({ scheduledAt: '2020-02-05T09:00' }), 'scheduledAt'],
      [draft({ message: { subject: { vi: 'Chào' }, body: { vi: '<p>{{ customer.password }}</p>' } } }), 'message.body.vi'],
      [draft({ message: { subject: { vi: 'Chào' }, body: { vi: '<p>Hi</p><script>alert(1)</script>' } } }), 'message.body.vi'],
      [draft({ message: { subject: { en: 'Hi' } } }), 'message.body'],
      [draft({ extra: true }), 'extra'],
      [{ ...draft(), message: undefined }, 'message'],
    ];
    for (const [body, field] of cases) {
      const res = await call('POST', '/v1/campaigns', body);
      expect([res.status, res.json.error?.field], JSON.stringify(body)).toEqual([400, field]);
    }
  });

  it('is created, read, listed, and changed only from the revision read', async () => {
    const created = await call('POST', '/v1/campaigns', draft({ scheduledAt: '2027-10-20T08:00' }));
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({
      status: 'draft',
      revision: 1,
      scheduledAt: '2027-10-20T08:00',
      timezone: 'Asia/Ho_Chi_Minh',
      sendAt: null,
    });
    const id = created.json.campaignId as string;
    expect((await call('GET', `/v1/campaigns/${id}`)).json.message.subject.vi).toBe(MESSAGE.subject.vi);
    const list = await call('GET', '/v1/campaigns?limit=5');
    expect(list.json.items[0]).toMatchObject({ campaignId: id, name: '20/10' });
    expect(list.json.items[0].message).toBeUndefined();

    const changed = await call('PATCH', `/v1/campaigns/${id}`, { revision: 1, name: 'Phụ nữ Việt Nam 20/10', rewardId: null });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json).toMatchObject({ revision: 2, name: 'Phụ nữ Việt Nam 20/10', rewardId: null });
    const stale = await call('PATCH', `/v1/campaigns/${id}`, { revision: 1, name: 'late' });
    expect(stale.status).toBe(409);
    expect(stale.json.error.message).toContain('revision 2');
    expect((await call('PATCH', `/v1/campaigns/${id}`, { revision: 2 })).json.error.field).toBe('body');
    expect((await call('GET', '/v1/campaigns/cmp_nope')).json.error.field).toBe('campaignId');
    expect((await call('GET', '/v1/campaigns/cmp_000000000deadbeef')).status).toBe(404);
  });
});

describe('a campaign to a segment', () => {
  let id: string;

  it('previews for a real customer, and sends once to a test address (not counted)', async () => {
    const created = await call('POST', '/v1/campaigns', draft());
    id = created.json.campaignId;
    const preview = await call('POST', `/v1/campaigns/${id}/preview`, { customerId: ids.lan });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.json.subject).toBe(`Lan ơi, quà 20/10 từ Shop ${SHOP}`);
    expect(preview.json.html).toContain('RW-PREVW-SAMPL');
    expect(preview.json.html).toContain('Hàng Bạc');
    const english = await call('POST', `/v1/campaigns/${id}/preview`, { customerId: ids.lan, language: 'en' });
    expect(english.json.subject).toBe('A gift for you, Lan');
    const unsaved = await call('POST', `/v1/campaigns/${id}/preview`, {
      customerId: ids.lan,
      message: { subject: { vi: '{{ x.y }}' }, body: { vi: 'a' } },
    });
    expect([unsaved.status, unsaved.json.error.field]).toEqual([400, 'message.subject.vi']);
    expect((await call('POST', `/v1/campaigns/${id}/preview`, { customerId: 'c_00000000000000000000' })).status).toBe(404);

    const before = ses.captured.length;
    const test = await call('POST', `/v1/campaigns/${id}/test`, { customerId: ids.hoa, email: 'staff@shop.example' });
    expect(test.status, test.text).toBe(202);
    expect((await call('POST', `/v1/campaigns/${id}/test`, { customerId: ids.hoa, email: 'not-an-address' })).json.error.field).toBe(
      'email',
    );
    const mail = ses.captured.slice(before);
    expect(mail).toHaveLength(1);
    expect(mail[0]?.to).toContain('staff@shop.example');
    expect(subjectOf(mail[0]?.raw ?? '')).toBe('[Test] A gift for you, Hoa');
    expect(mimeHeader(mail[0]?.raw ?? '', 'List-Unsubscribe')).toContain('token=test');
    expect((await call('GET', `/v1/campaigns/${id}`)).json.results.sent).toBe(0);
  });

  it('sends each eligible member one email with their own code, and records every skip with its reason', async () => {
    expect((await call('POST', `/v1/campaigns/${id}/schedule`, { later: true })).json.error.field).toBe('later');
    expect((await call('POST', `/v1/campaigns/${id}/schedule`)).json.error.field).toBe('scheduledAt');
    const scheduled = await call('POST', `/v1/campaigns/${id}/schedule`, { now: true });
    expect(scheduled.status, scheduled.text).toBe(200);
    expect(scheduled.json.status).toBe('scheduled');
    await untilStatus(id, 'sent');
    await runtime.idle(60_000);
    const key = `campaign:${id}`;
    expect(mailsOf('lan', key)).toHaveLength(1);
    expect(mailsOf('hoa', key)).toHaveLength(1);
    for (const who of ['mai', 'tuan', 'capped'] as const) expect(mailsOf(who, key), who).toHaveLength(0);
    const lan = mailsOf('lan', key)[0]?.raw ?? '';
    expect(subjectOf(lan)).toBe(`Lan ơi, quà 20/10 từ Shop ${SHOP}`);
    expect(mimeHeader(lan, 'List-Unsubscribe')).toMatch(/unsubscribe\?token=/);
    const codes = [lan, mailsOf('hoa', key)[0]?.raw ?? ''].map((raw) => /RW-[A-Z2-9]{5}-[A-Z2-9]{5}/.exec(mimePart(raw, 'text/html'))?.[0]);
    expect(codes.every(Boolean) && codes[0] !== codes[1]).toBe(true);

    const read = await call('GET', `/v1/campaigns/${id}`);
    expect(read.json).toMatchObject({
      status: 'sent',
      progress: { parts: 1, partsDone: 1, queued: 4 },
      results: { sent: 2, skipped: { unsubscribed: 1, frequency_cap: 1 }, skippedTotal: 2 },
    });
    // On the customers' timelines and the send log too.
    const log = (await call('GET', '/v1/emails?trigger=campaign')).json.items as Array<{
      customerId: string;
      status: string;
      reason?: string;
    }>;
    expect(log.map((entry) => [entry.customerId, entry.status, entry.reason ?? null]).sort()).toEqual(
      [
        [ids.lan, 'sent', null],
        [ids.hoa, 'sent', null],
        [ids.tuan, 'skipped', 'unsubscribed'],
        [ids.capped, 'skipped', 'frequency_cap'],
      ].sort(),
    );

    // Lan uses her code: the campaign's results count the order and its revenue, once.
    const order = orderEvent(
      SHOP,
      { orderId: 'lan-2', total: 450_000, createdAt: recent(1), updatedAt: recent(1), discountCodes: [codes[0] as string] },
      aCustomer({ externalId: 'generic:lan', email: PEOPLE.lan.email }),
    );
    for (let delivery = 0; delivery < 2; delivery++) expect((await postGeneric(runtime, SHOP, SECRET, [order])).status).toBe(202);
    await runtime.idle(60_000);
    const after = await call('GET', `/v1/campaigns/${id}`);
    expect(after.json.results).toMatchObject({ codesUsed: 1, attributedRevenue: { amount: 450_000, currency: 'VND' } });
  });

  it('counts a bounce and an unsubscribe through its email in its results, once each', async () => {
    const key = `campaign:${id}`;
    const hoa = mailsOf('hoa', key)[0] as CapturedMail;
    const sample = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/ses/notification_bounce_without_dsn.json'), 'utf8'));
    sample.mail.messageId = hoa.messageId;
    sample.bounce.bouncedRecipients = [{ emailAddress: PEOPLE.hoa.email }];
    sample.mail.destination = [PEOPLE.hoa.email];
    for (let delivery = 0; delivery < 2; delivery++)
      expect((await send(`${runtime.apiUrl}/_local/sns/sesFeedback`, { body: JSON.stringify(sample) })).status).toBe(200);
    // Lan clicks the one-click unsubscribe of her campaign email (twice: a mail client may repeat it).
    const link = /<(http[^>]+)>/.exec(mimeHeader(mailsOf('lan', key)[0]?.raw ?? '', 'List-Unsubscribe') ?? '')?.[1] as string;
    expect(link).toContain(`&campaign=${id}`);
    // The footer's link, which most people click, names the campaign too.
    expect(mimePart(mailsOf('lan', key)[0]?.raw ?? '', 'text/html')).toContain(`&amp;campaign=${id}`);
    for (let click = 0; click < 2; click++) {
      const res = await send(link, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(res.status, res.text).toBe(200);
    }
    const read = await call('GET', `/v1/campaigns/${id}`);
    expect(read.json.results).toMatchObject({ sent: 2, bounced: 1, unsubscribed: 1 });
    expect((await lookup(runtime, apiKey, 'email', PEOPLE.lan.email)).consent.email).toBe('unsubscribed');
  });

  it('refuses moves its status does not allow with 409, and sends nobody twice when scheduled again', async () => {
    const again = await call('POST', `/v1/campaigns/${id}/schedule`, { now: true });
    expect(again.status).toBe(409);
    expect(again.json.error.message).toContain('the campaign is sent');
    expect((await call('POST', `/v1/campaigns/${id}/cancel`)).status).toBe(409);
    expect((await call('PATCH', `/v1/campaigns/${id}`, { revision: 99, name: 'x' })).json.error.message).toContain('only a draft');
  });
});

describe('a campaign to everyone subscribed', () => {
  it('reads every profile through the 16 shards and writes to the subscribed only, once', async () => {
    const created = await call(
      'POST',
      '/v1/campaigns',
      draft({
        name: 'Everyone',
        audience: { kind: 'subscribed' },
        rewardId: null,
        message: { subject: { vi: 'Chào {{ customer.first_name }}' }, body: { vi: '<p>Tin vui!</p>' } },
      }),
    );
    const id = created.json.campaignId as string;
    expect((await call('POST', `/v1/campaigns/${id}/schedule`, { now: true })).status).toBe(200);
    await untilStatus(id, 'sent');
    await runtime.idle(60_000);
    const key = `campaign:${id}`;
    // Lan unsubscribed through the last campaign; Hoa's address bounced for good.
    expect(mailsOf('mai', key)).toHaveLength(1);
    for (const who of ['lan', 'hoa', 'tuan', 'capped'] as const) expect(mailsOf(who, key), who).toHaveLength(0);
    const read = await call('GET', `/v1/campaigns/${id}`);
    expect(read.json).toMatchObject({
      progress: { parts: 16, partsDone: 16, queued: 5 },
      results: { sent: 1, skipped: { unsubscribed: 2, frequency_cap: 1, suppressed: 1 }, skippedTotal: 4 },
    });
  });
});

describe('a campaign scheduled for later', () => {
  it("starts at the shop's local time, and a cancel stops it", async () => {
    const tomorrow = new Date(Date.now() + 86_400_000);
    const local = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh', dateStyle: 'short' }).format(tomorrow);
    const created = await call('POST', '/v1/campaigns', draft({ scheduledAt: `${local}T09:00` }));
    const id = created.json.campaignId as string;
    const scheduled = await call('POST', `/v1/campaigns/${id}/schedule`);
    expect(scheduled.status, scheduled.text).toBe(200);
    // 09:00 in Hồ Chí Minh City is 02:00 UTC (UTC+7, no daylight saving).
    expect(scheduled.json).toMatchObject({ status: 'scheduled', sendAt: `${local}T02:00:00.000Z`, timezone: 'Asia/Ho_Chi_Minh' });
    const cancelled = await call('POST', `/v1/campaigns/${id}/cancel`);
    expect(cancelled.json).toMatchObject({ status: 'cancelled' });
    expect((await call('POST', `/v1/campaigns/${id}/schedule`, { now: true })).status).toBe(409);
  });
});

describe('a campaign cancelled while sending', () => {
  it('stops its fan-out at the next page', async () => {
    // 300 members of rfm:lost, as the run would have written them (profiles need not exist: the
    // email stage skips those it cannot find, `no_customer`, and counts them).
    const members = Array.from({ length: 300 }, (_, n) => `c_${(0xcc0000 + n).toString(16).padStart(20, '0')}`);
    await writeMemberships(
      db,
      SHOP,
      members.map((customerId) => ({ segmentId: 'rfm:lost', customerId, member: true, since: recent(5) })),
    );
    const created = await call('POST', '/v1/campaigns', draft({ name: 'Lost', audience: { kind: 'segment', segmentId: 'rfm:lost' } }));
    const id = created.json.campaignId as string;
    expect((await call('POST', `/v1/campaigns/${id}/schedule`, { now: true })).status).toBe(200);
    await untilStatus(id, 'sending');
    for (let i = 0; i < 100; i++) {
      if ((await call('GET', `/v1/campaigns/${id}`)).json.progress.queued >= 100) break;
      await new Promise((done) => setTimeout(done, 50));
    }
    const cancelled = await call('POST', `/v1/campaigns/${id}/cancel`);
    expect(cancelled.json).toMatchObject({ status: 'cancelled', progress: { queued: 100, partsDone: 0 } });
    // The continuation (5 s later) finds it cancelled: nothing more is queued. (Not runtime.idle():
    // the campaign scheduled for tomorrow keeps its start message delayed on the queue.)
    await new Promise((done) => setTimeout(done, 7_000));
    const read = await call('GET', `/v1/campaigns/${id}`);
    expect(read.json).toMatchObject({ status: 'cancelled', progress: { queued: 100, partsDone: 0 } });
    expect(read.json.results.skippedTotal + read.json.results.sent).toBeLessThanOrEqual(100);
  }, 120_000);
});

describe('a campaign whose shop lost its postal address after it was saved', () => {
  it('skips each customer, saying why, and gives nobody its code', async () => {
    // A shop of its own, first seen by the email stage (its welcome) without an address, so the stage's
    // cached record already lacks the one the campaign is saved with and removed from afterwards.
    const shopId = 'shop-campaigns-no-address';
    const secret = 'shop-campaigns-no-address-secret';
    const key = await createShopOverHttp(runtime, {
      shopId,
      currency: 'VND',
      locale: 'vi-VN',
      timezone: 'Asia/Ho_Chi_Minh',
      secrets: { generic: secret },
    });
    const as = (method: string, path: string, body?: unknown) =>
      send(`${runtime.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const customer = aCustomer({ externalId: 'generic:nga', email: 'nga@example.vn', locale: 'vi-VN', acceptsEmailMarketing: true });
    const posted = await postGeneric(runtime, shopId, secret, [
      orderEvent(shopId, { orderId: 'nga-1', createdAt: recent(30), updatedAt: recent(30) }, customer),
    ]);
    expect(posted.status, posted.text).toBe(202);
    // Not runtime.idle: the campaign scheduled for tomorrow above keeps a delayed start message on its queue.
    let customerId = '';
    for (
      let i = 0;
      i < 600 && !ses.captured.some((mail) => mimeHeader(mail.raw, SEND_ID_HEADER) === sendId(shopId, customerId, 'welcome'));
      i++
    ) {
      await new Promise((done) => setTimeout(done, 100));
      customerId = (await getIdentityOwner(db, shopId, { kind: 'ext', value: 'generic:nga' })) ?? '';
    }
    expect(ses.captured.filter((mail) => mimeHeader(mail.raw, SEND_ID_HEADER) === sendId(shopId, customerId, 'welcome'))).toHaveLength(1);

    expect((await as('PATCH', '/v1/shop', { brand: { address: ADDRESS } })).status).toBe(200);
    const created = await as('POST', '/v1/campaigns', draft({ name: 'No address', audience: { kind: 'subscribed' } }));
    expect(created.status, created.text).toBe(201);
    const id = created.json.campaignId as string;
    expect((await as('PATCH', '/v1/shop', { brand: null })).status).toBe(200);
    expect((await as('POST', `/v1/campaigns/${id}/schedule`, { now: true })).status).toBe(200);
    let results: Record<string, unknown> = {};
    for (let i = 0; i < 200 && !(results.skippedTotal as number); i++) {
      await new Promise((done) => setTimeout(done, 100));
      results = (await as('GET', `/v1/campaigns/${id}`)).json.results;
    }
    expect(results).toMatchObject({ sent: 0, skipped: { not_sendable_no_postal_address: 1 } });
    expect(ses.captured.filter((mail) => mimeHeader(mail.raw, SEND_ID_HEADER) === sendId(shopId, customerId, `campaign:${id}`))).toEqual(
      [],
    );
    const codes = await Promise.all(
      (await listCustomerCodes(db, shopId, customerId, 50)).map((code) => getRewardCode(db, shopId, code, true)),
    );
    expect(codes.filter((code) => code?.gift === `campaign:${id}`)).toEqual([]);
  }, 120_000);
});
