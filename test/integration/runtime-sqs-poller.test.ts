import {
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queues } from '#functions/triggers.ts';
import { type Emulator, ensureQueues, isLoopbackEndpoint, type QueueUrls, sleep, sqsClientFor, startSqs } from '#infra/local/emulators.ts';
import type { SqsHandler } from '#infra/local/lambda.ts';
import { type SqsPoller, startSqsPoller } from '#infra/local/sqs-poller.ts';

const fn = { name: 'fakeConsumer', memoryMb: 128, timeoutSeconds: 5 };

describe('local SQS poller (Lambda event source mapping)', () => {
  let sqs: Emulator;
  let client: SQSClient;
  let queue: QueueUrls;
  let poller: SqsPoller | undefined;
  const logs: string[] = [];

  beforeAll(async () => {
    sqs = await startSqs();
    if (!isLoopbackEndpoint(sqs.endpoint)) throw new Error(`refusing to test against ${sqs.endpoint}`);
    client = sqsClientFor(sqs.endpoint);
    queue = (await ensureQueues(sqs.endpoint, { prefix: 'test-', visibilityTimeoutSeconds: 1 })).interactions;
  });
  afterEach(async () => {
    await poller?.stop();
    poller = undefined;
    await client.send(new PurgeQueueCommand({ QueueUrl: queue.url }));
    await client.send(new PurgeQueueCommand({ QueueUrl: queue.dlqUrl }));
  });
  afterAll(async () => {
    client?.destroy();
    await sqs?.stop();
  });

  const start = (handler: SqsHandler, overrides: { concurrency?: number; batchingWindowSeconds?: number } = {}) => {
    poller = startSqsPoller({
      endpoint: sqs.endpoint,
      queueUrl: queue.url,
      queueArn: queue.arn,
      fn,
      handler,
      batchSize: queues.interactions.batchSize,
      batchingWindowSeconds: 0,
      log: (line) => logs.push(line),
      ...overrides,
    });
  };

  const send = async (bodies: string[], url = queue.url) => {
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies.map((body, i) => ({
          Id: String(i),
          MessageBody: body,
          MessageAttributes: { source: { DataType: 'String', StringValue: 'test' } },
        })),
      }),
    );
  };

  const count = async (url: string) => {
    const { Attributes = {} } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
  };

  const until = async (check: () => Promise<boolean> | boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await sleep(25);
    }
  };

  it('hands the handler a real SQSEvent', async () => {
    const events: SQSEvent[] = [];
    start(async (event) => {
      events.push(event);
    });
    await send(['{"n":1}']);
    await until(() => events.length === 1);
    const record = events[0]?.Records[0] as SQSRecord;
    expect(record).toMatchObject({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      body: '{"n":1}',
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      messageAttributes: {
        source: { stringValue: 'test', dataType: 'String', stringListValues: [], binaryListValues: [] },
      },
    });
    expect(record.attributes).toMatchObject({
      ApproximateReceiveCount: '1',
      SentTimestamp: expect.stringMatching(/^\d+$/),
      SenderId: expect.any(String),
      ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
    });
    expect(record.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
  });

  it('deletes the records that succeeded and leaves the reported failures to come back', async () => {
    const received: string[] = [];
    start(async (event): Promise<SQSBatchResponse> => {
      received.push(...event.Records.map((r) => r.body));
      return {
        batchItemFailures: event.Records.filter((r) => r.body === 'fail' && r.attributes.ApproximateReceiveCount === '1').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
    });
    await send(['ok-1', 'fail', 'ok-2']);
    await until(() => received.filter((b) => b === 'fail').length === 2);
    await until(async () => (await count(queue.url)) === 0);
    expect(received.filter((b) => b === 'ok-1')).toHaveLength(1);
    expect(received.filter((b) => b === 'ok-2')).toHaveLength(1);
  });

  it('deletes nothing when the handler throws, or names a record that is not in the batch', async () => {
    const received: string[] = [];
    let calls = 0;
    start(
      async (event) => {
        received.push(...event.Records.map((r) => r.body));
        calls++;
        if (calls === 1) throw new Error('transient');
        if (calls === 2) return { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] };
        return undefined;
      },
      { concurrency: 1 },
    );
    await send(['a', 'b']);
    await until(() => calls >= 3);
    await until(async () => (await count(queue.url)) === 0);
    // Every attempt saw the whole batch again.
    expect(received.filter((b) => b === 'a')).toHaveLength(3);
    expect(received.filter((b) => b === 'b')).toHaveLength(3);
    expect(logs.join('\n')).toContain('transient');
  });

  it('moves a poison message to the DLQ after exactly 5 receives; its neighbours run once each', async () => {
    const receives = new Map<string, string[]>();
    start(async (event): Promise<SQSBatchResponse> => {
      for (const r of event.Records) {
        receives.set(r.body, [...(receives.get(r.body) ?? []), r.attributes.ApproximateReceiveCount]);
      }
      return {
        batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({ itemIdentifier: r.messageId })),
      };
    });
    await send(['good-1', 'good-2', 'poison', 'good-3', 'good-4']);
    await until(async () => (await count(queue.dlqUrl)) === 1, 20_000);
    await until(async () => (await count(queue.url)) === 0);
    // One more visibility timeout: nothing comes back.
    await sleep(1200);

    expect(queues.interactions.maxReceiveCount).toBe(5);
    expect(receives.get('poison')).toEqual(['1', '2', '3', '4', '5']);
    for (const good of ['good-1', 'good-2', 'good-3', 'good-4']) expect(receives.get(good)).toEqual(['1']);
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl }));
    expect(Messages.map((m) => m.Body)).toEqual(['poison']);
  });

  it('gathers a batch within the batching window, each message once', async () => {
    const batches: string[][] = [];
    start(
      async (event) => {
        batches.push(event.Records.map((r) => r.body).sort());
      },
      // The window outlasts the visibility timeout (1 s), so message 1 is handed out twice within it.
      { concurrency: 1, batchingWindowSeconds: 2 },
    );
    await send(['1']);
    await sleep(200);
    await send(['2', '3']);
    await until(() => batches.length > 0);
    expect(batches).toEqual([['1', '2', '3']]);
    await until(async () => (await count(queue.url)) === 0);
  });

  it('stop() lets the batch in flight finish and be deleted', async () => {
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let finished = false;
    start(async () => {
      entered();
      await sleep(300);
      finished = true;
    });
    await send(['slow']);
    await inHandler;
    const stopping = poller?.stop();
    await stopping;
    expect(finished).toBe(true);
    expect(await count(queue.url)).toBe(0);
  });
});
