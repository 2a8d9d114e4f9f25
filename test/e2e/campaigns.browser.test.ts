import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_SHOTS, type ConsoleSession, openConsoleSession, screenshotOnFailure, seedBuyer } from '#test/support/console-session.ts';

/**
 * The Campaigns page in Chromium against `npm start`, as a shop owner uses it: a new draft to
 * everyone subscribed with a reward of the catalog and the shop's Vietnamese words, refused at the
 * message's field for {{ customer.password }}, then saved; previewed for a real customer; sent now;
 * its results counting the one email sent. Its screenshot is docs/console/campaigns.png.
 */

const LAN = { externalId: 'generic:77', email: 'lan.campaign@example.vn', firstName: 'Lan', lastName: 'Trần' };

let session: ConsoleSession;
let page: Page;
let api: string;
let apiKey: string;
let problems: string[];
/** Every error answer the page got: only the refusals this test provokes may be among them. */
let errorAnswers: string[];
let authed: ConsoleSession['authed'];

beforeAll(async () => {
  session = await openConsoleSession({ name: 'campaigns', locale: 'vi-VN' });
  ({ page, api, apiKey, problems, errorAnswers, authed } = session);
  expect((await authed('PATCH', '/v1/shop', { brand: { address: '12 Hàng Bạc, Hoàn Kiếm, Hà Nội' } })).status).toBe(200);
  await seedBuyer(session, LAN, 'CP-1');
});

screenshotOnFailure('campaigns', () => page);

afterAll(async () => {
  await session?.close();
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
    await results.screenshot({ path: join(CONSOLE_SHOTS, 'campaigns.png') });

    const campaign = (await (await authed('GET', `/v1/campaigns/${id}`)).json()) as Record<string, unknown>;
    expect(campaign).toMatchObject({ name: 'Chúc mừng 20/10', status: 'sent', rewardId: 'free-shipping', results: { sent: 1 } });

    // The list shows it.
    await page.getByRole('link', { name: '← Chiến dịch' }).click();
    await page.getByRole('link', { name: 'Chúc mừng 20/10' }).waitFor();

    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
    expect(errorAnswers.filter((a) => !/^400 (POST \/v1\/campaigns|POST \/v1\/campaigns\/cmp_\w+\/preview)$/.test(a))).toEqual([]);
  });
});
