import { applyProfileChangeIfNewer, hasTimelineEntry, loadProfile, putTimelineEntry } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { hasLedgerEntry, ledgerEntries } from '#shared/data/ledger-repo.ts';
import type { TriggerDraft } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { pointsReviewOf, tierReviewOf } from '#shared/loyalty/review.ts';
import { type ClvFacts, clvFactsOf, isBirthday, localDate } from '#shared/loyalty/rules.ts';
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
  /**
   * The predictions a tier rule reads (predictedValue12m, pAlive): the scheduled run passes those it
   * has just made; without them, the ones the last run left on the profile.
   */
  clv?: ClvFacts;
}

export interface GiftDeps {
  currency: string;
  codeKey: Buffer;
  platform: 'shopify' | 'woocommerce' | undefined;
  codes?: (message: CodeMessage) => Promise<void>;
}

export interface ReviewResult {
  tier: 'keep' | 'warn' | 'downgrade' | 'upgrade';
  expired: number;
  reminded: boolean;
  birthdayBonus: number;
  /** Items written (profile, ledger, timeline): 0 when the review changed nothing. */
  writes: number;
}

/** Writes a reminder trigger unless an earlier run did (read first: a re-run writes nothing). Returns whether it wrote. */
async function putTrigger(deps: ReviewDeps, shopId: string, customerId: string, trigger: TriggerDraft): Promise<boolean> {
  // Told to the email stage every time it is due (it sends each key once), written to the timeline once.
  await deps.triggers?.(triggerRecords(shopId, customerId, [trigger]));
  const db = deps.db;
  if (await hasTimelineEntry(db, shopId, customerId, trigger.at, `trigger:${trigger.key}`)) return false;
  await putTimelineEntry(db, shopId, customerId, triggerEntry(trigger));
  return true;
}

export async function reviewCustomerLoyalty(shopId: string, customerId: string, deps: ReviewDeps): Promise<ReviewResult> {
  const program = await deps.program(shopId);
  const now = deps.now();
  const at = now.toISOString();
  const result: ReviewResult = { tier: 'keep', expired: 0, reminded: false, birthdayBonus: 0, writes: 0 };

  for (let attempt = 0; attempt < 5; attempt++) {
    const loaded = await loadProfile(deps.db, shopId, customerId, true);
    const profile = loaded && { ...loaded, clv: deps.clv ?? clvFactsOf(loaded.derived.clv) };
    if (!profile) break;
    // One decision per read (loyalty/review.ts, shared with the backtest): 'keep' when there is no tier to judge.
    const review = tierReviewOf(profile, program, now);
    result.tier = review.action;
    if (review.action === 'warn' && (await putTrigger(deps, shopId, customerId, review.trigger))) result.writes++;
    if (review.action !== 'downgrade' && review.action !== 'upgrade') break;
    const written = await applyProfileChangeIfNewer(
      deps.db,
      shopId,
      customerId,
      { loyalty: { sets: { ...review.sets, outbox: review.outbox }, balanceDelta: 0, lifetimeDelta: 0 }, version: profile.version },
      at,
    );
    if (written) {
      await writeOutbox(shopId, customerId, review.outbox, deps);
      result.writes += 3;
      break;
    }
  }

  for (let attempt = 0; attempt < 5; attempt++) {
    const profile = await loadProfile(deps.db, shopId, customerId, true);
    const balance = profile?.loyalty.balance ?? 0;
    if (!profile || balance <= 0) break;
    const entries = await ledgerEntries(deps.db, shopId, customerId);
    const review = pointsReviewOf(entries, balance, program, now);
    if (review.reminder) {
      if (await putTrigger(deps, shopId, customerId, review.reminder)) result.writes++;
      result.reminded = true;
    }
    if (!review.expire) break;
    const outbox = { ledger: [review.expire], triggers: [] };
    const written = await applyProfileChangeIfNewer(
      deps.db,
      shopId,
      customerId,
      { loyalty: { sets: { outbox }, balanceDelta: review.expire.points, lifetimeDelta: 0 }, version: profile.version },
      at,
    );
    if (written) {
      await writeOutbox(shopId, customerId, outbox, deps);
      result.expired = -review.expire.points;
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
