import { env, type QueueName, queues } from '#functions/triggers.ts';
import { type Command, CommandError, EXIT, type Io, integerOption, parseCommandArgs, UsageError } from '../command.ts';

const QUEUE_NAMES = Object.keys(queues) as QueueName[];

const help = `Usage: rapport dlq list|show|redrive [--queue <name>] [options]

Dead letters: messages a consumer failed on maxReceiveCount times, set aside on their queue's
dead-letter queue. Queues: ${QUEUE_NAMES.join(', ')} (functions/triggers.ts); without --queue, all of them.

  list      each queue's dead letters (visible, in flight and delayed) and, where SQS reports it,
            the age of the oldest one (the local runtime does; on AWS, SQS reports it to CloudWatch
            only: the dashboard's first graph)
  show      the dead letters themselves, without consuming them: message id, receive count, sent
            and first-received times, and a summary of the body made of allow-listed fields (event
            type, shop id, event id…) — never an email address, phone number, name or address
  redrive   move dead letters back to their queue, 10 at a time: each batch is sent to the queue
            first, then deleted from the dead-letter queue, so a crash in between duplicates a
            message (handled idempotently) and never loses one

Options:
  --queue <name>   one queue (${QUEUE_NAMES.join(', ')})
  --limit <n>      show: at most n messages per queue (default 10, at most 1000);
                   redrive: at most n messages per queue (default: all those there at the start)
  --json           list and show: JSON on stdout

Where it works: the local runtime of \`npm start\` (its runtime.json), or with TABLE_NAME and
INTERACTIONS_QUEUE_URL set, that deployment on AWS; there, RUNS_QUEUE_URL, EMAIL_QUEUE_URL,
CODES_QUEUE_URL and CAMPAIGNS_QUEUE_URL name the other queues (the stack's outputs give all five), and each dead-letter queue is found through
its queue's redrive policy.

Exit status: 0 done; 1 failed (no runtime, a queue refused a message); 2 usage error; 130 redrive
interrupted (the batch in flight is finished first).`;

/**
 * What `show` may print of a body, per queue: kinds and ids only. Anything else a body holds
 * (customer contact data, order lines, email data) never reaches a terminal or a log. A queue
 * added to the trigger table must be given its list here.
 */
const BODY_FIELDS: Record<QueueName, readonly string[]> = {
  interactions: ['type', 'shopId', 'eventId', 'source', 'occurredAt'],
  runs: ['step', 'shopId', 'runId', 'shard'],
  email: ['trigger', 'shopId', 'customerId', 'key', 'at'],
  codes: ['shopId', 'code', 'attempt'],
  campaigns: ['step', 'shopId', 'campaignId', 'part'],
};
/** Even an allowed field is shown only when it looks like an id: no @, +, space or other text a shop could put there. */
const PRINTABLE = /^[\w.:#-]{1,200}$/;

const SHOW_DEFAULT = 10;
const SHOW_MAX = 1000;
/**
 * `show` receives messages hidden for this long and gives them back (visibility 0) once read, as
 * the SQS console does: it works on SQS and on every emulator, where fauxqs's inspection endpoint
 * exists only locally. It costs each shown message one receive on the dead-letter queue, which
 * has no redrive policy of its own, so nothing moves. If the command dies, they return by themselves.
 */
const PEEK_VISIBILITY_SECONDS = 60;
/** Long enough for one batch's send and delete; a batch whose run dies reappears on the dead-letter queue after it. */
const REDRIVE_VISIBILITY_SECONDS = 60;
/** Long polling: SQS answers from all its servers, so an empty answer means an empty queue, not a sampled miss. */
const WAIT_SECONDS = 1;

interface QueueRef {
  name: QueueName;
  url: string;
  dlqUrl: string;
  dlqName: string;
}

interface Located {
  description: string;
  found: QueueRef[];
  /** Queues this target does not name (on AWS: their URL variable is not set). */
  missing: Array<{ name: QueueName; variable: string }>;
  /** The local SQS endpoint, whose inspection endpoint reports message ages (fauxqs). */
  localSqs?: string;
}

const command: Command = {
  summary: 'dead letters: how many per queue, what they are (no personal data), move them back',
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      queue: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const [action, ...rest] = positionals;
    if (action !== 'list' && action !== 'show' && action !== 'redrive') {
      throw new UsageError(action === undefined ? 'say list, show or redrive' : `unknown action "${action}"; say list, show or redrive`);
    }
    if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}`);
    if (values.queue !== undefined && !(QUEUE_NAMES as string[]).includes(values.queue)) {
      throw new UsageError(`--queue must be one of ${QUEUE_NAMES.join(', ')}, not "${values.queue}"`);
    }
    if (action === 'list' && values.limit !== undefined) throw new UsageError('--limit is for show and redrive');
    if (action === 'redrive' && values.json) throw new UsageError('--json is for list and show');
    const limit = integerOption('limit', values.limit, { min: 1, ...(action === 'show' ? { max: SHOW_MAX } : {}) });
    const names = values.queue ? [values.queue as QueueName] : QUEUE_NAMES;

    const located = await locate(names, io);
    // Asked for by name and not there: a failure, not an empty answer.
    if (values.queue && located.missing.length > 0) {
      throw new CommandError(
        `the ${values.queue} queue is not known here: set ${located.missing[0]?.variable} (the stack's outputs have it)`,
      );
    }
    if (action === 'list') return list(located, values.json, io);
    if (action === 'show') return show(located, limit ?? SHOW_DEFAULT, values.json, io);
    return redrive(located, limit, io);
  },
};

