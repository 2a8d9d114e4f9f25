import * as z from 'zod';
import { RFM_SEGMENT_NAMES } from './rfm.ts';

/**
 * Rule segments (DESIGN §6, issue 5 item 5): a shop names segments and defines each by a rule —
 * a boolean tree (all / any / not) of conditions over profile fields. The document is validated
 * once with zod and compiled to plain predicates, so evaluating a profile is a few comparisons.
 *
 * A condition on a field the profile does not have (no birthday, no NPS yet…) is false, whatever
 * its operator — `neq` included; wrap it in `not` to select the customers without the fact.
 * Text comparisons ignore case and surrounding spaces.
 */

export const AGE_BANDS = ['under-18', '18-24', '25-34', '35-44', '45-54', '55-64', '65+'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

export const EMAIL_CONSENTS = ['subscribed', 'unsubscribed', 'suppressed'] as const;

/** Fields with a text value. `topCategory` is the customer's first (biggest) category. */
export const TEXT_FIELDS = ['ageBand', 'gender', 'country', 'city', 'tier', 'rfmSegment', 'topCategory', 'emailConsent'] as const;
/** Fields with a numeric value. `nps` is the latest NPS answer. */
export const NUMBER_FIELDS = ['age', 'totalSpent', 'orderCount', 'daysSinceLastOrder', 'pAlive', 'clv', 'nps'] as const;

const text = z.string().trim().min(1).max(200);
const number = z.number().finite();

const conditionSchema = z.union([
  z.strictObject({ field: z.enum(TEXT_FIELDS), op: z.enum(['eq', 'neq']), value: text }),
  z.strictObject({ field: z.enum(TEXT_FIELDS), op: z.literal('in'), values: z.array(text).min(1).max(500) }),
  z.strictObject({ field: z.enum(NUMBER_FIELDS), op: z.enum(['eq', 'neq', 'gte', 'lte']), value: number }),
  z
    .strictObject({ field: z.enum(NUMBER_FIELDS), op: z.literal('between'), min: number, max: number })
    .refine((c) => c.min <= c.max, { message: 'between needs min ≤ max' }),
  z.strictObject({ field: z.literal('topCategories'), op: z.literal('contains'), value: text }),
]);

export type SegmentCondition = z.infer<typeof conditionSchema>;

const MAX_DEPTH = 12;
const MAX_CHILDREN = 100;

// A recursive schema needs its type written out: zod cannot infer through z.lazy.
export type SegmentRule = SegmentCondition | { all: SegmentRule[] } | { any: SegmentRule[] } | { not: SegmentRule };

export const ruleSchema: z.ZodType<SegmentRule> = z.lazy(() =>
  z.union([
    conditionSchema,
    z.strictObject({ all: z.array(ruleSchema).min(1).max(MAX_CHILDREN) }),
    z.strictObject({ any: z.array(ruleSchema).min(1).max(MAX_CHILDREN) }),
    z.strictObject({ not: ruleSchema }),
  ]),
);

/**
 * A rule's depth and breadth, measured without recursion and before the recursive schema reads it:
 * zod recurses once per level, so a rule nested a few thousand levels deep would overflow the stack
 * inside the parse (a RangeError, not a validation error). The issue names the first node past the
 * limit (`rule.not.not…`). Counts levels as the rule does: a condition is 1, `{not: condition}` is 2.
 */
function checkRuleSize(rule: unknown, ctx: z.RefinementCtx): void {
  const stack: Array<{ node: unknown; path: (string | number)[]; depth: number }> = [{ node: rule, path: [], depth: 1 }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { node, path, depth } = next;
    if (node === null || typeof node !== 'object' || Array.isArray(node)) continue;
    if (depth > MAX_DEPTH) {
      ctx.addIssue({ code: 'custom', path, message: `rule nested deeper than ${MAX_DEPTH} levels` });
      return;
    }
    const { all, any, not } = node as Record<string, unknown>;
    for (const [key, children] of [
      ['all', all],
      ['any', any],
    ] as const) {
      if (!Array.isArray(children)) continue;
      if (children.length > MAX_CHILDREN) {
        ctx.addIssue({ code: 'custom', path: [...path, key], message: `at most ${MAX_CHILDREN} rules in ${key}` });
        return;
      }
      children.forEach((child, i) => {
        stack.push({ node: child, path: [...path, key, i], depth: depth + 1 });
      });
    }
    if (not !== undefined) stack.push({ node: not, path: [...path, 'not'], depth: depth + 1 });
  }
}

/** The rule as a segment holds it: sized first, then parsed (a pipe stops at the first schema's issues). */
const boundedRuleSchema = z.unknown().superRefine(checkRuleSize).pipe(ruleSchema);

/** Values a text field can take, where the set is closed: a typo there would silently match nobody. */
const CLOSED_VALUES: Partial<Record<(typeof TEXT_FIELDS)[number], readonly string[]>> = {
  ageBand: AGE_BANDS,
  rfmSegment: RFM_SEGMENT_NAMES,
  emailConsent: EMAIL_CONSENTS,
};

function checkValues(rule: SegmentRule, path: (string | number)[], ctx: z.RefinementCtx): void {
  if ('all' in rule) {
    for (const [k, r] of rule.all.entries()) checkValues(r, [...path, 'all', k], ctx);
  } else if ('any' in rule) {
    for (const [k, r] of rule.any.entries()) checkValues(r, [...path, 'any', k], ctx);
  } else if ('not' in rule) checkValues(rule.not, [...path, 'not'], ctx);
  else if (rule.field in CLOSED_VALUES && (rule.op === 'eq' || rule.op === 'neq' || rule.op === 'in')) {
    const allowed = (CLOSED_VALUES[rule.field as keyof typeof CLOSED_VALUES] as readonly string[]).map((v) => v.toLowerCase());
    const given = 'values' in rule ? rule.values : [rule.value as string];
    for (const value of given) {
      if (!allowed.includes(value.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${rule.field} "${value}" is not one of ${(CLOSED_VALUES[rule.field as keyof typeof CLOSED_VALUES] as readonly string[]).join(', ')}`,
        });
      }
    }
  }
}

export const segmentsDocumentSchema = z
  .strictObject({
    segments: z
      .array(
        z.strictObject({
          id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'id: lower-case letters, digits, - and _, at most 64'),
          name: z.string().trim().min(1).max(100),
          rule: boundedRuleSchema,
        }),
      )
      .max(200),
  })
  .superRefine((doc, ctx) => {
    const seen = new Set<string>();
    doc.segments.forEach((segment, k) => {
      if (seen.has(segment.id))
        ctx.addIssue({ code: 'custom', path: ['segments', k, 'id'], message: `duplicate segment id "${segment.id}"` });
      seen.add(segment.id);
      checkValues(segment.rule, ['segments', k, 'rule'], ctx);
    });
  });

export type SegmentsDocument = z.infer<typeof segmentsDocumentSchema>;

/** Validates a shop's segments document (throws zod's error listing every problem). */
export function parseSegmentsDocument(input: unknown): SegmentsDocument {
  return segmentsDocumentSchema.parse(input);
}

/** The facts a rule reads, computed once per profile and reference date. null: not known. */
export interface SegmentFacts {
  age: number | null;
  ageBand: AgeBand | null;
  gender: string | null;
  country: string | null;
  city: string | null;
  tier: string | null;
  rfmSegment: string | null;
  topCategory: string | null;
  topCategories: readonly string[];
  emailConsent: string | null;
  totalSpent: number | null;
  orderCount: number | null;
  daysSinceLastOrder: number | null;
  pAlive: number | null;
  clv: number | null;
  nps: number | null;
}

/**
 * What evaluateSegments reads from a profile — the shape of the API's profile view (ProfileView),
 * so a view can be passed as it is. `rfm` is read as `{ segment }` and `clv` as `{ pAlive, clv }`
 * when they are objects.
 */
export interface SegmentableProfile {
  birthday?: string | null;
  gender?: string | null;
  country?: string | null;
  city?: string | null;
  tier?: string | null;
  totalSpent?: number | { amount: number } | null;
  orderCount?: number | null;
  lastOrderAt?: string | null;
  topCategories?: readonly string[] | null;
  consent?: { email?: string | null } | null;
  feedback?: { nps?: number | null } | null;
  rfm?: unknown;
  clv?: unknown;
}

const DAY_MS = 86_400_000;
const utcDay = (ms: number) => Math.floor(ms / DAY_MS);

export function ageBandOf(age: number): AgeBand {
  if (age < 18) return 'under-18';
  if (age < 25) return '18-24';
  if (age < 35) return '25-34';
  if (age < 45) return '35-44';
  if (age < 55) return '45-54';
  if (age < 65) return '55-64';
  return '65+';
}

/** Whole years from a 'YYYY-MM-DD' birthday to the reference day (a 29 February birthday turns on 1 March). */
export function ageOn(birthday: string, on: Date): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthday);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const onMonth = on.getUTCMonth() + 1;
  const onDay = on.getUTCDate();
  const age = on.getUTCFullYear() - year - (onMonth < month || (onMonth === month && onDay < day) ? 1 : 0);
  return age >= 0 && age < 150 ? age : null;
}

const lower = (value: string | null | undefined) => (typeof value === 'string' && value.trim() !== '' ? value.trim().toLowerCase() : null);
const finite = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const objectOf = (value: unknown) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined);

/** The facts of a profile at a reference time (its UTC day is the day ages and days since are counted on). */
export function segmentFacts(profile: SegmentableProfile, now: Date): SegmentFacts {
  const age = profile.birthday ? ageOn(profile.birthday, now) : null;
  const spent = profile.totalSpent;
  const lastOrder = profile.lastOrderAt ? Date.parse(profile.lastOrderAt) : Number.NaN;
  const categories = (profile.topCategories ?? []).map((c) => c.trim().toLowerCase());
  const rfm = objectOf(profile.rfm);
  const clv = objectOf(profile.clv);
  return {
    age,
    ageBand: age === null ? null : ageBandOf(age),
    gender: lower(profile.gender),
    country: lower(profile.country),
    city: lower(profile.city),
    tier: lower(profile.tier),
    rfmSegment: lower(typeof rfm?.segment === 'string' ? rfm.segment : null),
    topCategory: categories[0] ?? null,
    topCategories: categories,
    emailConsent: lower(profile.consent?.email),
    totalSpent: typeof spent === 'number' ? finite(spent) : finite(spent?.amount),
    orderCount: finite(profile.orderCount),
    daysSinceLastOrder: Number.isNaN(lastOrder) ? null : utcDay(now.getTime()) - utcDay(lastOrder),
    pAlive: finite(clv?.pAlive),
    clv: finite(clv?.expectedValue12m ?? clv?.clv),
    nps: finite(profile.feedback?.nps),
  };
}

type Predicate = (facts: SegmentFacts) => boolean;

function compileRule(rule: SegmentRule): Predicate {
  if ('all' in rule) {
    const parts = rule.all.map(compileRule);
    return (facts) => parts.every((part) => part(facts));
  }
  if ('any' in rule) {
    const parts = rule.any.map(compileRule);
    return (facts) => parts.some((part) => part(facts));
  }
  if ('not' in rule) {
    const inner = compileRule(rule.not);
    return (facts) => !inner(facts);
  }
  if (rule.field === 'topCategories') {
    const wanted = rule.value.trim().toLowerCase();
    return (facts) => facts.topCategories.includes(wanted);
  }
  if (rule.op === 'in') {
    const field = rule.field;
    const wanted = new Set(rule.values.map((v) => v.trim().toLowerCase()));
    return (facts) => {
      const value = facts[field];
      return value !== null && wanted.has(value);
    };
  }
  if (rule.op === 'between') {
    const { field, min, max } = rule;
    return (facts) => {
      const value = facts[field];
      return value !== null && value >= min && value <= max;
    };
  }
  if ((TEXT_FIELDS as readonly string[]).includes(rule.field)) {
    const field = rule.field as (typeof TEXT_FIELDS)[number];
    const wanted = String(rule.value).trim().toLowerCase();
    return rule.op === 'eq'
      ? (facts) => facts[field] === wanted
      : (facts) => {
          const value = facts[field];
          return value !== null && value !== wanted;
        };
  }
  const field = rule.field as (typeof NUMBER_FIELDS)[number];
  const wanted = rule.value as number;
  switch (rule.op) {
    case 'eq':
      return (facts) => facts[field] === wanted;
    case 'neq':
      return (facts) => {
        const value = facts[field];
        return value !== null && value !== wanted;
      };
    case 'gte':
      return (facts) => {
        const value = facts[field];
        return value !== null && value >= wanted;
      };
    default:
      return (facts) => {
        const value = facts[field];
        return value !== null && value <= wanted;
      };
  }
}

export type CompiledSegments = (facts: SegmentFacts) => string[];

/** The document as one function from facts to the ids of the matching segments, in document order. */
export function compileSegments(doc: SegmentsDocument): CompiledSegments {
  const compiled = doc.segments.map((segment) => ({ id: segment.id, matches: compileRule(segment.rule) }));
  return (facts) => {
    const ids: string[] = [];
    for (const segment of compiled) if (segment.matches(facts)) ids.push(segment.id);
    return ids;
  };
}

const compiledDocuments = new WeakMap<SegmentsDocument, CompiledSegments>();

/**
 * The ids of the segments the profile is in at `now`, in the document's order. The document must
 * have been validated (parseSegmentsDocument); its compiled form is kept for as long as it lives.
 */
export function evaluateSegments(profile: SegmentableProfile, doc: SegmentsDocument, now: Date): string[] {
  let compiled = compiledDocuments.get(doc);
  if (!compiled) {
    compiled = compileSegments(doc);
    compiledDocuments.set(doc, compiled);
  }
  return compiled(segmentFacts(profile, now));
}
