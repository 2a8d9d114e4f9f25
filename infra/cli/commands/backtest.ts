import type { BacktestReport, ProgramOutcome } from '#shared/loyalty/backtest.ts';
import { type Command, CommandError, parseCommandArgs, shopOption, targetShop, UsageError } from '../command.ts';

const help = `Usage: rapport backtest --shop <id> --program <proposed.json> [--as-of <ISO instant>] [--json]

Replay the shop's whole history — every order with its refunds and cancellations by event time,
every redemption, adjustment and activity — through a proposed program and through the program in
force, with the rules the live path applies (earn, clawback, bonuses, first-order bonus, tier-up,
the daily review's downgrades and expiry), and show them side by side: customers per tier and who
moves, points issued, redeemed (or blocked), expired and outstanding, liability, breakage, emails
per trigger, rewards cost, and a 12-month projection from each customer's CLV model. Nothing is
written. The same computation as POST /v1/program/backtests.

--program   the proposed program document, or what \`rapport program show\` prints ({"version", "program"})
--as-of     the instant to replay up to (default: now)
--json      print the report as JSON (what GET /v1/program/backtests/{id} holds as \`report\`)

Where it works: as \`rapport import\` (the local runtime's runtime.json, or TABLE_NAME on AWS).

Exit status: 0 done; 1 invalid document or unknown shop; 2 usage error.`;

const num = (n: number) => Math.round(n).toLocaleString('en-US');
const signed = (n: number) => (n > 0 ? `+${num(n)}` : n < 0 ? `−${num(-n)}` : '0');
const percent = (rate: number) => `${(rate * 100).toFixed(2)}%`;

/** The report as a readable side-by-side table. */
export function formatReport(report: BacktestReport, label: string): string {
  const rows: string[] = [];
  const row = (name: string, current: string, proposed: string, change = '') =>
    rows.push(`  ${name.padEnd(30)}${current.padStart(16)}${proposed.padStart(16)}${change.padStart(14)}`);
  const numbers = (name: string, pick: (outcome: ProgramOutcome) => number) => {
    const a = pick(report.current);
    const b = pick(report.proposed);
    row(name, num(a), num(b), signed(b - a));
  };
  rows.push(`Backtest of ${label} as of ${report.asOf}: ${num(report.customers)} customers, ${num(report.orders)} orders`);
  rows.push('');
  rows.push(`  ${''.padEnd(30)}${'current'.padStart(16)}${'proposed'.padStart(16)}${'change'.padStart(14)}`);
  rows.push('Customers per tier');
  const tierIds = [...new Set([...report.current.tiers.map((t) => t.id), ...report.proposed.tiers.map((t) => t.id)])];
  for (const id of tierIds) {
    const a = report.current.tiers.find((t) => t.id === id)?.customers;
    const b = report.proposed.tiers.find((t) => t.id === id)?.customers;
    row(`  ${id}`, a === undefined ? '–' : num(a), b === undefined ? '–' : num(b), signed((b ?? 0) - (a ?? 0)));
  }
  rows.push('Points');
  numbers('  issued', (o) => o.points.issued);
  numbers('    earned on orders', (o) => o.points.earned);
  numbers('    bonuses', (o) => o.points.bonuses);
  numbers('    activities', (o) => o.points.activities);
  numbers('    referrals', (o) => o.points.referrals);
  numbers('  clawed back', (o) => o.points.clawedBack);
  numbers('  redeemed', (o) => o.points.redeemed);
  numbers('  redemptions blocked', (o) => o.points.blocked.redemptions);
  numbers('  points blocked', (o) => o.points.blocked.points);
  numbers('  expired', (o) => o.points.expired);
  numbers('  outstanding', (o) => o.points.outstanding);
  numbers(`  liability (${report.currency} minor)`, (o) => o.liability.value);
  row('  breakage rate', percent(report.current.breakageRate), percent(report.proposed.breakageRate));
  numbers(`  rewards cost (${report.currency} minor)`, (o) => o.rewardsCost);
  rows.push('Emails that would have fired');
  const triggers = [...new Set([...Object.keys(report.current.emails), ...Object.keys(report.proposed.emails)])].sort();
  for (const trigger of triggers) numbers(`  ${trigger}`, (o) => o.emails[trigger] ?? 0);
  rows.push('');
  const { up, down, unchanged, listCap } = report.moves;
  rows.push(`Tier moves: ${num(up.count)} up, ${num(down.count)} down, ${num(unchanged)} unchanged`);
  for (const [name, list] of [
    ['up', up],
    ['down', down],
  ] as const) {
    const shown = list.customers.slice(0, 10).map((m) => `${m.customerId} ${m.from}→${m.to}`);
    if (shown.length > 0) {
      const more = list.count - shown.length;
      rows.push(`  ${name}: ${shown.join(', ')}${more > 0 ? ` and ${num(more)} more (--json lists up to ${listCap})` : ''}`);
    }
  }
  rows.push('');
  const { projection } = report;
  const holdout = projection.holdout;
  rows.push(
    `Projection — next ${projection.horizonMonths} months from each customer's CLV model, not a replay (${num(projection.current.customers)} customers with a model; ${
      holdout
        ? `holdout: predicted ${holdout.predictedPurchases} purchases, actual ${holdout.actualPurchases}${holdout.relativeError === null ? '' : `, error ${percent(holdout.relativeError)}`}, mean absolute error ${holdout.meanAbsoluteError} per customer`
        : 'no holdout check yet: run the scheduled run first'
    })`,
  );
  const projected = (name: string, pick: (p: BacktestReport['projection']['current']) => number) => {
    const a = pick(projection.current);
    const b = pick(projection.proposed);
    row(name, num(a), num(b), signed(b - a));
  };
  projected('  expected purchases', (p) => p.expectedPurchases);
  projected(`  expected spend (${report.currency} minor)`, (p) => p.expectedSpend);
  projected('  points issued', (p) => p.pointsIssued);
  projected(`  their value (${report.currency} minor)`, (p) => p.pointsIssuedValue);
  rows.push('');
  const r = report.reconciliation;
  rows.push(
    r.tierDiffers === 0 && r.balanceDiffers === 0
      ? `Check: replaying the program in force gives every customer's live tier and balance (${num(r.customers)} of ${num(r.customers)}).`
      : `Check: replaying the program in force differs from the live record for ${num(r.tierDiffers)} tiers and ${num(r.balanceDiffers)} balances of ${num(r.customers)} customers (e.g. ${r.examples
          .slice(0, 3)
          .map((e) => `${e.customerId}: live ${e.tier[0]}/${e.balance[0]}, replay ${e.tier[1]}/${e.balance[1]}`)
          .join('; ')}).`,
  );
  return `${rows.join('\n')}\n`;
}

