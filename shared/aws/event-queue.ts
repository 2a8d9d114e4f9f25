import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '#shared/aws/sqs.ts';
import { config } from '#shared/config.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';

/**
 * A canonical event as an SQS message body, in plain ASCII: SQS refuses some characters a shop may
 * well send (U+FFFE, U+FFFF; emulators also any character outside the basic plane), so everything
 * beyond ASCII travels as a JSON \u escape, which JSON.parse reads back unchanged.
 */
export function messageBodyOf(event: CanonicalEvent): string {
  return JSON.stringify(event).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The interactions queue adapter: canonical events in batches of ten, every failure surfaced. */
export async function enqueueEvents(events: CanonicalEvent[]): Promise<void> {
  const queueUrl = config().INTERACTIONS_QUEUE_URL;
  if (!queueUrl) throw new Error('INTERACTIONS_QUEUE_URL is not set');
  for (let i = 0; i < events.length; i += 10) {
    const chunk = events.slice(i, i + 10);
    const { Failed } = await sqsClient().send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((event, j) => ({ Id: String(j), MessageBody: messageBodyOf(event) })),
      }),
    );
    if (Failed && Failed.length > 0) {
      throw new Error(`interactions queue refused ${Failed.length} message(s): ${Failed[0]?.Code ?? 'unknown'}`);
    }
  }
}
