/**
 * Progress of long work (DESIGN §8): on a terminal, one line redrawn in place — a bar, done/total,
 * rate and time left; anywhere else (a pipe, a CI log) a plain line at each tenth of the way or
 * every five seconds, whichever comes first, so logs stay short and still show life.
 */

export interface ProgressStream {
  write(text: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** What is going on: `import`, `processing`. */
  label: string;
  /** How many units in all; 0 when unknown (no bar, no ETA). */
  total: number;
  /** What is counted, plural: `lines`, `events`. */
  unit: string;
  /** Where done starts (a resumed import): the rate counts only this run's work. */
  start?: number;
  /** Default: the stream's isTTY. */
  tty?: boolean;
  now?: () => number;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;
const PLAIN_EVERY_MS = 5_000;
/** A tenth of the way is worth a plain line only this long after the previous one: short work prints one line. */
const PLAIN_AT_LEAST_MS = 1_000;

export const formatCount = (n: number) => Math.round(n).toLocaleString('en-US');

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export class Progress {
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly start: number;
  private lastDraw = 0;
  private lastPlain: number;
  private lastDecile = -1;
  private drawn = false;
  private done = 0;
  /** `done` when the last plain line was printed. */
  private printed: number | undefined;
  private note = '';

  constructor(
    private readonly stream: ProgressStream,
    private readonly options: ProgressOptions,
  ) {
    this.tty = options.tty ?? Boolean(stream.isTTY);
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.lastPlain = this.startedAt;
    this.start = options.start ?? 0;
    this.done = this.start;
    this.lastDecile = this.decile();
  }

  update(done: number, note = ''): void {
    this.done = done;
    this.note = note;
    const at = this.now();
    if (this.tty) {
      if (at - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = at;
      this.draw();
      return;
    }
    const decile = this.decile();
    const since = at - this.lastPlain;
    if ((decile > this.lastDecile && since >= PLAIN_AT_LEAST_MS) || since >= PLAIN_EVERY_MS) {
      this.lastDecile = decile;
      this.lastPlain = at;
      this.printed = this.done;
      this.stream.write(`${this.plainLine()}\n`);
    }
  }

  /** The last state, and the line left as it is (a terminal's cursor moves to the next line). */
  finish(note = this.note): void {
    this.note = note;
    if (this.tty) {
      this.draw();
      this.stream.write('\n');
    } else if (this.printed !== this.done || note) {
      this.printed = this.done;
      this.stream.write(`${this.plainLine()}\n`);
    }
  }

  /** Clears the bar so that a message can be printed on a clean line; the next update redraws it. */
  clear(): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }

  private decile(): number {
    return this.options.total > 0 ? Math.floor((10 * this.done) / this.options.total) : 0;
  }

  /** Units a second so far; undefined in the first half second, when any rate would be noise. */
  private rate(): number | undefined {
    const seconds = (this.now() - this.startedAt) / 1000;
    return seconds >= 0.5 ? (this.done - this.start) / seconds : undefined;
  }

  private figures(): { share: string; count: string; rate: string; eta: string } {
    const { total, unit } = this.options;
    const rate = this.rate();
    const left = total - this.done;
    return {
      share: total > 0 ? `${String(Math.floor((100 * Math.min(this.done, total)) / total)).padStart(3)}%` : '',
      count: total > 0 ? `${formatCount(this.done)}/${formatCount(total)} ${unit}` : `${formatCount(this.done)} ${unit}`,
      rate: rate === undefined ? '' : `${formatCount(rate)} ${unit}/s`,
      eta: total > 0 && rate && left > 0 ? `ETA ${formatDuration(left / rate)}` : '',
    };
  }

  private draw(): void {
    const { total, label } = this.options;
    const f = this.figures();
    const filled = total > 0 ? Math.round((BAR_WIDTH * Math.min(this.done, total)) / total) : 0;
    const bar = total > 0 ? `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]` : '';
    let line = [label, bar, f.share, f.count, f.rate, f.eta, this.note].filter(Boolean).join('  ');
    const width = this.stream.columns;
    if (width && line.length > width - 1) line = line.slice(0, width - 1);
    this.stream.write(`\r${line}\x1b[K`);
    this.drawn = true;
  }

  private plainLine(): string {
    const f = this.figures();
    const share = f.share ? ` (${f.share.trim()})` : '';
    return [`${this.options.label}: ${f.count}${share}`, f.rate, f.eta, this.note].filter(Boolean).join(', ');
  }
}
