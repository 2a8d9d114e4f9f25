import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoEngine, dynamoClient, isLoopbackEndpoint, sqsClientFor } from '#infra/local/emulators.ts';
import { type Runtime, startRuntime } from '#infra/local/runtime.ts';
import { getIdentityOwner, getProfile } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { putShopIfAbsent } from '#shared/data/shop-repo.ts';
import type { CanonicalEvent, OrderStatus } from '#shared/domain/event.ts';
import { aShop } from '#test/support/factories.ts';
import { profileView } from '#test/support/profile.ts';

/**
 * Convergence, as a property: random histories of order events (created, paid, updated, refunded,
 * cancelled) and contact changes for several customers are delivered through the real queue and
 * the real processor — permuted, duplicated, late — and every final profile must equal an oracle
 * computed independently from the newest order states. 10 runs × 20 histories = 200 histories,
 * each run delivering its 20 histories (20 shops) at once, so shops and customers race.
 */

const HISTORIES_PER_RUN = 20;
const RUNS = Number(process.env.CONVERGENCE_RUNS ?? 10);
const CATEGORIES = ['Tea', 'Coffee', 'Cups', 'Gifts'];

interface OrderStateGen {
  status: OrderStatus;
  total: number;
  lines: Array<{ category: string; quantity: number; price: number }>;
}
interface OrderHistory {
  orderId: string;
  createdDay: number;
  states: OrderStateGen[];
  refunds: number[];
}
interface CustomerHistory {
  key: number;
  guest: boolean;
  orders: OrderHistory[];
  names: string[];
}

const lineArb = fc.record({
  category: fc.constantFrom(...CATEGORIES),
  quantity: fc.integer({ min: 1, max: 3 }),
  price: fc.integer({ min: 1, max: 500 }).map((p) => p * 100),
});
const stateArb = fc
  .record({
    status: fc.constantFrom<OrderStatus>('pending', 'paid', 'paid', 'paid', 'cancelled', 'partially_refunded', 'refunded'),
    lines: fc.array(lineArb, { minLength: 1, maxLength: 3 }),
  })
  .map((s): OrderStateGen => ({ ...s, total: s.lines.reduce((sum, l) => sum + l.price * l.quantity, 0) }));
const orderArb = (i: number) =>
  fc.record({
    orderId: fc.constant(`o${i}`),
    createdDay: fc.integer({ min: 0, max: 200 }),
    states: fc.array(stateArb, { minLength: 1, maxLength: 4 }),
    refunds: fc.array(
      fc.integer({ min: 1, max: 40 }).map((p) => p * 100),
      { maxLength: 2 },
    ),
  });
const customerArb = (key: number) =>
  fc.record({
    key: fc.constant(key),
    guest: fc.boolean(),
    orders: fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => orderArb(key * 10 + i)))),
    names: fc.array(fc.constantFrom('An', 'Bình', 'Chi', 'Dũng'), { minLength: 1, maxLength: 3 }),
  });
const historyArb = fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => customerArb(i))));
/** How each message is delivered: a sort key (permutation) and a number of copies (duplication). */
const deliveryArb = fc.array(fc.record({ order: fc.double({ min: 0, max: 1, noNaN: true }), copies: fc.constantFrom(1, 1, 1, 2, 3) }), {
  minLength: 200,
  maxLength: 200,
});

const day = (d: number, hour = 0) => new Date(Date.UTC(2026, 0, 1 + d, hour)).toISOString();
const email = (c: CustomerHistory) => `customer${c.key}@example.com`;

function eventsOf(shopId: string, customers: CustomerHistory[]): CanonicalEvent[] {
  const events: CanonicalEvent[] = [];
  for (const c of customers) {
    const customer = { ...(c.guest ? {} : { externalId: `generic:${c.key}` }), email: email(c) };
    c.orders.forEach((o) => {
      o.states.forEach((state, v) => {
        const updatedAt = day(o.createdDay, v + 1);
        events.push({
          eventId: `${shopId}.${o.orderId}.v${v}`,
          shopId,
          type: 'order.upserted',
          occurredAt: updatedAt,
          source: 'generic',
          customer,
          order: {
            orderId: o.orderId,
            status: state.status,
            currency: 'USD',
            total: state.total,
            createdAt: day(o.createdDay),
            updatedAt,
            lineItems: state.lines.map((l, i) => ({ title: `item ${i}`, ...l })),
          },
        });
      });
      o.refunds.forEach((amount, r) => {
        events.push({
          eventId: `${shopId}.${o.orderId}.r${r}`,
          shopId,
          type: 'refund.created',
          occurredAt: day(o.createdDay + 1, r),
          source: 'generic',
          refund: { refundId: `${o.orderId}-r${r}`, orderId: o.orderId, amount, currency: 'USD', createdAt: day(o.createdDay + 1, r) },
        });
      });
    });
    c.names.forEach((name, i) => {
      events.push({
        eventId: `${shopId}.c${c.key}.n${i}`,
        shopId,
        type: 'customer.upserted',
        occurredAt: day(300 + i),
        source: 'generic',
        customer: { ...customer, firstName: name, updatedAt: day(300 + i) },
      });
    });
  }
  return events;
}

