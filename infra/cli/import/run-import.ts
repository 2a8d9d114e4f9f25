import { createWriteStream, statSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { sqsClient } from '#shared/aws/sqs.ts';
import { getShop } from '#shared/data/shop-repo.ts';
import { db } from '#shared/deps.ts';
import { CommandError, EXIT, type Io, UsageError } from '../command.ts';
import { Progress } from '../progress.ts';
import { deadLetterQueueOf, queueDepth, waitUntilDrained } from '../queue.ts';
import { resolveTarget } from '../target.ts';
import { type Checkpoint, checkpointPath, readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import type { ImportShop, LineConverter, LineOutcome } from './convert.ts';
import { csvConverter } from './csv.ts';
import { isTimeZone } from './dates.ts';
import { jsonlConverter } from './jsonl.ts';
import { RejectionTally, reasonOf } from './rejections.ts';
import { MAX_MESSAGE_BYTES, QueueSender } from './sender.ts';
import { countLines, detectFormat, type Format, lines } from './source.ts';
import { formatSummary, type ImportSummary } from './summary.ts';

/**
 * `rapport import`: a file of order history → canonical events → the interactions queue, where the
 * processor applies them exactly as it applies webhook deliveries. Event ids are deterministic
 * and the processor converges, so sending a line twice changes nothing: that is what makes the
 * import idempotent, and resuming after an interruption safe (a checkpoint records how far every
 * line was sent; lines after it may have been sent too, and are simply sent again).
 */

export interface ImportOptions {
  shopId: string;
  file: string;
  /** Default: by extension, then by content. */
  format?: Format;
  /** Ignore the checkpoint of an interrupted run and start from the first line. */
  restart: boolean;
  /** Read and check every line; send nothing. */
  dryRun: boolean;
  /** Wait until the queue is empty, i.e. everything was processed. */
  wait: boolean;
  /** Stop waiting when the queue has not shrunk for this long. */
  waitTimeoutSeconds: number;
  /** SendMessageBatch calls in flight. */
  concurrency: number;
  /** At most this many messages a second (a backfill on a live shop must not bury its webhooks). */
  maxRate?: number;
  json: boolean;
  /** Write every rejected line (number, reason) to this file. */
  rejectsFile?: string;
  /** Testing aid (hidden): behave as if interrupted once this line has been read. */
  stopAfterLine?: number;
}

/** How often the position is saved: a flush of the batches in flight, then a small file write. */
const CHECKPOINT_EVERY_MS = 2_000;

export async function runImport(options: ImportOptions, io: Io): Promise<number> {
  const startedAt = performance.now();
  const elapsed = () => (performance.now() - startedAt) / 1000;
  const path = resolve(io.cwd, options.file);
  const stat = statFile(path, options.file);
  const format = options.format ?? (await detectFormat(path));

  const target = resolveTarget(io.env, io.cwd);
  const shopRecord = await getShop(db(), options.shopId);
  if (!shopRecord) {
    throw new CommandError(`there is no shop ${options.shopId} in ${target.description}; create it first (POST /admin/shops)`);
  }
  const shop: ImportShop = {
    shopId: shopRecord.shopId,
    currency: shopRecord.currency,
    timezone: shopRecord.timezone,
    ignoreTestOrders: shopRecord.settings?.ignoreTestOrders ?? true,
  };
  if (!isTimeZone(shop.timezone))
    throw new CommandError(`shop ${shop.shopId} has the time zone ${shop.timezone}, which this Node does not know`);

  let progress: Progress | undefined;
  const note = (line: string) => {
    progress?.clear();
    io.stderr.write(`${line}\n`);
  };

  const checkpointFile = options.dryRun ? undefined : checkpointPath(target.dataDir, shop.shopId, { path, ...stat }, target.queueUrl);
  const previous = checkpointFile && !options.restart ? readCheckpoint(checkpointFile, note) : undefined;
  const resumed = previous && previous.status !== 'done' ? previous : undefined;
  const resumeAfter = resumed?.linesDone ?? 0;
  if (previous?.status === 'done') {
    note(
      `${options.file} was imported completely on ${previous.completedAt}; sending it again (idempotent: nothing already there changes)`,
    );
  } else if (resumed) {
    note(`resuming after line ${resumeAfter} (checkpoint ${checkpointFile}; --restart starts over)`);
  }

  const counts = resumed ? { ...resumed.counts } : { events: 0, orders: 0, accepted: 0, ignored: 0, blank: 0 };
  const ordersBefore = counts.orders;
  const rejected = resumed ? RejectionTally.from(resumed.rejected) : new RejectionTally();
  const firstStartedAt = resumed?.startedAt ?? new Date().toISOString();

  const totalLines = await countLines(path);
  const sqs = sqsClient();
  const sender = new QueueSender(sqs, target.queueUrl, { concurrency: options.concurrency });
  const deadLetterUrl = options.dryRun
    ? undefined
    : (target.dlqUrl ?? (await deadLetterQueueOf(sqs, target.queueUrl).catch(() => undefined)));
  const deadLetteredBefore = deadLetterUrl ? await queueDepth(sqs, deadLetterUrl) : undefined;

  const rejectsFile = options.rejectsFile ? resolve(io.cwd, options.rejectsFile) : undefined;
  const rejects: WriteStream | undefined = rejectsFile ? createWriteStream(rejectsFile, { flags: resumed ? 'a' : 'w' }) : undefined;
  if (rejects && !resumed) rejects.write('line\treason\n');

  let stopReason: string | undefined;
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopReason) {
      // One Ctrl-C can arrive twice (the terminal and `npm run` both relay it): only a later one insists.
      if (firstSignalAt === undefined || performance.now() - firstSignalAt > 500) {
        note(`${signal} again: exiting now; the last checkpoint stands`);
        process.exit(EXIT.interrupted);
      }
      return;
    }
    stopReason = signal;
    firstSignalAt = performance.now();
    note(`${signal}: stopping once the messages in flight are on the queue (again to exit at once)…`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let converter: LineConverter | undefined = format === 'jsonl' ? jsonlConverter(shop, new Date(stat.mtimeMs)) : undefined;
  let lineNumber = 0;
  let linesDone = resumeAfter;
  let header = 0;
  let lastSaved = performance.now();
  let saved = resumed !== undefined;
  const pace = pacer(options.maxRate);

  const save = (status: Checkpoint['status']) => {
    if (!checkpointFile) return;
    const now = new Date().toISOString();
    writeCheckpoint(checkpointFile, {
      version: 1,
      shopId: shop.shopId,
      file: path,
      format,
      status,
      linesDone,
      counts,
      rejected: rejected.summary(),
      startedAt: firstStartedAt,
      updatedAt: now,
      ...(status === 'done' ? { completedAt: now } : {}),
    });
  };

  const reject = (line: number, field: string, message: string) => {
    const reason = reasonOf(field, message);
    rejected.add(line, reason);
    rejects?.write(`${line}\t${reason}\n`);
  };

  const take = async (outcome: LineOutcome, line: number) => {
    if (outcome.kind === 'rejected') return reject(line, outcome.field, outcome.message);
    if (outcome.kind === 'ignored') {
      counts.ignored++;
      return;
    }
    const bodies = outcome.events.map(QueueSender.bodyOf);
    if (bodies.some((body) => body === undefined)) {
      return reject(line, 'line', `its event is larger than an SQS message (${MAX_MESSAGE_BYTES / 1024} KiB)`);
    }
    counts.accepted++;
    counts.events += bodies.length;
    counts.orders += outcome.events.filter((event) => event.type === 'order.upserted').length;
    if (options.dryRun) return;
    for (const body of bodies) {
      await pace();
      await sender.add(body as string);
    }
  };

  // Made at the first line this run sends, so that re-reading the lines a resumed run skips does not count in its rate.
  const bar = () => {
    progress ??= new Progress(io.stderr, {
      label: options.dryRun ? 'check' : 'import',
      total: totalLines,
      unit: 'lines',
      start: resumeAfter,
    });
    return progress;
  };
  /** Why reading stopped before the end of the file, if it did. */
  let interrupted: string | undefined;
  try {
    for await (const raw of lines(path)) {
      lineNumber++;
      if (options.stopAfterLine !== undefined && lineNumber > options.stopAfterLine) stopReason ??= `--stop-after ${options.stopAfterLine}`;
      if (stopReason) {
        interrupted = stopReason;
        break;
      }
      const line = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      const blank = line.trim() === '';
      const replay = lineNumber <= resumeAfter;
      if (!converter && !blank) {
        // The first line with text in a CSV file is its header (read again on resume: it maps the columns).
        converter = csvConverter(line, shop, note);
        header = 1;
      } else if (replay) {
        if (!blank) converter?.skip?.(line, lineNumber);
      } else if (blank) {
        counts.blank++;
      } else {
        await take((converter as LineConverter).convert(line, lineNumber), lineNumber);
      }
      if (replay) continue;
      linesDone = lineNumber;
      bar().update(lineNumber);
      if (checkpointFile && performance.now() - lastSaved >= CHECKPOINT_EVERY_MS) {
        await sender.flush();
        save('running');
        saved = true;
        lastSaved = performance.now();
      }
    }
    await sender.flush();
  } catch (error) {
    progress?.clear();
    if (saved)
      note(`stopped by an error after line ${linesDone}; once it is fixed, the same command resumes from the checkpoint ${checkpointFile}`);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await new Promise<void>((done) => (rejects ? rejects.end(done) : done()));
  }
  bar().finish();
  save(interrupted ? 'interrupted' : 'done');
  const sendSeconds = elapsed();

  let processed: boolean | null = null;
  let queued: number | undefined;
  let deadLettered: number | undefined;
  if (!interrupted && !options.dryRun && options.wait) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const start = await queueDepth(sqs, target.queueUrl);
      const drain = new Progress(io.stderr, { label: 'processing', total: start, unit: 'messages' });
      progress = drain;
      const result = await waitUntilDrained(sqs, target.queueUrl, {
        stallMs: options.waitTimeoutSeconds * 1000,
        onDepth: (depth) => drain.update(Math.max(0, start - depth), `${depth.toLocaleString('en-US')} queued`),
        stopped: () => stopReason !== undefined,
      });
      drain.finish(result.drained ? 'processed' : `${result.depth.toLocaleString('en-US')} queued`);
      processed = result.drained;
      queued = result.depth;
      if (!result.drained && !stopReason) {
        note(
          `the queue has not shrunk for ${options.waitTimeoutSeconds} s; the import itself is complete and the ` +
            'processor will handle what is queued whenever it runs',
        );
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (deadLetterUrl && deadLetteredBefore !== undefined) {
      deadLettered = Math.max(0, (await queueDepth(sqs, deadLetterUrl)) - deadLetteredBefore);
    }
  }

  const seconds = elapsed();
  const orders = counts.orders - ordersBefore;
  const summary: ImportSummary = {
    status: options.dryRun ? 'dry-run' : interrupted ? 'interrupted' : 'done',
    shopId: shop.shopId,
    file: options.file,
    format,
    target: target.description,
    lines: { total: totalLines, read: linesDone, header, blank: counts.blank },
    accepted: counts.accepted,
    events: counts.events,
    orders: counts.orders,
    ignored: counts.ignored,
    rejected: { total: rejected.total, reasons: rejected.summary() },
    ...(resumed ? { resumedAfterLine: resumeAfter } : {}),
    ...(previous?.status === 'done' && previous.completedAt ? { previouslyCompletedAt: previous.completedAt } : {}),
    sent: sender.sent,
    sendSeconds: round(sendSeconds),
    processed,
    ...(processed === false ? { queued } : {}),
    ...(deadLettered ? { deadLettered } : {}),
    seconds: round(seconds),
    ordersPerSecond: seconds > 0 ? round(orders / seconds, 1) : 0,
    ...(checkpointFile ? { checkpoint: checkpointFile } : {}),
    ...(rejectsFile ? { rejectsFile } : {}),
  };
  io.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary, io.cwd));

  if (interrupted) {
    note(`interrupted (${interrupted}) after line ${linesDone} of ${totalLines}: run the same command again to resume`);
    return EXIT.interrupted;
  }
  if (stopReason) {
    note(`stopped waiting (${stopReason}); the import is complete and the processor goes on with what is queued`);
    return EXIT.interrupted;
  }
  if (processed === false || deadLettered) return EXIT.failed;
  return EXIT.ok;
}

/** Spaces messages `1/rate` s apart on average; short waits add up and are slept in one go. */
function pacer(rate: number | undefined): () => Promise<void> {
  if (!rate) return async () => undefined;
  const interval = 1000 / rate;
  let next = performance.now();
  return async () => {
    const now = performance.now();
    const wait = next - now;
    next = Math.max(next, now) + interval;
    if (wait >= 10) await new Promise<void>((done) => setTimeout(done, wait));
  };
}

function statFile(path: string, given: string): { size: number; mtimeMs: number } {
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new UsageError(`${given} is not a file`);
    return { size: stat.size, mtimeMs: stat.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no such file: ${given}`);
    throw error;
  }
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
