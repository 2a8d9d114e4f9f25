/**
 * Lambda's SQS event source mapping, played locally: long-poll the queue, gather a batch within the
 * batching window, call the handler with a real SQSEvent, delete what succeeded (everything but the
 * reported `batchItemFailures`; nothing if the handler throws or times out), and leave the rest to
 * become visible again after the visibility timeout, so the queue's redrive policy moves a message
 * that keeps failing to its dead-letter queue.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { emulatorRegion, sleep, sqsClientFor } from './emulators.ts';
import { Activity, describeError, invoke, type LocalFunction, type SqsHandler } from './lambda.ts';

export interface SqsPollerOptions {
  /** SQS endpoint; the poller builds its own client with emulator credentials. */
  endpoint: string;
  queueUrl: string;
  /** Becomes each record's eventSourceARN. */
  queueArn: string;
  fn: LocalFunction;
  handler: SqsHandler;
  /** MaxNumberOfMessages per ReceiveMessage and the largest batch handed to the function (1–10). */
  batchSize: number;
  /** How long to keep gathering once a first message is in (Lambda's MaximumBatchingWindowInSeconds). */
  batchingWindowSeconds?: number;
  /**
   * Long-poll wait, default 1 s (Lambda uses 20). It bounds how long stop() waits for a receive to
   * return: a receive is never aborted, because the queue would still hand the next message to the
   * abandoned request, which counts as a receive and hides the message for a visibility timeout.
   */
  waitTimeSeconds?: number;
  /** Pollers running side by side, each with its own batch in flight. */
  concurrency?: number;
  /**
   * While this says so, every poller but the first waits before taking another batch: the local
   * runtime gives the CPU it shares with the API to the requests being answered (Activity.requests),
   * and works the queues with every poller again as soon as none is in flight. Default: never.
   */
  giveWay?: () => boolean;
  region?: string;
  activity?: Activity;
  log?: (line: string) => void;
}

export interface SqsPoller {
  /** Stops receiving, lets the receive and batch in flight finish (handler and deletes), then resolves. */
  stop(): Promise<void>;
}

const GATHER_INTERVAL_MS = 50;
/** How often a poller that gives way looks again. */
const GIVE_WAY_MS = 25;

export function startSqsPoller(opts: SqsPollerOptions): SqsPoller {
  const client = sqsClientFor(opts.endpoint);
  const region = opts.region ?? emulatorRegion;
  const activity = opts.activity ?? new Activity();
  const log = opts.log ?? (() => undefined);
  const waitTimeSeconds = opts.waitTimeSeconds ?? 1;
  const windowMs = (opts.batchingWindowSeconds ?? 0) * 1000;
  let running = true;

  const receive = async (max: number, wait: number): Promise<Message[]> => {
    const { Messages } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: opts.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: wait,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return Messages ?? [];
  };

  /** The first receive long-polls; the window then only gathers what is already there. */
  const receiveBatch = async (): Promise<Message[]> => {
    let batch = await receive(opts.batchSize, waitTimeSeconds);
    const windowEnd = Date.now() + windowMs;
    while (running && batch.length > 0 && batch.length < opts.batchSize && Date.now() < windowEnd) {
      const more = await receive(opts.batchSize - batch.length, 0);
      // A visibility timeout shorter than the window hands a message back twice; its newest
      // receipt handle is the one that can delete it.
      const again = new Set(more.map((m) => m.MessageId));
      batch = batch.filter((m) => !again.has(m.MessageId)).concat(more);
      if (more.length === 0) await sleep(Math.min(GATHER_INTERVAL_MS, Math.max(0, windowEnd - Date.now())));
    }
    return batch;
  };

  const processBatch = async (messages: Message[]): Promise<void> => {
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, opts.queueArn, region)) };
    let failed: ReadonlySet<string> | 'all';
    try {
      const result = await invoke(opts.fn, opts.handler, event, { region, activity });
      failed = failedMessageIds(result, event);
      if (failed === 'all') log(`${opts.fn.name}: invalid batchItemFailures; the whole batch will be retried`);
    } catch (err) {
      log(`${opts.fn.name}: batch of ${messages.length} failed; it will be retried\n${describeError(err)}`);
      failed = 'all';
    }
    if (failed === 'all') return;
    const done = messages.filter((m) => m.MessageId !== undefined && !failed.has(m.MessageId));
    await deleteMessages(client, opts.queueUrl, done, log);
  };

  const worker = async (index: number): Promise<void> => {
    while (running) {
      if (index > 0 && opts.giveWay?.()) {
        await sleep(GIVE_WAY_MS);
        continue;
      }
      let messages: Message[];
      try {
        messages = await receiveBatch();
      } catch (err) {
        if (!running) break;
        log(`${opts.fn.name}: receive failed; retrying in 1 s\n${describeError(err)}`);
        await sleep(1000);
        continue;
      }
      if (messages.length > 0) await activity.track(() => processBatch(messages));
    }
  };

  const workers = Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, (_, index) => worker(index));
  let stopped: Promise<void> | undefined;

  return {
    stop() {
      stopped ??= (async () => {
        running = false;
        await Promise.all(workers);
        client.destroy();
      })();
      return stopped;
    },
  };
}

/**
 * Lambda's reading of a partial batch response: nothing (or no list) means all succeeded; an
 * identifier that is empty or not in the batch makes the whole batch a failure.
 */
export function failedMessageIds(result: unknown, event: SQSEvent): ReadonlySet<string> | 'all' {
  if (result === null || typeof result !== 'object' || !('batchItemFailures' in result)) return new Set();
  const failures = (result as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === null || failures === undefined) return new Set();
  if (!Array.isArray(failures)) return 'all';
  const inBatch = new Set(event.Records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !inBatch.has(id)) return 'all';
    failed.add(id);
  }
  return failed;
}

export function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...attributes,
    } as SQSRecordAttributes,
    messageAttributes: toRecordAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

function toRecordAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
      ...(value.BinaryValue !== undefined && { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    };
  }
  return out;
}

async function deleteMessages(client: SQSClient, queueUrl: string, messages: Message[], log: (line: string) => void): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    try {
      const { Failed } = await client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      if (Failed?.length) log(`delete failed for ${Failed.length} message(s); they will be delivered again`);
    } catch (err) {
      log(`delete failed; ${chunk.length} message(s) will be delivered again\n${describeError(err)}`);
    }
  }
}
