import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import {
  customerPk,
  REFERRER_FRIEND_PREFIX,
  referralCodeKey,
  referralCodePointerKey,
  referralDueKey,
  referralKey,
  referralListKey,
  referralSlotKey,
  referrerFriendKey,
} from '#shared/data/keys.ts';
import type { RejectionReason } from '#shared/loyalty/referrals.ts';

/**
 * Referrals in the single table (ACCESS_PATTERNS.md): the code's owner (`REFCODE#{code}`), the friend's
 * one referral (`REFERRED` in the friend's partition), pointers for the lists (the referrer's friends,
 * the shop's referrals), the referrer's monthly places and the due list the scheduled run approves
 * from. Every item is small and fixed in size; none grows with a customer's history.
 */

export type ReferralStatus = 'attributed' | 'approved' | 'rejected';

/** What one side got: points, or a code of a catalog reward. */
export type GivenReward = { points: number } | { rewardId: string; code: string };

export interface Referral {
  friendId: string;
  referrerId: string;
  code: string;
  /** How the order carried the code: the link's `ref`, or a discount code typed at checkout. */
  via: 'link' | 'discount_code';
  orderId: string;
  /** The order's creation: the approval period counts from it. */
  orderAt: string;
  /** The order's net (minor units of the shop currency) when last decided: the revenue referred. */
  revenue: number;
  status: ReferralStatus;
  reason?: RejectionReason;
  /** When the run may approve it (attributed only). */
  dueAt?: string;
  at: string;
  decidedAt?: string;
  friendReward?: GivenReward;
  referrerReward?: GivenReward;
}

const fromItem = (item: Record<string, unknown>): Referral => {
  const { PK: _pk, SK: _sk, ...rest } = item;
  return rest as unknown as Referral;
};

/** Access pattern: whose code this is (the shop and the customer), from a link or an order. */
export async function getReferralCodeOwner(
  db: Db,
  code: string,
  consistent = false,
): Promise<{ shopId: string; customerId: string } | undefined> {
  const { Item } = await db.client.send(new GetCommand({ TableName: db.table, Key: referralCodeKey(code), ConsistentRead: consistent }));
  return Item ? { shopId: Item.shopId as string, customerId: Item.customerId as string } : undefined;
}

/**
 * Invariant: a code has one owner, the first to claim it. Returns the owner after the claim. The
 * customer's pointer goes first, so a shop's erasure always finds a code it may have to delete.
 */
export async function claimReferralCode(db: Db, shopId: string, code: string, customerId: string, at: string) {
  await db.client.send(new PutCommand({ TableName: db.table, Item: { ...referralCodePointerKey(shopId, customerId), code } }));
  try {
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: { ...referralCodeKey(code), shopId, customerId, createdAt: at },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
    return { shopId, customerId };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return getReferralCodeOwner(db, code, true);
  }
}

/** The shop's own referral partitions (`SHOP#{shopId}#REFS`, `#REFDUE`), which a shop's erasure empties. */
export const REFERRAL_SHOP_PARTITIONS = ['REFS', 'REFDUE'] as const;

