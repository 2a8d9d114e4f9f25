import { relative } from 'node:path';
import { formatCount, formatDuration } from '../progress.ts';
import type { RejectionGroup } from './rejections.ts';
import type { Format } from './source.ts';

/** What an import did: printed for people, or as JSON (`--json`) for scripts and the benchmark. */
export interface ImportSummary {
  /** done: every line read and sent; interrupted: a checkpoint says where to resume; dry-run: nothing sent. */
  status: 'done' | 'interrupted' | 'dry-run';
  shopId: string;
  file: string;
  format: Format;
  target: string;
  lines: { total: number; read: number; header: number; blank: number };
  /** Lines that became events, and the events (orders among them). */
  accepted: number;
  events: number;
  orders: number;
  /** Lines dropped on purpose, as the webhooks drop them (Shopify test orders). */
  ignored: number;
  rejected: { total: number; reasons: RejectionGroup[] };
  /** Set when this run went on from an interrupted one: the last line that run had sent. */
  resumedAfterLine?: number;
  /** Set when the file had been imported completely before, and was sent again. */
  previouslyCompletedAt?: string;
  /** Messages this run put on the queue. */
  sent: number;
  sendSeconds: number;
  /** true: the queue is empty, so every message was handled; false: gave up waiting; null: did not wait. */
  processed: boolean | null;
  /** Messages still queued when the wait gave up. */
  queued?: number;
  /** Messages the dead-letter queue gained during the import (they failed processing 5 times). */
  deadLettered?: number;
  /** This run's wall time, to processed when it waited. */
  seconds: number;
  /** Orders this run sent ÷ seconds. */
  ordersPerSecond: number;
  checkpoint?: string;
  rejectsFile?: string;
}

/** A path as the user would type it: relative when under the working directory. */
const shown = (path: string, cwd: string) => {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
};

export function formatSummary(s: ImportSummary, cwd: string): string {
  const out: string[] = [];
  const verb = s.status === 'dry-run' ? 'Checked' : s.status === 'interrupted' ? 'Interrupted the import of' : 'Imported';
  out.push(`${verb} ${s.file} into shop ${s.shopId} (${s.format}) — ${s.target}`);
  const row = (label: string, text: string) => out.push(`  ${label.padEnd(11)}${text}`);
  if (s.previouslyCompletedAt)
    row('note', `imported completely before (${s.previouslyCompletedAt}); sent again, which changes nothing already there`);
  if (s.resumedAfterLine !== undefined) row('resumed', `after line ${formatCount(s.resumedAfterLine)}, from the checkpoint`);
  const parts = [s.lines.header ? `${s.lines.header} header` : '', s.lines.blank ? `${formatCount(s.lines.blank)} blank` : ''].filter(
    Boolean,
  );
  row('lines', `${formatCount(s.lines.read)} of ${formatCount(s.lines.total)} read${parts.length ? ` (${parts.join(', ')})` : ''}`);
  row('accepted', `${formatCount(s.accepted)} lines → ${formatCount(s.events)} events (${formatCount(s.orders)} orders)`);
  if (s.ignored) row('ignored', `${formatCount(s.ignored)} (test orders, as the shop's settings say)`);
  row('rejected', s.rejected.total ? `${formatCount(s.rejected.total)} lines` : 'none');
  if (s.rejected.reasons.length > 0) {
    const width = Math.max(...s.rejected.reasons.map((g) => formatCount(g.count).length));
    for (const group of s.rejected.reasons) {
      const more = group.count > group.lines.length ? ', …' : '';
      row(
        '',
        `${formatCount(group.count).padStart(width)}  ${group.reason}  (line${group.count > 1 ? 's' : ''} ${group.lines.join(', ')}${more})`,
      );
    }
    if (s.rejectsFile) row('', `every rejected line: ${shown(s.rejectsFile, cwd)}`);
  }
  if (s.status !== 'dry-run') row('sent', `${formatCount(s.sent)} messages in ${s.sendSeconds.toFixed(1)} s`);
  if (s.processed === true) row('processed', `all, ${formatDuration(s.seconds)} after the start: ${s.ordersPerSecond} orders/s`);
  if (s.processed === false) row('processed', `not yet: ${formatCount(s.queued ?? 0)} messages still queued when the wait stopped`);
  if (s.processed === null && s.status === 'done') row('processed', 'not waited for (--no-wait)');
  if (s.deadLettered) row('failed', `${formatCount(s.deadLettered)} messages went to the dead-letter queue during the import`);
  if (s.checkpoint) row('checkpoint', `${shown(s.checkpoint, cwd)} (${s.status})`);
  return `${out.join('\n')}\n`;
}
