import { randomInt } from 'node:crypto';
import * as z from 'zod';
import { getRedemptionRecord, loadProfile, movePointsOnce, putRedemptionRecord, putTimelineEntry } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { rewardIdempotencyKey, rewardLimitAttribute } from '#shared/data/keys.ts';
import { getLedgerEntry, putLedgerEntry } from '#shared/data/ledger-repo.ts';
import { type Profile, profileOf, type RedemptionRecord, redemptionsToEvict, storedLimitCount } from '#shared/data/profile-item.ts';
import { getRewardCode, putRewardCode, type RewardCode } from '#shared/data/reward-code-repo.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { ConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import type { LedgerEntryDraft } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { limitPeriod, limitWords, priceOf, type Reward } from '#shared/loyalty/rewards.ts';
import { localDate } from '#shared/loyalty/rules.ts';
import type { CodeMessage } from '#shared/use-cases/create-reward-code.ts';
import type { TriggerSink } from '#shared/use-cases/loyalty-effects.ts';
import { CustomerIdSchema } from '#shared/use-cases/read-customers.ts';
import { KeySchema, pendingPoints } from '#shared/use-cases/redeem-points.ts';
import { announce, rewardCodeFrom } from '#shared/use-cases/use-reward-codes.ts';

/**
 * POST /v1/customers/{customerId}/rewards/{rewardId}/redeem (Idempotency-Key): a reward of the
 * catalog bought with points. One conditional update on the profile takes the points — never below
 * zero, once per key, within the reward's per-customer limit (its counter moves in the same update)
 * — exactly as a plain redemption does; the code is chosen before that update and kept in its record,
 * so a retry after any crash ends with the same code. Then, each write idempotent: the ledger entry,
 * the code, the record under the key, the customer's timeline entry (last: finding it proves the
 * rest was done). For a shop that gave its Shopify or WooCommerce credentials the code is `pending`
 * and goes to the codes queue, whose consumer creates it on the platform (create-reward-code.ts: the
 * email follows there, or the points come back); otherwise it is Rapport's own, valid at once, and
 * the reward-issued email is queued here.
 */

export const RewardIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a reward id of the program, such as amount-off');

export const RedeemRewardSchema = z.strictObject({
  /** For a reward bought by the step: how many steps (default: the reward's minimum). */
  steps: z.number().int().min(1).max(1000).optional(),
});

export interface RedeemRewardDeps {
  db: Db;
  program: (shopId: string) => Promise<Program>;
  now: () => Date;
  /** The platform the shop's codes are created on (it gave credentials with PATCH /v1/shop); none: Rapport's own codes. */
  platform?: (shop: ShopRecord) => Promise<'shopify' | 'woocommerce' | undefined>;
  /** The codes queue: a pending code's platform step (create-reward-code.ts). Required with `platform`. */
  codes?: (message: CodeMessage) => Promise<void>;
  /** The email queue: the reward-issued email of a code valid at once. */
  triggers?: TriggerSink;
}

export const newRewardCode = () => rewardCodeFrom(() => randomInt(2 ** 32));

/** Attempts at the conditional update when another redemption of the same limited reward moved its counter first. */
const LIMIT_RACE_ATTEMPTS = 8;

