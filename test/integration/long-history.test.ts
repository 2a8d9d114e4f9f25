import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, sqsClientFor } from '#infra/local/emulators.ts';
import type { Runtime } from '#infra/local/runtime.ts';
import { getIdentityOwner, getProfile } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { itemSize } from '#shared/data/item-size.ts';
import type { CanonicalEvent, EventOrder } from '#shared/domain/event.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { orderEvent } from '#test/support/factories.ts';
import { createShopOverHttp, startTestRuntime } from '#test/support/local-api.ts';
import { profileView } from '#test/support/profile.ts';
import { describeCosts, meterCapacity, totals } from '../../bench/capacity.ts';

/**
 * One customer with a long history — a walk-in POS account, a daily subscriber: 2,000 paid orders of
 * 10 line items each through the real queue and processor. Every order counts, nothing reaches the
 * dead-letter queue, no item of the table reaches 8 KB, and the 2,000th order costs the same write
 * units as the 10th (measured where the engine reports capacity, estimated from item sizes on
 * dynalite, which reports none).
 */

const ORDERS = Number(process.env.LONG_HISTORY_ORDERS ?? 2000);
const SHOP = 'long-history';
const CUSTOMER = { externalId: 'generic:walk-in', email: 'walk-in@example.vn', firstName: 'Khách', lastName: 'Lẻ' };
const CATEGORIES = ['Tea', 'Coffee', 'Cups', 'Gifts', 'Snacks', 'Books', 'Ceramics', 'Sweets'];

function order(k: number): Partial<EventOrder> {
  const at = new Date(Date.UTC(2026, 0, 5, 9) + k * 3_600_000).toISOString();
  const lineItems = Array.from({ length: 10 }, (_, i) => ({
    sku: `SKU-${(k * 7 + i) % 60}`,
    productId: `p_${(k * 7 + i) % 60}`,
    title: `Sản phẩm số ${(k * 7 + i) % 60}`,
    quantity: 1 + (i % 3),
    price: 10_000 * (1 + ((k + i) % 20)),
    category: CATEGORIES[(k + i) % CATEGORIES.length] as string,
  }));
  return {
    orderId: `pos-${k}`,
    status: 'paid',
    total: lineItems.reduce((sum, line) => sum + line.price * line.quantity, 0),
    createdAt: at,
    updatedAt: at,
    lineItems,
  };
}

const eventOf = (k: number): CanonicalEvent => orderEvent(SHOP, order(k), CUSTOMER, { eventId: `${SHOP}-${k}` });

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ runtime, db, stop } = await startTestRuntime({ visibilityTimeoutSeconds: 10 }));
});
afterAll(async () => stop?.());

async function send(from: number, to: number) {
  const sqs = sqsClientFor(runtime.endpoints.sqs);
  try {
    for (let k = from; k <= to; k += 10) {
      const ks = Array.from({ length: Math.min(10, to - k + 1) }, (_, i) => k + i);
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: runtime.queues.interactions.url,
          Entries: ks.map((n) => ({ Id: String(n), MessageBody: JSON.stringify(eventOf(n)) })),
        }),
      );
    }
  } finally {
    sqs.destroy();
  }
}

/** One order through the processor's use case on a metered client of the same table. */
async function metered(k: number) {
  const client = DynamoDBDocumentClient.from(dynamoClient(runtime.endpoints.dynamodb), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const meter = meterCapacity(client);
  try {
    const program = defaultProgram({ currency: 'VND', name: 'x' });
    const deps = {
      db: { client, table: runtime.tableName },
      now: () => new Date(),
      phoneRegion: async () => 'VN',
      program: async () => program,
    };
    const { outcome } = await processEvent(eventOf(k), deps);
    const costs = meter.take();
    return { outcome, ...totals(costs), commands: describeCosts(costs) };
  } finally {
    client.destroy();
  }
}

async function scanMaxItem() {
  let largest = { size: 0, key: '' };
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(new ScanCommand({ TableName: db.table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const size = itemSize(item);
      if (size > largest.size) largest = { size, key: `${item.PK} ${item.SK}` };
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return largest;
}

describe(`a customer with ${ORDERS} orders of 10 line items`, () => {
  it('counts every order, loses none, keeps every item under 8 KB, and pays the same for the last order as for the 10th', async () => {
    // The shop, created as an operator would, so the processor uses its program (the default one).
    await createShopOverHttp(runtime, { shopId: SHOP, currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' });

    await send(1, 9);
    await runtime.idle(120_000);
    const tenth = await metered(10);
    expect(tenth.outcome).toBe('applied');
    await send(11, ORDERS - 1);
    await runtime.idle(600_000);
    const last = await metered(ORDERS);
    expect(last.outcome).toBe('applied');

    const sqs = sqsClientFor(runtime.endpoints.sqs);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: runtime.queues.interactions.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    sqs.destroy();
    expect(Number(Attributes?.ApproximateNumberOfMessages)).toBe(0);

    const customerId = await getIdentityOwner(db, SHOP, { kind: 'ext', value: CUSTOMER.externalId }, true);
    const profile = profileView((await getProfile(db, SHOP, customerId!, true))!, 'VND');
    const expectedSpend = Array.from({ length: ORDERS }, (_, i) => order(i + 1).total as number).reduce((a, b) => a + b, 0);
    expect(profile.orderCount).toBe(ORDERS);
    expect(profile.totalSpent.amount).toBe(expectedSpend);
    expect(profile.firstOrderAt).toBe(order(1).createdAt);
    expect(profile.lastOrderAt).toBe(order(ORDERS).createdAt);

    const largest = await scanMaxItem();
    expect(largest.size, largest.key).toBeLessThan(8192);
    expect(last.wcu, `10th: ${tenth.commands.join('; ')}\nlast: ${last.commands.join('; ')}`).toBe(tenth.wcu);
    expect(last.commands.length).toBe(tenth.commands.length);
  });
});
