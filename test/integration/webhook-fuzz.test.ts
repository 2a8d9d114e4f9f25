import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, DeleteCommand, PutCommand, ScanCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { type DynamoEngine, isLoopbackEndpoint, sqsClientFor } from '#infra/local/emulators.ts';
import { type Runtime, startRuntime } from '#infra/local/runtime.ts';
import { documentClient } from '#shared/aws/dynamodb.ts';
import { sqsClient } from '#shared/aws/sqs.ts';
import { parseJsonExact } from '#shared/connectors/safe-json.ts';
import { db } from '#shared/deps.ts';
import { hmacSha256 } from '#shared/domain/crypto.ts';
import { signBase64Hmac, signGeneric } from '#shared/domain/signature.ts';
import { createShop } from '#shared/use-cases/create-shop.ts';
import { anOrder, orderEvent } from '#test/support/factories.ts';
import { type FixtureName, fixtureNames, type JsonObject, type JsonValue, loadFixture } from '#test/support/fixtures.ts';
import { applyEdits, DEEP_ARRAY, DEEP_OBJECT, editsArb, garble, garbleArb } from '#test/support/hostile.ts';

/**
 * Issue 3, second acceptance item: 2,000 malformed or hostile deliveries per webhook route, through
 * the real handler (functions/webhook.ts, in-process: middy chain, error mapping) on the real
 * emulators (DynamoDB, SQS). Bodies, headers, shop ids and signatures are all fuzzed, and a good
 * share of hostile bodies is correctly signed, so the normalizers and validation are reached, not
 * just the HMAC check. For every delivery:
 *
 * - the answer is one of 200/202/400/401/413, JSON, with `error.code` on 4xx (and the field on 400);
 * - the status is the one the contract gives for what was sent — 413 over 256 KB, 400 for a
 *   malformed shop id, 200 for the WooCommerce ping to any well-formed shop id, 401 for anything
 *   not signed with the shop's secret, an unknown shop's included (a webhook route never tells
 *   whether a shop exists) — and only a correctly signed delivery is ever read further;
 * - nothing is enqueued or written unless the answer is 2xx, and a 2xx enqueues exactly `accepted`.
 *
 * No consumer runs here (the runtime starts no function), so the queue's length is exactly what the
 * webhook enqueued, and is checked against the answers at the end.
 */

const RUNS = Number(process.env.WEBHOOK_FUZZ_RUNS ?? 2000);
const SECRETS = {
  shopify: 'shpss_fuzz-0123456789abcdef0123456789',
  woocommerce: 'wc-fuzz-secret-0123456789',
  generic: 'generic-fuzz-secret-0123456789abcdef',
} as const;
type Source = keyof typeof SECRETS;
const WRONG_SECRET = 'a-secret-that-is-not-the-shops-000';
const MAX_BODY = 256 * 1024;

/** fuzz-shop keeps test orders, fuzz-default ignores them; fuzz-nosecret has no Shopify/WooCommerce secret (and a generic one nobody here knows). */
const SIGNED_SHOPS = ['fuzz-shop', 'fuzz-default'];
const EXISTING_SHOPS = [...SIGNED_SHOPS, 'fuzz-nosecret'];
/** Shop ids are 2–63 lower-case letters, digits and dashes, starting with a letter or digit (POST /admin/shops). */
const SHOP_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

let runtime: Runtime;
let handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let sqsSend: MockInstance;
let dbSend: MockInstance;

