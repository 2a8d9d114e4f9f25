import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '#shared/aws/sqs.ts';
import { config } from '#shared/config.ts';
import type { RunMessage } from '#shared/use-cases/resegment.ts';

/** The runs queue adapter: run steps in batches of ten, every failure surfaced. */
export async function enqueueRunSteps(messages: RunMessage[]): Promise<void> {
  const queueUrl = config().RUNS_QUEUE_URL;
  if (!queueUrl) throw new Error('RUNS_QUEUE_URL is not set');
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const { Failed } = await sqsClient().send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((message, j) => ({ Id: String(j), MessageBody: JSON.stringify(message) })),
      }),
    );
    if (Failed && Failed.length > 0) throw new Error(`runs queue refused ${Failed.length} message(s): ${Failed[0]?.Code ?? 'unknown'}`);
  }
}