export default command;

/** The queues and their dead-letter queues where the command works (infra/cli/target.ts decides where). */
async function locate(names: QueueName[], io: Io): Promise<Located> {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const z = await import('zod');
  const { sqsClient } = await import('#shared/aws/sqs.ts');
  const { deadLetterQueueOf } = await import('../queue.ts');
  const { RUNTIME_FILE, resolveTarget } = await import('../target.ts');

  const target = resolveTarget(io.env, io.cwd);
  const dlqNameOf = (url: string) => decodeURIComponent(url.slice(url.lastIndexOf('/') + 1));
  if (target.kind === 'local') {
    // target.ts has checked the file and that its runtime is alive; it reads only the interactions queue.
    const file = join(target.dataDir, RUNTIME_FILE);
    const parsed = z
      .object({
        endpoints: z.object({ sqs: z.url() }),
        queues: z.record(z.string(), z.object({ url: z.url(), dlqUrl: z.url() })),
      })
      .safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) throw new CommandError(`${file} does not name the runtime's queues: restart the runtime (npm start)`);
    const runtime = parsed.data;
    const found = names.map((name) => {
      const urls = runtime.queues[name];
      if (!urls) throw new CommandError(`${file} names no ${name} queue: restart the runtime (npm start)`);
      return { name, url: urls.url, dlqUrl: urls.dlqUrl, dlqName: dlqNameOf(urls.dlqUrl) };
    });
    return { description: target.description, found, missing: [], localSqs: runtime.endpoints.sqs };
  }

  const found: QueueRef[] = [];
  const missing: Located['missing'] = [];
  for (const name of names) {
    const variable = env.queueUrl(name);
    const url = io.env[variable];
    if (!url) {
      missing.push({ name, variable });
      continue;
    }
    const dlqUrl = await deadLetterQueueOf(sqsClient(), url);
    if (!dlqUrl) throw new CommandError(`${variable} (${url}) has no redrive policy: it is not a Rapport queue`);
    found.push({ name, url, dlqUrl, dlqName: dlqNameOf(dlqUrl) });
  }
  return { description: target.description, found, missing };
}

