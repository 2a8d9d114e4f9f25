import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import { documentClient } from '#shared/aws/dynamodb.ts';
import { sesClient } from '#shared/aws/ses.ts';
import type { Db } from '#shared/data/db.ts';
import { shopErasureKey } from '#shared/data/keys.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';
import { signGeneric } from '#shared/domain/signature.ts';
import { logger } from '#shared/observability.ts';
import { loadFixture } from '#test/support/fixtures.ts';
import { apiGet, createShopOverHttp, lookup, shopItems, startTestRuntime } from '#test/support/local-api.ts';
import { type RawResponse, send, shopifyHeaders } from '#test/support/senders.ts';

/**
 * A shop's erasure takes effect when its shop/redact is answered, in every container: its key and
 * secrets are refused at once (though cached just before), an event accepted before the erasure and
 * processed after it writes nothing, the email stage sends nothing, and the id cannot be taken again.
 * The processor runs on this thread behind a gate, so a test can hold an event until the erasure has
 * been processed, whatever order the pollers would have picked.
 */

const SHOPIFY_SECRET = 'shpss_erasure-at-once-0123456789abcdef';
const GENERIC_SECRET = 'generic-erasure-at-once-0123456789abcdef';

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let processor: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let email: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let info: MockInstance;

const context = { functionName: 'test', awsRequestId: 'test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

// ── the gate in front of the processor ──────────────────────────────────────────────────────────

interface Gate {
  holds: (event: CanonicalEvent) => boolean;
  until: Promise<unknown>;
}
const gates: Gate[] = [];
const waiters: Array<{ matches: (event: CanonicalEvent) => boolean; done: () => void }> = [];
/** Every event the processor finished, in order. */
const processed: CanonicalEvent[] = [];

/** Resolves once the processor has finished an event that matches. */
function whenProcessed(matches: (event: CanonicalEvent) => boolean): Promise<void> {
  return new Promise((done) => waiters.push({ matches, done }));
}

async function gatedProcessor(event: SQSEvent, ctx: Context): Promise<SQSBatchResponse> {
  const gateOf = (record: SQSRecord) => gates.find((gate) => gate.holds(JSON.parse(record.body)));
  // Records nothing holds go first, so a held one never waits on a record behind it in its batch.
  const records = [...event.Records.filter((r) => !gateOf(r)), ...event.Records.filter((r) => gateOf(r))];
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of records) {
    await gateOf(record)?.until;
    failures.push(...(await processor({ Records: [record] }, ctx)).batchItemFailures);
    const done = JSON.parse(record.body) as CanonicalEvent;
    processed.push(done);
    for (const waiter of waiters.filter((w) => w.matches(done))) waiter.done();
  }
  return { batchItemFailures: failures };
}

beforeAll(async () => {
  ({ runtime, db, stop } = await startTestRuntime({ handlers: { processor: gatedProcessor as never } }));
  processor = (await import('#functions/processor.ts')).handler as never;
  email = (await import('#functions/email.ts')).handler as never;
  info = vi.spyOn(logger, 'info');
});

afterAll(async () => {
  info?.mockRestore();
  await stop?.();
});

// ── senders ─────────────────────────────────────────────────────────────────────────────────────

const shopRedact = loadFixture('shopify', 'shop_redact').raw;
const ordersCreate = loadFixture('shopify', 'orders_create').raw;

function postShopify(shopId: string, topic: string, body: string, secret = SHOPIFY_SECRET) {
  return send(`${runtime.apiUrl}/webhooks/shopify/${shopId}`, { headers: shopifyHeaders({ topic, secret, body }), body });
}

function postGeneric(shopId: string, event: Record<string, unknown>) {
  const body = JSON.stringify(event);
  const signature = signGeneric(GENERIC_SECRET, body, Math.floor(Date.now() / 1000));
  return send(`${runtime.apiUrl}/webhooks/generic/${shopId}`, {
    headers: { 'content-type': 'application/json', 'x-rapport-signature': signature },
    body,
  });
}

function postInteraction(apiKey: string, body: Record<string, unknown>, idempotencyKey?: string) {
  return send(`${runtime.apiUrl}/v1/interactions`, {
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: JSON.stringify(body),
  });
}

