import { ShopIdSchema } from '#shared/domain/event.ts';
import { type Command, integerOption, parseCommandArgs, UsageError } from '../command.ts';

const help = `Usage: rapport import --shop <id> [options] <file>

Backfill a shop's order history through the same queue and processor as its webhooks. Idempotent:
every line becomes the same events each time, so importing a file again changes nothing; resumable:
an interrupted import (Ctrl-C, a crash) goes on from its checkpoint when run again.

The file (optionally gzipped, .gz):
  .csv    one order per row, columns named by the header, in any order:
            email,order_id,date,amount[,currency][,status][,updated_at]
          amount in currency units ("19.99"); currency, when given, the shop's; date an ISO date or
          date-time (without a zone: the shop's time zone); status default paid; updated_at (default
          date) lets a later file correct an order imported before.
  .jsonl  one JSON object per line: a Shopify order body (REST Admin API or webhook), or a
          canonical event (DESIGN §4) — order.upserted, refund.created, customer.upserted,
          interaction.logged, feedback.submitted — with shopId absent or equal to --shop.

Options:
  --shop <id>            the shop to import into (required; it must exist)
  --format csv|jsonl     the file's format (default: by extension, else by content)
  --restart              ignore the checkpoint of an interrupted import of this file; start at line 1
  --dry-run              read and check every line, send nothing
  --no-wait              return once everything is on the queue, without waiting for the processor
  --wait-timeout <s>     stop waiting when the queue has not shrunk for this long (default 300)
  --concurrency <n>      SendMessageBatch calls in flight (default 8)
  --max-rate <n>         send at most n messages a second, so that a big backfill does not hold up
                         a live shop's webhooks behind it on the queue (default: as fast as it takes)
  --rejects <file>       write every rejected line (number and reason, tab-separated) to this file
  --json                 print the summary as JSON

Rejected lines never stop an import; the summary counts them by reason with their line numbers.
Progress goes to stderr (a bar on a terminal, plain lines otherwise), the summary to stdout.

Where it imports to: the local runtime of \`npm start\`, found through $RAPPORT_DATA_DIR/runtime.json
(default .rapport/); or, when TABLE_NAME and INTERACTIONS_QUEUE_URL are set, that deployment on AWS
with the usual AWS credentials. Checkpoints are kept in $RAPPORT_DATA_DIR/imports/.

Exit status: 0 imported and processed; 1 failed (or the queue did not empty, or messages went to
the dead-letter queue); 2 usage error; 130 interrupted (run again to resume).`;

const command: Command = {
  summary: 'backfill order history from a CSV or JSONL file (idempotent, resumable)',
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      shop: { type: 'string' },
      format: { type: 'string' },
      restart: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      'no-wait': { type: 'boolean', default: false },
      'wait-timeout': { type: 'string' },
      concurrency: { type: 'string' },
      'max-rate': { type: 'string' },
      rejects: { type: 'string' },
      json: { type: 'boolean', default: false },
      // Testing aid, not in the help: stop as Ctrl-C would once this line has been read.
      'stop-after': { type: 'string' },
    });
    if (!values.shop) throw new UsageError('--shop <id> is required');
    if (!ShopIdSchema.safeParse(values.shop).success) {
      throw new UsageError(`--shop must be a shop id (lower-case letters, digits and dashes), not "${values.shop}"`);
    }
    if (positionals.length !== 1)
      throw new UsageError(positionals.length === 0 ? 'the file to import is missing' : 'import one file at a time');
    const format = values.format;
    if (format !== undefined && format !== 'csv' && format !== 'jsonl')
      throw new UsageError(`--format must be csv or jsonl, not "${format}"`);

    const { runImport } = await import('../import/run-import.ts');
    return runImport(
      {
        shopId: values.shop,
        file: positionals[0] as string,
        ...(format ? { format } : {}),
        restart: values.restart,
        dryRun: values['dry-run'],
        wait: !values['no-wait'],
        waitTimeoutSeconds: integerOption('wait-timeout', values['wait-timeout'], { min: 1 }) ?? 300,
        concurrency: integerOption('concurrency', values.concurrency, { min: 1, max: 64 }) ?? 8,
        ...(values['max-rate'] ? { maxRate: integerOption('max-rate', values['max-rate'], { min: 1 }) } : {}),
        json: values.json,
        ...(values.rejects ? { rejectsFile: values.rejects } : {}),
        ...(values['stop-after'] ? { stopAfterLine: integerOption('stop-after', values['stop-after'], { min: 0 }) } : {}),
      },
      io,
    );
  },
};

export default command;