/** The oracle: written from the rules in DESIGN §3/§5 and docs, independently of shared/domain. */
function expectedProfile(c: CustomerHistory) {
  let orderCount = 0;
  let totalSpent = 0;
  let refunded = 0;
  const created: number[] = [];
  const categories = new Map<string, number>();
  for (const o of c.orders) {
    const newest = o.states[o.states.length - 1]!;
    const refundSum = o.refunds.reduce((a, b) => a + b, 0);
    const orderRefunded = newest.status === 'refunded' ? newest.total : Math.min(newest.total, refundSum);
    const paid = ['paid', 'partially_refunded', 'refunded'].includes(newest.status);
    if (paid) refunded += orderRefunded;
    if (!paid || newest.total - orderRefunded <= 0) continue;
    orderCount++;
    totalSpent += newest.total - orderRefunded;
    created.push(o.createdDay);
    for (const line of newest.lines) categories.set(line.category, (categories.get(line.category) ?? 0) + line.price * line.quantity);
  }
  const topCategories = [...categories.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name]) => name);
  return {
    orderCount,
    totalSpent: { amount: totalSpent, currency: 'USD' },
    refunded: { amount: refunded, currency: 'USD' },
    firstOrderAt: created.length ? day(Math.min(...created)) : null,
    lastOrderAt: created.length ? day(Math.max(...created)) : null,
    topCategories,
    firstName: c.names[c.names.length - 1],
    email: email(c),
  };
}

let runtime: Runtime;
let db: Db;
let runNo = 0;

beforeAll(async () => {
  runtime = await startRuntime({
    port: 0,
    dataDir: null,
    dynamodb: (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine,
    visibilityTimeoutSeconds: 5,
    batchingWindowSeconds: 0,
    pollerConcurrency: 3,
    log: () => {},
  });
  if (!isLoopbackEndpoint(runtime.endpoints.sqs) || !isLoopbackEndpoint(runtime.endpoints.dynamodb)) throw new Error('not loopback');
  db = { client: DynamoDBDocumentClient.from(dynamoClient(runtime.endpoints.dynamodb)), table: runtime.tableName };
});
afterAll(async () => runtime?.stop());

describe('convergence through the real queue and processor', () => {
  it(`every final profile equals the oracle (${RUNS * HISTORIES_PER_RUN} histories, permuted and duplicated)`, async () => {
    const sqs = sqsClientFor(runtime.endpoints.sqs);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(historyArb, deliveryArb), { minLength: HISTORIES_PER_RUN, maxLength: HISTORIES_PER_RUN }),
        async (histories) => {
          const run = runNo++;
          // The processor drops events of a shop that was never created: each history's shop exists.
          for (let h = 0; h < histories.length; h++) await putShopIfAbsent(db, aShop(`prop-${run}-${h}`, { currency: 'USD' }));
          const messages: Array<{ sort: number; body: string }> = [];
          histories.forEach(([customers, delivery], h) => {
            eventsOf(`prop-${run}-${h}`, customers).forEach((event, i) => {
              const plan = delivery[i % delivery.length]!;
              for (let copy = 0; copy < plan.copies; copy++) messages.push({ sort: plan.order + copy * 0.37, body: JSON.stringify(event) });
            });
          });
          messages.sort((a, b) => a.sort - b.sort);
          for (let i = 0; i < messages.length; i += 10) {
            const chunk = messages.slice(i, i + 10);
            await sqs.send(
              new SendMessageBatchCommand({
                QueueUrl: runtime.queues.interactions.url,
                Entries: chunk.map((m, j) => ({ Id: String(j), MessageBody: m.body })),
              }),
            );
          }
          await runtime.idle(120_000);
          for (const [h, [customers]] of histories.entries()) {
            const shopId = `prop-${run}-${h}`;
            for (const c of customers) {
              const ref = c.guest ? ({ kind: 'email', value: email(c) } as const) : ({ kind: 'ext', value: `generic:${c.key}` } as const);
              const customerId = await getIdentityOwner(db, shopId, ref, true);
              expect(customerId, `${shopId} customer ${c.key}`).toBeDefined();
              const item = await getProfile(db, shopId, customerId!, true);
              const profile = profileView(item!, 'USD');
              expect({ ...profile, topCategories: profile.topCategories }, `${shopId} customer ${c.key}`).toMatchObject(expectedProfile(c));
            }
          }
        },
      ),
      { numRuns: RUNS, endOnFailure: true },
    );
    sqs.destroy();
  });
});
