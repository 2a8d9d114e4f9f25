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
import { activityIdempotencyKey, activityLimitAttribute } from '#shared/data/keys.ts';
import { getLedgerEntry, putLedgerEntry } from '#shared/data/ledger-repo.ts';
import { type Profile, profileOf, type RedemptionRecord, redemptionsToEvict, storedLimitCount } from '#shared/data/profile-item.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { ConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { ActivityIdSchema } from '#shared/loyalty/activities.ts';
import type { LedgerEntryDraft } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { limitPeriod, limitWords } from '#shared/loyalty/rewards.ts';
import { localDate } from '#shared/loyalty/rules.ts';
import { CustomerIdSchema } from '#shared/use-cases/read-customers.ts';
import { KeySchema } from '#shared/use-cases/redeem-points.ts';

/**
 * POST /v1/customers/{customerId}/activities (Idempotency-Key): points for an activity of the
 * program (shared/loyalty/activities.ts). The same guarantees as a reward's redemption
 * (redeem-reward.ts), from the same conditional update (customer-repo.ts movePointsOnce): once per
 * key (a repeat gets the first answer), within the activity's per-customer limit — its counter
 * (`al_{activity}`) moves in the same update, so concurrent awards cannot pass it.
 *
 * The program awards these points, so they count toward lifetime points as an order's do (a staff
 * adjustment does not). Tiers are reached by events (orders, spend, order points: plan.ts), which
 * activities are not, so an award moves no tier. Then, each write idempotent: the ledger entry
 * (kind `activity`), the record under the key, the customer's timeline entry (last: finding it
 * proves the rest was done). The shop's reference is kept on them and never logged.
 */

export const AwardActivitySchema = z.strictObject({
  activity: ActivityIdSchema,
  /** The shop's own id of what was done (a review, a survey answer), kept with the award. */
  reference: z.string().trim().min(1).max(200).optional(),
});

export interface AwardActivityDeps {
  db: Db;
  program: (shopId: string) => Promise<Program>;
  now: () => Date;
}

/** Attempts at the conditional update when another award of the same limited activity moved its counter first. */
const LIMIT_RACE_ATTEMPTS = 8;

export async function awardActivity(
  shop: ShopRecord,
  customerId: unknown,
  body: unknown,
  idempotencyKey: string | undefined,
  deps: AwardActivityDeps,
) {
  const id = parseOrThrow(CustomerIdSchema, customerId, 'customerId');
  if (idempotencyKey === undefined) throw new ValidationError('Idempotency-Key', 'the Idempotency-Key header is required');
  const key = parseOrThrow(KeySchema, idempotencyKey, 'Idempotency-Key');
  const request = parseOrThrow(AwardActivitySchema, body);
  return awardActivityOnce(shop, id, request, key, { channel: 'web', source: 'api' }, deps);
}

/** An activity to award, as the route's body or an interaction carries it. */
export interface ActivityAward {
  activity: string;
  reference?: string;
}

/** Where an award came from, for its timeline entry: the route (web, api) or an interaction's channel and source. */
export interface AwardOrigin {
  channel: string;
  source: string;
}

/**
 * The activity was not earned, for a reason the program gives (not in it, not active, not for the
 * customer's tier, its limit reached): final for this key, unlike a race that ran out of attempts.
 */
export class ActivityNotEarnedError extends ConflictError {}

/**
 * The one award of an activity, under `key` (the route's Idempotency-Key, an interaction's event
 * id): the route and the interactions path both come here, so they keep the same guarantees.
 */
