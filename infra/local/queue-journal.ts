/**
 * The local queues' journal: what makes a `202` from the local runtime mean "on disk".
 *
 * fauxqs keeps its queues in memory. Every message it takes is appended here first, and a
 * SendMessage is answered only once the journal has been fsynced past it (fauxqs answers through
 * an onSend hook that waits, see attachJournal); deletions are appended without waiting (one lost
 * on a crash is a redelivery, which every consumer already handles). At the next start the journal
 * is read back, each message still live goes back on its queue as it was (same message id, same
 * body and attributes, what is left of its delay), and the file is rewritten with only those.
 *
 * Why a journal of the queue, and not the table as an outbox or a queue emulator of our own:
 * - the queue is where an accepted event waits, so journaling it covers every producer at once —
 *   the webhook and interactions routes, the processor's sends to the email queue, the scheduler's
 *   runs, a DLQ redrive — with no change to any handler, which stay exactly what Lambda runs;
 * - an outbox in the table would add a write (and its cost on AWS, where SQS is already durable)
 *   to every accepted event, to fix a problem only the laptop has;
 * - fauxqs's visibility, redrive and long polling work (and are tested); replacing them would
 *   trade one known gap for many unknown ones.
 *
 * What redelivery after a crash looks like: exactly what SQS does when a consumer dies — every
 * message accepted and not deleted comes back, in flight ones included, and is processed again.
 * One difference: a message's receive count starts again from 0 (receives are not journaled), so
 * a message that had failed twice gets its full maxReceiveCount again before the dead-letter queue.
 * A message already in a dead-letter queue stays there.
 *
 * The file never grows without bound: once it passes COMPACT_BYTES it is rewritten from what the
 * queues hold (written to a new file, fsynced, renamed over the old one).
 */
import { closeSync, fdatasync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const JOURNAL_FILE = 'queue-journal.jsonl';

/** Past this size the journal is rewritten with only the live messages. */
const COMPACT_BYTES = 16 * 1024 * 1024;

/** The parts of fauxqs's message we keep (its SqsMessage, minus the receive counters). */
export interface JournaledMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  md5OfMessageAttributes: string;
  sentTimestamp: number;
  delayUntil?: number;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  sequenceNumber?: string;
}

/** fauxqs's queue as far as the journal touches it (fauxqs 1.9.2, dist/sqs/sqsStore.js). */
export interface FauxqsQueue {
  name: string;
  enqueue(msg: FauxqsMessage): void;
  deleteMessage(receiptHandle: string): boolean;
  purge(): void;
  inflightMessages: Map<string, { message: FauxqsMessage }>;
  inspectMessages(): { ready: FauxqsMessage[]; delayed: FauxqsMessage[]; inflight: Array<{ message: FauxqsMessage }> };
}

export interface FauxqsMessage extends JournaledMessage {
  approximateReceiveCount: number;
  approximateFirstReceiveTimestamp?: number;
}

export interface FauxqsStore {
  createQueue(name: string, ...rest: unknown[]): FauxqsQueue;
  listQueues(): FauxqsQueue[];
}

type Entry = { p: string; m: JournaledMessage } | { r: string; id: string } | { x: string };

export interface QueueJournal {
  /** Resolves once every message taken so far is on disk. */
  flushed(): Promise<void>;
  /** Whether a message was taken and is not on disk yet. */
  pending(): boolean;
  /** Flushes, compacts and closes the file; the queues then stop journaling. */
  close(): Promise<void>;
}

/**
 * Opens (or creates) the journal in `dir` and makes `store` journal every queue it creates from now
 * on; a created queue first gets back the live messages the journal holds for it.
 */
export function attachJournal(store: FauxqsStore, dir: string, log: (line: string) => void): QueueJournal {
  const path = join(dir, JOURNAL_FILE);
  const { live, tornRecords } = readJournal(path);
  if (tornRecords > 0) log(`queue journal: ignored ${tornRecords} record(s) a crash cut short (never acknowledged)`);

  // Start from a clean file holding exactly what is live, so the torn tail is gone before anything is appended.
  // The file's size is counted here rather than asked of the file system after every sync.
  let bytes = writeSnapshot(
    path,
    [...live].flatMap(([queue, messages]) => [...messages.values()].map((m) => ({ p: queue, m }))),
  );
  let fd = openSync(path, 'a', 0o600);
  let appended = 0;
  let mustSync = 0;
  let synced = 0;
  let syncing: Promise<void> | undefined;
  let closed = false;
  const queues = new Map<string, FauxqsQueue>();

  const append = (entry: Entry, durable: boolean) => {
    if (closed) return;
    bytes += writeSync(fd, `${JSON.stringify(entry)}\n`);
    appended++;
    if (durable) mustSync = appended;
  };

  const compact = () => {
    if (closed) return;
    const entries: Entry[] = [];
    for (const [name, queue] of queues) {
      const { ready, delayed, inflight } = queue.inspectMessages();
      for (const m of [...ready, ...delayed, ...inflight.map((e) => e.message)]) entries.push({ p: name, m: journaled(m) });
    }
    // Messages for queues this runtime has not created stay in the file, never dropped.
    for (const [name, messages] of live) if (!queues.has(name)) for (const m of messages.values()) entries.push({ p: name, m });
    bytes = writeSnapshot(path, entries);
    closeSync(fd);
    fd = openSync(path, 'a', 0o600);
    synced = appended;
  };

  const syncOnce = (): Promise<void> => {
    syncing ??= new Promise<void>((done, fail) => {
      const upTo = appended;
      fdatasync(fd, (err) => {
        syncing = undefined;
        if (err) return fail(err);
        synced = Math.max(synced, upTo);
        if (bytes > COMPACT_BYTES) compact();
        done();
      });
    });
    return syncing;
  };

  const flushed = async () => {
    const target = mustSync;
    while (synced < target && !closed) await syncOnce();
  };

  // fauxqs calls store.createQueue for every CreateQueue; each queue is wrapped as it is made.
  const createQueue = store.createQueue.bind(store);
  store.createQueue = (name: string, ...rest: unknown[]) => {
    const queue = createQueue(name, ...rest);
    const waiting = live.get(name);
    if (waiting) {
      for (const m of waiting.values()) queue.enqueue({ ...m, approximateReceiveCount: 0 });
      live.delete(name);
      if (waiting.size > 0) log(`queue journal: ${waiting.size} message(s) back on ${name}`);
    }
    journalQueue(queue, append);
    queues.set(name, queue);
    return queue;
  };

  return {
    flushed,
    pending: () => synced < mustSync,
    close: async () => {
      if (closed) return;
      await flushed();
      await syncing;
      compact();
      closed = true;
      closeSync(fd);
    },
  };
}