async function list(located: Located, json: boolean, io: Io): Promise<number> {
  const { sqsClient } = await import('#shared/aws/sqs.ts');
  const { formatDuration } = await import('../progress.ts');
  const { queueDepth } = await import('../queue.ts');

  const rows = await Promise.all(
    located.found.map(async (queue) => ({
      queue: queue.name,
      deadLetterQueue: queue.dlqName,
      deadLetters: await queueDepth(sqsClient(), queue.dlqUrl),
      oldestAgeSeconds: located.localSqs ? await oldestAgeSeconds(located.localSqs, queue.dlqName) : undefined,
    })),
  );
  if (json) {
    const unknown = located.missing.map((m) => ({ queue: m.name, notConfigured: m.variable }));
    const known = rows.map((row) => ({ ...row, oldestAgeSeconds: row.oldestAgeSeconds ?? null }));
    io.stdout.write(`${JSON.stringify({ target: located.description, queues: [...known, ...unknown] })}\n`);
    return EXIT.ok;
  }
  io.stderr.write(`Dead-letter queues on ${located.description}\n`);
  const table: string[][] = [
    ['QUEUE', 'DEAD LETTERS', 'OLDEST', 'DEAD-LETTER QUEUE'],
    ...rows.map((row) => [
      row.queue,
      String(row.deadLetters),
      row.deadLetters === 0 ? '-' : row.oldestAgeSeconds === undefined ? 'n/a' : formatDuration(row.oldestAgeSeconds),
      row.deadLetterQueue,
    ]),
    ...located.missing.map((m) => [m.name, '?', '?', `not configured: set ${m.variable}`]),
  ];
  io.stdout.write(formatTable(table));
  return EXIT.ok;
}

/**
 * The age of the oldest message, from fauxqs's inspection endpoint (read-only; SQS's own API does
 * not report it). Undefined when the endpoint is not fauxqs (RAPPORT_SQS_ENDPOINT) or the queue is empty.
 */
async function oldestAgeSeconds(sqsEndpoint: string, queueName: string): Promise<number | undefined> {
  interface Inspected {
    messages?: {
      ready?: Array<{ sentTimestamp?: number }>;
      delayed?: Array<{ sentTimestamp?: number }>;
      inflight?: Array<{ message?: { sentTimestamp?: number } }>;
    };
  }
  try {
    const res = await fetch(`${sqsEndpoint}/_fauxqs/queues/${encodeURIComponent(queueName)}`);
    if (!res.ok) return undefined;
    const { messages } = (await res.json()) as Inspected;
    const sent = [...(messages?.ready ?? []), ...(messages?.delayed ?? []), ...(messages?.inflight ?? []).map((e) => e.message ?? {})]
      .map((m) => m.sentTimestamp)
      .filter((t): t is number => typeof t === 'number');
    return sent.length > 0 ? Math.max(0, (Date.now() - Math.min(...sent)) / 1000) : undefined;
  } catch {
    return undefined;
  }
}

interface DeadLetter {
  messageId: string;
  receiveCount: number | null;
  sentAt: string | null;
  firstReceivedAt: string | null;
  body: Record<string, string | number> | { unreadable: string };
}

async function show(located: Located, limit: number, json: boolean, io: Io): Promise<number> {
  const { sqsClient } = await import('#shared/aws/sqs.ts');
  const { queueDepth } = await import('../queue.ts');

  const shown: Array<{ queue: QueueName; deadLetterQueue: string; deadLetters: number; messages: DeadLetter[] }> = [];
  for (const queue of located.found) {
    const deadLetters = await queueDepth(sqsClient(), queue.dlqUrl);
    // No more than the depth: a last receive that finds nothing would cost a second of long polling.
    const messages = deadLetters === 0 ? [] : await peek(queue, Math.min(limit, deadLetters));
    shown.push({ queue: queue.name, deadLetterQueue: queue.dlqName, deadLetters, messages });
  }
  if (json) {
    io.stdout.write(`${JSON.stringify({ target: located.description, queues: shown })}\n`);
    return EXIT.ok;
  }
  io.stderr.write(`Dead letters on ${located.description}\n`);
  for (const { queue, deadLetterQueue, deadLetters, messages } of shown) {
    const more = deadLetters > messages.length ? ` (${messages.length} shown; --limit for more)` : '';
    io.stdout.write(`\n${queue}: ${deadLetters} dead letter${deadLetters === 1 ? '' : 's'} on ${deadLetterQueue}${more}\n`);
    if (messages.length === 0) continue;
    io.stdout.write(
      formatTable([
        ['MESSAGE ID', 'RECEIVES', 'SENT', 'FIRST RECEIVED', 'BODY'],
        ...messages.map((m) => [
          m.messageId,
          m.receiveCount === null ? '?' : String(m.receiveCount),
          m.sentAt ?? '?',
          m.firstReceivedAt ?? '?',
          'unreadable' in m.body
            ? `(${m.body.unreadable})`
            : Object.entries(m.body)
                .map(([key, value]) => `${key}=${value}`)
                .join(' '),
        ]),
      ]),
    );
  }
  for (const m of located.missing) io.stdout.write(`\n${m.name}: not configured (set ${m.variable})\n`);
  return EXIT.ok;
}

