import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, ensureQueues, sqsClientFor, startSqs } from '#infra/local/emulators.ts';
import { JOURNAL_FILE, readJournal } from '#infra/local/queue-journal.ts';

/**
 * The queue journal against fauxqs itself. A crash is the journal left as it is on disk with the
 * first server never stopped: what a SIGKILL leaves (appends are write(2)s done before the answer).
 */
const dirs: string[] = [];
const servers: Emulator[] = [];
const clients: SQSClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.stop().catch(() => undefined)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(dir: string, logs: string[] = []) {
  const sqs = await startSqs({ journalDir: dir, log: (line) => logs.push(line) });
  servers.push(sqs);
  const queues = await ensureQueues(sqs.endpoint, { prefix: 'j-', visibilityTimeoutSeconds: 1 });
  const client = sqsClientFor(sqs.endpoint);
  clients.push(client);
  return { sqs, queues, client };
}

async function depth(client: SQSClient, url: string) {
  const { Attributes = {} } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return (['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const).reduce(
    (n, key) => n + Number(Attributes[key] ?? 0),
    0,
  );
}

describe('queue journal', () => {
  it('brings back every message answered and not deleted after a crash, in flight and delayed ones included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-journal-'));
    dirs.push(dir);
    const first = await open(dir);
    const events = first.queues.interactions.url;
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const { MessageId } = await first.client.send(
        new SendMessageCommand({
          QueueUrl: events,
          MessageBody: `e-${i}`,
          MessageAttributes: { shop: { DataType: 'String', StringValue: `s-${i % 3}` } },
        }),
      );
      sent.push(MessageId as string);
    }
    await first.client.send(
      new SendMessageBatchCommand({
        QueueUrl: first.queues.email.url,
        Entries: [
          { Id: 'a', MessageBody: 'later', DelaySeconds: 600 },
          { Id: 'b', MessageBody: 'now' },
        ],
      }),
    );
    // Ten received and deleted (consumed), ten received and left in flight (a consumer that died).
    let deleted = 0;
    const inFlight: string[] = [];
    while (deleted + inFlight.length < 20) {
      const { Messages = [] } = await first.client.send(
        new ReceiveMessageCommand({ QueueUrl: events, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
      );
      for (const m of Messages) {
        if (deleted < 10) {
          await first.client.send(new DeleteMessageCommand({ QueueUrl: events, ReceiptHandle: m.ReceiptHandle }));
          deleted++;
        } else inFlight.push(m.Body as string);
      }
    }

    // The crash: the first server is never stopped; a second one opens the same directory.
    const logs: string[] = [];
    const second = await open(dir, logs);
    expect(await depth(second.client, second.queues.interactions.url)).toBe(20);
    expect(await depth(second.client, second.queues.email.url)).toBe(2);
    const back: Array<{ id?: string; body?: string; shop?: string }> = [];
    for (;;) {
      const { Messages = [] } = await second.client.send(
        new ReceiveMessageCommand({ QueueUrl: second.queues.interactions.url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
      );
      if (Messages.length === 0) break;
      back.push(...Messages.map((m) => ({ id: m.MessageId, body: m.Body, shop: m.MessageAttributes?.shop?.StringValue })));
    }
    expect(back).toHaveLength(20);
    // Same message ids, bodies and attributes as sent: SQS redelivery, not new messages.
    for (const m of back) {
      const i = Number(m.body?.slice(2));
      expect(m.id).toBe(sent[i]);
      expect(m.shop).toBe(`s-${i % 3}`);
    }
    for (const body of inFlight) expect(back.map((m) => m.body)).toContain(body);
    // The delayed message keeps what is left of its delay.
    const { Messages: ready = [] } = await second.client.send(
      new ReceiveMessageCommand({ QueueUrl: second.queues.email.url, MaxNumberOfMessages: 10 }),
    );
    expect(ready.map((m) => m.Body)).toEqual(['now']);
    expect(logs.join('\n')).toMatch(/20 message\(s\) back on j-interactions/);
  });

  it('keeps a dead letter in its dead-letter queue, forgets purged queues, and drops a record a crash cut short', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-journal-'));
    dirs.push(dir);
    const first = await open(dir);
    const { url, dlqUrl } = first.queues.interactions;
    await first.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    // Received past maxReceiveCount with a short visibility: fauxqs moves it to the DLQ on the next receive.
    for (let i = 0; i < 8 && (await depth(first.client, dlqUrl)) === 0; i++) {
      await first.client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
    }
    expect(await depth(first.client, dlqUrl)).toBe(1);
    await first.client.send(new SendMessageCommand({ QueueUrl: first.queues.runs.url, MessageBody: 'purged' }));
    await first.client.send(new PurgeQueueCommand({ QueueUrl: first.queues.runs.url }));
    // A crash in the middle of an append: half a record at the end of the file.
    appendFileSync(join(dir, JOURNAL_FILE), '{"p":"j-interactions","m":{"messageId":"x","bo');

    const logs: string[] = [];
    const second = await open(dir, logs);
    expect(await depth(second.client, second.queues.interactions.dlqUrl)).toBe(1);
    expect(await depth(second.client, second.queues.interactions.url)).toBe(0);
    expect(await depth(second.client, second.queues.runs.url)).toBe(0);
    expect(logs.join('\n')).toMatch(/ignored 1 record\(s\) a crash cut short/);
  });

  it('rewrites itself with only the live messages once it passes 16 MB, while it runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-journal-'));
    dirs.push(dir);
    const { queues, client } = await open(dir);
    const url = queues.interactions.url;
    const body = (i: number) => `${i}:${'x'.repeat(200_000)}`;
    // 90 messages of 200 kB, each consumed before the next is sent: 18 MB taken, one message live at a time.
    for (let i = 0; i < 90; i++) {
      await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body(i) }));
      const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      for (const m of Messages) await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'last' }));
    const path = join(dir, JOURNAL_FILE);
    expect(statSync(path).size).toBeLessThan(16 * 1024 * 1024);
    expect([...(readJournal(path).live.get('j-interactions')?.values() ?? [])].map((m) => m.body)).toEqual(['last']);
  });

  it('is rewritten with only the live messages at stop, owner-only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-journal-'));
    dirs.push(dir);
    const { sqs, queues, client } = await open(dir);
    for (let i = 0; i < 50; i++) await client.send(new SendMessageCommand({ QueueUrl: queues.interactions.url, MessageBody: `m-${i}` }));
    for (let n = 0; n < 45; ) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queues.interactions.url, MaxNumberOfMessages: Math.min(10, 45 - n) }),
      );
      for (const m of Messages)
        await client.send(new DeleteMessageCommand({ QueueUrl: queues.interactions.url, ReceiptHandle: m.ReceiptHandle }));
      n += Messages.length;
    }
    const path = join(dir, JOURNAL_FILE);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(95);
    await sqs.stop();
    servers.splice(servers.indexOf(sqs), 1);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(5);
    expect([...(readJournal(path).live.get('j-interactions')?.values() ?? [])].map((m) => m.body).sort()).toEqual([
      'm-45',
      'm-46',
      'm-47',
      'm-48',
      'm-49',
    ]);
  });
});
