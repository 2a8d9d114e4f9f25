import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type DynamoEngine, dynamoClient, isLoopbackEndpoint } from '#infra/local/emulators.ts';
import { type Runtime, type RuntimeOptions, startRuntime } from '#infra/local/runtime.ts';
import type { Db } from '#shared/data/db.ts';
import { signGeneric } from '#shared/domain/signature.ts';
import { type RawResponse, send } from '#test/support/senders.ts';

/** The local stack's HTTP API as a shop owner uses it: create a shop, read customers back. */

/**
 * The local runtime for a test: on the engine the vitest project names (RAPPORT_DYNAMODB), on a free
 * port, quiet, batching windows off; refuses anything but loopback endpoints. With a document client
 * on its table; `stop()` stops both.
 */
export async function startTestRuntime(options: RuntimeOptions = {}): Promise<{ runtime: Runtime; db: Db; stop: () => Promise<void> }> {
  const runtime = await startRuntime({
    port: 0,
    dataDir: null,
    dynamodb: (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine,
    batchingWindowSeconds: 0,
    log: () => undefined,
    ...options,
  });
  if (!isLoopbackEndpoint(runtime.endpoints.sqs) || !isLoopbackEndpoint(runtime.endpoints.dynamodb)) {
    await runtime.stop();
    throw new Error('refusing to test against endpoints that are not on loopback');
  }
  const client = DynamoDBDocumentClient.from(dynamoClient(runtime.endpoints.dynamodb), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    runtime,
    db: { client, table: runtime.tableName },
    stop: async () => {
      client.destroy();
      await runtime.stop();
    },
  };
}

export interface ShopInput {
  shopId: string;
  currency?: string;
  locale?: string;
  timezone?: string;
  secrets?: { shopify?: string; woocommerce?: string; generic?: string };
  settings?: { ignoreTestOrders?: boolean };
}

/** POST /admin/shops; answers the shop's API key (shown once). */
export async function createShopOverHttp(runtime: Runtime, input: ShopInput): Promise<string> {
  const res = await send(`${runtime.apiUrl}/admin/shops`, {
    headers: { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: `Shop ${input.shopId}`,
      currency: 'USD',
      locale: 'en-US',
      timezone: 'America/Toronto',
      ...input,
    }),
  });
  if (res.status !== 201) throw new Error(`creating ${input.shopId}: ${res.status} ${res.text}`);
  return res.json.apiKey as string;
}

/** GET on the shop API with its key. */
export function apiGet(runtime: Runtime, apiKey: string, path: string): Promise<RawResponse> {
  return send(`${runtime.apiUrl}${path}`, { method: 'GET', headers: { authorization: `Bearer ${apiKey}` } });
}

/** GET /v1/customers?<kind>=<value>: the one profile found, or undefined (the lookup must answer 200). */
export async function lookup(runtime: Runtime, apiKey: string, kind: 'externalId' | 'email' | 'phone', value: string) {
  const res = await apiGet(runtime, apiKey, `/v1/customers?${kind}=${encodeURIComponent(value)}`);
  if (res.status !== 200) throw new Error(`lookup ${kind}=${value}: ${res.status} ${res.text}`);
  const items = res.json.items as unknown[];
  if (items.length > 1) throw new Error(`lookup ${kind}=${value} found ${items.length} customers`);
  // biome-ignore lint/suspicious/noExplicitAny: profiles are checked by assertions, not by types
  return items[0] as any;
}

/** Every item of one shop (its own partitions: SHOP#{shopId} and SHOP#{shopId}#…), sorted, for before/after comparisons. */
export async function shopItems(db: Db, shopId: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(new ScanCommand({ TableName: db.table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const pk = String(item.PK);
      if (pk === `SHOP#${shopId}` || pk.startsWith(`SHOP#${shopId}#`)) items.push(item);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const key = (item: Record<string, unknown>) => `${item.PK}\u0000${item.SK}`;
  return items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** A delivery to the generic webhook route, signed with the shop's generic secret as a shop's server would sign it. */
export function postGeneric(runtime: Runtime, shopId: string, secret: string, payload: unknown): Promise<RawResponse> {
  const body = JSON.stringify(payload);
  return send(`${runtime.apiUrl}/webhooks/generic/${shopId}`, {
    headers: { 'x-rapport-signature': signGeneric(secret, body, Math.floor(Date.now() / 1000)) },
    body,
  });
}
