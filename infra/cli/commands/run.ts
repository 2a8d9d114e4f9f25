import { type Command, parseCommandArgs, shopOption, targetShop, UsageError } from '../command.ts';

const help = `Usage: rapport run --shop <id>

Re-segment a shop now, in this process, with the same code as the scheduled run: read every
customer through the shop's index shards, fit RFM bins and the CLV model, score and segment every
customer, review tiers and points, and write only what changed. Prints a progress bar (plain lines
when not on a terminal), then the run as GET /v1/runs/{runId} shows it.

Where it works: as \`rapport import\` (the local runtime's runtime.json, or TABLE_NAME on AWS).

Exit status: 0 done; 1 unknown shop or a failed run; 2 usage error.`;

const command: Command = {
  summary: 're-segment a shop now (RFM, CLV, rule segments, tiers, points) with progress',
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { shop: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const shopId = shopOption(values.shop);

    const { Progress } = await import('../progress.ts');
    const { db } = await import('#shared/deps.ts');
    const { loadProgram } = await import('#shared/program-deps.ts');
    const { getRun } = await import('#shared/data/run-repo.ts');
    const { readRun, runToCompletion } = await import('#shared/use-cases/resegment.ts');

    const { target, shop } = await targetShop(shopId, io);
    io.stderr.write(`Re-segmenting ${shop.shopId} on ${target.description}\n`);

    let runId: string | undefined;
    let progress: InstanceType<typeof Progress> | undefined;
    const watch = setInterval(async () => {
      if (!runId) return;
      const run = await getRun(db(), shop.shopId, runId).catch(() => undefined);
      const customers = run?.model?.customers as number | undefined;
      if (customers === undefined) return;
      progress ??= new Progress(io.stderr, { label: 'scoring', total: customers, unit: 'customers' });
      const read = Object.values(run?.progress ?? {}).reduce((sum, n) => sum + n, 0);
      progress.update(read, `${Object.keys(run?.shardResults ?? {}).length}/${run?.shards} shards`);
    }, 250);
    try {
      const finished = await runToCompletion(
        shop,
        { db: db(), program: loadProgram, timezone: async () => shop.timezone, now: () => new Date() },
        undefined,
        (id: string) => {
          runId = id;
        },
      );
      runId = finished.runId;
      clearInterval(watch);
      progress?.update((finished.model?.customers as number | undefined) ?? 0, 'done');
      progress?.finish();
      const shown = await readRun(shop, finished.runId, db());
      io.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      return finished.status === 'succeeded' ? 0 : 1;
    } finally {
      clearInterval(watch);
    }
  },
};

export default command;
