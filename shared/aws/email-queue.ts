import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '#shared/aws/sqs.ts';
import { asciiJson, sendBodies } from '#shared/aws/sqs-batch.ts';
import { config } from '#shared/config.ts';
import type { TriggerRecord } from '#shared/use-cases/loyalty-effects.ts';

function queueUrl(): string {
  const url = config().EMAIL_QUEUE_URL;
  if (!url) throw new Error('EMAIL_QUEUE_URL is not set');
  return url;
}

/** The email queue adapter: trigger records (names, product titles: any character) in batches of ten. */
export async function enqueueTriggerEmails(records: TriggerRecord[]): Promise<void> {
  await sendBodies(queueUrl(), records.map(asciiJson), 'email');
}

/** One message back on the queue after a delay (SES throttling): a new message, so it does not count as a failed receive. */
export async function requeueTriggerEmail(record: TriggerRecord & { attempt?: number }, delaySeconds: number): Promise<void> {
  await sqsClient().send(
    new SendMessageCommand({
      QueueUrl: queueUrl(),
      MessageBody: asciiJson(record),
      DelaySeconds: Math.min(900, Math.max(0, Math.round(delaySeconds))),
    }),
  );
}