export async function awardActivityOnce(
  shop: Pick<ShopRecord, 'shopId' | 'timezone'>,
  id: string,
  request: ActivityAward,
  key: string,
  origin: AwardOrigin,
  deps: AwardActivityDeps,
) {
  const stored = activityIdempotencyKey(key);
  const ctx: Context = { db: deps.db, shopId: shop.shopId, customerId: id, key, origin };

  let profile = await loadProfile(deps.db, shop.shopId, id, true);
  if (!profile) throw new NotFoundError(`no customer ${id}`);
  const earlier = profile.redemptions[stored] ?? (await getRedemptionRecord(deps.db, shop.shopId, id, stored));
  if (earlier) return firstAnswer(ctx, earlier, profile);

  const program = await deps.program(shop.shopId);
  const found = program.activities.find((candidate) => candidate.activity === request.activity);
  if (!found) throw new ActivityNotEarnedError(`activity ${request.activity} is not in the program`);
  if (!found.active) throw new ActivityNotEarnedError(`activity ${request.activity} earns no points any more (not active)`);
  const now = deps.now();
  const record: RedemptionRecord = {
    points: found.points,
    at: now.toISOString(),
    entryId: `activity:${key}`,
    activity: { activity: found.activity, ...(request.reference ? { reference: request.reference } : {}) },
  };
  const period = limitPeriod(found.limit, localDate(now, shop.timezone));

  for (let attempt = 0; attempt < LIMIT_RACE_ATTEMPTS; attempt++) {
    const tier = profile.loyalty.tier ?? program.tiers.levels[0]?.id ?? '';
    if (found.tiers && !found.tiers.includes(tier)) {
      throw new ActivityNotEarnedError(`activity ${found.activity} is for the tiers ${found.tiers.join(', ')}; this customer is ${tier}`);
    }
    const held = profile.activityLimits[found.activity];
    const count = held?.period === period ? held.count : 0;
    if (found.limit && count >= found.limit.count) {
      throw new ActivityNotEarnedError(
        `activity ${found.activity} is limited to ${found.limit.count} per customer ${limitWords(found.limit.per)}`,
      );
    }
    const guard = found.limit
      ? { attribute: activityLimitAttribute(found.activity), expected: held?.stored, next: storedLimitCount(period, count + 1) }
      : undefined;
    const move = { delta: found.points, lifetimeDelta: found.points, ...(guard ? { guard } : {}) };
    const written = await movePointsOnce(deps.db, shop.shopId, id, stored, record, move, redemptionsToEvict(profile));
    if (written) return complete(ctx, record, profileOf(written).loyalty.balance);
    const after = await loadProfile(deps.db, shop.shopId, id, true);
    if (!after) throw new NotFoundError(`no customer ${id}`);
    const raced = after.redemptions[stored];
    if (raced) return firstAnswer(ctx, raced, after);
    // Another award of this activity moved the counter between our read and our update: again.
    profile = after;
  }
  throw new ConflictError(`activity ${found.activity} is being awarded by many requests at once; try again`);
}

interface Context {
  db: Db;
  shopId: string;
  customerId: string;
  key: string;
  origin: AwardOrigin;
}

/** What follows the update that gave the points; each step idempotent, the timeline entry last. */
async function complete(ctx: Context, record: RedemptionRecord, balance: number) {
  const done = record.activity as NonNullable<RedemptionRecord['activity']>;
  const reference: { reference?: string } = done.reference ? { reference: done.reference } : {};
  const entry: LedgerEntryDraft & { balanceAfter: number } = {
    entryId: record.entryId,
    kind: 'activity',
    points: record.points,
    at: record.at,
    source: { idempotencyKey: ctx.key, activity: done.activity, ...(done.reference ? { reference: done.reference } : {}) },
    balanceAfter: balance,
  };
  await putLedgerEntry(ctx.db, ctx.shopId, ctx.customerId, entry);
  await putRedemptionRecord(ctx.db, ctx.shopId, ctx.customerId, activityIdempotencyKey(ctx.key), record);
  await putTimelineEntry(ctx.db, ctx.shopId, ctx.customerId, {
    at: record.at,
    entryId: record.entryId,
    type: 'activity',
    channel: ctx.origin.channel,
    source: ctx.origin.source,
    activity: done.activity,
    ...reference,
    points: record.points,
    balanceAfter: balance,
  });
  return { status: 201 as const, entry, balance };
}

/** The answer a key got the first time; what a crash left undone after the points moved is done now. */
async function firstAnswer(ctx: Context, record: RedemptionRecord, profile: Profile) {
  if (!record.activity) throw new ConflictError(`Idempotency-Key ${ctx.key} was used for another kind of request`);
  const [found, done] = await Promise.all([
    getLedgerEntry(ctx.db, ctx.shopId, ctx.customerId, record.at, record.entryId),
    hasTimelineEntry(ctx.db, ctx.shopId, ctx.customerId, record.at, record.entryId),
  ]);
  const balance = (found as { balanceAfter?: number } | undefined)?.balanceAfter ?? profile.loyalty.balance;
  if (found && done) return { status: 201 as const, entry: found, balance };
  return complete(ctx, record, balance);
}
