import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import {
  ageBandOf,
  ageOn,
  compileSegments,
  evaluateSegments,
  parseSegmentsDocument,
  type SegmentableProfile,
  type SegmentRule,
  segmentFacts,
  segmentsDocumentSchema,
} from '#shared/analytics/segments.ts';

const NOW = new Date('2026-03-15T09:00:00Z');

const profile = (overrides: Partial<SegmentableProfile> = {}): SegmentableProfile => ({
  birthday: '1990-03-16',
  gender: 'female',
  country: 'VN',
  city: 'Hồ Chí Minh',
  tier: 'Gold',
  totalSpent: { amount: 4_500_000 },
  orderCount: 7,
  lastOrderAt: '2026-02-13T23:30:00Z',
  topCategories: ['Tea', 'Ceramics'],
  consent: { email: 'subscribed' },
  feedback: { nps: 9 },
  rfm: { r: 4, f: 4, m: 5, segment: 'Potential Loyalist' },
  clv: { model: 'bgnbd-gg', pAlive: 0.82, clv: 1_250_000 },
  ...overrides,
});

const doc = parseSegmentsDocument({
  segments: [
    {
      id: 'young-tea-lovers',
      name: 'Young tea lovers in Vietnam',
      rule: {
        all: [
          { field: 'ageBand', op: 'in', values: ['25-34', '35-44'] },
          { field: 'country', op: 'eq', value: 'vn' },
          { field: 'topCategories', op: 'contains', value: 'tea' },
        ],
      },
    },
    {
      id: 'win-back',
      name: 'Worth winning back',
      rule: {
        all: [
          { field: 'rfmSegment', op: 'in', values: ['At Risk', "Can't Lose Them"] },
          { field: 'clv', op: 'gte', value: 1_000_000 },
        ],
      },
    },
    {
      id: 'promoters',
      name: 'Happy and reachable',
      rule: {
        all: [
          { field: 'nps', op: 'gte', value: 9 },
          { field: 'emailConsent', op: 'eq', value: 'subscribed' },
        ],
      },
    },
    {
      id: 'lapsing-big-spenders',
      name: 'Big spenders who went quiet',
      rule: {
        all: [
          { field: 'totalSpent', op: 'gte', value: 3_000_000 },
          {
            any: [
              { field: 'daysSinceLastOrder', op: 'gte', value: 30 },
              { field: 'pAlive', op: 'lte', value: 0.5 },
            ],
          },
          { not: { field: 'tier', op: 'eq', value: 'platinum' } },
        ],
      },
    },
    {
      id: 'no-birthday',
      name: 'Ask for a birthday',
      rule: { not: { field: 'ageBand', op: 'in', values: ['under-18', '18-24', '25-34', '35-44', '45-54', '55-64', '65+'] } },
    },
    { id: 'mid-frequency', name: '3 to 10 orders', rule: { field: 'orderCount', op: 'between', min: 3, max: 10 } },
  ],
});

