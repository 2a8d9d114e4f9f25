import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from '#shared/config.ts';

/** AWS clients, built once per container from the validated config and reused by every call. */
let ddb: DynamoDBDocumentClient | undefined;
let sqs: SQSClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  if (!ddb) {
    const { AWS_REGION, DYNAMODB_ENDPOINT } = config();
    const base = new DynamoDBClient({ region: AWS_REGION, endpoint: DYNAMODB_ENDPOINT, maxAttempts: 6 });
    ddb = DynamoDBDocumentClient.from(base, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
  }
  return ddb;
}

export function sqsClient(): SQSClient {
  if (!sqs) {
    const { AWS_REGION, SQS_ENDPOINT } = config();
    sqs = new SQSClient({ region: AWS_REGION, endpoint: SQS_ENDPOINT });
  }
  return sqs;
}

/** For the local runtime and tests that change endpoints between runs in one process. */
export function resetClients(): void {
  ddb?.destroy();
  sqs?.destroy();
  ddb = undefined;
  sqs = undefined;
}
