import type { Program, RuleSegment } from '../types.ts';

/**
 * Rule segments as the console edits them: the API's rule (a tree of all / any / not over
 * conditions, shared/analytics/segments.ts) turned into a tree of editable nodes and back, the
 * checks the API makes (so a mistake is marked at its input before anything is sent), and the way
 * from an API error's `field` to the node and input it names.
 *
 * The catalog below copies shared/analytics/segments.ts: that module cannot be bundled for the
 * browser (it imports rfm.ts, whose command-line half reads files with node:fs), so neither can the
 * program's zod schema. test/unit/console-segment-editor.test.ts holds the copies equal to the
 * server's and checks every verdict here against the server's own schema. No DOM here: the unit
 * tests import this module in Node.
 */

export const TEXT_FIELDS = ['ageBand', 'gender', 'country', 'city', 'tier', 'rfmSegment', 'topCategory', 'emailConsent'] as const;
export const NUMBER_FIELDS = ['age', 'totalSpent', 'orderCount', 'daysSinceLastOrder', 'pAlive', 'clv', 'nps'] as const;
export const LIST_FIELDS = ['topCategories'] as const;
export const AGE_BANDS = ['under-18', '18-24', '25-34', '35-44', '45-54', '55-64', '65+'] as const;
export const EMAIL_CONSENTS = ['subscribed', 'unsubscribed', 'suppressed'] as const;
/** The RFM segments of the rfm 0.3.0 scheme (shared/analytics/rfm.ts), best customers first, as the Segments page lists them. */
export const RFM_SEGMENTS = [
  'Champions',
  'Loyal Customers',
  'Potential Loyalist',
  'New Customers',
  'Promising',
  'Need Attention',
  'About To Sleep',
  'At Risk',
  "Can't Lose Them",
  'Lost',
  'Others',
] as const;
/** The fields as the form's select groups them, by what they tell of a customer. */
export const FIELD_GROUPS = {
  customer: ['age', 'ageBand', 'gender', 'country', 'city', 'emailConsent'],
  orders: ['totalSpent', 'orderCount', 'daysSinceLastOrder', 'topCategory', 'topCategories'],
  loyalty: ['tier', 'rfmSegment', 'pAlive', 'clv', 'nps'],
} as const;
/** Money in minor units of the shop's currency: the form shows and takes major units, as the Program page does. */
export const MONEY_FIELDS: readonly string[] = ['totalSpent', 'clv'];

export const LIMITS = { depth: 12, children: 100, values: 500, text: 200, name: 100, segments: 200, id: 64 } as const;
export const SEGMENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export type FieldKind = 'text' | 'number' | 'list';
export type Op = 'eq' | 'neq' | 'in' | 'gte' | 'lte' | 'between' | 'contains';

export const OPS: Record<FieldKind, readonly Op[]> = {
  text: ['eq', 'neq', 'in'],
  number: ['eq', 'neq', 'gte', 'lte', 'between'],
  list: ['contains'],
};

/** Text fields whose values form a closed set (the API refuses any other: a typo would match nobody). */
export const CLOSED_VALUES: Readonly<Record<string, readonly string[]>> = {
  ageBand: AGE_BANDS,
  rfmSegment: RFM_SEGMENTS,
  emailConsent: EMAIL_CONSENTS,
};

export function kindOf(field: unknown): FieldKind | undefined {
  if ((TEXT_FIELDS as readonly unknown[]).includes(field)) return 'text';
  if ((NUMBER_FIELDS as readonly unknown[]).includes(field)) return 'number';
  if ((LIST_FIELDS as readonly unknown[]).includes(field)) return 'list';
  return undefined;
}

/* ---------------- the editable tree ---------------- */

interface NodeBase {
  /** Stable across edits, for rendering and for pointing an error at the node. */
  key: string;
  /** Wrapped in `not`. */
  not: boolean;
}

/** A condition as its inputs hold it: text, until it becomes the rule. `values` is the comma-separated list of `in`. */
export interface ConditionNode extends NodeBase {
  kind: 'condition';
  field: string;
  op: string;
  value: string;
  values: string;
  min: string;
  max: string;
}

export interface GroupNode extends NodeBase {
  kind: 'group';
  match: 'all' | 'any';
  children: RuleNode[];
}

export type RuleNode = ConditionNode | GroupNode;

