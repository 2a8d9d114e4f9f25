import { getProfile, getProfiles } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { isLegacyProfile, migrateProfile } from '#shared/data/profile-history.ts';
import { shardKeysPage } from '#shared/data/run-repo.ts';
import { table } from '#shared/data/table-definition.ts';

/**
 * `rapport migrate --shop <id>`: every profile of a shop still in the form written before order
 * histories were bounded (one summary per order on the profile) is rewritten into the bounded form
 * (data/profile-history.ts migrateProfile). Profiles the processor changes are migrated on their
 * next change anyway; this does the rest. Idempotent: a second run finds nothing to migrate.
 */

export interface MigrationTotals {
  customers: number;
  migrated: number;
}

const customerIdOf = (pk: string) => pk.slice(pk.lastIndexOf('#C#') + 3);

export async function migrateShopProfiles(
  shopId: string,
  deps: { db: Db; now: () => Date },
  onProgress?: (totals: MigrationTotals) => void,
): Promise<MigrationTotals> {
  const totals: MigrationTotals = { customers: 0, migrated: 0 };
  for (let shard = 0; shard < table.gsi1.shards; shard++) {
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await shardKeysPage(deps.db, shopId, shard, 100, cursor);
      for (const profile of await getProfiles(deps.db, page.keys)) {
        totals.customers++;
        const customerId = customerIdOf(String(profile.PK));
        let current: Record<string, unknown> | undefined = profile;
        // A concurrent change (which migrates the profile itself) makes an attempt fail: read again.
        for (let attempt = 0; isLegacyProfile(current); attempt++) {
          if (attempt >= 10) throw new Error(`profile ${customerId} could not be migrated: it kept changing`);
          if (await migrateProfile(deps.db, shopId, customerId, current as Record<string, unknown>, deps.now())) {
            totals.migrated++;
            break;
          }
          current = await getProfile(deps.db, shopId, customerId, true);
        }
      }
      onProgress?.(totals);
      cursor = page.cursor;
    } while (cursor);
  }
  return totals;
}
