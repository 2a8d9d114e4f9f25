import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '#shared/observability.ts';

/**
 * The one shape of a queue consumer: records one at a time, each failing alone (partial batch
 * responses). The batch processor is made per invocation: it holds the batch's records and
 * failures, and invocations that overlap in one module — the local runtime runs several at once —
 * would otherwise report each other's failures (or lose them, and a failed message would be deleted).
 */
export function sqsHandler(processRecord: (record: SQSRecord, context: Context) => Promise<void>) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((event, context) =>
      processPartialResponse(event, (record: SQSRecord) => processRecord(record, context), new BatchProcessor(EventType.SQS), {
        context,
        processInParallel: false,
        throwOnFullBatchFailure: false,
      }),
    );
}
