import { expect, it } from 'vitest';
import { runCampaignAtScale } from '#test/support/campaign-run.ts';

/**
 * Issue 14's acceptance: a campaign to a 10,000-customer segment on `npm start`, whose whole process
 * group is SIGKILLed mid-campaign and restarted on the same data directory (test/support/
 * campaign-run.ts). Every eligible customer gets exactly one email — SES's own record of what it
 * took, behind a capture proxy that outlives the runtime — nobody gets two, nobody ineligible gets
 * one, and every skip is recorded with its reason. The only exception the email stage allows is a
 * send the kill cut between its `sending` record and SES's answer: recorded `send_outcome_unknown`
 * (at most once, never twice), at most one per email consumer.
 */
const CUSTOMERS = Number(process.env.CAMPAIGN_CUSTOMERS ?? 10_000);

it(`sends a ${CUSTOMERS.toLocaleString('en-US')}-customer campaign once to each eligible customer across a SIGKILL and a restart`, async () => {
  const figures = await runCampaignAtScale({ customers: CUSTOMERS, killAfterSent: Math.floor(CUSTOMERS * 0.3) });
  process.stdout.write(`campaign crash test: ${JSON.stringify(figures)}\n`);
  expect(figures.restored, 'the kill left campaign work queued, which the journal brought back').toBeGreaterThan(0);
  expect({ lost: figures.lost, doubles: figures.doubles, unwanted: figures.unwanted }).toEqual({ lost: 0, doubles: 0, unwanted: 0 });
  expect(figures.inDoubt).toBeLessThanOrEqual(2);
  expect(figures.deliveredOnce + figures.inDoubt).toBe(figures.eligible);
  expect(figures.skipsAsExpected).toBe(figures.ineligible);
  // Counted after the record that makes each outcome final: the kill may lose a count, never add one.
  expect(figures.results.sent).toBeLessThanOrEqual(figures.eligible);
  expect(figures.results.sent).toBeGreaterThanOrEqual(figures.deliveredOnce - 20);
}, 1_500_000);
