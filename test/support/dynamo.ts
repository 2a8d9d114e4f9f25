import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DynamoEngine, dynamoClient, ensureTable, isLoopbackEndpoint, startDynamo } from '#infra/local/emulators.ts';
import type { Db } from '#shared/data/db.ts';

/**
 * An emulated DynamoDB for integration tests: dynalite or DynamoDB Local, as the vitest project
 * says (RAPPORT_DYNAMODB). Refuses anything but a loopback endpoint.
 */
export async function startTestDb(): Promise<{ db: Db; endpoint: string; engine: DynamoEngine; stop: () => Promise<void> }> {
  const engine = (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine;
  const emulator = await startDynamo({ engine });
  if (!isLoopbackEndpoint(emulator.endpoint)) throw new Error(`refusing to test against ${emulator.endpoint}`);
  const table = `test-${randomUUID().slice(0, 8)}`;
  await ensureTable(emulator.endpoint, table);
  const client = DynamoDBDocumentClient.from(dynamoClient(emulator.endpoint), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    db: { client, table },
    endpoint: emulator.endpoint,
    engine,
    stop: async () => {
      client.destroy();
      await emulator.stop();
    },
  };
}
