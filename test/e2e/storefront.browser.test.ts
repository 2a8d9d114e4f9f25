import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getRewardCode, type RewardCode } from '#shared/data/reward-code-repo.ts';
import { signCustomer } from '#shared/domain/customer-signature.ts';
import { expireRewardCodes } from '#shared/use-cases/create-reward-code.ts';
import { CHROMIUM, loopbackPage } from '#test/support/browser.ts';
import { type RewardShop, startRewardShop } from '#test/support/reward-shop.ts';
import { WIDGET_FILE } from '#widget/size.ts';

/**
 * Rewards on a shop's own site, end to end on the real local runtime: a test storefront page on its
 * own origin embeds the widget the runtime serves, signed in as a Shopify customer with points (the
 * page's server signs her afresh on every load, as a shop's server does). In Chromium she sees her
 * balance and the rewards, redeems $10 off and gets the code — pending while the codes consumer
 * creates it on the Shopify Admin contract server, through a failure after the write, then issued —
 * and the contract server holds exactly one discount for her with the reward's value and the code's
 * dates. A paid order carrying the code marks it used; a second reward's code left to expire gives
 * its points back in the scheduled run's expiry step, and the widget shows both.
 *
 * Screenshots: docs/storefront/e2e-*.png; `failure.png` in .previews/storefront-e2e/ when a step fails.
 */

const SHOTS = join('docs', 'storefront');
const FAILURES = join('.previews', 'storefront-e2e');
const SHOP = 'corner-store';
const STOREFRONT_SECRET = 'sf_corner-store-storefront-secret-000001';
const START_POINTS = 200;

let shop: RewardShop;
let storefront: Server;
let storefrontUrl: string;
let browser: Browser | undefined;
let page: Page;
const problems: string[] = [];
const timings: Record<string, number> = {};

/** The shop's product page, as its server renders it for the signed-in customer. */
const storefrontPage = (api: string, signature: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Corner Store</title>
<style>
  body { margin: 0; font-family: system-ui, sans-serif; background: #fafaf7; color: #222; }
  header { background: #23395d; color: #fff; padding: 18px 32px; font-size: 22px; display: flex; justify-content: space-between; }
  header small { font-size: 14px; opacity: .85; align-self: center; }
  main { padding: 32px; display: grid; grid-template-columns: repeat(3, 1fr); gap: 24px; max-width: 960px; }
  .product { background: #fff; border-radius: 8px; padding: 16px; height: 200px; box-shadow: 0 1px 3px rgb(0 0 0 / 10%); }
  .product b { display: block; margin-top: 150px; }
</style></head>
<body><header>CORNER STORE<small>Signed in as Bob</small></header>
<main>
  <div class="product"><b>Canvas tote · $24.00</b></div>
  <div class="product"><b>Enamel mug · $16.00</b></div>
  <div class="product"><b>Wool socks · $12.00</b></div>
  <div class="product"><b>Notebook · $9.00</b></div>
  <div class="product"><b>Candle · $18.00</b></div>
  <div class="product"><b>Gift card · $50.00</b></div>
</main>
<rapport-loyalty api="${api}" shop="${SHOP}" customer="${signature}" lang="en"></rapport-loyalty>
<script src="${api}/widget/rapport-loyalty.js"></script>
</body></html>`;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`This browser test needs Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium.`);
  if (!existsSync(WIDGET_FILE)) throw new Error('The widget is not built: npm run build:widget (npm test builds it first).');
  mkdirSync(SHOTS, { recursive: true });
  mkdirSync(FAILURES, { recursive: true });
  const started = performance.now();
  shop = await startRewardShop({
    shopId: SHOP,
    shopDomain: 'corner-store.myshopify.com',
    storefrontSecret: STOREFRONT_SECRET,
    points: START_POINTS,
    rewards: [
      {
        id: 'ten-off',
        name: { en: '$10 off' },
        value: { kind: 'amount_off', amount: 1_000 },
        cost: { kind: 'fixed', points: 100 },
        validityDays: 30,
        active: true,
      },
      // The Gold tier's monthly perk names it too.
      {
        id: 'free-shipping',
        name: { en: 'Free shipping' },
        value: { kind: 'free_shipping' },
        cost: { kind: 'fixed', points: 50 },
        validityDays: 14,
        active: true,
      },
      // The program's win-back offer: given, not sold.
      {
        id: 'win-back',
        name: { en: '10 % off: we miss you' },
        value: { kind: 'percent_off', percent: 10 },
        cost: { kind: 'fixed', points: 1000 },
        validityDays: 14,
        active: false,
      },
    ],
  });
  timings.setup = performance.now() - started;

  // Another port is another origin: every widget call is cross-origin, with its preflight.
  storefront = createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404).end();
      return;
    }
    const signature = signCustomer(STOREFRONT_SECRET, SHOP, `shopify:${shop.shopifyCustomerId}`, Math.floor(Date.now() / 1000));
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'private, no-store' })
      .end(storefrontPage(shop.runtime.apiUrl, signature));
  });
  await new Promise<void>((resolve) => storefront.listen(0, '127.0.0.1', resolve));
  storefrontUrl = `http://127.0.0.1:${(storefront.address() as AddressInfo).port}/`;

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  ({ page } = await loopbackPage(
    browser,
    { viewport: { width: 1200, height: 900 }, locale: 'en-US', timezoneId: 'America/New_York', hosts: ['127.0.0.1'] },
    problems,
  ));
}, 120_000);

afterEach(async ({ task }) => {
  if (task.result?.state === 'fail' || task.result?.errors?.length) {
    await page?.screenshot({ path: join(FAILURES, 'failure.png') }).catch(() => undefined);
  }
  expect(problems).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (storefront ? storefront.close(resolve) : resolve(undefined)));
  await shop?.stop();
  process.stdout.write(
    `storefront e2e: ${Object.entries(timings)
      .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
      .join(', ')}\n`,
  );
});

const widget = () => page.locator('rapport-loyalty');
const shot = (name: string) => page.screenshot({ path: join(SHOTS, `e2e-${name}.png`) });
const gid = () => `gid://shopify/Customer/${shop.shopifyCustomerId}`;
/** A date as the widget writes it in English for a shopper in New York. */
const shownDate = (iso: string) =>
  new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'America/New_York' }).format(new Date(iso));
