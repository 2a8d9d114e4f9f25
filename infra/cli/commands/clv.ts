import type { Command } from '../command.ts';
import { runAnalytics } from './rfm.ts';

const help = `Usage: rapport clv --transactions <file> --format cdnow|csv --calibration-end <YYYY-MM-DD>
                   [--unit week|day] [--horizon <units>] [--out customers.csv]

Predictive customer lifetime value (DESIGN §6): BG/NBD for repeat purchases and P(alive), Gamma-Gamma for
spend per purchase, fitted by maximum likelihood on the calibration period (same-day purchases merged,
the first purchase excluded from frequency and spend). Transactions after the calibration end are used
as a holdout check (predicted vs actual purchases). Prints
{"customers", "bgnbd": {"r", "alpha", "a", "b", "logLikelihood"}, "gammaGamma": {"p", "q", "v"}};
--out writes per customer: id, frequency, recency, T, monetary, pAlive, expectedPurchases,
expectedSpend, clv. Formats: cdnow (master id, sample id, yyyymmdd, CDs, dollars; the customer is the
sample id) or csv (customer_id,date,amount).`;

const command: Command = {
  summary: 'BG/NBD + Gamma-Gamma CLV fit of a transactions file (CDNOW or CSV), with a holdout check',
  help,
  async run(argv, io) {
    const { runClvCommand } = await import('#shared/analytics/clv.ts');
    return runAnalytics(() => runClvCommand(argv), io);
  },
};

export default command;
