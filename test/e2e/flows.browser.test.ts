import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_SHOTS, type ConsoleSession, openConsoleSession, screenshotOnFailure, seedBuyer } from '#test/support/console-session.ts';

/**
 * The Program page's flows on segment entry, in Chromium against `npm start`, as a shop owner uses
 * them: the built-in win-back listed, a new flow on entering a rule segment and a tier (picked from
 * GET /v1/segments) with a delay, a reward of the catalog, a period and the shop's own Vietnamese
 * message previewed for a real customer; a refusal at the message's field ({{ customer.password }},
 * then a <script> refused on save), saved through PUT /v1/program, the document checked, a reload
 * shows it. Its screenshot is docs/console/flows.png.
 */

const LAN = { externalId: 'generic:77', email: 'lan.flows@example.vn', firstName: 'Lan', lastName: 'Trần' };

let session: ConsoleSession;
let page: Page;
let api: string;
let apiKey: string;
let problems: string[];
/** Every error answer the page got: only the refusals this test provokes may be among them. */
let errorAnswers: string[];
let authed: ConsoleSession['authed'];

beforeAll(async () => {
  session = await openConsoleSession({ name: 'flows', locale: 'vi-VN' });
  ({ page, api, apiKey, problems, errorAnswers, authed } = session);
  // The postal address a marketing message needs, and a rule segment to enter.
  expect((await authed('PATCH', '/v1/shop', { brand: { address: '12 Hàng Bạc, Hoàn Kiếm, Hà Nội' } })).status).toBe(200);
  const current = (await (await authed('GET', '/v1/program')).json()) as { version: number; program: Record<string, unknown> };
  const segments = [{ id: 'ha-noi', name: 'Khách Hà Nội', rule: { field: 'city', op: 'eq', value: 'Hà Nội' } }];
  const saved = await authed('PUT', '/v1/program', {
    version: current.version,
    program: { ...current.program, analytics: { ...(current.program.analytics as object), segments } },
  });
  expect(saved.status, await saved.clone().text()).toBe(200);
  await seedBuyer(session, LAN, 'FL-1');
});

screenshotOnFailure('flows', () => page);

afterAll(async () => {
  await session?.close();
});