beforeAll(async () => {
  // The emulators and the environment the functions read; no function runs, nothing consumes the queue.
  runtime = await startRuntime({
    port: 0,
    dataDir: null,
    dynamodb: (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine,
    functions: [],
    drainTimeoutMs: 0,
    log: () => {},
  });
  for (const endpoint of [runtime.endpoints.dynamodb, runtime.endpoints.sqs]) {
    if (!isLoopbackEndpoint(endpoint)) throw new Error(`refusing to test against ${endpoint}`);
  }
  const deps = {
    db: db(),
    masterKey: async () => process.env.RAPPORT_MASTER_KEY as string,
    adminKey: async () => runtime.adminKey,
    now: () => new Date(),
  };
  const shop = { name: 'Fuzz', currency: 'USD', timezone: 'America/Toronto', locale: 'en-US' };
  await createShop({ ...shop, shopId: 'fuzz-shop', secrets: SECRETS, settings: { ignoreTestOrders: false } }, deps);
  await createShop({ ...shop, shopId: 'fuzz-default', secrets: SECRETS }, deps);
  await createShop({ ...shop, shopId: 'fuzz-nosecret' }, deps);
  handler = (await import('#functions/webhook.ts')).handler as unknown as typeof handler;
  sqsSend = vi.spyOn(sqsClient(), 'send');
  dbSend = vi.spyOn(documentClient(), 'send');
});

afterAll(async () => {
  sqsSend?.mockRestore();
  dbSend?.mockRestore();
  await runtime?.stop();
});

const WRITES = [PutCommand, UpdateCommand, DeleteCommand, BatchWriteCommand, TransactWriteCommand];
const counters = () => ({
  enqueued: sqsSend.mock.calls
    .map(([command]) => command)
    .filter((command): command is SendMessageBatchCommand => command instanceof SendMessageBatchCommand)
    .reduce((sum, command) => sum + (command.input.Entries?.length ?? 0), 0),
  writes: dbSend.mock.calls.filter(([command]) => WRITES.some((type) => command instanceof type)).length,
});

// ── what a delivery is made of ────────────────────────────────────────────────────────────────

interface Body {
  bytes: Buffer;
  /** API Gateway hands binary bodies over base64-encoded. */
  base64: boolean;
}
/** Counterexamples show a body as its text (cut short), not as a list of bytes. */
function shown(body: Body): Body {
  const preview = body.bytes.toString('utf8');
  const cut = preview.length > 300 ? `${preview.slice(0, 300)}… (${body.bytes.length} bytes)` : preview;
  return Object.assign(body, { [fc.toStringMethod]: () => `${body.base64 ? 'base64 of ' : ''}${JSON.stringify(cut)}` });
}
const text = (value: string): Body => shown({ bytes: Buffer.from(value, 'utf8'), base64: false });
const binary = (bytes: Uint8Array | Buffer): Body => shown({ bytes: Buffer.from(bytes), base64: true });

type Signing =
  | 'valid'
  | 'padded'
  | 'wrong-secret'
  | 'other-sender'
  | 'missing'
  | 'garbage'
  | 'hex'
  | 'empty'
  | 'stale'
  | 'future'
  | 'rotated'
  | 'upper-hex';
type Mutation = { kind: 'drop' | 'duplicate' | 'oversize' | 'garbage' | 'empty' | 'unicode'; header: string; garbage: string };

interface Delivery {
  shopId: string | undefined;
  topic: string | undefined;
  body: Body;
  signing: Signing;
  deliveryId: string | undefined;
  triggeredAt: string | undefined;
  mutations: Mutation[];
  extra: Record<string, string>;
}

const HEADERS: Record<Source, { signature: string; others: string[] }> = {
  shopify: {
    signature: 'x-shopify-hmac-sha256',
    others: ['x-shopify-topic', 'x-shopify-webhook-id', 'x-shopify-triggered-at', 'x-shopify-shop-domain', 'content-type'],
  },
  woocommerce: {
    signature: 'x-wc-webhook-signature',
    others: ['x-wc-webhook-topic', 'x-wc-webhook-delivery-id', 'x-wc-webhook-resource', 'x-wc-webhook-id', 'content-type'],
  },
  generic: { signature: 'x-rapport-signature', others: ['content-type'] },
};

const TOPICS: Record<Exclude<Source, 'generic'>, string[]> = {
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

/** The topic each sample body is sent under when it is sent as itself. */
const SHOPIFY_TOPIC_OF: Record<FixtureName<'shopify'>, string> = {
  orders_create: 'orders/create',
  orders_paid: 'orders/paid',
  orders_delete: 'orders/delete',
  refunds_create: 'refunds/create',
  customers_create: 'customers/create',
  customers_update: 'customers/update',
  customers_delete: 'customers/delete',
  customers_data_request: 'customers/data_request',
  customers_redact: 'customers/redact',
  shop_redact: 'shop/redact',
};

/** Text that is fine for a person to type but hard for a pipeline: emoji, non-characters, controls, RTL, NUL. */
const AWKWARD_TEXT = [
  'Trà Sen 🌸',
  '👩‍👩‍👧',
  'A\uffffB',
  '\ufffe',
  '\u0000',
  '\u202eevil',
  'x\ud800y',
  '\u0007bell',
  'Zoë ß ﬁ',
  '٣٤٥',
  ' ',
];

/** WooCommerce and Shopify JSON fixtures as JSON values, with the text fields a profile shows. */
const TEXT_FIELDS: Record<Exclude<Source, 'generic'>, Array<{ name: string; path: (string | number)[]; topic: string }>> = {
  shopify: [
    { name: 'customers_create', path: ['first_name'], topic: 'customers/create' },
    { name: 'customers_create', path: ['default_address', 'city'], topic: 'customers/update' },
    { name: 'orders_paid', path: ['customer', 'last_name'], topic: 'orders/paid' },
    { name: 'orders_paid', path: ['line_items', 0, 'title'], topic: 'orders/updated' },
    { name: 'orders_paid', path: ['line_items', 1, 'sku'], topic: 'orders/create' },
  ],
  woocommerce: [
    { name: 'customer', path: ['first_name'], topic: 'customer.created' },
    { name: 'order', path: ['billing', 'city'], topic: 'order.created' },
    { name: 'order', path: ['line_items', 0, 'name'], topic: 'order.updated' },
  ],
};

function withText(source: Exclude<Source, 'generic'>, field: { name: string; path: (string | number)[] }, value: string): string {
  const body = loadFixture(source, field.name as never).body;
  let node = body as Record<string | number, JsonValue>;
  for (const key of field.path.slice(0, -1)) node = node[key] as Record<string | number, JsonValue>;
  node[field.path[field.path.length - 1] as string | number] = value;
  // Shopify's test orders would be dropped before the text reaches anything.
  if (source === 'shopify' && 'test' in body) body.test = false;
  return JSON.stringify(body);
}

// ── arbitraries ──────────────────────────────────────────────────────────────────────────────

const shopIdArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 14, arbitrary: fc.constant('fuzz-shop') },
  { weight: 3, arbitrary: fc.constant('fuzz-default') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      'FUZZ-SHOP',
      'Fuzz-Shop',
      ' fuzz-shop',
      'fuzz-shop ',
      'no-such-shop',
      'fuzz-nosecret',
      'x'.repeat(10_240),
      'cửa-hàng',
      '../../admin/shops',
      'fuzz-shop/../fuzz-default',
      '..%2F..%2Fadmin',
      'fuzz-shop\u0000',
      'a',
      '-fuzz',
      'fuzz_shop',
      '__proto__',
      'constructor',
      'SHOP#fuzz-shop',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 80, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const signingArb: fc.Arbitrary<Signing> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Signing>('valid') },
  {
    weight: 6,
    arbitrary: fc.constantFrom<Signing>(
      'padded',
      'wrong-secret',
      'other-sender',
      'missing',
      'garbage',
      'hex',
      'empty',
      'stale',
      'future',
      'rotated',
      'upper-hex',
    ),
  },
);