/** Up to `limit` dead letters, each received once and given back (see PEEK_VISIBILITY_SECONDS). */
async function peek(queue: QueueRef, limit: number): Promise<DeadLetter[]> {
  const { ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
  const { sqsClient } = await import('#shared/aws/sqs.ts');

  const read = new Map<string, DeadLetter>();
  const handles: string[] = [];
  try {
    while (read.size < limit) {
      const { Messages = [] } = await sqsClient().send(
        new ReceiveMessageCommand({
          QueueUrl: queue.dlqUrl,
          MaxNumberOfMessages: Math.min(10, limit - read.size),
          VisibilityTimeout: PEEK_VISIBILITY_SECONDS,
          WaitTimeSeconds: WAIT_SECONDS,
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp'],
        }),
      );
      if (Messages.length === 0) break;
      for (const m of Messages) {
        if (m.ReceiptHandle) handles.push(m.ReceiptHandle);
        const attributes = m.Attributes ?? {};
        read.set(m.MessageId ?? `?${read.size}`, {
          messageId: m.MessageId ?? '?',
          receiveCount: attributes.ApproximateReceiveCount ? Number(attributes.ApproximateReceiveCount) : null,
          sentAt: isoOf(attributes.SentTimestamp),
          firstReceivedAt: isoOf(attributes.ApproximateFirstReceiveTimestamp),
          body: summarise(queue.name, m.Body ?? ''),
        });
      }
    }
  } finally {
    await release(queue.dlqUrl, handles);
  }
  return [...read.values()];
}

const isoOf = (millis: string | undefined) => (millis && /^\d+$/.test(millis) ? new Date(Number(millis)).toISOString() : null);

/** The allow-listed fields of a body (BODY_FIELDS), each only when it looks like an id; never the body itself. */
function summarise(queue: QueueName, body: string): DeadLetter['body'] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { unreadable: `not JSON, ${Buffer.byteLength(body)} bytes` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { unreadable: 'not a JSON object' };
  const summary: Record<string, string | number> = {};
  for (const field of BODY_FIELDS[queue]) {
    const value = (parsed as Record<string, unknown>)[field];
    if (typeof value === 'number' && Number.isFinite(value)) summary[field] = value;
    else if (typeof value === 'string') summary[field] = PRINTABLE.test(value) ? value : '(hidden)';
  }
  return summary;
}

/**
 * Moves dead letters back to their queue, batch by batch: send to the queue, then delete from the
 * dead-letter queue — never the other way round, which would lose a message to a crash in between.
 *
 * The same loop runs on AWS and locally, although SQS has StartMessageMoveTask: fauxqs does not
 * implement it, so a native path would be the one path no test runs; the loop honours --limit and
 * shows exact progress; and its cost, one round trip per ten messages from the operator's machine,
 * is nothing at the sizes a dead-letter queue should ever reach.
 */
async function redrive(located: Located, limit: number | undefined, io: Io): Promise<number> {
  const { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand } = await import(
    '@aws-sdk/client-sqs'
  );
  const { sqsClient } = await import('#shared/aws/sqs.ts');
  const { Progress, formatCount } = await import('../progress.ts');
  const sqs = sqsClient();

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(EXIT.interrupted);
    stopping = true;
    io.stderr.write(
      `\n${signal}: stopping after the batch in flight (again to exit at once: nothing is lost, a message may be duplicated)\n`,
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  io.stderr.write(`Redriving dead letters on ${located.description}\n`);
  const results: Array<{ queue: QueueName; moved: number }> = [];
  let failure: string | undefined;
  try {
    for (const queue of located.found) {
      if (stopping) break;
      // Only what is there now: a message that fails again and comes back during the run is not taken twice.
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      const total = Math.min(limit ?? Number.POSITIVE_INFINITY, Number(Attributes.ApproximateNumberOfMessages ?? 0));
      let moved = 0;
      if (total > 0) {
        const progress = new Progress(io.stderr, { label: `redrive ${queue.name}`, total, unit: 'messages' });
        while (moved < total && !stopping && !failure) {
          const { Messages = [] } = await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: queue.dlqUrl,
              MaxNumberOfMessages: Math.min(10, total - moved),
              VisibilityTimeout: REDRIVE_VISIBILITY_SECONDS,
              WaitTimeSeconds: WAIT_SECONDS,
              MessageAttributeNames: ['All'],
            }),
          );
          if (Messages.length === 0) break;
          const sent = await sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: queue.url,
              Entries: Messages.map((m, i) => ({
                Id: String(i),
                MessageBody: m.Body ?? '',
                ...(m.MessageAttributes ? { MessageAttributes: m.MessageAttributes } : {}),
              })),
            }),
          );
          const onQueue = (sent.Successful ?? []).map((entry) => Messages[Number(entry.Id)]);
          if (onQueue.length > 0) {
            const deleted = await sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: queue.dlqUrl,
                Entries: onQueue.map((m, i) => ({ Id: String(i), ReceiptHandle: m?.ReceiptHandle })),
              }),
            );
            if (deleted.Failed?.length) {
              progress.clear();
              io.stderr.write(
                `${deleted.Failed.length} message(s) are back on ${queue.name} but could not be deleted from ${queue.dlqName} (${deleted.Failed[0]?.Code}): a later redrive sends them again, which changes nothing\n`,
              );
            }
          }
          moved += onQueue.length;
          progress.update(moved);
          if (sent.Failed?.length) {
            const refused = new Set(sent.Failed.map((entry) => entry.Id));
            await release(
              queue.dlqUrl,
              Messages.filter((_, i) => refused.has(String(i))).flatMap((m) => (m.ReceiptHandle ? [m.ReceiptHandle] : [])),
            );
            failure = `${queue.name} refused ${sent.Failed.length} message(s) (${sent.Failed[0]?.Code}: ${sent.Failed[0]?.Message}); they stay on ${queue.dlqName}`;
          }
        }
        progress.finish();
      }
      results.push({ queue: queue.name, moved });
      io.stdout.write(
        `${queue.name}: moved ${formatCount(moved)} message${moved === 1 ? '' : 's'} from ${queue.dlqName} back to the queue\n`,
      );
      if (failure) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  for (const m of located.missing) io.stdout.write(`${m.name}: not configured (set ${m.variable})\n`);
  if (failure) throw new CommandError(failure);
  return stopping ? EXIT.interrupted : EXIT.ok;
}

/** Makes received messages visible again at once (visibility 0), ten receipts a call. */
async function release(queueUrl: string, receiptHandles: string[]): Promise<void> {
  const { ChangeMessageVisibilityBatchCommand } = await import('@aws-sdk/client-sqs');
  const { sqsClient } = await import('#shared/aws/sqs.ts');
  for (let i = 0; i < receiptHandles.length; i += 10) {
    await sqsClient().send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: receiptHandles.slice(i, i + 10).map((handle, j) => ({ Id: String(j), ReceiptHandle: handle, VisibilityTimeout: 0 })),
      }),
    );
  }
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
function formatTable(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}
