import type { Context, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { enqueueCampaignSteps } from '#shared/aws/campaign-queue.ts';
import { enqueueTriggerEmails } from '#shared/aws/email-queue.ts';
import { config } from '#shared/config.ts';
import { db, now } from '#shared/deps.ts';
import { CampaignIdSchema } from '#shared/domain/campaign.ts';
import { ShopIdSchema } from '#shared/domain/event.ts';
import { logger } from '#shared/observability.ts';
import { sqsHandler } from '#shared/queue/sqs-handler.ts';
import { campaignStep } from '#shared/use-cases/send-campaign.ts';

/** Campaigns queue consumer: one step of a campaign per message (shared/use-cases/send-campaign.ts). */
const MessageSchema = z.discriminatedUnion('step', [
  z.object({ shopId: ShopIdSchema, campaignId: CampaignIdSchema, step: z.literal('start') }),
  z.object({ shopId: ShopIdSchema, campaignId: CampaignIdSchema, step: z.literal('fanout'), part: z.number().int().min(0).max(255) }),
]);

async function processRecord(record: SQSRecord, context: Context) {
  const message = MessageSchema.parse(JSON.parse(record.body));
  const outcome = await campaignStep(message, {
    db: db(),
    now,
    enqueue: enqueueCampaignSteps,
    triggers: enqueueTriggerEmails,
    ratePerSecond: config().RAPPORT_CAMPAIGN_RATE,
    remainingMs: () => context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY,
  });
  logger.info('campaign step', { shopId: message.shopId, campaignId: message.campaignId, step: message.step, ...outcome });
}

export const handler = sqsHandler(processRecord);
