import fc from 'fast-check';
import type { JsonValue } from '#test/support/fixtures.ts';

/**
 * Hostile JSON for fuzzing: values put where real payloads have theirs, and texts that
 * JSON.stringify cannot produce (huge or unsafe numbers, deep nesting), spliced in where a
 * placeholder string stands. Shared by the webhook fuzz tests.
 */

const DEEP = 20_000;

/** Deeper than JSON.stringify can recurse (about 4,000 levels on Node 20), yet well under 256 KB. */
export const DEEP_ARRAY = `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`;
export const DEEP_OBJECT = `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`;

export const LITERALS = [
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  `1${'0'.repeat(400)}`,
  '-9007199254740993',
  '9007199254740993.5',
  '-0',
  '0.1',
  '"-29.35"',
  '"1e5"',
  '"NaN"',
  '"Infinity"',
  '"2021-02-30T00:00:00Z"',
  '"2021-12-31T19:00:00"',
  '"gid://shopify/Order/1"',
  '""',
  '"   "',
  '"\\u0000"',
  '"\\ud800"',
  '"</script><script>alert(1)</script>"',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '[]',
  '{}',
  'null',
  'true',
  DEEP_ARRAY,
  DEEP_OBJECT,
  `"${'x'.repeat(10_000)}"`,
];

const literal = fc.integer({ min: 0, max: LITERALS.length - 1 }).map((i) => `@@LIT${i}@@`);

/** A value to put somewhere in a payload. */
export const hostileLeaf: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 3, arbitrary: literal },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue> },
  {
    weight: 2,
    arbitrary: fc.constantFrom<JsonValue>(
      '10.00',
      '-10.00',
      '10.005',
      'USD',
      'EUR',
      'VND',
      'refund',
      'success',
      'paid',
      'processing',
      'refunded',
      'checkout-draft',
      0,
      -1,
      1.5,
      2 ** 53,
      '2026-03-01T10:00:00Z',
    ),
  },
);

export function pathsOf(value: JsonValue, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if (Array.isArray(value)) {
    for (const [i, child] of value.entries()) pathsOf(child, [...path, i], out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) pathsOf(child, [...path, key], out);
  }
  return out;
}

/** Sets (or, with undefined, deletes) the value at `path`; the root itself can be replaced. */
export function setAt(root: JsonValue, path: (string | number)[], value: JsonValue | undefined): JsonValue {
  if (path.length === 0) return value ?? null;
  let node = root as Record<string | number, JsonValue>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, JsonValue>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined && !Array.isArray(node)) delete node[last];
  else node[last] = value ?? null;
  return root;
}

/** JSON text with every placeholder replaced by its literal. */
export const serialize = (value: JsonValue) =>
  JSON.stringify(value).replace(/"@@LIT(\d+)@@"/g, (_, i: string) => LITERALS[Number(i)] as string);

/** An edit: which path (an index into pathsOf, modulo), and the value to put there (undefined deletes). */
export const editsArb = fc.array(fc.tuple(fc.nat(), fc.option(hostileLeaf, { nil: undefined })), { minLength: 1, maxLength: 4 });

/** `base` with the edits applied, as JSON text. */
export function applyEdits(base: JsonValue, edits: Array<[number, JsonValue | undefined]>): string {
  let body: JsonValue = structuredClone(base);
  for (const [pick, value] of edits) {
    const paths = pathsOf(body);
    body = setAt(body, paths[pick % paths.length] ?? [], value);
  }
  return serialize(body);
}

/** Text-level damage: `count` bytes replaced by random ones, at positions given as fractions. */
export const garbleArb = fc.array(
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 255 })),
  {
    minLength: 1,
    maxLength: 6,
  },
);

export function garble(text: string, damage: Array<[number, number]>): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  for (const [at, byte] of damage) if (bytes.length > 0) bytes[Math.floor(at * bytes.length)] = byte;
  return bytes;
}
