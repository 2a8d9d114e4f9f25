import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import { codeDueKey, customerCodeKey, customerPk, rewardCodeKey } from '#shared/data/keys.ts';
import type { RewardValue } from '#shared/loyalty/rewards.ts';

/**
 * Reward codes (issue 13): one item per code at SHOP#{shopId}#CODE#{code} holding everything about
 * it, and a pointer under the customer (CODE#{issuedAt}#{code}) for the customer's list. Both are
 * written after the conditional profile update that took the points, under the code chosen before
 * it (kept in the redemption record), so a retry rewrites the same items.
 */

export type CodeStatus = 'pending' | 'issued' | 'used' | 'returned' | 'failed';
export type CodePlatform = 'generic' | 'shopify' | 'woocommerce';

export interface RewardCode {
  code: string;
  customerId: string;
  rewardId: string;
  /** The reward's names when it was redeemed (the catalog may change later). */
  name: Record<string, string>;
  value: RewardValue;
  minOrder?: number;
  currency: string;
  points: number;
  /** The redemption's Idempotency-Key as held (`reward/…`). */
  key: string;
  issuedAt: string;
  expiresAt: string;
  status: CodeStatus;
  platform: CodePlatform;
  platformId?: string;
  /** Why the platform refused it for good (no personal data). */
  failure?: string;
  usedOrderId?: string;
  usedAt?: string;
  /** The net of the paid order that used it (minor units): the revenue the reward is credited with. */
  revenue?: number;
  /** When its points came back (refused by the platform, or expired unused). */
  returnedAt?: string;
  /** A code given, not bought (`points: 0`): what gave it — `flow:win-back:2026-12`, `perk:free-shipping:2026-12`. */
  gift?: string;
  /** The email that goes out once the code is live, in place of reward_issued (a win-back or birthday email carrying it). */
  announce?: { trigger: string; key: string; at: string; data: Record<string, unknown> };
}

/** Statuses in which a code is still live: on the due list, so the scheduled run finds it. */
export const LIVE_STATUSES: CodeStatus[] = ['pending', 'issued'];

/**
 * The code item, unless it exists already (a retry); the customer's pointer and its places on the due
 * lists either way. True when this call created the code.
 */
export async function putRewardCode(db: Db, shopId: string, code: RewardCode): Promise<boolean> {
  let created = true;
  try {
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: { ...rewardCodeKey(shopId, code.code), ...code },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    created = false;
  }
  await db.client.send(
    new PutCommand({
      TableName: db.table,
      Item: { ...customerCodeKey(shopId, code.customerId, code.issuedAt, code.code), code: code.code, rewardId: code.rewardId },
    }),
  );
  if (LIVE_STATUSES.includes(code.status)) await putCodeDue(db, shopId, 'E', code);
  if (code.status === 'pending') await putCodeDue(db, shopId, 'P', code);
  return created;
}

type DueCode = Pick<RewardCode, 'code' | 'expiresAt' | 'issuedAt' | 'customerId'>;
const dueAt = (list: 'E' | 'P', code: Pick<RewardCode, 'expiresAt' | 'issuedAt'>) => (list === 'E' ? code.expiresAt : code.issuedAt);

/** A code on one of the shop's due lists (keys.ts codeDueKey). Idempotent. */
export async function putCodeDue(db: Db, shopId: string, list: 'E' | 'P', code: DueCode): Promise<void> {
  await db.client.send(
    new PutCommand({
      TableName: db.table,
      Item: { ...codeDueKey(shopId, list, dueAt(list, code), code.code), code: code.code, customerId: code.customerId },
    }),
  );
}

/** A code off a due list once it left that state (used, refused, returned; created on its platform). Idempotent. */
export async function deleteCodeDue(db: Db, shopId: string, list: 'E' | 'P', code: Pick<RewardCode, 'code' | 'expiresAt' | 'issuedAt'>) {
  await db.client.send(new DeleteCommand({ TableName: db.table, Key: codeDueKey(shopId, list, dueAt(list, code), code.code) }));
}

/**
 * Access pattern: a page of one of the shop's due lists, oldest first, up to `before` — codes past
 * their expiry (`E`), or codes pending since before a time (`P`). `after` continues from the
 * previous page's `last`.
 */
export async function listCodesDue(
  db: Db,
  shopId: string,
  list: 'E' | 'P',
  before: string,
  limit: number,
  after?: string,
): Promise<{ codes: string[]; last?: string }> {
  const pk = codeDueKey(shopId, list, '', '').PK;
  const { Items, LastEvaluatedKey } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': `${list}#`, ':to': `${list}#${before}` },
      Limit: limit,
      ...(after ? { ExclusiveStartKey: { PK: pk, SK: after } } : {}),
    }),
  );
  return { codes: (Items ?? []).map((item) => item.code as string), ...(LastEvaluatedKey ? { last: LastEvaluatedKey.SK as string } : {}) };
}

/** Access pattern: a code by itself (an order carrying it, the platform step, GET /v1/coupons). */
export async function getRewardCode(db: Db, shopId: string, code: string, consistent = false): Promise<RewardCode | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: rewardCodeKey(shopId, code), ConsistentRead: consistent }),
  );
  if (!Item) return undefined;
  const { PK: _pk, SK: _sk, ...stored } = Item;
  return stored as RewardCode;
}

/** Access pattern: a customer's newest codes (their pointers; the codes themselves by getRewardCode). */
export async function listCustomerCodes(db: Db, shopId: string, customerId: string, limit: number): Promise<string[]> {
  const { Items } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': customerPk(shopId, customerId), ':prefix': 'CODE#' },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (Items ?? []).map((item) => item.code as string);
}

/**
 * Moves a code from one status to the next, only from the status it is expected in (so a used code
 * is never returned, nor a returned one used); with the fields that go with the new status.
 * False when the code was not in `from` any more.
 */
export async function moveCodeStatus(
  db: Db,
  shopId: string,
  code: string,
  from: CodeStatus[],
  to: CodeStatus,
  fields: Partial<Pick<RewardCode, 'platformId' | 'failure' | 'usedOrderId' | 'usedAt' | 'revenue' | 'returnedAt'>> = {},
): Promise<boolean> {
  const names = Object.keys(fields);
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: rewardCodeKey(shopId, code),
        UpdateExpression: `SET #status = :to${names.map((_, i) => `, #f${i} = :f${i}`).join('')}`,
        ConditionExpression: `attribute_exists(PK) AND #status IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
        ExpressionAttributeNames: { '#status': 'status', ...Object.fromEntries(names.map((name, i) => [`#f${i}`, name])) },
        ExpressionAttributeValues: {
          ':to': to,
          ...Object.fromEntries(from.map((status, i) => [`:from${i}`, status])),
          ...Object.fromEntries(names.map((name, i) => [`:f${i}`, fields[name as keyof typeof fields]])),
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
