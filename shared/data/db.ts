import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The table port every repository function takes: a document client and the table's name. */
export interface Db {
  client: DynamoDBDocumentClient;
  table: string;
}

export function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}