const command: Command = {
  summary: 'replay the shop’s history through a proposed program, side by side with the current one',
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      shop: { type: 'string' },
      program: { type: 'string' },
      'as-of': { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const shopId = shopOption(values.shop);
    if (!values.program) throw new UsageError('--program <proposed.json> is required');

    const { readFileSync } = await import('node:fs');
    const { resolve } = await import('node:path');
    const { Progress } = await import('../progress.ts');
    const { db } = await import('#shared/deps.ts');
    const { loadFreshProgram } = await import('#shared/program-deps.ts');
    const { backtestShop, parseBacktestRequest, SHARDS } = await import('#shared/use-cases/backtest.ts');

    let document: unknown;
    try {
      document = JSON.parse(readFileSync(resolve(io.cwd, values.program), 'utf8'));
    } catch (error) {
      throw new CommandError(`cannot read ${values.program}: ${(error as Error).message}`);
    }
    const candidate =
      typeof document === 'object' && document !== null && 'program' in document ? (document as { program: unknown }).program : document;
    let request: ReturnType<typeof parseBacktestRequest>;
    try {
      request = parseBacktestRequest({ program: candidate, ...(values['as-of'] ? { asOf: values['as-of'] } : {}) }, new Date());
    } catch (error) {
      throw new CommandError(`invalid backtest, nothing replayed — ${(error as Error).message}`);
    }

    const { target, shop } = await targetShop(shopId, io);
    io.stderr.write(`Backtesting ${values.program} on ${shop.shopId} (${target.description}) as of ${request.asOf.toISOString()}\n`);
    const progress = new Progress(io.stderr, { label: 'replaying', total: SHARDS, unit: 'shards' });
    const report = await backtestShop(
      shop,
      request.program,
      request.asOf,
      { db: db(), now: () => new Date(), program: loadFreshProgram },
      (p) => progress.update(p.shardsDone, `${num(p.customers)} customers`),
    );
    progress.finish(`${num(report.customers)} customers`);
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, values.program));
    return 0;
  },
};

export default command;