const onShopifyFor = () => shop.shopify.created().filter((discount) => discount.customers.includes(gid()));

/** The storefront page freshly loaded (and signed), the panel opened from the launcher showing `points`. */
async function openPanel(points: number) {
  await page.goto(storefrontUrl);
  await widget()
    .getByRole('button', { name: `Rewards · ${points} points` })
    .click();
  const dialog = widget().getByRole('dialog', { name: `Rewards at Shop ${SHOP}` });
  await dialog.getByText('Hi Bob').waitFor();
  return dialog;
}

let tenOff: RewardCode;

describe('rewards on a storefront page, in Chromium, against the local runtime and a Shopify contract server', () => {
  it('shows the signed-in customer her balance and the rewards, redeems $10 off and shows the code once Shopify has it', async () => {
    const started = performance.now();
    const dialog = await openPanel(START_POINTS);
    await dialog.getByText(`${START_POINTS} points`, { exact: true }).waitFor();
    const card = (name: string) => dialog.locator('.card').filter({ hasText: name });
    await card('$10 off').getByText('100 points').waitFor();
    await card('Free shipping').getByText('50 points').waitFor();
    expect(await card('$10 off').getByRole('button', { name: 'Redeem' }).isEnabled()).toBe(true);
    expect(await card('Free shipping').getByRole('button', { name: 'Redeem' }).isEnabled()).toBe(true);
    expect(await dialog.locator('.card').filter({ hasText: 'we miss you' }).count()).toBe(0);
    await shot('member');

    // Shopify takes the first creation but its answer is lost: the consumer tries again a second
    // later and must find it there, not create a second discount.
    shop.shopify.failNext('503-after-write');
    await card('$10 off').getByRole('button', { name: 'Redeem' }).click();
    await dialog.getByText('Your code is being created. It will appear here in a moment.').waitFor();
    await widget()
      .getByRole('button', { name: `Rewards · ${START_POINTS - 100} points` })
      .waitFor();
    await shot('pending');
    const shown = dialog.locator('.code .val');
    await shown.waitFor({ timeout: 30_000 });
    const code = (await shown.textContent()) ?? '';
    await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
    await dialog.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(code);
    timings.redeemToCode = performance.now() - started;

    const stored = await getRewardCode(shop.db, SHOP, code, true);
    expect(stored).toMatchObject({ customerId: shop.customerId, rewardId: 'ten-off', status: 'issued', points: 100 });
    tenOff = stored!;
    await dialog
      .locator('.code')
      .getByText(`Valid until ${shownDate(tenOff.expiresAt)}`)
      .waitFor();
    await shot('code');
    const onShopify = onShopifyFor();
    expect(onShopify).toHaveLength(1);
    expect(onShopify[0]).toMatchObject({
      kind: 'basic',
      code,
      value: { amount: '10.00', appliesOnEachItem: false },
      items: 'all',
      customers: [gid()],
      usageLimit: 1,
      shopDomain: 'corner-store.myshopify.com',
    });
    expect(Date.parse(onShopify[0]!.startsAt)).toBe(Date.parse(tenOff.issuedAt));
    expect(Date.parse(onShopify[0]!.endsAt!)).toBe(Date.parse(tenOff.expiresAt));
    expect(Date.parse(tenOff.expiresAt) - Date.parse(tenOff.issuedAt)).toBe(30 * 86_400_000);
    expect(tenOff.platformId).toBe(onShopify[0]!.id);
    // The lost answer was retried: a lookup beside the one creation.
    expect(shop.shopify.requests()).toBeGreaterThan(1);
    expect(await shop.balance()).toBe(START_POINTS - 100);
  });

  it('marks the code used when the paid order carrying it arrives, and the widget lists it used', async () => {
    const started = performance.now();
    const posted = await shop.postShopify('orders/paid', shop.paidOrderWithCode(8_801_001, tenOff.code.toLowerCase(), '10.00'));
    expect(posted.status, posted.text).toBe(202);
    await shop.runtime.idle();
    expect(await getRewardCode(shop.db, SHOP, tenOff.code, true)).toMatchObject({ status: 'used', usedOrderId: '8801001' });

    // The order earned points too: the widget shows what the shop API shows.
    const balance = await shop.balance();
    expect(balance).toBeGreaterThan(START_POINTS - 100);
    const dialog = await openPanel(balance);
    const listed = dialog.locator('.list li').filter({ hasText: tenOff.code });
    await listed.locator('.pill.used').getByText('Used').waitFor();
    await dialog.getByRole('heading', { name: 'Your codes' }).scrollIntoViewIfNeeded();
    await shot('used');
    timings.orderToUsed = performance.now() - started;
  });

  it('gives the points of a code that expired unused back in the scheduled run, as the widget then shows', async () => {
    const started = performance.now();
    const before = await shop.balance();
    const dialog = await openPanel(before);
    await dialog.locator('.card').filter({ hasText: 'Free shipping' }).getByRole('button', { name: 'Redeem' }).click();
    const shown = dialog.locator('.code .val');
    await shown.waitFor({ timeout: 30_000 });
    const code = (await shown.textContent()) ?? '';
    await widget()
      .getByRole('button', { name: `Rewards · ${before - 50} points` })
      .waitFor();
    const freeShipping = (await getRewardCode(shop.db, SHOP, code, true))!;
    expect(freeShipping).toMatchObject({ rewardId: 'free-shipping', status: 'issued', points: 50 });
    const onShopify = onShopifyFor();
    expect(onShopify.map((discount) => discount.code).sort()).toEqual([tenOff.code, code].sort());
    expect(onShopify.find((discount) => discount.code === code)).toMatchObject({
      kind: 'free_shipping',
      destination: 'all',
      customers: [gid()],
      usageLimit: 1,
      startsAt: expect.any(String),
    });
    const created = onShopify.find((discount) => discount.code === code)!;
    expect(Date.parse(created.startsAt)).toBe(Date.parse(freeShipping.issuedAt));
    expect(Date.parse(created.endsAt!)).toBe(Date.parse(freeShipping.expiresAt));

    // The scheduled run a minute after the code's expiry.
    const later = new Date(Date.parse(freeShipping.expiresAt) + 60_000);
    const counters = await expireRewardCodes(SHOP, await shop.program(), later, { db: shop.db, now: () => later });
    expect(counters).toEqual({ expired: 1, pointsReturned: 1, resent: 0, refused: 0 });
    expect(await getRewardCode(shop.db, SHOP, code, true)).toMatchObject({ status: 'returned' });
    expect(await getRewardCode(shop.db, SHOP, tenOff.code, true)).toMatchObject({ status: 'used' });
    expect(await shop.balance()).toBe(before);

    const reloaded = await openPanel(before);
    await reloaded.getByText(`${before} points`, { exact: true }).waitFor();
    await reloaded.locator('.list li').filter({ hasText: code }).locator('.pill.returned').getByText('Expired, points returned').waitFor();
    const returned = reloaded.locator('.list li').filter({ hasText: `Points returned for code ${code}` });
    await returned.getByText('+50').waitFor();
    await reloaded.getByRole('heading', { name: 'History' }).scrollIntoViewIfNeeded();
    await shot('returned');
    timings.redeemExpireReturn = performance.now() - started;
  });
});
