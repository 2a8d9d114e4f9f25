import { type Command, parseCommandArgs, shopOption, targetShop, UsageError } from '../command.ts';

const help = `Usage: rapport migrate --shop <id>

Rewrite every customer profile of a shop that still holds one summary per order (the form written
before order histories were bounded) into the bounded form: the newest orders stay on the profile,
the older ones go to history pages, their totals onto the profile. Aggregates, points and tiers are
unchanged. Profiles are also migrated on their next change; this does all of them now. Idempotent:
a second run migrates nothing.

Where it works: as \`rapport import\` (the local runtime's runtime.json, or TABLE_NAME on AWS).

Exit status: 0 done; 1 unknown shop or a failure; 2 usage error.`;

const command: Command = {
  summary: 'rewrite a shop’s profiles into the bounded order-history form (idempotent, with progress)',
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { shop: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const shopId = shopOption(values.shop);

    const { Progress } = await import('../progress.ts');
    const { db } = await import('#shared/deps.ts');
    const { migrateShopProfiles } = await import('#shared/use-cases/migrate-profiles.ts');

    const { target, shop } = await targetShop(shopId, io);
    io.stderr.write(`Migrating the profiles of ${shop.shopId} on ${target.description}\n`);
    const progress = new Progress(io.stderr, { label: 'migrating', total: 0, unit: 'customers' });
    const totals = await migrateShopProfiles(shop.shopId, { db: db(), now: () => new Date() }, (t) =>
      progress.update(t.customers, `${t.migrated} migrated`),
    );
    progress.finish();
    io.stdout.write(`${JSON.stringify({ shopId: shop.shopId, ...totals })}\n`);
    return 0;
  },
};

export default command;
