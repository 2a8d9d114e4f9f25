import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '#shared/aws/sqs.ts';
import { asciiJson } from '#shared/aws/sqs-batch.ts';
import { config } from '#shared/config.ts';
import type { CodeMessage } from '#shared/use-cases/create-reward-code.ts';

function queueUrl(): string {
  const url = config().CODES_QUEUE_URL;
  if (!url) throw new Error('CODES_QUEUE_URL is not set');
  return url;
}

/**
 * The codes queue adapter: one message per code to create on the shop's platform, after an optional
 * delay (the backoff of a retry is a new message, so it does not count as a failed receive).
 */
export async function enqueueRewardCode(message: CodeMessage, delaySeconds = 0): Promise<void> {
  await sqsClient().send(
    new SendMessageCommand({
      QueueUrl: queueUrl(),
      MessageBody: asciiJson(message),
      DelaySeconds: Math.min(900, Math.max(0, Math.round(delaySeconds))),
    }),
  );
}
