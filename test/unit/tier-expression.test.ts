import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultProgram, type Program, ProgramSchema } from '#shared/loyalty/program.ts';
import { downgradeDecision, shortfallTo, tierDecision, tierFor } from '#shared/loyalty/rules.ts';
import {
  COMPARATORS,
  evaluateTierExpression,
  type Operand,
  parseTierExpression,
  printTierExpression,
  shortfallOf,
  TIER_FACTS,
  type TierExpression,
  TierExpressionError,
  type TierFacts,
} from '#shared/loyalty/tier-expression.ts';

const facts = (overrides: Partial<TierFacts> = {}): TierFacts => ({
  spend: 0,
  orders: 0,
  points: 0,
  predictedValue12m: 0,
  pAlive: 0,
  ...overrides,
});

const errorOf = (source: string) => {
  try {
    parseTierExpression(source);
  } catch (error) {
    if (error instanceof TierExpressionError) return { position: error.position, message: error.message };
    throw error;
  }
  throw new Error(`${source} parsed`);
};

describe('parsing a tier rule', () => {
  it('reads the issue’s example as or over and', () => {
    const rule = parseTierExpression('spend >= 5000000 or (orders >= 6 and predictedValue12m >= 3000000)');
    expect(rule).toEqual({
      kind: 'or',
      left: { kind: 'compare', op: '>=', left: { kind: 'fact', name: 'spend' }, right: { kind: 'number', value: 5_000_000 } },
      right: {
        kind: 'and',
        left: { kind: 'compare', op: '>=', left: { kind: 'fact', name: 'orders' }, right: { kind: 'number', value: 6 } },
        right: {
          kind: 'compare',
          op: '>=',
          left: { kind: 'fact', name: 'predictedValue12m' },
          right: { kind: 'number', value: 3_000_000 },
        },
      },
    });
  });

  it('binds not tighter than and, and and tighter than or, grouping to the left', () => {
    const print = (source: string) => printTierExpression(parseTierExpression(source));
    const a = 'spend > 1';
    const b = 'orders > 2';
    const c = 'points > 3';
    expect(parseTierExpression(`${a} or ${b} and ${c}`)).toEqual(parseTierExpression(`${a} or (${b} and ${c})`));
    expect(parseTierExpression(`${a} and ${b} or ${c}`)).toEqual(parseTierExpression(`(${a} and ${b}) or ${c}`));
    expect(parseTierExpression(`not ${a} and ${b}`)).toEqual(parseTierExpression(`(not ${a}) and ${b}`));
    expect(parseTierExpression(`${a} or ${b} or ${c}`)).toEqual(parseTierExpression(`(${a} or ${b}) or ${c}`));
    expect(print(`${a} or (${b} or ${c})`)).toBe(`${a} or (${b} or ${c})`);
    expect(print(`not (${a} or ${b})`)).toBe(`not (${a} or ${b})`);
    expect(print(`((${a}))   and\n(${b} and ${c})`)).toBe(`${a} and (${b} and ${c})`);
  });

  it('reads numbers with underscores and decimals, and a figure on either side', () => {
    const rule = parseTierExpression('5_000_000 <= spend and pAlive > 0.25');
    expect(evaluateTierExpression(rule, facts({ spend: 5_000_000, pAlive: 0.3 }))).toBe(true);
    expect(evaluateTierExpression(rule, facts({ spend: 4_999_999, pAlive: 0.3 }))).toBe(false);
    expect(evaluateTierExpression(rule, facts({ spend: 5_000_000, pAlive: 0.25 }))).toBe(false);
    expect(printTierExpression(rule)).toBe('5000000 <= spend and pAlive > 0.25');
  });

  it('compares with each operator', () => {
    const at = (op: string, spend: number) => evaluateTierExpression(parseTierExpression(`spend ${op} 10`), facts({ spend }));
    expect([9, 10, 11].map((spend) => at('>=', spend))).toEqual([false, true, true]);
    expect([9, 10, 11].map((spend) => at('>', spend))).toEqual([false, false, true]);
    expect([9, 10, 11].map((spend) => at('<=', spend))).toEqual([true, true, false]);
    expect([9, 10, 11].map((spend) => at('<', spend))).toEqual([true, false, false]);
    expect([9, 10, 11].map((spend) => at('==', spend))).toEqual([false, true, false]);
    expect([9, 10, 11].map((spend) => at('!=', spend))).toEqual([true, false, true]);
  });

  it('refuses what is not a rule, naming the character where it stops making sense', () => {
    expect(errorOf('spend >= 5000000 and ordrs > 3')).toEqual({
      position: 22,
      message:
        'at character 22: unknown name "ordrs" (did you mean orders?): a rule reads spend, orders, points, predictedValue12m, pAlive',
    });
    expect(errorOf('Spend > 1').message).toContain('did you mean spend?');
    expect(errorOf('palive > 0.5').message).toContain('did you mean pAlive?');
    expect(errorOf('revenue > 1').message).not.toContain('did you mean');
    // The first mistake from the left, whatever its kind.
    expect(errorOf('ordrs > 1 and spend = 5')).toMatchObject({ position: 1 });
    expect(errorOf('spend >= ')).toEqual({
      position: 10,
      message: 'at character 10: expected a number or one of spend, orders, points, predictedValue12m, pAlive, found the end of the rule',
    });
    expect(errorOf('spend')).toMatchObject({ position: 6 });
    expect(errorOf('spend 5')).toMatchObject({ position: 7 });
    expect(errorOf('spend and orders > 1')).toMatchObject({ position: 7 });
    expect(errorOf('(spend > 1')).toMatchObject({ position: 11 });
    expect(errorOf('spend > 1)')).toMatchObject({ position: 10 });
    expect(errorOf('spend = 1')).toEqual({ position: 7, message: 'at character 7: unexpected "=" (write == to compare)' });
    expect(errorOf('spend > 1 && orders > 1').message).toContain('write and, or');
    expect(errorOf('spend > 1 + 2').message).toContain('no arithmetic');
    expect(errorOf('1 < spend < 3')).toMatchObject({ position: 11 });
    expect(errorOf('spend > 1 orders > 2')).toMatchObject({ position: 11 });
    expect(errorOf('')).toMatchObject({ position: 1, message: 'at character 1: the rule is empty' });
    expect(errorOf('   ')).toMatchObject({ position: 1 });
    expect(errorOf('spend > 99999999999999999999').message).toContain('too large');
    expect(errorOf('spend > 5x')).toMatchObject({ position: 10 });
    expect(errorOf(`spend > 1${' or spend > 1'.repeat(50)}`)).toMatchObject({ position: 501 });
    // Nothing a rule says reaches JavaScript: names of globals are unknown names like any other.
    expect(errorOf('constructor > 1').message).toContain('unknown name "constructor"');
    expect(errorOf('process.exit > 1')).toMatchObject({ position: 1, message: expect.stringContaining('unknown name "process"') });
  });
});