let lastKey = 0;
const newKey = () => `n${++lastKey}`;

export const newCondition = (field = 'orderCount'): ConditionNode => ({
  kind: 'condition',
  key: newKey(),
  not: false,
  field,
  op: OPS[kindOf(field) ?? 'number'][kindOf(field) === 'number' ? 2 : 0] as Op,
  value: '',
  values: '',
  min: '',
  max: '',
});

/** A group holds at least one rule (the API refuses an empty one), so a new group starts with a condition. */
export const newGroup = (match: 'all' | 'any' = 'all'): GroupNode => ({
  kind: 'group',
  key: newKey(),
  not: false,
  match,
  children: [newCondition()],
});

/** The currency's exponent turns the form's major units into the rule's minor units: 19.99 USD ↔ 1999. */
export interface Units {
  exponent: number;
}

const splitList = (text: string) =>
  text
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');

function numberOf(text: string, field: string, units: Units): number | null {
  if (text.trim() === '') return null;
  const value = Number(text);
  if (!Number.isFinite(value)) return null;
  if (!MONEY_FIELDS.includes(field)) return value;
  const minor = value * 10 ** units.exponent;
  // 19.99 × 100 is 1998.9999999999998 in floating point: the amount meant is 1999.
  return Math.abs(minor - Math.round(minor)) < 1e-6 ? Math.round(minor) : minor;
}

function textOf(value: number, field: string, units: Units): string {
  return String(MONEY_FIELDS.includes(field) ? value / 10 ** units.exponent : value);
}

/**
 * The rule the tree stands for, as the API takes it. Text is trimmed (the API stores it trimmed);
 * a number input that holds no number becomes null, which the checks below name at its input.
 */
export function toRule(node: RuleNode, units: Units): unknown {
  const body = node.kind === 'group' ? { [node.match]: node.children.map((child) => toRule(child, units)) } : conditionOf(node, units);
  return node.not ? { not: body } : body;
}

