import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure, writeBatch } from '#shared/data/db.ts';
import {
  customerPk,
  identityKey,
  profileIndexKeys,
  profileKey,
  redemptionAttribute,
  redemptionKey,
  timelineKey,
  tombstoneKey,
} from '#shared/data/keys.ts';
import { historyAttributes } from '#shared/data/profile-history.ts';
import {
  type LoyaltyChange,
  loyaltyAttributes,
  type Profile,
  profileOf,
  type RedemptionRecord,
  stampAttribute,
} from '#shared/data/profile-item.ts';
import { sha256Hex } from '#shared/domain/crypto.ts';
import type { OrderHistory } from '#shared/domain/history.ts';
import type { IdentityRef } from '#shared/domain/identity.ts';

export type ProfileItem = Record<string, unknown>;

/* ---------- identities: SHOP#{shopId}#ID#{kind}#{value} / ID → customerId ---------- */

/** Access pattern: which customer does this external id / email / phone belong to? */
export async function getIdentityOwner(db: Db, shopId: string, ref: IdentityRef, consistent = false) {
  const { Item } = await db.client.send(
    new GetCommand({
      TableName: db.table,
      Key: identityKey(shopId, ref.kind, ref.value),
      ConsistentRead: consistent,
      ProjectionExpression: 'customerId',
    }),
  );
  return Item?.customerId as string | undefined;
}

/** The owners of several identities at once (index i of the result answers refs[i]). */
export async function getIdentityOwners(db: Db, shopId: string, refs: IdentityRef[], consistent = false) {
  if (refs.length === 0) return [];
  const keys = refs.map((ref) => identityKey(shopId, ref.kind, ref.value));
  const { Responses } = await db.client.send(
    new BatchGetCommand({
      RequestItems: { [db.table]: { Keys: keys, ConsistentRead: consistent, ProjectionExpression: 'PK, customerId' } },
    }),
  );
  const byPk = new Map((Responses?.[db.table] ?? []).map((item) => [item.PK as string, item.customerId as string]));
  return keys.map((key) => byPk.get(key.PK));
}

/** Whether any of these identities was erased in the last week (see keys.tombstoneKey). */
export async function anyErased(db: Db, shopId: string, refs: IdentityRef[], now: Date): Promise<boolean> {
  if (refs.length === 0) return false;
  const keys = refs.map((ref) => tombstoneKey(shopId, sha256Hex(identityKey(shopId, ref.kind, ref.value).PK)));
  const { Responses } = await db.client.send(
    new BatchGetCommand({ RequestItems: { [db.table]: { Keys: keys, ProjectionExpression: 'expiresAt' } } }),
  );
  return (Responses?.[db.table] ?? []).some((item) => (item.expiresAt as number) > now.getTime() / 1000);
}

/**
 * Invariant: an identity belongs to one customer, and the first claim wins. Returns the owner
 * after the attempt (ours, or whoever claimed it first).
 */
export async function claimIdentity(db: Db, shopId: string, ref: IdentityRef, customerId: string, now: string) {
  try {
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: {
          ...identityKey(shopId, ref.kind, ref.value),
          customerId,
          kind: ref.kind,
          createdAt: now,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
    return customerId;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return (await getIdentityOwner(db, shopId, ref, true)) as string;
  }
}

/* ---------- profile: SHOP#{shopId}#C#{customerId} / PROFILE ---------- */

/** Access pattern: many profiles by key (the liability report), a hundred at a time. */
export async function getProfiles(db: Db, keys: Array<{ PK: string; SK: string }>): Promise<ProfileItem[]> {
  const profiles: ProfileItem[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Record<string, unknown>[] = keys.slice(i, i + 100);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 8) throw new Error('batch read did not finish');
      const { Responses, UnprocessedKeys } = await db.client.send(new BatchGetCommand({ RequestItems: { [db.table]: { Keys: pending } } }));
      profiles.push(...(Responses?.[db.table] ?? []));
      pending = UnprocessedKeys?.[db.table]?.Keys ?? [];
    }
  }
  return profiles;
}

/** Access pattern: get a customer's profile. */
export async function getProfile(db: Db, shopId: string, customerId: string, consistent = false) {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: profileKey(shopId, customerId), ConsistentRead: consistent }),
  );
  return Item as ProfileItem | undefined;
}

