import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreClv } from '#shared/analytics/clv.ts';
import { seededRandom } from '#shared/analytics/numeric.ts';
import { rfmFromOrders } from '#shared/analytics/rfm.ts';
import { segmentIdOfRfm } from '#shared/analytics/segment-ids.ts';
import { gammaSampler, simulatePurchaseDays } from '#shared/analytics/simulate.ts';
import { summarizeTransactions } from '#shared/analytics/transactions.ts';
import { getProfile, getTimelinePage } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { getRewardCode } from '#shared/data/reward-code-repo.ts';
import { getCoPurchase, getRun, segmentMembersPage } from '#shared/data/run-repo.ts';
import { putShopIfAbsent } from '#shared/data/shop-repo.ts';
import { defaultProgram, type Program } from '#shared/loyalty/program.ts';
import { giftCode } from '#shared/use-cases/give-reward.ts';
import type { TriggerRecord } from '#shared/use-cases/loyalty-effects.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { listSegments } from '#shared/use-cases/read-segments.ts';
import { type RunDeps, type RunMessage, type RunModel, requestRun, runStep, runToCompletion } from '#shared/use-cases/resegment.ts';
import { processDepsFor, startTestDb } from '#test/support/dynamo.ts';
import { aShop, orderEvent } from '#test/support/factories.ts';

/**
 * The re-segmentation run on the emulated table, against independent oracles: the RFM scores of
 * the published scheme computed from the generated orders (rfmFromOrders), the CLV of the fitted
 * model computed from the same orders, and the rule segments' definitions evaluated by hand.
 */

let db: Db;
let stop: () => Promise<void>;
const SHOP = `resegment-${process.pid}`;
const AS_OF = '2026-06-30T12:00:00.000Z';
const program: Program = {
  ...defaultProgram({ currency: 'VND', name: 'test' }),
  analytics: {
    winBackPAliveBelow: 0.3,
    segments: [
      { id: 'big-spenders', name: 'Big spenders', rule: { field: 'totalSpent', op: 'gte', value: 3_000_000 } },
      { id: 'tea-lovers', name: 'Tea lovers', rule: { field: 'topCategories', op: 'contains', value: 'tea' } },
    ],
  },
};

interface Generated {
  email: string;
  orders: Array<{ orderId: string; day: string; total: number; products: string[] }>;
}

const PRODUCTS = ['tea-oolong', 'tea-green', 'cup', 'pot', 'honey', 'biscuits'];
const customers: Generated[] = [];
const customerIds = new Map<string, string>();

function deps(now = AS_OF): Omit<RunDeps, 'enqueue'> {
  return { db, program: async () => program, timezone: async () => 'Asia/Ho_Chi_Minh', now: () => new Date(now) };
}

beforeAll(async () => {
  ({ db, stop } = await startTestDb());
  await putShopIfAbsent(db, aShop(SHOP));
  const rand = seededRandom(20261122);
  const start = Date.parse('2025-01-01T00:00:00Z');
  // BG/NBD customers (purchase rate λ ~ Gamma(0.5, 4) per week, dropout p ~ Beta(0.8, 2.4) after each
  // purchase), spending around their own Gamma-distributed mean: the process the models assume.
  const gamma = gammaSampler(rand);
  for (let c = 0; c < 140; c++) {
    const mean = Math.max(100_000, Math.round(gamma(4, 1) * 250_000));
    const days = simulatePurchaseDays(rand, gamma, { r: 0.5, alpha: 4, a: 0.8, b: 2.4 }, Math.floor(rand() * 500), 540, 8);
    const orders = days.map((d, k) => {
      const products = PRODUCTS.filter(() => rand() < 0.35);
      const total = Math.max(1000, Math.round((mean * (0.6 + rand() * 0.8)) / 1000) * 1000);
      return {
        orderId: `o${c}-${k}`,
        day: new Date(start + d * 86_400_000).toISOString().slice(0, 10),
        total,
        products: products.length ? products : ['cup'],
      };
    });
    customers.push({ email: `customer${c}@example.com`, orders });
  }
  const processDeps = { ...processDepsFor(db, new Date(AS_OF)), program: async () => program };
  for (const customer of customers) {
    for (const order of customer.orders) {
      const at = `${order.day}T08:00:00.000Z`;
      const lineItems = order.products.map((productId, i) => ({
        productId,
        title: `Product ${productId}`,
        quantity: 1,
        price: i === 0 ? order.total - (order.products.length - 1) * 1000 : 1000,
        category: productId.startsWith('tea') ? 'Tea' : 'Home',
      }));
      const { customerId } = await processEvent(
        orderEvent(
          SHOP,
          { orderId: order.orderId, total: order.total, createdAt: at, updatedAt: at, lineItems },
          { email: customer.email },
        ),
        processDeps,
      );
      customerIds.set(customer.email, customerId as string);
    }
  }
}, 300_000);
afterAll(async () => stop());

