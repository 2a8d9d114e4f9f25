import { SESClient } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorCredentials, emulatorRegion } from '#infra/local/emulators.ts';
import { getProfile, getTimelinePage } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { getRewardCode } from '#shared/data/reward-code-repo.ts';
import { putShopIfAbsent } from '#shared/data/shop-repo.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';
import { SEND_ID_HEADER } from '#shared/email/mime.ts';
import { sendId } from '#shared/email/rules.ts';
import { sendRawEmail } from '#shared/email/ses.ts';
import type { Flow } from '#shared/loyalty/flows.ts';
import { defaultProgram, type Program } from '#shared/loyalty/program.ts';
import { giftCode } from '#shared/use-cases/give-reward.ts';
import type { TriggerRecord } from '#shared/use-cases/loyalty-effects.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { type RunDeps, runToCompletion } from '#shared/use-cases/resegment.ts';
import { type SendEmailDeps, sendTriggerEmail } from '#shared/use-cases/send-email.ts';
import { processDepsFor, startTestDb } from '#test/support/dynamo.ts';
import { aShop, orderEvent } from '#test/support/factories.ts';
import { type CapturedMail, decodeWords, mimeHeader, startSesCapture } from '#test/support/ses-capture.ts';

/**
 * Acceptance: an entering-segment flow fires once per period per customer across repeated runs.
 * The scheduled run on the emulated table, run again and again across day, month and "N days"
 * boundaries while customers leave a rule segment (their country changes) and enter it again, and
 * reach a tier; every trigger the runs emit goes — twice, in reverse the second time — through the
 * real email stage to the SES emulator, whose captured MIME messages are counted by send id.
 */

let db: Db;
let stopDb: () => Promise<void>;
let ses: Awaited<ReturnType<typeof startSesCapture>>;
let sesClient: SESClient;
const SHOP = `flows-${process.pid}`;
const shop = aShop(SHOP, { brand: { address: '12 Hàng Bạc, Hoàn Kiếm, Hà Nội' } });
const CODE_KEY = Buffer.alloc(32, 9);

const base = defaultProgram({ currency: 'VND', name: 'Trà Việt' });
const flows: Flow[] = [
  {
    id: 'vn-monthly',
    name: 'Hello from Vietnam',
    segments: ['rule:in-vietnam'],
    delayDays: 0,
    rewardId: 'free-shipping',
    once: { every: 'month' },
    active: true,
    copy: 'flow',
    message: {
      format: 'liquid',
      subject: { vi: 'Chào {{ customer.first_name }} từ {{ shop.name }}', en: 'Hello {{ customer.first_name }} from {{ shop.name }}' },
      body: { vi: '<p>Mã của bạn: {{ reward.code }}</p>', en: '<p>Your code: {{ reward.code }}</p>' },
    },
  },
  {
    id: 'vn-once',
    name: 'First time in Vietnam',
    segments: ['rule:in-vietnam'],
    delayDays: 0,
    once: { every: 'ever' },
    active: true,
    copy: 'flow',
  },
  {
    id: 'vn-later',
    name: 'Three days later',
    segments: ['rule:in-vietnam'],
    delayDays: 3,
    once: { every: 'days', days: 10 },
    active: true,
    copy: 'flow',
  },
  { id: 'silver', name: 'Welcome to Silver', segments: ['tier:silver'], delayDays: 0, once: { every: 'year' }, active: true, copy: 'flow' },
];
const program: Program = {
  ...base,
  email: { ...base.email, maxMarketingPerWeek: 14 },
  analytics: {
    winBackPAliveBelow: 0.3,
    segments: [{ id: 'in-vietnam', name: 'In Vietnam', rule: { field: 'country', op: 'eq', value: 'VN' } }],
  },
  flows,
};

const ids: Record<'an' | 'binh' | 'chi' | 'dung', string> = { an: '', binh: '', chi: '', dung: '' };
let eventClock = Date.parse('2026-01-01T00:00:00.000Z');
/** What the processor sent to the email queue (welcome, tier_up, and flows on the tier an order reaches). */
const fromOrders: TriggerRecord[] = [];

