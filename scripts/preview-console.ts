import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import {
  createShop,
  DEMO_FIRST_EMAIL,
  DEMO_SHOP,
  demoHistory,
  runAndWait,
  sendSigned,
  waitForCustomer,
  waitForQueues,
} from '#test/support/demo-shop.ts';

/**
 * The merchant console as a shop owner sees it, page by page, in Vietnamese and English:
 *
 *   npm run preview:console
 *
 * Builds the console if it is not built, starts `npm start`'s runtime on a free port with a fresh
 * data directory, creates a shop (Trà Việt, VND, vi-VN), sends signed webhooks for 300 customers
 * with two years of orders, runs a re-segmentation, then signs in with Debian's Chromium
 * (/usr/bin/chromium; `apt-get install chromium`) and writes a screenshot of every page to
 * .previews/console/. Every console message of type error is printed; the script fails on any,
 * except the 404s of API routes this server does not have yet (listed apart: the console handles
 * them and says so on the page).
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.previews', 'console');
const CHROMIUM = '/usr/bin/chromium';
const ADMIN_KEY = 'preview-admin-key';

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'console', 'dist', 'index.html'))) {
    log('building the console (npm run build:console)…');
    execFileSync('npm', ['run', 'build:console'], { cwd: ROOT, stdio: 'inherit' });
  }
  mkdirSync(OUT, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-preview-'));
  const port = await freePort();
  const runtime = await startRuntime(port, dataDir);
  let browser: Browser | undefined;
  let current: Page | undefined;
  try {
    const api = runtime.url;
    const { apiKey, secret } = await createShop(api, ADMIN_KEY);
    await sendSigned(api, DEMO_SHOP.shopId, secret, demoHistory({ customers: 300 }));
    log("sent 300 customers' orders; waiting for them to be processed…");
    const first = await waitForCustomer(api, apiKey, DEMO_FIRST_EMAIL);
    await waitForQueues(api);
    const runId = await runAndWait(api, apiKey);
    log(`run ${runId} finished`);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'Asia/Ho_Chi_Minh' });
    const page = await context.newPage();
    current = page;
    const watch = watchConsole(page);

    await page.goto(`${api}/`);
    await page.getByRole('heading', { name: 'Sign in to Rapport' }).waitFor();
    await shot(page, 'sign-in');
    watch.expect('/v1/', 401);
    await page.getByLabel('API key').fill('rk_tra-viet_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That API key was refused').waitFor();
    await shot(page, 'sign-in-refused');
    await page.getByLabel('API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();

    for (const language of ['vi', 'en'] as const) {
      const names = language === 'vi' ? VI : EN;
      await page.getByLabel(/^(Language|Ngôn ngữ)$/).selectOption(language);
      await page.getByRole('navigation').getByRole('link', { name: names.nav.overview, exact: true }).waitFor();
      await tour(page, api, language, names, first, runId);
    }
    await flows(page, api, first, watch);

    // A second tab signed in with the same key, then the key rotated in the first: the second is sent back to sign in.
    const other = await context.browser()?.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const second = await other?.newPage();
    const secondWatch = second ? watchConsole(second) : undefined;
    if (second) {
      await second.goto(`${api}/`);
      await second.getByLabel('API key').fill(apiKey);
      await second.getByRole('button', { name: 'Sign in' }).click();
      await second.getByLabel(/^(Language|Ngôn ngữ)$/).selectOption('en');
      await second.getByRole('navigation').getByRole('link', { name: 'Customers', exact: true }).waitFor();
    }
    await page.getByRole('navigation').getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    await page.getByRole('button', { name: 'Rotate API key…' }).click();
    // From the rotation on, the second tab's requests are refused (401) until it signs in again.
    secondWatch?.expect('/v1/', 401, Number.POSITIVE_INFINITY);
    await page.getByRole('dialog', { name: 'Rotate API key' }).getByRole('button', { name: 'Rotate now' }).click();
    await page.getByRole('textbox', { name: 'Your new API key' }).waitFor();
    await shot(page, 'flow-key-rotated');
    // The console now uses the new key: the next page still loads.
    await page.getByRole('navigation').getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    if (second && secondWatch) {
      // The second tab finds out at its next request: a click, or a page that polls (a run's progress)
      // may have made one already and sent it to sign in.
      const ended = second.getByText('Your session ended');
      if (!(await ended.isVisible())) {
        await second
          .getByRole('navigation')
          .getByRole('link', { name: 'Customers', exact: true })
          .click({ timeout: 5_000 })
          .catch(() => undefined);
      }
      await ended.waitFor();
      await shot(second, 'flow-session-ended');
      const report = await secondWatch.report();
      if (report.errors.length > 0) {
        log(`second tab's console errors:\n  ${report.errors.join('\n  ')}`);
        process.exitCode = 1;
      }
      await other?.close();
    }
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Rapport' }).waitFor();

    const { errors, missingRoutes } = await watch.report();
    if (missingRoutes.length > 0)
      log(`API routes this server does not have yet (404, handled on the page):\n  ${[...new Set(missingRoutes)].join('\n  ')}`);
    if (errors.length > 0) {
      log(`console errors:\n  ${errors.join('\n  ')}`);
      process.exitCode = 1;
    } else {
      log('no console errors');
    }
    log(`screenshots in ${OUT}`);
  } catch (error) {
    // What the page showed when a step failed: the first thing to look at.
    await current?.screenshot({ path: join(OUT, 'failure.png'), fullPage: true }).catch(() => undefined);
    throw error;
  } finally {
    await browser?.close();
    await stopRuntime(runtime.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The accessible names the tour clicks, per language (console/src/i18n). */
