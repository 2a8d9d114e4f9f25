import * as z from 'zod';
import {
  getRedemptionRecord,
  hasTimelineEntry,
  loadProfile,
  movePointsOnce,
  putRedemptionRecord,
  putTimelineEntry,
} from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { adjustmentIdempotencyKey } from '#shared/data/keys.ts';
import { getLedgerEntry, putLedgerEntry } from '#shared/data/ledger-repo.ts';
import { type Profile, profileOf, type RedemptionRecord, redemptionsToEvict } from '#shared/data/profile-item.ts';
import { putShopActivity } from '#shared/data/shop-activity-repo.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { ConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import type { LedgerEntryDraft } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { keyIdOf } from '#shared/use-cases/manage-shop.ts';
import { CustomerIdSchema } from '#shared/use-cases/read-customers.ts';
import { KeySchema, pendingPoints } from '#shared/use-cases/redeem-points.ts';

/**
 * POST /v1/customers/{customerId}/points: a staff adjustment — give or take points, with a reason.
 * The same guarantees as a redemption (redeem-points.ts), from the same conditional update
 * (customer-repo.ts movePointsOnce): once per Idempotency-Key (a repeat gets the first answer),
 * never below zero (taking is refused, 409, beyond the spendable balance), safe under concurrent
 * requests. Its key is held beside the redemptions' (`adjust/{key}`: keys.ts), so one key cannot
 * name both a redemption and an adjustment.
 *
 * An adjustment moves the balance only: lifetime points, tiers and milestones follow what the
 * program awards (orders, bonuses), not corrections made by hand. It is a ledger entry of kind
 * `adjust`, an entry on the customer's timeline with the reason, and one on the shop's activity
 * (the customer id and the points; the reason is free text and stays with the customer, whom
 * erasure clears).
 */

export const AdjustmentSchema = z.object({
  points: z
    .number()
    .int()
    .min(-1_000_000_000)
    .max(1_000_000_000)
    .refine((points) => points !== 0, 'a whole number of points other than 0 (negative takes points away)'),
  reason: z.string().trim().min(1).max(200),
});

interface Deps {
  db: Db;
  program: (shopId: string) => Promise<Program>;
  now: () => Date;
}

export async function adjustPoints(
  shop: ShopRecord,
  customerId: unknown,
  body: unknown,
  idempotencyKey: string | undefined,
  apiKey: string,
  deps: Deps,
) {
  const id = parseOrThrow(CustomerIdSchema, customerId, 'customerId');
  if (idempotencyKey === undefined) throw new ValidationError('Idempotency-Key', 'the Idempotency-Key header is required');
  const key = parseOrThrow(KeySchema, idempotencyKey, 'Idempotency-Key');
  const request = parseOrThrow(AdjustmentSchema, body);
  const stored = adjustmentIdempotencyKey(key);
  const context = { db: deps.db, shopId: shop.shopId, customerId: id, key, by: keyIdOf(apiKey) };
  const profile = await loadProfile(deps.db, shop.shopId, id, true);
  if (!profile) throw new NotFoundError(`no customer ${id}`);
  const earlier = profile.redemptions[stored] ?? (await getRedemptionRecord(deps.db, shop.shopId, id, stored));
  if (earlier) return firstAnswer(context, earlier, profile);

  const now = deps.now();
  const record: RedemptionRecord = { points: request.points, at: now.toISOString(), entryId: `adjust:${key}`, reason: request.reason };
  const pending = request.points < 0 ? pendingPoints(profile, await deps.program(shop.shopId), now) : 0;
  const move = request.points < 0 ? { delta: request.points, atLeast: -request.points + pending } : { delta: request.points };
  const written = await movePointsOnce(deps.db, shop.shopId, id, stored, record, move, redemptionsToEvict(profile));
  if (!written) {
    const after = await loadProfile(deps.db, shop.shopId, id, true);
    const raced = after?.redemptions[stored];
    if (raced && after) return firstAnswer(context, raced, after);
    if (!after) throw new NotFoundError(`no customer ${id}`);
    const balance = after.loyalty.balance;
    throw new ConflictError(
      `not enough points: ${-request.points} to take, ${balance - pending} spendable (balance ${balance}, pending ${pending})`,
    );
  }
  const balance = profileOf(written).loyalty.balance;
  return { status: 201 as const, entry: await completeAdjustment(context, record, balance), balance };
}

interface AdjustmentContext {
  db: Db;
  shopId: string;
  customerId: string;
  key: string;
  /** The acting API key's id (manage-shop.ts keyIdOf). */
  by: string;
}

const timelineEntryOf = (record: RedemptionRecord, balance: number) => ({
  at: record.at,
  entryId: record.entryId,
  type: 'points',
  channel: 'web',
  source: 'staff',
  kind: 'adjust',
  points: record.points,
  reason: record.reason ?? '',
  balanceAfter: balance,
});

/**
 * What follows the conditional update that moved the points, each write idempotent by key: the
 * ledger entry, the record under the key, the shop's activity, then the customer's timeline entry —
 * the last write, so finding it proves the rest was done. A crash in here is finished by the retry.
 */
async function completeAdjustment(ctx: AdjustmentContext, record: RedemptionRecord, balance: number) {
  const entry: LedgerEntryDraft & { balanceAfter: number } = {
    entryId: record.entryId,
    kind: 'adjust',
    points: record.points,
    at: record.at,
    source: { idempotencyKey: ctx.key, reason: record.reason ?? '', by: ctx.by },
    balanceAfter: balance,
  };
  await putLedgerEntry(ctx.db, ctx.shopId, ctx.customerId, entry);
  await putRedemptionRecord(ctx.db, ctx.shopId, ctx.customerId, adjustmentIdempotencyKey(ctx.key), record);
  await putShopActivity(ctx.db, ctx.shopId, {
    at: record.at,
    entryId: `${record.entryId}:${ctx.customerId}`,
    action: 'points.adjusted',
    by: ctx.by,
    customerId: ctx.customerId,
    points: record.points,
  });
  await putTimelineEntry(ctx.db, ctx.shopId, ctx.customerId, timelineEntryOf(record, balance));
  return entry;
}

/** The answer a key got the first time; what a crash left undone after the points moved is done now. */
async function firstAnswer(ctx: AdjustmentContext, record: RedemptionRecord, profile: Profile) {
  const [found, done] = await Promise.all([
    getLedgerEntry(ctx.db, ctx.shopId, ctx.customerId, record.at, record.entryId),
    hasTimelineEntry(ctx.db, ctx.shopId, ctx.customerId, record.at, record.entryId),
  ]);
  const balance = (found as { balanceAfter?: number } | undefined)?.balanceAfter ?? profile.loyalty.balance;
  const entry = found && done ? found : await completeAdjustment(ctx, record, balance);
  return { status: 201 as const, entry, balance };
}