const headerValueArb = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60, unit: 'binary' }), fc.constantFrom('', ' ', ','));

const mutationsArb = (source: Source) =>
  fc.array(
    fc.record({
      kind: fc.constantFrom<Mutation['kind']>('drop', 'duplicate', 'oversize', 'garbage', 'empty', 'unicode'),
      header: fc.constantFrom(HEADERS[source].signature, ...HEADERS[source].others),
      garbage: headerValueArb,
    }),
    { maxLength: 2 },
  );

const extraHeadersArb = fc.dictionary(fc.stringMatching(/^x-[a-z-]{1,16}$/), fc.string({ maxLength: 40 }), { maxKeys: 3 });

const deliveryIdArb = fc.oneof(
  { weight: 8, arbitrary: fc.uuid() },
  { weight: 2, arbitrary: fc.constantFrom('dup-1', 'dup-2') },
  {
    weight: 2,
    arbitrary: fc.constantFrom<string | undefined>(undefined, '', ' ', '../x', 'x'.repeat(128), 'x'.repeat(129), 'ñ', 'a b', 'SHOP#x#DLV'),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 140 }) },
);

const triggeredAtArb = fc.oneof(
  fc.constant(undefined),
  fc.constant('2026-03-01T10:00:00.123456789Z'),
  fc.constantFrom('2021-02-30T00:00:00Z', '2026-03-01T10:00:00', 'yesterday', '', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z'),
  fc.string({ maxLength: 40 }),
);

/** Big integers kept exact, as the fixtures loader reads them, so an edit does not also round the ids. */
const exact = (raw: string) => {
  const parsed = parseJsonExact(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value as JsonValue;
};

/** The same body damaged in ways that are not JSON-level: cut short, bytes replaced, keys repeated, piled up. */
function bodyFamilies(base: fc.Arbitrary<string>) {
  return [
    { weight: 6, arbitrary: fc.tuple(base, editsArb).map(([raw, edits]) => text(applyEdits(exact(raw), edits))) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(base, fc.double({ min: 0, max: 1, noNaN: true }))
        .map(([raw, at]) => text(raw.slice(0, Math.floor(raw.length * at)))),
    },
    { weight: 1, arbitrary: fc.tuple(base, garbleArb).map(([raw, damage]) => binary(garble(raw, damage))) },
    // A repeated key: JSON.parse keeps the last one; whoever reads the first must not be fooled.
    { weight: 1, arbitrary: base.map((raw) => text(`{"id":"1","total":"0.00","email":"x@example.com",${raw.trimStart().slice(1)}`)) },
    // Over 256 KB, signed or not.
    {
      weight: 1,
      arbitrary: fc
        .tuple(base, fc.integer({ min: 1, max: 40_000 }))
        .map(([raw, over]) => text(`${raw.trimEnd().slice(0, -1)},"note":"${'x'.repeat(Math.max(0, MAX_BODY - raw.length) + over)}"}`)),
    },
  ];
}

const commonBodies = [
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map(binary) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300, unit: 'binary' }).map(text) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => text(JSON.stringify(value) ?? 'null')) },
  { weight: 1, arbitrary: fc.constantFrom(DEEP_ARRAY, DEEP_OBJECT, '['.repeat(200_000), `{"id":${'9'.repeat(5000)}}`).map(text) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', '[]', '{}', '""', '0', 'true', '\ufeff{}', '{"id": 1}{"id": 2}').map(text) },
];

