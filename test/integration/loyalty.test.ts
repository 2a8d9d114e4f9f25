import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIdentityOwner, getProfile, getTimelinePage } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { ledgerEntries } from '#shared/data/ledger-repo.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';
import { defaultProgram, type Program } from '#shared/loyalty/program.ts';
import { tierFor, tierIndex } from '#shared/loyalty/rules.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { redeemPoints } from '#shared/use-cases/redeem-points.ts';
import { processDepsFor, startTestDb } from '#test/support/dynamo.ts';
import { aCustomer, orderEvent, refundEvent } from '#test/support/factories.ts';
import { profileView } from '#test/support/profile.ts';

let db: Db;
let stop: () => Promise<void>;
let shopN = 0;
const newShop = () => `loyalty-${process.pid}-${shopN++}`;
const program: Program = defaultProgram({ currency: 'VND', name: 'test' }); // 1 point per 10,000 ₫, first-order bonus 50
const deps = () => processDepsFor(db);

beforeAll(async () => {
  ({ db, stop } = await startTestDb());
});
afterAll(async () => stop());

async function pointsOf(shop: string, customerId: string) {
  const profile = (await getProfile(db, shop, customerId, true))!;
  const ledger = await ledgerEntries(db, shop, customerId);
  return { profile, ledger, sum: ledger.reduce((s, e) => s + e.points, 0) };
}

describe('points and tiers on events', () => {
  it('earns on a paid order, adds the first-order bonus once, and claws back pro rata', async () => {
    const shop = newShop();
    const { customerId } = await processEvent(orderEvent(shop, { orderId: 'a', total: 1_000_000, lineItems: [] }), deps());
    let state = await pointsOf(shop, customerId!);
    expect(state.profile.pointsBalance).toBe(100 + 50);
    expect(state.ledger.map((e) => [e.kind, e.points]).sort()).toEqual([
      ['bonus', 50],
      ['earn', 100],
    ]);
    await processEvent(refundEvent(shop, 'a', 'r1', 250_000), deps());
    await processEvent(refundEvent(shop, 'a', 'r1', 250_000), deps()); // a repeat claws back nothing more
    state = await pointsOf(shop, customerId!);
    expect(state.profile.pointsBalance).toBe(75 + 50);
    expect(state.sum).toBe(state.profile.pointsBalance);
    await processEvent(
      orderEvent(shop, { orderId: 'a', total: 1_000_000, lineItems: [], status: 'cancelled', updatedAt: '2026-03-09T00:00:00.000Z' }),
      deps(),
    );
    state = await pointsOf(shop, customerId!);
    expect(state.profile.pointsBalance).toBe(50);
    expect(state.sum).toBe(50);
  });

  it('moves up a tier as soon as an order crosses the threshold, with a reason and a trigger', async () => {
    const shop = newShop();
    let customerId: string | undefined;
    for (let i = 0; i < 3; i++) {
      ({ customerId } = await processEvent(
        orderEvent(shop, { orderId: `t${i}`, createdAt: `2026-03-0${i + 1}T00:00:00.000Z`, updatedAt: `2026-03-0${i + 1}T00:00:00.000Z` }),
        deps(),
      ));
    }
    const profile = (await getProfile(db, shop, customerId!, true))!;
    expect(profile.tier).toBe('silver');
    const timeline = (await getTimelinePage(db, shop, customerId!, 50)).items;
    expect(timeline.filter((e) => e.type === 'tier').map((e) => e.to)).toEqual(['silver', 'member']);
    expect(timeline.find((e) => e.type === 'tier' && e.to === 'silver')?.reason).toContain('threshold 3');
    expect(
      timeline
        .filter((e) => e.type === 'trigger')
        .map((e) => e.trigger)
        .sort(),
    ).toEqual(['points_milestone', 'tier_up', 'welcome']); // 3 × 199 + 50 passes 500; the first order welcomes
  });
});

describe('a crash between the profile write and its outbox', () => {
  it("loses no points when the same customer's next order comes before the redelivery", async () => {
    const shop = newShop();
    const customer = aCustomer();
    // The first order's ledger writes fail as if the consumer died right after its profile write.
    let crashing = true;
    const crashingDb: Db = {
      ...db,
      client: {
        send: (command: { input?: { Item?: { SK?: unknown } } }) => {
          const sk = command.input?.Item?.SK;
          if (crashing && typeof sk === 'string' && sk.startsWith('PTS#')) throw new Error('consumer died');
          return db.client.send(command as never);
        },
      } as unknown as Db['client'],
    };
    const a = orderEvent(shop, { orderId: 'a', total: 1_000_000, lineItems: [] }, customer);
    await expect(processEvent(a, { ...deps(), db: crashingDb })).rejects.toThrow('consumer died');
    crashing = false;
    const { customerId } = await processEvent(
      orderEvent(
        shop,
        { orderId: 'b', total: 2_000_000, lineItems: [], createdAt: '2026-03-06T00:00:00.000Z', updatedAt: '2026-03-06T00:00:00.000Z' },
        customer,
      ),
      deps(),
    );
    await processEvent(a, deps()); // the redelivery
    const state = await pointsOf(shop, customerId!);
    expect(state.profile.pointsBalance).toBe(100 + 50 + 200);
    expect(state.sum).toBe(state.profile.pointsBalance);
  });
});

