import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_SHOTS, type ConsoleSession, openConsoleSession, screenshotOnFailure, seedBuyer } from '#test/support/console-session.ts';
import { DEMO_SHOP } from '#test/support/demo-shop.ts';

/**
 * The console's editor of the emails a shop writes, in Chromium against `npm start`, as a shop
 * owner uses it: the built-in copy shown while nothing is written, a Vietnamese subject and body
 * with a variable inserted, the live preview for a real customer from the list, the refusals at
 * the field (a marketing email without the shop's postal address, `{{ customer.password }}`,
 * `<script>`), the brand set in Settings, a save that a reload shows, a save over someone else's
 * newer copy refused, and back to the built-in copy. Its screenshot is docs/console/email-editor.png.
 */

const ADDRESS = '12 Hàng Bạc, Hoàn Kiếm, Hà Nội';
const LAN = { externalId: 'generic:88', email: 'lan.editor@example.vn', firstName: 'Lan', lastName: 'Trần' };

let session: ConsoleSession;
let page: Page;
let api: string;
let apiKey: string;
let problems: string[];
/** Every error answer the page got: only the refusals this test provokes may be among them. */
let errorAnswers: string[];
let authed: ConsoleSession['authed'];

beforeAll(async () => {
  session = await openConsoleSession({ name: 'email-editor', locale: 'vi-VN' });
  ({ page, api, apiKey, problems, errorAnswers, authed } = session);
  await seedBuyer(session, LAN, 'ED-1');
});

screenshotOnFailure('email-editor', () => page);

afterAll(async () => {
  await session?.close();
});

/** expect.poll waits a second by default; a machine busy with other tests needs longer. */
const WAIT = { timeout: 15_000 };
const subject = () => page.locator('input[name="subject.vi"]');
const body = () => page.locator('textarea[name="body.vi"]');
const preview = () => page.frameLocator('iframe.email-frame');
/** Clicks Save and waits for the answer (a refusal arriving after the next edit is not that edit's). */
const save = () =>
  Promise.all([
    page.waitForResponse((res) => res.request().method() === 'PUT' && res.url().includes('/v1/emails/templates/')),
    page.getByRole('button', { name: 'Lưu', exact: true }).click(),
  ]);
/** The error shown under a field (Field ties it with aria-describedby). */
const errorOf = async (name: string) => {
  const input = page.locator(`[name="${name}"]`);
  await expect.poll(() => input.getAttribute('aria-invalid'), WAIT).toBe('true');
  const ids = ((await input.getAttribute('aria-describedby')) ?? '').split(' ').filter((id) => id.endsWith('-error'));
  return page.locator(`[id="${ids[0]}"]`).innerText();
};

