import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsClientFor } from '#infra/local/emulators.ts';
import type { Runtime } from '#infra/local/runtime.ts';
import type { Db } from '#shared/data/db.ts';
import { suppressAddress } from '#shared/data/suppression-repo.ts';
import { loyaltyKey, verifyLoyaltyToken } from '#shared/email/loyalty-link.ts';
import { SEND_ID_HEADER } from '#shared/email/mime.ts';
import { sendId } from '#shared/email/rules.ts';
import { aCustomer, orderEvent } from '#test/support/factories.ts';
import { apiGet, createShopOverHttp, lookup, postGeneric, startTestRuntime } from '#test/support/local-api.ts';
import { type CapturedMail, decodeWords, mimeHeader, mimePart, startSesCapture } from '#test/support/ses-capture.ts';

/**
 * The reward code email through the real email stage: a `reward_issued` trigger record on the email
 * queue, as the code step enqueues it once the code is live, consumed by the email function and sent
 * through SES (the emulator, behind a proxy that keeps the raw MIME). Once per code, to a customer
 * who opted out of marketing too (it is the code they paid points for), never to a suppressed address.
 */

const SHOP = 'reward-emails';
const SECRET = 'reward-emails-generic-secret-0001';
const NBSP = '\u00a0';

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let ses: Awaited<ReturnType<typeof startSesCapture>>;
let apiKey: string;
const ids: Record<'lan' | 'hoa' | 'minh', string> = { lan: '', hoa: '', minh: '' };

const recent = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

/** The trigger record of one live code, as the code step enqueues it. */
const rewardIssued = (customerId: string, code: string) => ({
  shopId: SHOP,
  customerId,
  key: `reward_issued:${code}`,
  trigger: 'reward_issued',
  at: new Date().toISOString(),
  data: {
    code,
    rewardId: 'money-off',
    name: { en: 'Money off your order', vi: 'Giảm giá đơn hàng' },
    value: { kind: 'amount_off', amount: 50_000 },
    currency: 'VND',
    minOrder: 300_000,
    points: 500,
    // 03:00 on 15 January in Ho Chi Minh City.
    expiresAt: '2027-01-14T20:00:00.000Z',
  },
});

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

/** The mails of one send (customer, trigger key), by the send id the message carries. */
const mailsOf = (customerId: string, key: string): CapturedMail[] =>
  ses.captured.filter((mail) => mimeHeader(mail.raw, SEND_ID_HEADER) === sendId(SHOP, customerId, key));