describe('a crash between two identity claims of a new customer', () => {
  it('is repaired by the redelivery: the customer is found by every identity, and only one customer exists', async () => {
    const shop = newShop();
    const customer = aCustomer();
    const crashingDb: Db = {
      ...db,
      client: {
        send: (command: { input?: { Item?: { kind?: unknown } } }) => {
          if (command.input?.Item?.kind === 'email') throw new Error('consumer died');
          return db.client.send(command as never);
        },
      } as unknown as Db['client'],
    };
    const event = orderEvent(shop, { orderId: 'a', total: 1_000_000, lineItems: [] }, customer);
    await expect(processEvent(event, { ...deps(), db: crashingDb })).rejects.toThrow('consumer died');
    const { customerId } = await processEvent(event, deps()); // the redelivery
    expect(await getIdentityOwner(db, shop, { kind: 'email', value: customer.email!.toLowerCase() }, true)).toBe(customerId);
    // An event that carries only the email finds the same customer.
    const { customerId: byEmail } = await processEvent(
      orderEvent(
        shop,
        { orderId: 'b', total: 500_000, lineItems: [], createdAt: '2026-03-06T00:00:00.000Z', updatedAt: '2026-03-06T00:00:00.000Z' },
        { email: customer.email },
      ),
      deps(),
    );
    expect(byEmail).toBe(customerId);
  });

  it('costs a customer created without a crash one read of its identities, under the lease, not a second after the profile write', async () => {
    const shop = newShop();
    const identityReads: unknown[] = [];
    const countingDb: Db = {
      ...db,
      client: {
        send: (command: {
          constructor: { name: string };
          input?: { RequestItems?: Record<string, { Keys?: Array<{ PK?: string }> }> };
        }) => {
          const keys = Object.values(command.input?.RequestItems ?? {}).flatMap((request) => request.Keys ?? []);
          // The owners of its identities (not the erased-identity tombstones, read once beside them).
          const owners = keys.filter((key) => String(key.PK).startsWith(`SHOP#${shop}#ID#`) && !String(key.PK).includes('#ID#erased#'));
          if (command.constructor.name === 'BatchGetCommand' && owners.length > 0) identityReads.push(command);
          return db.client.send(command as never);
        },
      } as unknown as Db['client'],
    };
    const customer = aCustomer({ phone: '+84901234567' });
    const { customerId } = await processEvent(orderEvent(shop, { orderId: 'a', total: 1_000_000, lineItems: [] }, customer), {
      ...deps(),
      db: countingDb,
    });
    expect(identityReads).toHaveLength(1);
    for (const ref of [
      { kind: 'email', value: customer.email!.toLowerCase() },
      { kind: 'phone', value: '+84901234567' },
    ] as const)
      expect(await getIdentityOwner(db, shop, ref, true)).toBe(customerId);
  });
});

describe('a crash in the middle of a redemption', () => {
  it('is finished by the retry with the same Idempotency-Key: the receipt is not lost', async () => {
    const shop = newShop();
    const { customerId } = await processEvent(orderEvent(shop, { orderId: 'a', total: 1_000_000, lineItems: [] }), deps());
    // The points are taken and the ledger entry written; the request dies before its receipt.
    const crashingDb: Db = {
      ...db,
      client: {
        send: (command: { input?: { Item?: { SK?: unknown; entryId?: unknown } } }) => {
          if (String(command.input?.Item?.entryId ?? '').startsWith('trigger:redemption_receipt')) throw new Error('request died');
          return db.client.send(command as never);
        },
      } as unknown as Db['client'],
    };
    const shopRecord = { shopId: shop, currency: 'VND', name: shop } as Parameters<typeof redeemPoints>[0];
    const sent: string[] = [];
    const redeemDeps = (on: Db) => ({
      ...deps(),
      db: on,
      triggers: async (records: Array<{ key: string }>) => void sent.push(...records.map((r) => r.key)),
    });
    await expect(redeemPoints(shopRecord, customerId, { points: 40 }, 'retry-key-1', redeemDeps(crashingDb))).rejects.toThrow(
      'request died',
    );
    const again = await redeemPoints(shopRecord, customerId, { points: 40 }, 'retry-key-1', redeemDeps(db));
    expect(again.balance).toBe(150 - 40);
    const timeline = (await getTimelinePage(db, shop, customerId!, 50)).items;
    expect(timeline.filter((e) => e.type === 'trigger' && e.trigger === 'redemption_receipt')).toHaveLength(1);
    expect(sent).toContain('redemption_receipt:retry-key-1');
    const state = await pointsOf(shop, customerId!);
    expect(state.sum).toBe(state.profile.pointsBalance);
    expect(state.profile.pointsBalance).toBe(110);
  });
});

