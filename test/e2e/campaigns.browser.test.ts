import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort, type LocalProcess, startLocalProcess } from '#test/e2e/local-process.ts';
import { CHROMIUM, loopbackPage } from '#test/support/browser.ts';
import { createShop, DEMO_SHOP, sendSigned, waitForCustomer } from '#test/support/demo-shop.ts';

/**
 * The Campaigns page in Chromium against `npm start`, as a shop owner uses it: a new draft to
 * everyone subscribed with a reward of the catalog and the shop's Vietnamese words, refused at the
 * message's field for {{ customer.password }}, then saved; previewed for a real customer; sent now;
 * its results counting the one email sent. Its screenshot is docs/console/campaigns.png.
 */

const ADMIN_KEY = 'e2e-campaigns-admin-key';
const SHOTS = join('docs', 'console');
const LAN = { externalId: 'generic:77', email: 'lan.campaign@example.vn', firstName: 'Lan', lastName: 'Trần', acceptsEmailMarketing: true };

const dataDir = mkdtempSync(join(tmpdir(), 'rapport-campaigns-'));
let app: LocalProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let api: string;
let apiKey: string;
const problems: string[] = [];
const errorAnswers: string[] = [];

const authed = (method: string, path: string, body?: unknown) =>
  fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`The browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium.`);
  if (!existsSync(join('console', 'dist', 'index.html'))) throw new Error('The console is not built: npm run build:console.');
  mkdirSync(SHOTS, { recursive: true });
  app = startLocalProcess({ via: 'npm', port: await freePort(), dataDir, env: { RAPPORT_ADMIN_KEY: ADMIN_KEY } });
  api = await app.ready();
  const shop = await createShop(api, ADMIN_KEY);
  apiKey = shop.apiKey;
  expect((await authed('PATCH', '/v1/shop', { brand: { address: '12 Hàng Bạc, Hoàn Kiếm, Hà Nội' } })).status).toBe(200);
  const at = new Date(Date.now() - 86_400_000).toISOString();
  await sendSigned(api, DEMO_SHOP.shopId, shop.secret, [
    {
      type: 'order.upserted',
      occurredAt: at,
      customer: LAN,
      order: { orderId: 'CP-1', status: 'paid', currency: 'VND', total: 640_000, createdAt: at, updatedAt: at, lineItems: [] },
    },
  ]);
  await waitForCustomer(api, apiKey, LAN.email);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  ({ page } = await loopbackPage(
    browser,
    { hosts: ['127.0.0.1'], viewport: { width: 1280, height: 1000 }, locale: 'vi-VN', timezoneId: DEMO_SHOP.timezone },
    problems,
  ));
  page.on('response', (response) => {
    if (response.status() >= 400)
      errorAnswers.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
  });
});

beforeEach(({ task, onTestFailed }) => {
  onTestFailed(async () => {
    const name = task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await page?.screenshot({ path: join('.previews', `failure-campaigns-${name}.png`), fullPage: true }).catch(() => undefined);
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

const body = () => page.locator('textarea[name="body.vi"]');
const subject = () => page.locator('input[name="subject.vi"]');
const preview = () => page.frameLocator('iframe.email-frame');

describe('the Campaigns page, in Chromium against npm start', () => {
  it('creates a draft (refused at the field first), previews it for a customer, sends it now and shows its results', async () => {
    await page.goto(`${api}/`);
    await page.getByRole('textbox', { name: 'API key' }).fill(apiKey);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tổng quan' }).waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'Chiến dịch' }).click();
    await page.getByText('Chưa có chiến dịch nào.').waitFor();
    await page.getByRole('link', { name: 'Chiến dịch mới' }).click();

    await page.getByLabel('Tên').fill('Chúc mừng 20/10');
    await page.getByLabel('Người nhận').selectOption('subscribed');
    await page.getByLabel('Phần thưởng').selectOption('free-shipping');
    await subject().fill('{{ customer.first_name }} ơi, quà 20/10');
    await body().fill('<p>Mật khẩu: {{ customer.password }}</p>');
    await page.getByRole('button', { name: 'Tạo bản nháp' }).click();
    await expect.poll(() => body().getAttribute('aria-invalid')).toBe('true');
    await page
      .getByText(/unknown variable \{\{ customer.password \}\}/)
      .first()
      .waitFor();

    await body().fill('<p>Chào {{ customer.first_name }}, mã miễn phí vận chuyển của bạn: <strong>{{ reward.code }}</strong></p>');
    await page.getByRole('button', { name: 'Tạo bản nháp' }).click();
    await page.waitForURL(/\/campaigns\/cmp_/);
    const id = new URL(page.url()).pathname.split('/').pop() as string;

    // The preview, for Lan, by the campaign's own preview route (a sample code for the reward).
    await page.locator('input[name="previewSearch"]').fill(LAN.email);
    await expect.poll(() => page.locator('select[name="previewCustomer"] option').allInnerTexts()).toEqual(['Lan Trần']);
    await page.locator('.message-subject').getByText('Lan ơi, quà 20/10').waitFor();
    await preview().getByText('RW-PREVW-SAMPL').waitFor();

    await page.getByRole('button', { name: 'Gửi ngay' }).click();
    const results = page.getByRole('region', { name: 'Kết quả' });
    await results.waitFor();
    // Counted as it goes: reload until the one email is sent.
    await expect
      .poll(
        async () => {
          await page.reload();
          await results.waitFor();
          return results.locator('.stat-value').first().innerText();
        },
        { timeout: 60_000, interval: 1_000 },
      )
      .toBe('1');
    await results.getByText('Đã gửi', { exact: true }).first().waitFor();
    await results.screenshot({ path: join(SHOTS, 'campaigns.png') });

    const campaign = (await (await authed('GET', `/v1/campaigns/${id}`)).json()) as Record<string, unknown>;
    expect(campaign).toMatchObject({ name: 'Chúc mừng 20/10', status: 'sent', rewardId: 'free-shipping', results: { sent: 1 } });

    // The list shows it.
    await page.getByRole('link', { name: '← Chiến dịch' }).click();
    await page.getByRole('link', { name: 'Chúc mừng 20/10' }).waitFor();

    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
    expect(errorAnswers.filter((a) => !/^400 (POST \/v1\/campaigns|POST \/v1\/campaigns\/cmp_\w+\/preview)$/.test(a))).toEqual([]);
  });
});
