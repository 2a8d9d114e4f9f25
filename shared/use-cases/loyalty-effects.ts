import { hasTimelineEntry, putTimelineEntry } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { hasLedgerEntry, putLedgerEntry } from '#shared/data/ledger-repo.ts';
import type { CAMPAIGN_TRIGGER } from '#shared/email/rules.ts';
import type { Outbox, TriggerDraft } from '#shared/loyalty/plan.ts';

export type { Outbox };

/**
 * Loyalty effects leave the profile through an outbox: the profile write that decides them also
 * records them (attribute `ob`), then they are written as items of their own — ledger entries,
 * tier entries, triggers — under deterministic ids, so a crash between the two is repaired by the
 * next delivery and a repeat adds nothing. The outbox's last write is an item (the last trigger's
 * timeline entry, else the tier entry, else the last ledger entry): finding it proves the outbox
 * was written whole, which one read checks (outboxWritten). The next profile write that records an
 * outbox of its own checks the one it replaces first, so a crash followed by another order of the
 * same customer cannot lose the first order's points.
 */

/** A trigger on its way to the email stage: the timeline entry's content plus whose it is. */
export interface TriggerRecord {
  shopId: string;
  customerId: string;
  key: string;
  /** A trigger of the loyalty rules, or a campaign's email (shared/use-cases/send-campaign.ts). */
  trigger: TriggerDraft['trigger'] | typeof CAMPAIGN_TRIGGER;
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

/**
 * The email stage (which sends each key at most once), then the triggers' timeline entries
 * (idempotent by key): an entry on the timeline means the email stage has heard of it.
 */
export async function emitTriggers(shopId: string, customerId: string, drafts: TriggerDraft[], deps: EffectDeps, source?: string) {
  if (drafts.length > 0) await deps.triggers?.(triggerRecords(shopId, customerId, drafts, source));
  for (const trigger of drafts) await putTimelineEntry(deps.db, shopId, customerId, triggerEntry(trigger));
}

export const hasEffects = (outbox: Outbox) => outbox.ledger.length > 0 || outbox.triggers.length > 0 || outbox.tier !== undefined;

/** The ledger entries, triggers and tier entry a profile write decided, as items of their own; the marker item last. */
export async function writeOutbox(shopId: string, customerId: string, outbox: Outbox, deps: EffectDeps) {
  for (const entry of outbox.ledger) await putLedgerEntry(deps.db, shopId, customerId, entry);
  if (outbox.tier) await putTimelineEntry(deps.db, shopId, customerId, tierEntry(outbox.tier));
  await emitTriggers(shopId, customerId, outbox.triggers, deps, outbox.source);
}

function tierEntry({ at, from, to, metric, threshold, reason }: NonNullable<Outbox['tier']>) {
  return {
    at,
    entryId: `tier:${to}:${at}`,
    type: 'tier',
    channel: 'web',
    source: 'rapport',
    from: from ?? null,
    to,
    reason:
      reason ??
      (from === undefined
        ? 'joined the program'
        : threshold === undefined
          ? `the ${to} rule was met (tier metric ${metric})`
          : `tier metric ${metric} reached the ${to} threshold ${threshold}`),
  };
}

/** Whether an outbox's last write is there (one read; an outbox without effects is trivially written). */
export async function outboxWritten(shopId: string, customerId: string, outbox: Outbox, deps: EffectDeps): Promise<boolean> {
  const trigger = outbox.triggers.at(-1);
  const marker = trigger ? triggerEntry(trigger) : outbox.tier ? tierEntry(outbox.tier) : undefined;
  if (marker) return hasTimelineEntry(deps.db, shopId, customerId, marker.at, marker.entryId);
  const last = outbox.ledger.at(-1);
  return last ? hasLedgerEntry(deps.db, shopId, customerId, last) : true;
}

/**
 * An outbox a profile write recorded and a crash may have cut short (a repeated delivery finds it,
 * or the next write about to replace it): written now unless its last item is there.
 */
export async function rewriteLostOutbox(shopId: string, customerId: string, outbox: Outbox | undefined, deps: EffectDeps) {
  if (!outbox || !hasEffects(outbox)) return;
  if (!(await outboxWritten(shopId, customerId, outbox, deps))) await writeOutbox(shopId, customerId, outbox, deps);
}