/** The customer's country as of now (each change a later customer event, so it wins). */
async function moveTo(who: keyof typeof ids, country: string) {
  eventClock += 60_000;
  const at = new Date(eventClock).toISOString();
  const event: CanonicalEvent = {
    eventId: `move-${who}-${eventClock}`,
    shopId: SHOP,
    type: 'customer.upserted',
    occurredAt: at,
    source: 'generic',
    customer: { email: `${who}@example.com`, country },
  };
  await processEvent(event, { ...processDepsFor(db, new Date(at)), program: async () => program });
}

async function order(who: keyof typeof ids, n: number, day: string) {
  const at = `${day}T08:00:00.000Z`;
  const { customerId } = await processEvent(
    orderEvent(
      SHOP,
      { orderId: `${who}-${n}`, total: 300_000, createdAt: at, updatedAt: at },
      {
        email: `${who}@example.com`,
        firstName: who[0]?.toUpperCase() + who.slice(1),
        locale: 'vi-VN',
        acceptsEmailMarketing: who !== 'dung',
      },
    ),
    {
      ...processDepsFor(db, new Date(at)),
      program: async () => program,
      timeZone: async () => shop.timezone,
      triggers: async (batch) => void fromOrders.push(...batch),
    },
  );
  ids[who] = customerId as string;
}

function emailDeps(now: Date): SendEmailDeps {
  return {
    db,
    now: () => now,
    loadShop: async () => shop,
    program: async () => program,
    masterKey: async () => 'flows-test-master-key-0123456789abcdef0123',
    coPurchase: async () => undefined,
    sendRaw: (raw, tags) => sendRawEmail(sesClient, raw, { tags }),
    requeue: async () => {
      throw new Error('SES throttled the emulator');
    },
    publicUrl: 'https://loyalty.example.com',
  };
}

const emitted: TriggerRecord[] = [];

/** One scheduled run as of `at`, its emails delivered twice (the second time in reverse) to the email stage. */
async function runAt(at: string) {
  const now = new Date(at);
  const records: TriggerRecord[] = [];
  const deps: Omit<RunDeps, 'enqueue'> = {
    db,
    program: async () => program,
    timezone: async () => shop.timezone,
    now: () => now,
    triggers: async (batch) => void records.push(...batch),
    gifts: { codeKey: async () => CODE_KEY, platform: async () => undefined },
  };
  const run = await runToCompletion(shop, deps);
  expect(run.status).toBe('succeeded');
  for (const record of [...records, ...[...records].reverse()]) await sendTriggerEmail(record, emailDeps(now));
  emitted.push(...records);
  return records;
}

const mailsOf = (who: keyof typeof ids, key: string): CapturedMail[] =>
  ses.captured.filter((mail) => mimeHeader(mail.raw, SEND_ID_HEADER) === sendId(SHOP, ids[who], key));
/** The flow keys each customer has been mailed, sorted; every key exactly once. */
function mailedKeys(who: keyof typeof ids, keys: string[]) {
  return keys.filter((key) => mailsOf(who, key).length > 0);
}

beforeAll(async () => {
  ({ db, stop: stopDb } = await startTestDb());
  ses = await startSesCapture();
  sesClient = new SESClient({ endpoint: ses.url, region: emulatorRegion, credentials: emulatorCredentials, maxAttempts: 1 });
  await putShopIfAbsent(db, shop);
  // An, Bình and Dũng (who said no to marketing) live in Vietnam, Chi in the US; one order each.
  for (const who of ['an', 'binh', 'chi', 'dung'] as const) await order(who, 1, '2025-12-20');
  for (const who of ['an', 'binh', 'dung'] as const) await moveTo(who, 'VN');
  await moveTo('chi', 'US');
}, 120_000);
afterAll(async () => {
  sesClient?.destroy();
  await ses?.stop();
  await stopDb?.();
});

