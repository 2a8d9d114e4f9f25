/**
 * `npm run bench [-- <bench>...]`: the performance figures of issue 2, each beside its target.
 * Prints a table (PASS / MISS per target) and merges the figures into bench/results.json.
 * Benches: bundles, coldImport, webhook, ingest, loyalty, analytics, resegment, backtest, email, local, load, reliability, console, storefront, campaign, import, cost (default: all, in that order, one at a
 * time so none competes with another for the two cores). A missed target is reported, not
 * fatal; the process fails only when a bench cannot run.
 */

import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { functions } from '#functions/triggers.ts';
import { benchAnalytics } from './analytics.ts';
import { benchBacktest } from './backtest.ts';
import { benchBundles } from './bundles.ts';
import { type Bundle, bundle, repoRoot } from './bundling.ts';
import { benchCampaign } from './campaign.ts';
import { benchColdImport } from './cold-import.ts';
import { benchConsole } from './console.ts';
import { benchCost } from './cost.ts';
import { benchEmail } from './email.ts';
import { benchImport } from './import.ts';
import { benchIngest } from './ingest.ts';
import { benchLoad } from './load.ts';
import { benchLocalE2e } from './local-e2e.ts';
import { benchLoyalty } from './loyalty.ts';
import { benchReliability } from './reliability.ts';
import { type BenchResult, formatTable, mergeResults, type Row, verdict } from './report.ts';
import { benchResegment } from './resegment.ts';
import { round } from './stats.ts';
import { benchStorefront } from './storefront.ts';
import { benchWebhook } from './webhook.ts';

const RESULTS_FILE = join(repoRoot, 'bench', 'results.json');
const ALL = [
  'bundles',
  'coldImport',
  'webhook',
  'ingest',
  'loyalty',
  'analytics',
  'resegment',
  'backtest',
  'email',
  'local',
  'load',
  'reliability',
  'console',
  'storefront',
  'campaign',
  'import',
  'cost',
] as const;
type BenchName = (typeof ALL)[number];

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

function selected(argv: string[]): BenchName[] {
  if (argv.length === 0) return [...ALL];
  const unknown = argv.filter((name) => !(ALL as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}; choose from ${ALL.join(', ')}`);
  return ALL.filter((name) => argv.includes(name));
}

async function main(): Promise<number> {
  const names = selected(process.argv.slice(2));
  const loadBefore = loadavg()[0] ?? 0;
  const startedAt = new Date().toISOString();
  const results: Record<string, unknown> = {};
  const rows: Row[] = [];
  const notes: string[] = [];
  const failures: string[] = [];
  const seconds: Record<string, number> = {};
  let bundles: Bundle[] | undefined;

  const runBench = async (name: BenchName, work: () => Promise<BenchResult>) => {
    progress(`${name}…`);
    const start = Date.now();
    try {
      const result = await work();
      // The analytics bench reports two families of figures (clv.*, resegment.*): they stand at the top.
      if (name === 'analytics') Object.assign(results, result.figures);
      else results[name] = result.figures;
      rows.push(...result.rows);
      notes.push(...(result.notes ?? []));
    } catch (err) {
      failures.push(`${name}: ${(err as Error).stack ?? String(err)}`);
      progress(`${name} FAILED: ${(err as Error).message}`);
    }
    seconds[name] = round((Date.now() - start) / 1000, 1);
  };

  // Cold import needs the bundles; they are built (and then reported) whenever it runs.
  if (names.includes('bundles') || names.includes('coldImport')) {
    await runBench('bundles', async () => {
      const result = await benchBundles();
      bundles = result.bundles;
      return result;
    });
  }
  if (names.includes('coldImport')) {
    await runBench('coldImport', async () => {
      if (!bundles) throw new Error('no bundles to import (the bundles bench failed)');
      const helloWorld = await bundle('helloWorld', 'bench/hello-world.ts', 'baseline');
      const webhook = functions.find((fn) => fn.name === 'webhook');
      const sdkExternal = webhook ? await bundle('webhookSdkExternal', webhook.entry, 'baseline', { sdkExternal: true }) : undefined;
      return benchColdImport(bundles, helloWorld, sdkExternal);
    });
  }
  if (names.includes('webhook')) await runBench('webhook', () => benchWebhook());
  if (names.includes('ingest')) await runBench('ingest', () => benchIngest());
  if (names.includes('loyalty')) await runBench('loyalty', () => benchLoyalty());
  if (names.includes('analytics')) await runBench('analytics', () => benchAnalytics());
  if (names.includes('resegment')) await runBench('resegment', () => benchResegment());
  if (names.includes('backtest')) await runBench('backtest', () => benchBacktest());
  if (names.includes('email')) await runBench('email', () => benchEmail());
  if (names.includes('local')) await runBench('local', () => benchLocalE2e());
  if (names.includes('load')) await runBench('load', () => benchLoad());
  if (names.includes('reliability')) await runBench('reliability', () => benchReliability());
  if (names.includes('console')) await runBench('console', () => benchConsole());
  if (names.includes('storefront')) await runBench('storefront', () => benchStorefront());
  if (names.includes('campaign')) await runBench('campaign', () => benchCampaign());
  if (names.includes('import')) await runBench('import', () => benchImport());
  // Last: it prices the ingest figures, this run's when ingest ran too, else those in results.json.
  if (names.includes('cost')) await runBench('cost', () => benchCost(results.ingest as Record<string, unknown> | undefined));

  results.meta = {
    node: process.version,
    date: new Date().toISOString(),
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    platform: `${process.platform}-${process.arch}`,
    // Other work on the machine skews every timing: the 1-minute load average before and after.
    loadAverage: { before: round(loadBefore, 2), after: round(loadavg()[0] ?? 0, 2) },
    // Merged like every other key: each bench's last run, so figures from earlier runs stay dated.
    lastRun: Object.fromEntries(Object.entries(seconds).map(([name, s]) => [name, { date: startedAt, seconds: s }])),
  };
  mergeResults(RESULTS_FILE, results);

  process.stdout.write(`\n${formatTable(rows)}\n`);
  if (notes.length > 0) process.stdout.write(`\n${notes.map((note) => `• ${note}`).join('\n')}\n`);
  const missed = rows.filter((row) => verdict(row) === 'MISS').length;
  const passed = rows.filter((row) => verdict(row) === 'PASS').length;
  const total = Object.values(seconds).reduce((s, v) => s + v, 0);
  process.stdout.write(
    `\n${passed} targets met, ${missed} missed; ${availableParallelism()} cores, load ${round(loadBefore, 2)} → ${round(loadavg()[0] ?? 0, 2)}; ${round(total, 1)} s; figures in ${RESULTS_FILE.slice(repoRoot.length + 1)}\n`,
  );
  if (failures.length > 0) {
    process.stderr.write(`\n${failures.length} bench(es) could not run:\n${failures.join('\n\n')}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
