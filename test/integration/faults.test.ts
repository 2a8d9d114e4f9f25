import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { emulatorCredentials } from '#infra/local/emulators.ts';
import { documentClient, resetDocumentClient } from '#shared/aws/dynamodb.ts';
import { faultCounts, faultSummary, resetFaults } from '#shared/aws/faults.ts';
import { resetConfig } from '#shared/config.ts';
import type { Db } from '#shared/data/db.ts';
import { startTestDb } from '#test/support/dynamo.ts';

/**
 * The functions' own document client (shared/aws/dynamodb.ts: six attempts) on the emulated table,
 * with RAPPORT_FAULTS failing 30% of its calls. Each step is written the way a queue consumer's
 * record is handled: idempotent, and run again whole when it fails (as SQS would redeliver it).
 */

const SETTING = 'dynamodb=0.3,seed=20260311';
const STEPS = 25;

let db: Db;
let stop: () => Promise<void>;

beforeAll(async () => {
  let endpoint: string;
  ({ db, endpoint, stop } = await startTestDb());
  vi.stubEnv('TABLE_NAME', db.table);
  vi.stubEnv('DYNAMODB_ENDPOINT', endpoint);
  vi.stubEnv('AWS_ACCESS_KEY_ID', emulatorCredentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', emulatorCredentials.secretAccessKey);
  vi.stubEnv('RAPPORT_FAULTS', SETTING);
  resetConfig();
  resetDocumentClient();
  resetFaults();
});

afterAll(async () => {
  resetDocumentClient();
  vi.unstubAllEnvs();
  resetConfig();
  await stop();
});

let redeliveries = 0;

/** Runs a step until it completes, as SQS redelivers a failed record; only an injected fault may fail it. */
async function asRecord<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('injected fault:') || attempt === 20) throw error;
      redeliveries++;
    }
  }
}

it('a Put/Get/Update loop converges at a 30% fault rate, with SDK retries and redeliveries', async () => {
  const client = documentClient();
  const counter = { PK: 'FAULTS#counter', SK: 'COUNTER' };

  for (let i = 1; i <= STEPS; i++) {
    const key = { PK: `FAULTS#${i}`, SK: 'ITEM' };
    await asRecord(() => client.send(new PutCommand({ TableName: db.table, Item: { ...key, n: i } })));
    const { Item } = await asRecord(() => client.send(new GetCommand({ TableName: db.table, Key: key, ConsistentRead: true })));
    expect(Item).toEqual({ ...key, n: i });

    // Advance the counter from i - 1 to i under an optimistic lock: a lost answer or a race makes
    // the step read again, and a counter already at i means the write of an earlier try landed.
    await asRecord(async () => {
      for (;;) {
        const current = await client.send(new GetCommand({ TableName: db.table, Key: counter, ConsistentRead: true }));
        const pv = (current.Item?.pv as number | undefined) ?? 0;
        if (pv >= i) return;
        try {
          await client.send(
            new UpdateCommand({
              TableName: db.table,
              Key: counter,
              UpdateExpression: 'SET n = :i, pv = :i',
              ConditionExpression: pv === 0 ? 'attribute_not_exists(pv)' : 'pv = :pv',
              ExpressionAttributeValues: pv === 0 ? { ':i': i } : { ':i': i, ':pv': pv },
            }),
          );
          return;
        } catch (error) {
          if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        }
      }
    });
  }

  // Read back past the faults, on the emulator's own client.
  for (let i = 1; i <= STEPS; i++) {
    const { Item } = await db.client.send(new GetCommand({ TableName: db.table, Key: { PK: `FAULTS#${i}`, SK: 'ITEM' } }));
    expect(Item?.n).toBe(i);
  }
  const { Item } = await db.client.send(new GetCommand({ TableName: db.table, Key: counter }));
  expect(Item).toMatchObject({ n: STEPS, pv: STEPS });

  const counts = faultCounts();
  expect(counts.seed).toBe(20260311);
  expect(counts.faults / counts.calls).toBeGreaterThan(0.2);
  expect(counts.faults / counts.calls).toBeLessThan(0.4);
  for (const kind of ['throttle', 'server-error', 'timeout-before', 'timeout-after'] as const)
    expect(counts.byKind[kind]).toBeGreaterThan(0);
  // Crashes and races are not retried by the SDK: the steps above absorbed them by running again.
  expect((counts.byKind.crash ?? 0) + (counts.byKind['condition-race'] ?? 0)).toBeGreaterThan(0);
  expect(redeliveries).toBeGreaterThan(0);
  console.info(`${faultSummary()}; ${redeliveries} redeliveries`);
});
