import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '#infra/cli/rapport.ts';
import { type DynamoEngine, dynamoClient, isLoopbackEndpoint } from '#infra/local/emulators.ts';
import { type Runtime, repoRoot, startRuntime } from '#infra/local/runtime.ts';
import { type JsonObject, loadFixture } from '#test/support/fixtures.ts';

/**
 * `rapport import` exactly as an operator runs it: `node infra/cli/rapport.mjs import …` in its own
 * process, finding the local runtime through RAPPORT_DATA_DIR/runtime.json, sending through the
 * runtime's interactions queue to the real processor. Profiles are read back through the shop API.
 */

const engine = (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine;

let runtime: Runtime;
let dataDir: string;
let files: string;
let scan: DynamoDBDocumentClient;
const apiKeys = new Map<string, string>();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: nothing of the runtime that this test process started. */
function userEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    'TABLE_NAME',
    'INTERACTIONS_QUEUE_URL',
    'DYNAMODB_ENDPOINT',
    'SQS_ENDPOINT',
    'SES_ENDPOINT',
    'RAPPORT_MASTER_KEY',
    'RAPPORT_ADMIN_KEY',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
  ]) {
    delete env[name];
  }
  return { ...env, RAPPORT_DATA_DIR: dataDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...overrides };
}

/** Asynchronous: the runtime (and so the processor) lives in this process and must keep running. */
function rapport(args: string[], env = userEnv()): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'infra/cli/rapport.mjs'), ...args], { cwd: files, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** main() of the bin, in this process, with its output captured. */
async function inProcess(args: string[]): Promise<Run> {
  const out = { stdout: '', stderr: '' };
  const sink = (key: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out[key] += chunk.toString('utf8');
        done();
      },
    });
  const code = await main(args, { stdout: sink('stdout'), stderr: sink('stderr'), env: userEnv(), cwd: files });
  return { code, ...out };
}

