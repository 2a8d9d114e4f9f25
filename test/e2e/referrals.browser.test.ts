import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import { referralCodeFor } from '#shared/use-cases/referrals.ts';
import { CHROMIUM, loopbackPage } from '#test/support/browser.ts';
import { CONSOLE_SHOTS, screenshotOnFailure } from '#test/support/console-session.ts';
import { loadFixture } from '#test/support/fixtures.ts';
import { apiGet, createShopOverHttp, lookup, startTestRuntime } from '#test/support/local-api.ts';
import { send, shopifyHeaders, wooHeaders } from '#test/support/senders.ts';

/**
 * The Referrals page in Chromium against the local runtime, the referrals made as the platforms
 * make them: Bob (Shopify's customers/create sample) refers Jon, whose Shopify orders/paid sample
 * landed on `/?ref={code}`, and Lan, who typed the code as a WooCommerce coupon and was refunded in
 * full; a run over HTTP approves Jon's referral and rejects Lan's as refunded. The page shows both,
 * with the status, the reason and the revenue the API gives, links to the customers, and filters to
 * Bob's friends (a mistyped id refused at the input). Its screenshot is docs/console/referrals.png.
 */

const SHOP = 'referral-console';
const SHOPIFY_SECRET = 'referral-console-shopify-secret-01';
const WOO_SECRET = 'referral-console-woocommerce-secret1';

let runtime: Runtime;
let stop: (() => Promise<void>) | undefined;
let apiKey: string;
let browser: Browser | undefined;
let page: Page;
const problems: string[] = [];
const people: Record<'bob' | 'jon' | 'lan', string> = { bob: '', jon: '', lan: '' };

const postShopify = (topic: string, body: string) =>
  send(`${runtime.apiUrl}/webhooks/shopify/${SHOP}`, { headers: shopifyHeaders({ topic, secret: SHOPIFY_SECRET, body }), body });
const postWoo = (topic: string, body: string) =>
  send(`${runtime.apiUrl}/webhooks/woocommerce/${SHOP}`, { headers: wooHeaders({ topic, secret: WOO_SECRET, body }), body });

async function waitForRun(runId: string) {
  for (let i = 0; i < 480; i++) {
    const res = await apiGet(runtime, apiKey, `/v1/runs/${runId}`);
    if (res.json.status === 'succeeded' || res.json.status === 'failed') return res.json;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`run ${runId} did not finish`);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`The browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium.`);
  if (!existsSync(join('console', 'dist', 'index.html'))) throw new Error('The console is not built: npm run build:console.');
  mkdirSync(CONSOLE_SHOTS, { recursive: true });
  const started = await startTestRuntime();
  runtime = started.runtime;
  stop = started.stop;
  apiKey = await createShopOverHttp(runtime, {
    shopId: SHOP,
    currency: 'USD',
    secrets: { shopify: SHOPIFY_SECRET, woocommerce: WOO_SECRET },
    settings: { ignoreTestOrders: false },
  });

  expect((await postShopify('customers/create', loadFixture('shopify', 'customers_create').raw)).status).toBe(202);
  await runtime.idle(60_000);
  people.bob = (await lookup(runtime, apiKey, 'externalId', 'shopify:706405506930370084')).customerId;
  const code = await referralCodeFor(started.db, SHOP, people.bob, new Date());

  const shopifyOrder = {
    ...loadFixture('shopify', 'orders_paid').body,
    test: false,
    financial_status: 'paid',
    cancelled_at: null,
    landing_site: `/?ref=${code}`,
  };
  expect((await postShopify('orders/paid', JSON.stringify(shopifyOrder))).status).toBe(202);
  const wooSample = loadFixture('woocommerce', 'order').body;
  const couponOrder = {
    ...wooSample,
    id: 728,
    billing: { ...(wooSample.billing as Record<string, unknown>), first_name: 'Lan', last_name: 'Ng', email: 'lan@example.com', phone: '' },
    shipping: { first_name: 'Lan', last_name: 'Ng', address_1: '12 Lê Lợi', city: 'Huế', postcode: '530000', country: 'VN' },
    meta_data: [],
    coupon_lines: [{ id: 7, code: code.toLowerCase(), discount: '2.00', discount_tax: '0.00', meta_data: [] }],
  };
  expect((await postWoo('order.created', JSON.stringify(couponOrder))).status).toBe(202);
  await runtime.idle(60_000);
  const refunded = {
    ...couponOrder,
    status: 'refunded',
    date_modified_gmt: '2017-03-23T10:00:00',
    refunds: [{ id: 900, reason: '', total: '-29.35' }],
  };
  expect((await postWoo('order.updated', JSON.stringify(refunded))).status).toBe(202);
  await runtime.idle(60_000);
  people.jon = (await lookup(runtime, apiKey, 'externalId', 'shopify:115310627314723954')).customerId;
  people.lan = (await lookup(runtime, apiKey, 'email', 'lan@example.com')).customerId;

  // The orders are years old: the approval period is long past at the run.
  const run = await send(`${runtime.apiUrl}/v1/runs`, { headers: { authorization: `Bearer ${apiKey}` }, body: '' });
  expect(run.status).toBe(202);
  expect((await waitForRun(run.json.runId as string)).model.referrals).toEqual({ approved: 1, rejected: 1 });

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  ({ page } = await loopbackPage(
    browser,
    {
      hosts: ['127.0.0.1'],
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
      timezoneId: 'America/Toronto',
      // The mistyped referrer id is refused on purpose: the browser logs that 400.
      expectedErrors: /status of 400/,
    },
    problems,
  ));
}, 240_000);

