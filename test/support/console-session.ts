import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { beforeEach } from 'vitest';
import { freePort, startLocalProcess } from '#test/e2e/local-process.ts';
import { CHROMIUM, loopbackPage } from '#test/support/browser.ts';
import { createShop, DEMO_SHOP, sendSigned, waitForCustomer } from '#test/support/demo-shop.ts';

/**
 * What a browser test of one console page starts from: `npm start` on a data directory of its
 * own, the demo shop created, and Chromium on a loopback-only page that records what a person
 * would call broken (`problems`: a request leaving loopback, an uncaught error, a console error)
 * and every error answer the page got (`errorAnswers`: only the refusals a test provokes may be
 * there). The page tests share it rather than each repeating the set-up.
 */
export interface ConsoleSession {
  api: string;
  apiKey: string;
  /** The shop's generic webhook secret, for sendSigned. */
  secret: string;
  page: Page;
  problems: string[];
  errorAnswers: string[];
  /** A shop-API call with the shop's key, a JSON body when one is given. */
  authed: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>;
  close: () => Promise<void>;
}

/** Where page screenshots go (the README links them). */
export const CONSOLE_SHOTS = join('docs', 'console');

export async function openConsoleSession(options: { name: string; locale: 'vi-VN' | 'en-US' }): Promise<ConsoleSession> {
  if (!existsSync(CHROMIUM)) throw new Error(`The browser tests need Debian's Chromium at ${CHROMIUM}: apt-get install -y chromium.`);
  if (!existsSync(join('console', 'dist', 'index.html'))) throw new Error('The console is not built: npm run build:console.');
  mkdirSync(CONSOLE_SHOTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), `rapport-${options.name}-`));
  const adminKey = `e2e-${options.name}-admin-key`;
  const app = startLocalProcess({ via: 'npm', port: await freePort(), dataDir, env: { RAPPORT_ADMIN_KEY: adminKey } });
  const api = await app.ready();
  const { apiKey, secret } = await createShop(api, adminKey);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const problems: string[] = [];
  const errorAnswers: string[] = [];
  const { page } = await loopbackPage(
    browser,
    { hosts: ['127.0.0.1'], viewport: { width: 1280, height: 1000 }, locale: options.locale, timezoneId: DEMO_SHOP.timezone },
    problems,
  );
  page.on('response', (response) => {
    if (response.status() >= 400)
      errorAnswers.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
  });
  return {
    api,
    apiKey,
    secret,
    page,
    problems,
    errorAnswers,
    authed: (method, path, body, headers = {}) =>
      fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    close: async () => {
      await browser.close();
      await app.kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A customer who consented to marketing, with one paid order of 640,000 ₫ yesterday, brought by the
 * shop's signed webhook: the real customer a page previews its emails for. Resolves with her id once
 * the API finds her.
 */
export async function seedBuyer(
  session: ConsoleSession,
  customer: { externalId: string; email: string; firstName: string; lastName: string },
  orderId: string,
): Promise<string> {
  const at = new Date(Date.now() - 86_400_000).toISOString();
  await sendSigned(session.api, DEMO_SHOP.shopId, session.secret, [
    {
      type: 'order.upserted',
      occurredAt: at,
      customer: { ...customer, acceptsEmailMarketing: true },
      order: { orderId, status: 'paid', currency: 'VND', total: 640_000, createdAt: at, updatedAt: at, lineItems: [] },
    },
  ]);
  return waitForCustomer(session.api, session.apiKey, customer.email);
}

/** A full-page screenshot under .previews/ when a test fails, to see what the page showed. */
export function screenshotOnFailure(name: string, page: () => Page | undefined): void {
  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      const slug = task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await page()
        ?.screenshot({ path: join('.previews', `failure-${name}-${slug}.png`), fullPage: true })
        .catch(() => undefined);
    });
  });
}
