import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getIdentityOwner, getProfile, hasTimelineEntry } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { ledgerEntries } from '#shared/data/ledger-repo.ts';
import { profileOf } from '#shared/data/profile-item.ts';
import { getReferral } from '#shared/data/referral-repo.ts';
import { putShopIfAbsent } from '#shared/data/shop-repo.ts';
import type { CanonicalEvent, OrderStatus } from '#shared/domain/event.ts';
import { defaultProgram, type Program } from '#shared/loyalty/program.ts';
import { awardActivityOnce } from '#shared/use-cases/award-activity.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { approveDueReferrals, referralCodeFor } from '#shared/use-cases/referrals.ts';
import { startTestDb } from '#test/support/dynamo.ts';
import { aShop } from '#test/support/factories.ts';

/**
 * Referrals as a property, on the real table: random histories — friends' orders (one carrying a
 * referrer's code, by link or discount code; some shipped to the referrer's address or under the
 * referrer's phone), their later states and refunds, the referrers' own orders, activity awards —
 * delivered permuted and duplicated, four at a time, then the scheduled run's approval step twice
 * at two dates. Whatever the interleaving:
 * - a referrer is rewarded at most once per friend, at most `monthlyCap` friends a month, and only
 *   for a friend whose order carrying the code is paid, never refunded, their first paid order,
 *   past the approval period, and not a self-referral; a friend is rewarded at most once;
 * - a friend with that one clean order, under a referrer within the cap, does get the referrer rewarded;
 * - activity limits hold; every balance equals its ledger's sum.
 */

const RUNS = Number(process.env.REFERRAL_RUNS ?? 12);
const SHOP_PREFIX = 'refprop';
const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);
const APPROVAL_DAYS = 14;
const CAP = 2;
const FIRST_RUN_DAY = 30;
const FINAL_RUN_DAY = 48;

const program = (): Program => {
  const base = defaultProgram({ currency: 'VND', name: 'Referral shop' });
  return {
    ...base,
    activities: [
      { activity: 'review', points: 20, limit: { count: 2, per: 'month' }, active: true },
      { activity: 'signup', points: 50, limit: { count: 1, per: 'ever' }, active: true },
    ],
    referrals: {
      active: true,
      friendReward: { points: 100 },
      referrerReward: { points: 300 },
      approvalDays: APPROVAL_DAYS,
      monthlyCap: CAP,
    },
  };
};

interface OrderGen {
  day: number;
  states: OrderStatus[];
  refunds: number[];
}
interface FriendGen {
  orders: OrderGen[];
  /** Which of the orders carries the code, whose, and how. */
  coded: number;
  referrer: number;
  via: 'link' | 'discount';
  self: 'none' | 'shipping' | 'phone';
}
interface Scenario {
  referrerOrders: OrderGen[][];
  friends: FriendGen[];
  activities: Array<{ who: number; activity: 'review' | 'signup'; key: number; day: number }>;
  delivery: Array<{ order: number; copies: number }>;
}

const orderArb = fc.record({
  day: fc.integer({ min: 0, max: 40 }),
  states: fc.array(fc.constantFrom<OrderStatus>('pending', 'paid', 'paid', 'paid', 'cancelled', 'partially_refunded', 'refunded'), {
    minLength: 1,
    maxLength: 3,
  }),
  refunds: fc.array(
    fc.integer({ min: 1, max: 5 }).map((n) => n * 10_000),
    { maxLength: 1 },
  ),
});
const friendArb = fc.array(orderArb, { minLength: 1, maxLength: 3 }).chain((orders) =>
  fc.record({
    orders: fc.constant(orders),
    coded: fc.integer({ min: 0, max: orders.length - 1 }),
    referrer: fc.integer({ min: 0, max: 1 }),
    via: fc.constantFrom<'link' | 'discount'>('link', 'discount'),
    self: fc.constantFrom<FriendGen['self']>('none', 'none', 'none', 'shipping', 'phone'),
  }),
);
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  referrerOrders: fc.tuple(fc.array(orderArb, { maxLength: 2 }), fc.array(orderArb, { maxLength: 2 })),
  friends: fc.array(friendArb, { minLength: 2, maxLength: 6 }),
  activities: fc.array(
    fc.record({
      who: fc.integer({ min: 0, max: 7 }),
      activity: fc.constantFrom<'review' | 'signup'>('review', 'signup'),
      key: fc.integer({ min: 0, max: 6 }),
      day: fc.integer({ min: 0, max: 40 }),
    }),
    { maxLength: 12 },
  ),
  delivery: fc.array(fc.record({ order: fc.double({ min: 0, max: 1, noNaN: true }), copies: fc.constantFrom(1, 1, 2, 3) }), {
    minLength: 120,
    maxLength: 120,
  }),
});

