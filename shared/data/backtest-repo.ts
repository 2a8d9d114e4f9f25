import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import { backtestKey } from '#shared/data/keys.ts';
import type { BacktestReport } from '#shared/loyalty/backtest.ts';
import type { Program } from '#shared/loyalty/program.ts';

/**
 * A program backtest job (use-cases/backtest.ts): the proposed program, its progress, then the
 * report. One item, bounded: the program document (zod-bounded lists) and a report whose move lists
 * are capped (loyalty/backtest.ts MOVE_LIST_CAP). Kept 30 days.
 */

export type BacktestStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface BacktestRecord {
  backtestId: string;
  shopId: string;
  status: BacktestStatus;
  requestedAt: string;
  asOf: string;
  program: Program;
  startedAt?: string;
  finishedAt?: string;
  /** Customers replayed so far, and GSI1 shards done. */
  progress: { customers: number; shardsDone: number; shards: number };
  report?: BacktestReport;
  error?: string;
}

const KEEP_SECONDS = 30 * 24 * 3600;

export async function createBacktest(db: Db, record: BacktestRecord): Promise<void> {
  await db.client.send(
    new PutCommand({
      TableName: db.table,
      Item: {
        ...backtestKey(record.shopId, record.backtestId),
        ...record,
        expiresAt: Math.floor(Date.parse(record.requestedAt) / 1000) + KEEP_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(PK)',
    }),
  );
}

/** Access pattern: a backtest by id. */
export async function getBacktest(db: Db, shopId: string, backtestId: string): Promise<BacktestRecord | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: backtestKey(shopId, backtestId), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const { PK: _pk, SK: _sk, expiresAt: _e, ...record } = Item;
  return record as BacktestRecord;
}

/**
 * Invariant: a finished backtest stays as it finished — progress and a redelivered job's start
 * never overwrite it. Returns whether it wrote.
 */
export async function updateBacktestUnlessFinished(
  db: Db,
  shopId: string,
  backtestId: string,
  fields: Partial<Pick<BacktestRecord, 'status' | 'startedAt' | 'finishedAt' | 'progress' | 'report' | 'error'>>,
): Promise<boolean> {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':succeeded': 'succeeded', ':failed': 'failed' };
  const sets = Object.entries(fields).map(([name, value], i) => {
    names[`#f${i}`] = name;
    values[`:f${i}`] = value;
    return `#f${i} = :f${i}`;
  });
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: backtestKey(shopId, backtestId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_exists(PK) AND #status <> :succeeded AND #status <> :failed',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