describe('flows on segment entry across repeated runs', () => {
  it('fire once per period per customer, at once or after their delay, as customers leave and re-enter', async () => {
    const allKeys = () => [...new Set(emitted.map((r) => r.key))].sort();

    // Jan 10: An, Bình and Dũng enter In Vietnam: the monthly and the once-ever flows fire, the delayed one is due on the 13th.
    const first = await runAt('2026-01-10T05:00:00.000Z');
    expect(first.map((r) => `${r.customerId === ids.an ? 'an' : r.customerId === ids.binh ? 'binh' : 'dung'} ${r.key}`).sort()).toEqual([
      'an flow:vn-monthly:2026-01',
      'an flow:vn-once:ever',
      'binh flow:vn-monthly:2026-01',
      'binh flow:vn-once:ever',
      'dung flow:vn-monthly:2026-01',
      'dung flow:vn-once:ever',
    ]);
    expect((await getProfile(db, SHOP, ids.an, true))?.fl).toEqual({
      'vn-monthly': { l: '2026-01-10' },
      'vn-once': { l: '2026-01-10' },
      'vn-later': { d: '2026-01-13' },
    });

    // The same day again, and the next day: nobody entered anything, nothing fires.
    expect(await runAt('2026-01-10T09:00:00.000Z')).toEqual([]);
    expect(await runAt('2026-01-11T05:00:00.000Z')).toEqual([]);

    // Bình leaves before the delayed flow is due: it is dropped for him; An still gets it on the first run after the 13th.
    await moveTo('binh', 'US');
    const third = await runAt('2026-01-14T05:00:00.000Z');
    expect(third.map((r) => [r.customerId, r.key]).sort()).toEqual(
      [
        [ids.an, 'flow:vn-later:2026-01-14'],
        [ids.dung, 'flow:vn-later:2026-01-14'],
      ].sort(),
    );

    // An leaves and comes back within January; Bình comes back too: the monthly flow has had its January,
    // the once-ever flow its one time; the delayed flow is due again on the 28th (10 days after An's last).
    await moveTo('an', 'US');
    expect(await runAt('2026-01-20T05:00:00.000Z')).toEqual([]);
    await moveTo('an', 'VN');
    await moveTo('binh', 'VN');
    expect(await runAt('2026-01-25T05:00:00.000Z')).toEqual([]);
    expect((await getProfile(db, SHOP, ids.an, true))?.fl).toMatchObject({ 'vn-later': { l: '2026-01-14', d: '2026-01-28' } });

    // February 2nd: both delayed sends go out (past their due day, both still in Vietnam); no new month's entry yet.
    const feb = await runAt('2026-02-02T05:00:00.000Z');
    expect(feb.map((r) => [r.customerId, r.key]).sort()).toEqual(
      [
        [ids.an, 'flow:vn-later:2026-02-02'],
        [ids.binh, 'flow:vn-later:2026-02-02'],
      ].sort(),
    );

    // An leaves and re-enters in February: a new month, so the monthly flow fires again — once, however often it runs.
    await moveTo('an', 'US');
    await runAt('2026-02-05T05:00:00.000Z');
    await moveTo('an', 'VN');
    const back = await runAt('2026-02-10T05:00:00.000Z');
    expect(back.map((r) => r.key)).toEqual(['flow:vn-monthly:2026-02']);
    expect(await runAt('2026-02-10T10:00:00.000Z')).toEqual([]);
    // ...and its delayed flow waits: 02-13 is 11 days after its last (02-02), so it is due then.
    const due = await runAt('2026-02-13T05:00:00.000Z');
    expect(due.map((r) => [r.customerId, r.key])).toEqual([[ids.an, 'flow:vn-later:2026-02-13']]);

    // Chi reaches Silver (3 orders in a year): the tier's flow fires with the order that reaches it (the
    // processor), dated that day; the next run makes the same trigger (same key and instant), which the
    // email stage sends no second time; later runs none.
    await order('chi', 2, '2026-02-14');
    await order('chi', 3, '2026-02-15');
    const withOrder = fromOrders.filter((r) => r.data.flowId !== undefined);
    expect(withOrder.map((r) => [r.customerId, r.key, r.at])).toEqual([[ids.chi, 'flow:silver:2026', '2026-02-15T08:00:00.000Z']]);
    for (const record of withOrder) await sendTriggerEmail(record, emailDeps(new Date('2026-02-15T08:00:05.000Z')));
    expect(mailsOf('chi', 'flow:silver:2026')).toHaveLength(1);
    const silver = await runAt('2026-02-16T05:00:00.000Z');
    expect(silver.map((r) => [r.customerId, r.key, r.at])).toEqual([[ids.chi, 'flow:silver:2026', '2026-02-15T08:00:00.000Z']]);
    expect(await runAt('2026-02-17T05:00:00.000Z')).toEqual([]);

    // Every key emitted was mailed exactly once to each consenting customer it was emitted for — though
    // each record reached the email stage twice — and nothing to Dũng, who said no to marketing.
    const expected: Record<keyof typeof ids, string[]> = {
      an: [
        'flow:vn-later:2026-01-14',
        'flow:vn-later:2026-02-02',
        'flow:vn-later:2026-02-13',
        'flow:vn-monthly:2026-01',
        'flow:vn-monthly:2026-02',
        'flow:vn-once:ever',
      ],
      binh: ['flow:vn-later:2026-02-02', 'flow:vn-monthly:2026-01', 'flow:vn-once:ever'],
      chi: ['flow:silver:2026'],
      dung: [],
    };
    for (const who of Object.keys(expected) as Array<keyof typeof ids>) {
      expect(mailedKeys(who, allKeys()), who).toEqual(expected[who]);
      for (const key of expected[who]) expect(mailsOf(who, key), `${who} ${key}`).toHaveLength(1);
    }
    expect(ses.captured).toHaveLength(Object.values(expected).flat().length);

    // Dũng's emails were skipped as he said no to marketing, each recorded once on his timeline with its reason.
    const skipped = (await getTimelinePage(db, SHOP, ids.dung, 200)).items.filter((e) => e.type === 'email');
    expect(skipped.map((e) => [e.key, e.status, e.reason]).sort()).toEqual([
      ['flow:vn-later:2026-01-14', 'skipped', 'unsubscribed'],
      ['flow:vn-monthly:2026-01', 'skipped', 'unsubscribed'],
      ['flow:vn-once:ever', 'skipped', 'unsubscribed'],
    ]);

    // The monthly flow's email is the shop's own copy, in Vietnamese, with its reward's real code (derived from the key).
    const january = mailsOf('an', 'flow:vn-monthly:2026-01')[0]?.raw ?? '';
    expect(decodeWords(mimeHeader(january, 'Subject') ?? '')).toBe('Chào An từ Trà Việt');
    const code = giftCode(CODE_KEY, ids.an, 'flow:vn-monthly:2026-01');
    expect(january).toContain(code);
    expect(await getRewardCode(db, SHOP, code, true)).toMatchObject({
      rewardId: 'free-shipping',
      points: 0,
      gift: 'flow:vn-monthly:2026-01',
    });
    // Each firing is on the customer's timeline once, as a trigger entry with the flow's id.
    const timeline = (await getTimelinePage(db, SHOP, ids.an, 200)).items.filter((e) => e.type === 'trigger' && e.flowId !== undefined);
    expect(timeline.map((e) => e.key).sort()).toEqual(expected.an);

    // An reaches Silver with this morning's orders and the run comes the same (local) day: it makes the
    // processor's trigger — the same key, dated at the instant of the order — so the firing is one
    // entry on the timeline, not one per instant, and one email.
    await order('an', 2, '2026-02-18');
    await order('an', 3, '2026-02-18');
    const anSilver = fromOrders.filter((r) => r.customerId === ids.an && r.data.flowId === 'silver');
    expect(anSilver.map((r) => [r.key, r.at])).toEqual([['flow:silver:2026', '2026-02-18T08:00:00.000Z']]);
    for (const record of anSilver) await sendTriggerEmail(record, emailDeps(new Date('2026-02-18T08:00:05.000Z')));
    const sameDay = await runAt('2026-02-18T10:00:00.000Z');
    expect(sameDay.map((r) => [r.customerId, r.key, r.at])).toEqual([[ids.an, 'flow:silver:2026', '2026-02-18T08:00:00.000Z']]);
    const silverEntries = (await getTimelinePage(db, SHOP, ids.an, 200)).items.filter(
      (e) => e.type === 'trigger' && e.key === 'flow:silver:2026',
    );
    expect(silverEntries).toHaveLength(1);
    expect(mailsOf('an', 'flow:silver:2026')).toHaveLength(1);
  });
});