const at = (day: number, hour = 0, minute = 0) => new Date(START + day * DAY + hour * 3_600_000 + minute * 60_000).toISOString();
const REFERRER_ADDRESS = (r: number) => ({ line1: `${r + 1} Lê Lợi`, postcode: '700000', country: 'VN' });
const referrerPhone = (r: number) => `+8490100000${r}`;
const TOTAL = 500_000;

/** The final state of a generated order as the processor keeps it: status, refunded amount, whether it counts. */
function finalOf(order: OrderGen) {
  const status = order.states[order.states.length - 1] as OrderStatus;
  const recorded = order.refunds.reduce((sum, amount) => sum + amount, 0);
  const refunded = status === 'refunded' ? TOTAL : Math.min(TOTAL, recorded);
  const paid = status === 'paid' || status === 'partially_refunded' || status === 'refunded';
  return { status, refunded, counts: paid && TOTAL - refunded > 0 };
}

let db: Db;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ db, stop } = await startTestDb());
});
afterAll(async () => stop?.());

let shopCount = 0;

it(`converges on referrals, activities and balances under any interleaving (${RUNS} histories)`, async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArb, async (scenario) => {
      const shopId = `${SHOP_PREFIX}-${++shopCount}-${Date.now().toString(36)}`;
      await putShopIfAbsent(db, aShop(shopId, { timezone: 'UTC' }));
      const theProgram = program();
      let clock = new Date(at(45));
      const deps = {
        db,
        now: () => clock,
        phoneRegion: async () => 'VN',
        program: async () => theProgram,
        timeZone: async () => 'UTC',
      };

      // The referrers exist before anyone uses their codes.
      const referrers: string[] = [];
      for (const r of [0, 1]) {
        const customer = { externalId: `generic:r${r}`, email: `referrer${r}@example.com`, phone: referrerPhone(r), updatedAt: at(0) };
        await processEvent(
          { eventId: `cust-r${r}-000`, shopId, type: 'customer.upserted', occurredAt: at(0), source: 'generic', customer },
          deps,
        );
        referrers.push((await getIdentityOwner(db, shopId, { kind: 'ext', value: `generic:r${r}` })) as string);
      }
      const codes = await Promise.all(referrers.map((id) => referralCodeFor(db, shopId, id, clock)));

      const events: CanonicalEvent[] = [];
      const orderEvents = (customer: CanonicalEvent['customer'], orderId: string, order: OrderGen, extra: Record<string, unknown>) => {
        order.states.forEach((status, s) => {
          events.push({
            eventId: `${orderId}-state-${s}`,
            shopId,
            type: 'order.upserted',
            occurredAt: at(order.day, 1 + s),
            source: 'generic',
            ...(customer ? { customer } : {}),
            order: {
              orderId,
              status,
              currency: 'VND',
              total: TOTAL,
              createdAt: at(order.day, 0, Number(orderId.replace(/\D/g, '')) % 60),
              updatedAt: at(order.day, 1 + s),
              lineItems: [],
              ...extra,
            },
          });
        });
        order.refunds.forEach((amount, i) => {
          events.push({
            eventId: `${orderId}-refund-${i}`,
            shopId,
            type: 'refund.created',
            occurredAt: at(order.day, 5 + i),
            source: 'generic',
            refund: { refundId: `${orderId}-r${i}`, orderId, currency: 'VND', amount, createdAt: at(order.day, 5 + i) },
          });
        });
      };
      for (const [r, orders] of scenario.referrerOrders.entries()) {
        for (const [i, order] of orders.entries()) {
          orderEvents({ externalId: `generic:r${r}` }, `r${r}o${i}`, order, { shippingAddress: REFERRER_ADDRESS(r) });
        }
      }
      scenario.friends.forEach((friend, f) => {
        const customer = {
          externalId: `generic:f${f}`,
          email: `friend${f}@example.com`,
          ...(friend.self === 'phone' ? { phone: referrerPhone(friend.referrer) } : {}),
        };
        friend.orders.forEach((order, i) => {
          const code = codes[friend.referrer] as string;
          const carries = i === friend.coded ? (friend.via === 'link' ? { referralCode: code } : { discountCodes: [code] }) : {};
          const shipping =
            i === friend.coded && friend.self === 'shipping'
              ? { shippingAddress: { ...REFERRER_ADDRESS(friend.referrer), line1: `${friend.referrer + 1} le loi` } }
              : { shippingAddress: { line1: `${f + 10} Hai Bà Trưng`, country: 'VN' } };
          orderEvents(customer, `f${f}o${i}`, order, { ...carries, ...shipping });
        });
      });

      type Task = () => Promise<unknown>;
      const tasks: Task[] = events.map((event) => () => processEvent(event, deps));
      // Activities, for the referrers (0, 1) and friends (2…): once their customer exists.
      const customerOf = async (who: number) => {
        const ext = who < 2 ? `generic:r${who}` : `generic:f${who - 2}`;
        return getIdentityOwner(db, shopId, { kind: 'ext', value: ext }, true);
      };
      for (const award of scenario.activities) {
        tasks.push(async () => {
          const id = await customerOf(award.who);
          if (!id) return;
          try {
            await awardActivityOnce(
              { shopId, timezone: 'UTC' },
              id,
              { activity: award.activity },
              `${award.activity}-${award.key}`,
              { channel: 'web', source: 'api' },
              { db, program: async () => theProgram, now: () => new Date(at(award.day)) },
            );
          } catch (error) {
            if (!(error instanceof Error && /limited|being awarded/.test(error.message))) throw error;
          }
        });
      }
      const copies = tasks.flatMap((task, i) => {
        const d = scenario.delivery[i % scenario.delivery.length] as { order: number; copies: number };
        return Array.from({ length: d.copies }, (_, c) => ({ task, key: (d.order + c * 0.37 + i * 0.001) % 1 }));
      });
      copies.sort((a, b) => a.key - b.key);
      for (let i = 0; i < copies.length; i += 4) await Promise.all(copies.slice(i, i + 4).map(({ task }) => task()));

      // The scheduled run's approval step, at two dates, the second twice (a repeated run).
      clock = new Date(at(FIRST_RUN_DAY));
      await approveDueReferrals(shopId, { ...deps, currency: async () => 'VND' });
      clock = new Date(at(FINAL_RUN_DAY));
      await approveDueReferrals(shopId, { ...deps, currency: async () => 'VND' });
      await approveDueReferrals(shopId, { ...deps, currency: async () => 'VND' });

      // ── the oracle ──
      const friendIds = await Promise.all(
        scenario.friends.map((_, f) => getIdentityOwner(db, shopId, { kind: 'ext', value: `generic:f${f}` })),
      );
      const everyone = [...referrers, ...friendIds.filter((id): id is string => id !== undefined)];
      const ledgers = new Map(await Promise.all(everyone.map(async (id) => [id, await ledgerEntries(db, shopId, id)] as const)));

      // Balance = ledger sum, for everyone.
      for (const id of everyone) {
        const profile = profileOf((await getProfile(db, shopId, id, true)) as Record<string, unknown>);
        const sum = (ledgers.get(id) ?? []).reduce((total, entry) => total + entry.points, 0);
        expect(profile.loyalty.balance, `balance of ${id}`).toBe(sum);
      }

      // Activity limits: review ≤ 2 a month, signup ≤ 1 ever, per customer.
      for (const id of everyone) {
        const counts = new Map<string, number>();
        for (const entry of ledgers.get(id) ?? []) {
          if (entry.kind !== 'activity') continue;
          const period = entry.source.activity === 'review' ? `review:${entry.at.slice(0, 7)}` : 'signup';
          counts.set(period, (counts.get(period) ?? 0) + 1);
        }
        for (const [period, count] of counts) expect(count, `${period} for ${id}`).toBeLessThanOrEqual(period === 'signup' ? 1 : 2);
      }

      // Referrers: once per friend, within the cap, only for a clean first order past its approval.
      const rewardedPerMonth = new Map<string, number>();
      const clean = new Map<number, boolean>();
      for (const [f, friend] of scenario.friends.entries()) {
        const coded = friend.orders[friend.coded] as OrderGen;
        const final = finalOf(coded);
        const earlierCounted = friend.orders.some((order, i) => i !== friend.coded && finalOf(order).counts && order.day < coded.day);
        const earlierSameDay = friend.orders.some(
          (order, i) => i !== friend.coded && finalOf(order).counts && order.day === coded.day && i < friend.coded,
        );
        clean.set(
          f,
          // Shipping to the referrer's address tells only once the referrer has shipped there (any order of theirs does).
          !(friend.self === 'phone' || (friend.self === 'shipping' && (scenario.referrerOrders[friend.referrer] ?? []).length > 0)) &&
            final.status === 'paid' &&
            final.refunded === 0 &&
            !earlierCounted &&
            !earlierSameDay &&
            // Created in the first minutes of its day: due on the same minute APPROVAL_DAYS later.
            coded.day + APPROVAL_DAYS <= FINAL_RUN_DAY,
        );
      }
      for (const [r, referrerId] of referrers.entries()) {
        const rewards = (ledgers.get(referrerId) ?? []).filter((entry) => entry.kind === 'referral');
        const perFriend = new Map<string, number>();
        for (const entry of rewards) perFriend.set(String(entry.source.friendId), (perFriend.get(String(entry.source.friendId)) ?? 0) + 1);
        for (const [friendId, count] of perFriend) {
          expect(count, `rewards of referrer ${r} for ${friendId}`).toBe(1);
          const f = friendIds.indexOf(friendId);
          const friend = scenario.friends[f] as FriendGen;
          expect(friend.referrer, `friend ${f} used referrer ${r}'s code`).toBe(r);
          expect(clean.get(f), `friend ${f}'s order is a clean first order past approval`).toBe(true);
          const month = at((friend.orders[friend.coded] as OrderGen).day).slice(0, 7);
          rewardedPerMonth.set(`${r}:${month}`, (rewardedPerMonth.get(`${r}:${month}`) ?? 0) + 1);
        }
      }
      for (const [month, count] of rewardedPerMonth) expect(count, `rewards in ${month}`).toBeLessThanOrEqual(CAP);

      // Friends: at most one friend's reward each.
      for (const id of friendIds) {
        if (!id) continue;
        const own = (ledgers.get(id) ?? []).filter((entry) => entry.kind === 'referral');
        expect(own.length).toBeLessThanOrEqual(1);
      }

      // Liveness: a friend whose only order is the clean coded one, under a referrer-month with no
      // more code-carrying friends than the cap, gets the referrer rewarded.
      const codedPerMonth = new Map<string, number>();
      for (const friend of scenario.friends) {
        const month = at((friend.orders[friend.coded] as OrderGen).day).slice(0, 7);
        const key = `${friend.referrer}:${month}`;
        codedPerMonth.set(key, (codedPerMonth.get(key) ?? 0) + 1);
      }
      for (const [f, friend] of scenario.friends.entries()) {
        const month = at((friend.orders[friend.coded] as OrderGen).day).slice(0, 7);
        const due = (friend.orders[friend.coded] as OrderGen).day + APPROVAL_DAYS < FINAL_RUN_DAY;
        if (
          friend.orders.length !== 1 ||
          friend.self !== 'none' ||
          !clean.get(f) ||
          !due ||
          (codedPerMonth.get(`${friend.referrer}:${month}`) ?? 0) > CAP
        )
          continue;
        const friendId = friendIds[f] as string;
        const referral = await getReferral(db, shopId, friendId);
        expect(referral?.status, `friend ${f}'s referral`).toBe('approved');
        const rewarded = (ledgers.get(referrers[friend.referrer] as string) ?? []).filter(
          (entry) => entry.kind === 'referral' && entry.source.friendId === friendId,
        );
        expect(rewarded).toHaveLength(1);
      }
    }),
    {
      numRuns: RUNS,
      endOnFailure: true,
      // Replay a failure: REFERRAL_SEED and REFERRAL_PATH as fast-check printed them.
      ...(process.env.REFERRAL_SEED ? { seed: Number(process.env.REFERRAL_SEED), path: process.env.REFERRAL_PATH } : {}),
    },
  );
});

