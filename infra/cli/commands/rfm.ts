import { type Command, CommandError, UsageError } from '../command.ts';

const help = `Usage: rapport rfm --orders <file.csv> --analysis-date <YYYY-MM-DD> [--out scores.csv]

RFM scores and segments, the published scheme of the R package rfm 0.3.0 (DESIGN §6): recency, frequency
and monetary value scored 1–5 by quintiles, then named segments (Champions, Loyal Customers, At Risk, …).
The CSV has the columns customer_id, order_date, revenue. Prints
{"segments": {"<name>": {"customers", "orders", "revenue"}}}; --out writes every customer's scores.`;

const command: Command = {
  summary: 'RFM scores and segments of an orders CSV (the published rfm 0.3.0 scheme)',
  help,
  async run(argv, io) {
    const { runRfmCommand } = await import('#shared/analytics/rfm.ts');
    return runAnalytics(() => runRfmCommand(argv), io);
  },
};

/** Analytics commands report their own usage and data errors; they map to the CLI's exit codes here. */
export async function runAnalytics(work: () => Promise<{ stdout: string; exitCode: number }>, io: Parameters<Command['run']>[1]) {
  const { AnalyticsDataError, AnalyticsUsageError } = await import('#shared/analytics/errors.ts');
  const previous = process.cwd();
  try {
    // The analytics read files relative to the working directory: make it the user's.
    process.chdir(io.cwd);
    const { stdout, exitCode } = await work();
    io.stdout.write(stdout.endsWith('\n') ? stdout : `${stdout}\n`);
    return exitCode;
  } catch (error) {
    if (error instanceof AnalyticsUsageError) throw new UsageError(error.message);
    if (error instanceof AnalyticsDataError) throw new CommandError(error.message);
    throw error;
  } finally {
    process.chdir(previous);
  }
}

export default command;