const shopifyFixture = fc.constantFrom(...fixtureNames('shopify'));
const wooFixture = fc.constantFrom(...fixtureNames('woocommerce'));

/** Body and topic together, so that a fair share of bodies is sent under the topic they belong to. */
type ShopifyPayload = { name?: FixtureName<'shopify'>; topic?: string; body: Body };
const OWN = '(its own topic)';
const shopifyPayloadArb: fc.Arbitrary<{ topic: string | undefined; body: Body }> = fc
  .tuple(
    fc.oneof<fc.MaybeWeightedArbitrary<ShopifyPayload>[]>(
      { weight: 5, arbitrary: shopifyFixture.map((name) => ({ name, body: text(loadFixture('shopify', name).raw) })) },
      ...bodyFamilies(shopifyFixture.map((name) => loadFixture('shopify', name).raw)).map(({ weight, arbitrary }) => ({
        weight,
        arbitrary: fc.tuple(shopifyFixture, arbitrary).map(([name, body]): ShopifyPayload => ({ name, body })),
      })),
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            fc.constantFrom(...TEXT_FIELDS.shopify),
            fc.oneof(fc.constantFrom(...AWKWARD_TEXT), fc.string({ unit: 'binary', maxLength: 20 })),
          )
          .map(([field, value]): ShopifyPayload => ({ body: text(withText('shopify', field, value)), topic: field.topic })),
      },
      ...commonBodies.map(({ weight, arbitrary }) => ({ weight, arbitrary: arbitrary.map((body): ShopifyPayload => ({ body })) })),
    ),
    fc.oneof<fc.MaybeWeightedArbitrary<string | undefined>[]>(
      { weight: 6, arbitrary: fc.constant(OWN) },
      { weight: 3, arbitrary: fc.constantFrom(...TOPICS.shopify) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('ORDERS/PAID', ' orders/create ', 'products/create', 'app/uninstalled', '', 'x'.repeat(101)),
      },
      { weight: 1, arbitrary: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }) },
    ),
  )
  .map(([payload, topic]) => ({
    body: payload.body,
    topic: topic === OWN ? (payload.topic ?? (payload.name ? SHOPIFY_TOPIC_OF[payload.name] : 'orders/create')) : topic,
  }));

const WOO_TOPIC_OF: Record<FixtureName<'woocommerce'>, string[]> = {
  order: ['order.created', 'order.updated'],
  order_updated: ['order.updated'],
  customer: ['customer.created', 'customer.updated'],
  order_refund: ['order.updated'],
};

/** A WooCommerce order carrying refunds as order.updated delivers them (the refund sample's id and amount). */
const wooRefundedOrder = () => {
  const body: JsonObject = loadFixture('woocommerce', 'order_updated').body;
  body.refunds = [{ id: 726, reason: '', total: '-10.00' }];
  return JSON.stringify(body);
};

