import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClient, ensureTable, isLoopbackEndpoint, startDynamo } from '#infra/local/emulators.ts';
import { getProfile } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { itemSize } from '#shared/data/item-size.ts';
import { type CanonicalEvent, CanonicalEventSchema, type EventCustomer, type EventOrder } from '#shared/domain/event.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { orderEvent } from '#test/support/factories.ts';
import { type CommandCost, describeCosts, meterCapacity, totals } from './capacity.ts';
import { spineOnly } from './loyalty.ts';
import { customer, order } from './orders.ts';
import type { BenchResult } from './report.ts';
import { mean, round } from './stats.ts';

/**
 * What one order costs in DynamoDB capacity, measured on Amazon's DynamoDB Local (which reports
 * ConsumedCapacity, GSI writes included; dynalite does not) through the processor's use case
 * `processEvent`, with the real repositories. Scenarios: a brand-new customer's first order;
 * orders 2–10 of that customer; a duplicate delivery of an order already applied; and, for
 * information, a large (~70-line) order.
 */

export const WCU_PER_NEW_ORDER_TARGET = 2;
export const RCU_PER_NEW_ORDER_TARGET = 1;
export const WCU_PER_DUPLICATE_TARGET = 1;
export const WCU_PER_REPEAT_ORDER_TARGET = 3;
export const CALLS_PER_ORDER_TARGET = 3;
export const PROFILE_BYTES_TARGET = 8192;
const LONG_ORDERS = 1000;
const SHOP_ID = 'bench-ingest';
const ORDERS_PER_CUSTOMER = 10;

interface Measured {
  rcu: number;
  wcu: number;
  gsiWcu: number;
  outcome: string;
  commands: string[];
}

