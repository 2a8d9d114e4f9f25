import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProfile, getTimelinePage } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { ledgerEntries } from '#shared/data/ledger-repo.ts';
import { profileOf } from '#shared/data/profile-item.ts';
import { getShop, putShopIfAbsent, type ShopRecord } from '#shared/data/shop-repo.ts';
import type { CanonicalEvent, EventCustomer } from '#shared/domain/event.ts';
import { createFeedbackToken } from '#shared/email/feedback-link.ts';
import { feedbackKey, unsubscribeKey } from '#shared/email/keys.ts';
import { createUnsubscribeToken } from '#shared/email/unsubscribe.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { type FeedbackDeps, feedbackPage, readFeedbackForm, submitFeedback } from '#shared/use-cases/submit-feedback.ts';
import { processDepsFor, startTestDb } from '#test/support/dynamo.ts';
import { aCustomer, aShop } from '#test/support/factories.ts';
import { apiRequest, type HttpFunction, lambdaContext, loadHttpFunction } from '#test/support/function-harness.ts';
import { profileView } from '#test/support/profile.ts';

/** GET|POST /feedback?token=… (DESIGN §3, §6) on the emulated table: the use case, and the handler once as API Gateway calls it. */

const MASTER_KEY = 'test-master-key-0123456789abcdef0123456789';
const NOW = new Date('2026-03-10T12:00:00.000Z');

let db: Db;
let endpoint: string;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ db, endpoint, stop } = await startTestDb());
});
afterAll(async () => stop());

/** Dependencies whose queue is a list the test reads. */
function depsWithQueue(now = NOW): FeedbackDeps & { queued: CanonicalEvent[] } {
  const queued: CanonicalEvent[] = [];
  return {
    db,
    masterKey: async () => MASTER_KEY,
    loadShop: (id) => getShop(db, id),
    enqueue: async (events) => {
      queued.push(...structuredClone(events));
    },
    now: () => now,
    queued,
  };
}

let shopN = 0;
async function newShop(overrides: Partial<ShopRecord> = {}) {
  const shopId = `feedback-${process.pid}-${shopN++}`;
  await putShopIfAbsent(db, aShop(shopId, overrides));
  return shopId;
}

let eventN = 0;
/** A customer as the shop's customer webhook would make one. */
async function newCustomer(shopId: string, overrides: Partial<EventCustomer> = {}) {
  const event: CanonicalEvent = {
    eventId: `evt-feedback-${eventN++}`,
    shopId,
    type: 'customer.upserted',
    occurredAt: '2026-03-01T00:00:00.000Z',
    source: 'shopify',
    customer: aCustomer({ updatedAt: '2026-03-01T00:00:00.000Z', ...overrides }),
  };
  const { customerId } = await processEvent(event, processDepsFor(db, NOW));
  return customerId as string;
}

const tokenFor = (shopId: string, customerId: string, orderId = 'shopify:5001', issuedAt = 1_773_000_000) =>
  createFeedbackToken({ shopId, customerId, orderId, issuedAt }, feedbackKey(MASTER_KEY));