const body = () => page.locator('textarea[name="body.vi"]');
const subject = () => page.locator('input[name="subject.vi"]');
const preview = () => page.frameLocator('iframe.email-frame');
const errorOf = async (name: string) => {
  const input = page.locator(`[name="${name}"]`);
  await expect.poll(() => input.getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('true');
  const ids = ((await input.getAttribute('aria-describedby')) ?? '').split(' ').filter((id) => id.endsWith('-error'));
  return page.locator(`[id="${ids[0]}"]`).innerText();
};

describe('flows on the Program page, in Chromium against npm start', () => {
  it('lists the win-back, adds a flow with segments, delay, reward, period and its own message, refuses at the field, saves and reloads', async () => {
    await page.goto(`${api}/`);
    await page.getByRole('textbox', { name: 'API key' }).fill(apiKey);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tổng quan' }).waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'Chương trình' }).click();
    const flows = page.getByRole('region', { name: 'Luồng khi vào phân khúc' });
    await flows.waitFor();
    // A new shop's one flow: the built-in win-back, monthly, with its reward.
    const winBack = flows.getByRole('row', { name: /Win-back/ });
    await winBack.getByText('mỗi tháng một lần').waitFor();
    await winBack.getByText('ngay').waitFor();

    // A new flow: entering Hà Nội or Gold, two days later, free shipping, once a month, in the shop's words.
    await flows.getByRole('button', { name: 'Thêm luồng' }).click();
    const form = flows.locator('fieldset.flow-form');
    await form.getByLabel('Tên').fill('Chào khách Hà Nội');
    await form.getByLabel('Chờ (ngày)').fill('2');
    await form.getByLabel('Phần thưởng').selectOption('free-shipping');
    await form.getByLabel('Tối đa').selectOption('month');
    await form.getByRole('button', { name: 'Khách Hà Nội' }).click();
    await form.getByRole('button', { name: 'Gold' }).click();
    await expect.poll(() => form.getByRole('button', { name: 'Khách Hà Nội' }).getAttribute('aria-pressed')).toBe('true');
    await form.getByLabel(/Tự viết nội dung/).check();
    await page.locator('input[name="previewSearch"]').fill(LAN.email);
    await expect.poll(() => page.locator('select[name="previewCustomer"] option').allInnerTexts()).toEqual(['Lan Trần']);
    await subject().fill('{{ customer.first_name }} ơi, quà cho khách Hà Nội');
    // A variable a flow does not have: refused at the body as one types (the preview).
    await body().fill('<p>Mật khẩu: {{ customer.password }}</p>');
    expect(await errorOf('body.vi')).toBe('unknown variable {{ customer.password }}');
    await body().fill('<p>Chào {{ customer.first_name }}, mã miễn phí vận chuyển của bạn: <strong>{{ reward.code }}</strong></p>');
    await expect.poll(() => body().getAttribute('aria-invalid')).toBeNull();
    await page.locator('.message-subject').getByText('Lan ơi, quà cho khách Hà Nội').waitFor();
    await preview()
      .getByText(/mã miễn phí vận chuyển của bạn/)
      .waitFor();
    // The change to save names the new flow by its id, as the server's diff does.
    await page.getByRole('region', { name: 'Thay đổi sẽ lưu' }).getByText('flows[flow-2]', { exact: true }).waitFor();

    // A script slips in: the save is refused, at the message's body.
    await body().fill('<p>Chào bạn</p><script>alert(1)</script>');
    await page.getByRole('button', { name: 'Lưu chương trình' }).click();
    await expect.poll(() => errorOf('body.vi')).toMatch(/<script> is not allowed/);
    await flows
      .getByRole('row', { name: /Chào khách Hà Nội/ })
      .getByRole('alert')
      .waitFor();
    // Shown in the form, at the flow: not again as an error of the JSON document.
    await page.getByText('Chương trình chưa được lưu: hãy sửa trường được đánh dấu bên dưới.').waitFor();
    expect(await page.locator('textarea.json').getAttribute('aria-invalid')).toBeNull();
    let program = (await (await authed('GET', '/v1/program')).json()) as { version: number; program: { flows: unknown[] } };
    expect(program.program.flows).toHaveLength(1);

    // Fixed and saved.
    await body().fill('<p>Chào {{ customer.first_name }}, mã miễn phí vận chuyển của bạn: <strong>{{ reward.code }}</strong></p>');
    await page.getByRole('button', { name: 'Lưu chương trình' }).click();
    await page.getByText(/Đã lưu thành phiên bản/).waitFor();
    program = (await (await authed('GET', '/v1/program')).json()) as { version: number; program: { flows: unknown[] } };
    expect(program.program.flows).toEqual([
      expect.objectContaining({ id: 'win-back', copy: 'win_back', active: true }),
      {
        id: 'flow-2',
        name: 'Chào khách Hà Nội',
        segments: ['rule:ha-noi', 'tier:gold'],
        delayDays: 2,
        rewardId: 'free-shipping',
        once: { every: 'month' },
        active: true,
        copy: 'flow',
        message: {
          format: 'liquid',
          subject: { vi: '{{ customer.first_name }} ơi, quà cho khách Hà Nội' },
          body: { vi: '<p>Chào {{ customer.first_name }}, mã miễn phí vận chuyển của bạn: <strong>{{ reward.code }}</strong></p>' },
        },
      },
    ]);
    const row = flows.getByRole('row', { name: /Chào khách Hà Nội/ });
    await row.getByText('Khách Hà Nội, Gold').waitFor();
    await row.getByText('sau 2 ngày').waitFor();
    await row.getByText('Miễn phí vận chuyển').waitFor();
    await flows.scrollIntoViewIfNeeded();
    await flows.screenshot({ path: join(CONSOLE_SHOTS, 'flows.png') });

    // The win-back switched off, saved; a reload shows both flows from the server.
    await winBack.getByRole('checkbox', { name: /Bật/ }).uncheck();
    await page.getByRole('button', { name: 'Lưu chương trình' }).click();
    await page.getByText(/Đã lưu thành phiên bản/).waitFor();
    await page.reload();
    await flows.getByRole('row', { name: /Chào khách Hà Nội/ }).waitFor();
    await expect
      .poll(() =>
        flows
          .getByRole('row', { name: /Win-back/ })
          .getByRole('checkbox')
          .isChecked(),
      )
      .toBe(false);
    program = (await (await authed('GET', '/v1/program')).json()) as { version: number; program: { flows: unknown[] } };
    expect(program.program.flows[0]).toMatchObject({ id: 'win-back', active: false });

    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
    expect(errorAnswers.filter((a) => !/^400 (POST \/v1\/emails\/preview|PUT \/v1\/program)$/.test(a))).toEqual([]);
  });
});
