/**
 * Rejected lines, grouped by reason: a count and the first few line numbers of each, so a summary
 * of a million-line import stays a few lines long. Reasons carry the field and what is wrong with
 * it, never the value (a value may be an email address).
 */

export interface RejectionGroup {
  reason: string;
  count: number;
  /** The first line numbers with this reason, ascending. */
  lines: number[];
}

const LINES_KEPT = 5;
/** Beyond this many distinct reasons, the rest are counted under one. */
const REASONS_KEPT = 50;
const OTHER = 'other reasons';

/**
 * The group a rejection belongs to: list indices collapse (`line_items[3].price` and
 * `line_items[7].price` are one reason) and quoted text is elided.
 */
export function reasonOf(field: string, message: string): string {
  const detail = message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
  return `${field}: ${detail}`.replace(/\[\d+\]/g, '[]').replace(/"[^"]*"/g, '"…"');
}

export class RejectionTally {
  private readonly groups = new Map<string, RejectionGroup>();
  total = 0;

  add(line: number, reason: string): void {
    this.total++;
    const key = this.groups.has(reason) || this.groups.size < REASONS_KEPT ? reason : OTHER;
    const group = this.groups.get(key) ?? { reason: key, count: 0, lines: [] };
    group.count++;
    if (group.lines.length < LINES_KEPT) group.lines.push(line);
    this.groups.set(key, group);
  }

  /** Most frequent first. */
  summary(): RejectionGroup[] {
    return [...this.groups.values()].sort((a, b) => b.count - a.count || (a.lines[0] ?? 0) - (b.lines[0] ?? 0));
  }

  static from(groups: readonly RejectionGroup[]): RejectionTally {
    const tally = new RejectionTally();
    for (const group of groups) {
      tally.groups.set(group.reason, { reason: group.reason, count: group.count, lines: [...group.lines] });
      tally.total += group.count;
    }
    return tally;
  }
}
