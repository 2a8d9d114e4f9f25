import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RFM_SEGMENT_NAMES } from '#shared/analytics/rfm.ts';
import * as server from '#shared/analytics/segments.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import { PutProgramSchema } from '#shared/use-cases/manage-program.ts';
import {
  AGE_BANDS,
  addChild,
  DEFAULT_ANALYTICS,
  EMAIL_CONSENTS,
  FIELD_GROUPS,
  type GroupNode,
  LIST_FIELDS,
  locate,
  NUMBER_FIELDS,
  newCondition,
  newGroup,
  numberNodes,
  RFM_SEGMENTS,
  type RuleNode,
  removeNode,
  sameJson,
  segmentIssues,
  slugOf,
  TEXT_FIELDS,
  toRule,
  toTree,
  withField,
  withOp,
  withSegment,
} from '../../console/src/components/segment-rule.ts';
import type { Program } from '../../console/src/types.ts';

/**
 * The console's segment editor (console/src/components/segment-rule.ts): the rule ↔ tree
 * conversion, and its checks held against the server's own schema — the console cannot bundle that
 * schema, so every verdict here is compared with what PUT /v1/program would answer.
 */

const VND = { exponent: 0 };
const USD = { exponent: 2 };
const program = defaultProgram({ currency: 'VND', name: 'Trà Việt' }) as unknown as Program;
const existing = { id: 'vip', name: 'VIP', rule: { field: 'orderCount', op: 'gte', value: 10 } };