/** Random rules over every form the grammar has. */
const operand = fc.oneof(
  fc.constantFrom(...TIER_FACTS).map((name) => ({ kind: 'fact' as const, name })),
  fc
    .oneof(
      fc.nat({ max: 10 ** 9 }),
      fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100),
    )
    .map((value) => ({ kind: 'number' as const, value })),
);
const { rule } = fc.letrec<{ rule: TierExpression }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('compare' as const), op: fc.constantFrom(...COMPARATORS), left: operand, right: operand }),
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('rule'), right: tie('rule') }),
    fc.record({ kind: fc.constant('not' as const), operand: tie('rule') }),
  ),
}));
const anyFacts = fc.record({
  spend: fc.nat({ max: 10 ** 9 }),
  orders: fc.nat({ max: 50 }),
  points: fc.nat({ max: 10 ** 6 }),
  predictedValue12m: fc.nat({ max: 10 ** 9 }),
  pAlive: fc.integer({ min: 0, max: 100 }).map((n) => n / 100),
});

describe('a tier rule printed', () => {
  it('parses back to the same rule', () => {
    fc.assert(
      fc.property(rule, (expression) => {
        expect(parseTierExpression(printTierExpression(expression))).toEqual(expression);
      }),
      { numRuns: 500 },
    );
  });

  it('is found again however it is spaced and parenthesised', () => {
    fc.assert(
      fc.property(rule, (expression) => {
        const printed = printTierExpression(expression);
        const loose = printed.replaceAll(' ', '  \n ').replaceAll('(', '( (').replaceAll(')', ') )');
        expect(parseTierExpression(loose)).toEqual(expression);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the shortfall of a rule', () => {
  /** The same rule with every figure under 300, so that past 300 no comparison changes its answer. */
  const small = (expression: TierExpression): TierExpression => {
    const figure = (o: Operand): Operand => (o.kind === 'number' ? { kind: 'number', value: o.value % 300 } : o);
    switch (expression.kind) {
      case 'compare':
        return { ...expression, left: figure(expression.left), right: figure(expression.right) };
      case 'not':
        return { kind: 'not', operand: small(expression.operand) };
      default:
        return { kind: expression.kind, left: small(expression.left), right: small(expression.right) };
    }
  };

  it('is the least increase of the metric that meets the rule, found by trying every amount', () => {
    fc.assert(
      fc.property(rule, anyFacts, fc.constantFrom('orders' as const, 'points' as const), (given, all, fact) => {
        const expression = small(given);
        const figures = {
          ...all,
          spend: all.spend % 300,
          orders: all.orders % 300,
          points: all.points % 300,
          predictedValue12m: all.predictedValue12m % 300,
        };
        let expected: number | undefined;
        for (let more = 0; more <= 600 && expected === undefined; more++) {
          if (evaluateTierExpression(expression, { ...figures, [fact]: figures[fact] + more })) expected = more;
        }
        expect(shortfallOf(expression, figures, fact)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('is undefined when only a prediction would meet the rule', () => {
    const expression = parseTierExpression('orders >= 6 and predictedValue12m >= 3000000');
    expect(shortfallOf(expression, facts({ orders: 2 }), 'orders')).toBeUndefined();
    expect(shortfallOf(expression, facts({ orders: 2, predictedValue12m: 3_000_000 }), 'orders')).toBe(4);
  });
});

describe('tiers with rules of their own', () => {
  const base = defaultProgram({ currency: 'VND', name: 'x' });
  const program: Program = ProgramSchema.parse({
    ...base,
    tiers: {
      ...base.tiers,
      metric: 'spend',
      window: { kind: 'lifetime' },
      levels: [
        { id: 'member', name: { en: 'Member' }, threshold: 0, earnMultiplier: 1 },
        { id: 'silver', name: { en: 'Silver' }, threshold: 2_000_000, earnMultiplier: 1.25 },
        {
          id: 'gold',
          name: { en: 'Gold' },
          qualifies: 'spend >= 5000000 or (orders >= 6 and predictedValue12m >= 3000000)',
          earnMultiplier: 1.5,
        },
      ],
    },
  });

  it('gives the highest tier whose rule holds, a rule beside thresholds', () => {
    expect(tierFor(facts({ spend: 1_000_000 }), program).id).toBe('member');
    expect(tierFor(facts({ spend: 2_000_000 }), program).id).toBe('silver');
    expect(tierFor(facts({ spend: 5_000_000 }), program).id).toBe('gold');
    expect(tierFor(facts({ spend: 900_000, orders: 6, predictedValue12m: 3_000_000 }), program).id).toBe('gold');
    expect(tierFor(facts({ spend: 900_000, orders: 6, predictedValue12m: 2_999_999 }), program).id).toBe('member');
  });

  it('measures the shortfall in the program’s metric, the other figures as they are', () => {
    const gold = program.tiers.levels[2];
    if (!gold) throw new Error('no gold');
    expect(shortfallTo(gold, facts({ spend: 4_000_000 }), program)).toBe(1_000_000);
    expect(shortfallTo(gold, facts({ spend: 4_000_000, orders: 6, predictedValue12m: 3_000_000 }), program)).toBe(0);
  });

  it('keeps a tier while its rule holds, warns without a shortfall the metric cannot make up, and steps one down after grace', () => {
    const since = new Date('2025-01-01T00:00:00Z');
    const warnAt = new Date('2026-01-25T00:00:00Z');
    const after = new Date('2026-02-01T00:00:00Z');
    const holding = facts({ spend: 100, orders: 6, predictedValue12m: 3_000_000 });
    expect(downgradeDecision('gold', since, holding, program, after)).toEqual({ action: 'keep' });
    const fallen = facts({ spend: 100, orders: 6, predictedValue12m: 10 });
    expect(downgradeDecision('gold', since, fallen, program, warnAt)).toMatchObject({
      action: 'warn',
      to: { id: 'silver' },
      shortfall: 4_999_900,
    });
    const ordersProgram: Program = { ...program, tiers: { ...program.tiers, metric: 'orders' } };
    const warning = downgradeDecision('gold', since, fallen, ordersProgram, warnAt);
    expect(warning).toMatchObject({ action: 'warn', to: { id: 'silver' } });
    expect(warning).not.toHaveProperty('shortfall');
    expect(downgradeDecision('gold', since, fallen, program, after)).toMatchObject({ action: 'downgrade', to: { id: 'silver' } });
  });

  it('lifts a tier in the run when the facts meet a higher rule, unless pinned', () => {
    const since = new Date('2026-01-01T00:00:00Z');
    const now = new Date('2026-02-01T00:00:00Z');
    const lifted = facts({ orders: 6, predictedValue12m: 3_000_000 });
    expect(tierDecision('member', since, lifted, program, now)).toMatchObject({ action: 'upgrade', to: { id: 'gold' } });
    expect(tierDecision('member', since, lifted, program, now, { tier: 'member', mode: 'pin' })).toEqual({ action: 'keep' });
    expect(tierDecision('gold', since, lifted, program, now)).toEqual({ action: 'keep' });
  });
});

describe('a program with tier rules', () => {
  const base = defaultProgram({ currency: 'VND', name: 'x' });
  const issuesOf = (levels: unknown[]) => {
    const result = ProgramSchema.safeParse({ ...base, tiers: { ...base.tiers, levels } });
    return result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  };
  const member = { id: 'member', name: { en: 'Member' }, threshold: 0, earnMultiplier: 1 };

  it('is refused at the level’s qualifies, with the position, for a rule that does not parse', () => {
    expect(issuesOf([member, { id: 'gold', name: { en: 'Gold' }, qualifies: 'orders >= 6 and clv > 3', earnMultiplier: 1.5 }])).toEqual([
      {
        path: 'tiers.levels.1.qualifies',
        message: 'at character 17: unknown name "clv": a rule reads spend, orders, points, predictedValue12m, pAlive',
      },
    ]);
    expect(issuesOf([member, { id: 'gold', name: { en: 'Gold' }, qualifies: 'orders >= (6', earnMultiplier: 1.5 }])).toEqual([
      { path: 'tiers.levels.1.qualifies', message: expect.stringMatching(/^at character 11: /) },
    ]);
  });

  it('needs a threshold or a rule on each level above the first, not both, and none on the first', () => {
    expect(issuesOf([member, { id: 'gold', name: { en: 'Gold' }, earnMultiplier: 1.5 }])).toEqual([
      { path: 'tiers.levels.1.threshold', message: 'a threshold or a rule (qualifies) is required' },
    ]);
    expect(issuesOf([member, { id: 'gold', name: { en: 'Gold' }, threshold: 5, qualifies: 'orders > 5', earnMultiplier: 1.5 }])).toEqual([
      { path: 'tiers.levels.1.qualifies', message: 'a level has a threshold or a rule, not both' },
    ]);
    expect(issuesOf([{ ...member, qualifies: 'orders > 1' }])).toContainEqual({
      path: 'tiers.levels.0.qualifies',
      message: 'the first tier is everyone’s: it has no rule',
    });
  });

  it('orders thresholds among the levels that have one', () => {
    const silver = { id: 'silver', name: { en: 'Silver' }, threshold: 3, earnMultiplier: 1.25 };
    const vip = { id: 'vip', name: { en: 'VIP' }, qualifies: 'pAlive > 0.9 and orders >= 2', earnMultiplier: 1.4 };
    expect(issuesOf([member, silver, vip, { id: 'gold', name: { en: 'Gold' }, threshold: 8, earnMultiplier: 1.5 }])).toEqual([]);
    expect(issuesOf([member, silver, vip, { id: 'gold', name: { en: 'Gold' }, threshold: 3, earnMultiplier: 1.5 }])).toEqual([
      { path: 'tiers.levels.3.threshold', message: 'thresholds must increase from tier to tier' },
    ]);
  });
});
