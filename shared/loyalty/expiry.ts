import type { LedgerEntryDraft } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';

/**
 * Points expiry, as a pure function of the ledger: which points have expired by `now`, and which
 * expire next (for the reminder). Inactivity: every point expires `months` after the last earning
 * or redemption. Fixed term: each credit expires `months` after it was made; debits (redemptions,
 * clawbacks, earlier expiries) use the oldest credits first.
 */

export interface ExpiryOutlook {
  /** Points to expire now (not yet recorded by an `expire` entry). */
  dueNow: number;
  /** The key of the period being expired, for a once-only ledger entry id. */
  periodKey: string;
  /** The next expiry after now, for the reminder. */
  next?: { points: number; on: Date };
}

const addMonths = (date: Date, months: number) => {
  const d = new Date(date);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
};

export function expiryOutlook(entries: LedgerEntryDraft[], program: Program, now: Date): ExpiryOutlook {
  const policy = program.points.expiry;
  const sorted = [...entries].sort((a, b) => a.at.localeCompare(b.at) || a.entryId.localeCompare(b.entryId));
  const balance = sorted.reduce((sum, e) => sum + e.points, 0);
  if (policy.kind === 'none' || balance <= 0) return { dueNow: 0, periodKey: 'none' };

  if (policy.kind === 'inactivity') {
    const activity = sorted.filter((e) => e.kind === 'earn' || e.kind === 'bonus' || e.kind === 'redeem');
    const last = activity[activity.length - 1];
    if (!last) return { dueNow: 0, periodKey: 'none' };
    const on = addMonths(new Date(last.at), policy.months);
    const periodKey = last.at.slice(0, 10);
    return on.getTime() <= now.getTime() ? { dueNow: balance, periodKey } : { dueNow: 0, periodKey, next: { points: balance, on } };
  }

  // Fixed term: first in, first out.
  const lots = sorted
    .filter((e) => e.points > 0)
    .map((e) => ({ remaining: e.points, expiresOn: addMonths(new Date(e.at), policy.months) }));
  let debit = -sorted.filter((e) => e.points < 0).reduce((sum, e) => sum + e.points, 0);
  for (const lot of lots) {
    const used = Math.min(lot.remaining, debit);
    lot.remaining -= used;
    debit -= used;
  }
  const dueNow = lots.filter((lot) => lot.expiresOn.getTime() <= now.getTime()).reduce((sum, lot) => sum + lot.remaining, 0);
  const upcoming = lots.filter((lot) => lot.remaining > 0 && lot.expiresOn.getTime() > now.getTime());
  const first = upcoming[0];
  const next = first
    ? {
        points: upcoming.filter((l) => l.expiresOn.getTime() === first.expiresOn.getTime()).reduce((s, l) => s + l.remaining, 0),
        on: first.expiresOn,
      }
    : undefined;
  return { dueNow, periodKey: now.toISOString().slice(0, 10), ...(next ? { next } : {}) };
}