/** Access pattern: get a customer's profile, typed (data/profile-item.ts). */
export async function loadProfile(db: Db, shopId: string, customerId: string, consistent = false): Promise<Profile | undefined> {
  const item = await getProfile(db, shopId, customerId, consistent);
  return item ? profileOf(item) : undefined;
}

/**
 * What every profile write sets when it happens to create the profile. Shop and customer ids are
 * not repeated as attributes (they are in the key): a profile under 1 KB costs one write unit, and
 * every byte saved keeps more customers there.
 */
function creationClause(shopId: string, customerId: string, now: string) {
  const index = profileIndexKeys(shopId, customerId);
  return {
    set: 'createdAt = if_not_exists(createdAt, :now), GSI1PK = if_not_exists(GSI1PK, :gpk), GSI1SK = if_not_exists(GSI1SK, :gsk)',
    values: { ':now': now, ':gpk': index.GSI1PK, ':gsk': index.GSI1SK },
  };
}

export interface ProfileChange {
  /** The customer's order history after the change (bounded: domain/history.ts). */
  history?: OrderHistory;
  /** Last-writer-wins fields to set, each stamped `at`; only fields whose stamp is older are written. */
  stamped?: { values: Record<string, string | number>; fields: string[]; at: number };
  /** An external id to add to the profile's set. */
  externalId?: string;
  /** Loyalty effects: attributes to set (tier, bonus marker, the outbox), balance and lifetime deltas. */
  loyalty?: { sets: LoyaltyChange; balanceDelta: number; lifetimeDelta: number };
  /**
   * The profile version (`pv`) the change was planned from: the write succeeds only if nobody wrote
   * the profile since, so plans that read the whole profile (points, tiers) are never stale.
   */
  version: number;
}

/**
 * Invariants: the profile's order history was planned from the version it replaces (`pv`), so each
 * order's newest summary is held exactly once; each contact field holds the value of the newest
 * event that carried it (stamp t_{field}, epoch ms; equal stamps: the larger value). One conditional
 * update writes both, so a new order costs one profile write; a concurrent write makes this one
 * fail and the caller re-reads. Returns the profile after the write, or undefined when the
 * condition failed.
 */
