import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Reading a queue's depth, and waiting until the processor has emptied it. */

/** Messages visible, in flight (received, not yet deleted) and delayed: all the work still to do. */
export async function queueDepth(sqs: Pick<SQSClient, 'send'>, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/** The dead-letter queue named by the queue's redrive policy, or undefined. */
export async function deadLetterQueueOf(sqs: Pick<SQSClient, 'send'>, queueUrl: string): Promise<string | undefined> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }));
  if (!Attributes.RedrivePolicy) return undefined;
  const arn = (JSON.parse(Attributes.RedrivePolicy) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
  const [, , , , account, name] = arn?.split(':') ?? [];
  if (!name) return undefined;
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name, ...(account ? { QueueOwnerAWSAccountId: account } : {}) }));
  return QueueUrl;
}

export interface DrainOptions {
  /** Give up when the depth has not gone down for this long. */
  stallMs: number;
  pollMs?: number;
  onDepth?: (depth: number) => void;
  /** Checked between polls: stop waiting (Ctrl-C). */
  stopped?: () => boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Resolves when the queue is empty — the processor deletes a message only once it has handled it,
 * so empty means processed — or when it has stopped shrinking for `stallMs` (no processor running,
 * or messages waiting out a visibility timeout before a retry), or when `stopped()` says so.
 */
export async function waitUntilDrained(
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
  options: DrainOptions,
): Promise<{ drained: boolean; depth: number }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const now = options.now ?? (() => performance.now());
  let lowest = Number.POSITIVE_INFINITY;
  let lastProgress = now();
  for (;;) {
    const depth = await queueDepth(sqs, queueUrl);
    options.onDepth?.(depth);
    if (depth === 0) return { drained: true, depth };
    if (depth < lowest) {
      lowest = depth;
      lastProgress = now();
    }
    if (now() - lastProgress >= options.stallMs || options.stopped?.()) return { drained: false, depth };
    await sleep(options.pollMs ?? 250);
  }
}
