import { type Command, CommandError, parseCommandArgs, shopOption, targetShop, UsageError } from '../command.ts';

const help = `Usage: rapport program apply --shop <id> [--dry-run] <file.json>
       rapport program show --shop <id>

apply   validate a loyalty program document, print what it changes against the shop's current
        version, and save it as the next version (--dry-run: validate and show the changes only).
        The file is the program document, or what \`rapport program show\` / GET /v1/program print
        ({"version", "program"}). An invalid document is refused with the path of the bad field.
show    print the shop's current program as JSON (the defaults, as version 0, until one is saved).

Where it works: as \`rapport import\` (the local runtime's runtime.json, or TABLE_NAME on AWS).

Exit status: 0 done (or no changes); 1 invalid document, unknown shop, or the program changed meanwhile;
2 usage error.`;

const command: Command = {
  summary: "show a shop's loyalty program, or validate, diff and apply a new version from a file",
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { shop: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } });
    const [action, file, ...extra] = positionals;
    if (action !== 'apply' && action !== 'show') throw new UsageError('say `rapport program apply …` or `rapport program show …`');
    const shopId = shopOption(values.shop);
    if (action === 'apply' && (!file || extra.length > 0))
      throw new UsageError('apply takes one file: rapport program apply --shop <id> <file.json>');

    const { readFileSync } = await import('node:fs');
    const { resolve } = await import('node:path');
    const { db } = await import('#shared/deps.ts');
    const { readProgram } = await import('#shared/use-cases/manage-program.ts');
    const { putProgramIfVersion } = await import('#shared/data/program-repo.ts');
    const { ProgramSchema, diffPrograms, formatDiff } = await import('#shared/loyalty/program.ts');
    const { parseOrThrow } = await import('#shared/http/validate.ts');

    const { shop } = await targetShop(shopId, io);
    const current = await readProgram(shop, db());
    if (action === 'show') {
      io.stdout.write(`${JSON.stringify(current, null, 2)}\n`);
      return 0;
    }

    let document: unknown;
    try {
      document = JSON.parse(readFileSync(resolve(io.cwd, file as string), 'utf8'));
    } catch (error) {
      throw new CommandError(`cannot read ${file}: ${(error as Error).message}`);
    }
    const candidate =
      typeof document === 'object' && document !== null && 'program' in document ? (document as { program: unknown }).program : document;
    let program: ReturnType<typeof ProgramSchema.parse>;
    try {
      program = parseOrThrow(ProgramSchema, candidate);
    } catch (error) {
      throw new CommandError(`invalid program, nothing applied — ${(error as Error).message}`);
    }
    const changes = diffPrograms(current.program, program);
    io.stdout.write(`Changes to ${shop.shopId}'s program (version ${current.version}):\n${formatDiff(changes)}\n`);
    if (changes.length === 0 || values['dry-run']) {
      if (values['dry-run'] && changes.length > 0) io.stdout.write('Dry run: nothing applied.\n');
      return 0;
    }
    try {
      const saved = await putProgramIfVersion(db(), shop.shopId, current.version, program, new Date().toISOString());
      io.stdout.write(`Applied: version ${saved.version}.\n`);
      return 0;
    } catch (error) {
      if ((error as Error).name === 'ConflictError') throw new CommandError(`${(error as Error).message}`);
      throw error;
    }
  },
};

export default command;
