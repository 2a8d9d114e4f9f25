import type { SQSRecord } from 'aws-lambda';
import { enqueueRewardCode } from '#shared/aws/code-queue.ts';
import { enqueueTriggerEmails } from '#shared/aws/email-queue.ts';
import { masterKey } from '#shared/aws/secrets.ts';
import { shopSettings } from '#shared/deps.ts';
import { CanonicalEventSchema } from '#shared/domain/event.ts';
import { couponKey } from '#shared/email/keys.ts';
import { logger } from '#shared/observability.ts';
import { processDeps } from '#shared/program-deps.ts';
import { sqsHandler } from '#shared/queue/sqs-handler.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';

/** A referred friend's catalog reward is a given code, made like the run's gifts (give-reward.ts). */
const referralGifts = {
  codeKey: async (shopId: string) => couponKey(await masterKey(), shopId),
  platform: async (shopId: string) => {
    const shop = await shopSettings(shopId);
    return shop?.shopify ? ('shopify' as const) : shop?.woocommerce ? ('woocommerce' as const) : undefined;
  },
  codes: enqueueRewardCode,
};

/** Interactions queue consumer: one record at a time; a record that fails, fails alone. */
async function processRecord(record: SQSRecord) {
  const event = CanonicalEventSchema.parse(JSON.parse(record.body));
  const result = await processEvent(event, { ...processDeps(), triggers: enqueueTriggerEmails, referralGifts });
  // Keys go on the line itself, not appendKeys: records of one batch must not lend keys to each other.
  logger.info('event processed', { shopId: event.shopId, eventId: event.eventId, type: event.type, ...result });
}

export const handler = sqsHandler(processRecord);