const wooBodyBase = fc.oneof(
  wooFixture.map((name) => ({ raw: loadFixture('woocommerce', name).raw, topics: WOO_TOPIC_OF[name] })),
  fc.constant({ raw: wooRefundedOrder(), topics: ['order.updated'] }),
  fc.integer({ min: 1, max: 10_000 }).map((id) => ({ raw: `{"id":${id}}`, topics: ['order.deleted', 'customer.deleted'] })),
);

const wooPayloadArb: fc.Arbitrary<{ topic: string | undefined; body: Body }> = fc
  .tuple(
    fc.oneof(
      { weight: 5, arbitrary: wooBodyBase.map((base) => ({ topics: base.topics, body: text(base.raw) })) },
      ...bodyFamilies(wooBodyBase.map((base) => base.raw)).map(({ weight, arbitrary }) => ({
        weight,
        arbitrary: fc.tuple(wooBodyBase, arbitrary).map(([base, body]) => ({ topics: base.topics, body })),
      })),
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            fc.constantFrom(...TEXT_FIELDS.woocommerce),
            fc.oneof(fc.constantFrom(...AWKWARD_TEXT), fc.string({ unit: 'binary', maxLength: 20 })),
          )
          .map(([field, value]) => ({ topics: [field.topic], body: text(withText('woocommerce', field, value)) })),
      },
      // The creation ping and things that look like it.
      {
        weight: 2,
        arbitrary: fc
          .constantFrom(
            'webhook_id=123',
            'webhook_id=1',
            ' webhook_id=42\n',
            'webhook_id=',
            'webhook_id=abc',
            'webhook_id=1&x=2',
            `webhook_id=${'9'.repeat(21)}`,
          )
          .map((raw) => ({ topics: [] as string[], body: text(raw) })),
      },
      ...commonBodies.map(({ weight, arbitrary }) => ({ weight, arbitrary: arbitrary.map((body) => ({ topics: [] as string[], body })) })),
    ),
    fc.nat(),
    fc.oneof<fc.MaybeWeightedArbitrary<string | undefined>[]>(
      { weight: 6, arbitrary: fc.constant(OWN) },
      { weight: 3, arbitrary: fc.constantFrom(...TOPICS.woocommerce) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('ORDER.UPDATED', 'order.restored', 'product.created', 'action.woocommerce_x', '', 'x'.repeat(101)),
      },
      { weight: 1, arbitrary: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }) },
    ),
  )
  .map(([payload, pick, topic]) => ({
    body: payload.body,
    topic: topic === OWN ? (payload.topics[pick % Math.max(1, payload.topics.length)] ?? 'order.updated') : topic,
  }));

/** Canonical events (DESIGN §4) as a shop would sign them; the factories' VND made USD, the shop's currency. */
const canonical = (i: number, dropId: boolean): JsonObject => {
  const event = orderEvent(
    'fuzz-shop',
    anOrder({ orderId: `F-${i}`, currency: 'USD', total: 1999, lineItems: [{ title: 'Tea', quantity: 1, price: 1999 }] }),
    { externalId: `generic:${i}`, email: `c${i}@example.com` },
  ) as unknown as JsonObject;
  if (dropId) delete event.eventId;
  return event;
};

const genericBase = fc.tuple(fc.integer({ min: 1, max: 50 }), fc.boolean(), fc.integer({ min: 1, max: 3 })).map(([i, dropId, n]) => {
  const events = Array.from({ length: n }, (_, k) => canonical(i * 10 + k, dropId));
  return JSON.stringify(n === 1 ? events[0] : events);
});

const genericPayloadArb: fc.Arbitrary<{ topic: undefined; body: Body }> = fc
  .oneof(
    { weight: 5, arbitrary: genericBase.map(text) },
    ...bodyFamilies(genericBase),
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          // 101 events: more than one delivery may carry.
          JSON.stringify(Array.from({ length: 101 }, (_, i) => canonical(i, false))),
          JSON.stringify({ ...canonical(1, true), type: 'customer.erased' }),
          JSON.stringify({ ...canonical(2, true), shopId: 'fuzz-default' }),
          JSON.stringify({ ...canonical(3, true), source: 'shopify' }),
          JSON.stringify({ ...canonical(4, true), order: { ...(canonical(4, true).order as JsonObject), currency: 'VND' } }),
          JSON.stringify({ ...canonical(5, true), order: { ...(canonical(5, true).order as JsonObject), test: true } }),
        )
        .map(text),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...AWKWARD_TEXT)
        .map((name) => text(JSON.stringify({ ...canonical(7, true), customer: { email: 'a@example.com', firstName: name } }))),
    },
    // A canonical event with a deeply nested field a sender added (unknown fields are allowed).
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(DEEP_ARRAY, DEEP_OBJECT)
        .map((deep) => text(`${JSON.stringify(canonical(8, true)).slice(0, -1)},"extra":${deep}}`)),
    },
    ...commonBodies,
  )
  .map((body) => ({ topic: undefined, body }));