describe('segment rules', () => {
  it('evaluates a profile against every segment, in document order', () => {
    expect(evaluateSegments(profile(), doc, NOW)).toEqual(['young-tea-lovers', 'promoters', 'lapsing-big-spenders', 'mid-frequency']);
    expect(evaluateSegments(profile({ rfm: { segment: 'At Risk' }, lastOrderAt: '2026-03-01T00:00:00Z' }), doc, NOW)).toEqual([
      'young-tea-lovers',
      'win-back',
      'promoters',
      'mid-frequency',
    ]);
    expect(evaluateSegments(profile({ tier: 'Platinum', orderCount: 11, topCategories: ['Coffee'] }), doc, NOW)).toEqual(['promoters']);
  });

  it('computes the facts at the reference date: age the day before a birthday, days since the last order by calendar day', () => {
    const facts = segmentFacts(profile(), NOW);
    expect(facts).toMatchObject({
      age: 35,
      ageBand: '35-44',
      daysSinceLastOrder: 30,
      totalSpent: 4_500_000,
      topCategory: 'tea',
      rfmSegment: 'potential loyalist',
    });
    expect(segmentFacts(profile(), new Date('2026-03-16T00:00:00Z')).age).toBe(36);
    expect(ageOn('2004-02-29', new Date('2022-02-28T12:00:00Z'))).toBe(17);
    expect(ageOn('2004-02-29', new Date('2022-03-01T00:00:00Z'))).toBe(18);
    expect(ageOn('--03-16', NOW)).toBeNull();
    expect([17, 18, 24, 25, 64, 65].map(ageBandOf)).toEqual(['under-18', '18-24', '18-24', '25-34', '55-64', '65+']);
  });

  it('treats a condition on a missing fact as false, whatever the operator — `not` selects the unknown', () => {
    const anonymous = profile({ birthday: null, feedback: null, clv: null, gender: null });
    const neq: SegmentRule = { field: 'gender', op: 'neq', value: 'male' };
    const compiled = compileSegments(parseSegmentsDocument({ segments: [{ id: 'not-male', name: 'Not male', rule: neq }] }));
    expect(compiled(segmentFacts(anonymous, NOW))).toEqual([]);
    expect(evaluateSegments(anonymous, doc, NOW)).toEqual(['lapsing-big-spenders', 'no-birthday', 'mid-frequency']);
  });

  it('reads a plain number for total spent as well as the API money object', () => {
    expect(segmentFacts(profile({ totalSpent: 12 }), NOW).totalSpent).toBe(12);
    expect(segmentFacts(profile({ totalSpent: null }), NOW).totalSpent).toBeNull();
  });

  it('refuses invalid documents with a message that says where', () => {
    const bad = (segments: unknown) => () => parseSegmentsDocument({ segments });
    expect(bad([{ id: 'a', name: 'A', rule: { field: 'shoeSize', op: 'eq', value: '42' } }])).toThrow(ZodError);
    expect(bad([{ id: 'a', name: 'A', rule: { field: 'orderCount', op: 'eq', value: 'seven' } }])).toThrow(ZodError);
    expect(bad([{ id: 'a', name: 'A', rule: { field: 'orderCount', op: 'between', min: 5, max: 1 } }])).toThrow(/min ≤ max/);
    expect(bad([{ id: 'a', name: 'A', rule: { all: [] } }])).toThrow(ZodError);
    expect(bad([{ id: 'a', name: 'A', rule: { field: 'rfmSegment', op: 'eq', value: 'Champs' } }])).toThrow(/not one of Champions/);
    expect(bad([{ id: 'a', name: 'A', rule: { field: 'ageBand', op: 'in', values: ['30-40'] } }])).toThrow(
      /ageBand \\"30-40\\" is not one of under-18/,
    );
    expect(bad([{ id: 'Bad Id', name: 'A', rule: { field: 'orderCount', op: 'gte', value: 1 } }])).toThrow(/id: lower-case/);
    const rule = { field: 'orderCount', op: 'gte', value: 1 };
    expect(
      bad([
        { id: 'a', name: 'A', rule },
        { id: 'a', name: 'B', rule },
      ]),
    ).toThrow(/duplicate segment id \\"a\\"/);
    let deep: unknown = rule;
    for (let i = 0; i < 13; i++) deep = { not: deep };
    expect(bad([{ id: 'a', name: 'A', rule: deep }])).toThrow(/deeper than 12/);
  });

  it('measures a rule before parsing it: 2,000 levels deep or 100,000 wide is a ZodError naming where, not a RangeError', () => {
    const rule = { field: 'orderCount', op: 'gte', value: 1 };
    let deep: unknown = rule;
    for (let i = 0; i < 2000; i++) deep = { not: deep };
    const deepResult = segmentsDocumentSchema.safeParse({ segments: [{ id: 'a', name: 'A', rule: deep }] });
    expect(deepResult.success).toBe(false);
    expect(deepResult.error?.issues).toEqual([
      expect.objectContaining({ path: ['segments', 0, 'rule', ...Array(12).fill('not')], message: 'rule nested deeper than 12 levels' }),
    ]);
    const wide = { any: [rule, { all: Array(100_000).fill(rule) }] };
    const wideResult = segmentsDocumentSchema.safeParse({ segments: [{ id: 'a', name: 'A', rule: wide }] });
    expect(wideResult.error?.issues).toEqual([expect.objectContaining({ path: ['segments', 0, 'rule', 'any', 1, 'all'] })]);
    let twelve: unknown = rule;
    for (let i = 0; i < 11; i++) twelve = i % 2 ? { not: twelve } : { all: [rule, twelve] };
    expect(segmentsDocumentSchema.safeParse({ segments: [{ id: 'a', name: 'A', rule: twelve }] }).success).toBe(true);
  });

  it('agrees with a direct reading of the rule for any profile (property)', () => {
    const arbitraryProfile = fc.record({
      orderCount: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null }),
      totalSpent: fc.option(fc.integer({ min: 0, max: 10_000_000 }), { nil: null }),
      country: fc.constantFrom('VN', 'vn', 'US', null),
      nps: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
    });
    const compiled = compileSegments(
      parseSegmentsDocument({
        segments: [
          {
            id: 's',
            name: 'S',
            rule: {
              any: [
                {
                  all: [
                    { field: 'orderCount', op: 'gte', value: 5 },
                    { field: 'country', op: 'eq', value: 'VN' },
                  ],
                },
                { not: { field: 'totalSpent', op: 'lte', value: 1_000_000 } },
                { field: 'nps', op: 'between', min: 0, max: 6 },
              ],
            },
          },
        ],
      }),
    );
    fc.assert(
      fc.property(arbitraryProfile, (p) => {
        const expected =
          (p.orderCount !== null && p.orderCount >= 5 && p.country?.toLowerCase() === 'vn') ||
          !(p.totalSpent !== null && p.totalSpent <= 1_000_000) ||
          (p.nps !== null && p.nps <= 6);
        const facts = segmentFacts(
          { orderCount: p.orderCount, totalSpent: p.totalSpent, country: p.country, feedback: { nps: p.nps } },
          NOW,
        );
        expect(compiled(facts)).toEqual(expected ? ['s'] : []);
      }),
    );
  });
});