export async function applyProfileChangeIfNewer(
  db: Db,
  shopId: string,
  customerId: string,
  change: ProfileChange,
  now: string,
): Promise<ProfileItem | undefined> {
  const creation = creationClause(shopId, customerId, now);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ...creation.values };
  const sets = [creation.set];
  const conditions: string[] = [];
  if (change.history) {
    const { oo, fb } = historyAttributes(change.history);
    values[':oo'] = oo;
    values[':fb'] = fb;
    sets.push('oo = :oo', 'fb = :fb');
  }
  if (change.stamped && change.stamped.fields.length > 0) {
    values[':at'] = change.stamped.at;
    change.stamped.fields.forEach((field, i) => {
      names[`#f${i}`] = field;
      names[`#t${i}`] = stampAttribute(field);
      values[`:v${i}`] = change.stamped?.values[field];
      sets.push(`#f${i} = :v${i}`, `#t${i} = :at`);
      conditions.push(`(attribute_not_exists(#t${i}) OR #t${i} < :at OR (#t${i} = :at AND #f${i} < :v${i}))`);
    });
  }
  values[':pvNext'] = change.version + 1;
  sets.push('pv = :pvNext');
  if (change.version === 0) conditions.push('attribute_not_exists(pv)');
  else {
    values[':pv'] = change.version;
    conditions.push('pv = :pv');
  }
  const adds: string[] = [];
  if (change.loyalty) {
    Object.entries(loyaltyAttributes(change.loyalty.sets)).forEach(([name, value], i) => {
      names[`#l${i}`] = name;
      values[`:l${i}`] = value;
      sets.push(`#l${i} = :l${i}`);
    });
    if (change.loyalty.balanceDelta !== 0) {
      adds.push('pointsBalance :balanceDelta');
      values[':balanceDelta'] = change.loyalty.balanceDelta;
    }
    if (change.loyalty.lifetimeDelta !== 0) {
      adds.push('pointsLifetime :lifetimeDelta');
      values[':lifetimeDelta'] = change.loyalty.lifetimeDelta;
    }
  }
  if (change.externalId) {
    adds.push('externalIds :ext');
    values[':ext'] = new Set([change.externalId]);
  }
  let update = `SET ${sets.join(', ')}`;
  if (adds.length > 0) update += ` ADD ${adds.join(', ')}`;
  try {
    const { Attributes } = await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: profileKey(shopId, customerId),
        UpdateExpression: update,
        ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Invariant: the balance never goes below zero and a redemption key is spent once. One conditional
 * update takes the points and records the redemption on the profile (so a repeat of the key finds
 * it); concurrent redemptions serialize on the condition. Returns the profile after the write, or
 * undefined when the key was used already or the spendable balance is too small.
 */
export function redeemPointsOnce(
  db: Db,
  shopId: string,
  customerId: string,
  key: string,
  redemption: RedemptionRecord,
  notSpendable: number,
  /** Older redemption attributes to let go of (the profile keeps the newest REDEMPTIONS_ON_PROFILE). */
  evict: string[] = [],
): Promise<ProfileItem | undefined> {
  return movePointsOnce(
    db,
    shopId,
    customerId,
    key,
    redemption,
    { delta: -redemption.points, atLeast: redemption.points + notSpendable },
    evict,
  );
}

/**
 * Invariant: a points movement made under an Idempotency-Key (a redemption, a staff adjustment) is
 * applied once, and a movement that takes points leaves the balance at or above what must stay
 * (`atLeast`: the points taken plus those not spendable yet). One conditional update moves the
 * balance by `delta`, records the movement on the profile under `key` (so a repeat finds it) and
 * bumps the profile version (so a plan made before it is made again). Concurrent movements
 * serialize on the condition. Returns the profile after the write, or undefined when the key was
 * used already or the balance is too small.
 */
/**
 * One more profile attribute the move sets, on the condition that it still holds what was read
 * (absent: still absent): a reward's per-customer limit counter moves with the points or not at all.
 */
export interface MoveGuard {
  attribute: string;
  expected: unknown;
  next: unknown;
}

export async function movePointsOnce(
  db: Db,
  shopId: string,
  customerId: string,
  key: string,
  record: RedemptionRecord,
  move: { delta: number; atLeast?: number; guard?: MoveGuard; lifetimeDelta?: number },
  evict: string[] = [],
): Promise<ProfileItem | undefined> {
  // Points the program awards (an activity) count toward lifetime points too; a staff correction or a redemption does not.
  const lifetime = move.lifetimeDelta ? ', pointsLifetime :lifetime' : '';
  const removals = evict.map((_, i) => `#x${i}`);
  const guard = move.guard;
  const conditions = [
    'attribute_exists(PK)',
    'attribute_not_exists(#r)',
    ...(move.atLeast === undefined ? [] : ['pointsBalance >= :needed']),
    ...(guard === undefined ? [] : [guard.expected === undefined ? 'attribute_not_exists(#g)' : '#g = :expected']),
  ];
  try {
    const { Attributes } = await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: profileKey(shopId, customerId),
        UpdateExpression:
          `SET #r = :record, pv = if_not_exists(pv, :zero) + :one${guard ? ', #g = :next' : ''} ADD pointsBalance :delta${lifetime}` +
          (removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''),
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: {
          '#r': redemptionAttribute(key),
          ...(guard ? { '#g': guard.attribute } : {}),
          ...Object.fromEntries(evict.map((name, i) => [`#x${i}`, name])),
        },
        ExpressionAttributeValues: {
          ':record': record,
          ':zero': 0,
          ':one': 1,
          ':delta': move.delta,
          ...(move.lifetimeDelta ? { ':lifetime': move.lifetimeDelta } : {}),
          ...(move.atLeast === undefined ? {} : { ':needed': move.atLeast }),
          ...(guard ? { ':next': guard.next, ...(guard.expected === undefined ? {} : { ':expected': guard.expected }) } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Every redemption, by key, for repeats of a key the profile no longer holds. Idempotent. */
export async function putRedemptionRecord(db: Db, shopId: string, customerId: string, key: string, record: RedemptionRecord) {
  await db.client.send(new PutCommand({ TableName: db.table, Item: { ...redemptionKey(shopId, customerId, key), ...record } }));
}

/** Access pattern: the redemption made under a key, if any. */
export async function getRedemptionRecord(db: Db, shopId: string, customerId: string, key: string): Promise<RedemptionRecord | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: redemptionKey(shopId, customerId, key), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const { PK: _pk, SK: _sk, ...record } = Item;
  return record as RedemptionRecord;
}

/**
 * The scheduled run's derived fields (rfm, clv, segments, …): set as they are, without the profile
 * version — nothing the processor plans from reads them — and only on an existing profile; with
 * `unlessErased`, only on one not erased (the customer lists' entries it names must not outlive an
 * erasure that ran meanwhile). Returns whether it wrote.
 */
export async function setDerivedFields(
  db: Db,
  shopId: string,
  customerId: string,
  fields: Record<string, unknown>,
  options: { unlessErased?: boolean } = {},
): Promise<boolean> {
  const entries = Object.entries(fields);
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: profileKey(shopId, customerId),
        UpdateExpression: `SET ${entries.map((_, i) => `#d${i} = :d${i}`).join(', ')}`,
        ConditionExpression: options.unlessErased ? 'attribute_exists(PK) AND attribute_not_exists(erasedAt)' : 'attribute_exists(PK)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#d${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], i) => [`:d${i}`, value])),
      }),
    );
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error; // erased with its shop (or, unlessErased, alone) meanwhile: nothing to score
    return false;
  }
}