it('an update of the friend order after the run approved it tells nobody the referral was rejected', async () => {
  const shopId = `${SHOP_PREFIX}-late-${Date.now().toString(36)}`;
  await putShopIfAbsent(db, aShop(shopId, { timezone: 'UTC' }));
  const theProgram = program();
  let clock = new Date(at(1));
  const deps = { db, now: () => clock, phoneRegion: async () => 'VN', program: async () => theProgram, timeZone: async () => 'UTC' };
  const customer = { externalId: 'generic:r0', email: 'referrer0@example.com', updatedAt: at(0) };
  await processEvent({ eventId: 'late-r0', shopId, type: 'customer.upserted', occurredAt: at(0), source: 'generic', customer }, deps);
  const referrerId = (await getIdentityOwner(db, shopId, { kind: 'ext', value: 'generic:r0' })) as string;
  const code = await referralCodeFor(db, shopId, referrerId, clock);
  const orderAt = at(1);
  const friendOrder = (eventId: string, updatedAt: string): CanonicalEvent => ({
    eventId,
    shopId,
    type: 'order.upserted',
    occurredAt: updatedAt,
    source: 'generic',
    customer: { externalId: 'generic:f0', email: 'friend0@example.com' },
    order: {
      orderId: 'f0o0',
      status: 'paid',
      currency: 'VND',
      total: TOTAL,
      createdAt: orderAt,
      updatedAt,
      lineItems: [],
      referralCode: code,
    },
  });
  await processEvent(friendOrder('late-f0-paid', at(1, 1)), deps);
  const friendId = (await getIdentityOwner(db, shopId, { kind: 'ext', value: 'generic:f0' })) as string;

  clock = new Date(at(1 + APPROVAL_DAYS + 1));
  expect(await approveDueReferrals(shopId, { ...deps, currency: async () => 'VND' })).toEqual({ approved: 1, rejected: 0 });
  // The shop updates the order later (a fulfilment, a note): the same paid order, delivered again.
  await processEvent(friendOrder('late-f0-fulfilled', at(1 + APPROVAL_DAYS + 2)), deps);

  expect((await getReferral(db, shopId, friendId))?.status).toBe('approved');
  for (const id of [friendId, referrerId]) {
    expect(await hasTimelineEntry(db, shopId, id, orderAt, `referral:${friendId}:attributed`), `attributed on ${id}`).toBe(true);
    expect(await hasTimelineEntry(db, shopId, id, orderAt, `referral:${friendId}:rejected`), `rejected on ${id}`).toBe(false);
  }
});
