import * as z from 'zod';
import { getRedemptionRecord, hasTimelineEntry, loadProfile, putRedemptionRecord, redeemPointsOnce } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { getLedgerEntry, putLedgerEntry } from '#shared/data/ledger-repo.ts';
import { type Profile, profileOf, type RedemptionRecord, redemptionsToEvict } from '#shared/data/profile-item.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { ConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import type { LedgerEntryDraft } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { pendingPoints } from '#shared/loyalty/review.ts';
import { type EffectDeps, emitTriggers, type TriggerSink, triggerEntry } from '#shared/use-cases/loyalty-effects.ts';
import { CustomerIdSchema } from '#shared/use-cases/read-customers.ts';

/**
 * POST /v1/customers/{customerId}/redemptions: spend points. Never below zero, never twice for one
 * Idempotency-Key (the repeat gets the first answer), safe under concurrent requests — one
 * conditional update on the profile decides (shared/data/customer-repo.ts redeemPointsOnce).
 */

export const RedemptionSchema = z.object({
  points: z.number().int().min(1).max(1_000_000_000),
  reason: z.string().trim().max(200).optional(),
});

export const KeySchema = z.string().regex(/^[A-Za-z0-9._:-]{8,100}$/, 'an Idempotency-Key of 8–100 letters, digits, . _ : -');

/** Spendable points are judged as the backtest judges them (loyalty/review.ts). */
export { pendingPoints };

export async function redeemPoints(
  shop: ShopRecord,
  customerId: unknown,
  body: unknown,
  idempotencyKey: string | undefined,
  deps: { db: Db; program: (shopId: string) => Promise<Program>; now: () => Date; triggers?: TriggerSink },
) {
  const id = parseOrThrow(CustomerIdSchema, customerId, 'customerId');
  if (idempotencyKey === undefined) throw new ValidationError('Idempotency-Key', 'the Idempotency-Key header is required');
  const key = parseOrThrow(KeySchema, idempotencyKey, 'Idempotency-Key');
  const request = parseOrThrow(RedemptionSchema, body);
  const profile = await loadProfile(deps.db, shop.shopId, id, true);
  if (!profile) throw new NotFoundError(`no customer ${id}`);
  const earlier = profile.redemptions[key] ?? (await getRedemptionRecord(deps.db, shop.shopId, id, key));
  if (earlier) return firstAnswer(deps, shop.shopId, id, key, earlier, profile);

  const now = deps.now();
  const record: RedemptionRecord = {
    points: request.points,
    at: now.toISOString(),
    entryId: `redeem:${key}`,
    ...(request.reason ? { reason: request.reason } : {}),
  };
  const pending = pendingPoints(profile, await deps.program(shop.shopId), now);
  const written = await redeemPointsOnce(deps.db, shop.shopId, id, key, record, pending, redemptionsToEvict(profile));
  if (!written) {
    const after = await loadProfile(deps.db, shop.shopId, id, true);
    const raced = after?.redemptions[key];
    if (raced && after) return firstAnswer(deps, shop.shopId, id, key, raced, after);
    const balance = after?.loyalty.balance ?? 0;
    throw new ConflictError(
      `not enough points: ${request.points} asked, ${balance - pending} spendable (balance ${balance}, pending ${pending})`,
    );
  }
  const balance = profileOf(written).loyalty.balance;
  const entry = await completeRedemption(deps, shop.shopId, id, key, record, balance);
  return { status: 201 as const, entry, balance };
}

/**
 * What follows the conditional update that took the points, each write idempotent: the ledger entry,
 * the redemption record, then the receipt (the email stage, then its timeline entry — the last write,
 * so finding it proves the rest was done). A crash anywhere in here is finished by the retry.
 */
async function completeRedemption(
  deps: EffectDeps,
  shopId: string,
  customerId: string,
  key: string,
  record: RedemptionRecord,
  balance: number,
) {
  const entry: LedgerEntryDraft & { balanceAfter: number } = {
    entryId: record.entryId,
    kind: 'redeem',
    points: -record.points,
    at: record.at,
    source: { idempotencyKey: key, ...(record.reason ? { reason: record.reason } : {}) },
    balanceAfter: balance,
  };
  await putLedgerEntry(deps.db, shopId, customerId, entry);
  await putRedemptionRecord(deps.db, shopId, customerId, key, { ...record });
  await emitTriggers(shopId, customerId, [receiptOf(key, record, balance)], deps);
  return entry;
}

const receiptOf = (key: string, record: RedemptionRecord, balance: number) => ({
  key: `redemption_receipt:${key}`,
  trigger: 'redemption_receipt' as const,
  at: record.at,
  data: { points: record.points, balance },
});

/**
 * The answer a key got the first time: its ledger entry. If a crash cut the first request short
 * after the points were taken (no receipt on the timeline), the rest is done now.
 */
async function firstAnswer(deps: EffectDeps, shopId: string, customerId: string, key: string, record: RedemptionRecord, profile: Profile) {
  const [found, receipted] = await Promise.all([
    getLedgerEntry(deps.db, shopId, customerId, record.at, record.entryId),
    hasTimelineEntry(deps.db, shopId, customerId, record.at, triggerEntry(receiptOf(key, record, 0)).entryId),
  ]);
  const balance = (found as { balanceAfter?: number } | undefined)?.balanceAfter ?? profile.loyalty.balance;
  const entry = found && receipted ? found : await completeRedemption(deps, shopId, customerId, key, record, balance);
  return { status: 201 as const, entry, balance };
}
