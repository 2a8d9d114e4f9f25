import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queueDepth } from '#infra/cli/queue.ts';
import { emulatorCredentials, emulatorRegion, sqsClientFor } from '#infra/local/emulators.ts';
import { type Runtime, repoRoot } from '#infra/local/runtime.ts';
import { messageBodyOf } from '#shared/aws/event-queue.ts';
import { runRapport } from '#test/support/cli.ts';
import { aCustomer, orderEvent } from '#test/support/factories.ts';
import { createShopOverHttp, lookup, startTestRuntime } from '#test/support/local-api.ts';

/**
 * `rapport dlq` as an operator runs it against the local runtime: dead letters put straight on a
 * dead-letter queue are counted, shown without a byte of personal data, and moved back to their
 * queue, where the real processor turns them into customers.
 */

const SHOP = 'cli-dlq';
/** Personal data in the dead letters' bodies: none of it may appear in anything the CLI prints. */
const PII = ['dead.letter@example.com', '+84912345678', 'Thảo', 'Secretname', '12 Hàng Bạc', 'dead.letter'];

let runtime: Runtime;
let stop: () => Promise<void>;
let dataDir: string;
let sqs: SQSClient;
let apiKey: string;

const rapport = (args: string[]) => runRapport(['dlq', ...args], dataDir);
const printed = (run: { stdout: string; stderr: string }) => run.stdout + run.stderr;

async function deadLetter(queueUrl: string, bodies: string[]): Promise<void> {
  const { Failed } = await sqs.send(
    new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })) }),
  );
  expect(Failed ?? []).toEqual([]);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rapport-dlq-'));
  ({ runtime, stop } = await startTestRuntime({ dataDir }));
  sqs = sqsClientFor(runtime.endpoints.sqs);
  apiKey = await createShopOverHttp(runtime, { shopId: SHOP, currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' });
});

afterAll(async () => {
  sqs?.destroy();
  await stop?.();
  rmSync(dataDir, { recursive: true, force: true });
});

