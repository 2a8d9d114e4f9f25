import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DynamoEngine, dynamoClient, ensureTable, isLoopbackEndpoint, startDynamo } from '#infra/local/emulators.ts';
import type { Db } from '#shared/data/db.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';

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

/** Processor dependencies for tests: a fixed clock, Vietnamese phone numbers, the default VND program. */
export function processDepsFor(db: Db, now = new Date('2026-03-10T00:00:00Z')) {
  return {
    db,
    now: () => now,
    phoneRegion: async () => 'VN',
    program: async () => defaultProgram({ currency: 'VND', name: 'test' }),
  };
}
