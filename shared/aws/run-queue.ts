import { sendBodies } from '#shared/aws/sqs-batch.ts';
import { config } from '#shared/config.ts';
import type { BacktestMessage } from '#shared/use-cases/backtest.ts';
import type { RunMessage } from '#shared/use-cases/resegment.ts';

/** The runs queue adapter: run steps (and backtest jobs, as long) in batches of ten, every failure surfaced. */
export async function enqueueRunSteps(messages: Array<RunMessage | BacktestMessage>): Promise<void> {
  const queueUrl = config().RUNS_QUEUE_URL;
  if (!queueUrl) throw new Error('RUNS_QUEUE_URL is not set');
  await sendBodies(
    queueUrl,
    messages.map((message) => JSON.stringify(message)),
    'runs',
  );
}
