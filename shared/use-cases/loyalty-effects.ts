import { putTimelineEntry } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { hasLedgerEntry, putLedgerEntry } from '#shared/data/ledger-repo.ts';
import type { LedgerEntryDraft, LoyaltyPlan, TriggerDraft } from '#shared/loyalty/plan.ts';

/**
 * Loyalty effects leave the profile through an outbox: the profile write that decides them also
 * records them (attribute `ob`), then they are written as items of their own — ledger entries,
 * tier entries, triggers — under deterministic ids, so a crash between the two is repaired by the
 * next delivery and a repeat adds nothing.
 */

/** The loyalty effects of the last profile write: rewritten if a crash lost them before they were written. */
export interface Outbox {
  ledger: LedgerEntryDraft[];
  triggers: TriggerDraft[];
  tier?: LoyaltyPlan['tierChange'] & { at: string; reason?: string };
}

export const hasEffects = (outbox: Outbox) => outbox.ledger.length > 0 || outbox.triggers.length > 0 || outbox.tier !== undefined;

/** The ledger entries, triggers and tier entry a profile write decided, as items of their own. */
export async function writeOutbox(shopId: string, customerId: string, outbox: Outbox, deps: { db: Db }) {
  for (const entry of outbox.ledger) await putLedgerEntry(deps.db, shopId, customerId, entry);
  if (outbox.tier) {
    const { at, from, to, metric, threshold, reason } = outbox.tier;
    await putTimelineEntry(deps.db, shopId, customerId, {
      at,
      entryId: `tier:${to}:${at}`,
      type: 'tier',
      channel: 'web',
      source: 'rapport',
      from: from ?? null,
      to,
      reason: reason ?? (from === undefined ? 'joined the program' : `tier metric ${metric} reached the ${to} threshold ${threshold}`),
    });
  }
  // Until the email stage consumes them, triggers are timeline entries with once-only keys.
  for (const trigger of outbox.triggers) {
    await putTimelineEntry(deps.db, shopId, customerId, {
      at: trigger.at,
      entryId: `trigger:${trigger.key}`,
      type: 'trigger',
      channel: 'email',
      source: 'rapport',
      trigger: trigger.trigger,
      ...trigger.data,
    });
  }
}

/**
 * A repeated delivery whose profile write already happened: if a crash came between that write and
 * its ledger entries, write them now (checked with a read, so a plain repeat writes nothing).
 */
export async function rewriteLostOutbox(shopId: string, customerId: string, profile: Record<string, unknown>, deps: { db: Db }) {
  const outbox = profile.ob as Outbox | undefined;
  const first = outbox?.ledger[0];
  if (outbox && first && !(await hasLedgerEntry(deps.db, shopId, customerId, first))) await writeOutbox(shopId, customerId, outbox, deps);
}