export async function benchIngest(): Promise<BenchResult> {
  const emulator = await startDynamo({ engine: 'dynamodb-local' });
  if (!isLoopbackEndpoint(emulator.endpoint)) throw new Error(`refusing to bench against ${emulator.endpoint}`);
  const client = DynamoDBDocumentClient.from(dynamoClient(emulator.endpoint), { marshallOptions: { removeUndefinedValues: true } });
  try {
    const table = `bench-${randomUUID().slice(0, 8)}`;
    await ensureTable(emulator.endpoint, table);
    const meter = meterCapacity(client);
    const db: Db = { client, table };
    let clock = new Date('2026-01-05T09:00:00.000Z');
    // The processor reads the shop's region from its 30-second shop cache: one shop read per
    // container per half minute, not per order, so it is left out here.
    // The spine alone: a program that awards nothing (the loyalty bench measures what points add).
    const program = spineOnly(defaultProgram({ currency: 'VND', name: 'bench' }));
    const deps = { db, now: () => clock, phoneRegion: async () => 'VN', program: async () => program };

    const run = async (event: CanonicalEvent): Promise<Measured> => {
      meter.take();
      // Through the schema, as the processor parses every queue message.
      const { outcome } = await processEvent(CanonicalEventSchema.parse(JSON.parse(JSON.stringify(event))), deps);
      const costs: CommandCost[] = meter.take();
      return { ...totals(costs), outcome, commands: describeCosts(costs) };
    };
    const eventFor = (c: EventCustomer, o: EventOrder) => orderEvent(SHOP_ID, o, c);

    /** Ten orders a week apart for one customer; the result of each, in order. */
    const tenOrders = async (c: EventCustomer, n: number) => {
      const results: Measured[] = [];
      const events: CanonicalEvent[] = [];
      for (let k = 1; k <= ORDERS_PER_CUSTOMER; k++) {
        clock = new Date(Date.UTC(2026, 0, 5 + 7 * (k - 1), 9));
        const event = eventFor(c, order({ orderId: `ord-${n}-${k}`, at: clock, lines: 3, seed: k }));
        events.push(event);
        const measured = await run(event);
        if (measured.outcome !== 'applied') throw new Error(`order ${k} was ${measured.outcome}, not applied`);
        results.push(measured);
      }
      return { results, events };
    };

    // (a)+(b): a customer as the generic route usually sends one — no customer.updatedAt, so each
    // order restates the contact details stamped with the order's time.
    const { results: orders, events } = await tenOrders(customer(1), 1);
    const [first, ...repeat] = orders as [Measured, ...Measured[]];
    const tenth = orders[ORDERS_PER_CUSTOMER - 1] as Measured;

    // (c): the 10th order delivered again (SQS at-least-once, or the shop retrying).
    const duplicate = await run(events[ORDERS_PER_CUSTOMER - 1] as CanonicalEvent);
    if (duplicate.outcome !== 'duplicate') throw new Error(`a repeated delivery was ${duplicate.outcome}, not duplicate`);

    // Information: a customer whose details carry an unchanging customer.updatedAt (Shopify and
    // WooCommerce always send one), so repeat orders do not rewrite the contact fields.
    const stable = await tenOrders({ ...customer(2), updatedAt: '2025-12-01T00:00:00.000Z' }, 2);
    const stableRepeat = stable.results.slice(1);

    // Information: a ~10 KB order (the webhook bench's size) as a new customer's first order.
    clock = new Date('2026-03-20T09:00:00.000Z');
    const large = await run(eventFor(customer(3), order({ orderId: 'ord-3-1', at: clock, lines: 68 })));

    // Under the default program (spine + points), one customer with a long history: 1,000 orders of
    // 10 line items each, an hour apart. Measured: orders 2–10 and 10–13 (one fold cycle), and the
    // 997th–1,000th; the profile's size after the 1,000th.
    const full = defaultProgram({ currency: 'VND', name: 'bench' });
    const fullDeps = { ...deps, program: async () => full };
    const long: Measured[] = [];
    const longCustomer = customer(4);
    for (let k = 1; k <= LONG_ORDERS; k++) {
      clock = new Date(Date.UTC(2026, 0, 5, 9) + (k - 1) * 3_600_000);
      const event = CanonicalEventSchema.parse(
        JSON.parse(JSON.stringify(eventFor(longCustomer, order({ orderId: `long-${k}`, at: clock, lines: 10, seed: k })))),
      );
      meter.take();
      const { outcome } = await processEvent(event, fullDeps);
      if (outcome !== 'applied') throw new Error(`long order ${k} was ${outcome}, not applied`);
      const costs = meter.take();
      long.push({ ...totals(costs), outcome, commands: describeCosts(costs) });
    }
    const longId = (await processEvent(eventFor(longCustomer, order({ orderId: 'long-1', at: clock, lines: 10, seed: 1 })), fullDeps))
      .customerId as string;
    const longProfile = await getProfile(db, SHOP_ID, longId, true);
    const profileBytesAt1000 = itemSize(longProfile ?? {});
    // A typical repeat order under the default program: 3 lines, orders 2–10 of a customer (mean).
    const typical: Measured[] = [];
    for (let k = 1; k <= ORDERS_PER_CUSTOMER; k++) {
      clock = new Date(Date.UTC(2026, 2, 2 + 7 * (k - 1), 9));
      const event = CanonicalEventSchema.parse(
        JSON.parse(JSON.stringify(eventFor(customer(5), order({ orderId: `typ-${k}`, at: clock, lines: 3, seed: k })))),
      );
      meter.take();
      const { outcome } = await processEvent(event, fullDeps);
      const costs = meter.take();
      if (k > 1) typical.push({ ...totals(costs), outcome, commands: describeCosts(costs) });
    }
    const cycle = (from: number) => long.slice(from - 1, from + 3);
    const at = (n: number) => long[n - 1] as Measured;
    const callsOf = (m: Measured) => m.commands.length;
    const repeatFull = long.slice(1, ORDERS_PER_CUSTOMER);

    const wcuRepeat = repeat.map((m) => m.wcu);
    const rcuRepeat = repeat.map((m) => m.rcu);
    const worstWcu = Math.max(...wcuRepeat);
    const worstRcu = Math.max(...rcuRepeat);
    const figures = {
      wcuPerNewOrder: worstWcu,
      rcuPerNewOrder: worstRcu,
      wcuPerDuplicate: duplicate.wcu,
      rcuPerDuplicate: duplicate.rcu,
      wcuFirstOrder: first.wcu,
      rcuFirstOrder: first.rcu,
      repeatOrders: {
        wcuMean: round(mean(wcuRepeat)),
        wcuMax: worstWcu,
        rcuMean: round(mean(rcuRepeat)),
        rcuMax: worstRcu,
        wcuTenth: tenth.wcu,
        rcuTenth: tenth.rcu,
        perOrder: repeat.map((m, i) => ({ order: i + 2, wcu: m.wcu, rcu: m.rcu, gsiWcu: m.gsiWcu })),
      },
      breakdown: {
        firstOrder: first.commands,
        tenthOrder: tenth.commands,
        duplicate: duplicate.commands,
      },
      stableContact: {
        wcuPerNewOrder: Math.max(...stableRepeat.map((m) => m.wcu)),
        rcuPerNewOrder: Math.max(...stableRepeat.map((m) => m.rcu)),
        wcuFirstOrder: stable.results[0]?.wcu,
        tenthOrder: stable.results[ORDERS_PER_CUSTOMER - 1]?.commands,
      },
      largeOrder: { lines: 68, wcu: large.wcu, rcu: large.rcu, commands: large.commands },
      wcuPerRepeatOrder: Math.max(...repeatFull.map((m) => m.wcu)),
      wcuPerTypicalOrder: round(mean(typical.map((m) => m.wcu))),
      rcuPerTypicalOrder: round(mean(typical.map((m) => m.rcu))),
      callsPerTypicalOrder: round(mean(typical.map((m) => m.commands.length))),
      rcuPerRepeatOrder: Math.max(...repeatFull.map((m) => m.rcu)),
      wcuAtOrder10: at(10).wcu,
      wcuAtOrder1000: at(LONG_ORDERS).wcu,
      callsAtOrder10: callsOf(at(10)),
      callsAtOrder1000: callsOf(at(LONG_ORDERS)),
      profileBytesAt1000,
      longHistory: {
        program: 'default (spine + points)',
        linesPerOrder: 10,
        orders: LONG_ORDERS,
        repeatWcuMean: round(mean(repeatFull.map((m) => m.wcu))),
        cycleAt10: { wcuMean: round(mean(cycle(10).map((m) => m.wcu))), callsMean: round(mean(cycle(10).map(callsOf))) },
        cycleAt997: {
          wcuMean: round(mean(cycle(LONG_ORDERS - 3).map((m) => m.wcu))),
          callsMean: round(mean(cycle(LONG_ORDERS - 3).map(callsOf))),
        },
        order10: at(10).commands,
        order1000: at(LONG_ORDERS).commands,
        order997to1000: cycle(LONG_ORDERS - 3).map((m) => m.commands),
      },
      engine: 'dynamodb-local',
      method:
        'processEvent on DynamoDB Local with ReturnConsumedCapacity INDEXES on every command; failed conditional writes charged from the item returned by ReturnValuesOnConditionCheckFailure (estimated)',
    };
    return {
      figures,
      notes: [
        `ingest, 10th order of a customer: ${tenth.commands.join('; ')}`,
        `ingest, same with an unchanging customer.updatedAt: ${(stable.results[ORDERS_PER_CUSTOMER - 1]?.commands ?? []).join('; ')}`,
        `ingest, duplicate delivery: ${duplicate.commands.join('; ')}`,
      ],
      rows: [
        {
          key: 'ingest.wcuPerNewOrder',
          label: `orders 2–10 of one customer: worst (mean ${round(mean(wcuRepeat), 2)}, 10th ${tenth.wcu}); ${tenth.commands.filter((c) => !c.includes(' RCU')).length} writes on the 10th`,
          value: worstWcu,
          unit: 'WCU',
          target: { op: '<=', value: WCU_PER_NEW_ORDER_TARGET },
        },
        {
          key: 'ingest.rcuPerNewOrder',
          label: `orders 2–10 of one customer: worst (mean ${round(mean(rcuRepeat), 2)}, 10th ${tenth.rcu})`,
          value: worstRcu,
          unit: 'RCU',
          target: { op: '<=', value: RCU_PER_NEW_ORDER_TARGET },
        },
        {
          key: 'ingest.wcuPerDuplicate',
          label: `the 10th order delivered again (${duplicate.rcu} RCU)`,
          value: duplicate.wcu,
          unit: 'WCU',
          target: { op: '<=', value: WCU_PER_DUPLICATE_TARGET },
        },
        {
          key: 'ingest.stableContact.wcuPerNewOrder',
          label: `orders 2–10 when customer.updatedAt does not change (worst; ${Math.max(...stableRepeat.map((m) => m.rcu))} RCU)`,
          value: Math.max(...stableRepeat.map((m) => m.wcu)),
          unit: 'WCU',
        },
        {
          key: 'ingest.wcuPerRepeatOrder',
          label: `orders 2–10, default program (points), 10 lines each: worst (mean ${round(mean(repeatFull.map((m) => m.wcu)), 2)})`,
          value: Math.max(...repeatFull.map((m) => m.wcu)),
          unit: 'WCU',
          target: { op: '<=', value: WCU_PER_REPEAT_ORDER_TARGET },
        },
        {
          key: 'ingest.wcuPerTypicalOrder',
          label: `orders 2–10 of a customer, default program, 3 lines: mean (${round(mean(typical.map((m) => m.commands.length)), 2)} calls, ${round(mean(typical.map((m) => m.rcu)), 2)} RCU)`,
          value: round(mean(typical.map((m) => m.wcu))),
          unit: 'WCU',
          target: { op: '<=', value: WCU_PER_REPEAT_ORDER_TARGET },
        },
        {
          key: 'ingest.wcuAtOrder1000',
          label: `the 1,000th order of one customer (10th: ${at(10).wcu}; fold-cycle mean at 10–13 ${round(mean(cycle(10).map((m) => m.wcu)), 2)}, at 997–1,000 ${round(mean(cycle(LONG_ORDERS - 3).map((m) => m.wcu)), 2)})`,
          value: at(LONG_ORDERS).wcu,
          unit: 'WCU',
          target: { op: '<=', value: WCU_PER_REPEAT_ORDER_TARGET },
        },
        {
          key: 'ingest.callsAtOrder1000',
          label: `DynamoDB calls of the 1,000th order (10th: ${callsOf(at(10))}; cycle means ${round(mean(cycle(10).map(callsOf)), 2)} / ${round(mean(cycle(LONG_ORDERS - 3).map(callsOf)), 2)})`,
          value: callsOf(at(LONG_ORDERS)),
          unit: 'calls',
          target: { op: '<=', value: CALLS_PER_ORDER_TARGET },
        },
        {
          key: 'ingest.profileBytesAt1000',
          label: 'the profile after 1,000 orders of 10 lines (DynamoDB item size)',
          value: profileBytesAt1000,
          unit: 'B',
          target: { op: '<=', value: PROFILE_BYTES_TARGET },
        },
        {
          key: 'ingest.wcuFirstOrder',
          label: `a brand-new customer's first order (identity claims included; ${first.rcu} RCU)`,
          value: first.wcu,
          unit: 'WCU',
        },
      ],
    };
  } finally {
    client.destroy();
    await emulator.stop();
  }
}