const expectedEventId = (token: string) => `feedback:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;

const timelineOf = async (shopId: string, customerId: string) => (await getTimelinePage(db, shopId, customerId, 100)).items;

describe('GET: the question', () => {
  it('speaks Vietnamese to a vi-VN customer of an English shop, and records nothing', async () => {
    const shopId = await newShop({ locale: 'en-US' });
    const customerId = await newCustomer(shopId, { locale: 'vi-VN' });
    const token = tokenFor(shopId, customerId);
    const deps = depsWithQueue();
    const profileBefore = await getProfile(db, shopId, customerId, true);
    const timelineBefore = await timelineOf(shopId, customerId);

    const page = await feedbackPage(token, undefined, deps);

    expect(page).toMatchObject({ shopId, customerId, language: 'vi' });
    expect(page.html).toMatch(/^<!doctype html>\n<html lang="vi">/);
    expect(page.html).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');
    expect(page.html).toContain('Bạn có sẵn lòng giới thiệu Trà Việt với bạn bè không?');
    expect(page.html).toContain('Chắc chắn không');
    expect(page.html).toContain('(không bắt buộc)');
    expect(page.html).toContain('>Gửi đánh giá</button>');
    expect(page.html).toContain(`<form method="post" action="?token=${token}">`);
    expect(page.html).toContain(`<input type="hidden" name="token" value="${token}">`);
    for (let n = 0; n <= 10; n++) expect(page.html).toContain(`<input type="radio" name="score" value="${n}" required>`);
    expect(page.html).toContain('<textarea id="comment" name="comment" rows="4" maxlength="2000"></textarea>');
    // Self-contained: nothing loaded, nothing run.
    expect(page.html).not.toMatch(/<script|<link|src=|https?:\/\//);
    expect(page.html).not.toContain('example.com');

    expect(deps.queued).toEqual([]);
    expect(await getProfile(db, shopId, customerId, true)).toEqual(profileBefore);
    expect(await timelineOf(shopId, customerId)).toEqual(timelineBefore);
  });

  it('speaks English to an en customer of a Vietnamese shop, and escapes the shop name', async () => {
    const shopId = await newShop({ name: 'Tea & <Co>' });
    const customerId = await newCustomer(shopId, { locale: 'en' });

    const page = await feedbackPage(tokenFor(shopId, customerId), undefined, depsWithQueue());

    expect(page.language).toBe('en');
    expect(page.html).toContain('<html lang="en">');
    expect(page.html).toContain('How likely are you to recommend Tea &amp; &lt;Co&gt; to a friend?');
    expect(page.html).toContain('Not at all likely');
    expect(page.html).toContain('>Send</button>');
    expect(page.html).not.toContain('<Co>');
  });

  it("falls back to the shop's language for a customer without one", async () => {
    const shopId = await newShop({ locale: 'vi-VN' });
    const customerId = await newCustomer(shopId);
    expect((await feedbackPage(tokenFor(shopId, customerId), undefined, depsWithQueue())).language).toBe('vi');
  });

  it('pre-selects a score from the link, and only a valid one', async () => {
    const shopId = await newShop();
    const customerId = await newCustomer(shopId);
    const token = tokenFor(shopId, customerId);
    const deps = depsWithQueue();

    const seven = (await feedbackPage(token, '7', deps)).html;
    expect(seven).toContain('<input type="radio" name="score" value="7" required checked>');
    expect(seven.match(/ checked>/g)).toHaveLength(1);
    for (const score of ['11', '-1', '7.5', 'abc', '']) {
      expect((await feedbackPage(token, score, deps)).html).not.toContain(' checked');
    }
    expect(deps.queued).toEqual([]);
  });
});

describe('POST: the answer', () => {
  it('enqueues exactly one feedback event, which puts the NPS on the profile and the comment on the timeline', async () => {
    const shopId = await newShop();
    const customerId = await newCustomer(shopId, { locale: 'vi-VN' });
    const token = tokenFor(shopId, customerId, 'shopify:5001');
    const deps = depsWithQueue();
    const form = readFeedbackForm(
      Buffer.from(`score=9&comment=${encodeURIComponent('  Trà rất ngon, giao hàng nhanh!  ')}`),
      'application/x-www-form-urlencoded',
    );

    const result = await submitFeedback(token, form.answer, deps);

    const expected: CanonicalEvent = {
      eventId: expectedEventId(token),
      shopId,
      type: 'feedback.submitted',
      occurredAt: NOW.toISOString(),
      source: 'api',
      customer: { customerId },
      interaction: {
        channel: 'email',
        nps: 9,
        comment: 'Trà rất ngon, giao hàng nhanh!',
        summary: 'order:shopify:5001',
        activity: 'survey',
        reference: 'order:shopify:5001',
      },
    };
    expect(deps.queued).toEqual([expected]);
    expect(result).toMatchObject({ shopId, customerId, language: 'vi', event: expected });
    expect(result.html).toContain('<html lang="vi">');
    expect(result.html).toContain('Cảm ơn bạn đã góp ý');
    expect(result.html).not.toContain('Trà rất ngon');

    // Nothing is written until the processor takes the event off the queue.
    expect(profileView((await getProfile(db, shopId, customerId, true))!, 'VND').feedback.nps).toBeNull();
    expect(await processEvent(deps.queued[0]!, processDepsFor(db, NOW))).toEqual({ customerId, outcome: 'applied' });
    const view = profileView((await getProfile(db, shopId, customerId, true))!, 'VND');
    expect(view.feedback.nps).toBe(9);
    expect(await timelineOf(shopId, customerId)).toContainEqual(
      expect.objectContaining({
        type: 'feedback',
        channel: 'email',
        nps: 9,
        comment: 'Trà rất ngon, giao hàng nhanh!',
        summary: 'order:shopify:5001',
        entryId: expected.eventId,
      }),
    );
  });

  it('takes a JSON body, with no comment, and thanks in English', async () => {
    const shopId = await newShop();
    const customerId = await newCustomer(shopId, { locale: 'en-GB' });
    const deps = depsWithQueue();
    const form = readFeedbackForm(Buffer.from(JSON.stringify({ score: 0 })), 'application/json; charset=utf-8');

    const result = await submitFeedback(tokenFor(shopId, customerId), form.answer, deps);

    expect(deps.queued).toHaveLength(1);
    expect(deps.queued[0]?.interaction).toEqual({
      channel: 'email',
      nps: 0,
      summary: 'order:shopify:5001',
      activity: 'survey',
      reference: 'order:shopify:5001',
    });
    expect(result.html).toContain('Thank you for your feedback');
  });

  it('gives one link one eventId however often it is sent, and another link another', async () => {
    const shopId = await newShop();
    const customerId = await newCustomer(shopId);
    const token = tokenFor(shopId, customerId);
    const deps = depsWithQueue();

    await submitFeedback(token, { score: '8' }, deps);
    const again = depsWithQueue();
    await submitFeedback(token, { score: 8 }, again);
    const later = depsWithQueue(new Date(NOW.getTime() + 60_000));
    await submitFeedback(token, { score: '3', comment: 'changed my mind' }, later);
    const other = depsWithQueue();
    await submitFeedback(tokenFor(shopId, customerId, 'shopify:5002'), { score: 8 }, other);

    expect(deps.queued[0]?.eventId).toBe(expectedEventId(token));
    expect(again.queued).toEqual(deps.queued);
    expect(later.queued[0]?.eventId).toBe(deps.queued[0]?.eventId);
    expect(other.queued[0]?.eventId).not.toBe(deps.queued[0]?.eventId);
  });

  it('counts a comment as typed: CRLF line breaks are one character, blank is none, over 2000 is refused', async () => {
    const shopId = await newShop();
    const customerId = await newCustomer(shopId);
    const token = tokenFor(shopId, customerId);
    const deps = depsWithQueue();

    const lines = Array.from({ length: 100 }, () => 'x'.repeat(19)).join('\r\n');
    await submitFeedback(token, { score: '6', comment: lines }, deps);
    expect(deps.queued[0]?.interaction?.comment).toHaveLength(1999);
    await submitFeedback(token, { score: '6', comment: ' \r\n ' }, deps);
    expect(deps.queued[1]?.interaction).not.toHaveProperty('comment');
    await expect(submitFeedback(token, { score: '6', comment: 'x'.repeat(2001) }, deps)).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'comment',
    });
  });
});

describe('the answer counts as the survey activity', () => {
  /** The default program with a survey worth 30 points, at most twice a month. */
  const withSurvey = (active = true) => {
    const program = defaultProgram({ currency: 'VND', name: 'test' });
    program.activities = [...program.activities, { activity: 'survey', points: 30, limit: { count: 2, per: 'month' }, active }];
    return { ...processDepsFor(db, NOW), program: async () => program, timeZone: async () => 'Asia/Ho_Chi_Minh' };
  };
  const balanceOf = async (shopId: string, customerId: string) => profileOf((await getProfile(db, shopId, customerId, true))!).loyalty;

  it('awards survey once per link however often the form is sent or the event redelivered, within its limit', async () => {
    const shopId = await newShop();
    const customerId = await newCustomer(shopId);
    const token = tokenFor(shopId, customerId, 'shopify:5001');
    const deps = depsWithQueue();
    await submitFeedback(token, { score: '9' }, deps);
    await submitFeedback(token, { score: '4', comment: 'on second thoughts' }, deps);
    const processing = withSurvey();
    // Both sends, each delivered twice, and the second link's answer: one award per link.
    for (const event of [...deps.queued, ...deps.queued]) await processEvent(event, processing);
    expect(await balanceOf(shopId, customerId)).toMatchObject({ balance: 30, lifetime: 30 });
    await submitFeedback(tokenFor(shopId, customerId, 'shopify:5002'), { score: 10 }, deps);
    await processEvent(deps.queued.at(-1)!, processing);
    expect((await balanceOf(shopId, customerId)).balance).toBe(60);
    // Both entries are at the same instant, so the ledger's own order (by entry id) says nothing: compare by reference.
    const ledger = (await ledgerEntries(db, shopId, customerId))
      .filter((entry) => entry.kind === 'activity')
      .sort((a, b) => String(a.source.reference).localeCompare(String(b.source.reference)));
    expect(ledger.map((entry) => [entry.points, entry.source.activity, entry.source.reference])).toEqual([
      [30, 'survey', 'order:shopify:5001'],
      [30, 'survey', 'order:shopify:5002'],
    ]);
    expect(ledger[0]?.source.idempotencyKey).toBe(expectedEventId(token));

    // A third link this month passes the limit: the answer is logged all the same, the refusal beside it.
    const third = tokenFor(shopId, customerId, 'shopify:5003');
    await submitFeedback(third, { score: 7 }, deps);
    expect(await processEvent(deps.queued.at(-1)!, processing)).toEqual({ customerId, outcome: 'applied' });
    expect(await processEvent(deps.queued.at(-1)!, processing)).toEqual({ customerId, outcome: 'applied' });
    expect((await balanceOf(shopId, customerId)).balance).toBe(60);
    const timeline = await timelineOf(shopId, customerId);
    expect(timeline.filter((entry) => entry.type === 'activity')).toHaveLength(2);
    expect(timeline.filter((entry) => entry.type === 'activity_refused')).toEqual([
      expect.objectContaining({
        entryId: `activity-refused:${expectedEventId(third)}`,
        activity: 'survey',
        reference: 'order:shopify:5003',
        channel: 'email',
        reason: 'activity survey is limited to 2 per customer a month',
      }),
    ]);
    expect(timeline.filter((entry) => entry.type === 'feedback')).toHaveLength(3);
  });

  it('records why nothing was earned when the program has no active survey, and the NPS all the same', async () => {
    const shopId = await newShop();
    const customerId = await newCustomer(shopId);
    const deps = depsWithQueue();
    await submitFeedback(tokenFor(shopId, customerId, 'shopify:6001'), { score: '8' }, deps);
    await submitFeedback(tokenFor(shopId, customerId, 'shopify:6002'), { score: '6' }, deps);
    await processEvent(deps.queued[0]!, processDepsFor(db, NOW));
    await processEvent(deps.queued[1]!, withSurvey(false));
    expect((await balanceOf(shopId, customerId)).balance).toBe(0);
    expect(profileView((await getProfile(db, shopId, customerId, true))!, 'VND').feedback.nps).not.toBeNull();
    const reasons = (await timelineOf(shopId, customerId))
      .filter((entry) => entry.type === 'activity_refused')
      .map((entry) => entry.reason);
    expect(reasons.sort()).toEqual(['activity survey earns no points any more (not active)', 'activity survey is not in the program']);
  });
});

describe('bad input', () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['garbled', 'hello'],
    ['truncated', 'v1.abc'],
    ['an address instead', 'lan.nguyen@example.com'],
  ])('refuses a %s token with 400 naming token', async (_, token) => {
    const deps = depsWithQueue();
    await expect(feedbackPage(token, undefined, deps)).rejects.toMatchObject({ name: 'ValidationError', field: 'token' });
    await expect(submitFeedback(token, { score: '9' }, deps)).rejects.toMatchObject({ name: 'ValidationError', field: 'token' });
    expect(deps.queued).toEqual([]);
  });

  it('refuses a forged token, a changed payload and an unsubscribe token for the same customer', async () => {
    const shopId = await newShop();
    const customerId = await newCustomer(shopId);
    const forged = createFeedbackToken(
      { shopId, customerId, orderId: '1', issuedAt: 1 },
      feedbackKey('another-deployment-master-key-0123456789'),
    );
    const [version, , mac] = tokenFor(shopId, customerId).split('.');
    const changed = Buffer.from(JSON.stringify({ s: shopId, c: customerId, o: 'shopify:9999', t: 1_773_000_000 })).toString('base64url');
    const unsubscribe = createUnsubscribeToken({ shopId, customerId, issuedAt: 1 }, unsubscribeKey(MASTER_KEY));
    const deps = depsWithQueue();
    for (const token of [forged, `${version}.${changed}.${mac}`, unsubscribe]) {
      await expect(submitFeedback(token, { score: '10' }, deps)).rejects.toMatchObject({ name: 'ValidationError', field: 'token' });
      await expect(feedbackPage(token, undefined, deps)).rejects.toMatchObject({ name: 'ValidationError', field: 'token' });
    }
    expect(deps.queued).toEqual([]);
  });

  it.each([
    ['missing', {}],
    ['blank', { score: '' }],
    ['too high', { score: '11' }],
    ['negative', { score: '-1' }],
    ['a fraction', { score: '7.5' }],
    ['a word', { score: 'nine' }],
    ['a JSON number out of range', { score: 11 }],
    ['a JSON array', { score: [9] }],
  ])('refuses a score that is %s with 400 naming score', async (_, body) => {
    const shopId = await newShop();
    const customerId = await newCustomer(shopId);
    const deps = depsWithQueue();
    await expect(submitFeedback(tokenFor(shopId, customerId), body, deps)).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'score',
      message: 'score: a whole number from 0 to 10',
    });
    expect(deps.queued).toEqual([]);
  });

  it('answers 404 for a customer or shop that does not exist, and enqueues nothing', async () => {
    const shopId = await newShop();
    const deps = depsWithQueue();
    for (const token of [tokenFor(shopId, 'c_00000000000000000000'), tokenFor('no-such-shop', 'c_00000000000000000000')]) {
      await expect(submitFeedback(token, { score: '9' }, deps)).rejects.toMatchObject({ name: 'NotFoundError' });
      await expect(feedbackPage(token, undefined, deps)).rejects.toMatchObject({ name: 'NotFoundError' });
    }
    expect(deps.queued).toEqual([]);
  });

  it('reads only what a form or a JSON object can be', () => {
    expect(readFeedbackForm(Buffer.from('score=7&comment=hi&score=3&token=v1.a.b'), 'application/x-www-form-urlencoded')).toEqual({
      token: 'v1.a.b',
      answer: { score: '7', comment: 'hi' },
    });
    expect(readFeedbackForm(Buffer.from('\u0000%%%garbage'), undefined)).toMatchObject({ answer: expect.any(Object) });
    expect(() => readFeedbackForm(Buffer.from('{"score":'), 'application/json')).toThrow(expect.objectContaining({ field: 'body' }));
    expect(() => readFeedbackForm(Buffer.from('[9]'), 'application/json')).toThrow(expect.objectContaining({ field: 'body' }));
    expect(() => readFeedbackForm(Buffer.alloc(256 * 1024 + 1, 'a'), 'application/x-www-form-urlencoded')).toThrow(
      expect.objectContaining({ name: 'PayloadTooLargeError' }),
    );
  });
});

describe('the handler, as API Gateway calls it', () => {
  let handler: HttpFunction;
  let restore: () => void;

  beforeAll(async () => {
    ({ handler, restore } = await loadHttpFunction('#functions/feedback.ts', {
      TABLE_NAME: db.table,
      DYNAMODB_ENDPOINT: endpoint,
      RAPPORT_MASTER_KEY: MASTER_KEY,
      // No queue is listening: these requests never get as far as enqueueing.
      INTERACTIONS_QUEUE_URL: 'http://127.0.0.1:9/000000000000/rapport-interactions',
    }));
  });
  afterAll(() => restore());

  const context = lambdaContext('feedback');
  const request = (method: 'GET' | 'POST', query: Record<string, string>, body?: { text: string; contentType: string }) =>
    apiRequest(method, '/feedback', query, body, NOW);
  it('answers 400 naming token for a bad link, on GET and POST, never 5xx', async () => {
    const form = { text: 'score=9', contentType: 'application/x-www-form-urlencoded' };
    for (const [method, query] of [
      ['POST', { token: 'v1.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }],
      ['GET', { token: 'garbage' }],
      ['POST', {}],
    ] as const) {
      const answer = await handler(request(method, query, method === 'POST' ? form : undefined), context);
      expect(answer.statusCode).toBe(400);
      expect(JSON.parse(answer.body as string)).toMatchObject({ error: { code: 'invalid_request', field: 'token' } });
    }
  });

  it('serves the page on GET with headers that keep the token private', async () => {
    const shopId = await newShop();
    const customerId = await newCustomer(shopId, { locale: 'vi-VN' });

    const page = await handler(request('GET', { token: tokenFor(shopId, customerId), score: '10' }), context);

    expect(page.statusCode).toBe(200);
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    expect(page.headers?.['content-security-policy']).toMatch(/default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; form-action 'self'/);
    const style = /<style>([^<]*)<\/style>/.exec(page.body as string)?.[1] ?? '';
    expect(page.headers?.['content-security-policy']).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(page.body).toContain('lang="vi"');
    expect(page.body).toContain('value="10" required checked');
  });
});