const deliveryArb = (source: Source): fc.Arbitrary<Delivery> =>
  fc
    .record({
      shopId: shopIdArb,
      payload: source === 'shopify' ? shopifyPayloadArb : source === 'woocommerce' ? wooPayloadArb : genericPayloadArb,
      signing: signingArb,
      deliveryId: deliveryIdArb,
      triggeredAt: triggeredAtArb,
      mutations: mutationsArb(source),
      extra: extraHeadersArb,
    })
    // shop/redact erases a shop the moment it is accepted (test/integration/erasure-at-once.test.ts):
    // sent to a shop whose secrets are known here it would end the run's shops, so it goes to the
    // shop whose secrets nobody here knows, where it is fuzzed against the signature check.
    .map(({ payload, ...rest }) => ({
      ...rest,
      shopId: payload.topic === 'shop/redact' && SIGNED_SHOPS.includes(rest.shopId ?? '') ? 'fuzz-nosecret' : rest.shopId,
      topic: payload.topic,
      body: payload.body,
    }));

/**
 * Deliveries every run starts with, whatever the seed: text a customer or a product may well carry
 * (an emoji; U+FFFF, which SQS refuses in a message) and a sender's extra field nested deeper than
 * JSON.stringify can go. All are correctly signed and must be answered 2xx or 400, never 5xx.
 */
const example = (d: Pick<Delivery, 'body'> & Partial<Delivery>): Delivery => ({
  shopId: 'fuzz-shop',
  topic: undefined,
  signing: 'valid',
  deliveryId: undefined,
  triggeredAt: undefined,
  mutations: [],
  extra: {},
  ...d,
});
const [shopifyName, , , shopifyTitle] = TEXT_FIELDS.shopify as [
  (typeof TEXT_FIELDS.shopify)[number],
  unknown,
  unknown,
  (typeof TEXT_FIELDS.shopify)[number],
];
const wooTitle = TEXT_FIELDS.woocommerce[2] as (typeof TEXT_FIELDS.woocommerce)[number];
const EXAMPLES: Record<Source, Delivery[]> = {
  generic: [
    example({ body: text(`${JSON.stringify(canonical(8, true)).slice(0, -1)},"extra":${DEEP_OBJECT}}`) }),
    example({ body: text(JSON.stringify({ ...canonical(7, true), customer: { email: 'a@example.com', firstName: 'A\uffffB' } })) }),
  ],
  shopify: [
    example({ topic: 'customers/create', body: text(withText('shopify', shopifyName, 'Trà Sen 🌸')) }),
    example({ topic: 'orders/updated', body: text(withText('shopify', shopifyTitle, 'Mug A\uffffB')) }),
  ],
  woocommerce: [example({ topic: 'order.created', body: text(withText('woocommerce', wooTitle, 'Trà Sen 🌸')) })],
};

// ── the model of the answer ─────────────────────────────────────────────────────────────────

function signatureOf(source: Source, d: Delivery, nowSeconds: number): string | undefined {
  const secret = SECRETS[source];
  const other = source === 'shopify' ? SECRETS.woocommerce : SECRETS.shopify;
  if (source === 'generic') {
    const body = d.body.bytes.toString('utf8');
    const at = (t: number, key: string = secret) => signGeneric(key, body, t);
    const hex = hmacSha256(secret, `${nowSeconds}.${body}`).digest('hex');
    switch (d.signing) {
      case 'valid':
        return at(nowSeconds);
      case 'padded':
        return ` ${at(nowSeconds)} `;
      case 'rotated':
        return `t=${nowSeconds},v1=${'0'.repeat(64)},v1=${hex}`;
      case 'upper-hex':
        return `t=${nowSeconds},v1=${hex.toUpperCase()}`;
      // Well outside the 5-minute window: a second ticking between signing and the handler's clock
      // must not carry a "future" signature back inside it.
      case 'stale':
        return at(nowSeconds - 400);
      case 'future':
        return at(nowSeconds + 400);
      case 'wrong-secret':
        return at(nowSeconds, WRONG_SECRET);
      case 'other-sender':
        return at(nowSeconds, SECRETS.shopify);
      case 'hex':
        return `v1=${hex}`;
      case 'garbage':
        return 't=abc,v1=xyz';
      case 'empty':
        return '';
      case 'missing':
        return undefined;
    }
  }
  const valid = signBase64Hmac(secret, d.body.bytes);
  switch (d.signing) {
    case 'valid':
    case 'rotated':
    case 'upper-hex':
      return valid;
    case 'padded':
      return ` ${valid} `;
    case 'stale':
    case 'future':
    case 'wrong-secret':
      return signBase64Hmac(WRONG_SECRET, d.body.bytes);
    case 'other-sender':
      return signBase64Hmac(other, d.body.bytes);
    case 'hex':
      return hmacSha256(secret, d.body.bytes).digest('hex');
    case 'garbage':
      return 'c2lnbmF0dXJl';
    case 'empty':
      return '';
    case 'missing':
      return undefined;
  }
}