const rfmOracle = () =>
  new Map(
    rfmFromOrders(
      customers.flatMap((c) => c.orders.map((o) => ({ customerId: customerIds.get(c.email) as string, date: o.day, revenue: o.total }))),
      AS_OF.slice(0, 10),
    ).map((score) => [score.customerId, score]),
  );

describe('a run over a shop', () => {
  let firstRunId: string;

  it('scores every customer as the published RFM scheme and the fitted CLV model say, and finishes', async () => {
    const progress: number[] = [];
    const run = await runToCompletion(aShop(SHOP), deps(), (r) => progress.push(Object.keys(r.shardResults ?? {}).length));
    firstRunId = run.runId;
    expect(run.status).toBe('succeeded');
    expect(progress.at(-1)).toBe(16);
    const model = run.model as unknown as RunModel;
    expect(model).toMatchObject({ customers: 140, buyers: 140, analysisDate: '2026-06-30' });
    // 140 customers: either model may be the right one; the profile must say which, and match it.
    const modelName = model.clv?.fit.model as string;
    expect(['bgnbd-gg', 'historical']).toContain(modelName);
    expect(model.holdout?.customers).toBeGreaterThan(0);
    expect(run.totals).toMatchObject({ customers: 140, scored: 140, profilesWritten: 140 });

    const oracle = rfmOracle();
    const transactions = customers.flatMap((c) =>
      c.orders.map((o) => ({
        customerId: customerIds.get(c.email) as string,
        day: Math.floor(Date.parse(o.day) / 86_400_000),
        amount: o.total,
      })),
    );
    const clvInputs = new Map(
      summarizeTransactions(transactions, { calibrationEndDay: Math.floor(Date.parse(AS_OF) / 86_400_000), unit: 'week' }).customers.map(
        (c) => [c.customerId, c],
      ),
    );
    for (const customer of customers) {
      const id = customerIds.get(customer.email) as string;
      const profile = await getProfile(db, SHOP, id, true);
      const expected = oracle.get(id);
      expect(profile?.rfm).toEqual({ r: expected?.r, f: expected?.f, m: expected?.m, segment: expected?.segment });
      const score = scoreClv(model.clv?.fit as never, clvInputs.get(id) as never, { horizon: 52 });
      expect(profile?.clv).toMatchObject({ model: modelName, expectedValue12m: Math.round(score.clv) });
      if (score.pAlive === null) expect((profile!.clv as { pAlive: unknown }).pAlive).toBeNull();
      else expect((profile!.clv as { pAlive: number }).pAlive).toBeCloseTo(score.pAlive, 4);
      const spent = customer.orders.reduce((sum, o) => sum + o.total, 0);
      const tea = customer.orders.some((o) => o.products.some((p) => p.startsWith('tea')));
      const expectedSegments = [...(spent >= 3_000_000 ? ['big-spenders'] : [])];
      expect((profile!.segments as string[]).filter((s) => s === 'big-spenders')).toEqual(expectedSegments);
      if (!tea) expect(profile?.segments).not.toContain('tea-lovers');
    }
  });

  it('lists segment counts and members, and records entering a segment on the timeline', async () => {
    const listed = await listSegments(aShop(SHOP), { db, program: async () => program });
    const rfm = listed.segments.filter((s) => s.kind === 'rfm');
    expect(rfm.reduce((sum, s) => sum + s.customers, 0)).toBe(140);
    const champions = rfm.find((s) => s.id === 'rfm:champions');
    const oracleChampions = [...rfmOracle().values()]
      .filter((s) => s.segment === 'Champions')
      .map((s) => s.customerId)
      .sort();
    expect(champions?.customers).toBe(oracleChampions.length);
    const page = await segmentMembersPage(db, SHOP, 'rfm:champions', 500);
    expect(page.customers.map((c) => c.customerId)).toEqual(oracleChampions);

    const someone = customerIds.get('customer1@example.com') as string;
    const timeline = (await getTimelinePage(db, SHOP, someone, 100)).items.filter((e) => e.type === 'segment');
    const profile = await getProfile(db, SHOP, someone, true);
    expect(timeline).toContainEqual(
      expect.objectContaining({
        change: 'entered',
        segment: segmentIdOfRfm((profile!.rfm as { segment: string }).segment),
      }),
    );
    const stats = (await getCoPurchase(db, SHOP)) as {
      baskets: number;
      related: Record<string, unknown[]>;
      products: Record<string, { title: string }>;
    };
    expect(stats.baskets).toBe(customers.reduce((sum, c) => sum + c.orders.length, 0));
    expect(stats.related['tea-oolong']?.length).toBeGreaterThan(0);
    expect(stats.products['tea-oolong']?.title).toBe('Product tea-oolong');
  });

  it('writes nothing when run again on unchanged data, and a redelivered step changes nothing', async () => {
    const again = await runToCompletion(aShop(SHOP), deps());
    expect(again.status).toBe('succeeded');
    expect(again.totals).toMatchObject({ itemsWritten: 0, profilesWritten: 0, timelineWritten: 0, membershipsWritten: 0 });
    // Every step of the first run delivered again: it is finished, so nothing happens.
    await runStep({ shopId: SHOP, runId: firstRunId, step: 'fit' }, { ...deps(), enqueue: async () => {} });
    await runStep({ shopId: SHOP, runId: firstRunId, step: 'apply', shard: 3 }, { ...deps(), enqueue: async () => {} });
    expect((await getRun(db, SHOP, firstRunId))?.status).toBe('succeeded');
  });

  it('emits win-back once per customer and month, even when every step is delivered twice and out of order', async () => {
    const later = '2027-03-15T12:00:00.000Z';
    // Two customers in five buy again in February: the others fall behind them in recency.
    const processDeps = { ...processDepsFor(db, new Date(later)), program: async () => program };
    for (const [i, customer] of customers.entries()) {
      if (i % 5 > 1) continue;
      const at = '2027-02-10T08:00:00.000Z';
      await processEvent(
        orderEvent(SHOP, { orderId: `feb-${i}`, total: 500_000, createdAt: at, updatedAt: at }, { email: customer.email }),
        processDeps,
      );
    }
    const queue: RunMessage[] = [];
    // The program's win-back reward and the Gold tier's free shipping are given as real codes (Rapport's own here).
    const sent: TriggerRecord[] = [];
    const gifts = { codeKey: async () => Buffer.alloc(32, 7), platform: async () => undefined };
    const runDeps: RunDeps = {
      ...deps(later),
      gifts,
      triggers: async (records) => void sent.push(...records),
      enqueue: async (messages) => void queue.push(...messages),
    };
    const run = await requestRun(aShop(SHOP), 'api', runDeps);
    // One run at a time: another request while this one is going is refused, naming it.
    await expect(requestRun(aShop(SHOP), 'api', runDeps)).rejects.toThrow(new RegExp(`run ${run.runId} is still going`));
    while (queue.length > 0) {
      const batch = queue.splice(0, queue.length);
      // every message twice, the second copies in reverse, all at once
      await Promise.all([...batch, ...[...batch].reverse()].map((message) => runStep(message, runDeps)));
    }
    const finished = await getRun(db, SHOP, run.runId);
    expect(finished?.status).toBe('succeeded');
    let winBacks = 0;
    let perks = 0;
    for (const id of customerIds.values()) {
      const entries = (await getTimelinePage(db, SHOP, id, 100)).items;
      const triggers = entries.filter((e) => e.type === 'trigger' && e.trigger === 'win_back' && e.key === 'flow:win-back:2027-03');
      expect(triggers.length).toBeLessThanOrEqual(1);
      winBacks += triggers.length;
      const profile = await getProfile(db, SHOP, id, true);
      if (triggers.length === 1) {
        // The win-back is a flow: its mark is the day it fired (the shop's local date), its key the month.
        expect(profile?.fl).toEqual({ 'win-back': { l: '2027-03-15' } });
        // The email carries the win-back reward's code, which checks out at the till.
        const offer = triggers[0]?.offer as { code: string } | undefined;
        const code = await getRewardCode(db, SHOP, offer?.code ?? 'none', true);
        expect(code).toMatchObject({ customerId: id, rewardId: 'win-back', points: 0, status: 'issued', gift: 'flow:win-back:2027-03' });
        expect(Date.parse(code!.expiresAt) - Date.parse(code!.issuedAt)).toBe(14 * 86_400_000);
        const emailed = sent.filter((r) => r.customerId === id && r.trigger === 'win_back');
        expect(emailed.length).toBeGreaterThan(0);
        for (const record of emailed)
          expect(record.data.offer).toMatchObject({ code: code!.code, value: { kind: 'percent_off', percent: 10 } });
      }
      // Gold's perk: one free-shipping code this month, for Gold customers only.
      const perk = await getRewardCode(db, SHOP, giftCode(Buffer.alloc(32, 7), id, 'perk:free-shipping:2027-03'), true);
      if (profile?.tier === 'gold') {
        perks++;
        expect(perk).toMatchObject({ rewardId: 'free-shipping', points: 0, status: 'issued' });
        expect(sent.some((r) => r.trigger === 'reward_issued' && r.customerId === id && r.data.code === perk!.code)).toBe(true);
      } else expect(perk).toBeUndefined();
    }
    expect(winBacks).toBeGreaterThan(0);
    expect(winBacks).toBe(finished?.totals?.triggers);
    // Counted by the copy of each step whose counters were kept: some codes were written by the other copy.
    expect(perks).toBeGreaterThan(0);
    expect(finished?.totals?.codesGiven).toBeGreaterThan(0);
    expect(finished?.totals?.codesGiven).toBeLessThanOrEqual(winBacks + perks);
    // A second run in the same month emits none again, and gives no code again.
    const second = await runToCompletion(aShop(SHOP), { ...deps('2027-03-20T12:00:00.000Z'), gifts });
    expect(second.totals).toMatchObject({ triggers: 0, codesGiven: 0 });
  });
});
