import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { documentClient } from '#shared/aws/dynamodb.ts';
import { shopErasureKey } from '#shared/data/keys.ts';
import { markShopErased, type ShopRecord } from '#shared/data/shop-repo.ts';
import { encryptSecret } from '#shared/domain/crypto.ts';
import { ConflictError, UnauthorizedError } from '#shared/domain/errors.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';
import { signBase64Hmac } from '#shared/domain/signature.ts';
import { createShop } from '#shared/use-cases/create-shop.ts';
import { receiveWebhook, type WebhookDeps } from '#shared/use-cases/receive-webhook.ts';
import { aShop } from '#test/support/factories.ts';
import { loadFixture } from '#test/support/fixtures.ts';

/**
 * The erasure marker's rules, without a database: when the webhook writes it, how the shop lookup
 * reads it (the record cached, the marker never), and who it refuses. Against the emulators:
 * test/integration/erasure-at-once.test.ts.
 */

Object.assign(process.env, {
  TABLE_NAME: 'unit-table',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'unit',
  AWS_SECRET_ACCESS_KEY: 'unit',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  LOG_LEVEL: 'ERROR',
});

const ddb = mockClient(DynamoDBDocumentClient);
beforeEach(() => ddb.reset());

const MASTER = 'm'.repeat(64);
const SECRET = 'shpss_unit-erasure-0123456789abcdef';
const NOW = new Date('2026-06-01T12:00:00.000Z');
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

describe('the webhook marks a shop erased when it accepts shop/redact', () => {
  const shop: ShopRecord = aShop('unit-erased', {
    currency: 'USD',
    secrets: { shopify: encryptSecret(MASTER, SECRET, 'unit-erased:shopify') },
  });

  function fakes(overrides: Partial<Omit<WebhookDeps, 'loadShop'>> = {}, found: ShopRecord | null = shop) {
    const calls: string[] = [];
    const deps: WebhookDeps = {
      loadShop: async () => found ?? undefined,
      markShopErased: async (shopId: string, at: Date) => void calls.push(`markErased ${shopId} ${at.toISOString()}`),
      masterKey: async () => MASTER,
      enqueue: async (events: CanonicalEvent[]) => void calls.push(`enqueue ${events.map((e) => e.type).join()}`),
      wasDelivered: async () => false,
      markDelivered: async () => void calls.push('markDelivered'),
      ...overrides,
    };
    return { deps, calls };
  }

  const delivery = (topic: string, body: string, secret = SECRET) => ({
    source: 'shopify' as const,
    shopId: shop.shopId,
    body: Buffer.from(body),
    now: NOW,
    headers: {
      'x-shopify-topic': topic,
      'x-shopify-hmac-sha256': signBase64Hmac(secret, body),
      'x-shopify-webhook-id': 'b1a2c3d4-0000-4000-8000-000000000001',
    },
  });
  const shopRedact = loadFixture('shopify', 'shop_redact').raw;

  it('after the event is queued and before the answer (and before the delivery is remembered)', async () => {
    const { deps, calls } = fakes();
    expect(await receiveWebhook(delivery('shop/redact', shopRedact), deps)).toEqual({ accepted: 1, ignored: 0 });
    expect(calls).toEqual(['enqueue shop.erased', `markErased unit-erased ${NOW.toISOString()}`, 'markDelivered']);
  });

  it('not when the event could not be queued: the delivery fails and Shopify retries it while the secret still verifies', async () => {
    const { deps, calls } = fakes({
      enqueue: async () => {
        throw new Error('queue down');
      },
    });
    await expect(receiveWebhook(delivery('shop/redact', shopRedact), deps)).rejects.toThrow('queue down');
    expect(calls).toEqual([]);
  });

  it('not for any other topic', async () => {
    const { deps, calls } = fakes();
    await receiveWebhook(delivery('orders/create', loadFixture('shopify', 'orders_create').raw), deps);
    expect(calls.filter((call) => call.startsWith('markErased'))).toEqual([]);
  });

  it('answers a shop the lookup does not know (erased) exactly as a bad signature', async () => {
    const erased = fakes({}, null);
    const unknown = await receiveWebhook(delivery('shop/redact', shopRedact), erased.deps).catch((error: unknown) => error);
    const forged = await receiveWebhook(delivery('shop/redact', shopRedact, 'not-the-secret-000000'), fakes().deps).catch(
      (e: unknown) => e,
    );
    expect(unknown).toBeInstanceOf(UnauthorizedError);
    expect({ name: (unknown as Error).name, message: (unknown as Error).message }).toEqual({
      name: (forged as Error).name,
      message: (forged as Error).message,
    });
    expect(erased.calls).toEqual([]);
  });
});