/** Whether the delivery still carries a signature the shop's secret verifies (model, from the contract). */
function signatureHolds(source: Source, d: Delivery): boolean {
  if (!['valid', 'padded', 'rotated', 'upper-hex'].includes(d.signing)) return false;
  // Any change to the signature header breaks it, except for X-Rapport-Signature: API Gateway joins
  // a repeated header's values with a comma, and several v1 values are allowed (secret rotation), so
  // once repeated, damage to the end of the header leaves the first copy standing.
  let copies = 1;
  for (const m of d.mutations.filter((mutation) => mutation.header === HEADERS[source].signature)) {
    if (source === 'generic' && m.kind === 'duplicate') copies *= 2;
    else if (source === 'generic' && (m.kind === 'oversize' || m.kind === 'unicode') && copies > 1) continue;
    else return false;
  }
  return true;
}

function headersOf(source: Source, d: Delivery, nowSeconds: number): Record<string, string> {
  const headers: Record<string, string | undefined> = { 'content-type': 'application/json', ...d.extra };
  headers[HEADERS[source].signature] = signatureOf(source, d, nowSeconds);
  if (source === 'shopify') {
    Object.assign(headers, {
      'x-shopify-topic': d.topic,
      'x-shopify-webhook-id': d.deliveryId,
      'x-shopify-triggered-at': d.triggeredAt,
      'x-shopify-shop-domain': 'fuzz.myshopify.com',
      'x-shopify-api-version': '2026-07',
    });
  }
  if (source === 'woocommerce') {
    const [resource, event] = (d.topic ?? '').split('.');
    Object.assign(headers, {
      'x-wc-webhook-topic': d.topic,
      'x-wc-webhook-resource': resource,
      'x-wc-webhook-event': event,
      'x-wc-webhook-id': '12',
      'x-wc-webhook-delivery-id': d.deliveryId,
      'x-wc-webhook-source': 'https://fuzz.example.com/',
    });
  }
  for (const m of d.mutations) {
    const value = headers[m.header];
    if (m.kind === 'drop') delete headers[m.header];
    else if (m.kind === 'duplicate' && value !== undefined) headers[m.header] = `${value},${value}`;
    else if (m.kind === 'oversize') headers[m.header] = `${value ?? ''}${'x'.repeat(10_240)}`;
    else if (m.kind === 'garbage') headers[m.header] = m.garbage;
    else if (m.kind === 'empty') headers[m.header] = '';
    else if (m.kind === 'unicode') headers[m.header] = `${value ?? ''}ñ😀\u0000`;
  }
  // Senders' header names are case-insensitive; API Gateway hands them over lower-cased.
  return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** The answer the contract gives before any body is read, or 'read' when the delivery is verified and read. */
function expectedStatus(source: Source, d: Delivery, headers: Record<string, string>): number | 'read' {
  if (d.body.bytes.length > MAX_BODY) return 413;
  const shopId = d.shopId ?? '';
  if (!SHOP_ID.test(shopId)) return 400;
  // The unsigned creation ping is answered 200 for any well-formed shop id: any other answer for an
  // unknown shop would tell which shops exist.
  if (
    source === 'woocommerce' &&
    headers['x-wc-webhook-signature'] === undefined &&
    /^webhook_id=\d{1,20}$/.test(d.body.bytes.toString('utf8').trim())
  )
    return 200;
  if (!SIGNED_SHOPS.includes(shopId) || !signatureHolds(source, d)) return 401;
  return 'read';
}

function eventOf(source: Source, d: Delivery, headers: Record<string, string>): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `POST /webhooks/${source}/{shopId}`,
    rawPath: `/webhooks/${source}/${encodeURIComponent(d.shopId ?? '')}`,
    rawQueryString: '',
    headers,
    ...(d.shopId === undefined ? {} : { pathParameters: { shopId: d.shopId } }),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method: 'POST', path: `/webhooks/${source}/x`, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fuzz' },
      requestId: 'fuzz',
      routeKey: `POST /webhooks/${source}/{shopId}`,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    body: d.body.base64 ? d.body.bytes.toString('base64') : d.body.bytes.toString('utf8'),
    isBase64Encoded: d.body.base64,
  };
}