/** `--json` runs: the summary, with the run's output in the message when it is not JSON. */
function summaryOf(run: Run) {
  try {
    // biome-ignore lint/suspicious/noExplicitAny: the summary is checked by assertions
    return JSON.parse(run.stdout) as any;
  } catch {
    throw new Error(`not a JSON summary (exit ${run.code})\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

async function createShop(shopId: string, currency: string, timezone: string): Promise<void> {
  const res = await fetch(`${runtime.apiUrl}/admin/shops`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ shopId, name: `Shop ${shopId}`, currency, timezone, locale: 'en-US' }),
  });
  const body = (await res.json()) as { apiKey: string };
  if (res.status !== 201) throw new Error(`creating ${shopId}: ${res.status} ${JSON.stringify(body)}`);
  apiKeys.set(shopId, body.apiKey);
}

// biome-ignore lint/suspicious/noExplicitAny: profiles are checked by assertions
async function lookup(shopId: string, query: string): Promise<any> {
  const res = await fetch(`${runtime.apiUrl}/v1/customers?${query}`, { headers: { authorization: `Bearer ${apiKeys.get(shopId)}` } });
  const body = (await res.json()) as { items: unknown[] };
  if (res.status !== 200) throw new Error(`lookup ${query}: ${res.status} ${JSON.stringify(body)}`);
  expect(body.items.length, `customers found by ${query}`).toBeLessThanOrEqual(1);
  return body.items[0];
}

/** Every item of one shop, sorted by key: the whole state an import can change. */
async function shopItems(shopId: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await scan.send(new ScanCommand({ TableName: runtime.tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const pk = String(item.PK);
      if (pk === `SHOP#${shopId}` || pk.startsWith(`SHOP#${shopId}#`)) items.push(item);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const key = (item: Record<string, unknown>) => `${item.PK}\u0000${item.SK}`;
  return items.sort((a, b) => key(a).localeCompare(key(b)));
}

const write = (name: string, lines: string[]) => {
  const path = join(files, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
};

/** CSV orders: `perCustomer` orders for each of `customers` customers, amounts in USD with cents. */
function csvOrders(prefix: string, customers: number, perCustomer: number) {
  const rows: string[] = [];
  const expected = new Map<string, { count: number; total: number }>();
  for (let k = 0; k < perCustomer; k++) {
    for (let c = 0; c < customers; c++) {
      const email = `${prefix}.${c}@example.com`;
      const cents = 1000 + c * 7 + k * 113;
      rows.push(
        [
          email,
          `${prefix}-${c}-${k}`,
          `2025-0${1 + k}-1${c % 10}`,
          `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
        ].join(','),
      );
      const sum = expected.get(email) ?? { count: 0, total: 0 };
      expected.set(email, { count: sum.count + 1, total: sum.total + cents });
    }
  }
  return { rows, expected };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rapport-cli-'));
  files = mkdtempSync(join(tmpdir(), 'rapport-cli-files-'));
  runtime = await startRuntime({ port: 0, dataDir, dynamodb: engine, batchingWindowSeconds: 0, log: () => undefined });
  if (!isLoopbackEndpoint(runtime.endpoints.dynamodb)) throw new Error(`refusing to test against ${runtime.endpoints.dynamodb}`);
  // The runtime writes runtime.json itself once infra/local does; until then, the test writes it as described.
  const runtimeFile = join(dataDir, 'runtime.json');
  if (!existsSync(runtimeFile)) {
    writeFileSync(
      runtimeFile,
      JSON.stringify({
        pid: process.pid,
        apiUrl: runtime.apiUrl,
        tableName: runtime.tableName,
        endpoints: runtime.endpoints,
        queues: { interactions: { url: runtime.queues.interactions.url, dlqUrl: runtime.queues.interactions.dlqUrl } },
        adminKey: runtime.adminKey,
      }),
      { mode: 0o600 },
    );
  }
  scan = DynamoDBDocumentClient.from(dynamoClient(runtime.endpoints.dynamodb));
  await Promise.all([
    createShop('cli-csv', 'USD', 'America/Toronto'),
    createShop('cli-shopify', 'USD', 'America/Toronto'),
    createShop('cli-events', 'USD', 'UTC'),
    createShop('cli-resume', 'VND', 'Asia/Ho_Chi_Minh'),
  ]);
});

afterAll(async () => {
  scan?.destroy();
  await runtime?.stop();
  for (const dir of [dataDir, files]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('rapport import', () => {
  it('imports a CSV, rejects bad lines with their numbers and reasons, and changes nothing when run again', async () => {
    const { rows, expected } = csvOrders('csv', 24, 4);
    const bad = [
      'not-an-email,bad-1,2025-01-05,10.00',
      'bad.amount@example.com,bad-2,2025-01-05,12.345',
      'bad.amount@example.com,bad-3,2025-01-05,twelve',
      'bad.date@example.com,bad-4,2025-02-30,10.00',
      'csv.0@example.com,csv-0-0,2025-01-10,99.00',
      'too,few',
    ];
    // Header on line 1; the bad rows land on lines 12, 27, 42, 57, 72, 87; a blank line at 97.
    const lines = ['Email,Order_ID,Date,Amount', ...rows];
    for (const [i, row] of bad.entries()) lines.splice(11 + 15 * i, 0, row);
    lines.splice(96, 0, '');
    const file = write('orders.csv', lines);

    const first = await rapport(['import', '--shop', 'cli-csv', '--json', '--rejects', 'rejected.tsv', file]);
    expect(first.code, first.stderr).toBe(0);
    const summary = summaryOf(first);
    expect(summary).toMatchObject({
      status: 'done',
      format: 'csv',
      lines: { total: 104, read: 104, header: 1, blank: 1 },
      accepted: 96,
      events: 96,
      orders: 96,
      sent: 96,
      processed: true,
      rejected: { total: 6 },
    });
    expect(summary.rejected.reasons).toEqual(
      expect.arrayContaining([
        { reason: 'email: not an email address', count: 1, lines: [12] },
        { reason: 'amount: … has more decimal places than USD allows (2)', count: 1, lines: [27] },
        { reason: 'amount: "…" is not a decimal amount', count: 1, lines: [42] },
        { reason: expect.stringMatching(/^date: not an ISO 8601 date/), count: 1, lines: [57] },
        { reason: 'order_id: repeats an earlier row', count: 1, lines: [72] },
        { reason: 'line: expected 4 fields like the header, found 2', count: 1, lines: [87] },
      ]),
    );
    expect(first.stderr).toMatch(/^import: .*104\/104 lines/m);
    const rejectedLines = readFileSync(join(files, 'rejected.tsv'), 'utf8').trim().split('\n');
    expect(rejectedLines[0]).toBe('line\treason');
    expect(rejectedLines.slice(1).map((line) => Number(line.split('\t')[0]))).toEqual([12, 27, 42, 57, 72, 87]);

    for (const [email, { count, total }] of expected) {
      const profile = await lookup('cli-csv', `email=${encodeURIComponent(email)}`);
      expect(profile, email).toMatchObject({ orderCount: count, totalSpent: { amount: total, currency: 'USD' } });
    }
    // A date without a zone is the shop's own day: midnight in Toronto (EST) is 05:00 UTC.
    expect((await lookup('cli-csv', 'email=csv.3%40example.com')).firstOrderAt).toBe('2025-01-13T05:00:00.000Z');

    const before = await shopItems('cli-csv');
    const second = await rapport(['import', '--shop', 'cli-csv', file]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('was imported completely on');
    expect(second.stdout).toContain('imported completely before');
    expect(second.stdout).toMatch(/accepted +96 lines → 96 events \(96 orders\)/);
    expect(second.stdout).toMatch(/rejected +6 lines/);
    expect(second.stdout).toMatch(/1 {2}amount: "…" is not a decimal amount {2}\(line 42\)/);
    expect(second.stdout).toMatch(/processed +all/);
    expect(await shopItems('cli-csv')).toEqual(before);
  });

  it('imports Shopify order bodies: newest state wins whatever the line order, test orders are ignored', async () => {
    const base = loadFixture('shopify', 'orders_paid').body;
    const order = (n: number, customer: number, changes: JsonObject = {}): string => {
      const id = `8209829119461${String(54_000 + n)}`;
      const customerId = `11531062731472${String(4000 + customer)}`;
      const body: JsonObject = {
        ...structuredClone(base),
        id,
        admin_graphql_api_id: `gid://shopify/Order/${id}`,
        test: false,
        cancelled_at: null,
        cancel_reason: null,
        financial_status: 'paid',
        email: `shopper.${customer}@example.com`,
        contact_email: `shopper.${customer}@example.com`,
        created_at: `2025-03-${String(1 + n).padStart(2, '0')}T10:00:00-05:00`,
        updated_at: `2025-03-${String(1 + n).padStart(2, '0')}T10:00:00-05:00`,
        customer: {
          ...(structuredClone(base.customer) as JsonObject),
          id: customerId,
          admin_graphql_api_id: `gid://shopify/Customer/${customerId}`,
          email: `shopper.${customer}@example.com`,
        },
        ...changes,
      };
      return JSON.stringify(body);
    };
    const lines: string[] = [];
    for (let n = 0; n < 20; n++) lines.push(order(n, n % 4));
    // Order 0 was cancelled later: that state comes first in the file and must still win.
    lines.unshift(order(0, 0, { cancelled_at: '2025-03-20T09:00:00-05:00', updated_at: '2025-03-20T09:00:00-05:00' }));
    lines.push(order(30, 1, { test: true }));
    lines.push(
      '{"id": 1, "created_at": "2025-03-01T00:00:00Z", "line_items": [], "financial_status": "paid", "total_price_set": {"shop_money": {"amount": "1.00", "currency_code": "EUR"}}}',
    );
    lines.push('{not json');
    lines.push('{"hello": "world"}');
    const file = write('shopify-orders.jsonl', lines);

    const run = await rapport(['import', '--shop', 'cli-shopify', '--json', file]);
    expect(run.code, run.stderr).toBe(0);
    const summary = summaryOf(run);
    expect(summary).toMatchObject({ status: 'done', format: 'jsonl', accepted: 21, events: 21, orders: 21, ignored: 1, processed: true });
    expect(summary.rejected.total).toBe(3);
    const reasons = summary.rejected.reasons.map((group: { reason: string; lines: number[] }) => [group.reason, group.lines]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        ['line: not valid JSON', [24]],
        ['line: neither a Shopify order (line_items, financial_status) nor a canonical event (type)', [25]],
      ]),
    );
    expect(reasons).toContainEqual(['total_price_set.shop_money.currency_code: must be the shop currency USD', [23]]);

    // Customer 0 had orders 0, 4, 8, 12, 16: order 0 is cancelled. 404.95 USD each.
    const expectations = [
      [0, 4],
      [1, 5],
      [2, 5],
      [3, 5],
    ] as const;
    for (const [customer, count] of expectations) {
      const profile = await lookup('cli-shopify', `externalId=${encodeURIComponent(`shopify:11531062731472${4000 + customer}`)}`);
      expect(profile, `customer ${customer}`).toMatchObject({ orderCount: count, totalSpent: { amount: count * 40495, currency: 'USD' } });
    }
  });

  it('imports canonical events and refuses other shops’ events, privacy requests and foreign currencies', async () => {
    const event = (n: number, fields: Record<string, unknown>) =>
      JSON.stringify({ eventId: `hist-${String(n).padStart(4, '0')}`, ...fields });
    const customer = { externalId: 'generic:ev-1', email: 'ev.one@example.com', firstName: 'Evie' };
    const anOrder = (orderId: string, total: number, day: number) => ({
      orderId,
      status: 'paid',
      currency: 'USD',
      total,
      createdAt: `2025-05-${String(day).padStart(2, '0')}T12:00:00Z`,
      updatedAt: `2025-05-${String(day).padStart(2, '0')}T12:00:00Z`,
      lineItems: [{ sku: 'TEA', title: 'Tea', quantity: 1, price: total, category: 'Tea' }],
    });
    const lines = [
      event(1, { type: 'order.upserted', occurredAt: '2025-05-01T12:00:00Z', customer, order: anOrder('ev-A', 5000, 1) }),
      event(2, {
        type: 'order.upserted',
        occurredAt: '2025-05-02T12:00:00Z',
        shopId: 'cli-events',
        customer,
        order: anOrder('ev-B', 2500, 2),
      }),
      // No eventId: one is derived from the line, the same on every run.
      JSON.stringify({ type: 'order.upserted', occurredAt: '2025-05-03T12:00:00Z', customer, order: anOrder('ev-C', 1500, 3) }),
      event(4, {
        type: 'refund.created',
        occurredAt: '2025-05-04T12:00:00Z',
        refund: { refundId: 'r-1', orderId: 'ev-A', currency: 'USD', amount: 1000, createdAt: '2025-05-04T12:00:00Z' },
      }),
      event(5, {
        type: 'order.upserted',
        occurredAt: '2025-05-05T12:00:00Z',
        shopId: 'someone-else',
        customer,
        order: anOrder('ev-D', 1, 5),
      }),
      event(6, { type: 'customer.erased', occurredAt: '2025-05-06T12:00:00Z', customer }),
      event(7, {
        type: 'order.upserted',
        occurredAt: '2025-05-07T12:00:00Z',
        customer,
        order: { ...anOrder('ev-E', 100, 7), currency: 'EUR' },
      }),
      event(8, { type: 'order.upserted', occurredAt: '2025-05-08T12:00:00Z', customer, order: { ...anOrder('ev-F', 100, 8), total: -1 } }),
    ];
    const file = write('events.jsonl', lines);
    const run = await rapport(['import', '--shop', 'cli-events', '--json', file]);
    expect(run.code, run.stderr).toBe(0);
    const summary = summaryOf(run);
    expect(summary).toMatchObject({ accepted: 4, events: 4, orders: 3, processed: true, rejected: { total: 4 } });
    expect(summary.rejected.reasons).toEqual(
      expect.arrayContaining([
        { reason: "shopId: another shop's event (this import is for cli-events)", count: 1, lines: [5] },
        { reason: expect.stringMatching(/^type: customer\.erased is not imported/), count: 1, lines: [6] },
        { reason: 'order.currency: not the shop currency (USD)', count: 1, lines: [7] },
        { reason: expect.stringMatching(/^order\.total: /), count: 1, lines: [8] },
      ]),
    );
    const profile = await lookup('cli-events', 'externalId=generic%3Aev-1');
    expect(profile).toMatchObject({ orderCount: 3, totalSpent: { amount: 5000 + 2500 + 1500 - 1000, currency: 'USD' }, firstName: 'Evie' });

    const before = await shopItems('cli-events');
    // Paced: 4 messages at 2 a second take 1.5 s at least.
    const again = await rapport(['import', '--shop', 'cli-events', '--json', '--max-rate', '2', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(summaryOf(again).sendSeconds).toBeGreaterThanOrEqual(1.4);
    expect(await shopItems('cli-events')).toEqual(before);
  });

  it('resumes an interrupted import from its checkpoint', async () => {
    const rows = ['email,order_id,date,amount,currency'];
    for (let i = 0; i < 72; i++)
      rows.push(`khach.${i % 12}@example.vn,VN-${i},2025-06-${String(1 + (i % 28)).padStart(2, '0')},${150_000 + i * 1000},VND`);
    const file = write('resume.csv', rows);

    const interrupted = await rapport(['import', '--shop', 'cli-resume', '--json', '--stop-after', '30', file]);
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(summaryOf(interrupted)).toMatchObject({ status: 'interrupted', lines: { read: 30 }, accepted: 29, sent: 29 });
    expect(interrupted.stderr).toContain('run the same command again to resume');
    const checkpoints = readdirSync(join(dataDir, 'imports')).filter((name) => name.startsWith('cli-resume-'));
    expect(checkpoints).toHaveLength(1);
    const checkpoint = JSON.parse(readFileSync(join(dataDir, 'imports', checkpoints[0] as string), 'utf8'));
    expect(checkpoint).toMatchObject({ status: 'interrupted', linesDone: 30, counts: { accepted: 29 } });

    const resumed = await rapport(['import', '--shop', 'cli-resume', '--json', file]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resuming after line 30');
    // Counts cover the whole file; only the lines after the checkpoint were sent this time.
    expect(summaryOf(resumed)).toMatchObject({
      status: 'done',
      resumedAfterLine: 30,
      lines: { read: 73 },
      accepted: 72,
      sent: 43,
      processed: true,
    });
    for (let c = 0; c < 12; c++) {
      const mine = Array.from({ length: 6 }, (_, k) => 150_000 + (c + 12 * k) * 1000);
      const profile = await lookup('cli-resume', `email=khach.${c}%40example.vn`);
      expect(profile).toMatchObject({ orderCount: 6, totalSpent: { amount: mine.reduce((a, b) => a + b, 0), currency: 'VND' } });
    }
  });

  it('answers usage errors with 2 and failures with 1, each with a message', async () => {
    const good = write('good.csv', ['email,order_id,date,amount', 'a@example.com,g-1,2025-01-01,1.00']);
    const badHeader = write('bad-header.csv', ['mail,order,when,amount', 'a@example.com,g-1,2025-01-01,1.00']);
    const nowhere = mkdtempSync(join(tmpdir(), 'rapport-cli-none-'));
    type Case = [args: string[], code: number, message: RegExp, env?: NodeJS.ProcessEnv];
    const check = (runs: Run[], cases: Case[]) =>
      runs.forEach((run, i) => {
        const [args, code, message] = cases[i] as Case;
        expect({ args, code: run.code }).toEqual({ args, code });
        expect(code === 0 ? run.stdout : run.stderr).toMatch(message);
      });

    // Refused before the command looks for a runtime: run in this process (main() as the bin calls it), which is quicker.
    const usage: Case[] = [
      [[], 2, /Usage: rapport <command>/],
      [['--help'], 0, /import +backfill order history/],
      [['import', '--help'], 0, /Usage: rapport import --shop <id>/],
      [['nope'], 2, /unknown command "nope"/],
      [['import', good], 2, /--shop <id> is required/],
      [['import', '--shop', 'cli-csv', '--bogus', good], 2, /Unknown option '--bogus'/],
      [['import', '--shop', 'Not A Shop', good], 2, /--shop must be a shop id/],
      [['import', '--shop', 'cli-csv', '--concurrency', 'lots', good], 2, /--concurrency must be a whole number/],
      [['import', '--shop', 'cli-csv', 'missing.csv'], 2, /no such file: missing\.csv/],
    ];
    check(await Promise.all(usage.map(([args]) => inProcess(args))), usage);

    // These reach the runtime (or look for it): a process of their own, as a user runs them.
    const failures: Case[] = [
      [['import', '--shop', 'no-such-shop', good], 1, /there is no shop no-such-shop/],
      [['import', '--shop', 'cli-csv', badHeader], 1, /the CSV header must name the columns email, order_id, date, amount/],
      [['import', '--shop', 'cli-csv', good], 1, /no running Rapport found/, userEnv({ RAPPORT_DATA_DIR: nowhere })],
    ];
    check(await Promise.all(failures.map(([args, , , env]) => rapport(args, env))), failures);

    const dryRun = await rapport(['import', '--shop', 'cli-csv', '--dry-run', '--json', good]);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect(summaryOf(dryRun)).toMatchObject({ status: 'dry-run', accepted: 1, sent: 0, processed: null });
    expect(await lookup('cli-csv', 'email=a%40example.com')).toBeUndefined();
    rmSync(nowhere, { recursive: true, force: true });
  });
});