/* ---------- timeline: SHOP#{shopId}#C#{customerId} / T#{occurredAt}#{entryId} ---------- */

export interface TimelineEntry {
  at: string;
  /** eventId, or another deterministic id, so the same fact always lands on the same item. */
  entryId: string;
  type: string;
  channel: string;
  source: string;
  [field: string]: unknown;
}

/** A timeline entry as stored. */
export const timelineItem = (shopId: string, customerId: string, entry: TimelineEntry) => ({
  ...timelineKey(shopId, customerId, entry.at, entry.entryId),
  ...entry,
});

/** Idempotent by key: writing the same entry twice leaves one entry. */
export async function putTimelineEntry(db: Db, shopId: string, customerId: string, entry: TimelineEntry) {
  await db.client.send(new PutCommand({ TableName: db.table, Item: timelineItem(shopId, customerId, entry) }));
}

/** Many timeline entries at once (the scheduled run), 25 per BatchWriteItem; idempotent by key like putTimelineEntry. */
export async function putTimelineEntries(
  db: Db,
  shopId: string,
  entries: Array<{ customerId: string; entry: TimelineEntry }>,
): Promise<void> {
  await writeBatch(
    db,
    entries.map(({ customerId, entry }) => ({ PutRequest: { Item: timelineItem(shopId, customerId, entry) } })),
  );
}

/** Whether a timeline entry exists (a once-only entry is read before it is written, so a re-run writes nothing). */
export async function hasTimelineEntry(db: Db, shopId: string, customerId: string, at: string, entryId: string): Promise<boolean> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: timelineKey(shopId, customerId, at, entryId), ProjectionExpression: 'PK' }),
  );
  return Item !== undefined;
}

/**
 * Access pattern: a page of one kind of a customer's records, newest first — the timeline (`T#`) or
 * the points ledger (`PTS#`); both sort keys begin with the record's time.
 */
export async function getCustomerRecordsPage(
  db: Db,
  shopId: string,
  customerId: string,
  prefix: 'T#' | 'PTS#',
  limit: number,
  afterSk?: string,
) {
  const pk = customerPk(shopId, customerId);
  const { Items, LastEvaluatedKey } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      ScanIndexForward: false,
      Limit: limit,
      ...(afterSk ? { ExclusiveStartKey: { PK: pk, SK: afterSk } } : {}),
    }),
  );
  return { items: Items ?? [], lastSk: LastEvaluatedKey?.SK as string | undefined };
}

/** Access pattern: a customer's timeline, newest first, a page at a time. */
export const getTimelinePage = (db: Db, shopId: string, customerId: string, limit: number, afterSk?: string) =>
  getCustomerRecordsPage(db, shopId, customerId, 'T#', limit, afterSk);
