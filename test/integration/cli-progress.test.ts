import { describe, expect, it } from 'vitest';
import { formatDuration, Progress } from '#infra/cli/progress.ts';

/** The CLI's progress output (DESIGN §8): a bar on a terminal, plain lines anywhere else. Pure; no emulator needed. */

function fakeStream(tty: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY: tty, columns: 120, write: (text: string) => writes.push(text) > 0 } };
}

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('progress', () => {
  it('redraws one line on a terminal: bar, share, counts, rate and time left', () => {
    const { writes, stream } = fakeStream(true);
    const time = clock();
    const progress = new Progress(stream, { label: 'import', total: 10_000, unit: 'lines', now: time.now });
    time.advance(2_000);
    progress.update(2_500);
    expect(writes.at(-1)).toBe('\rimport  [██████░░░░░░░░░░░░░░░░░░]   25%  2,500/10,000 lines  1,250 lines/s  ETA 6 s\x1b[K');
    time.advance(50);
    progress.update(2_600);
    expect(writes).toHaveLength(1); // redrawn at most every 100 ms
    time.advance(6_000);
    progress.update(10_000);
    progress.finish();
    expect(writes.at(-2)).toMatch(/^\rimport {2}\[█{24}\] {2}100% {2}10,000\/10,000 lines/);
    expect(writes.at(-1)).toBe('\n');
    progress.clear();
    expect(writes.at(-1)).toBe('\r\x1b[K');
  });

  it('prints plain lines at each tenth (at most one a second) or every five seconds elsewhere', () => {
    const { writes, stream } = fakeStream(false);
    const time = clock();
    const progress = new Progress(stream, { label: 'import', total: 1_000, unit: 'lines', now: time.now });
    for (let done = 1; done <= 1_000; done++) {
      time.advance(20);
      progress.update(done);
    }
    progress.finish();
    // 20 s in all: a line per tenth once a second has passed since the last one, and the final line once.
    expect(writes.length).toBeGreaterThanOrEqual(9);
    expect(writes.length).toBeLessThanOrEqual(11);
    expect(writes[0]).toBe('import: 100/1,000 lines (10%), 50 lines/s, ETA 18 s\n');
    expect(writes.at(-1)).toBe('import: 1,000/1,000 lines (100%), 50 lines/s\n');
    expect(writes.every((line) => !line.includes('\r'))).toBe(true);

    const slow = fakeStream(false);
    const slowTime = clock();
    const stalled = new Progress(slow.stream, { label: 'processing', total: 100, unit: 'messages', now: slowTime.now });
    slowTime.advance(5_000);
    stalled.update(1, '99 queued');
    expect(slow.writes).toEqual(['processing: 1/100 messages (1%), 0 messages/s, ETA 8 min 15 s, 99 queued\n']);
  });

  it('counts a resumed run’s rate from where it resumed', () => {
    const { writes, stream } = fakeStream(false);
    const time = clock();
    const progress = new Progress(stream, { label: 'import', total: 1_000, unit: 'lines', start: 600, now: time.now });
    time.advance(2_000);
    progress.update(800);
    expect(writes).toEqual(['import: 800/1,000 lines (80%), 100 lines/s, ETA 2 s\n']);
  });

  it('formats durations for people', () => {
    expect([formatDuration(0.4), formatDuration(59), formatDuration(61), formatDuration(3_725)]).toEqual([
      '0 s',
      '59 s',
      '1 min 01 s',
      '1 h 02 min',
    ]);
  });
});
