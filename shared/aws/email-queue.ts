import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '#shared/aws/sqs.ts';
import { config } from '#shared/config.ts';
import type { TriggerRecord } from '#shared/use-cases/loyalty-effects.ts';

/** Plain ASCII on the queue (see event-queue.ts): names and product titles may hold any character. */
const ascii = (value: unknown) =>
  JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);

function queueUrl(): string {
  const url = config().EMAIL_QUEUE_URL;
  if (!url) throw new Error('EMAIL_QUEUE_URL is not set');
  return url;
}

/** The email queue adapter: trigger records in batches of ten, every failure surfaced. */
export async function enqueueTriggerEmails(records: TriggerRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 10) {
    const chunk = records.slice(i, i + 10);
    const { Failed } = await sqsClient().send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl(),
        Entries: chunk.map((record, j) => ({ Id: String(j), MessageBody: ascii(record) })),
      }),
    );
    if (Failed && Failed.length > 0) throw new Error(`email queue refused ${Failed.length} message(s): ${Failed[0]?.Code ?? 'unknown'}`);
  }
}

/** One message back on the queue after a delay (SES throttling): a new message, so it does not count as a failed receive. */
export async function requeueTriggerEmail(record: TriggerRecord & { attempt?: number }, delaySeconds: number): Promise<void> {
  await sqsClient().send(
    new SendMessageCommand({
      QueueUrl: queueUrl(),
      MessageBody: ascii(record),
      DelaySeconds: Math.min(900, Math.max(0, Math.round(delaySeconds))),
    }),
  );
}
