import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CUSTOMER_LIST_SORTS, listEntryKeys, SEARCH_BUCKETS } from '#shared/data/customer-list-repo.ts';
import { getProfile } from '#shared/data/customer-repo.ts';
import { type Db, isConditionFailure, writeBatch } from '#shared/data/db.ts';
import { emailLogPartitions } from '#shared/data/email-log-repo.ts';
import {
  customerListPk,
  customerPk,
  customerSearchPk,
  HISTORY_PAGE_PREFIX,
  identityKey,
  LEGACY_ORDER_SUMMARY_PREFIX,
  orderKey,
  profileKey,
  segmentCountsKey,
  segmentMembersPk,
  shopDirectoryKey,
  shopKey,
  tombstoneKey,
} from '#shared/data/keys.ts';
import { LISTED_ATTRIBUTE, listedOfStored } from '#shared/data/profile-item.ts';
import { deleteReferralCodeIfOwned, REFERRAL_SHOP_PARTITIONS } from '#shared/data/referral-repo.ts';
import { table } from '#shared/data/table-definition.ts';
import { CONTACT_FIELDS } from '#shared/domain/contact.ts';
import { sha256Hex } from '#shared/domain/crypto.ts';

type Key = { PK: string; SK: string };

/** The identity items a profile's contact details and external ids occupy. */
function identityKeysOf(shopId: string, profile: Record<string, unknown>): Key[] {
  const keys: Key[] = [];
  if (typeof profile.email === 'string') keys.push(identityKey(shopId, 'email', profile.email));
  if (typeof profile.phone === 'string') keys.push(identityKey(shopId, 'phone', profile.phone));
  for (const ext of (profile.externalIds as Set<string> | undefined) ?? []) keys.push(identityKey(shopId, 'ext', ext));
  return keys;
}

const TOMBSTONE_SECONDS = 7 * 24 * 3600;

/** Free text a person typed (interaction summaries, feedback comments) may hold anything personal. */
const FREE_TEXT = ['summary', 'comment'];

/**
 * Invariant: after erasure no item of this customer holds contact details, an identity pointing
 * at them, a search token, or free text; aggregates and per-field stamps (no personal data) remain.
 */
export async function eraseCustomerData(db: Db, shopId: string, customerId: string, now: string): Promise<void> {
  const profile = await getProfile(db, shopId, customerId, true);
  if (!profile) return;
  const expiresAt = Math.floor(Date.parse(now) / 1000) + TOMBSTONE_SECONDS;
  for (const key of identityKeysOf(shopId, profile)) {
    await db.client.send(new PutCommand({ TableName: db.table, Item: { ...tombstoneKey(shopId, sha256Hex(key.PK)), expiresAt } }));
    try {
      await db.client.send(
        new DeleteCommand({
          TableName: db.table,
          Key: key,
          ConditionExpression: 'customerId = :customer',
          ExpressionAttributeValues: { ':customer': customerId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error; // owned by someone else (or gone): leave it
    }
  }
  const names = Object.fromEntries(CONTACT_FIELDS.map((field, i) => [`#c${i}`, field]));
  const { Attributes: before } = await db.client.send(
    new UpdateCommand({
      TableName: db.table,
      Key: profileKey(shopId, customerId),
      UpdateExpression: `SET erasedAt = :now REMOVE ${Object.keys(names).join(', ')}, externalIds, #listed`,
      // Every name goes through a placeholder: several contact fields are DynamoDB reserved words.
      ExpressionAttributeNames: { ...names, '#listed': LISTED_ATTRIBUTE },
      ExpressionAttributeValues: { ':now': now },
      ReturnValues: 'ALL_OLD',
    }),
  );
  // The customer lists' entries (search tokens are bits of the name, email and phone): those the
  // profile named at the moment it was marked erased. A run that wrote entries before then finds the
  // mark when it writes the profile and deletes its own (customer-list-repo.ts).
  const listed = listedOfStored(before?.[LISTED_ATTRIBUTE]);
  await writeBatch(
    db,
    listEntryKeys(shopId, customerId, listed).map((Key) => ({ DeleteRequest: { Key } })),
  );
  for await (const item of partitionItems(db, customerPk(shopId, customerId), 'T#')) {
    if (!FREE_TEXT.some((field) => field in item)) continue;
    await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: { PK: item.PK as string, SK: item.SK as string },
        UpdateExpression: `REMOVE ${FREE_TEXT.map((_, i) => `#x${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(FREE_TEXT.map((field, i) => [`#x${i}`, field])),
      }),
    );
  }
}

/** Access pattern: every item of one partition (optionally under an SK prefix), a page at a time. */
async function* partitionItems(db: Db, pk: string, skPrefix = ''): AsyncGenerator<Record<string, unknown>> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: skPrefix ? 'PK = :pk AND begins_with(SK, :sk)' : 'PK = :pk',
        ExpressionAttributeValues: skPrefix ? { ':pk': pk, ':sk': skPrefix } : { ':pk': pk },
        ExclusiveStartKey: start,
      }),
    );
    yield* page.Items ?? [];
    start = page.LastEvaluatedKey;
  } while (start);
}

