import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_SHOTS, type ConsoleSession, openConsoleSession, screenshotOnFailure } from '#test/support/console-session.ts';
import { DEMO_SHOP, demoHistory, runAndWait, sendSigned, waitForQueues } from '#test/support/demo-shop.ts';

/**
 * The Program page's tier rules and its Backtest, in Chromium against `npm start`, as a shop owner
 * uses them: Gold switched from a threshold to a rule (the threshold's own rule to start from), a
 * misspelt rule refused by the API at its row with the character, a good rule backtested on the
 * shop's history — progress, then the report beside the program in force, every figure the one
 * GET /v1/program/backtests/{id} answers — and saved. Its screenshot is docs/console/program-backtest.png.
 */

const GOLD_RULE = 'orders >= 4 or (orders >= 2 and predictedValue12m >= 1500000)';

let session: ConsoleSession;
let page: Page;
let api: string;
let apiKey: string;
let problems: string[];
/** Every error answer the page got: only the refusals this test provokes may be among them. */
let errorAnswers: string[];

const apiGet = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
};

beforeAll(async () => {
  session = await openConsoleSession({ name: 'program-backtest', locale: 'en-US' });
  ({ page, api, apiKey, problems, errorAnswers } = session);
  // A history to replay, and a run so customers have the predictions a rule reads.
  await sendSigned(api, DEMO_SHOP.shopId, session.secret, demoHistory({ customers: 80, seed: 15 }));
  await waitForQueues(api);
  await runAndWait(api, apiKey);
  await waitForQueues(api);
}, 600_000);

screenshotOnFailure('program-backtest', () => page);

afterAll(async () => {
  await session?.close();
});

/** The cells of a table's body, row by row, as text. */
const rowsOf = async (table: Locator) =>
  (await table
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => (cell.textContent ?? '').trim())))) as string[][];
/** The digits of a figure as the page writes it ("₫1,234,000" → 1234000). */
const digits = (text: string | undefined) => Number((text ?? '').replace(/[^\d]/g, ''));

interface Outcome {
  tiers: Array<{ id: string; customers: number }>;
  points: { issued: number; redeemed: number; expired: number; outstanding: number; blocked: { redemptions: number } };
  liability: { value: number };
  rewardsCost: number;
  emails: Record<string, number>;
}
interface Report {
  customers: number;
  current: Outcome;
  proposed: Outcome;
  moves: { up: { count: number; customers: Array<{ customerId: string; from: string; to: string }> }; down: { count: number } };
}

