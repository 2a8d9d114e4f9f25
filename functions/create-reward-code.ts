import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { ShopIdSchema } from '#shared/domain/event.ts';
import { logger } from '#shared/observability.ts';
import { sqsHandler } from '#shared/queue/sqs-handler.ts';
import { createCodeDeps } from '#shared/reward-deps.ts';
import { createRewardCode, MAX_ATTEMPTS } from '#shared/use-cases/create-reward-code.ts';
import { REWARD_CODE_PATTERN } from '#shared/use-cases/use-reward-codes.ts';

/**
 * Codes queue consumer: one reward code created on its shop's platform per message
 * (shared/use-cases/create-reward-code.ts). A malformed message fails alone and ends on the
 * dead-letter queue; the platform's own failures never fail the receive (they are re-queued with
 * backoff, or refused with the points returned).
 */
const MessageSchema = z.strictObject({
  shopId: ShopIdSchema,
  code: z.string().regex(REWARD_CODE_PATTERN),
  attempt: z.number().int().min(0).max(MAX_ATTEMPTS).optional(),
});

async function processRecord(record: SQSRecord) {
  const message = MessageSchema.parse(JSON.parse(record.body));
  const outcome = await createRewardCode(message, createCodeDeps());
  logger.info('reward code', { shopId: message.shopId, code: message.code, attempt: message.attempt ?? 0, outcome });
}

export const handler = sqsHandler(processRecord);