function journalQueue(queue: FauxqsQueue, append: (entry: Entry, durable: boolean) => void): void {
  const enqueue = queue.enqueue.bind(queue);
  const deleteMessage = queue.deleteMessage.bind(queue);
  const purge = queue.purge.bind(queue);
  // A send and a move to the dead-letter queue (fauxqs enqueues the same message there) both come here.
  queue.enqueue = (msg) => {
    append({ p: queue.name, m: journaled(msg) }, true);
    enqueue(msg);
  };
  queue.deleteMessage = (receiptHandle) => {
    const entry = queue.inflightMessages.get(receiptHandle);
    const deleted = deleteMessage(receiptHandle);
    if (deleted && entry) append({ r: queue.name, id: entry.message.messageId }, false);
    return deleted;
  };
  queue.purge = () => {
    append({ x: queue.name }, true);
    purge();
  };
}

function journaled(m: JournaledMessage): JournaledMessage {
  return {
    messageId: m.messageId,
    body: m.body,
    md5OfBody: m.md5OfBody,
    messageAttributes: m.messageAttributes,
    md5OfMessageAttributes: m.md5OfMessageAttributes,
    sentTimestamp: m.sentTimestamp,
    ...(m.delayUntil !== undefined && { delayUntil: m.delayUntil }),
    ...(m.messageGroupId !== undefined && { messageGroupId: m.messageGroupId }),
    ...(m.messageDeduplicationId !== undefined && { messageDeduplicationId: m.messageDeduplicationId }),
    ...(m.sequenceNumber !== undefined && { sequenceNumber: m.sequenceNumber }),
  };
}

/**
 * The live messages by queue, in the order they were taken. A message id seen again on another
 * queue has moved there (to its dead-letter queue, or back); the last place wins.
 */
export function readJournal(path: string): { live: Map<string, Map<string, JournaledMessage>>; tornRecords: number } {
  const live = new Map<string, Map<string, JournaledMessage>>();
  const where = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { live, tornRecords: 0 };
    throw err;
  }
  const lines = text.split('\n');
  let tornRecords = 0;
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    let entry: Entry;
    try {
      entry = JSON.parse(line) as Entry;
    } catch {
      // Only the last line can be cut short by a crash; anything else is a damaged file, said loudly.
      if (i >= lines.length - 2) {
        tornRecords++;
        continue;
      }
      throw new Error(`${path} line ${i + 1} is not a journal record; move the file away to start without it`);
    }
    if ('p' in entry) {
      const before = where.get(entry.m.messageId);
      if (before) live.get(before)?.delete(entry.m.messageId);
      if (!live.has(entry.p)) live.set(entry.p, new Map());
      live.get(entry.p)?.set(entry.m.messageId, entry.m);
      where.set(entry.m.messageId, entry.p);
    } else if ('r' in entry) {
      live.get(entry.r)?.delete(entry.id);
      where.delete(entry.id);
    } else if ('x' in entry) {
      for (const id of live.get(entry.x)?.keys() ?? []) where.delete(id);
      live.delete(entry.x);
    }
  }
  return { live, tornRecords };
}

/**
 * Writes `entries` as the whole journal: a new file, fsynced, renamed over the old one, the
 * directory fsynced. Returns the file's size.
 */
function writeSnapshot(path: string, entries: Entry[]): number {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  let bytes = 0;
  try {
    // Bodies hold customer data: owner-only.
    const chunk: string[] = [];
    for (const entry of entries) {
      chunk.push(JSON.stringify(entry));
      if (chunk.length === 1000) bytes += writeSync(fd, `${chunk.splice(0).join('\n')}\n`);
    }
    if (chunk.length > 0) bytes += writeSync(fd, `${chunk.join('\n')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return bytes;
}