describe('the email editor, in Chromium against npm start', () => {
  it('writes, refuses at the field, previews for a real customer, saves, reloads, refuses a save over a newer copy and goes back to the built-in copy', async () => {
    await page.goto(`${api}/`);
    await page.getByRole('textbox', { name: 'API key' }).fill(apiKey);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tổng quan' }).waitFor();

    // From the Emails page to the editor; the win-back email, marketing, built-in while nothing is written.
    await page.getByRole('navigation').getByRole('link', { name: 'Email' }).click();
    await page.getByRole('link', { name: 'Tự viết nội dung email' }).click();
    await page.getByRole('heading', { level: 1, name: 'Nội dung email' }).waitFor();
    await page.getByRole('button', { name: 'Mời quay lại' }).click();
    await page.getByText('Đang dùng bản mặc định của hệ thống.').waitFor();
    // The preview is for a real customer: before any run the list of recent buyers is empty, a search finds Lan.
    await page.getByText('Không tìm thấy khách hàng').waitFor();
    await page.locator('input[name="previewSearch"]').fill(LAN.email);
    await expect.poll(() => page.locator('select[name="previewCustomer"] option').allInnerTexts(), WAIT).toEqual(['Lan Trần']);
    await page.getByText('Chưa viết bằng Tiếng Việt: khách hàng đọc Tiếng Việt nhận bản mặc định').waitFor();
    await page.locator('.message-subject').getByText(`${DEMO_SHOP.name} rất nhớ bạn`).waitFor();

    // Writing a marketing email before the shop has a postal address: refused, saying where to set it.
    await subject().fill('{{ customer.first_name }} ơi, Trà Việt có quà Tết');
    await body().fill('<h2>Chúc mừng năm mới!</h2><p>Bạn đang có điểm.</p>');
    await page.getByRole('alert').filter({ hasText: 'Email tiếp thị cần địa chỉ bưu chính' }).waitFor();

    // The brand, in Settings: colours, a footer note and the address.
    await page.getByRole('navigation').getByRole('link', { name: 'Cài đặt' }).click();
    const brand = page.getByRole('region', { name: 'Thương hiệu email' });
    await brand.locator('[name="brand.primaryColor"]').fill('red');
    await brand.locator('[name="brand.address"]').fill(ADDRESS);
    await brand.getByRole('button', { name: 'Lưu thương hiệu email' }).click();
    expect(await errorOf('brand.primaryColor')).toBe('a colour as #rrggbb');
    await brand.locator('[name="brand.primaryColor"]').fill('#b91c1c');
    await brand.locator('[name="brand.footerVi"]').fill('Cảm ơn bạn đã đồng hành cùng Trà Việt.');
    await brand.getByRole('button', { name: 'Lưu thương hiệu email' }).click();
    await brand.getByText('Đã lưu thương hiệu email.').waitFor();
    expect(((await (await authed('GET', '/v1/shop')).json()) as { brand: unknown }).brand).toEqual({
      primaryColor: '#b91c1c',
      address: ADDRESS,
      footer: { vi: 'Cảm ơn bạn đã đồng hành cùng Trà Việt.' },
    });

    // Back to the editor: the words, a variable inserted at the cursor, the preview in Lan's name with the brand's footer.
    await page.goto(`${api}/emails/templates?trigger=win_back`);
    await page.locator('input[name="previewSearch"]').fill(LAN.email);
    await expect.poll(() => page.locator('select[name="previewCustomer"] option').allInnerTexts(), WAIT).toEqual(['Lan Trần']);
    await subject().fill('{{ customer.first_name }} ơi, Trà Việt có quà Tết');
    const words = '<h2>Chúc mừng năm mới!</h2><p>Bạn đang có  điểm.</p>';
    await body().fill(words);
    await body().focus();
    const cursor = words.indexOf('có  ') + 3;
    await body().evaluate(
      (element, at) => (element as unknown as { setSelectionRange(a: number, b: number): void }).setSelectionRange(at, at),
      cursor,
    );
    await page.getByRole('button', { name: 'Chèn {{ customer.points }}' }).click();
    await expect.poll(() => body().inputValue(), WAIT).toBe('<h2>Chúc mừng năm mới!</h2><p>Bạn đang có {{ customer.points }} điểm.</p>');
    await page.locator('.message-subject').getByText('Lan ơi, Trà Việt có quà Tết').waitFor();
    await preview().getByText('Chúc mừng năm mới!').waitFor();
    await preview()
      .getByText(/Bạn đang có \d+ điểm\./)
      .waitFor();
    await preview().getByText(ADDRESS).waitFor();
    await preview().getByText('Cảm ơn bạn đã đồng hành cùng Trà Việt.').waitFor();

    // A variable the email does not have: refused at the body, as typed (the preview) and on saving.
    await body().fill('<p>Mật khẩu: {{ customer.password }}</p>');
    expect(await errorOf('body.vi')).toBe('unknown variable {{ customer.password }}');
    await save();
    await page.getByText('Phiên bản này bị từ chối').waitFor();
    expect(await errorOf('body.vi')).toBe('unknown variable {{ customer.password }}');
    // A script: refused at the body.
    await body().fill('<p>Chào bạn</p><script>alert(1)</script>');
    await expect.poll(() => errorOf('body.vi'), WAIT).toMatch(/<script> is not allowed/);
    await save();
    expect(await errorOf('body.vi')).toMatch(/<script> is not allowed/);
    let list = (await (await authed('GET', '/v1/emails/templates')).json()) as { templates: Array<{ trigger: string; template: unknown }> };
    expect(list.templates.find((t) => t.trigger === 'win_back')?.template).toBeNull();

    // Fixed and saved.
    await body().fill(
      '<h2>Chúc mừng năm mới!</h2><p>Bạn đang có {{ customer.points }} điểm. Ghé <a href="{{ links.loyalty_page }}">trang thành viên</a> để đổi quà.</p>',
    );
    await expect.poll(() => body().getAttribute('aria-invalid'), WAIT).toBeNull();
    await preview().getByText('trang thành viên').waitFor();
    await save();
    await page.getByText('Đã lưu. Chức năng gửi email dùng bản này trong vòng 30 giây.').waitFor();
    await page.getByText(/Đang dùng bản của bạn \(phiên bản 1,/).waitFor();
    await page.locator('.page-title').scrollIntoViewIfNeeded();
    await page.locator('main').screenshot({ path: join(CONSOLE_SHOTS, 'email-editor.png') });

    // A reload shows it, from the server.
    await page.reload();
    await expect.poll(() => subject().inputValue(), WAIT).toBe('{{ customer.first_name }} ơi, Trà Việt có quà Tết');
    await expect.poll(() => body().inputValue(), WAIT).toContain('{{ links.loyalty_page }}');
    await page.getByRole('button', { name: 'Mời quay lại · bản của bạn' }).waitFor();
    // Another email and back keeps the customer previewed (not a reload, which starts afresh).
    await page.getByRole('button', { name: 'Chào mừng' }).click();
    await page.locator('input[name="previewSearch"]').fill(LAN.email);
    await page.locator('.message-subject').waitFor();
    await page.getByRole('button', { name: 'Mời quay lại · bản của bạn' }).click();
    await expect.poll(() => page.locator('select[name="previewCustomer"] option').allInnerTexts(), WAIT).toEqual(['Lan Trần']);
    list = (await (await authed('GET', '/v1/emails/templates')).json()) as { templates: Array<{ trigger: string; template: unknown }> };
    expect(list.templates.find((t) => t.trigger === 'win_back')?.template).toMatchObject({
      subject: { vi: '{{ customer.first_name }} ơi, Trà Việt có quà Tết' },
      revision: 1,
    });

    // Someone else saves meanwhile (revision 2): this page's save, made from revision 1, is refused and
    // says so, the words kept; "Reload" shows theirs.
    const theirs = await authed(
      'PUT',
      '/v1/emails/templates/win_back',
      { subject: { vi: 'Quà Tết từ Trà Việt' }, body: { vi: '<p>Chúc mừng năm mới!</p>' } },
      { 'if-match': '"1"' },
    );
    expect(theirs.status).toBe(200);
    await subject().fill('Lan ơi, quà Tết đây');
    await save();
    await page.getByRole('alert').filter({ hasText: 'Người khác đã sửa email này sau khi bạn mở.' }).waitFor();
    expect(await subject().inputValue()).toBe('Lan ơi, quà Tết đây');
    await page.getByRole('button', { name: 'Tải lại' }).click();
    await expect.poll(() => subject().inputValue(), WAIT).toBe('Quà Tết từ Trà Việt');
    await page.getByText(/Đang dùng bản của bạn \(phiên bản 2,/).waitFor();

    // Back to the built-in copy, after a confirmation.
    await page.getByRole('button', { name: 'Quay về bản mặc định…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Xóa bản của tôi' }).click();
    await page.getByText('Đã quay về bản mặc định.').waitFor();
    await page.getByText('Đang dùng bản mặc định của hệ thống.').waitFor();
    await page.locator('.message-subject').getByText(`${DEMO_SHOP.name} rất nhớ bạn`).waitFor();
    list = (await (await authed('GET', '/v1/emails/templates')).json()) as { templates: Array<{ trigger: string; template: unknown }> };
    expect(list.templates.find((t) => t.trigger === 'win_back')?.template).toBeNull();

    expect(problems.filter((p) => !/status of (400|409)/.test(p))).toEqual([]);
    expect(
      errorAnswers.filter(
        (a) =>
          !/^400 (POST \/v1\/emails\/preview|PUT \/v1\/emails\/templates\/win_back|PATCH \/v1\/shop)$|^409 PUT \/v1\/emails\/templates\/win_back$/.test(
            a,
          ),
      ),
    ).toEqual([]);
  });
});