/** What PUT /v1/program answers for the program holding `segment` after `existing`: the field of its 400, or 'ok'. */
function serverField(segment: unknown): string {
  try {
    parseOrThrow(PutProgramSchema, { version: 3, program: withSegment(withSegment(program, 0, existing), 1, segment) });
    return 'ok';
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
}

const clientIssues = (segment: unknown) => segmentIssues([existing, segment], 1);
const within = (field: string, path: string) => field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`);

describe('the catalog the console copies', () => {
  it('is the server’s: fields, closed values, RFM segments and the default analytics', () => {
    expect(TEXT_FIELDS).toEqual(server.TEXT_FIELDS);
    expect(NUMBER_FIELDS).toEqual(server.NUMBER_FIELDS);
    expect(AGE_BANDS).toEqual(server.AGE_BANDS);
    expect(EMAIL_CONSENTS).toEqual(server.EMAIL_CONSENTS);
    expect([...RFM_SEGMENTS].sort()).toEqual([...RFM_SEGMENT_NAMES].sort());
    // topCategories is the one field outside both lists: the schema's `contains` condition.
    expect(LIST_FIELDS).toEqual(['topCategories']);
    expect(serverField({ id: 'c', name: 'C', rule: { field: 'topCategories', op: 'contains', value: 'Trà' } })).toBe('ok');
    // The form offers every field, once.
    expect(Object.values(FIELD_GROUPS).flat().sort()).toEqual([...server.TEXT_FIELDS, ...server.NUMBER_FIELDS, 'topCategories'].sort());
    expect(DEFAULT_ANALYTICS).toEqual(defaultProgram({ currency: 'USD', name: 'x' }).analytics);
  });
});

describe('rule ↔ tree', () => {
  const rule = {
    all: [
      { field: 'orderCount', op: 'gte', value: 2 },
      {
        not: {
          any: [
            { field: 'rfmSegment', op: 'in', values: ['Champions', 'Loyal Customers'] },
            { field: 'totalSpent', op: 'between', min: 1_000_000, max: 5_000_000 },
            { not: { field: 'city', op: 'eq', value: 'Hà Nội' } },
          ],
        },
      },
      { field: 'topCategories', op: 'contains', value: 'Trà' },
    ],
  };

  it('turns a rule into groups and conditions, with NOT on the node it wraps, and back into the same rule', () => {
    const tree = toTree(rule, VND) as GroupNode;
    expect(tree).toMatchObject({ kind: 'group', match: 'all', not: false });
    expect(tree.children.map((child) => [child.kind, child.not])).toEqual([
      ['condition', false],
      ['group', true],
      ['condition', false],
    ]);
    const nested = tree.children[1] as GroupNode;
    expect(nested.children[0]).toMatchObject({ field: 'rfmSegment', op: 'in', values: 'Champions, Loyal Customers' });
    expect(nested.children[1]).toMatchObject({ op: 'between', min: '1000000', max: '5000000' });
    expect(nested.children[2]).toMatchObject({ field: 'city', value: 'Hà Nội', not: true });
    expect(toRule(tree, VND)).toEqual(rule);
  });

  it('shows money in major units and keeps minor units in the rule', () => {
    const spent = { field: 'totalSpent', op: 'gte', value: 1999 };
    expect(toTree(spent, USD)).toMatchObject({ value: '19.99' });
    expect(toRule({ ...newCondition('totalSpent'), value: '19.99' }, USD)).toEqual(spent);
    expect(toRule({ ...newCondition('clv'), value: '0.125' }, USD)).toEqual({ field: 'clv', op: 'gte', value: 12.5 });
    // Not money: as typed.
    expect(toRule({ ...newCondition('pAlive'), value: '0.35' }, USD)).toEqual({ field: 'pAlive', op: 'gte', value: 0.35 });
  });

  it('leaves to JSON what the form cannot show exactly', () => {
    for (const shape of [
      { not: { not: { field: 'age', op: 'gte', value: 30 } } },
      { field: 'city', op: 'in', values: ['Huế, Việt Nam'] },
      { field: 'city', op: 'eq', value: ' Huế ' },
      { all: [{ field: 'age', op: 'gte', value: 30 }], any: [] },
      { field: 'age', op: 'gte', value: '30' },
      [],
      'vip',
      null,
    ])
      expect(toTree(shape, VND), JSON.stringify(shape)).toBeNull();
  });

  it('gives back every rule it can show, exactly (any rule of the API’s shape)', () => {
    fc.assert(
      fc.property(ruleArbitrary, (rule) => {
        const tree = toTree(rule, VND);
        if (tree) expect(sameJson(toRule(tree, VND), rule)).toBe(true);
      }),
    );
  });

  it('shows every valid rule in the form, but a NOT of a NOT', () => {
    fc.assert(
      fc.property(validRuleArbitrary, (rule) => {
        fc.pre(!JSON.stringify(rule).includes('{"not":{"not":'));
        expect(toTree(rule, USD)).not.toBeNull();
      }),
    );
  });

  it('edits: a field of another kind resets the operator and values; an operator carries the value over', () => {
    const city = { ...newCondition('city'), value: 'Huế' };
    expect(withField(city, 'country')).toMatchObject({ field: 'country', op: 'eq', value: 'Huế' });
    expect(withField(city, 'age')).toMatchObject({ field: 'age', op: 'eq', value: '' });
    expect(withField(city, 'rfmSegment')).toMatchObject({ op: 'eq', value: '' });
    expect(withField(city, 'topCategories')).toMatchObject({ op: 'contains', value: '' });
    expect(withOp(city, 'in')).toMatchObject({ op: 'in', values: 'Huế' });
    expect(withOp({ ...city, op: 'in', values: 'Huế, Hội An' }, 'neq')).toMatchObject({ value: 'Huế' });
    const age = { ...newCondition('age'), value: '30' };
    expect(withOp(age, 'between')).toMatchObject({ min: '30', max: '' });
    expect(withOp({ ...age, op: 'lte' }, 'between')).toMatchObject({ min: '', max: '30' });
    expect(withOp({ ...age, op: 'between', min: '20', max: '40' }, 'lte')).toMatchObject({ value: '40' });
  });

  it('adds and removes nodes, and numbers them as the form shows them', () => {
    const single = newCondition('age');
    const wrapped = addChild(single, single.key, newGroup('any')) as GroupNode;
    expect(wrapped).toMatchObject({ kind: 'group', match: 'all' });
    expect(wrapped.children[0]).toBe(single);
    const group = wrapped.children[1] as GroupNode;
    const deeper = addChild(wrapped, group.key, newCondition('city')) as GroupNode;
    const numbers = numberNodes(deeper);
    expect(numbers.get(deeper.key)).toBe('');
    expect(numbers.get(single.key)).toBe('1');
    expect(numbers.get(group.key)).toBe('2');
    expect(numbers.get(((deeper.children[1] as GroupNode).children[1] as RuleNode).key)).toBe('2.2');
    const removed = removeNode(deeper, group.key) as GroupNode;
    expect(removed.children).toHaveLength(1);
  });

  it('makes an id from a name, Vietnamese marks and all', () => {
    expect(slugOf('Khách VIP Hà Nội')).toBe('khach-vip-ha-noi');
    expect(slugOf('Đơn lớn — 2 lần trở lên!')).toBe('don-lon-2-lan-tro-len');
    expect(slugOf('   ')).toBe('');
    expect(slugOf('a'.repeat(80))).toHaveLength(64);
  });
});

describe('the checks, against the server’s', () => {
  it('refuses what the server refuses and takes what it takes, naming the field it names or one inside it', () => {
    fc.assert(
      fc.property(segmentArbitrary, (segment) => {
        const field = serverField(segment);
        const issues = clientIssues(segment);
        expect(issues.length === 0, `${JSON.stringify(segment)}: the server says ${field}`).toBe(field === 'ok');
        if (field !== 'ok') expect(issues.some((issue) => within(issue.path, field))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('names what the form gets wrong at the input, where the server names the field too', () => {
    const at = 'program.analytics.segments[1]';
    const cases: Array<[unknown, string, string]> = [
      [{ field: 'city', op: 'eq', value: '  ' }, `${at}.rule.value`, 'required'],
      [{ field: 'city', op: 'in', values: [] }, `${at}.rule.values`, 'listEmpty'],
      [{ all: [{ field: 'age', op: 'between', min: 40, max: 30 }] }, `${at}.rule.all[0]`, 'minMax'],
      [{ any: [{ not: { field: 'rfmSegment', op: 'eq', value: 'Champs' } }] }, `${at}.rule.any[0].not`, 'notOneOf'],
      [{ all: [] }, `${at}.rule.all`, 'groupEmpty'],
      [{ field: 'city', op: 'eq', value: 'Huế', extra: 1 }, `${at}.rule.extra`, 'shape'],
    ];
    for (const [rule, path, code] of cases) {
      const segment = { id: 'x', name: 'X', rule };
      expect(serverField(segment)).toBe(path);
      expect(clientIssues(segment)).toContainEqual(expect.objectContaining({ path, code }));
    }
    // A number left empty: zod's union gives up at the rule; the console names the input.
    const empty = { id: 'x', name: 'X', rule: { all: [{ field: 'age', op: 'gte', value: null }] } };
    expect(serverField(empty)).toBe(`${at}.rule`);
    expect(clientIssues(empty)).toEqual([{ path: `${at}.rule.all[0].value`, code: 'number' }]);
    // The segment's own fields.
    expect(clientIssues({ id: 'vip', name: ' ', rule: existing.rule })).toEqual([
      { path: `${at}.id`, code: 'idTaken' },
      { path: `${at}.name`, code: 'nameRequired' },
    ]);
    expect(serverField({ id: 'vip', name: 'V', rule: existing.rule })).toBe(`${at}.id`);
    expect(serverField({ id: 'Vip Hà Nội', name: 'V', rule: existing.rule })).toBe(`${at}.id`);
    // Depth as the server counts it: twelve levels pass, thirteen do not.
    const nested = (levels: number): unknown => (levels === 1 ? { field: 'age', op: 'gte', value: 1 } : { all: [nested(levels - 1)] });
    expect(serverField({ id: 'x', name: 'X', rule: nested(12) })).toBe('ok');
    expect(clientIssues({ id: 'x', name: 'X', rule: nested(12) })).toEqual([]);
    expect(serverField({ id: 'x', name: 'X', rule: nested(13) })).not.toBe('ok');
    expect(clientIssues({ id: 'x', name: 'X', rule: nested(13) })).toEqual([
      { path: `${at}.rule${'.all[0]'.repeat(12)}`, code: 'tooDeep', detail: '12' },
    ]);
  });
});

describe('an error’s field, at its node and input', () => {
  const rule = {
    all: [
      { field: 'city', op: 'eq', value: 'Huế' },
      { not: { any: [{ field: 'age', op: 'between', min: 1, max: 2 }, { not: { field: 'city', op: 'in', values: ['a'] } }] } },
    ],
  };
  const tree = toTree(rule, VND) as GroupNode;
  const group = tree.children[1] as GroupNode;
  const [between, listed] = group.children as [RuleNode, RuleNode];
  const at = 'program.analytics.segments[1]';

  it('finds the deepest node holding the field, through NOT, and the input after it', () => {
    expect(locate(`${at}.rule.all[0].value`, 1, tree)).toEqual({ where: 'node', key: tree.children[0]?.key, input: 'value' });
    expect(locate(`${at}.rule.all[1].not.any[0]`, 1, tree)).toEqual({ where: 'node', key: between.key });
    expect(locate(`${at}.rule.all[1].not.any[0].max`, 1, tree)).toEqual({ where: 'node', key: between.key, input: 'max' });
    expect(locate(`${at}.rule.all[1].not.any[1].not.values[0]`, 1, tree)).toEqual({ where: 'node', key: listed.key, input: 'values' });
    expect(locate(`${at}.rule.all[1].not.any`, 1, tree)).toEqual({ where: 'node', key: group.key });
    expect(locate(`${at}.rule.all[1]`, 1, tree)).toEqual({ where: 'node', key: group.key });
    expect(locate(`${at}.rule`, 1, tree)).toEqual({ where: 'node', key: tree.key });
  });

  it('tells the segment’s id and name, the JSON view and the rest of the program apart', () => {
    expect(locate(`${at}.id`, 1, tree)).toEqual({ where: 'id' });
    expect(locate(`${at}.name`, 1, tree)).toEqual({ where: 'name' });
    expect(locate(`${at}.rule.all[0].value`, 1, null)).toEqual({ where: 'rule', path: 'rule.all[0].value' });
    expect(locate('program.analytics.segments[0].rule', 1, tree)).toEqual({ where: 'other' });
    expect(locate('program.tiers.levels[1].threshold', 1, tree)).toEqual({ where: 'other' });
    expect(locate(`${at}`, 1, tree)).toEqual({ where: 'other' });
  });

  it('maps the server’s own answer for a form mistake to the input that holds it', () => {
    const wrong = structuredClone(rule);
    (wrong.all[0] as { value: string }).value = '';
    const field = serverField({ id: 'x', name: 'X', rule: wrong });
    expect(locate(field, 1, tree)).toEqual({ where: 'node', key: tree.children[0]?.key, input: 'value' });
  });
});

/* ---------------- arbitraries: rules of the API's shape, valid and not ---------------- */

const texts = fc.constantFrom('Huế', 'hà nội', 'Champions', 'champions', 'Lost', '25-34', 'subscribed', 'gold', '', '  ', 'x'.repeat(201));
const numbers = fc.constantFrom(0, 1, 2.5, -3, 30, 1_000_000);
const anyField = fc.constantFrom(...TEXT_FIELDS, ...NUMBER_FIELDS, 'topCategories', 'nope');
const anyOp = fc.constantFrom('eq', 'neq', 'in', 'gte', 'lte', 'between', 'contains', 'like');

/** Any mix of keys and values a condition could be sent with. */
const looseCondition = fc.record(
  {
    field: anyField,
    op: anyOp,
    value: fc.oneof(texts, numbers, fc.constant(null)),
    values: fc.oneof(fc.array(texts, { maxLength: 3 }), fc.constant('Huế')),
    min: numbers,
    max: numbers,
    extra: fc.constant(1),
  },
  { requiredKeys: ['field', 'op'] },
);

const closedValue = (field: string) =>
  field === 'ageBand'
    ? fc.constantFrom(...AGE_BANDS)
    : field === 'rfmSegment'
      ? fc.constantFrom(...RFM_SEGMENTS)
      : field === 'emailConsent'
        ? fc.constantFrom(...EMAIL_CONSENTS)
        : fc.constantFrom('Huế', 'Hà Nội', 'gold', 'VN');

/** Conditions the server takes. */
const validCondition = fc.oneof(
  fc.constantFrom(...TEXT_FIELDS).chain((field) =>
    fc.oneof(
      fc.record({ field: fc.constant(field), op: fc.constantFrom('eq', 'neq'), value: closedValue(field) }),
      fc.record({
        field: fc.constant(field),
        op: fc.constant('in'),
        values: fc.array(closedValue(field), { minLength: 1, maxLength: 3 }),
      }),
    ),
  ),
  fc.record({ field: fc.constantFrom(...NUMBER_FIELDS), op: fc.constantFrom('eq', 'neq', 'gte', 'lte'), value: numbers }),
  fc
    .record({ field: fc.constantFrom(...NUMBER_FIELDS), op: fc.constant('between'), min: numbers, max: numbers })
    .map((c) => ({ ...c, min: Math.min(c.min, c.max), max: Math.max(c.min, c.max) })),
  fc.record({ field: fc.constant('topCategories'), op: fc.constant('contains'), value: fc.constantFrom('Trà', 'Bánh') }),
);

const treeOf = (leaf: fc.Arbitrary<unknown>, minChildren: number) =>
  fc.letrec<{ rule: unknown }>((tie) => ({
    rule: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.record({ all: fc.array(tie('rule'), { minLength: minChildren, maxLength: 3 }) }),
      fc.record({ any: fc.array(tie('rule'), { minLength: minChildren, maxLength: 3 }) }),
      fc.record({ not: tie('rule') }),
    ),
  })).rule;

const validRuleArbitrary = treeOf(validCondition, 1).filter((rule) => server.ruleSchema.safeParse(rule).success);
const ruleArbitrary = treeOf(fc.oneof({ weight: 3, arbitrary: validCondition }, { weight: 2, arbitrary: looseCondition }), 0);

const segmentArbitrary = fc.record({
  id: fc.oneof({ weight: 4, arbitrary: fc.constant('vip-hue') }, fc.constantFrom('vip', 'Bad Id', '')),
  name: fc.oneof({ weight: 4, arbitrary: fc.constant('Khách ở Huế') }, fc.constantFrom(' ', 'n'.repeat(101))),
  rule: ruleArbitrary,
});