/** A shop's erasure: the customer's code item, only if it is still theirs (a code another shop's customer won stays). */
export async function deleteReferralCodeIfOwned(db: Db, shopId: string, customerId: string, code: string): Promise<void> {
  try {
    await db.client.send(
      new DeleteCommand({
        TableName: db.table,
        Key: referralCodeKey(code),
        ConditionExpression: 'shopId = :shop AND customerId = :customer',
        ExpressionAttributeValues: { ':shop': shopId, ':customer': customerId },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export async function getReferral(db: Db, shopId: string, friendId: string, consistent = true): Promise<Referral | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: referralKey(shopId, friendId), ConsistentRead: consistent }),
  );
  return Item ? fromItem(Item) : undefined;
}

/** Invariant: one referral per friend, ever — the first order's decision stands. Returns the one that stands. */
export async function putReferralOnce(db: Db, shopId: string, referral: Referral): Promise<{ referral: Referral; created: boolean }> {
  try {
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: { ...referralKey(shopId, referral.friendId), ...referral },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
    return { referral, created: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const stood = await getReferral(db, shopId, referral.friendId);
    if (!stood) throw new Error('referral vanished after a failed put');
    return { referral: stood, created: false };
  }
}

/**
 * Invariant: an attributed referral is decided once (approved or rejected), by whichever run gets
 * there first. Returns whether this call decided it.
 */
export async function decideReferralOnce(
  db: Db,
  shopId: string,
  friendId: string,
  decision: { status: 'approved' | 'rejected'; reason?: RejectionReason; revenue: number; decidedAt: string; referrerReward?: GivenReward },
): Promise<boolean> {
  const sets = ['#status = :status', 'revenue = :revenue', 'decidedAt = :at'];
  const values: Record<string, unknown> = {
    ':status': decision.status,
    ':revenue': decision.revenue,
    ':at': decision.decidedAt,
    ':attributed': 'attributed',
  };
  if (decision.reason) {
    sets.push('reason = :reason');
    values[':reason'] = decision.reason;
  }
  if (decision.referrerReward) {
    sets.push('referrerReward = :reward');
    values[':reward'] = decision.referrerReward;
  }
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: referralKey(shopId, friendId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: '#status = :attributed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** The friend's reward, noted on the referral once given (idempotent: the same value every time). */
export async function noteFriendReward(db: Db, shopId: string, friendId: string, reward: GivenReward): Promise<void> {
  await db.client.send(
    new UpdateCommand({
      TableName: db.table,
      Key: referralKey(shopId, friendId),
      UpdateExpression: 'SET friendReward = :reward',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: { ':reward': reward },
    }),
  );
}

/**
 * Invariant: at most `cap` friends a month per referrer. Takes the first free place of the month
 * (or the one this friend already holds: a redelivery); undefined when every place is another's.
 */
export async function takeReferralSlot(
  db: Db,
  shopId: string,
  referrerId: string,
  month: string,
  cap: number,
  friendId: string,
): Promise<number | undefined> {
  const held = await monthSlots(db, shopId, referrerId, month);
  const mine = held.find((slot) => slot.friendId === friendId);
  if (mine) return mine.slot;
  const taken = new Set(held.map((slot) => slot.slot));
  for (let slot = 0; slot < cap; slot++) {
    if (taken.has(slot)) continue;
    try {
      await db.client.send(
        new PutCommand({
          TableName: db.table,
          Item: { ...referralSlotKey(shopId, referrerId, month, slot), friendId },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return slot;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await db.client.send(
        new GetCommand({ TableName: db.table, Key: referralSlotKey(shopId, referrerId, month, slot), ConsistentRead: true }),
      );
      if (Item?.friendId === friendId) return slot;
    }
  }
  return undefined;
}

/** Access pattern: a referrer's places taken in a month (≤ the cap, ≤ 100 items). */
async function monthSlots(db: Db, shopId: string, referrerId: string, month: string) {
  const { Items = [] } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': customerPk(shopId, referrerId), ':prefix': `REFSLOT#${month}#` },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => ({ slot: Number(String(item.SK).slice(-3)), friendId: item.friendId as string }));
}

/** The list pointers (shop's and referrer's) and, for an attributed referral, its due entry. Idempotent. */
export async function putReferralPointers(db: Db, shopId: string, referral: Referral): Promise<void> {
  const puts = [
    { ...referralListKey(shopId, referral.orderAt, referral.friendId), referrerId: referral.referrerId },
    { ...referrerFriendKey(shopId, referral.referrerId, referral.orderAt, referral.friendId) },
    ...(referral.status === 'attributed' && referral.dueAt ? [{ ...referralDueKey(shopId, referral.dueAt, referral.friendId) }] : []),
  ];
  for (const Item of puts) await db.client.send(new PutCommand({ TableName: db.table, Item: { ...Item, friendId: referral.friendId } }));
}

export async function deleteReferralDue(db: Db, shopId: string, dueAt: string, friendId: string): Promise<void> {
  await db.client.send(new DeleteCommand({ TableName: db.table, Key: referralDueKey(shopId, dueAt, friendId) }));
}

/** Access pattern: the shop's referrals due by `before`, a page at a time (the scheduled run). */
export async function referralsDuePage(
  db: Db,
  shopId: string,
  before: string,
  limit: number,
  after?: string,
): Promise<{ friendIds: Array<{ friendId: string; dueAt: string }>; last?: string }> {
  const { Items = [], LastEvaluatedKey } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk AND SK <= :before',
      ExpressionAttributeValues: { ':pk': `SHOP#${shopId}#REFDUE`, ':before': `${before}#~` },
      Limit: limit,
      ConsistentRead: true,
      ...(after ? { ExclusiveStartKey: { PK: `SHOP#${shopId}#REFDUE`, SK: after } } : {}),
    }),
  );
  return {
    friendIds: Items.map((item) => ({
      friendId: item.friendId as string,
      dueAt: String(item.SK).slice(0, String(item.SK).lastIndexOf('#')),
    })),
    ...(LastEvaluatedKey ? { last: LastEvaluatedKey.SK as string } : {}),
  };
}

/**
 * Access pattern: a page of referrals, newest first — the shop's (`SHOP#{shopId}#REFS`) or one
 * referrer's (`REFERRAL#…` in their partition) — and the referrals they point to (one BatchGetItem).
 */
export async function referralsPage(
  db: Db,
  shopId: string,
  query: { referrerId?: string; limit: number; cursor?: string },
): Promise<{ items: Referral[]; cursor?: string }> {
  const pk = query.referrerId ? customerPk(shopId, query.referrerId) : `SHOP#${shopId}#REFS`;
  const { Items = [], LastEvaluatedKey } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: query.referrerId ? 'PK = :pk AND begins_with(SK, :prefix)' : 'PK = :pk',
      ExpressionAttributeValues: { ':pk': pk, ...(query.referrerId ? { ':prefix': REFERRER_FRIEND_PREFIX } : {}) },
      ScanIndexForward: false,
      Limit: query.limit,
      ...(query.cursor ? { ExclusiveStartKey: { PK: pk, SK: query.cursor } } : {}),
    }),
  );
  const friendIds = Items.map((item) => item.friendId as string);
  const found = new Map<string, Referral>();
  let keys: Record<string, unknown>[] = [...new Set(friendIds)].map((friendId) => referralKey(shopId, friendId));
  for (let attempt = 0; keys.length > 0 && attempt < 8; attempt++) {
    const answer = await db.client.send(new BatchGetCommand({ RequestItems: { [db.table]: { Keys: keys } } }));
    for (const item of answer.Responses?.[db.table] ?? []) {
      const referral = fromItem(item);
      found.set(referral.friendId, referral);
    }
    keys = (answer.UnprocessedKeys?.[db.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
  }
  return {
    items: friendIds.flatMap((friendId) => {
      const referral = found.get(friendId);
      return referral ? [referral] : [];
    }),
    ...(LastEvaluatedKey ? { cursor: LastEvaluatedKey.SK as string } : {}),
  };
}
