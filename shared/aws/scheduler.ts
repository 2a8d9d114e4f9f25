import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { RUN_HOUR } from '#shared/loyalty/review.ts';

/**
 * The shop's daily re-segmentation run on AWS: one EventBridge Scheduler schedule per shop, at
 * RUN_HOUR in the shop's own time zone, sending `{"shopId", "trigger": "schedule"}` to the runs
 * queue (the resegment function turns it into the day's run, once). The group, the role the
 * scheduler sends with and the queue come from the stack (infra/rapport-stack.ts).
 * Locally there is no Scheduler: the runtime reads the shop directory every hour (infra/local).
 */

/** Defined beside the review it times (the backtest replays the review at the same hour). */
export { RUN_HOUR };

export const scheduleEnv = { group: 'RUN_SCHEDULE_GROUP', roleArn: 'RUN_SCHEDULE_ROLE_ARN', queueArn: 'RUNS_QUEUE_ARN' } as const;

let client: SchedulerClient | undefined;

export async function createShopRunSchedule(shop: Pick<ShopRecord, 'shopId' | 'timezone'>): Promise<void> {
  const group = process.env[scheduleEnv.group];
  const roleArn = process.env[scheduleEnv.roleArn];
  const queueArn = process.env[scheduleEnv.queueArn];
  if (!group || !roleArn || !queueArn) return; // not on AWS: the local runtime schedules from the shop directory
  client ??= new SchedulerClient({});
  try {
    await client.send(
      new CreateScheduleCommand({
        Name: `run-${shop.shopId}`,
        GroupName: group,
        ScheduleExpression: `cron(0 ${RUN_HOUR} * * ? *)`,
        ScheduleExpressionTimezone: shop.timezone,
        // Spread the shops of one time zone over an hour rather than starting them all at once.
        FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
        Target: { Arn: queueArn, RoleArn: roleArn, Input: JSON.stringify({ shopId: shop.shopId, trigger: 'schedule' }) },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConflictException)) throw error; // exists already: a retried creation
  }
}
