import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import type { Db } from '#shared/data/db.ts';
import { ledgerEntries } from '#shared/data/ledger-repo.ts';
import { getRewardCode } from '#shared/data/reward-code-repo.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { orderEvent } from '#test/support/factories.ts';
import { apiGet, createShopOverHttp, lookup, postGeneric, startTestRuntime } from '#test/support/local-api.ts';
import { type RawResponse, send } from '#test/support/senders.ts';

/**
 * The rewards catalog over HTTP, POST /v1/customers/{id}/rewards/{rewardId}/redeem: a new shop's
 * default catalog, exactly as many codes as the points buy under concurrent requests, a repeated
 * Idempotency-Key answered with the first code, the per-customer limit under concurrent requests,
 * tiers, steps, and every bad input a 4xx naming its field.
 */

const SHOP = 'rewards-shop';
const SECRET = 'rewards-shop-generic-secret-01';

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let apiKey: string;
let customerId: string;

const auth = () => ({ authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' });

beforeAll(async () => {
  ({ runtime, db, stop } = await startTestRuntime());
  apiKey = await createShopOverHttp(runtime, {
    shopId: SHOP,
    currency: 'VND',
    locale: 'vi-VN',
    timezone: 'Asia/Ho_Chi_Minh',
    secrets: { generic: SECRET },
  });
  // 500,000 ₫ at 1 point per 10,000 ₫ = 50 points, plus the 50-point first-order bonus: 100.
  const posted = await postGeneric(runtime, SHOP, SECRET, orderEvent(SHOP, { total: 500_000, lineItems: [] }));
  expect(posted.status).toBe(202);
  await runtime.idle();
  customerId = (await lookup(runtime, apiKey, 'externalId', 'generic:1001')).customerId;
});
afterAll(async () => stop?.());

const redeem = (rewardId: string, key: string | undefined, body: unknown = {}): Promise<RawResponse> =>
  send(`${runtime.apiUrl}/v1/customers/${customerId}/rewards/${rewardId}/redeem`, {
    headers: { ...auth(), ...(key === undefined ? {} : { 'idempotency-key': key }) },
    body: JSON.stringify(body),
  });

const balance = async () => (await apiGet(runtime, apiKey, `/v1/customers/${customerId}`)).json.points.balance as number;

it("gives a new shop a catalog to spend points on: money off at the program's point value, and free shipping", async () => {
  const { program } = (await apiGet(runtime, apiKey, '/v1/program')).json as { program: Program };
  expect(program.rewards).toEqual([
    expect.objectContaining({ id: 'amount-off', value: { kind: 'amount_off', amount: 50_000 }, cost: { kind: 'fixed', points: 500 } }),
    expect.objectContaining({ id: 'free-shipping', value: { kind: 'free_shipping' }, cost: { kind: 'fixed', points: 300 } }),
    // The win-back email's offer: given, not sold.
    expect.objectContaining({ id: 'win-back', value: { kind: 'percent_off', percent: 10 }, validityDays: 14, active: false }),
  ]);
  expect(program.offers).toEqual({ winBack: 'win-back' });
  expect(program.tiers.levels.find((level) => level.id === 'gold')?.perks).toEqual([{ rewardId: 'free-shipping', every: 'month' }]);
  // 100 points buy neither.
  const refused = await redeem('free-shipping', 'free-ship-0001');
  expect(refused.status).toBe(409);
  expect(refused.json.error.message).toMatch(/^not enough points: 300 needed, 100 spendable/);
});

it('saves a catalog the API validates, naming the field', async () => {
  const current = (await apiGet(runtime, apiKey, '/v1/program')).json as { version: number; program: Program };
  const put = (program: unknown, version = current.version) =>
    send(`${runtime.apiUrl}/v1/program`, { method: 'PUT', headers: auth(), body: JSON.stringify({ version, program }) });
  const bad = structuredClone(current.program) as Program;
  bad.rewards = [{ ...bad.rewards[0]!, cost: { kind: 'per', points: 5, minSteps: 1, maxSteps: 3 }, value: { kind: 'free_shipping' } }];
  const refused = await put(bad);
  expect(refused.status).toBe(400);
  expect(refused.json.error.field).toBe('program.rewards[0].cost.kind');

  const program = structuredClone(current.program) as Program;
  program.rewards = [
    {
      id: 'ten',
      name: { en: 'Ten', vi: 'Mười' },
      value: { kind: 'amount_off', amount: 1_000 },
      cost: { kind: 'fixed', points: 10 },
      validityDays: 7,
      active: true,
    },
    {
      id: 'limited',
      name: { en: 'Twice a month' },
      value: { kind: 'percent_off', percent: 10, maxAmount: 50_000 },
      cost: { kind: 'fixed', points: 1 },
      limit: { count: 2, per: 'month' },
      validityDays: 30,
      active: true,
    },
    {
      id: 'gold-only',
      name: { en: 'Gold' },
      value: { kind: 'free_shipping' },
      cost: { kind: 'fixed', points: 1 },
      tiers: ['gold'],
      validityDays: 30,
      active: true,
    },
    {
      id: 'by-step',
      name: { en: 'By the step' },
      value: { kind: 'amount_off', amount: 500 },
      cost: { kind: 'per', points: 5, minSteps: 1, maxSteps: 4 },
      minOrder: 100_000,
      validityDays: 14,
      active: true,
    },
    {
      id: 'retired',
      name: { en: 'Retired' },
      value: { kind: 'free_shipping' },
      cost: { kind: 'fixed', points: 1 },
      validityDays: 30,
      active: false,
    },
  ];
  // The offer and the perk name rewards this catalog drops: refused, naming each field, until they go too.
  const dangling = await put(program);
  expect(dangling.status).toBe(400);
  expect(dangling.json.error.field).toBe('program.offers.winBack');
  program.offers = {};
  const perk = await put(program);
  expect(perk.json.error.field).toBe('program.tiers.levels[2].perks[0].rewardId');
  for (const level of program.tiers.levels) delete level.perks;
  const flow = await put(program);
  expect(flow.json.error.field).toBe('program.flows[0].rewardId');
  for (const entry of program.flows ?? []) delete entry.rewardId;
  const saved = await put(program);
  expect(saved.status, saved.text).toBe(200);
});

it('of 20 concurrent redemptions of a 10-point reward against 100 points, exactly 10 get a code; the ledger sums to 0', async () => {
  expect(await balance()).toBe(100);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => redeem('ten', `ten-at-once-${String(i).padStart(2, '0')}`)));
  const ok = answers.filter((a) => a.status === 201);
  expect(ok).toHaveLength(10);
  expect(answers.filter((a) => a.status === 409)).toHaveLength(10);
  expect(await balance()).toBe(0);
  const codes = ok.map((a) => a.json.reward.code as string);
  expect(new Set(codes).size).toBe(10);
  for (const answer of ok) {
    expect(answer.json.reward).toMatchObject({
      rewardId: 'ten',
      value: { kind: 'amount_off', amount: 1_000 },
      currency: 'VND',
      points: 10,
      status: 'issued',
    });
    expect(answer.json.reward.code).toMatch(/^RW-[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    expect(Date.parse(answer.json.reward.expiresAt) - Date.parse(answer.json.reward.issuedAt)).toBe(7 * 86_400_000);
    expect(answer.json.entry).toMatchObject({ kind: 'redeem', points: -10, source: { rewardId: 'ten', code: answer.json.reward.code } });
  }
  const stored = await getRewardCode(db, SHOP, codes[0]!, true);
  expect(stored).toMatchObject({ customerId, status: 'issued', platform: 'generic' });
  const ledger = await ledgerEntries(db, SHOP, customerId);
  expect(ledger.reduce((sum, e) => sum + e.points, 0)).toBe(0);

  // The same key again: the first answer, the same code, nothing taken.
  const first = ok[0]!;
  const key = `ten-at-once-${String(answers.indexOf(first)).padStart(2, '0')}`;
  const again = await redeem('ten', key);
  expect(again.status).toBe(201);
  expect(again.json).toEqual(first.json);
  expect((await ledgerEntries(db, SHOP, customerId)).length).toBe(ledger.length);
});

it("holds the reward's per-customer limit under concurrent requests: 2 a month of 6 asked at once", async () => {
  const given = await send(`${runtime.apiUrl}/v1/customers/${customerId}/points`, {
    headers: { ...auth(), 'idempotency-key': 'give-for-limit-01' },
    body: JSON.stringify({ points: 100, reason: 'test' }),
  });
  expect(given.status).toBe(201);
  const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => redeem('limited', `limited-${i}-0000`)));
  expect(answers.filter((a) => a.status === 201)).toHaveLength(2);
  const refused = answers.filter((a) => a.status === 409);
  expect(refused).toHaveLength(4);
  for (const answer of refused) expect(answer.json.error.message).toBe('reward limited is limited to 2 per customer a month');
  expect(await balance()).toBe(98);
});