/** Access pattern: every customer of a shop, through the sparse sharded GSI1 (never a scan). */
export async function* shopCustomerKeys(db: Db, shopId: string): AsyncGenerator<Key> {
  for (let shard = 0; shard < table.gsi1.shards; shard++) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.client.send(
        new QueryCommand({
          TableName: db.table,
          IndexName: table.gsi1.name,
          KeyConditionExpression: `${table.gsi1.partitionKey} = :pk`,
          ExpressionAttributeValues: { ':pk': `SHOP#${shopId}#S#${shard}` },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) yield { PK: item.PK as string, SK: item.SK as string };
      start = page.LastEvaluatedKey;
    } while (start);
  }
}

async function deleteAll(db: Db, keys: Key[]): Promise<void> {
  await writeBatch(
    db,
    keys.map((Key) => ({ DeleteRequest: { Key } })),
  );
}

/**
 * Shop erasure: every customer's partition (profile, timeline), their identities and orders, the
 * send log and the customer lists, then the shop. Orders never attributed to a customer hold no personal data; delivery markers expire
 * by TTL. Returns how many items were deleted.
 */
export async function eraseShopData(db: Db, shopId: string): Promise<number> {
  let deleted = 0;
  for await (const { PK } of shopCustomerKeys(db, shopId)) {
    const keys: Key[] = [];
    const orderIds: string[] = [];
    for await (const item of partitionItems(db, PK)) {
      keys.push({ PK: item.PK as string, SK: item.SK as string });
      // The customer's orders: named by the profile's recent summaries and by the history pages.
      if (String(item.SK).startsWith(HISTORY_PAGE_PREFIX)) orderIds.push(...Object.keys((item.os as object | undefined) ?? {}));
      // The customer's referral code lives outside the shop's partitions (links name no shop): its pointer finds it.
      if (item.SK === 'REFCODE' && typeof item.code === 'string')
        await deleteReferralCodeIfOwned(db, shopId, String(PK).slice(`SHOP#${shopId}#C#`.length), item.code);
      if (item.SK !== 'PROFILE') continue;
      keys.push(...identityKeysOf(shopId, item));
      orderIds.push(...Object.keys((item.oo as object | undefined) ?? {}));
      for (const name of Object.keys(item)) {
        if (name.startsWith(LEGACY_ORDER_SUMMARY_PREFIX)) orderIds.push(name.slice(LEGACY_ORDER_SUMMARY_PREFIX.length));
      }
    }
    keys.push(...[...new Set(orderIds)].map((orderId) => orderKey(shopId, orderId)));
    await deleteAll(db, keys);
    deleted += keys.length;
  }
  // What the scheduled run left: segment members (one partition per segment the counts name), then
  // the shop's own partition — the shop, its program, runs, statistics, counts — and its directory entry.
  const shopItems: Key[] = [];
  for await (const item of partitionItems(db, shopKey(shopId).PK)) {
    shopItems.push({ PK: item.PK as string, SK: item.SK as string });
    if (item.SK === segmentCountsKey(shopId).SK) {
      for (const segmentId of Object.keys((item.content as Record<string, number> | undefined) ?? {})) {
        const members: Key[] = [];
        for await (const member of partitionItems(db, segmentMembersPk(shopId, segmentId)))
          members.push({ PK: member.PK as string, SK: member.SK as string });
        await deleteAll(db, members);
        deleted += members.length;
      }
    }
  }
  // The shop's send log (ids and outcomes), by month, and the customer lists the run keeps.
  const partitions = [
    ...emailLogPartitions(shopId, new Date()),
    ...CUSTOMER_LIST_SORTS.map((sort) => customerListPk(shopId, sort)),
    ...SEARCH_BUCKETS.map((bucket) => customerSearchPk(shopId, bucket)),
    // The referrals' list and due list (pointers: ids only).
    ...REFERRAL_SHOP_PARTITIONS.map((name) => `SHOP#${shopId}#${name}`),
  ];
  for (const pk of partitions) {
    const entries: Key[] = [];
    for await (const item of partitionItems(db, pk)) entries.push({ PK: item.PK as string, SK: item.SK as string });
    await deleteAll(db, entries);
    deleted += entries.length;
  }
  await deleteAll(db, [...shopItems.filter((key) => key.SK !== 'SHOP'), shopDirectoryKey(shopId), shopKey(shopId)]);
  return deleted + shopItems.length + 1;
}