const createShop = (shopId: string) =>
  createShopOverHttp(runtime, {
    shopId,
    currency: 'VND',
    locale: 'vi-VN',
    timezone: 'Asia/Ho_Chi_Minh',
    secrets: { shopify: SHOPIFY_SECRET, generic: GENERIC_SECRET },
  });

const answerOf = (res: RawResponse) => ({ status: res.status, body: res.json });

/** What a key gets from a shop that never existed: what an erased shop's key must get. */
const strangerKey = `rk_never-created_${'0'.repeat(64)}`;

function sqsEvent(...bodies: unknown[]): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m${i}`,
      receiptHandle: `r${i}`,
      body: JSON.stringify(body),
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:rapport-interactions',
      awsRegion: 'us-east-1',
    })),
  } as unknown as SQSEvent;
}

/** The processor's log lines about one event. */
const linesAbout = (eventId: string) =>
  info.mock.calls.filter(([, extra]) => (extra as { eventId?: string } | undefined)?.eventId === eventId);

/** Nothing of the shop is left but Shopify delivery markers: a webhook id and an expiry (72 h, TTL). */
const leftOf = async (shopId: string) =>
  (await shopItems(db, shopId)).filter((item) => !(item.SK === 'DLV' && Object.keys(item).sort().join() === 'PK,SK,expiresAt'));

/** A consenting customer, through the pipeline; answers their customer id. */
async function aCustomerOf(apiKey: string, email: string): Promise<string> {
  const res = await postInteraction(apiKey, {
    customer: { email, firstName: 'Lan', acceptsEmailMarketing: true },
    channel: 'phone',
    summary: 'asked about oolong',
  });
  expect(res.status, res.text).toBe(202);
  await runtime.idle();
  const profile = await lookup(runtime, apiKey, 'email', email);
  expect(profile?.customerId).toEqual(expect.stringMatching(/^c_/));
  return profile.customerId as string;
}

/** One trigger record through the email function, as the email queue delivers it: its outcome line. */
async function sendTrigger(shopId: string, customerId: string, key: string) {
  const record = { shopId, customerId, key, trigger: 'redemption_receipt', at: new Date().toISOString(), data: { points: 10 } };
  const response = await email(sqsEvent(record), context);
  expect(response.batchItemFailures).toEqual([]);
  const line = info.mock.calls
    .filter(([message, extra]) => message === 'email' && (extra as { customerId?: string }).customerId === customerId)
    .at(-1);
  return line?.[1] as { status: string; reason?: string } | undefined;
}

// ── the tests ───────────────────────────────────────────────────────────────────────────────────

describe('a shop erased by shop/redact', () => {
  const shopId = 'erased-at-once';
  const customerEmail = 'lan.erasure@example.com';
  let apiKey: string;

  beforeAll(async () => {
    apiKey = await createShop(shopId);
    await aCustomerOf(apiKey, customerEmail);
  });

  it("refuses the shop's key right after the answer (though cached just before), and an event accepted before the erasure writes nothing", async () => {
    const heldId = `api:held-${Date.now()}`;
    // The interaction below is held until the erasure has been processed: it is processed after the
    // shop's items are deleted, as a late or retried delivery would be.
    const erasureDone = whenProcessed((event) => event.shopId === shopId && event.type === 'shop.erased');
    gates.push({ holds: (event) => event.eventId === heldId, until: erasureDone });

    // Used — and so cached in this container — just before the erasure.
    expect((await apiGet(runtime, apiKey, '/v1/program')).status).toBe(200);
    const accepted = await postInteraction(
      apiKey,
      { customer: { email: 'late.customer@example.com', firstName: 'Late' }, channel: 'chat', summary: 'wants a refund' },
      heldId.slice('api:'.length),
    );
    expect(accepted.status, accepted.text).toBe(202);

    const erasure = await postShopify(shopId, 'shop/redact', shopRedact);
    expect(answerOf(erasure)).toEqual({ status: 202, body: { accepted: 1, ignored: 0 } });

    // No waiting: the very next requests are refused, as for a shop that never existed.
    const stranger = answerOf(await apiGet(runtime, strangerKey, '/v1/program'));
    expect(stranger.status).toBe(401);
    expect(answerOf(await apiGet(runtime, apiKey, '/v1/program'))).toEqual(stranger);
    const late = await postInteraction(apiKey, { customer: { email: customerEmail }, channel: 'phone' });
    expect(answerOf(late)).toEqual(answerOf(await postInteraction(strangerKey, { customer: { email: customerEmail }, channel: 'phone' })));
    expect(late.status).toBe(401);
    // Its webhook secrets too: a correctly signed delivery gets the answer of a bad signature.
    const forged = answerOf(await postShopify(shopId, 'orders/create', ordersCreate, 'not-the-secret-of-this-shop-0'));
    expect(forged.status).toBe(401);
    expect(answerOf(await postShopify(shopId, 'orders/create', ordersCreate))).toEqual(forged);
    expect(answerOf(await postShopify('never-created', 'orders/create', ordersCreate))).toEqual(forged);
    const genericForged = answerOf(await postGeneric('never-created', { type: 'customer.upserted' }));
    expect(answerOf(await postGeneric(shopId, { type: 'customer.upserted', customer: { email: 'x@example.com' } }))).toEqual(genericForged);

    await runtime.idle(60_000);
    const order = processed.filter((event) => event.shopId === shopId).map((event) => event.type);
    expect(order.slice(-2)).toEqual(['shop.erased', 'interaction.logged']);
    expect(linesAbout(heldId).map(([message, extra]) => [message, extra])).toEqual([
      ['event processed', { shopId, eventId: heldId, type: 'interaction.logged', outcome: 'unknown_shop' }],
    ]);
    expect(await leftOf(shopId)).toEqual([]);

    const { Item: marker } = await db.client.send(
      new GetCommand({ TableName: db.table, Key: shopErasureKey(shopId), ConsistentRead: true }),
    );
    expect(Object.keys(marker ?? {}).sort()).toEqual(['PK', 'SK', 'erasedAt', 'expiresAt']);
    const days = ((marker?.expiresAt as number) - Date.parse(marker?.erasedAt as string) / 1000) / 86_400;
    expect(days).toBeCloseTo(30, 3);
  });

  it('answers a second shop/redact as for an unknown shop, and a repeated erasure event changes nothing', async () => {
    const forged = answerOf(await postShopify(shopId, 'shop/redact', shopRedact, 'not-the-secret-of-this-shop-0'));
    expect(answerOf(await postShopify(shopId, 'shop/redact', shopRedact))).toEqual(forged);
    expect(forged.status).toBe(401);

    const markerOf = async () =>
      (await db.client.send(new GetCommand({ TableName: db.table, Key: shopErasureKey(shopId), ConsistentRead: true }))).Item;
    const before = await markerOf();
    const again = {
      eventId: `shopify:redo-${Date.now()}`,
      shopId,
      type: 'shop.erased',
      occurredAt: new Date().toISOString(),
      source: 'shopify',
    };
    expect((await processor(sqsEvent(again), context)).batchItemFailures).toEqual([]);
    expect(await markerOf()).toEqual(before);
    expect(await leftOf(shopId)).toEqual([]);
  });

  it('refuses its id to a new shop while the marker stands, naming the field', async () => {
    const res = await send(`${runtime.apiUrl}/admin/shops`, {
      headers: { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ shopId, name: 'Again', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' }),
    });
    expect(res.status, res.text).toBe(409);
    expect(res.json.error.code).toBe('conflict');
    expect(res.json.error.message).toMatch(/^shopId: erased-at-once belonged to a shop erased on \d{4}-\d{2}-\d{2}/);
    expect(await leftOf(shopId)).toEqual([]);
  });
});

describe('the email stage', () => {
  it('sends nothing and writes nothing for a shop whose erasure was accepted, before and after its data is deleted', async () => {
    const shopId = 'erased-mail';
    const apiKey = await createShop(shopId);
    const customerId = await aCustomerOf(apiKey, 'mai.erasure@example.com');
    const ses = vi.spyOn(sesClient(), 'send');
    try {
      // The same trigger kind sends while the shop lives (the setup can send)...
      expect(await sendTrigger(shopId, customerId, 'r:before')).toMatchObject({ status: 'sent' });
      expect(ses).toHaveBeenCalledTimes(1);

      // ...and not once the erasure is accepted, while the processor has not yet deleted anything.
      const erasureDone = whenProcessed((event) => event.shopId === shopId && event.type === 'shop.erased');
      let release = () => {};
      gates.push({
        holds: (event) => event.shopId === shopId && event.type === 'shop.erased',
        until: new Promise<void>((r) => (release = r)),
      });
      expect((await postShopify(shopId, 'shop/redact', shopRedact)).status).toBe(202);
      const items = await shopItems(db, shopId);
      expect(items.some((item) => item.SK === 'PROFILE')).toBe(true);
      expect(await sendTrigger(shopId, customerId, 'r:during')).toEqual(
        expect.objectContaining({ status: 'dropped', reason: 'unknown_shop' }),
      );
      expect(await shopItems(db, shopId)).toEqual(items);

      release();
      await erasureDone;
      await runtime.idle(60_000);
      // After the deletion: no skip record, no timeline entry put back under the deleted customer.
      expect(await sendTrigger(shopId, customerId, 'r:after')).toEqual(
        expect.objectContaining({ status: 'dropped', reason: 'unknown_shop' }),
      );
      expect(await leftOf(shopId)).toEqual([]);
      expect(ses).toHaveBeenCalledTimes(1);
    } finally {
      ses.mockRestore();
    }
  });
});

describe('the processor', () => {
  it('drops an event for a shop that never existed with one log line, and writes nothing', async () => {
    const shopId = 'never-existed';
    const event = {
      eventId: `api:nobody-${Date.now()}`,
      shopId,
      type: 'interaction.logged',
      occurredAt: new Date().toISOString(),
      source: 'api',
      customer: { email: 'someone.private@example.com', firstName: 'Private' },
      interaction: { channel: 'phone', summary: 'lives at 12 Hàng Bạc' },
    };
    expect((await processor(sqsEvent(event), context)).batchItemFailures).toEqual([]);
    const lines = linesAbout(event.eventId);
    expect(lines.map(([message, extra]) => [message, extra])).toEqual([
      ['event processed', { shopId, eventId: event.eventId, type: 'interaction.logged', outcome: 'unknown_shop' }],
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/someone|Private|Hàng/);
    expect(await shopItems(db, shopId)).toEqual([]);
  });
});

describe('what the check costs', () => {
  it('reads the marker once per request, strongly consistent, for 1 read unit whether or not it exists', async () => {
    const shopId = 'erasure-cost';
    const apiKey = await createShop(shopId);
    expect((await apiGet(runtime, apiKey, '/v1/program')).status).toBe(200); // the record is cached now
    const reads = vi.spyOn(documentClient(), 'send');
    try {
      expect((await apiGet(runtime, apiKey, '/v1/program')).status).toBe(200);
      const commands = reads.mock.calls.map(([command]) => command as { input: Record<string, unknown> });
      const markerReads = commands.filter((c) => (c.input.Key as { PK?: string } | undefined)?.PK === shopErasureKey(shopId).PK);
      expect(markerReads).toHaveLength(1);
      expect(markerReads[0]!.input.ConsistentRead).toBe(true);
      // An API key is checked against the shop record read afresh (a replaced key is refused at once,
      // in every container): one strongly consistent read beside the marker's, 1 read unit.
      const recordReads = commands.filter((c) => (c.input.Key as { SK?: string } | undefined)?.SK === 'SHOP');
      expect(recordReads).toHaveLength(1);
      expect(recordReads[0]!.input.ConsistentRead).toBe(true);

      const unitsOf = async (key: { PK: string; SK: string }) =>
        (
          await db.client.send(
            new GetCommand({ ...(markerReads[0]!.input as object), TableName: db.table, Key: key, ReturnConsumedCapacity: 'TOTAL' }),
          )
        ).ConsumedCapacity?.CapacityUnits;
      expect(await unitsOf(shopErasureKey(shopId))).toBe(1);
      expect(await unitsOf(shopErasureKey('erased-at-once'))).toBe(1);
      expect(await unitsOf({ PK: `SHOP#${shopId}`, SK: 'SHOP' })).toBe(1);
    } finally {
      reads.mockRestore();
    }
  });
});
