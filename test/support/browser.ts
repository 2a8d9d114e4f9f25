import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';

/** Debian's chromium (Playwright's own download cannot reach the network here). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * A page in a fresh context that may reach only `hosts` (loopback), with the clipboard allowed and
 * 15 s for every wait: whatever the page does that a user would call broken — a request leaving
 * loopback, an uncaught error, a console error not matched by `expectedErrors` — is pushed to
 * `problems`, which the test asserts empty.
 */
export async function loopbackPage(
  browser: Browser,
  options: BrowserContextOptions & { hosts: string[]; expectedErrors?: RegExp },
  problems: string[],
): Promise<{ context: BrowserContext; page: Page }> {
  const { hosts, expectedErrors, ...contextOptions } = options;
  const context = await browser.newContext(contextOptions);
  context.setDefaultTimeout(15_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await context.route(
    (url) => !hosts.includes(url.hostname),
    (route) => {
      problems.push(`left loopback: ${route.request().url()}`);
      return route.abort('blockedbyclient');
    },
  );
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !expectedErrors?.test(message.text())) problems.push(message.text());
  });
  return { context, page };
}
