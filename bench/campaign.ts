import { runCampaignAtScale } from '#test/support/campaign-run.ts';
import type { BenchResult } from './report.ts';

/**
 * A campaign's throughput on the local runtime (`npm start` as a process, SES behind the capture
 * proxy): a segment of CAMPAIGN_BENCH_CUSTOMERS customers (default 2,000; 10 % of them skipped for
 * consent, the weekly cap or suppression) seeded straight into the table, the campaign scheduled
 * now, timed from the schedule call to SES's last email. The fan-out is unpaced here
 * (RAPPORT_CAMPAIGN_RATE high), so the figure is what the email stage sends — two consumers, as
 * the email queue's maximum concurrency sets on AWS — not the pacing a shop would choose. The same
 * run checks what it measures: nobody lost, nobody written to twice.
 */
export async function benchCampaign(): Promise<BenchResult> {
  const customers = Number(process.env.CAMPAIGN_BENCH_CUSTOMERS ?? 2_000);
  const figures = await runCampaignAtScale({ customers });
  if (figures.lost > 0 || figures.doubles > 0 || figures.unwanted > 0)
    throw new Error(`the campaign was not sent once to each: ${JSON.stringify(figures)}`);
  return {
    figures: {
      emailsPerSecond: figures.emailsPerSecond,
      customers: figures.customers,
      eligible: figures.eligible,
      sent: figures.deliveredOnce,
      sendSeconds: figures.sendSeconds,
      seedSeconds: figures.seedSeconds,
    },
    rows: [
      {
        key: 'campaign.emailsPerSecond',
        label: `a campaign to ${customers.toLocaleString('en-US')} customers on the local runtime, emails SES took per second`,
        value: figures.emailsPerSecond,
        unit: '/s',
        note: `${figures.deliveredOnce} sent, ${figures.customers - figures.eligible} skipped, in ${figures.sendSeconds} s; the email queue's 2 consumers (AWS: ~14/s SES account)`,
      },
    ],
  };
}
