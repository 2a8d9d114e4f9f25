import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StorefrontCode, StorefrontLanguage, StorefrontMe, StorefrontRedeemAnswer } from '#shared/http/storefront-contract.ts';
import { CHROMIUM, loopbackPage } from '#test/support/browser.ts';
import { WIDGET_FILE } from '#widget/size.ts';

/**
 * The storefront widget in Chromium, as a shop's customer meets it: a test storefront page on one
 * origin (localhost) loads the built script from another (127.0.0.1), which also answers a fake
 * storefront API from test/fixtures/storefront — so every API call is cross-origin, with its CORS
 * preflight, as on a real shop. The real API's own browser test runs against the runtime.
 *
 * Screenshots go to docs/storefront/ (the docs show them); `failure-<test>.png` in .previews/ when
 * a step fails.
 */

const SHOTS = join('docs', 'storefront');
const FAILURES = join('.previews', 'widget-e2e');
const SHOP = 'tra-xanh';
/** What the shop's server would sign (docs/STOREFRONT.md); the fake API only checks it arrives as it is. */
const SIGNED = 't=1796000000,c=shopify%3A7301,v1=5f2c0c1d9b3e6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f';
const EXPIRED = 't=1700000000,c=shopify%3A7301,v1=00';
const LINK = 'lnk_01JD3QW9V4';

const fixture = (language: StorefrontLanguage): StorefrontMe =>
  JSON.parse(readFileSync(new URL(`../fixtures/storefront/me-${language}.json`, import.meta.url), 'utf8')) as StorefrontMe;