function conditionOf(node: ConditionNode, units: Units): Record<string, unknown> {
  const { field, op } = node;
  const kind = kindOf(field);
  if (kind === 'number' && op === 'between')
    return { field, op, min: numberOf(node.min, field, units), max: numberOf(node.max, field, units) };
  if (kind === 'number') return { field, op, value: numberOf(node.value, field, units) };
  if (op === 'in') return { field, op, values: splitList(node.values) };
  return { field, op, value: node.value.trim() };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The tree for a rule, or null when the form cannot show the rule exactly as it is (a shape the
 * API refuses, `not` inside `not`, a listed value holding a comma, untrimmed text…): such a rule is
 * edited as JSON. Exactly means toRule gives the same rule back, so switching views never changes it.
 */
export function toTree(rule: unknown, units: Units): RuleNode | null {
  const tree = build(rule, units);
  return tree && sameJson(toRule(tree, units), rule) ? tree : null;
}

function build(rule: unknown, units: Units): RuleNode | null {
  if (!isObject(rule)) return null;
  const keys = Object.keys(rule);
  if (keys.length === 1 && keys[0] === 'not') {
    const inner = build(rule.not, units);
    if (!inner || inner.not) return null;
    return { ...inner, not: true };
  }
  if (keys.length === 1 && (keys[0] === 'all' || keys[0] === 'any')) {
    const match = keys[0];
    const list = rule[match];
    if (!Array.isArray(list)) return null;
    const children = list.map((child) => build(child, units));
    if (children.some((child) => child === null)) return null;
    return { kind: 'group', key: newKey(), not: false, match, children: children as RuleNode[] };
  }
  const { field, op } = rule;
  if (typeof field !== 'string' || typeof op !== 'string') return null;
  const node = { ...newCondition(), field, op };
  const asText = (value: unknown) =>
    typeof value === 'number' ? textOf(value, field, units) : typeof value === 'string' ? value : value === null ? '' : undefined;
  if ('value' in rule) {
    const text = asText(rule.value);
    if (text === undefined) return null;
    node.value = text;
  }
  if ('values' in rule) {
    const values = rule.values;
    if (!Array.isArray(values) || !values.every((value) => typeof value === 'string' && !value.includes(','))) return null;
    node.values = values.join(', ');
  }
  for (const bound of ['min', 'max'] as const) {
    if (!(bound in rule)) continue;
    const text = asText(rule[bound]);
    if (text === undefined) return null;
    node[bound] = text;
  }
  return node;
}

/** Equal as JSON, whatever the order of an object's keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && sameJson(a[key], b[key]));
}

/* ---------------- editing ---------------- */

/** The tree with the node `key` replaced by what `change` makes of it. */
export function updateNode(tree: RuleNode, key: string, change: (node: RuleNode) => RuleNode): RuleNode {
  if (tree.key === key) return change(tree);
  if (tree.kind === 'condition') return tree;
  return { ...tree, children: tree.children.map((child) => updateNode(child, key, change)) };
}

export function removeNode(tree: RuleNode, key: string): RuleNode {
  if (tree.kind === 'condition') return tree;
  return { ...tree, children: tree.children.filter((child) => child.key !== key).map((child) => removeNode(child, key)) };
}

/** A new child of the group `key`; a rule that is a single condition becomes a group of all, holding it and the new one. */
export function addChild(tree: RuleNode, key: string, child: RuleNode): RuleNode {
  if (tree.key === key && tree.kind === 'condition')
    return { kind: 'group', key: newKey(), not: false, match: 'all', children: [tree, child] };
  return updateNode(tree, key, (node) => (node.kind === 'group' ? { ...node, children: [...node.children, child] } : node));
}

/** Another field: the operator stays when the new field's kind has it, and values stay within a kind. */
export function withField(node: ConditionNode, field: string): ConditionNode {
  const from = kindOf(node.field);
  const to = kindOf(field) ?? 'text';
  const op = OPS[to].includes(node.op as Op) ? node.op : (OPS[to][0] as Op);
  if (from === to && !(field in CLOSED_VALUES) && !(node.field in CLOSED_VALUES) && field !== 'tier' && node.field !== 'tier')
    return { ...node, field, op };
  return { ...node, field, op, value: '', values: '', min: '', max: '' };
}

/** Another operator, carrying the value over: `eq` → `in` keeps it as the first of the list, `gte` → `between` as the minimum. */
export function withOp(node: ConditionNode, op: string): ConditionNode {
  const next = { ...node, op };
  if (op === 'in' && node.op !== 'in') next.values = node.value.trim();
  if (op !== 'in' && node.op === 'in') next.value = splitList(node.values)[0] ?? '';
  if (op === 'between' && node.op !== 'between') next.min = node.op === 'lte' ? '' : node.value;
  if (op === 'between' && node.op === 'lte') next.max = node.value;
  if (op !== 'between' && node.op === 'between') next.value = op === 'lte' ? node.max : node.min;
  return next;
}

/** The listed values of an `in` condition, for a checkbox per value. */
export const listOf = splitList;

/* ---------------- the API's checks ---------------- */

export type IssueCode =
  | 'required'
  | 'text'
  | 'tooLong'
  | 'number'
  | 'minMax'
  | 'listEmpty'
  | 'listTooLong'
  | 'notOneOf'
  | 'field'
  | 'op'
  | 'shape'
  | 'groupEmpty'
  | 'groupTooBig'
  | 'tooDeep'
  | 'idFormat'
  | 'idTaken'
  | 'nameRequired'
  | 'nameTooLong'
  | 'tooMany';

/** A problem the API would refuse, at the path it names problems by (`program.analytics.segments[0].rule.all[1].value`). */
export interface Issue {
  path: string;
  code: IssueCode;
  /** The value refused (notOneOf) or the limit passed. */
  detail?: string;
}

export const segmentPath = (index: number) => `program.analytics.segments[${index}]`;

/**
 * Every problem of the segment at `index` in `segments` the API would refuse, at the paths its
 * errors use. Where the API names a field, the same field; where it names only the rule (zod's
 * union gives up at the top when a nested number is missing), the input that is wrong.
 */
export function segmentIssues(segments: readonly unknown[], index: number): Issue[] {
  const segment = segments[index];
  const at = segmentPath(index);
  if (!isObject(segment)) return [{ path: at, code: 'shape' }];
  const issues: Issue[] = [];
  if (segments.length > LIMITS.segments)
    issues.push({ path: 'program.analytics.segments', code: 'tooMany', detail: String(LIMITS.segments) });
  const { id, name } = segment;
  if (typeof id !== 'string' || !SEGMENT_ID.test(id)) issues.push({ path: `${at}.id`, code: 'idFormat' });
  else if (segments.some((other, i) => i !== index && isObject(other) && other.id === id))
    issues.push({ path: `${at}.id`, code: 'idTaken' });
  if (typeof name !== 'string' || name.trim() === '') issues.push({ path: `${at}.name`, code: 'nameRequired' });
  else if (name.trim().length > LIMITS.name) issues.push({ path: `${at}.name`, code: 'nameTooLong', detail: String(LIMITS.name) });
  for (const key of Object.keys(segment)) if (!['id', 'name', 'rule'].includes(key)) issues.push({ path: `${at}.${key}`, code: 'shape' });
  issues.push(...ruleIssues(segment.rule, `${at}.rule`));
  return issues;
}

/** A rule's problems; `depth` counts as the API does: a condition is 1, `{not: condition}` is 2. */
export function ruleIssues(rule: unknown, path: string, depth = 1): Issue[] {
  if (!isObject(rule)) return [{ path, code: 'shape' }];
  if (depth > LIMITS.depth) return [{ path, code: 'tooDeep', detail: String(LIMITS.depth) }];
  const keys = Object.keys(rule);
  const group = keys.find((key) => key === 'all' || key === 'any' || key === 'not');
  if (group) {
    if (keys.length !== 1) return [{ path, code: 'shape' }];
    if (group === 'not') return ruleIssues(rule.not, `${path}.not`, depth + 1);
    const children = rule[group];
    if (!Array.isArray(children)) return [{ path: `${path}.${group}`, code: 'shape' }];
    if (children.length === 0) return [{ path: `${path}.${group}`, code: 'groupEmpty' }];
    if (children.length > LIMITS.children) return [{ path: `${path}.${group}`, code: 'groupTooBig', detail: String(LIMITS.children) }];
    return children.flatMap((child, i) => ruleIssues(child, `${path}.${group}[${i}]`, depth + 1));
  }
  return conditionIssues(rule, path);
}

function conditionIssues(rule: Record<string, unknown>, path: string): Issue[] {
  const { field, op } = rule;
  const kind = kindOf(field);
  if (!kind) return [{ path: `${path}.field`, code: 'field' }];
  if (!OPS[kind].includes(op as Op)) return [{ path: `${path}.op`, code: 'op' }];
  const wanted = kind === 'number' ? (op === 'between' ? ['min', 'max'] : ['value']) : op === 'in' ? ['values'] : ['value'];
  const issues: Issue[] = Object.keys(rule)
    .filter((key) => key !== 'field' && key !== 'op' && !wanted.includes(key))
    .map((key) => ({ path: `${path}.${key}`, code: 'shape' as const }));
  if (kind === 'number') {
    for (const key of wanted) {
      const value = rule[key];
      if (typeof value !== 'number' || !Number.isFinite(value)) issues.push({ path: `${path}.${key}`, code: 'number' });
    }
    if (op === 'between' && typeof rule.min === 'number' && typeof rule.max === 'number' && rule.min > rule.max)
      issues.push({ path, code: 'minMax' });
    return issues;
  }
  const given = op === 'in' ? rule.values : [rule.value];
  if (op === 'in') {
    if (!Array.isArray(given)) return [...issues, { path: `${path}.values`, code: 'shape' }];
    if (given.length === 0) issues.push({ path: `${path}.values`, code: 'listEmpty' });
    if (given.length > LIMITS.values) issues.push({ path: `${path}.values`, code: 'listTooLong', detail: String(LIMITS.values) });
  }
  const texts = given as unknown[];
  texts.forEach((value, i) => {
    const at = op === 'in' ? `${path}.values[${i}]` : `${path}.value`;
    if (typeof value !== 'string') issues.push({ path: at, code: value === undefined || value === null ? 'required' : 'text' });
    else if (value.trim() === '') issues.push({ path: at, code: 'required' });
    else if (value.trim().length > LIMITS.text) issues.push({ path: at, code: 'tooLong', detail: String(LIMITS.text) });
  });
  const closed = typeof field === 'string' ? CLOSED_VALUES[field] : undefined;
  if (closed && issues.length === 0) {
    const allowed = closed.map((value) => value.toLowerCase());
    for (const value of texts as string[])
      if (!allowed.includes(value.trim().toLowerCase())) issues.push({ path, code: 'notOneOf', detail: value });
  }
  return issues;
}

/* ---------------- from an error's field to the node ---------------- */

export type InputName = 'field' | 'op' | 'value' | 'values' | 'min' | 'max';

export type Location =
  | { where: 'id' }
  | { where: 'name' }
  /** A node of the tree, and the input the field names (none: the node as a whole). */
  | { where: 'node'; key: string; input?: InputName }
  /** Inside the rule, while the tree is not shown (the rule is edited as JSON). */
  | { where: 'rule'; path: string }
  /** Elsewhere in the program, or the segment as a whole. */
  | { where: 'other' };

/** Each node's paths in the API's terms: `outer` names it with its `not`, `inner` what the `not` holds. */
export function nodePaths(tree: RuleNode, path: string): Array<{ key: string; outer: string; inner: string }> {
  const inner = tree.not ? `${path}.not` : path;
  const own = { key: tree.key, outer: path, inner };
  if (tree.kind === 'condition') return [own];
  return [own, ...tree.children.flatMap((child, i) => nodePaths(child, `${inner}.${tree.match}[${i}]`))];
}

const within = (field: string, path: string) => field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`);

/**
 * Where an error's `field` (the API's, or an Issue's path) belongs in the editor of the segment at
 * `index`: its id, its name, a node of the tree and the input of that node, or elsewhere. The
 * deepest node whose path holds the field wins; what follows names the input.
 */
export function locate(field: string, index: number, tree: RuleNode | null): Location {
  const at = segmentPath(index);
  if (field === `${at}.id`) return { where: 'id' };
  if (field === `${at}.name`) return { where: 'name' };
  const rulePath = `${at}.rule`;
  if (!within(field, rulePath)) return { where: 'other' };
  if (!tree) return { where: 'rule', path: field.slice(at.length + 1) };
  let best: { key: string; rest: string; length: number } | undefined;
  for (const node of nodePaths(tree, rulePath)) {
    for (const path of [node.inner, node.outer]) {
      if (within(field, path) && (!best || path.length > best.length))
        best = { key: node.key, rest: field.slice(path.length), length: path.length };
    }
  }
  if (!best) return { where: 'rule', path: field.slice(at.length + 1) };
  // `.all` of a group (empty, too long) is the group's own problem: it has no input of that name.
  const input = /^\.(field|op|value|values|min|max)\b/.exec(best.rest)?.[1] as InputName | undefined;
  return input ? { where: 'node', key: best.key, input } : { where: 'node', key: best.key };
}

/** Each node's number as the form shows it (the rule's own children 1, 2…; inside group 2: 2.1, 2.2…). The rule itself is ''. */
export function numberNodes(tree: RuleNode, prefix = '', numbers = new Map<string, string>()): Map<string, string> {
  numbers.set(tree.key, prefix);
  if (tree.kind === 'group')
    tree.children.forEach((child, i) => {
      numberNodes(child, prefix ? `${prefix}.${i + 1}` : String(i + 1), numbers);
    });
  return numbers;
}

/* ---------------- the segment in its program ---------------- */

/** The schema's default when a program has no `analytics` yet (shared/loyalty/program.ts DEFAULT_ANALYTICS). */
export const DEFAULT_ANALYTICS = { winBackPAliveBelow: 0.3, segments: [] as RuleSegment[] };

/** The rule segments a program holds. */
export function ruleSegmentsOf(program: Program): RuleSegment[] {
  const analytics = program.analytics as { segments?: RuleSegment[] } | undefined;
  return analytics?.segments ?? [];
}

/** The program with `segment` at `index` (past the end: added), or with the segment at `index` removed when `segment` is null. */
export function withSegment(program: Program, index: number, segment: unknown): Program {
  const next = structuredClone(program);
  const analytics = (next.analytics ?? structuredClone(DEFAULT_ANALYTICS)) as { segments: unknown[]; [key: string]: unknown };
  const segments = [...(analytics.segments ?? [])];
  if (segment === null) segments.splice(index, 1);
  else segments[index] = segment;
  next.analytics = { ...analytics, segments };
  return next;
}

/** An id made from a name: Vietnamese letters lose their marks (Khách VIP Hà Nội → khach-vip-ha-noi). */
export function slugOf(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, LIMITS.id)
    .replace(/-+$/, '');
}
