import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DynamoEngine, dynamoClient, sqsClientFor } from '#infra/local/emulators.ts';
import { type Runtime, startRuntime } from '#infra/local/runtime.ts';
import { getOrder } from '#shared/data/order-repo.ts';
import { putShopIfAbsent } from '#shared/data/shop-repo.ts';
import { aShop, orderEvent } from '#test/support/factories.ts';

/**
 * A poison message with the real processor: it fails alone, five times, then waits in the DLQ,
 * while the good messages delivered in the same batch are each applied once.
 */

let runtime: Runtime;

beforeAll(async () => {
  runtime = await startRuntime({
    port: 0,
    dataDir: null,
    dynamodb: (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine,
    visibilityTimeoutSeconds: 1,
    batchingWindowSeconds: 0,
    pollerConcurrency: 1,
    log: () => {},
  });
});
afterAll(async () => runtime?.stop());

it('moves a poison message to the DLQ after 5 receives without holding back its neighbours', async () => {
  const sqs = sqsClientFor(runtime.endpoints.sqs);
  // The processor drops events of a shop that was never created.
  const db = { client: DynamoDBDocumentClient.from(dynamoClient(runtime.endpoints.dynamodb)), table: runtime.tableName };
  await putShopIfAbsent(db, aShop('poison-shop'));
  const good = Array.from({ length: 4 }, (_, i) => orderEvent('poison-shop', { orderId: `g${i}` }));
  const bodies = [
    JSON.stringify(good[0]),
    JSON.stringify(good[1]),
    '{"type":"order.upserted","this is":"not an event"}',
    JSON.stringify(good[2]),
    JSON.stringify(good[3]),
  ];
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: runtime.queues.interactions.url,
      Entries: bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody })),
    }),
  );

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: runtime.queues.interactions.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    if (Number(Attributes?.ApproximateNumberOfMessages) > 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: runtime.queues.interactions.dlqUrl,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }),
  );
  const dead = Messages?.[0]?.Body;
  expect(Messages).toHaveLength(1);
  expect(dead).toBe(bodies[2]);
  // Five receives on the source queue (the sixth, here, is the DLQ's own).
  expect(Number(Messages?.[0]?.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(5);

  for (const event of good) {
    const order = await getOrder(db, 'poison-shop', event.order!.orderId, true);
    // seq 1: each good order state was written exactly once, however often the poison was retried.
    expect(order?.seq).toBe(1);
  }
  sqs.destroy();
});
