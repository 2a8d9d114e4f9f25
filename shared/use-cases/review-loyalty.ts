import { applyProfileChangeIfNewer, hasTimelineEntry, loadProfile, putTimelineEntry } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { hasLedgerEntry, ledgerEntries } from '#shared/data/ledger-repo.ts';
import type { Profile } from '#shared/data/profile-item.ts';
import { expiryOutlook } from '#shared/loyalty/expiry.ts';
import { type TriggerDraft, tierMetricOf } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { downgradeDecision, isBirthday, localDate } from '#shared/loyalty/rules.ts';
import type { CodeMessage } from '#shared/use-cases/create-reward-code.ts';
import { giveReward, offerOf } from '#shared/use-cases/give-reward.ts';
import { type TriggerSink, triggerEntry, triggerRecords, writeOutbox } from '#shared/use-cases/loyalty-effects.ts';

/**
 * The loyalty work of the scheduled run for one customer: tier downgrades at term end (a warning
 * first, then one step down after the grace period) and points expiry (a reminder first). Every
 * effect has a once-only id — (customer, trigger, period) — so a retried run changes nothing more.
 */

export interface ReviewDeps {
  db: Db;
  program: (shopId: string) => Promise<Program>;
  now: () => Date;
  /** The shop's IANA time zone: a birthday is today where the shop is. */
  timezone: (shopId: string) => Promise<string>;
  /** The email stage (see loyalty-effects.ts). */
  triggers?: TriggerSink;
  /** How the program's birthday reward is given as a code (give-reward.ts); without it, points only. */
  gifts?: GiftDeps;
}

export interface GiftDeps {
  currency: string;
  codeKey: Buffer;
  platform: 'shopify' | 'woocommerce' | undefined;
  codes?: (message: CodeMessage) => Promise<void>;
}

export interface ReviewResult {
  tier: 'keep' | 'warn' | 'downgrade';
  expired: number;
  reminded: boolean;
  birthdayBonus: number;
  /** Items written (profile, ledger, timeline): 0 when the review changed nothing. */
  writes: number;
}

const day = (date: Date) => date.toISOString().slice(0, 10);
const DAY = 86_400_000;

/** Writes a reminder trigger unless an earlier run did (read first: a re-run writes nothing). Returns whether it wrote. */
async function putTrigger(deps: ReviewDeps, shopId: string, customerId: string, trigger: TriggerDraft): Promise<boolean> {
  // Told to the email stage every time it is due (it sends each key once), written to the timeline once.
  await deps.triggers?.(triggerRecords(shopId, customerId, [trigger]));
  const db = deps.db;
  if (await hasTimelineEntry(db, shopId, customerId, trigger.at, `trigger:${trigger.key}`)) return false;
  await putTimelineEntry(db, shopId, customerId, triggerEntry(trigger));
  return true;
}

/** Where the customer's tier stands at `now` (keep, warn, or step down), with the metric it was judged on. Pure. */
export function tierDecisionOf(profile: Profile, program: Program, now: Date) {
  const { tier, tierSince, tierOverride } = profile.loyalty;
  if (tier === undefined || tierSince === undefined) return undefined;
  const metric = tierMetricOf(profile.history, program, now);
  return { metric, decision: downgradeDecision(tier, new Date(tierSince), metric, program, now, tierOverride) };
}

