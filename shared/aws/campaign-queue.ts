import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '#shared/aws/sqs.ts';
import { config } from '#shared/config.ts';
import type { CampaignMessage } from '#shared/use-cases/send-campaign.ts';

/** The campaigns queue adapter: steps in batches of ten, all after one delay (≤ 900 s, SQS's limit). */
export async function enqueueCampaignSteps(messages: CampaignMessage[], delaySeconds = 0): Promise<void> {
  const queueUrl = config().CAMPAIGNS_QUEUE_URL;
  if (!queueUrl) throw new Error('CAMPAIGNS_QUEUE_URL is not set');
  const delay = Math.min(900, Math.max(0, Math.round(delaySeconds)));
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const { Failed } = await sqsClient().send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((message, j) => ({ Id: String(j), MessageBody: JSON.stringify(message), DelaySeconds: delay })),
      }),
    );
    if (Failed && Failed.length > 0)
      throw new Error(`campaigns queue refused ${Failed.length} message(s): ${Failed[0]?.Code ?? 'unknown'}`);
  }
}
