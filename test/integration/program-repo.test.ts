import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '#shared/data/db.ts';
import { programKey } from '#shared/data/keys.ts';
import { getStoredProgram } from '#shared/data/program-repo.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import { startTestDb } from '#test/support/dynamo.ts';

let db: Db;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ db, stop } = await startTestDb());
});
afterAll(async () => stop());

it('reads a program saved before the analytics section existed with that section’s defaults', async () => {
  const { analytics: _added, ...older } = defaultProgram({ currency: 'VND', name: 'Trà Việt' });
  await db.client.send(
    new PutCommand({
      TableName: db.table,
      Item: { ...programKey('older-shop'), version: 3, updatedAt: '2026-01-01T00:00:00.000Z', program: older },
    }),
  );
  const stored = await getStoredProgram(db, 'older-shop');
  expect(stored).toMatchObject({ version: 3, program: { ...older, analytics: { winBackPAliveBelow: 0.3, segments: [] } } });
});