screenshotOnFailure('referrals', () => page);

afterAll(async () => {
  await browser?.close();
  await stop?.();
});

const usd = (amount: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(amount / 100);
const row = (name: string) => page.getByRole('region', { name: 'Referrals' }).getByRole('row').filter({ hasText: name });

describe('the Referrals page, in Chromium against the local runtime', () => {
  it('shows the approved and the rejected referral with reason and revenue, the referrer summed, and filters to one referrer', async () => {
    const api = (await apiGet(runtime, apiKey, '/v1/referrals')).json as {
      items: Array<{ friend: { customerId: string; name: string | null }; status: string; revenue: { amount: number } }>;
      referrers: Array<{ customerId: string; revenue: { amount: number } }>;
    };
    const jon = api.items.find((item) => item.friend.customerId === people.jon);
    const lan = api.items.find((item) => item.friend.customerId === people.lan);
    expect([jon?.status, lan?.status]).toEqual(['approved', 'rejected']);
    const jonName = jon?.friend.name as string;
    const lanName = lan?.friend.name as string;
    expect(jonName).toBeTruthy();
    expect(lanName).toBe('Lan Ng');

    await page.goto(`${runtime.apiUrl}/`);
    await page.getByRole('textbox', { name: 'API key' }).fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Referrals', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();

    await row(jonName).waitFor();
    expect(await row(jonName).getByRole('cell').allInnerTexts()).toEqual([
      jonName,
      expect.stringMatching(/^Bob Biller\n[A-Z2-9]{8} · link$/),
      expect.stringMatching(/^#?\w+\n/),
      usd(jon?.revenue.amount as number),
      expect.stringMatching(/^Approved\n/),
      'Friend: 100 points\nReferrer: 200 points',
    ]);
    const lanCells = await row(lanName).getByRole('cell').allInnerTexts();
    expect(lanCells[1]).toMatch(/^Bob Biller\n[A-Z2-9]{8} · discount code$/);
    expect(lanCells[3]).toBe(usd(lan?.revenue.amount as number));
    expect(lanCells[4]).toMatch(/^Rejected\norder refunded\n/);
    expect(lanCells[5]).toBe('Friend: 100 points\nReferrer: —');

    const referrers = page.getByRole('region', { name: 'Referrers' });
    expect(await referrers.getByRole('row').filter({ hasText: 'Bob Biller' }).getByRole('cell').allInnerTexts()).toEqual([
      'Bob Biller',
      '2',
      '0',
      '1',
      '1',
      usd(api.referrers[0]?.revenue.amount as number),
      'Their friends',
    ]);
    await page.screenshot({ path: join(CONSOLE_SHOTS, 'referrals.png'), fullPage: true });

    // A mistyped id: the API's 400 at the input, nothing else replaced.
    await page.getByRole('textbox', { name: 'Referrer' }).fill('bob');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.getByRole('textbox', { name: 'Referrer' }).getAttribute('aria-invalid')).toBe('true');
    await page.getByText(/referrer: a customer id such as c_/).waitFor();

    // Bob's friends only, from the summary's button; the URL holds the filter.
    await page.getByRole('button', { name: 'All referrers' }).click();
    await referrers.getByRole('button', { name: 'Their friends' }).click();
    await page.waitForURL(`**/referrals?referrer=${people.bob}`);
    await row(lanName).waitFor();
    expect(await page.getByRole('textbox', { name: 'Referrer' }).inputValue()).toBe(people.bob);

    // A friend's name goes to their customer page.
    await row(jonName).getByRole('link', { name: jonName }).click();
    await page.getByRole('heading', { level: 1, name: jonName }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/customers/${people.jon}`);
    expect(problems).toEqual([]);
  });
});