interface Seen {
  method: string;
  path: string;
  search: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** The fake API's memory: requests seen, codes redeemed (pending until asked for once more), faults to play. */
const api = {
  seen: [] as Seen[],
  codes: [] as StorefrontCode[],
  /** Reads of each pending code since its redeem: the widget reads once at once, then every 3 s. */
  pendingReads: new Map<string, number>(),
  /**
   * Redeem calls lose their connection before any answer while this is set. (Chromium itself sends
   * a request again, once, when a kept-alive connection closes under it: how many arrive varies.)
   */
  offline: false,
  /** Redeem calls of these rewards are refused (409), as when the points went elsewhere meanwhile. */
  refuse: new Set<string>(),
  reset() {
    this.seen = [];
    this.codes = [];
    this.pendingReads.clear();
    this.offline = false;
    this.refuse.clear();
  },
  redeems: () => api.seen.filter((s) => s.method === 'POST'),
};

function me(language: StorefrontLanguage, headers: IncomingMessage['headers']): StorefrontMe {
  const answer = fixture(language);
  if (!headers['x-rapport-customer'] && !headers['x-rapport-link']) return { ...answer, customer: null };
  // A code is pending on the answer to its redeem and the read right after it, issued at the next
  // one (the widget's first poll), as a platform makes it a moment later.
  for (const code of api.codes.filter((c) => c.status === 'pending')) {
    const reads = (api.pendingReads.get(code.code) ?? 0) + 1;
    api.pendingReads.set(code.code, reads);
    if (reads >= 2) code.status = 'issued';
  }
  const customer = answer.customer!;
  const spent = spentPoints();
  return {
    ...answer,
    customer: {
      ...customer,
      spendable: customer.spendable - spent,
      balance: customer.balance - spent,
      codes: [...api.codes, ...customer.codes],
    },
  };
}

const spentPoints = () => api.codes.reduce((sum, c) => sum + c.points, 0);

function redeemAnswer(language: StorefrontLanguage, rewardId: string, steps: number | undefined): StorefrontRedeemAnswer | undefined {
  const reward = fixture(language).customer!.rewards.find((r) => r.id === rewardId);
  if (!reward?.available || api.refuse.has(rewardId)) return undefined;
  const points = reward.cost.kind === 'per' ? reward.cost.points * (steps ?? reward.cost.minSteps) : reward.cost.points;
  const value = reward.value.kind === 'amount_off' && steps ? { ...reward.value, amount: reward.value.amount * steps } : reward.value;
  const code: StorefrontCode = {
    code: `RAP-${rewardId.toUpperCase().replace(/[^A-Z0-9]/g, '')}-${api.codes.length + 7}K2M`,
    rewardId,
    name: reward.name,
    value,
    points,
    issuedAt: '2026-12-03T10:00:00Z',
    expiresAt: '2027-01-02T10:00:00Z',
    status: 'pending',
  };
  api.codes.unshift(code);
  const { spendable, balance } = fixture(language).customer!;
  return { code: { ...code }, spendable: spendable - spentPoints(), balance: balance - spentPoints() };
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST',
  'access-control-allow-headers': 'content-type, idempotency-key, x-rapport-customer, x-rapport-link, x-rapport-shop',
};

const storefrontPage = (params: URLSearchParams, scriptUrl: string) => {
  const attrs = ['shop', 'customer', 'link', 'lang', 'mode', 'api']
    .filter((name) => params.has(name))
    .map((name) => ` ${name}="${params.get(name)}"`)
    .join('');
  const page = params.get('mode') === 'page';
  return `<!doctype html>
<html lang="${params.get('html') ?? 'vi'}"><head><meta charset="utf-8"><title>Trà Xanh</title>
<style>
  body { margin: 0; font-family: Georgia, serif; background: #f6f1e7; color: #2b2b2b; }
  header { background: #28433a; color: #f6f1e7; padding: 18px 32px; font-size: 22px; letter-spacing: .05em; }
  main { padding: 32px; display: grid; grid-template-columns: repeat(3, 1fr); gap: 24px; max-width: 960px; }
  .product { background: #fff; border-radius: 8px; padding: 16px; height: 220px; box-shadow: 0 1px 3px rgb(0 0 0 / 10%); }
  .wide { display: block; max-width: 760px; margin: 0 auto; }
  rapport-loyalty { ${params.get('theme') ?? ''} }
</style></head>
<body><header>TRÀ XANH · Tea house</header>
${page ? `<main class="wide"><rapport-loyalty${attrs}></rapport-loyalty></main>` : `<main><div class="product">Oolong</div><div class="product">Sencha</div><div class="product">Bạch trà</div><div class="product">Ấm chén</div><div class="product">Matcha</div><div class="product">Trà sen</div></main><rapport-loyalty${attrs}></rapport-loyalty>`}
<script src="${scriptUrl}"></script>
</body></html>`;
};

let server: Server;
let base: string;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`The widget's browser test needs Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium.`);
  if (!existsSync(WIDGET_FILE)) throw new Error('The widget is not built: npm run build:widget (npm test builds it first).');
  mkdirSync(SHOTS, { recursive: true });
  mkdirSync(FAILURES, { recursive: true });
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS).end();
        return;
      }
      if (url.pathname === '/shop') {
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(storefrontPage(url.searchParams, `${base}/widget/rapport-loyalty.js`));
        return;
      }
      if (url.pathname === '/widget/rapport-loyalty.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(readFileSync(WIDGET_FILE));
        return;
      }
      api.seen.push({ method: req.method ?? 'GET', path: url.pathname, search: url.search, headers: req.headers, body });
      const language = (url.searchParams.get('lang') ?? req.headers['accept-language']) === 'en' ? 'en' : 'vi';
      const json = (status: number, answer: unknown) =>
        res.writeHead(status, { ...CORS, 'content-type': 'application/json' }).end(JSON.stringify(answer));
      if (req.headers['x-rapport-customer'] === EXPIRED) {
        json(401, { error: { code: 'signature_expired', message: 'The signature has expired.' } });
        return;
      }
      if (req.method === 'GET' && url.pathname === '/v1/storefront/me') {
        json(200, me(language, req.headers));
        return;
      }
      const redeem = /^\/v1\/storefront\/me\/rewards\/([^/]+)\/redeem$/.exec(url.pathname);
      if (req.method === 'POST' && redeem) {
        const rewardId = decodeURIComponent(redeem[1]!);
        if (api.offline) {
          req.socket.destroy();
          return;
        }
        const { steps } = JSON.parse(body) as { steps?: number };
        const answer = redeemAnswer(language, rewardId, steps);
        if (answer) json(201, answer);
        else json(409, { error: { code: 'not_enough_points', message: language === 'vi' ? 'Không đủ điểm.' : 'Not enough points.' } });
        return;
      }
      json(404, { error: { code: 'not_found', message: 'No route' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

beforeEach(async ({ task }) => {
  api.reset();
  problems = [];
  // Loopback only: the page is on localhost, the script and API on 127.0.0.1; anything else is a problem.
  // Chromium logs every non-2xx answer; those the tests provoke are expected and said so below.
  ({ context, page } = await loopbackPage(
    browser!,
    {
      viewport: { width: 1200, height: 900 },
      locale: 'vi-VN',
      timezoneId: 'Asia/Ho_Chi_Minh',
      hosts: ['127.0.0.1', 'localhost'],
      expectedErrors: /Failed to load resource|ERR_EMPTY_RESPONSE/,
    },
    problems,
  ));
  return async () => {
    // Before the page goes with its context: the first thing to look at when a step failed.
    if (task.result?.state === 'fail' || task.result?.errors?.length) {
      const name = task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await page.screenshot({ path: join(FAILURES, `failure-${name}.png`) }).catch(() => undefined);
    }
    await context.close();
    expect(problems).toEqual([]);
  };
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** The storefront page on its own origin, the widget with these attributes. */
const openShop = (params: Record<string, string>) =>
  page.goto(`${base.replace('127.0.0.1', 'localhost')}/shop?${new URLSearchParams(params)}`);
const widget = () => page.locator('rapport-loyalty');
const shot = (name: string, fullPage = false) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });

describe('the storefront widget, in Chromium on a test shop page', () => {
  it('shows an anonymous visitor the program behind a launcher, in the page’s language, and closes on Escape', async () => {
    await openShop({ shop: SHOP, api: base, html: 'en' });
    const launcher = widget().getByRole('button', { name: 'Rewards' });
    await expect.poll(() => api.seen.length).toBe(1);
    expect(await launcher.getAttribute('aria-expanded')).toBe('false');
    await launcher.click();
    const dialog = widget().getByRole('dialog', { name: 'Rewards at Trà Xanh' });
    await dialog.waitFor();
    expect(await launcher.getAttribute('aria-expanded')).toBe('true');
    // Focus moved into the panel. (Strings: the test's own TypeScript has no DOM types.)
    const focused = "document.querySelector('rapport-loyalty').shadowRoot.activeElement";
    expect(await page.evaluate<string>(`${focused}.getAttribute('role')`)).toBe('dialog');
    await dialog.getByRole('heading', { name: 'How to earn points' }).waitFor();
    await dialog.getByText('Earn 1 point for every ₫10,000 you spend.').waitFor();
    await dialog.getByText('Sign in to your account to see your points and redeem rewards.').waitFor();
    await dialog.getByRole('heading', { name: 'Tiers' }).waitFor();
    await dialog.getByText(/From ₫5,000,000/).waitFor();
    await dialog.getByText('Gift tea set').waitFor();
    expect(await dialog.getByRole('button', { name: /Redeem/ }).count()).toBe(0);
    await shot('anonymous-en');

    const [call] = api.seen;
    expect(call).toMatchObject({ method: 'GET', path: '/v1/storefront/me', search: '?lang=en' });
    expect(call!.headers['x-rapport-shop']).toBe(SHOP);
    expect(call!.headers['x-rapport-customer']).toBeUndefined();
    expect(call!.headers['x-rapport-link']).toBeUndefined();

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await launcher.getAttribute('aria-expanded')).toBe('false');
    // Focus goes back to the launcher in the effect after the panel closes: waited for, not raced.
    await page.waitForFunction(`${focused}?.className === 'launcher'`, undefined, { timeout: 5_000 });
  });

  it('shows a signed-in customer her balance, tier progress and rewards in Vietnamese, and redeems one into a code she can copy', async () => {
    // No api attribute: the widget calls the origin it was loaded from.
    await openShop({ shop: SHOP, customer: SIGNED, html: 'vi-VN' });
    const launcher = widget().getByRole('button', { name: /Ưu đãi · 1\.250 điểm/ });
    await launcher.click();
    const dialog = widget().getByRole('dialog', { name: 'Ưu đãi tại Trà Xanh' });
    await dialog.getByText('Chào Lan').waitFor();
    await dialog.getByText('1.250 điểm', { exact: true }).waitFor();
    await dialog.getByText('240 điểm đang chờ').waitFor();
    const progress = dialog.getByRole('progressbar', { name: 'Tiến độ lên hạng Vàng' });
    expect(await progress.getAttribute('aria-valuenow')).toBe('69');
    await dialog.getByText(/Còn 1\.550\.000\s₫ nữa để lên hạng Vàng/).waitFor();

    const card = (name: string) => dialog.locator('.card').filter({ hasText: name });
    expect(await card('Bộ ấm chén quà tặng').getByRole('button', { name: 'Đổi' }).isDisabled()).toBe(true);
    await card('Bộ ấm chén quà tặng').getByText('Cần thêm 3.750 điểm').waitFor();
    expect(await card('Giảm 15% cho hạng Vàng').getByRole('button', { name: 'Đổi' }).isDisabled()).toBe(true);
    await shot('member-vi');

    await card('Giảm 50.000 ₫').getByRole('button', { name: 'Đổi' }).click();
    // Pending on the redeem's answer, issued at the next read a few seconds later.
    await dialog.getByText('Mã của bạn đang được tạo và sẽ hiện ở đây trong giây lát.').waitFor();
    const code = dialog.locator('.code .val');
    await code.waitFor({ timeout: 10_000 });
    const value = await code.textContent();
    expect(value).toMatch(/^RAP-OFF50K-\d+K2M$/);
    await dialog.getByText('Có hiệu lực đến', { exact: false }).first().waitFor();
    await dialog.getByRole('button', { name: 'Sao chép', exact: true }).click();
    await dialog.getByRole('button', { name: 'Đã sao chép' }).waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(value);
    await widget()
      .getByRole('button', { name: /Ưu đãi · 750 điểm/ })
      .waitFor();
    await dialog.getByRole('heading', { name: 'Mã của bạn' }).scrollIntoViewIfNeeded();
    await dialog.locator('.code').scrollIntoViewIfNeeded();
    await shot('member-vi-code');
    await dialog.getByRole('heading', { name: 'Lịch sử điểm' }).scrollIntoViewIfNeeded();
    await shot('member-vi-history');

    // Her referral invite: the offer in her words, her code, and the link she copies for a friend.
    const invite = dialog.locator('section').filter({ has: page.getByRole('heading', { name: 'Mời bạn bè' }) });
    await invite.scrollIntoViewIfNeeded();
    await invite.getByText('Mời bạn bè: bạn ấy nhận 100 điểm cho đơn hàng đầu tiên, bạn nhận 200 điểm khi đơn được xác nhận.').waitFor();
    await invite.getByText('K7MPQ2ZD', { exact: true }).waitFor();
    await invite.getByText('https://loyalty.traxanh.example.vn/r/K7MPQ2ZD').waitFor();
    await invite.getByRole('button', { name: 'Sao chép liên kết' }).click();
    await invite.getByRole('button', { name: 'Đã sao chép' }).waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe('https://loyalty.traxanh.example.vn/r/K7MPQ2ZD');
    await shot('member-vi-invite');

    const redeems = api.redeems();
    expect(redeems).toHaveLength(1);
    expect(redeems[0]).toMatchObject({ path: '/v1/storefront/me/rewards/off-50k/redeem', body: '{}' });
    expect(redeems[0]!.headers).toMatchObject({ 'x-rapport-shop': SHOP, 'x-rapport-customer': SIGNED, 'content-type': 'application/json' });
    expect(redeems[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const call of api.seen) expect(call.headers['x-rapport-customer']).toBe(SIGNED);
  });

  it('runs as the hosted page’s panel with a link token, in English by its lang attribute; a lost request is retried with the same Idempotency-Key', async () => {
    await openShop({ shop: SHOP, link: LINK, lang: 'en', mode: 'page', api: base, html: 'vi' });
    const region = widget().getByRole('region', { name: 'Rewards at Trà Xanh' });
    await region.getByText('Hi Lan').waitFor();
    expect(
      await widget()
        .getByRole('button', { name: /Rewards/ })
        .count(),
    ).toBe(0);
    await region.getByText('For Gold members only').waitFor();
    await region.getByText('Points from recent orders count once the return period is over.').waitFor();

    const perStep = region.locator('.card').filter({ hasText: 'Pay with points' });
    await perStep.getByRole('combobox', { name: 'Amount' }).selectOption({ label: '₫30,000' });
    api.offline = true;
    await perStep.getByRole('button', { name: 'Redeem for 300 points' }).click();
    await perStep
      .getByRole('alert')
      .getByText(/did not get through/)
      .waitFor();
    const lost = api.redeems().length;
    expect(lost).toBeGreaterThanOrEqual(1);
    api.offline = false;
    await perStep.getByRole('button', { name: 'Try again' }).click();
    await region.locator('.code .val').waitFor({ timeout: 10_000 });
    await region.getByText('₫30,000 off', { exact: false }).first().waitFor();
    await shot('page-en', true);

    const redeems = api.redeems();
    expect(redeems).toHaveLength(lost + 1);
    for (const call of redeems) {
      expect(call).toMatchObject({ path: '/v1/storefront/me/rewards/points-off/redeem', search: '', body: '{"steps":3}' });
      expect(call.headers['accept-language']).toBe('en');
      expect(call.headers['x-rapport-link']).toBe(LINK);
      expect(call.headers['x-rapport-customer']).toBeUndefined();
    }
    expect(new Set(redeems.map((call) => call.headers['idempotency-key'])).size).toBe(1);

    // A new click is a new redemption, with a key of its own.
    await region.locator('.card').filter({ hasText: 'Free shipping' }).getByRole('button', { name: 'Redeem' }).click();
    await expect.poll(() => api.redeems().length).toBe(lost + 2);
    expect(api.redeems()[lost + 1]!.headers['idempotency-key']).not.toBe(redeems[0]!.headers['idempotency-key']);
  });

  it('takes the shop’s colours, font and radius from CSS custom properties', async () => {
    const theme =
      '--rapport-accent: #8a2d3b; --rapport-accent-text: #fff8e7; --rapport-font: Georgia, serif; --rapport-radius: 4px; --rapport-launcher-bottom: 40px;';
    await openShop({ shop: SHOP, customer: SIGNED, theme });
    const launcher = widget().getByRole('button', { name: /Ưu đãi/ });
    await launcher.click();
    await widget().getByRole('dialog').getByText('Chào Lan').waitFor();
    const style = await page.evaluate<Record<string, string>>(
      `(() => { const s = getComputedStyle(document.querySelector('rapport-loyalty').shadowRoot.querySelector('.launcher'));
        return { background: s.backgroundColor, color: s.color, font: s.fontFamily, bottom: s.bottom }; })()`,
    );
    expect(style).toEqual({ background: 'rgb(138, 45, 59)', color: 'rgb(255, 248, 231)', font: 'Georgia, serif', bottom: '40px' });
    await shot('themed-vi');
  });

  it('fits a phone’s screen: the panel stays inside the window, above the launcher', async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    await openShop({ shop: SHOP, customer: SIGNED });
    await widget()
      .getByRole('button', { name: /Ưu đãi/ })
      .click();
    const dialog = widget().getByRole('dialog');
    await dialog.getByText('Chào Lan').waitFor();
    const box = (await dialog.boundingBox())!;
    const launcher = (await widget()
      .getByRole('button', { name: /Ưu đãi/ })
      .boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(375);
    expect(box.y + box.height).toBeLessThanOrEqual(launcher.y);
    await shot('member-vi-phone');
  });

  it('explains a refused redemption with the API’s reason', async () => {
    await openShop({ shop: SHOP, customer: SIGNED, lang: 'en', mode: 'page' });
    api.refuse.add('ship');
    const card = widget().locator('.card').filter({ hasText: 'Free shipping' });
    await card.getByRole('button', { name: 'Redeem' }).click();
    await card.getByRole('alert').getByText('Not redeemed: Not enough points.').waitFor();
    expect(await widget().locator('.code').count()).toBe(0);
  });

  it('asks for a reload when the shop’s signature has expired', async () => {
    await openShop({ shop: SHOP, customer: EXPIRED, lang: 'en', mode: 'page' });
    await widget().getByRole('alert').getByText('Your session has expired. Please reload the page.').waitFor();
  });
});
