import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import { getIdentityOwner, getProfile } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { itemSize } from '#shared/data/item-size.ts';
import { historyPages } from '#shared/data/profile-history.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { runRapport } from '#test/support/cli.ts';
import { orderEvent } from '#test/support/factories.ts';
import { createShopOverHttp, startTestRuntime } from '#test/support/local-api.ts';
import { profileView } from '#test/support/profile.ts';

/**
 * Profiles written before order histories were bounded (one summary `o_{orderId}` per order on the
 * profile — test/fixtures/legacy/shop-items.json, written by that version of the processor: two
 * customers, 40 and 3 orders, refunds and cancellations) are migrated lazily on their next change
 * and by `rapport migrate --shop`, which a second time changes nothing.
 */

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');
const SHOP = 'legacy-shop';
const fixture = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/legacy/shop-items.json'), 'utf8')) as Record<string, unknown>[];
/** The fixture keeps string sets as {"$set": [...]}; the document client writes a Set as a string set. */
const revive = (item: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(item).map(([name, value]) => [
      name,
      value && typeof value === 'object' && '$set' in value ? new Set((value as { $set: string[] }).$set) : value,
    ]),
  );

let runtime: Runtime;
let dataDir: string;
let db: Db;
let stop: () => Promise<void>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rapport-migrate-'));
  ({ runtime, db, stop } = await startTestRuntime({ dataDir }));
  await createShopOverHttp(runtime, { shopId: SHOP, currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' });
  for (const item of fixture) await db.client.send(new PutCommand({ TableName: db.table, Item: revive(item) }));
});
afterAll(async () => stop?.());

const ownerOf = async (externalId: string) => (await getIdentityOwner(db, SHOP, { kind: 'ext', value: externalId }, true)) as string;
const viewOf = async (customerId: string) => profileView((await getProfile(db, SHOP, customerId, true))!, 'VND');

const migrateCli = () => runRapport(['migrate', '--shop', SHOP], dataDir);

async function snapshot() {
  const items = (await db.client.send(new ScanCommand({ TableName: db.table }))).Items ?? [];
  return items
    .filter((item) => String(item.PK).startsWith(`SHOP#${SHOP}#C#`))
    .map((item) => JSON.stringify(item, (_, v) => (v instanceof Set ? [...v].sort() : v)))
    .sort();
}

it('reads a legacy profile as it was, migrates it on its next change, and `rapport migrate` converts the rest once', async () => {
  const heavy = await ownerOf('generic:legacy-1');
  const light = await ownerOf('generic:legacy-2');
  const legacyItem = (await getProfile(db, SHOP, heavy, true))!;
  expect(Object.keys(legacyItem).filter((name) => name.startsWith('o_'))).toHaveLength(40);
  const before = { heavy: await viewOf(heavy), light: await viewOf(light) };
  expect(before.heavy.orderCount).toBeGreaterThan(30);

  // Lazily: the next order of the heavy customer rewrites the profile, then applies the order.
  const deps = {
    db,
    now: () => new Date('2026-06-02T00:00:00Z'),
    phoneRegion: async () => 'VN',
    program: async () => defaultProgram({ currency: 'VND', name: 'x' }),
  };
  const at = '2026-06-01T10:00:00.000Z';
  await processEvent(
    orderEvent(
      SHOP,
      { orderId: 'L0-41', total: 100_000, createdAt: at, updatedAt: at },
      { externalId: 'generic:legacy-1' },
      { eventId: 'lazy-1' },
    ),
    deps,
  );
  const lazy = (await getProfile(db, SHOP, heavy, true))!;
  expect(Object.keys(lazy).filter((name) => name.startsWith('o_'))).toHaveLength(0);
  expect(itemSize(lazy)).toBeLessThan(8192);
  expect((await historyPages(db, SHOP, heavy)).length).toBeGreaterThan(0);
  const afterLazy = await viewOf(heavy);
  expect(afterLazy).toMatchObject({
    orderCount: before.heavy.orderCount + 1,
    totalSpent: { amount: before.heavy.totalSpent.amount + 100_000 },
    refunded: before.heavy.refunded,
    firstOrderAt: before.heavy.firstOrderAt,
    lastOrderAt: at,
    tier: before.heavy.tier,
  });
  expect(afterLazy.points.balance).toBeGreaterThan(before.heavy.points.balance);

  // The rest, all at once; then again, which changes nothing.
  const first = await migrateCli();
  expect(first.code, first.stderr).toBe(0);
  expect(first.stderr).toContain(`Migrating the profiles of ${SHOP}`);
  expect(JSON.parse(first.stdout)).toEqual({ shopId: SHOP, customers: 2, migrated: 1 });
  const migrated = (await getProfile(db, SHOP, light, true))!;
  expect(Object.keys(migrated).filter((name) => name.startsWith('o_'))).toHaveLength(0);
  expect(await viewOf(light)).toEqual({ ...before.light });
  const items = await snapshot();
  const second = await migrateCli();
  expect(second.code, second.stderr).toBe(0);
  expect(JSON.parse(second.stdout)).toEqual({ shopId: SHOP, customers: 2, migrated: 0 });
  expect(await snapshot()).toEqual(items);
});