beforeAll(async () => {
  ses = await startSesCapture();
  process.env.RAPPORT_SES_ENDPOINT = ses.url;
  try {
    ({ runtime, db, stop } = await startTestRuntime());
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
  // Lan said yes to marketing, Hoa said no, Minh said yes but his address bounces.
  const people = [
    [
      'lan',
      aCustomer({ externalId: 'generic:lan', email: 'lan@example.com', firstName: 'Lan', locale: 'vi-VN', acceptsEmailMarketing: true }),
    ],
    [
      'hoa',
      aCustomer({ externalId: 'generic:hoa', email: 'hoa@example.com', firstName: 'Hoa', locale: 'en-US', acceptsEmailMarketing: false }),
    ],
    ['minh', aCustomer({ externalId: 'generic:minh', email: 'minh@example.com', firstName: 'Minh', acceptsEmailMarketing: true })],
  ] as const;
  for (const [who, customer] of people) {
    const res = await postGeneric(runtime, SHOP, SECRET, [
      orderEvent(SHOP, { orderId: `${who}-1`, createdAt: recent(30), updatedAt: recent(30) }, customer),
    ]);
    expect(res.status, res.text).toBe(202);
  }
  await runtime.idle(60_000);
  for (const [who, customer] of people) ids[who] = (await lookup(runtime, apiKey, 'email', customer.email as string)).customerId;
  await suppressAddress(db, 'minh@example.com', { kind: 'bounce', at: new Date().toISOString() });
}, 120_000);

afterAll(async () => {
  await stop?.();
  await ses?.stop();
});

describe('the reward code email', () => {
  it('is sent once with the code, its value and its expiry, however often the record is delivered', async () => {
    const record = rewardIssued(ids.lan, 'RW-7KQ2M-X9PDT');
    await enqueue([record, record]);
    await enqueue([record]);
    const mails = mailsOf(ids.lan, record.key);
    expect(mails).toHaveLength(1);
    const raw = (mails[0] as CapturedMail).raw;

    expect(decodeWords(mimeHeader(raw, 'Subject') ?? '')).toBe(`Ưu đãi của bạn tại Shop ${SHOP}: Giảm 50.000${NBSP}₫`);
    // The customer asked for it: no List-Unsubscribe, which marks marketing.
    expect(mimeHeader(raw, 'List-Unsubscribe')).toBeUndefined();
    const text = mimePart(raw, 'text/plain');
    const html = mimePart(raw, 'text/html');
    expect(text).toContain('Mã ưu đãi của bạn: RW-7KQ2M-X9PDT');
    expect(text).toContain(`giảm 50.000${NBSP}₫ cho đơn hàng`);
    expect(text).toContain('Có hiệu lực đến hết ngày 15 tháng 1, 2027');
    expect(text).toContain(`Áp dụng cho đơn hàng từ 300.000${NBSP}₫ trở lên.`);
    expect(html).toContain('>RW-7KQ2M-X9PDT</span>');
    expect(html).toContain('15 tháng 1, 2027');

    const timeline = (await apiGet(runtime, apiKey, `/v1/customers/${ids.lan}/timeline?limit=100`)).json.items as Array<
      Record<string, unknown>
    >;
    expect(timeline.filter((e) => e.type === 'email' && e.trigger === 'reward_issued')).toEqual([
      expect.objectContaining({ status: 'sent', locale: 'vi', key: record.key }),
    ]);
  });

  it('opens the customer’s own loyalty page, from the email and from the footer of every other email', async () => {
    const masterKey = process.env.RAPPORT_MASTER_KEY as string;
    const welcome = mailsOf(ids.lan, 'welcome');
    expect(welcome).toHaveLength(1);
    for (const mail of [...mailsOf(ids.lan, 'reward_issued:RW-7KQ2M-X9PDT'), ...welcome]) {
      const text = mimePart(mail.raw, 'text/plain');
      const html = mimePart(mail.raw, 'text/html');
      const link = new RegExp(`^Điểm và ưu đãi của bạn: (${runtime.apiUrl}/l/${SHOP}\\?t=\\S+)$`, 'm').exec(text)?.[1] as string;
      expect(link).toBeDefined();
      expect(html).toContain(`href="${link}"`);
      const token = new URL(link).searchParams.get('t') as string;
      expect(verifyLoyaltyToken(token, loyaltyKey(masterKey), new Date())).toMatchObject({
        ok: true,
        payload: { shopId: SHOP, customerId: ids.lan },
      });
      expect(link).not.toContain('lan%40example.com');
    }
  });

  it('reaches a customer who opted out of marketing: it is the code she paid points for', async () => {
    expect((await apiGet(runtime, apiKey, `/v1/customers/${ids.hoa}`)).json.consent.email).toBe('unsubscribed');
    expect(mailsOf(ids.hoa, 'welcome')).toHaveLength(0);
    const record = rewardIssued(ids.hoa, 'RW-HQ3NP-4TZ8W');
    await enqueue([record, record]);
    const mails = mailsOf(ids.hoa, record.key);
    expect(mails).toHaveLength(1);
    const text = mimePart((mails[0] as CapturedMail).raw, 'text/plain');
    expect(text).toContain('Your code: RW-HQ3NP-4TZ8W');
    expect(text).toContain('₫50,000 off your order');
    expect(text).toContain('Valid until January 15, 2027');
  });

  it('never goes to a suppressed address, and says why on the timeline', async () => {
    const before = ses.captured.length;
    const record = rewardIssued(ids.minh, 'RW-M5V7C-JX2RB');
    await enqueue([record]);
    expect(ses.captured).toHaveLength(before);
    const timeline = (await apiGet(runtime, apiKey, `/v1/customers/${ids.minh}/timeline?limit=100`)).json.items as Array<
      Record<string, unknown>
    >;
    expect(timeline).toContainEqual(
      expect.objectContaining({ type: 'email', status: 'skipped', reason: 'suppressed', trigger: 'reward_issued' }),
    );
  });

  it('is previewed for a customer with the catalog’s first reward and a sample code', async () => {
    for (const trigger of ['reward_issued', 'reward_failed']) {
      const res = await apiGet(runtime, apiKey, `/v1/emails/preview?customerId=${ids.hoa}&trigger=${trigger}&format=text`);
      expect(res.status, res.text).toBe(200);
      expect(res.text).toContain('RW-PREVW-SAMPL');
      expect(res.text).toContain(`Your points and rewards: ${runtime.apiUrl}/l/${SHOP}?t=`);
    }
  });
});
