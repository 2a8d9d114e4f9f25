import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encryptSecret, sha256Hex } from '#shared/domain/crypto.ts';
import { signGeneric } from '#shared/domain/signature.ts';
import { orderEvent } from '#test/support/factories.ts';

/**
 * Handlers as Lambda runs them (middy chain, error mapping, partial batch responses), with the
 * AWS clients mocked. Behaviour against real services is in test/integration and test/e2e.
 */

const MASTER = 'm'.repeat(64);
const SECRET = 'generic-secret-for-unit-tests-000';
const API_KEY = `rk_unit-shop_${'a'.repeat(64)}`;

Object.assign(process.env, {
  TABLE_NAME: 'unit-table',
  INTERACTIONS_QUEUE_URL: 'http://127.0.0.1:1/000000000000/interactions',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'unit',
  AWS_SECRET_ACCESS_KEY: 'unit',
  RAPPORT_MASTER_KEY: MASTER,
  RAPPORT_ADMIN_KEY: 'unit-admin-key',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  LOG_LEVEL: 'ERROR',
});

const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

const shopItem = {
  PK: 'SHOP#unit-shop',
  SK: 'SHOP',
  shopId: 'unit-shop',
  name: 'Unit',
  currency: 'VND',
  timezone: 'Asia/Ho_Chi_Minh',
  locale: 'vi-VN',
  apiKeyHashes: [sha256Hex(API_KEY)],
  secrets: { generic: encryptSecret(MASTER, SECRET, 'unit-shop:generic') },
  settings: { ignoreTestOrders: true },
  createdAt: '2026-01-01T00:00:00.000Z',
};

const context = { functionName: 'unit', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

function httpEvent(overrides: Partial<APIGatewayProxyEventV2>): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/generic/{shopId}',
    rawPath: '/webhooks/generic/unit-shop',
    rawQueryString: '',
    headers: {},
    requestContext: {
      http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
    } as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: false,
    ...overrides,
  };
}

let webhook: (e: APIGatewayProxyEventV2, c: Context) => Promise<{ statusCode?: number; body?: string }>;
let getCustomer: typeof webhook;
let createShop: typeof webhook;
let processor: (e: SQSEvent, c: Context) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;

beforeAll(async () => {
  webhook = (await import('#functions/webhook.ts')).handler as never;
  getCustomer = (await import('#functions/get-customer.ts')).handler as never;
  createShop = (await import('#functions/create-shop.ts')).handler as never;
  processor = (await import('#functions/processor.ts')).handler as never;
});

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { PK: 'SHOP#unit-shop', SK: 'SHOP' } }).resolves({ Item: shopItem });
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: 'x' }], Failed: [] });
});

function signed(body: string, headers: Record<string, string> = {}) {
  return httpEvent({
    body,
    pathParameters: { shopId: 'unit-shop' },
    headers: { 'x-rapport-signature': signGeneric(SECRET, body, Math.floor(Date.now() / 1000)), ...headers },
  });
}

