import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import { emailSendKey } from '#shared/data/keys.ts';

/**
 * Email sends: SHOP#{shopId}#C#{customerId} / EMAIL#{sendId}, one per (customer, trigger, period).
 * `sending` before SES is called, then `sent` (with the SES message id) or `skipped` (with the
 * reason); `throttled` while the message waits on the queue. A send is decided and written under
 * the customer's email lease (send-email.ts); a skip decided outside it is a conditional put.
 */

export interface EmailSendRecord {
  status: 'sending' | 'sent' | 'skipped' | 'throttled';
  trigger: string;
  key: string;
  at: string;
  reason?: string;
  messageId?: string;
  locale?: string;
  attempt?: number;
}

/** Access pattern: the send record of one send id (consistent: it is the once-only guard). */
export async function getEmailSend(db: Db, shopId: string, customerId: string, sendId: string): Promise<EmailSendRecord | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: emailSendKey(shopId, customerId, sendId), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const { PK: _pk, SK: _sk, ...record } = Item;
  return record as EmailSendRecord;
}

export async function putEmailSend(db: Db, shopId: string, customerId: string, sendId: string, record: EmailSendRecord): Promise<void> {
  await db.client.send(new PutCommand({ TableName: db.table, Item: { ...emailSendKey(shopId, customerId, sendId), ...record } }));
}

/**
 * Records a final outcome decided without the customer's lease (a skip), unless the send id already
 * has a record other than `throttled`: a send in flight or done is never overwritten. Returns whether it wrote.
 */
export async function putEmailSendIfOpen(
  db: Db,
  shopId: string,
  customerId: string,
  sendId: string,
  record: EmailSendRecord,
): Promise<boolean> {
  try {
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: { ...emailSendKey(shopId, customerId, sendId), ...record },
        ConditionExpression: 'attribute_not_exists(PK) OR #status = :throttled',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':throttled': 'throttled' },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
