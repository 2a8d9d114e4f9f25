import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { db, now } from '#shared/deps.ts';
import { logger } from '#shared/observability.ts';
import { applySesFeedback } from '#shared/use-cases/ses-feedback.ts';

/**
 * SES feedback topic subscriber: suppress bounced and complaining addresses, log on the timeline.
 * A record that is not SES feedback is logged and skipped; a DynamoDB error throws, so Lambda
 * retries the (idempotent) delivery. Addresses are never logged.
 */
export const handler = middy<SNSEvent, void>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const { applied, skipped } = await applySesFeedback(event, { db: db(), now });
    for (const record of skipped) logger.warn('SES feedback record skipped', record);
    for (const outcome of applied) logger.info('SES feedback applied', { ...outcome });
  });
