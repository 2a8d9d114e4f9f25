import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeShopify } from '#shared/connectors/shopify.ts';
import type { ConnectorContext, NormalizeResult, Normalizer } from '#shared/connectors/types.ts';
import { normalizeWooCommerce } from '#shared/connectors/woocommerce.ts';
import { CanonicalEventSchema } from '#shared/domain/event.ts';
import { type FixtureSource, fixtureNames, type JsonValue, loadFixture } from '#test/support/fixtures.ts';

/**
 * Random and hostile bodies never make a normalizer throw, and whatever it answers is one of the
 * three outcomes: valid canonical events of this shop, an unknown topic, or `invalid` naming a field.
 */

const TOPICS = {
  shopify: [
    'orders/create',
    'orders/paid',
    'orders/updated',
    'orders/cancelled',
    'orders/delete',
    'refunds/create',
    'customers/create',
    'customers/update',
    'customers/delete',
    'customers/data_request',
    'customers/redact',
    'shop/redact',
  ],
  woocommerce: ['order.created', 'order.updated', 'order.deleted', 'customer.created', 'customer.updated', 'customer.deleted'],
};

/** JSON texts that JSON.stringify cannot produce, spliced in where a placeholder string stands. */
const LITERALS = [
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '-9007199254740993',
  '9007199254740993.5',
  '-0',
  '0.1',
  '"-29.35"',
  '"1e5"',
  '"NaN"',
  '"2021-02-30T00:00:00Z"',
  '"2021-12-31T19:00:00"',
  '"gid://shopify/Order/1"',
  '""',
  '"   "',
  '"\\u0000"',
  '{"__proto__":{"polluted":true}}',
  '[]',
  '{}',
  'null',
  'true',
];

const literal = fc.integer({ min: 0, max: LITERALS.length - 1 }).map((i) => `@@LIT${i}@@`);
const leaf: fc.Arbitrary<JsonValue> = fc.oneof(
  literal,
  fc.jsonValue() as fc.Arbitrary<JsonValue>,
  fc.constantFrom<JsonValue>('10.00', '-10.00', 'USD', 'EUR', 'refund', 'success', 'paid', 'processing', 0, -1, 1.5, 2 ** 53),
);

function pathsOf(value: JsonValue, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if (Array.isArray(value)) {
    for (const [i, child] of value.entries()) pathsOf(child, [...path, i], out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) pathsOf(child, [...path, key], out);
  }
  return out;
}

function setAt(root: JsonValue, path: (string | number)[], value: JsonValue | undefined): JsonValue {
  if (path.length === 0) return value ?? null;
  let node = root as Record<string | number, JsonValue>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, JsonValue>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined && !Array.isArray(node)) delete node[last];
  else node[last] = value ?? null;
  return root;
}

const serialize = (value: JsonValue) => JSON.stringify(value).replace(/"@@LIT(\d+)@@"/g, (_, i: string) => LITERALS[Number(i)] as string);

/** A real fixture with a few of its fields replaced, removed or given hostile values. */
const mutatedFixture = (source: FixtureSource) =>
  fc
    .record({
      name: fc.constantFrom(...fixtureNames(source)),
      edits: fc.array(fc.tuple(fc.nat(), fc.option(leaf, { nil: undefined })), { minLength: 1, maxLength: 4 }),
    })
    .map(({ name, edits }) => {
      let body: JsonValue = structuredClone(loadFixture(source, name as never).body);
      for (const [pick, value] of edits) {
        const paths = pathsOf(body);
        body = setAt(body, paths[pick % paths.length] ?? [], value);
      }
      return serialize(body);
    });

const bodies = (source: FixtureSource) =>
  fc.oneof(
    { weight: 5, arbitrary: mutatedFixture(source) },
    { weight: 2, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: leaf.map((value) => serialize(value)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: mutatedFixture(source).map((text) => text.slice(0, Math.floor(text.length / 2))) },
  );

const contexts = fc.record({
  shopId: fc.constant('fuzz-shop'),
  currency: fc.constantFrom('USD', 'USD', 'USD', 'VND', 'JPY', 'KWD', 'EUR', 'XAU'),
  ignoreTestOrders: fc.boolean(),
  receivedAt: fc.constant(new Date('2026-03-01T10:00:00.000Z')),
  deliveryId: fc.option(fc.oneof(fc.uuid(), fc.string({ maxLength: 200 })), { nil: undefined }),
  headers: fc.record({
    'x-shopify-triggered-at': fc.option(fc.oneof(fc.string(), fc.constant('2026-03-01T09:59:59.5Z')), { nil: undefined }),
  }),
}) as fc.Arbitrary<ConnectorContext>;

function checkAnswer(normalize: Normalizer, topic: string, body: string, ctx: ConnectorContext): NormalizeResult['kind'] {
  const result = normalize(topic, body, ctx);
  switch (result.kind) {
    case 'events':
      expect(Number.isInteger(result.ignored) && result.ignored >= 0).toBe(true);
      for (const event of result.events) {
        expect(CanonicalEventSchema.safeParse(event).success).toBe(true);
        expect(event.shopId).toBe('fuzz-shop');
        if (event.order) expect(event.order.currency).toBe(ctx.currency);
        if (event.refund) expect(event.refund.currency).toBe(ctx.currency);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      break;
    case 'invalid':
      expect(result.field.length).toBeGreaterThan(0);
      expect(result.message.startsWith(`${result.field}: `)).toBe(true);
      break;
    case 'unknown_topic':
      expect(TOPICS.shopify.includes(topic.trim().toLowerCase()) || TOPICS.woocommerce.includes(topic.trim().toLowerCase())).toBe(false);
      break;
    default:
      expect.fail(`unexpected answer ${JSON.stringify(result)}`);
  }
  return result.kind;
}

describe.each([
  ['shopify', normalizeShopify],
  ['woocommerce', normalizeWooCommerce],
] as const)('%s normalizer under random and hostile bodies', (source, normalize) => {
  it('never throws, and answers only valid events, unknown_topic or invalid with a field', () => {
    const topics = fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom(...TOPICS[source]) },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    );
    const seen = { events: 0, invalid: 0, unknown_topic: 0 };
    fc.assert(
      fc.property(topics, bodies(source), contexts, (topic, body, ctx) => {
        seen[checkAnswer(normalize, topic, body, ctx)]++;
      }),
      { numRuns: 2000 },
    );
    // The bodies are hostile, not hopeless: a fair share still makes it through to events.
    expect(seen.events).toBeGreaterThan(100);
    expect(seen.invalid).toBeGreaterThan(100);
    expect(seen.unknown_topic).toBeGreaterThan(20);
  });

  it('normalizes every untouched fixture under every topic without throwing', () => {
    for (const topic of TOPICS[source]) {
      for (const name of fixtureNames(source)) {
        const ctx: ConnectorContext = {
          shopId: 'fuzz-shop',
          currency: 'USD',
          ignoreTestOrders: false,
          receivedAt: new Date(),
          headers: {},
        };
        checkAnswer(normalize, topic, loadFixture(source, name as never).raw, ctx);
      }
    }
  });
});