it('lists and shows dead letters without personal data, then redrives them into the processor', async () => {
  const events = [1, 2, 3].map((n) =>
    orderEvent(
      SHOP,
      { orderId: `dlq-${n}`, updatedAt: `2026-03-0${n}T10:00:00.000Z`, createdAt: `2026-03-0${n}T10:00:00.000Z` },
      aCustomer({ externalId: 'generic:dlq-customer', email: PII[0], phone: PII[1], firstName: PII[2], lastName: PII[3], city: PII[4] }),
    ),
  );
  await deadLetter(runtime.queues.interactions.dlqUrl, events.map(messageBodyOf));
  // An email trigger whose key a shop could have filled with an address, and a body that is not JSON.
  await deadLetter(runtime.queues.email.dlqUrl, [
    JSON.stringify({
      shopId: SHOP,
      customerId: 'c_0123456789abcdef0123',
      trigger: 'welcome',
      key: PII[0],
      at: '2026-03-01',
      data: { name: PII[2] },
    }),
    `not json: ${PII[0]} ${PII[1]}`,
  ]);

  const listed = await rapport(['list']);
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toMatch(/^QUEUE\s+DEAD LETTERS\s+OLDEST\s+DEAD-LETTER QUEUE$/m);
  expect(listed.stdout).toMatch(/^interactions\s+3\s+\d+ s\s+rapport-interactions-dlq$/m);
  expect(listed.stdout).toMatch(/^runs\s+0\s+-\s+rapport-runs-dlq$/m);
  expect(listed.stdout).toMatch(/^email\s+2\s+\d+ s\s+rapport-email-dlq$/m);
  const listedJson = JSON.parse((await rapport(['list', '--json'])).stdout);
  expect(listedJson.queues).toEqual([
    { queue: 'interactions', deadLetterQueue: 'rapport-interactions-dlq', deadLetters: 3, oldestAgeSeconds: expect.any(Number) },
    { queue: 'runs', deadLetterQueue: 'rapport-runs-dlq', deadLetters: 0, oldestAgeSeconds: null },
    { queue: 'email', deadLetterQueue: 'rapport-email-dlq', deadLetters: 2, oldestAgeSeconds: expect.any(Number) },
    { queue: 'codes', deadLetterQueue: 'rapport-codes-dlq', deadLetters: 0, oldestAgeSeconds: null },
    { queue: 'campaigns', deadLetterQueue: 'rapport-campaigns-dlq', deadLetters: 0, oldestAgeSeconds: null },
  ]);

  const shown = await rapport(['show']);
  expect(shown.code, shown.stderr).toBe(0);
  for (const event of events) expect(shown.stdout).toContain(`type=order.upserted shopId=${SHOP} eventId=${event.eventId}`);
  expect(shown.stdout).toContain('interactions: 3 dead letters on rapport-interactions-dlq');
  expect(shown.stdout).toContain('trigger=welcome shopId=cli-dlq customerId=c_0123456789abcdef0123 key=(hidden) at=2026-03-01');
  expect(shown.stdout).toMatch(/\(not JSON, \d+ bytes\)/);
  for (const value of PII) expect(printed(shown)).not.toContain(value);

  const json = await rapport(['show', '--queue', 'interactions', '--json', '--limit', '2']);
  expect(json.code, json.stderr).toBe(0);
  for (const value of PII) expect(printed(json)).not.toContain(value);
  const [interactions] = JSON.parse(json.stdout).queues;
  expect(interactions).toMatchObject({ queue: 'interactions', deadLetters: 3 });
  expect(interactions.messages).toHaveLength(2);
  for (const message of interactions.messages) {
    expect(message).toEqual({
      messageId: expect.any(String),
      receiveCount: expect.any(Number),
      sentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      firstReceivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      body: { type: 'order.upserted', shopId: SHOP, eventId: expect.any(String), source: 'generic', occurredAt: expect.any(String) },
    });
  }
  // Shown, not consumed: every dead letter is still there, visible again.
  expect(await queueDepth(sqs, runtime.queues.interactions.dlqUrl)).toBe(3);

  const redriven = await rapport(['redrive', '--queue', 'interactions']);
  expect(redriven.code, redriven.stderr).toBe(0);
  expect(redriven.stdout).toContain('interactions: moved 3 messages from rapport-interactions-dlq back to the queue');
  expect(redriven.stderr).toContain('redrive interactions: 3/3 messages');
  for (const value of PII) expect(printed(redriven)).not.toContain(value);

  await runtime.idle(60_000);
  expect(await queueDepth(sqs, runtime.queues.interactions.dlqUrl)).toBe(0);
  const customer = await lookup(runtime, apiKey, 'externalId', 'generic:dlq-customer');
  expect(customer).toMatchObject({ shopId: SHOP, orderCount: 3, totalSpent: { amount: 3 * 1_999_000, currency: 'VND' } });

  // The email dead letters were not asked for: still there.
  expect((await rapport(['list', '--queue', 'email'])).stdout).toMatch(/^email\s+2\s/m);
  expect((await rapport(['list', '--queue', 'interactions'])).stdout).toMatch(/^interactions\s+0\s+-\s/m);
});

it('redrives at most --limit messages, and nothing from an empty dead-letter queue', async () => {
  const events = [4, 5, 6].map((n) =>
    orderEvent(SHOP, { orderId: `dlq-limit-${n}` }, aCustomer({ externalId: `generic:dlq-limit-${n}`, email: `limit.${n}@example.com` })),
  );
  await deadLetter(runtime.queues.interactions.dlqUrl, events.map(messageBodyOf));
  const first = await rapport(['redrive', '--queue', 'interactions', '--limit', '2']);
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toContain('interactions: moved 2 messages');
  await runtime.idle(60_000);
  expect(await queueDepth(sqs, runtime.queues.interactions.dlqUrl)).toBe(1);
  const rest = await rapport(['redrive', '--queue', 'interactions']);
  expect(rest.stdout).toContain('interactions: moved 1 message from');
  const none = await rapport(['redrive', '--queue', 'runs']);
  expect(none.code).toBe(0);
  expect(none.stdout).toContain('runs: moved 0 messages');
  await runtime.idle(60_000);
  for (const n of [4, 5, 6]) expect(await lookup(runtime, apiKey, 'externalId', `generic:dlq-limit-${n}`)).toMatchObject({ orderCount: 1 });
});