export async function redeemReward(
  shop: ShopRecord,
  customerId: unknown,
  rewardId: unknown,
  body: unknown,
  idempotencyKey: string | undefined,
  deps: RedeemRewardDeps,
) {
  const id = parseOrThrow(CustomerIdSchema, customerId, 'customerId');
  const reward = parseOrThrow(RewardIdSchema, rewardId, 'rewardId');
  if (idempotencyKey === undefined) throw new ValidationError('Idempotency-Key', 'the Idempotency-Key header is required');
  const key = parseOrThrow(KeySchema, idempotencyKey, 'Idempotency-Key');
  const request = parseOrThrow(RedeemRewardSchema, body ?? {});
  const stored = rewardIdempotencyKey(key);
  const ctx: Context = { deps, shop, customerId: id, key };

  let profile = await loadProfile(deps.db, shop.shopId, id, true);
  if (!profile) throw new NotFoundError(`no customer ${id}`);
  const earlier = profile.redemptions[stored] ?? (await getRedemptionRecord(deps.db, shop.shopId, id, stored));
  if (earlier) return firstAnswer(ctx, earlier, profile);

  const program = await deps.program(shop.shopId);
  const found = program.rewards.find((candidate) => candidate.id === reward);
  if (!found) throw new NotFoundError(`no reward ${reward} in the program`);
  if (!found.active) throw new ConflictError(`reward ${reward} is not available any more`);
  const steps = stepsOf(found, request.steps);
  const price = priceOf(found, steps);
  const now = deps.now();
  const record: RedemptionRecord = {
    points: price.points,
    at: now.toISOString(),
    entryId: `reward:${key}`,
    reward: { rewardId: found.id, steps, code: newRewardCode() },
  };
  const period = limitPeriod(found.limit, localDate(now, shop.timezone));

  for (let attempt = 0; attempt < LIMIT_RACE_ATTEMPTS; attempt++) {
    const tier = profile.loyalty.tier ?? program.tiers.levels[0]?.id ?? '';
    if (found.tiers && !found.tiers.includes(tier)) {
      throw new ConflictError(`reward ${found.id} is for the tiers ${found.tiers.join(', ')}; this customer is ${tier}`);
    }
    const held = profile.rewardLimits[found.id];
    const count = held?.period === period ? held.count : 0;
    if (found.limit && count >= found.limit.count) {
      throw new ConflictError(`reward ${found.id} is limited to ${found.limit.count} per customer ${limitWords(found.limit.per)}`);
    }
    const pending = pendingPoints(profile, program, now);
    const guard = found.limit
      ? { attribute: rewardLimitAttribute(found.id), expected: held?.stored, next: storedLimitCount(period, count + 1) }
      : undefined;
    const move = { delta: -price.points, atLeast: price.points + pending, ...(guard ? { guard } : {}) };
    const written = await movePointsOnce(deps.db, shop.shopId, id, stored, record, move, redemptionsToEvict(profile));
    if (written) {
      const balance = profileOf(written).loyalty.balance;
      return complete(ctx, found, record, balance);
    }
    const after = await loadProfile(deps.db, shop.shopId, id, true);
    if (!after) throw new NotFoundError(`no customer ${id}`);
    const raced = after.redemptions[stored];
    if (raced) return firstAnswer(ctx, raced, after);
    // Another redemption of this reward moved the counter between our read and our update: again.
    if (guard && after.rewardLimits[found.id]?.stored !== guard.expected) {
      profile = after;
      continue;
    }
    const balance = after.loyalty.balance;
    throw new ConflictError(
      `not enough points: ${price.points} needed, ${balance - pendingPoints(after, program, now)} spendable (balance ${balance})`,
    );
  }
  throw new ConflictError(`reward ${found.id} is being redeemed by many requests at once; try again`);
}

function stepsOf(reward: Reward, asked: number | undefined): number {
  if (reward.cost.kind === 'fixed') {
    if (asked !== undefined && asked !== 1)
      throw new ValidationError('steps', `reward ${reward.id} is bought whole: steps must be 1 or absent`);
    return 1;
  }
  const steps = asked ?? reward.cost.minSteps;
  if (steps < reward.cost.minSteps || steps > reward.cost.maxSteps) {
    throw new ValidationError('steps', `reward ${reward.id} is bought in ${reward.cost.minSteps} to ${reward.cost.maxSteps} steps`);
  }
  return steps;
}

interface Context {
  deps: RedeemRewardDeps;
  shop: ShopRecord;
  customerId: string;
  key: string;
}

const DAY = 86_400_000;

