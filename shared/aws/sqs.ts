import { SQSClient } from '@aws-sdk/client-sqs';
import { config } from '#shared/config.ts';

/** The SQS client, built once per container from the validated config. */
let sqs: SQSClient | undefined;

export function sqsClient(): SQSClient {
  if (!sqs) {
    const { AWS_REGION, SQS_ENDPOINT } = config();
    sqs = new SQSClient({ region: AWS_REGION, endpoint: SQS_ENDPOINT });
  }
  return sqs;
}

export function resetSqsClient(): void {
  sqs?.destroy();
  sqs = undefined;
}
