import { asciiJson, sendBodies } from '#shared/aws/sqs-batch.ts';
import { config } from '#shared/config.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';

/** A canonical event as an SQS message body, in plain ASCII (see sqs-batch.ts). */
export const messageBodyOf = (event: CanonicalEvent): string => asciiJson(event);

/** The interactions queue adapter: canonical events in batches of ten, every failure surfaced. */
export async function enqueueEvents(events: CanonicalEvent[]): Promise<void> {
  const queueUrl = config().INTERACTIONS_QUEUE_URL;
  if (!queueUrl) throw new Error('INTERACTIONS_QUEUE_URL is not set');
  await sendBodies(queueUrl, events.map(messageBodyOf), 'interactions');
}
