import { SQSClient } from '@aws-sdk/client-sqs';
import { emulatorSigning } from '#shared/aws/emulator-auth.ts';
import { withFaults } from '#shared/aws/faults.ts';
import { config } from '#shared/config.ts';

/** The SQS client, built once per container from the validated config (locally, with RAPPORT_FAULTS if set). */
let sqs: SQSClient | undefined;

export function sqsClient(): SQSClient {
  if (!sqs) {
    const { AWS_REGION, SQS_ENDPOINT } = config();
    sqs = withFaults(
      new SQSClient({ region: AWS_REGION, endpoint: SQS_ENDPOINT, ...emulatorSigning(SQS_ENDPOINT, 'sqs', AWS_REGION) }),
      'sqs',
    );
  }
  return sqs;
}

export function resetSqsClient(): void {
  sqs?.destroy();
  sqs = undefined;
}
