import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import { emailLogKey, emailLogPk } from '#shared/data/keys.ts';

/**
 * The shop's email send log: one item per final outcome of a send id (sent, or skipped with the
 * reason), `SHOP#{shopId}#EMAILLOG#{yyyy-mm}` / `{at}#{sendId}`, so the shop's sends read newest first
 * one month's partition at a time. A bounce or a complaint (SES feedback) changes the item's status.
 * Kept EMAIL_LOG_KEEP_DAYS by TTL. Ids, triggers, statuses and reasons only: no address, no name.
 *
 * Beside the per-customer send records (email-repo.ts), which stay the once-only guard: this is a
 * copy for reading, written after the outcome is recorded, as the customer's timeline entry is.
 */

export const EMAIL_LOG_KEEP_DAYS = 90;

export type EmailLogStatus = 'sent' | 'skipped' | 'bounced' | 'complained';

export interface EmailLogEntry {
  at: string;
  sendId: string;
  customerId: string;
  trigger: string;
  status: EmailLogStatus;
  reason?: string;
  locale?: string;
  /** When SES reported the bounce or complaint. */
  feedbackAt?: string;
}

/** The months (`yyyy-mm`, UTC) whose partitions may still hold entries at `now`, newest first. */
export function emailLogMonths(now: Date): string[] {
  const months: string[] = [];
  const oldest = new Date(now.getTime() - EMAIL_LOG_KEEP_DAYS * 86_400_000).toISOString().slice(0, 7);
  for (let d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)); ; d.setUTCMonth(d.getUTCMonth() - 1)) {
    const month = d.toISOString().slice(0, 7);
    months.push(month);
    if (month <= oldest) return months;
  }
}

/**
 * The log's partitions a shop's erasure empties: the months kept, and one more for entries past
 * their expiry that TTL has not removed yet (it may lag by days).
 */
export function emailLogPartitions(shopId: string, now: Date): string[] {
  const months = emailLogMonths(now);
  const last = months[months.length - 1] as string;
  const before = new Date(Date.UTC(Number(last.slice(0, 4)), Number(last.slice(5, 7)) - 2, 1)).toISOString().slice(0, 7);
  return [...months, before].map((month) => emailLogPk(shopId, month));
}

/** Idempotent by key: the same outcome written twice is one item. */
export async function putEmailLogEntry(db: Db, shopId: string, entry: EmailLogEntry): Promise<void> {
  await db.client.send(
    new PutCommand({
      TableName: db.table,
      Item: {
        ...emailLogKey(shopId, entry.at, entry.sendId),
        ...entry,
        expiresAt: Math.floor(Date.parse(entry.at) / 1000) + EMAIL_LOG_KEEP_DAYS * 86_400,
      },
    }),
  );
}

/** A bounce or a complaint on the send's log entry, if the entry is still kept (never a stub). */
export async function markEmailLogFeedback(
  db: Db,
  shopId: string,
  send: { at: string; sendId: string },
  status: 'bounced' | 'complained',
  feedbackAt: string,
): Promise<boolean> {
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: emailLogKey(shopId, send.at, send.sendId),
        UpdateExpression: 'SET #status = :status, feedbackAt = :at',
        // A complaint after a bounce (or a repeat) keeps the first word: the address is suppressed either way.
        ConditionExpression: 'attribute_exists(PK) AND #status = :sent',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ':at': feedbackAt, ':sent': 'sent' },
      }),
    );
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return false;
  }
}

export interface EmailLogFilter {
  trigger?: string;
  status?: EmailLogStatus;
}

/**
 * Access pattern: one month of the shop's send log, newest first, from a position, with the filter
 * applied by DynamoDB (the read units are those of the items read, matched or not).
 */
export async function emailLogPage(
  db: Db,
  shopId: string,
  month: string,
  limit: number,
  afterSk: string | undefined,
  filter: EmailLogFilter,
) {
  const pk = emailLogPk(shopId, month);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':pk': pk };
  const conditions: string[] = [];
  if (filter.trigger !== undefined) {
    names['#trigger'] = 'trigger';
    values[':trigger'] = filter.trigger;
    conditions.push('#trigger = :trigger');
  }
  if (filter.status !== undefined) {
    names['#status'] = 'status';
    values[':status'] = filter.status;
    conditions.push('#status = :status');
  }
  const { Items, LastEvaluatedKey } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: values,
      ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names } : {}),
      ScanIndexForward: false,
      Limit: limit,
      ...(afterSk ? { ExclusiveStartKey: { PK: pk, SK: afterSk } } : {}),
    }),
  );
  return {
    entries: (Items ?? []).map(({ PK: _pk, SK: _sk, expiresAt: _e, ...entry }) => entry as EmailLogEntry),
    lastSk: LastEvaluatedKey?.SK as string | undefined,
  };
}
