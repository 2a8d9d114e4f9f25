import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import type { Db } from '#shared/data/db.ts';
import { ledgerEntries } from '#shared/data/ledger-repo.ts';
import { createLoyaltyToken, loyaltyKey } from '#shared/email/loyalty-link.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { orderEvent } from '#test/support/factories.ts';
import { apiGet, createShopOverHttp, lookup, postGeneric, startTestRuntime } from '#test/support/local-api.ts';
import { type RawResponse, send } from '#test/support/senders.ts';

/**
 * Points for activities over HTTP, POST /v1/customers/{id}/activities: the program's activities
 * award their points (balance and lifetime), a ledger entry and a timeline entry, once per
 * Idempotency-Key, never past an activity's limit under concurrent requests, only for the tiers
 * allowed; anything else is a 409 saying why, bad input a 400 naming the field.
 */

const SHOP = 'activity-shop';
const SECRET = 'activity-shop-generic-secret-01';

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let apiKey: string;
let customerId: string;

beforeAll(async () => {
  ({ runtime, db, stop } = await startTestRuntime());
  apiKey = await createShopOverHttp(runtime, {
    shopId: SHOP,
    currency: 'VND',
    locale: 'vi-VN',
    timezone: 'Asia/Ho_Chi_Minh',
    secrets: { generic: SECRET },
  });
  // 500,000 ₫ at the default 1 point per 10,000 ₫ = 50 points, plus the 50-point first-order bonus.
  const posted = await postGeneric(runtime, SHOP, SECRET, orderEvent(SHOP, { total: 500_000, lineItems: [] }));
  expect(posted.status).toBe(202);
  await runtime.idle();
  const found = await lookup(runtime, apiKey, 'externalId', 'generic:1001');
  customerId = found.customerId;
  expect(found.points.balance).toBe(100);
});
afterAll(async () => stop?.());