export async function reviewCustomerLoyalty(shopId: string, customerId: string, deps: ReviewDeps): Promise<ReviewResult> {
  const program = await deps.program(shopId);
  const now = deps.now();
  const at = now.toISOString();
  const result: ReviewResult = { tier: 'keep', expired: 0, reminded: false, birthdayBonus: 0, writes: 0 };

  for (let attempt = 0; attempt < 5; attempt++) {
    const profile = await loadProfile(deps.db, shopId, customerId, true);
    const review = profile && tierDecisionOf(profile, program, now);
    if (!profile || !review) break;
    const { metric, decision } = review;
    result.tier = decision.action;
    // Dated by the schedule, not by the run: a retried or later run lands on the same entries.
    if (decision.action === 'warn') {
      if (
        await putTrigger(deps, shopId, customerId, {
          key: `tier_down_warning:${profile.loyalty.tier}:${day(decision.downgradeOn)}`,
          trigger: 'tier_down_warning',
          at: new Date(decision.downgradeOn.getTime() - program.tiers.downgrade.warningDays * DAY).toISOString(),
          data: {
            tier: profile.loyalty.tier,
            to: decision.to.id,
            downgradeOn: decision.downgradeOn.toISOString(),
            shortfall: decision.shortfall,
            metric,
          },
        })
      )
        result.writes++;
    }
    if (decision.action !== 'downgrade') break;
    const since = decision.downgradeOn.toISOString();
    const outbox = {
      ledger: [],
      triggers: [
        {
          key: `tier_down:${decision.to.id}:${day(new Date(since))}`,
          trigger: 'tier_down' as const,
          at: since,
          data: { from: profile.loyalty.tier, to: decision.to.id, metric },
        },
      ],
      tier: {
        from: profile.loyalty.tier,
        to: decision.to.id,
        metric,
        threshold: decision.to.threshold,
        at: since,
        reason: `term and grace ended with tier metric ${metric}, below the ${profile.loyalty.tier} threshold`,
      },
    };
    const written = await applyProfileChangeIfNewer(
      deps.db,
      shopId,
      customerId,
      {
        // The run's decision is the base events lift the tier from, judged from now on: an earlier
        // peak, which the run has just judged out of date, does not lift the customer back.
        loyalty: {
          sets: { tier: decision.to.id, tierSince: since, tierBase: { tier: decision.to.id, at }, outbox },
          balanceDelta: 0,
          lifetimeDelta: 0,
        },
        version: profile.version,
      },
      at,
    );
    if (written) {
      await writeOutbox(shopId, customerId, outbox, deps);
      result.writes += 3;
      break;
    }
  }

  for (let attempt = 0; attempt < 5; attempt++) {
    const profile = await loadProfile(deps.db, shopId, customerId, true);
    const balance = profile?.loyalty.balance ?? 0;
    if (!profile || balance <= 0) break;
    const entries = await ledgerEntries(deps.db, shopId, customerId);
    const outlook = expiryOutlook(entries, program, now);
    if (outlook.next && now.getTime() >= outlook.next.on.getTime() - program.points.reminderDays * DAY) {
      const wrote = await putTrigger(deps, shopId, customerId, {
        key: `points_expiring:${day(outlook.next.on)}`,
        trigger: 'points_expiring',
        at: new Date(outlook.next.on.getTime() - program.points.reminderDays * DAY).toISOString(),
        data: { points: outlook.next.points, expiresOn: outlook.next.on.toISOString() },
      });
      if (wrote) result.writes++;
      result.reminded = true;
    }
    const entryId = `expire:${outlook.periodKey}`;
    const due = Math.min(outlook.dueNow, balance);
    if (due <= 0 || entries.some((entry) => entry.entryId === entryId)) break;
    const outbox = {
      ledger: [{ entryId, kind: 'expire' as const, points: -due, at, source: { policy: program.points.expiry.kind } }],
      triggers: [],
    };
    const written = await applyProfileChangeIfNewer(
      deps.db,
      shopId,
      customerId,
      { loyalty: { sets: { outbox }, balanceDelta: -due, lifetimeDelta: 0 }, version: profile.version },
      at,
    );
    if (written) {
      await writeOutbox(shopId, customerId, outbox, deps);
      result.expired = due;
      result.writes += 2;
      break;
    }
  }
  await awardBirthdayBonus(shopId, customerId, program, now, deps, result);
  return result;
}

/** The birthday bonus, once a year, on the customer's birthday where the shop is; with a birthday trigger. */
async function awardBirthdayBonus(shopId: string, customerId: string, program: Program, now: Date, deps: ReviewDeps, result: ReviewResult) {
  const today = localDate(now, await deps.timezone(shopId));
  for (let attempt = 0; attempt < 5; attempt++) {
    const profile = await loadProfile(deps.db, shopId, customerId, true);
    const birthday = profile?.contact.birthday;
    if (!profile || typeof birthday !== 'string' || !isBirthday(birthday, today)) return;
    const year = today.slice(0, 4);
    const entryId = `bonus:birthday:${year}`;
    const bonus = program.points.birthdayBonus;
    const at = `${today}T00:00:00.000Z`;
    const entry = { entryId, kind: 'bonus' as const, points: bonus, at, source: { reason: 'birthday' } };
    // This year's bonus is one item at a known key (its time is the birthday itself): one read, not the ledger.
    if (await hasLedgerEntry(deps.db, shopId, customerId, entry)) return;
    const trigger: TriggerDraft = { key: `birthday:${year}`, trigger: 'birthday', at, data: { bonus } };
    // The program's birthday reward: a real code with the email — sent here once live, else by the
    // codes consumer once the platform has it (the code carries the email to send).
    const reward = program.rewards.find((candidate) => candidate.id === program.offers.birthday);
    let announced = false;
    if (reward && deps.gifts) {
      const { currency, codeKey, platform, codes } = deps.gifts;
      const { code } = await giveReward(
        {
          shopId,
          currency,
          customerId,
          reward,
          gift: trigger.key,
          at,
          codeKey,
          ...(platform ? { platform } : {}),
          announce: (given) => ({ trigger: 'birthday', key: trigger.key, at, data: { bonus, offer: offerOf(given) } }),
        },
        { db: deps.db, ...(codes ? { codes } : {}) },
      );
      trigger.data = { bonus, offer: offerOf(code) };
      announced = code.status === 'pending';
    }
    if (bonus === 0 && !trigger.data.offer) return;
    const outbox = { ledger: bonus > 0 ? [entry] : [], triggers: announced ? [] : [trigger] };
    const written = await applyProfileChangeIfNewer(
      deps.db,
      shopId,
      customerId,
      { loyalty: { sets: { outbox }, balanceDelta: bonus, lifetimeDelta: bonus }, version: profile.version },
      now.toISOString(),
    );
    if (written) {
      await writeOutbox(shopId, customerId, outbox, deps);
      result.birthdayBonus = bonus;
      result.writes += 2 + outbox.ledger.length;
      return;
    }
  }
}