describe('the Program page, in Chromium against npm start', () => {
  it('switches Gold to a rule, refuses a misspelt one at its row, backtests the draft with the API’s own figures, and saves it', async () => {
    await page.goto(`${api}/`);
    await page.getByRole('textbox', { name: 'API key' }).fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Tổng quan' }).waitFor();
    await page.getByRole('combobox', { name: 'Ngôn ngữ' }).selectOption('en');
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Program', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Program', exact: true }).waitFor();

    // Gold by a rule: it starts as the rule its threshold stands for.
    await page.getByRole('combobox', { name: 'Reached by: gold' }).selectOption('rule');
    const rule = page.getByRole('textbox', { name: 'Rule: gold' });
    expect(await rule.inputValue()).toBe('orders >= 8');
    await page.getByRole('region', { name: 'Changes to save' }).getByText('tiers.levels[2].qualifies').waitFor();

    // A misspelt name: the API refuses the backtest, and the row says where.
    await rule.fill('orders >= 4 or (ordrs >= 2 and predictedValue12m >= 1500000)');
    await page.getByRole('button', { name: 'Backtest' }).click();
    await page.getByRole('alert').filter({ hasText: 'The backtest was not started: fix the field marked below.' }).waitFor();
    expect(await rule.getAttribute('aria-invalid')).toBe('true');
    const atRow = page.locator('.field').filter({ has: rule }).getByRole('alert');
    expect(((await atRow.textContent()) ?? '').trim()).toBe(
      'at character 17: unknown name "ordrs" (did you mean orders?): a rule reads spend, orders, points, predictedValue12m, pAlive',
    );

    // The good rule, backtested: progress while it runs, then the report.
    await rule.fill(GOLD_RULE);
    const finished = page.waitForResponse(
      async (response) =>
        /\/v1\/program\/backtests\/[^/]+$/.test(new URL(response.url()).pathname) &&
        ((await response.json().catch(() => ({}))) as { status?: string }).status === 'succeeded',
      { timeout: 180_000 },
    );
    await page.getByRole('button', { name: 'Backtest' }).click();
    await page.getByRole('button', { name: 'Backtesting…' }).waitFor();
    const answered = (await (await finished).json()) as { backtestId: string; report: Report };
    const report = page.getByRole('region', { name: 'Backtest: the draft against the program in force' });
    await report.waitFor();
    expect(await rule.getAttribute('aria-invalid')).toBeNull();

    // The page shows the API's report, figure for figure (read again from the API by the id it shows).
    await report.getByText(answered.backtestId).waitFor();
    const { report: served } = await apiGet<{ report: Report }>(`/v1/program/backtests/${answered.backtestId}`);
    expect(served).toEqual(answered.report);
    expect(served.customers).toBe(80);
    const tiers = await rowsOf(report.getByRole('table', { name: 'Customers per tier' }));
    expect(tiers.map(([name]) => name)).toEqual(['Member', 'Silver', 'Gold']);
    for (const [i, id] of ['member', 'silver', 'gold'].entries()) {
      const at = (outcome: Outcome) => outcome.tiers.find((tier) => tier.id === id)?.customers ?? 0;
      expect([digits(tiers[i]?.[1]), digits(tiers[i]?.[2])]).toEqual([at(served.current), at(served.proposed)]);
    }
    const points = await rowsOf(report.getByRole('table', { name: 'Points and liability' }));
    const figure = (label: string) => points.find(([name]) => name === label);
    const pairs: Array<[string, (o: Outcome) => number]> = [
      ['Points issued', (o) => o.points.issued],
      ['Points redeemed', (o) => o.points.redeemed],
      ['Redemptions the balance could not afford', (o) => o.points.blocked.redemptions],
      ['Points expired', (o) => o.points.expired],
      ['Points outstanding', (o) => o.points.outstanding],
      ['Liability (outstanding points’ value)', (o) => o.liability.value],
      ['Cost of rewards redeemed', (o) => o.rewardsCost],
    ];
    for (const [label, of] of pairs) {
      const row = figure(label);
      expect([label, digits(row?.[1]), digits(row?.[2])]).toEqual([label, of(served.current), of(served.proposed)]);
    }
    // Who moves: a lower bar for Gold lifts some, and the table lists exactly the API's customers.
    expect(served.moves.up.count).toBeGreaterThan(0);
    const up = await rowsOf(report.getByRole('table', { name: `Moving up (${served.moves.up.count})` }));
    expect(up.map(([customerId]) => customerId)).toEqual(served.moves.up.customers.map((move) => move.customerId));
    await report.getByRole('table', { name: `Moving down (${served.moves.down.count})` }).waitFor();
    // The emails per trigger, by the names the other pages give them, each figure the API's.
    const emails = await rowsOf(report.getByRole('table', { name: 'Emails that would have gone, per trigger' }));
    expect(
      emails
        .find(([name]) => name === 'Welcome')
        ?.slice(1)
        .map(digits),
    ).toEqual([served.current.emails.welcome, served.proposed.emails.welcome]);
    expect(emails.map(([name]) => name)).not.toContain('welcome');
    const chart = report.locator('figure.chart').filter({ hasText: 'Liability' });
    await chart.locator('svg').first().waitFor();

    await report.scrollIntoViewIfNeeded();
    await page.getByRole('region', { name: 'Changes to save' }).screenshot({ path: join(CONSOLE_SHOTS, 'program-backtest.png') });

    // Saved as it was backtested.
    await page.getByRole('button', { name: 'Save program' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved as version 1.' }).waitFor();
    const { program } = await apiGet<{ program: { tiers: { levels: Array<Record<string, unknown>> } } }>('/v1/program');
    expect(program.tiers.levels[2]).toMatchObject({ id: 'gold', qualifies: GOLD_RULE });
    expect(program.tiers.levels[2]).not.toHaveProperty('threshold');

    expect(problems.filter((problem) => !/status of 400/.test(problem))).toEqual([]);
    expect(errorAnswers).toEqual(['400 POST /v1/program/backtests']);
  }, 400_000);
});