const EN = {
  nav: {
    overview: 'Overview',
    customers: 'Customers',
    segments: 'Segments',
    program: 'Program',
    emails: 'Emails',
    runs: 'Runs',
    settings: 'Settings',
  },
};
const VI = {
  nav: {
    overview: 'Tổng quan',
    customers: 'Khách hàng',
    segments: 'Phân khúc',
    program: 'Chương trình',
    emails: 'Email',
    runs: 'Lượt chạy',
    settings: 'Cài đặt',
  },
};

async function tour(page: Page, api: string, language: string, names: typeof EN, customerId: string, runId: string): Promise<void> {
  const nav = page.getByRole('navigation');
  const visit = async (name: keyof typeof EN.nav, file: string) => {
    await nav.getByRole('link', { name: names.nav[name], exact: true }).click();
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await settle(page);
    await shot(page, `${language}-${file}`);
  };
  await visit('overview', 'overview');
  await visit('customers', 'customers');
  await page.goto(`${api}/customers/${customerId}`);
  await page.getByRole('heading', { level: 1 }).waitFor();
  await settle(page);
  await shot(page, `${language}-customer`);
  await visit('segments', 'segments');
  await page.locator('.rfm-cell:not(.rfm-empty) a').first().click();
  await page.getByRole('heading', { level: 1 }).waitFor();
  await settle(page);
  await shot(page, `${language}-segment-members`);
  await visit('program', 'program');
  await visit('emails', 'emails');
  await page.goto(`${api}/emails?customer=${customerId}`);
  await page.frameLocator('iframe.email-frame').first().locator('body').waitFor();
  await settle(page);
  await shot(page, `${language}-emails-previews`);
  await visit('runs', 'runs');
  await page.goto(`${api}/runs/${runId}`);
  await settle(page);
  await shot(page, `${language}-run`);
  await visit('settings', 'settings');
}

/** The actions, in English: adjust points, preview an email, a program error then a save, the erase dialog. */
async function flows(page: Page, api: string, customerId: string, watch: ConsoleWatch): Promise<void> {
  await page.goto(`${api}/customers/${customerId}`);
  await page.getByRole('heading', { level: 1 }).waitFor();
  await settle(page);
  const adjust = page.getByRole('region', { name: 'Adjust points' });
  await adjust.getByLabel('Points (negative to take away)').fill('25');
  await adjust.getByLabel('Reason').fill('Apology for a late delivery');
  await adjust.getByRole('button', { name: 'Adjust points' }).click();
  await settle(page);
  await shot(page, 'flow-adjust-points');
  const preview = page.getByRole('region', { name: 'Preview an email' });
  await preview.getByLabel('Email').selectOption('tier_up');
  await preview.getByRole('button', { name: 'Show preview' }).click();
  await page.frameLocator('iframe.email-frame').locator('body').waitFor();
  await settle(page);
  await preview.screenshot({ path: join(OUT, 'flow-email-preview.png') });
  const exported = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export data (JSON)' }).click();
  log(`  export: ${(await (await exported).path()) ? 'downloaded' : 'missing'}`);
  await page.getByRole('button', { name: 'Erase customer…' }).click();
  await page.getByRole('dialog', { name: 'Erase this customer?' }).waitFor();
  await shot(page, 'flow-erase-dialog', false);
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('navigation').getByRole('link', { name: 'Segments', exact: true }).click();
  await page.locator('.rfm-cell:not(.rfm-empty) a').first().click();
  await page.getByRole('button', { name: 'Export CSV' }).waitFor();
  await settle(page);
  const csv = page.waitForEvent('download').catch(() => undefined);
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const file = await (await csv)?.path();
  log(`  segment CSV: ${file ? `${readFileSync(file, 'utf8').trim().split('\n').length} lines` : 'not downloaded (see the page)'}`);

  await page.getByRole('navigation').getByRole('link', { name: 'Program', exact: true }).click();
  watch.expect('/v1/program', 400);
  await page.getByLabel('Threshold (paid orders): silver').fill('0');
  await page.getByRole('button', { name: 'Save program' }).click();
  await page.getByText('The program was not saved').waitFor();
  await shot(page, 'flow-program-invalid');
  await page.getByLabel('Threshold (paid orders): silver').fill('4');
  await page.getByLabel('First-order bonus (points)').fill('80');
  await page.getByRole('button', { name: 'Save program' }).click();
  await page.getByText('Saved as version').waitFor();
  await shot(page, 'flow-program-saved');
}

