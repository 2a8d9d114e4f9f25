import { resetDocumentClient } from '#shared/aws/dynamodb.ts';
import { resetSesClient } from '#shared/aws/ses.ts';
import { resetSqsClient } from '#shared/aws/sqs.ts';

/**
 * For the local runtime, tests and benchmarks, which change endpoints between runs in one process.
 * Functions import the client modules they need directly, never this one.
 */
export { documentClient } from '#shared/aws/dynamodb.ts';
export { sqsClient } from '#shared/aws/sqs.ts';

export function resetClients(): void {
  resetDocumentClient();
  resetSqsClient();
  resetSesClient();
}