it('keeps tiers, steps and retired rewards to the catalog', async () => {
  const gold = await redeem('gold-only', 'gold-only-0001');
  expect(gold.status).toBe(409);
  expect(gold.json.error.message).toBe('reward gold-only is for the tiers gold; this customer is member');
  const stepped = await redeem('by-step', 'by-step-0001', { steps: 3 });
  expect(stepped.status).toBe(201);
  expect(stepped.json.reward).toMatchObject({ value: { kind: 'amount_off', amount: 1_500 }, points: 15, minOrder: 100_000 });
  expect(stepped.json.balance).toBe(83);
  expect((await redeem('retired', 'retired-0001')).status).toBe(409);
});

it('answers bad input with 400 naming the field, an unknown reward or customer 404', async () => {
  const field = async (res: Promise<RawResponse>, name: string) => {
    const answer = await res;
    expect(answer.status, answer.text).toBe(400);
    expect(answer.json.error.field).toBe(name);
  };
  await field(redeem('by-step', 'bad-steps-0001', { steps: 9 }), 'steps');
  await field(redeem('by-step', 'bad-steps-0002', { steps: 0 }), 'steps');
  await field(redeem('ten', 'bad-steps-0003', { steps: 2 }), 'steps');
  await field(redeem('ten', 'bad-body-0001', { points: 5 }), 'points');
  await field(redeem('Ten!', 'bad-reward-0001'), 'rewardId');
  await field(redeem('ten', undefined), 'Idempotency-Key');
  expect((await redeem('no-such-reward', 'unknown-0001')).status).toBe(404);
  const other = await send(`${runtime.apiUrl}/v1/customers/c_00000000000000000000/rewards/ten/redeem`, {
    headers: { ...auth(), 'idempotency-key': 'unknown-0002' },
    body: '{}',
  });
  expect(other.status).toBe(404);
});
