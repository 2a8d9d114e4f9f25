import * as z from 'zod';
import { applyProfileChangeIfNewer, getProfiles, loadProfile } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { shopCustomerKeys } from '#shared/data/privacy-repo.ts';
import { type LoyaltyChange, profileOf } from '#shared/data/profile-item.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { tierIndex } from '#shared/loyalty/rules.ts';
import { writeOutbox } from '#shared/use-cases/loyalty-effects.ts';
import { CustomerIdSchema } from '#shared/use-cases/read-customers.ts';
import { pendingPoints } from '#shared/use-cases/redeem-points.ts';

interface Deps {
  db: Db;
  program: (shopId: string) => Promise<Program>;
  now: () => Date;
}

/**
 * GET /v1/loyalty/liability: what the shop owes in points — outstanding, not yet spendable
 * (pending), spendable — and its value at the program's point value. Reads every profile of the
 * shop through GSI1 (never another shop's items): meant for a daily report, not a hot path.
 */
export async function loyaltyLiability(shop: ShopRecord, deps: Deps) {
  const program = await deps.program(shop.shopId);
  const now = deps.now();
  const keys = [];
  for await (const key of shopCustomerKeys(deps.db, shop.shopId)) keys.push(key);
  let outstanding = 0;
  let pending = 0;
  let holders = 0;
  for (const profile of (await getProfiles(deps.db, keys)).map(profileOf)) {
    const balance = profile.loyalty.balance;
    if (balance <= 0) continue;
    holders++;
    outstanding += balance;
    pending += pendingPoints(profile, program, now);
  }
  const spendable = outstanding - pending;
  return {
    shopId: shop.shopId,
    at: now.toISOString(),
    customers: keys.length,
    customersWithPoints: holders,
    points: { outstanding, pending, spendable },
    pointValue: { amount: program.points.pointValue, currency: shop.currency },
    value: { amount: spendable * program.points.pointValue, currency: shop.currency },
  };
}

export const OverrideSchema = z.object({
  override: z.object({ tier: z.string().min(1).max(40), mode: z.enum(['floor', 'pin']) }).nullable(),
});

/**
 * PUT /v1/customers/{customerId}/tier {"override": {"tier", "mode"} | null}. `floor`: the customer
 * is never below this tier (and climbs above it as usual); `pin`: exactly this tier, whatever the
 * metric, until removed. Applied at once; removing an override leaves the tier where it is until the
 * scheduled run reviews it.
 */
export async function setTierOverride(shop: ShopRecord, customerId: unknown, body: unknown, deps: Deps) {
  const id = parseOrThrow(CustomerIdSchema, customerId, 'customerId');
  const { override } = parseOrThrow(OverrideSchema, body);
  const program = await deps.program(shop.shopId);
  if (override && !program.tiers.levels.some((level) => level.id === override.tier)) {
    throw new ValidationError('override.tier', `override.tier must be one of ${program.tiers.levels.map((l) => l.id).join(', ')}`);
  }
  const at = deps.now().toISOString();
  for (let attempt = 0; attempt < 5; attempt++) {
    const profile = await loadProfile(deps.db, shop.shopId, id, true);
    if (!profile) throw new NotFoundError(`no customer ${id}`);
    const current = profile.loyalty.tier;
    let tier = current;
    if (override?.mode === 'pin') tier = override.tier;
    if (override?.mode === 'floor' && tierIndex(program, override.tier) > tierIndex(program, current)) tier = override.tier;
    const changed = tier !== undefined && tier !== current;
    const outbox = {
      ledger: [],
      triggers: [],
      ...(changed && tier
        ? {
            tier: { from: current, to: tier, metric: 0, threshold: 0, at, reason: `manual override (${override?.mode} ${override?.tier})` },
          }
        : {}),
    };
    // The tier now is the base events lift it from, from now on (plan.ts tierFromEvents): so removing
    // a pin leaves the tier where it is, and an event does not undo what the override decided.
    const tierBase = { ...(tier !== undefined ? { tier } : {}), at };
    const sets: LoyaltyChange = { tierOverride: override, tierBase, outbox, ...(changed ? { tier, tierSince: at } : {}) };
    const written = await applyProfileChangeIfNewer(
      deps.db,
      shop.shopId,
      id,
      { loyalty: { sets, balanceDelta: 0, lifetimeDelta: 0 }, version: profile.version },
      at,
    );
    if (written) {
      await writeOutbox(shop.shopId, id, outbox, deps);
      return { customerId: id, tier: profileOf(written).loyalty.tier ?? null, override };
    }
  }
  throw new Error('tier override did not settle after 5 attempts');
}
