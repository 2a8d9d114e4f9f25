import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getProfile, getTimelinePage } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { profileKey } from '#shared/data/keys.ts';
import { defaultProgram, type Program, ProgramSchema } from '#shared/loyalty/program.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { reviewCustomerLoyalty } from '#shared/use-cases/review-loyalty.ts';
import { processDepsFor, startTestDb } from '#test/support/dynamo.ts';
import { aCustomer, orderEvent } from '#test/support/factories.ts';

/**
 * A tier with a rule of its own in the live path: the processor lifts a customer on the order that
 * meets it (by event time, reading the last run's predictions), and the scheduled run's review
 * lifts on its own predictions and steps down one tier after term and grace, warning first.
 * Silver is a threshold (3 paid orders in a rolling year); gold is the rule.
 */

let db: Db;
let stop: () => Promise<void>;
const GOLD_RULE = 'spend >= 5000000 or (orders >= 6 and predictedValue12m >= 3000000)';
const base = defaultProgram({ currency: 'VND', name: 'test' });
const program: Program = ProgramSchema.parse({
  ...base,
  tiers: {
    ...base.tiers,
    levels: [
      { id: 'member', name: { en: 'Member' }, threshold: 0, earnMultiplier: 1 },
      { id: 'silver', name: { en: 'Silver' }, threshold: 3, earnMultiplier: 1.25 },
      { id: 'gold', name: { en: 'Gold' }, qualifies: GOLD_RULE, earnMultiplier: 1.5 },
    ],
  },
});
const deps = () => ({ ...processDepsFor(db), program: async () => program });
const review = (shopId: string, customerId: string, now: string, clv?: { predictedValue12m: number; pAlive: number }) =>
  reviewCustomerLoyalty(shopId, customerId, {
    db,
    program: async () => program,
    now: () => new Date(now),
    timezone: async () => 'Asia/Ho_Chi_Minh',
    ...(clv ? { clv } : {}),
  });
const order = (shopId: string, orderId: string, at: string, total: number, email = 'lan@example.com') =>
  processEvent(orderEvent(shopId, { orderId, createdAt: at, updatedAt: at, total }, aCustomer({ email, externalId: undefined })), deps());
const timeline = async (shopId: string, customerId: string) => (await getTimelinePage(db, shopId, customerId, 100)).items;

beforeAll(async () => {
  ({ db, stop } = await startTestDb());
});
afterAll(async () => stop());

it('moves up on the order that meets the rule, dated by the order, and steps down one tier in the run after a warning', async () => {
  const shop = `tier-rule-${process.pid}`;
  const { customerId } = await order(shop, 'o1', '2025-01-01T00:00:00.000Z', 2_000_000);
  expect((await getProfile(db, shop, customerId!, true))?.tier).toBe('member');
  // The second order brings spend in the year to 5,500,000: gold, though two orders are short of silver.
  await order(shop, 'o2', '2025-01-02T00:00:00.000Z', 3_500_000);
  expect(await getProfile(db, shop, customerId!, true)).toMatchObject({ tier: 'gold', tierSince: '2025-01-02T00:00:00.000Z' });
  const up = await timeline(shop, customerId!);
  expect(up.find((entry) => entry.type === 'tier')).toMatchObject({
    from: 'member',
    to: 'gold',
    reason: 'the gold rule was met (tier metric 2)',
  });
  expect(up.filter((entry) => entry.trigger === 'tier_up')).toHaveLength(1);

  // Term ends 2026-01-02, grace 30 days: a warning from 2026-01-18; the orders have left the window,
  // and the metric (orders) alone cannot meet the rule, so the warning names no shortfall.
  expect((await review(shop, customerId!, '2025-12-20T00:00:00.000Z')).tier).toBe('keep');
  expect((await review(shop, customerId!, '2026-01-20T00:00:00.000Z')).tier).toBe('warn');
  const warning = (await timeline(shop, customerId!)).find((entry) => entry.trigger === 'tier_down_warning');
  expect(warning).toMatchObject({ tier: 'gold', to: 'silver', downgradeOn: '2026-02-01T00:00:00.000Z' });
  expect(warning).not.toHaveProperty('shortfall');

  // One step down, to silver, though nothing in the window earns silver either.
  expect((await review(shop, customerId!, '2026-02-01T00:00:00.000Z')).tier).toBe('downgrade');
  expect(await getProfile(db, shop, customerId!, true)).toMatchObject({ tier: 'silver', tierSince: '2026-02-01T00:00:00.000Z' });
  expect((await review(shop, customerId!, '2026-02-01T06:00:00.000Z')).tier).toBe('keep');
  const down = (await timeline(shop, customerId!)).filter((entry) => entry.type === 'tier');
  expect(down[0]).toMatchObject({
    from: 'gold',
    to: 'silver',
    reason: `term and grace ended no longer meeting the gold rule (${GOLD_RULE})`,
  });
  expect((await timeline(shop, customerId!)).filter((entry) => entry.trigger === 'tier_down')).toHaveLength(1);
});

it("reads the last run's predictions on an order, and the run lifts on its own", async () => {
  const shop = `tier-rule-clv-${process.pid}`;
  // Six small orders: silver at the third; gold's second branch needs a prediction no run has made.
  let customerId: string | undefined;
  for (let i = 1; i <= 6; i++) ({ customerId } = await order(shop, `a${i}`, `2026-01-0${i}T00:00:00.000Z`, 100_000, 'an@example.com'));
  expect((await getProfile(db, shop, customerId!, true))?.tier).toBe('silver');

  // The run's predictions meet the rule: it lifts the customer, once, dated by the run.
  const lifted = await review(shop, customerId!, '2026-03-01T00:00:00.000Z', { predictedValue12m: 3_000_000, pAlive: 0.8 });
  expect(lifted.tier).toBe('upgrade');
  expect(await getProfile(db, shop, customerId!, true)).toMatchObject({ tier: 'gold', tierSince: '2026-03-01T00:00:00.000Z' });
  expect((await review(shop, customerId!, '2026-03-01T06:00:00.000Z', { predictedValue12m: 3_000_000, pAlive: 0.8 })).tier).toBe('keep');
  const entries = await timeline(shop, customerId!);
  expect(entries.filter((entry) => entry.trigger === 'tier_up' && entry.to === 'gold')).toHaveLength(1);
  expect(entries.find((entry) => entry.type === 'tier' && entry.to === 'gold')).toMatchObject({
    reason: `the run's figures meet the gold rule (${GOLD_RULE})`,
  });

  // Another customer, whom the last run predicted worth 3,200,000: the sixth order lifts them at its own time.
  let other: string | undefined;
  for (let i = 1; i <= 5; i++)
    ({ customerId: other } = await order(shop, `b${i}`, `2026-01-1${i}T00:00:00.000Z`, 100_000, 'binh@example.com'));
  await db.client.send(
    new UpdateCommand({
      TableName: db.table,
      Key: profileKey(shop, other!),
      UpdateExpression: 'SET clv = :clv',
      ExpressionAttributeValues: { ':clv': { pAlive: 0.7, expectedPurchases12m: 4.2, expectedValue12m: 3_200_000, model: 'bgnbd+gg' } },
    }),
  );
  expect((await getProfile(db, shop, other!, true))?.tier).toBe('silver');
  await order(shop, 'b6', '2026-01-16T00:00:00.000Z', 100_000, 'binh@example.com');
  expect(await getProfile(db, shop, other!, true)).toMatchObject({ tier: 'gold', tierSince: '2026-01-16T00:00:00.000Z' });
});