const context = {
  functionName: 'webhook',
  awsRequestId: 'fuzz',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

// ── the property ─────────────────────────────────────────────────────────────────────────────

const totals = { accepted: 0 };
const markers = new Set<string>();

describe.each(['generic', 'shopify', 'woocommerce'] as const)('POST /webhooks/%s/{shopId}', (source) => {
  it(`answers ${RUNS} malformed, hostile and forged deliveries within the contract, and writes nothing for any it refuses`, async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(deliveryArb(source), async (d) => {
        const headers = headersOf(source, d, Math.floor(Date.now() / 1000));
        const expected = expectedStatus(source, d, headers);
        const before = counters();
        const result = await handler(eventOf(source, d, headers), context);
        const after = counters();
        const status = result.statusCode ?? 0;
        seen.set(status, (seen.get(status) ?? 0) + 1);
        const answer = JSON.parse(result.body ?? '');
        if (expected === 'read') expect([200, 202, 400], result.body).toContain(status);
        else expect(status, result.body).toBe(expected);
        const enqueued = after.enqueued - before.enqueued;
        const writes = after.writes - before.writes;
        if (status >= 400) {
          expect(answer.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
          if (status === 400) expect(answer.error.field).toEqual(expect.any(String));
          expect({ enqueued, writes }).toEqual({ enqueued: 0, writes: 0 });
          // An unknown shop gets, byte for byte, what a known shop gets for the same forged delivery.
          if (status === 401 && !EXISTING_SHOPS.includes(d.shopId ?? '') && !signatureHolds(source, d)) {
            const known = await handler(eventOf(source, { ...d, shopId: 'fuzz-shop' }, headers), context);
            expect({ status: known.statusCode, body: known.body }).toEqual({ status, body: result.body });
          }
          return;
        }
        expect(answer.accepted).toBe(enqueued);
        expect(status).toBe(enqueued > 0 ? 202 : 200);
        totals.accepted += enqueued;
        // Only Shopify deliveries are remembered (by X-Shopify-Webhook-Id), once each.
        const id = headers['x-shopify-webhook-id']?.trim();
        if (source === 'shopify' && id && answer.note !== 'duplicate_delivery') markers.add(`${d.shopId}:${id}`);
        expect(writes).toBe(source === 'shopify' && id && answer.note !== 'duplicate_delivery' ? 1 : 0);
      }),
      { numRuns: RUNS, examples: EXAMPLES[source].map((d) => [d] as [Delivery]) },
    );
    // Hostile, not hopeless: every kind of answer shows up, and plenty of deliveries get through.
    const count = (status: number) => seen.get(status) ?? 0;
    expect(count(202), JSON.stringify([...seen])).toBeGreaterThan(RUNS / 40);
    expect(count(404), JSON.stringify([...seen])).toBe(0);
    for (const status of [400, 401, 413])
      expect(count(status), `status ${status}: ${JSON.stringify([...seen])}`).toBeGreaterThan(RUNS / 200);
  });
});

describe('after all the fuzzing', () => {
  it('the queue holds exactly the accepted events and the table only the shops and delivery markers', async () => {
    const sqs = sqsClientFor(runtime.endpoints.sqs);
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: runtime.queues.interactions.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    sqs.destroy();
    expect(Number(Attributes.ApproximateNumberOfMessages)).toBe(totals.accepted);
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db().client.send(new ScanCommand({ TableName: db().table, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    expect(items.filter((item) => item.SK === 'SHOP').map((item) => item.shopId)).toEqual(expect.arrayContaining(EXISTING_SHOPS));
    // Besides the shops (and their directory entries, SHOPS / {shopId}) and delivery markers: nothing.
    expect(items.filter((item) => item.SK !== 'SHOP' && item.SK !== 'DLV' && item.PK !== 'SHOPS')).toEqual([]);
    expect(items.filter((item) => item.SK === 'DLV')).toHaveLength(markers.size);
  });
});
