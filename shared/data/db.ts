import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The table port every repository function takes: a document client and the table's name. */
export interface Db {
  client: DynamoDBDocumentClient;
  table: string;
}

export function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

export type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, unknown> } };

/**
 * Puts and deletes, 25 per BatchWriteItem, retrying what DynamoDB leaves unprocessed with backoff.
 * Unconditional: only for writes that are idempotent by key (the same item, whatever the repeat).
 */
export async function writeBatch(db: Db, requests: WriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending: WriteRequest[] = requests.slice(i, i + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 10) throw new Error('batch write did not finish');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 25 * 2 ** attempt)));
      const { UnprocessedItems } = await db.client.send(new BatchWriteCommand({ RequestItems: { [db.table]: pending } }));
      pending = (UnprocessedItems?.[db.table] ?? []) as WriteRequest[];
    }
  }
}
