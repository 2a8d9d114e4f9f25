import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Cron } from 'croner';
import { RUN_HOUR } from '#shared/aws/scheduler.ts';
import type { Db } from '#shared/data/db.ts';
import { listShopDirectory } from '#shared/data/shop-repo.ts';

/**
 * The local stand-in for the shops' EventBridge schedules (shared/aws/scheduler.ts): at the top of
 * every hour, each shop whose local time is RUN_HOUR:00 gets the same `{"shopId", "trigger":
 * "schedule"}` message on the runs queue that the Scheduler would send. The resegment function
 * makes it the day's run, once, whatever else happens.
 */
export function startRunScheduler(opts: {
  db: Db;
  sqs: Pick<SQSClient, 'send'>;
  queueUrl: string;
  log: (line: string) => void;
}): () => void {
  const job = new Cron(
    '0 * * * *',
    { protect: true, catch: (error) => opts.log(`run scheduler: ${(error as Error).message}`) },
    async () => {
      await tick(new Date(), opts);
    },
  );
  return () => job.stop();
}

/** The shops due now, each sent its schedule message. Exported for tests. */
export async function tick(now: Date, opts: { db: Db; sqs: Pick<SQSClient, 'send'>; queueUrl: string }): Promise<string[]> {
  const due: string[] = [];
  for (const shop of await listShopDirectory(opts.db)) {
    const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: shop.timezone, hour: '2-digit', hourCycle: 'h23' }).format(now));
    if (hour !== RUN_HOUR) continue;
    await opts.sqs.send(
      new SendMessageCommand({ QueueUrl: opts.queueUrl, MessageBody: JSON.stringify({ shopId: shop.shopId, trigger: 'schedule' }) }),
    );
    due.push(shop.shopId);
  }
  return due;
}
