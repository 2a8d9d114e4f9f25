import { putTimelineEntry } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { hasLedgerEntry, putLedgerEntry } from '#shared/data/ledger-repo.ts';
import type { Outbox, TriggerDraft } from '#shared/loyalty/plan.ts';

export type { Outbox };

/**
 * Loyalty effects leave the profile through an outbox: the profile write that decides them also
 * records them (attribute `ob`), then they are written as items of their own — ledger entries,
 * tier entries, triggers — under deterministic ids, so a crash between the two is repaired by the
 * next delivery and a repeat adds nothing.
 */

/** A trigger on its way to the email stage: the timeline entry's content plus whose it is. */
export interface TriggerRecord {
  shopId: string;
  customerId: string;
  key: string;
  trigger: TriggerDraft['trigger'];
  at: string;
  data: Record<string, unknown>;
  source?: string;
}

/** Where triggers go once they are on the timeline: the email queue (functions pass its adapter). */
export type TriggerSink = (records: TriggerRecord[]) => Promise<void>;

export interface EffectDeps {
  db: Db;
  triggers?: TriggerSink;
}

export const triggerRecords = (shopId: string, customerId: string, drafts: TriggerDraft[], source?: string): TriggerRecord[] =>
  drafts.map((draft) => ({
    shopId,
    customerId,
    key: draft.key,
    trigger: draft.trigger,
    at: draft.at,
    data: draft.data,
    ...(source ? { source } : {}),
  }));

/** A trigger as its timeline entry: keyed by the trigger key, so it lands on one item however often it fires. */
export const triggerEntry = (trigger: TriggerDraft) => ({
  at: trigger.at,
  entryId: `trigger:${trigger.key}`,
  type: 'trigger',
  channel: 'email',
  source: 'rapport',
  trigger: trigger.trigger,
  key: trigger.key,
  ...trigger.data,
});

/** Timeline entries for triggers (idempotent by key), then the email stage, which sends each key at most once. */
export async function emitTriggers(shopId: string, customerId: string, drafts: TriggerDraft[], deps: EffectDeps, source?: string) {
  for (const trigger of drafts) await putTimelineEntry(deps.db, shopId, customerId, triggerEntry(trigger));
  if (drafts.length > 0) await deps.triggers?.(triggerRecords(shopId, customerId, drafts, source));
}

export const hasEffects = (outbox: Outbox) => outbox.ledger.length > 0 || outbox.triggers.length > 0 || outbox.tier !== undefined;

/** The ledger entries, triggers and tier entry a profile write decided, as items of their own. */
export async function writeOutbox(shopId: string, customerId: string, outbox: Outbox, deps: EffectDeps) {
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
  await emitTriggers(shopId, customerId, outbox.triggers, deps, outbox.source);
}

/**
 * A repeated delivery whose profile write already happened: if a crash came between that write and
 * its ledger entries, write them now (checked with a read, so a plain repeat writes nothing).
 */
export async function rewriteLostOutbox(shopId: string, customerId: string, outbox: Outbox | undefined, deps: EffectDeps) {
  if (!outbox) return;
  const first = outbox.ledger[0];
  if (first && !(await hasLedgerEntry(deps.db, shopId, customerId, first))) {
    await writeOutbox(shopId, customerId, outbox, deps);
    return;
  }
  // The items are there; the email stage may not have heard (a crash after the writes). Telling it
  // again is free of writes: it sends each (customer, trigger, period) at most once.
  if (outbox.triggers.length > 0) await deps.triggers?.(triggerRecords(shopId, customerId, outbox.triggers, outbox.source));
}