describe('webhook handler', () => {
  it('answers 202 and enqueues the canonical event', async () => {
    const event = orderEvent('unit-shop');
    const response = await webhook(signed(JSON.stringify(event)), context);
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body!)).toEqual({ accepted: 1, ignored: 0 });
    const sent = sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries![0]!;
    expect(JSON.parse(sent.MessageBody!)).toMatchObject({ eventId: event.eventId, shopId: 'unit-shop', source: 'generic' });
  });

  it('answers 401 for a bad signature and enqueues nothing', async () => {
    const request = signed(JSON.stringify(orderEvent('unit-shop')));
    request.body = `${request.body} `;
    const response = await webhook(request, context);
    expect(response.statusCode).toBe(401);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('answers 400 naming the field', async () => {
    const response = await webhook(signed(JSON.stringify(orderEvent('unit-shop', { total: 1.5 }))), context);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body!).error).toMatchObject({ code: 'invalid_request', field: 'order.total' });
  });

  it('answers 400 for an order in another currency than the shop', async () => {
    const response = await webhook(signed(JSON.stringify(orderEvent('unit-shop', { currency: 'USD' }))), context);
    expect(JSON.parse(response.body!).error.field).toBe('order.currency');
  });

  it('ignores test orders by default and answers 200', async () => {
    const response = await webhook(signed(JSON.stringify(orderEvent('unit-shop', { test: true }))), context);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body!)).toEqual({ accepted: 0, ignored: 1 });
  });

  it('answers 400 for a malformed shop id before touching the table', async () => {
    const response = await webhook({ ...signed('{}'), pathParameters: { shopId: 'X'.repeat(2000) } }, context);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body!).error.field).toBe('shopId');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it("answers an unknown shop, or a shop without the route's secret, exactly as a bad signature, whatever the headers", async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify(orderEvent('unit-shop'));
    const signatures = [
      undefined,
      'nonsense',
      signGeneric(SECRET, body, now - 3600),
      signGeneric('a-secret-that-is-not-the-shops-0', body, now),
      signGeneric(SECRET, body, now),
    ];
    for (const signature of signatures) {
      const headers: Record<string, string> = signature ? { 'x-rapport-signature': signature } : {};
      const forged = signature === signatures[4] ? { ...signed(`${body} `), headers } : { ...signed(body), headers };
      const known = await webhook(forged, context);
      expect(known.statusCode, known.body).toBe(401);
      for (const route of ['generic', 'shopify', 'woocommerce']) {
        const event = { ...forged, routeKey: `POST /webhooks/${route}/{shopId}` };
        const unknown = await webhook({ ...event, pathParameters: { shopId: 'nobody' } }, context);
        if (route === 'generic') expect({ status: unknown.statusCode, body: unknown.body }).toEqual({ status: 401, body: known.body });
        // unit-shop has no Shopify or WooCommerce secret: the same answer as a shop that does not exist.
        const noSecret = await webhook({ ...event, pathParameters: { shopId: 'unit-shop' } }, context);
        expect({ status: noSecret.statusCode, body: noSecret.body }).toEqual({ status: 401, body: unknown.body });
      }
    }
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it("answers WooCommerce's unsigned creation ping 200 for any well-formed shop id, without reading the table", async () => {
    for (const shopId of ['unit-shop', 'nobody']) {
      const ping = httpEvent({
        routeKey: 'POST /webhooks/woocommerce/{shopId}',
        pathParameters: { shopId },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'webhook_id=123',
      });
      const response = await webhook(ping, context);
      expect({ status: response.statusCode, body: JSON.parse(response.body!) }).toEqual({
        status: 200,
        body: { accepted: 0, ignored: 0, note: 'ping' },
      });
    }
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('answers 413 over 256 KB', async () => {
    const big = await webhook(signed('x'.repeat(256 * 1024 + 1)), context);
    expect(big.statusCode).toBe(413);
  });

  it('answers 500 without internals when the queue fails', async () => {
    sqs.on(SendMessageBatchCommand).rejects(new Error('queue down at 10.0.0.1'));
    const response = await webhook(signed(JSON.stringify(orderEvent('unit-shop'))), context);
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('10.0.0.1');
  });
});

describe('shop API handlers', () => {
  const read = (token?: string) =>
    httpEvent({
      routeKey: 'GET /v1/customers/{customerId}',
      pathParameters: { customerId: 'c_0123456789abcdef0123' },
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it('401 without a valid key, 404 for an unknown customer, 400 for a malformed id', async () => {
    expect((await getCustomer(read(), context)).statusCode).toBe(401);
    expect((await getCustomer(read(`rk_unit-shop_${'b'.repeat(64)}`), context)).statusCode).toBe(401);
    expect((await getCustomer(read(API_KEY), context)).statusCode).toBe(404);
    const bad = await getCustomer({ ...read(API_KEY), pathParameters: { customerId: 'nope' } }, context);
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body!).error.field).toBe('customerId');
  });

  it('creates a shop with the admin key, storing only the hash of its API key', async () => {
    ddb.on(PutCommand).resolves({});
    const body = JSON.stringify({ shopId: 'new-shop', name: 'New', currency: 'USD', timezone: 'America/New_York', locale: 'en-US' });
    const denied = await createShop(httpEvent({ body, headers: { authorization: 'Bearer wrong' } }), context);
    expect(denied.statusCode).toBe(401);
    const created = await createShop(httpEvent({ body, headers: { authorization: 'Bearer unit-admin-key' } }), context);
    expect(created.statusCode).toBe(201);
    const answer = JSON.parse(created.body!);
    expect(answer.apiKey).toMatch(/^rk_new-shop_[0-9a-f]{64}$/);
    expect(answer.generatedSecrets.generic).toMatch(/^[0-9a-f]{64}$/);
    const stored = ddb.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    expect(JSON.stringify(stored)).not.toContain(answer.apiKey);
    expect(JSON.stringify(stored)).not.toContain(answer.generatedSecrets.generic);
    expect(stored.apiKeyHashes).toEqual([sha256Hex(answer.apiKey)]);
  });

  it('names the bad field of a shop', async () => {
    const body = JSON.stringify({ shopId: 'x', name: 'New', currency: 'usd', timezone: 'Mars/Base', locale: 'en-US' });
    const response = await createShop(httpEvent({ body, headers: { authorization: 'Bearer unit-admin-key' } }), context);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body!).error.field).toBe('shopId');
    const notHttp = JSON.stringify({
      shopId: 'new-shop',
      name: 'New',
      currency: 'USD',
      timezone: 'UTC',
      locale: 'en-US',
      url: 'javascript:alert(1)',
    });
    const refused = await createShop(httpEvent({ body: notHttp, headers: { authorization: 'Bearer unit-admin-key' } }), context);
    expect(refused.statusCode).toBe(400);
    expect(JSON.parse(refused.body!).error.field).toBe('url');
  });
});

describe('processor handler', () => {
  it('reports only the record that failed', async () => {
    const good = orderEvent('unit-shop', {}, undefined);
    ddb.on(GetCommand).resolves({});
    ddb.onAnyCommand().resolves({ Attributes: { PK: 'x', ver: 'v', seq: 1 } });
    const records = [
      { messageId: 'ok', body: JSON.stringify(good) },
      { messageId: 'poison', body: '{not json' },
    ].map((r) => ({
      ...r,
      receiptHandle: r.messageId,
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn',
      awsRegion: 'us-east-1',
    }));
    const response = await processor({ Records: records } as unknown as SQSEvent, context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'poison' }]);
  });
});