const auth = () => ({ authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' });

const award = (body: unknown, key: string | undefined, id = customerId): Promise<RawResponse> =>
  send(`${runtime.apiUrl}/v1/customers/${id}/activities`, {
    headers: { ...auth(), ...(key === undefined ? {} : { 'idempotency-key': key }) },
    body: JSON.stringify(body),
  });

const points = async () =>
  (await apiGet(runtime, apiKey, `/v1/customers/${customerId}`)).json.points as { balance: number; lifetime: number };

it("awards a new shop's default activity once ever: balance, lifetime, ledger and timeline, the same answer to a repeat", async () => {
  const { program } = (await apiGet(runtime, apiKey, '/v1/program')).json as { program: Program };
  expect(program.activities).toEqual([
    { activity: 'signup', points: 50, limit: { count: 1, per: 'ever' }, active: true },
    { activity: 'review', points: 20, limit: { count: 5, per: 'month' }, active: true },
    { activity: 'birthday_set', points: 20, limit: { count: 1, per: 'ever' }, active: true },
  ]);

  const res = await award({ activity: 'signup', reference: 'newsletter-form' }, 'signup-0001');
  expect(res.status).toBe(201);
  expect(res.json).toEqual({
    entry: {
      entryId: 'activity:signup-0001',
      kind: 'activity',
      points: 50,
      at: expect.any(String),
      source: { idempotencyKey: 'signup-0001', activity: 'signup', reference: 'newsletter-form' },
      balanceAfter: 150,
    },
    balance: 150,
  });
  // The program awards these points: they count toward lifetime points, as an order's do.
  expect(await points()).toEqual({ balance: 150, lifetime: 150 });
  const timeline = await apiGet(runtime, apiKey, `/v1/customers/${customerId}/timeline?limit=1`);
  expect(timeline.json.items[0]).toMatchObject({
    type: 'activity',
    activity: 'signup',
    reference: 'newsletter-form',
    points: 50,
    balanceAfter: 150,
  });
  const ledger = await apiGet(runtime, apiKey, `/v1/customers/${customerId}/ledger?limit=1`);
  expect(ledger.json.items[0]).toMatchObject({ kind: 'activity', points: 50 });

  const again = await award({ activity: 'signup', reference: 'newsletter-form' }, 'signup-0001');
  expect(again.status).toBe(201);
  expect(again.json).toEqual(res.json);
  const twice = await award({ activity: 'signup' }, 'signup-0002');
  expect(twice.status).toBe(409);
  expect(twice.json.error.message).toBe('activity signup is limited to 1 per customer ever');
  expect(await points()).toEqual({ balance: 150, lifetime: 150 });
});

it("saves the shop's activities, validated naming the field; of 10 concurrent awards limited to 3 a month, exactly 3 earn", async () => {
  const current = (await apiGet(runtime, apiKey, '/v1/program')).json as { version: number; program: Program };
  const put = (program: unknown) =>
    send(`${runtime.apiUrl}/v1/program`, { method: 'PUT', headers: auth(), body: JSON.stringify({ version: current.version, program }) });
  const program = structuredClone(current.program);
  program.activities = [
    { activity: 'review', points: 20, limit: { count: 3, per: 'month' }, active: true },
    { activity: 'survey', points: 30, active: false },
    { activity: 'custom:vip-event', points: 100, tiers: ['gold'], active: true, name: { en: 'VIP evening', vi: 'Đêm VIP' } },
    { activity: 'custom:review', points: 5, active: true },
  ];
  const twice = await put({ ...program, activities: [...program.activities, { activity: 'review', points: 1, active: true }] });
  expect(twice.status).toBe(400);
  expect(twice.json.error.field).toBe('program.activities[4].activity');
  const noTier = await put({ ...program, activities: [{ activity: 'signup', points: 1, tiers: ['platinum'], active: true }] });
  expect(noTier.json.error.field).toBe('program.activities[0].tiers[0]');
  const badId = await put({ ...program, activities: [{ activity: 'custom:Không', points: 1, active: true }] });
  expect(badId.json.error.field).toBe('program.activities[0].activity');
  const saved = await put(program);
  expect(saved.status, saved.text).toBe(200);

  const answers = await Promise.all(
    Array.from({ length: 10 }, (_, i) => award({ activity: 'review', reference: `review-${i}` }, `review-at-once-${i}`)),
  );
  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(3);
  expect(statuses.filter((s) => s === 409)).toHaveLength(7);
  const refused = answers.find((a) => a.status === 409) as RawResponse;
  expect(refused.json.error.message).toBe('activity review is limited to 3 per customer a month');
  expect(await points()).toEqual({ balance: 210, lifetime: 210 });
  const ledger = await ledgerEntries(db, SHOP, customerId);
  expect(ledger.filter((e) => e.kind === 'activity')).toHaveLength(4);
  expect(ledger.reduce((sum, e) => sum + e.points, 0)).toBe(210);
  // A custom activity is its own: it shares no limit with the built-in one of a similar name.
  expect((await award({ activity: 'custom:review' }, 'custom-review-0001')).json.balance).toBe(215);
});

it('refuses with 409 saying why: not in the program, not active, not for the customer’s tier', async () => {
  const refusal = async (activity: string, key: string, message: string) => {
    const res = await award({ activity }, key);
    expect(res.status).toBe(409);
    expect(res.json.error.message).toBe(message);
  };
  await refusal('social_follow', 'refused-0001', 'activity social_follow is not in the program');
  await refusal('survey', 'refused-0002', 'activity survey earns no points any more (not active)');
  await refusal('custom:vip-event', 'refused-0003', 'activity custom:vip-event is for the tiers gold; this customer is member');
  expect((await points()).balance).toBe(215);
});

it('tells the customer what each activity earned in their storefront history, in their language', async () => {
  const token = createLoyaltyToken(
    { shopId: SHOP, customerId, issuedAt: Math.floor(Date.now() / 1000) },
    loyaltyKey(process.env.RAPPORT_MASTER_KEY as string),
  );
  const res = await send(`${runtime.apiUrl}/v1/storefront/me`, {
    method: 'GET',
    headers: { 'X-Rapport-Shop': SHOP, 'X-Rapport-Link': token },
  });
  expect(res.status, res.text).toBe(200);
  const history = res.json.customer.history as Array<{ kind: string; points: number; description: string }>;
  const activities = history.filter((entry) => entry.kind === 'activity');
  expect(activities.map((entry) => entry.description).sort()).toEqual([
    'Viết đánh giá',
    'Viết đánh giá',
    'Viết đánh giá',
    'Điểm thưởng',
    'Đăng ký thành viên',
  ]);
  // The shop's reference stays with the shop.
  expect(res.text).not.toContain('newsletter-form');
});

it('answers bad input with 400 naming the field, an unknown customer 404', async () => {
  const field = async (res: Promise<RawResponse>, name: string) => {
    const answer = await res;
    expect(answer.status, answer.text).toBe(400);
    expect(answer.json.error.field).toBe(name);
  };
  await field(award({}, 'bad-0001'), 'activity');
  await field(award({ activity: 'dance' }, 'bad-0002'), 'activity');
  await field(award({ activity: 'custom:' }, 'bad-0003'), 'activity');
  await field(award({ activity: 7 }, 'bad-0004'), 'activity');
  await field(award({ activity: 'review', reference: 'x'.repeat(201) }, 'bad-0005'), 'reference');
  await field(award({ activity: 'review', reference: '  ' }, 'bad-0006'), 'reference');
  await field(award({ activity: 'review', reference: 12 }, 'bad-0007'), 'reference');
  await field(award({ activity: 'review' }, undefined), 'Idempotency-Key');
  await field(award({ activity: 'review' }, 'short'), 'Idempotency-Key');
  await field(award({ activity: 'review' }, 'bad-0008', 'c_nope'), 'customerId');
  expect((await award({ activity: 'review' }, 'bad-0009', 'c_00000000000000000000')).status).toBe(404);
  expect((await points()).balance).toBe(215);
});

it('awards an activity an interaction carries, once per interaction; a refused one leaves the interaction logged with the reason', async () => {
  const interact = (body: Record<string, unknown>, key: string) =>
    send(`${runtime.apiUrl}/v1/interactions`, {
      headers: { ...auth(), 'idempotency-key': key },
      body: JSON.stringify({ customer: { customerId }, channel: 'phone', ...body }),
    });
  const call = { summary: 'Called to thank us for the tea', activity: 'custom:review', reference: 'call-17' };
  expect((await interact(call, 'call-0001')).status).toBe(202);
  await runtime.idle();
  expect((await points()).balance).toBe(220);
  // The same call again (a client's retry): the same interaction, nothing more earned.
  expect((await interact(call, 'call-0001')).status).toBe(202);
  await runtime.idle();
  expect((await points()).balance).toBe(220);
  const earned = (await ledgerEntries(db, SHOP, customerId)).filter((entry) => entry.source.activity === 'custom:review');
  expect(earned.map((entry) => entry.source.idempotencyKey)).toEqual(['custom-review-0001', 'api:call-0001']);

  // review is at its limit this month: the interaction is logged, the refusal on the timeline beside it.
  expect((await interact({ summary: 'Wrote a review by phone', activity: 'review' }, 'call-0002')).status).toBe(202);
  await runtime.idle();
  expect((await points()).balance).toBe(220);
  const { items } = (await apiGet(runtime, apiKey, `/v1/customers/${customerId}/timeline?limit=20`)).json as {
    items: Array<Record<string, unknown>>;
  };
  expect(items.filter((entry) => entry.summary === 'Wrote a review by phone')).toEqual([
    expect.objectContaining({ type: 'interaction', channel: 'phone', activity: 'review' }),
  ]);
  expect(items.filter((entry) => entry.type === 'activity_refused')).toEqual([
    expect.objectContaining({ activity: 'review', channel: 'phone', reason: 'activity review is limited to 3 per customer a month' }),
  ]);
  expect(items.filter((entry) => entry.type === 'activity' && entry.activity === 'custom:review')).toHaveLength(2);

  const bad = await interact({ activity: 'dance' }, 'call-0003');
  expect(bad.status).toBe(400);
  expect(bad.json.error.field).toBe('activity');
  const orphan = await interact({ reference: 'call-18' }, 'call-0004');
  expect(orphan.status).toBe(400);
  expect(orphan.json.error.field).toBe('reference');
});