/** What follows the update that took the points; each step idempotent, the timeline entry last. */
async function complete(ctx: Context, reward: Reward, record: RedemptionRecord, balance: number) {
  const { deps, shop, customerId, key } = ctx;
  const platform = await deps.platform?.(shop);
  const chosen = record.reward as NonNullable<RedemptionRecord['reward']>;
  const price = priceOf(reward, chosen.steps);
  const entry: LedgerEntryDraft & { balanceAfter: number } = {
    entryId: record.entryId,
    kind: 'redeem',
    points: -record.points,
    at: record.at,
    source: { idempotencyKey: key, rewardId: reward.id, code: chosen.code },
    balanceAfter: balance,
  };
  const code: RewardCode = {
    code: chosen.code,
    customerId,
    rewardId: reward.id,
    name: reward.name,
    value: price.value,
    ...(reward.minOrder ? { minOrder: reward.minOrder } : {}),
    currency: shop.currency,
    points: record.points,
    key: rewardIdempotencyKey(key),
    issuedAt: record.at,
    expiresAt: new Date(Date.parse(record.at) + reward.validityDays * DAY).toISOString(),
    status: platform ? 'pending' : 'issued',
    platform: platform ?? 'generic',
  };
  await putLedgerEntry(deps.db, shop.shopId, customerId, entry);
  await putRewardCode(deps.db, shop.shopId, code);
  await putRedemptionRecord(deps.db, shop.shopId, customerId, rewardIdempotencyKey(key), record);
  await putTimelineEntry(deps.db, shop.shopId, customerId, {
    at: record.at,
    entryId: record.entryId,
    type: 'reward',
    channel: 'web',
    source: 'api',
    rewardId: reward.id,
    code: code.code,
    points: record.points,
    balanceAfter: balance,
  });
  await nextStep(ctx, code);
  return { status: 201 as const, reward: codeView(code), entry, balance };
}

/** A pending code to its platform, an issued one to the customer's inbox; both idempotent downstream. */
async function nextStep({ deps, shop }: Context, code: RewardCode) {
  if (code.status === 'pending') {
    if (!deps.codes) throw new Error('a pending code needs the codes queue');
    await deps.codes({ shopId: shop.shopId, code: code.code });
  } else if (code.status === 'issued') {
    await announce(shop.shopId, code, deps);
  }
}

/** The answer a key got the first time. A crash after the points were taken is finished now, with the code chosen then. */
async function firstAnswer(ctx: Context, record: RedemptionRecord, profile: Profile) {
  const { deps, shop, customerId, key } = ctx;
  const chosen = record.reward;
  if (!chosen) throw new ConflictError(`Idempotency-Key ${key} was used for another kind of request`);
  const [code, entry] = await Promise.all([
    getRewardCode(deps.db, shop.shopId, chosen.code, true),
    getLedgerEntry(deps.db, shop.shopId, customerId, record.at, record.entryId),
  ]);
  const balance = (entry as { balanceAfter?: number } | undefined)?.balanceAfter ?? profile.loyalty.balance;
  if (code && entry) {
    // The first attempt may have stopped before its message: a repeat sends it (the consumer takes a code once).
    if (code.status === 'pending') await nextStep(ctx, code);
    return { status: 201 as const, reward: codeView(code), entry, balance };
  }
  const program = await deps.program(shop.shopId);
  const reward = program.rewards.find((candidate) => candidate.id === chosen.rewardId);
  if (!reward) throw new ConflictError(`reward ${chosen.rewardId} left the program before its redemption was finished`);
  return complete(ctx, reward, record, balance);
}

/** A code as the API shows it: no internal keys. */
export function codeView(code: RewardCode) {
  return {
    code: code.code,
    rewardId: code.rewardId,
    name: code.name,
    value: code.value,
    ...(code.minOrder ? { minOrder: code.minOrder } : {}),
    currency: code.currency,
    points: code.points,
    issuedAt: code.issuedAt,
    expiresAt: code.expiresAt,
    status: code.status,
    ...(code.usedOrderId ? { usedOrderId: code.usedOrderId, usedAt: code.usedAt } : {}),
  };
}