describe('loyalty under permutation and duplication (property)', () => {
  const historyArb = fc.array(
    fc.oneof(
      fc.record({
        kind: fc.constant('order' as const),
        order: fc.integer({ min: 0, max: 4 }),
        total: fc.integer({ min: 1, max: 60 }).map((n) => n * 50_000),
        status: fc.constantFrom('paid' as const, 'paid' as const, 'cancelled' as const),
      }),
      fc.record({
        kind: fc.constant('refund' as const),
        order: fc.integer({ min: 0, max: 4 }),
        refund: fc.integer({ min: 0, max: 2 }),
        amount: fc.integer({ min: 1, max: 20 }).map((n) => n * 50_000),
      }),
      fc.record({ kind: fc.constant('redeem' as const), key: fc.integer({ min: 0, max: 3 }), points: fc.integer({ min: 1, max: 150 }) }),
    ),
    { minLength: 1, maxLength: 12 },
  );

  it('keeps balance = ledger sum ≥ 0 with orders, refunds, cancellations and redemptions, awards nothing twice, and never lags the tier rule (200 histories)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(historyArb, fc.array(fc.nat(), { minLength: 30, maxLength: 30 }), async (steps, shuffle) => {
        const shop = `prop-loyalty-${process.pid}-${run++}`;
        const seen = new Map<number, number>();
        type Delivery = CanonicalEvent | { redeem: number; points: number };
        const events: Delivery[] = steps.map((step, i): Delivery => {
          if (step.kind === 'redeem') return { redeem: step.key, points: step.points };
          if (step.kind === 'refund')
            return refundEvent(
              shop,
              `o${step.order}`,
              `o${step.order}-r${step.refund}`,
              step.amount,
              `2026-02-0${1 + (i % 9)}T00:00:00.000Z`,
            );
          const version = (seen.get(step.order) ?? 0) + 1;
          seen.set(step.order, version);
          const at = `2026-01-${String(10 + version).padStart(2, '0')}T00:00:00.000Z`;
          return orderEvent(
            shop,
            {
              orderId: `o${step.order}`,
              total: step.total,
              status: step.status,
              lineItems: [],
              createdAt: '2026-01-05T00:00:00.000Z',
              updatedAt: at,
            },
            aCustomer(),
            {
              eventId: `${shop}-o${step.order}-v${version}`,
            },
          );
        });
        // Permute and duplicate, then deliver in concurrent waves as several consumers would.
        const deliveries = [...events, ...events.filter((_, i) => (shuffle[i] ?? 0) % 3 === 0)]
          .map((event, i) => ({ event, key: shuffle[i % shuffle.length] ?? i }))
          .sort((a, b) => a.key - b.key)
          .map((d) => d.event);
        const shopRecord = { shopId: shop, currency: 'VND' } as Parameters<typeof redeemPoints>[0];
        const deliver = async (delivery: Delivery) => {
          if ('type' in delivery) return processEvent(delivery, deps());
          const customerId = await getIdentityOwner(db, shop, { kind: 'ext', value: 'generic:1001' }, true);
          if (!customerId) return;
          // Not found yet, or too few points: both are answers, not failures.
          await redeemPoints(shopRecord, customerId, { points: delivery.points }, `key-${shop}-${delivery.redeem}`, deps()).catch(
            (error: Error) => expect(['NotFoundError', 'ConflictError']).toContain(error.name),
          );
        };
        for (let i = 0; i < deliveries.length; i += 4) await Promise.all(deliveries.slice(i, i + 4).map(deliver));

        const owner = await getProfile(
          db,
          shop,
          (await processEvent(orderEvent(shop, { orderId: 'probe', status: 'pending', lineItems: [] }), deps())).customerId!,
          true,
        );
        const customerId = (owner!.PK as string).split('#C#')[1]!;
        const { profile, ledger, sum } = await pointsOf(shop, customerId);
        const balance = (profile.pointsBalance as number | undefined) ?? 0;
        expect(balance).toBe(sum);
        expect(balance).toBeGreaterThanOrEqual(0);
        expect(new Set(ledger.map((e) => e.entryId)).size).toBe(ledger.length);
        expect(ledger.filter((e) => e.kind === 'bonus').length).toBeLessThanOrEqual(1);
        // Each redemption key spent at most once.
        const redeemed = ledger.filter((e) => e.kind === 'redeem').map((e) => e.entryId);
        expect(new Set(redeemed).size).toBe(redeemed.length);
        // Tiers go up on events and down only in the scheduled run: never below the rule on the final state.
        const counted = profileView(profile, 'USD').orderCount;
        expect(tierIndex(program, profile.tier as string)).toBeGreaterThanOrEqual(tierIndex(program, tierFor(counted, program).id));
      }),
      { numRuns: Number(process.env.LOYALTY_RUNS ?? 200) },
    );
  });
});
