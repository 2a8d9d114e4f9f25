import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '#shared/aws/sqs.ts';

/**
 * JSON in plain ASCII: SQS refuses some characters a shop may well send (U+FFFE, U+FFFF; emulators
 * also any character outside the basic plane), so everything beyond ASCII travels as a JSON \u
 * escape, which JSON.parse reads back unchanged.
 */
export const asciiJson = (value: unknown) =>
  JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Message bodies to one queue in batches of ten; any refused message fails the call (and so the caller's retry). */
export async function sendBodies(queueUrl: string, bodies: string[], queueName: string): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const chunk = bodies.slice(i, i + 10);
    const { Failed } = await sqsClient().send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((body, j) => ({ Id: String(j), MessageBody: body })) }),
    );
    if (Failed && Failed.length > 0)
      throw new Error(`${queueName} queue refused ${Failed.length} message(s): ${Failed[0]?.Code ?? 'unknown'}`);
  }
}
