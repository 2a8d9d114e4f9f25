import { describe, expect, it } from 'vitest';
import { parseOrThrow } from '#shared/http/validate.ts';
import { defaultProgram, diffPrograms, formatDiff, ProgramSchema } from '#shared/loyalty/program.ts';

// biome-ignore lint/suspicious/noExplicitAny: these tests write invalid values on purpose
type Loose = any;

describe('the loyalty program document', () => {
  it('gives every new shop a valid default, scaled to its currency', () => {
    for (const currency of ['VND', 'USD', 'JPY', 'KWD', 'EUR']) {
      const program = defaultProgram({ currency, name: 'Trà Việt' });
      expect(() => ProgramSchema.parse(program)).not.toThrow();
    }
    expect(defaultProgram({ currency: 'VND', name: 'x' }).points.earn).toEqual({ points: 1, per: 10_000 });
    expect(defaultProgram({ currency: 'USD', name: 'x' }).points.earn).toEqual({ points: 1, per: 100 });
    expect(defaultProgram({ currency: 'KWD', name: 'x' }).points.earn).toEqual({ points: 1, per: 1000 });
  });

  it.each([
    ['a first tier above zero', (p: Loose) => (p.tiers.levels[0].threshold = 5), 'tiers.levels[0].threshold'],
    ['thresholds that do not increase', (p: Loose) => (p.tiers.levels[2].threshold = 3), 'tiers.levels[2].threshold'],
    ['a tier id used twice', (p: Loose) => (p.tiers.levels[1].id = 'member'), 'tiers.levels[1].id'],
    ['a multiplier with three decimals', (p: Loose) => (p.tiers.levels[1].earnMultiplier = 1.255), 'tiers.levels[1].earnMultiplier'],
    ['a tier without an English name', (p: Loose) => (p.tiers.levels[1].name = { vi: 'Bạc' }), 'tiers.levels[1].name'],
    ['an unknown metric', (p: Loose) => (p.tiers.metric = 'visits'), 'tiers.metric'],
    ['a rolling window of 0 months', (p: Loose) => (p.tiers.window = { kind: 'rollingMonths', months: 0 }), 'tiers.window.months'],
    ['earning per 0', (p: Loose) => (p.points.earn.per = 0), 'points.earn.per'],
    ['an expiry kind that does not exist', (p: Loose) => (p.points.expiry = { kind: 'never' }), 'points.expiry.kind'],
    ['a bad sender address', (p: Loose) => (p.email.fromAddress = 'not-an-email'), 'email.fromAddress'],
    ['milestones out of order', (p: Loose) => (p.points.milestones = [1000, 500]), 'points.milestones[1]'],
  ])('rejects %s with the path of the bad field', (_what, mutate, path) => {
    const program = structuredClone(defaultProgram({ currency: 'VND', name: 'x' }));
    mutate(program);
    expect(() => parseOrThrow(ProgramSchema, program)).toThrow(expect.objectContaining({ field: path }));
  });

  it('shows what a change does, field by field', () => {
    const before = defaultProgram({ currency: 'VND', name: 'x' });
    const after = structuredClone(before);
    after.tiers.levels[1]!.threshold = 4;
    after.tiers.levels.push({ id: 'diamond', name: { en: 'Diamond' }, threshold: 20, earnMultiplier: 2 });
    after.points.birthdayBonus = 200;
    const diff = diffPrograms(before, after);
    expect(diff).toEqual([
      { path: 'tiers.levels[1].threshold', change: 'changed', from: 3, to: 4 },
      { path: 'tiers.levels[3]', change: 'added', to: { id: 'diamond', name: { en: 'Diamond' }, threshold: 20, earnMultiplier: 2 } },
      { path: 'points.birthdayBonus', change: 'changed', from: 100, to: 200 },
    ]);
    expect(formatDiff(diff)).toContain('~ tiers.levels[1].threshold: 3 → 4');
    expect(formatDiff(diffPrograms(before, before))).toBe('no changes');
  });

  it('names activities and bonus rules by their id, so removing one is that one removed', () => {
    const before = defaultProgram({ currency: 'VND', name: 'x' });
    before.bonuses = [{ id: 'tea', multiplier: 2, on: { kind: 'categories', names: ['Tea'] }, active: true }];
    const after = structuredClone(before);
    after.activities = after.activities.filter((activity) => activity.activity !== 'signup');
    after.activities[0]!.points = 30;
    after.bonuses[0]!.active = false;
    after.bonuses.push({ id: 'tet', multiplier: 3, on: { kind: 'dates', from: '2027-02-05', to: '2027-02-11' }, active: true });
    expect(diffPrograms(before, after)).toEqual([
      { path: 'activities[signup]', change: 'removed', from: before.activities[0] },
      { path: 'activities[review].points', change: 'changed', from: 20, to: 30 },
      { path: 'bonuses[tea].active', change: 'changed', from: true, to: false },
      { path: 'bonuses[tet]', change: 'added', to: after.bonuses[1] },
    ]);
  });
});

describe('the analytics section', () => {
  const base = defaultProgram({ currency: 'VND', name: 'Trà Việt' });

  it('defaults for a program saved before it existed', () => {
    const { analytics: _dropped, ...older } = base;
    expect(ProgramSchema.parse(older).analytics).toEqual({ winBackPAliveBelow: 0.3, segments: [] });
  });

  it('validates rule segments with the segments document rules, naming the path', () => {
    const bad = {
      ...base,
      analytics: {
        winBackPAliveBelow: 0.3,
        segments: [{ id: 'vip', name: 'VIP', rule: { field: 'rfmSegment', op: 'eq', value: 'Champs' } }],
      },
    };
    const result = ProgramSchema.safeParse(bad);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path.slice(0, 3)).toEqual(['analytics', 'segments', 0]);
    expect(result.error?.issues[0]?.message).toContain('Champs');
  });
});