describe('the shop lookup (deps.ts loadShop)', () => {
  const shopItem = { ...aShop('unit-cached'), PK: 'SHOP#unit-cached', SK: 'SHOP' };
  const markerKey = shopErasureKey('unit-cached');

  it('keeps the record cached but reads the marker at every call, strongly consistent', async () => {
    const { loadShop, resetShopCache } = await import('#shared/deps.ts');
    resetShopCache();
    ddb.on(GetCommand, { Key: { PK: 'SHOP#unit-cached', SK: 'SHOP' } }).resolves({ Item: shopItem });
    ddb.on(GetCommand, { Key: markerKey }).resolves({});
    expect((await loadShop('unit-cached'))?.shopId).toBe('unit-cached');
    expect((await loadShop('unit-cached'))?.shopId).toBe('unit-cached');

    // Erased in another container: this one still holds the record, and refuses the shop at once.
    const erasedAt = new Date();
    ddb.on(GetCommand, { Key: markerKey }).resolves({
      Item: { ...markerKey, erasedAt: erasedAt.toISOString(), expiresAt: seconds(erasedAt) + 30 * 86_400 },
    });
    expect(await loadShop('unit-cached')).toBeUndefined();

    const gets = ddb.commandCalls(GetCommand).map((call) => call.args[0].input);
    expect(gets.filter((input) => input.Key?.SK === 'SHOP')).toHaveLength(1);
    const markerReads = gets.filter((input) => input.Key?.PK === markerKey.PK);
    expect(markerReads).toHaveLength(3);
    expect(markerReads.every((input) => input.ConsistentRead === true)).toBe(true);
  });

  it('counts a marker past its expiry as absent (TTL deletes it days later)', async () => {
    const { loadShop, resetShopCache } = await import('#shared/deps.ts');
    resetShopCache();
    ddb.on(GetCommand, { Key: { PK: 'SHOP#unit-cached', SK: 'SHOP' } }).resolves({ Item: shopItem });
    ddb
      .on(GetCommand, { Key: markerKey })
      .resolves({ Item: { ...markerKey, erasedAt: '2020-01-01T00:00:00.000Z', expiresAt: 1_580_515_200 } });
    expect((await loadShop('unit-cached'))?.shopId).toBe('unit-cached');
  });
});

describe('marking and re-creating', () => {
  const db = { client: documentClient(), table: 'unit-table' };

  it('marks once: a repeat keeps the first time, a standing marker is not an error', async () => {
    ddb.on(PutCommand).rejects(Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException' }));
    await expect(markShopErased(db, 'unit-again', NOW)).resolves.toBeUndefined();
    const put = ddb.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put.Item).toEqual({ ...shopErasureKey('unit-again'), erasedAt: NOW.toISOString(), expiresAt: seconds(NOW) + 30 * 86_400 });
    expect(put.ConditionExpression).toBe('attribute_not_exists(PK) OR expiresAt <= :now');
  });

  it("refuses an erased shop's id with a 409 naming shopId, and writes nothing", async () => {
    ddb.on(GetCommand, { Key: shopErasureKey('unit-gone') }).resolves({
      Item: { ...shopErasureKey('unit-gone'), erasedAt: NOW.toISOString(), expiresAt: seconds(NOW) + 30 * 86_400 },
    });
    const deps = { db, masterKey: async () => MASTER, adminKey: async () => 'admin', now: () => new Date(NOW.getTime() + 86_400_000) };
    const body = { shopId: 'unit-gone', name: 'Again', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' };
    const refused = await createShop(body, deps).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as Error).message).toBe(
      'shopId: unit-gone belonged to a shop erased on 2026-06-01 (shop/redact); it cannot be taken again before 2026-07-01: choose another shopId',
    );
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});
