import type { SQSRecord } from 'aws-lambda';
import { enqueueTriggerEmails } from '#shared/aws/email-queue.ts';
import { CanonicalEventSchema } from '#shared/domain/event.ts';
import { giftDeps } from '#shared/gift-deps.ts';
import { logger } from '#shared/observability.ts';
import { processDeps } from '#shared/program-deps.ts';
import { sqsHandler } from '#shared/queue/sqs-handler.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';

/** Interactions queue consumer: one record at a time; a record that fails, fails alone. */
async function processRecord(record: SQSRecord) {
  const event = CanonicalEventSchema.parse(JSON.parse(record.body));
  const result = await processEvent(event, { ...processDeps(), triggers: enqueueTriggerEmails, referralGifts: giftDeps });
  // Keys go on the line itself, not appendKeys: records of one batch must not lend keys to each other.
  logger.info('event processed', { shopId: event.shopId, eventId: event.eventId, type: event.type, ...result });
}

export const handler = sqsHandler(processRecord);
