import type { Context, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { enqueueRewardCode } from '#shared/aws/code-queue.ts';
import { enqueueTriggerEmails } from '#shared/aws/email-queue.ts';
import { enqueueRunSteps } from '#shared/aws/run-queue.ts';
import { db, loadShop, now } from '#shared/deps.ts';
import { ShopIdSchema } from '#shared/domain/event.ts';
import { giftDeps } from '#shared/gift-deps.ts';
import { logger } from '#shared/observability.ts';
import { loadFreshProgram } from '#shared/program-deps.ts';
import { sqsHandler } from '#shared/queue/sqs-handler.ts';
import { BacktestIdSchema, runBacktestJob } from '#shared/use-cases/backtest.ts';
import { type RunDeps, runStep, scheduledRun } from '#shared/use-cases/resegment.ts';

/**
 * Runs queue consumer: one step of a re-segmentation run per message (batch size 1) — the fit of a
 * shop, or one GSI1 shard's apply (which hands over to a continuation before the timeout). The
 * daily EventBridge schedule sends `{"shopId", "trigger": "schedule"}`, which starts the day's run.
 * A program backtest (`step: "backtest"`, use-cases/backtest.ts) is one such long step too.
 */
const shopId = ShopIdSchema;
const MessageSchema = z.union([
  z.object({ shopId, trigger: z.literal('schedule') }),
  z.object({ shopId, runId: z.string().max(64), step: z.literal('fit') }),
  z.object({ shopId, backtestId: BacktestIdSchema, step: z.literal('backtest') }),
  z.object({
    shopId,
    runId: z.string().max(64),
    step: z.literal('apply'),
    shard: z.number().int().min(0).max(255),
    cursor: z.record(z.string(), z.unknown()).optional(),
    partial: z.record(z.string(), z.unknown()).optional(),
  }),
]);

function deps(context: Context | undefined): RunDeps {
  return {
    db: db(),
    now,
    program: loadFreshProgram,
    timezone: async (id) => (await loadShop(id))?.timezone ?? 'UTC',
    enqueue: enqueueRunSteps,
    triggers: enqueueTriggerEmails,
    requeueCode: enqueueRewardCode,
    gifts: giftDeps,
    remainingMs: () => context?.getRemainingTimeInMillis?.() ?? Number.POSITIVE_INFINITY,
  };
}

async function processRecord(record: SQSRecord, context: Context) {
  const message = MessageSchema.parse(JSON.parse(record.body));
  if ('trigger' in message) {
    const run = await scheduledRun(message.shopId, deps(context));
    logger.info('scheduled run', { shopId: message.shopId, runId: run?.runId, status: run?.status });
    return;
  }
  const started = Date.now();
  if (message.step === 'backtest') {
    const outcome = await runBacktestJob(message, { db: db(), now, program: loadFreshProgram, loadShop });
    if (typeof outcome === 'object')
      logger.error('backtest failed', { shopId: message.shopId, backtestId: message.backtestId, error: outcome.failed });
    else logger.info('backtest done', { shopId: message.shopId, backtestId: message.backtestId, outcome, ms: Date.now() - started });
    return;
  }
  const outcome = await runStep(message as Parameters<typeof runStep>[0], deps(context));
  if (outcome === 'dropped') {
    logger.info('run step dropped: the shop is gone', { shopId: message.shopId, runId: message.runId, step: message.step });
    return;
  }
  logger.info('run step done', {
    shopId: message.shopId,
    runId: message.runId,
    step: message.step,
    ...('shard' in message ? { shard: message.shard } : {}),
    ms: Date.now() - started,
  });
}

export const handler = sqsHandler(processRecord);