/** Waits for the page's requests and charts to finish. */
async function settle(page: Page): Promise<void> {
  // An email's pictures may point at a storefront this machine cannot reach: do not wait for them long.
  await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => undefined);
  await page
    .locator('[role="status"]:has-text("Loading"), [role="status"]:has-text("Đang tải")')
    .first()
    .waitFor({ state: 'detached', timeout: 5000 })
    .catch(() => undefined);
  await page.waitForTimeout(150);
}

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage });
  log(`  ${name}.png`);
}

/**
 * Console errors, told apart. Chromium logs every non-2xx answer to fetch as "Failed to load
 * resource"; those the tour provokes on purpose (a wrong key, an invalid program) are expected,
 * and those of a route this server does not have yet are reported apart. Anything else fails.
 */
interface ConsoleWatch {
  /** The next `times` answers with this status to a path containing `path` are provoked on purpose. */
  expect(path: string, status: number, times?: number): void;
  report(): Promise<{ errors: string[]; missingRoutes: string[] }>;
}

function watchConsole(page: Page): ConsoleWatch {
  const errors: string[] = [];
  const failedLoads: string[] = [];
  const answers = new Map<string, Promise<{ status: number; body: string }>>();
  const expected: Array<{ path: string; status: number; times: number }> = [];
  const provoked = new Set<string>();
  page.on('response', (response) => {
    if (response.status() < 400) return;
    const url = response.url();
    const at = expected.findIndex((e) => url.includes(e.path) && e.status === response.status());
    const match = expected[at];
    if (match) {
      match.times -= 1;
      if (match.times <= 0) expected.splice(at, 1);
      provoked.add(url);
    }
    answers.set(
      url,
      response.text().then(
        (body) => ({ status: response.status(), body }),
        () => ({ status: response.status(), body: '' }),
      ),
    );
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location().url;
    if (message.text().startsWith('Failed to load resource')) failedLoads.push(url);
    else errors.push(`${message.text()} (${url})`);
  });
  return {
    expect: (path, status, times = 1) => expected.push({ path, status, times }),
    async report() {
      const missingRoutes: string[] = [];
      for (const url of failedLoads) {
        if (provoked.has(url)) continue;
        const answer = await answers.get(url);
        // A route the server lacks (404 "No route"), or the old lookup refusing the list's parameters.
        if (answer && /No route for|give exactly one of email, phone or externalId/.test(answer.body))
          missingRoutes.push(new URL(url).pathname);
        else errors.push(`HTTP ${answer?.status ?? '?'} ${url}: ${answer?.body.slice(0, 200) ?? ''}`);
      }
      return { errors, missingRoutes };
    },
  };
}

/* ---------------- the runtime ---------------- */

async function startRuntime(port: number, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), RAPPORT_DATA_DIR: dataDir, RAPPORT_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = await new Promise<string>((done, fail) => {
    let stdout = '';
    const onExit = (code: number | null) => fail(new Error(`the runtime exited (${code}) before it was ready\n${output}`));
    const onData = (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = /Rapport is running at (\S+)/.exec(stdout);
      if (!ready) return;
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      log(`console at ${/Console: (\S+)/.exec(stdout)?.[1] ?? '(no Console line printed)'}`);
      done(ready[1] as string);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
  return { child, url };
}

function stopRuntime(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

await main();