it('answers a wrong call with exit code 2 and a missing runtime with 1', async () => {
  const unknown = await rapport(['show', '--queue', 'orders']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('--queue must be one of interactions, runs, email, codes, campaigns, not "orders"');
  for (const args of [[], ['purge'], ['list', '--limit', '3'], ['show', '--limit', '0'], ['redrive', '--json'], ['list', 'extra']]) {
    expect((await rapport(args)).code, args.join(' ')).toBe(2);
  }
  const elsewhere = mkdtempSync(join(tmpdir(), 'rapport-dlq-none-'));
  try {
    const missing = await runRapport(['dlq', 'list'], elsewhere);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no running Rapport found');
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

/**
 * The deployment path, aimed at the emulator: the CLI run as on AWS, with the variables the
 * stack's outputs give (runRapport leaves those out on purpose, hence a spawn of its own here).
 */
function rapportOnDeployment(args: string[], queueUrls: Record<string, string>) {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RAPPORT_DATA_DIR: dataDir,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    TABLE_NAME: runtime.tableName,
    DYNAMODB_ENDPOINT: runtime.endpoints.dynamodb,
    SQS_ENDPOINT: runtime.endpoints.sqs,
    AWS_REGION: emulatorRegion,
    AWS_ACCESS_KEY_ID: emulatorCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emulatorCredentials.secretAccessKey,
    ...queueUrls,
  };
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'infra/cli/rapport.mjs'), 'dlq', ...args], { cwd: dataDir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('on a deployment, finds each queue by its variable and its dead-letter queue by the redrive policy', async () => {
  const event = orderEvent(SHOP, { orderId: 'dlq-aws-1' }, aCustomer({ externalId: 'generic:dlq-aws', email: 'aws.path@example.com' }));
  await deadLetter(runtime.queues.interactions.dlqUrl, [messageBodyOf(event)]);
  const urls = { INTERACTIONS_QUEUE_URL: runtime.queues.interactions.url, EMAIL_QUEUE_URL: runtime.queues.email.url };

  const listed = await rapportOnDeployment(['list'], urls);
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stderr).toContain(`table ${runtime.tableName}`);
  // SQS's API does not report ages (CloudWatch does): n/a, not a guess.
  expect(listed.stdout).toMatch(/^interactions\s+1\s+n\/a\s+rapport-interactions-dlq$/m);
  expect(listed.stdout).toMatch(/^email\s+\d+\s+\S+\s+rapport-email-dlq$/m);
  expect(listed.stdout).toMatch(/^runs\s+\?\s+\?\s+not configured: set RUNS_QUEUE_URL$/m);
  expect(listed.stdout).toMatch(/^codes\s+\?\s+\?\s+not configured: set CODES_QUEUE_URL$/m);

  const runs = await rapportOnDeployment(['show', '--queue', 'runs'], urls);
  expect(runs.code).toBe(1);
  expect(runs.stderr).toContain('set RUNS_QUEUE_URL');

  const redriven = await rapportOnDeployment(['redrive', '--queue', 'interactions'], urls);
  expect(redriven.code, redriven.stderr).toBe(0);
  expect(redriven.stdout).toContain('interactions: moved 1 message from rapport-interactions-dlq back to the queue');
  await runtime.idle(60_000);
  expect(await lookup(runtime, apiKey, 'externalId', 'generic:dlq-aws')).toMatchObject({ orderCount: 1 });
});
