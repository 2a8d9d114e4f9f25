import { expect } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import { SHOPIFY_ADMIN_URL_ENV } from '#shared/connectors/discount-codes.ts';
import type { Db } from '#shared/data/db.ts';
import type { Program } from '#shared/loyalty/program.ts';
import type { Reward } from '#shared/loyalty/rewards.ts';
import { loadFixture } from '#test/support/fixtures.ts';
import { apiGet, createShopOverHttp, lookup, startTestRuntime } from '#test/support/local-api.ts';
import { type RawResponse, send, shopifyHeaders } from '#test/support/senders.ts';
import { type ShopifyAdminServer, type ShopifyServerOptions, startShopifyAdminServer } from '#test/support/shopify-admin-server.ts';

/**
 * A Shopify shop on the local runtime whose reward codes are created on the Shopify Admin contract
 * server (test/support/shopify-admin-server.ts): its webhook secret, its Admin credentials, its
 * storefront secret, the catalog the test gives, and one Shopify customer (customers_create) holding
 * the points the test gives. The codes consumer retries after a second instead of its first 10 s
 * backoff step, so a failed creation still goes through the queue within a test's patience.
 */

export interface RewardShopOptions {
  shopId: string;
  /** The shop's *.myshopify.com domain on the contract server. */
  shopDomain: string;
  storefrontSecret: string;
  rewards: Reward[];
  /** The customer's balance to start with, given as a staff adjustment. */
  points: number;
  shopify?: Omit<ShopifyServerOptions, 'shopDomain'>;
}

export interface RewardShop {
  runtime: Runtime;
  db: Db;
  shopify: ShopifyAdminServer;
  apiKey: string;
  /** Rapport's id of the customer, and the Shopify id it was created from. */
  customerId: string;
  shopifyCustomerId: string;
  program(): Promise<Program>;
  balance(): Promise<number>;
  /** A Shopify webhook delivery to the shop, signed as Shopify signs it. */
  postShopify(topic: string, body: string): Promise<RawResponse>;
  /** Shopify's orders/paid example, made this customer's live order carrying `code` worth `amount` (e.g. "10.00"). */
  paidOrderWithCode(orderId: number, code: string, amount: string): string;
  stop(): Promise<void>;
}

const customerFixture = loadFixture('shopify', 'customers_create');
const RETRY_ENV = 'RAPPORT_CODE_RETRY_SECONDS';

export async function startRewardShop(options: RewardShopOptions): Promise<RewardShop> {
  const envBefore = { [SHOPIFY_ADMIN_URL_ENV]: process.env[SHOPIFY_ADMIN_URL_ENV], [RETRY_ENV]: process.env[RETRY_ENV] };
  const shopify = await startShopifyAdminServer({ ...options.shopify, shopDomain: options.shopDomain });
  // Read when a code is created, by the consumer running in this process.
  process.env[SHOPIFY_ADMIN_URL_ENV] = shopify.url;
  process.env[RETRY_ENV] = '1';
  let started: Awaited<ReturnType<typeof startTestRuntime>> | undefined;
  const stop = async () => {
    await started?.stop();
    await shopify.close();
    for (const [name, value] of Object.entries(envBefore)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  try {
    started = await startTestRuntime();
    return await openShop(options, shopify, started, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

async function openShop(
  options: RewardShopOptions,
  shopify: ShopifyAdminServer,
  { runtime, db }: { runtime: Runtime; db: Db },
  stop: () => Promise<void>,
): Promise<RewardShop> {
  const webhookSecret = `${options.shopId}-shopify-webhook-secret`;
  const apiKey = await createShopOverHttp(runtime, {
    shopId: options.shopId,
    currency: 'USD',
    locale: 'en-US',
    timezone: 'America/New_York',
    secrets: { shopify: webhookSecret },
  });
  const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const patched = await send(`${runtime.apiUrl}/v1/shop`, {
    method: 'PATCH',
    headers: auth,
    body: JSON.stringify({
      shopify: { domain: shopify.shopDomain, adminAccessToken: shopify.accessToken },
      secrets: { storefront: options.storefrontSecret },
    }),
  });
  expect(patched.status, patched.text).toBe(200);

  const current = (await apiGet(runtime, apiKey, '/v1/program')).json as { version: number; program: Program };
  const saved = await send(`${runtime.apiUrl}/v1/program`, {
    method: 'PUT',
    headers: auth,
    body: JSON.stringify({ version: current.version, program: { ...current.program, rewards: options.rewards } }),
  });
  expect(saved.status, saved.text).toBe(200);

  const postShopify = (topic: string, body: string) =>
    send(`${runtime.apiUrl}/webhooks/shopify/${options.shopId}`, {
      headers: shopifyHeaders({ topic, secret: webhookSecret, body, shopDomain: shopify.shopDomain }),
      body,
    });

  // A Shopify customer, so a code can be restricted to their Shopify id.
  const shopifyCustomerId = String((customerFixture.body as { id: string | number }).id);
  const created = await postShopify('customers/create', customerFixture.raw);
  expect(created.status, created.text).toBe(202);
  await runtime.idle();
  const customerId = (await lookup(runtime, apiKey, 'externalId', `shopify:${shopifyCustomerId}`)).customerId as string;
  const adjusted = await send(`${runtime.apiUrl}/v1/customers/${customerId}/points`, {
    headers: { ...auth, 'idempotency-key': 'reward-shop-opening-balance' },
    body: JSON.stringify({ points: options.points, reason: 'welcome gift' }),
  });
  expect(adjusted.status, adjusted.text).toBe(201);

  return {
    runtime,
    db,
    shopify,
    apiKey,
    customerId,
    shopifyCustomerId,
    program: async () => ((await apiGet(runtime, apiKey, '/v1/program')).json as { program: Program }).program,
    balance: async () => (await apiGet(runtime, apiKey, `/v1/customers/${customerId}`)).json.points.balance as number,
    postShopify,
    paidOrderWithCode: (orderId, code, amount) => {
      // The example is a voided test order from 2021 by someone else: made paid, live, this customer's, placed now.
      const order = structuredClone(loadFixture('shopify', 'orders_paid').body);
      const now = new Date().toISOString();
      Object.assign(order, {
        id: orderId,
        created_at: now,
        processed_at: now,
        updated_at: now,
        admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
        name: `#${orderId}`,
        financial_status: 'paid',
        test: false,
        cancelled_at: null,
        discount_codes: [{ code, amount, type: 'fixed_amount' }],
        // Shopify updates the customer when they order (orders_count, total_spent).
        customer: { ...customerFixture.body, updated_at: now },
        refunds: [],
      });
      return JSON.stringify(order);
    },
    stop,
  };
}
