import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '#infra/local/emulators.ts';
import { type Runtime, repoRoot, startRuntime } from '#infra/local/runtime.ts';
import { resetConfig } from '#shared/config.ts';
import { silenceStdout } from './quiet.ts';
import type { BenchResult } from './report.ts';
import { round } from './stats.ts';

/**
 * `rapport import` of 10,000 CSV orders for 2,000 customers, run as an operator runs it — the CLI in
 * its own process, finding the runtime through its data directory — against a fresh local runtime
 * on dynalite (this process, as `npm start` runs it, with its data on disk in a temporary
 * directory). Timed from starting the CLI to its exit, which comes once the interactions queue is
 * empty, i.e. every order was processed. Every customer's profile is then read back through the
 * shop API. Then the same file is imported again and every item of the shop compared: the second
 * run must change none.
 */

const SHOP_ID = 'bench-import';
const CHANGED_ITEMS_TARGET = 0;

export interface ImportBenchOptions {
  orders?: number;
  customers?: number;
}

interface CliRun {
  code: number | null;
  seconds: number;
  // biome-ignore lint/suspicious/noExplicitAny: the CLI's JSON summary, checked below
  summary: any;
  stderr: string;
}

export async function benchImport(opts: ImportBenchOptions = {}): Promise<BenchResult> {
  const orders = opts.orders ?? 10_000;
  const customers = opts.customers ?? 2_000;
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-bench-import-'));
  const savedEnv = { ...process.env };
  let runtime: Runtime | undefined;
  let scanClient: DynamoDBDocumentClient | undefined;
  try {
    return await silenceStdout(async () => {
      runtime = await startRuntime({ port: 0, dataDir, dynamodb: 'dynalite', log: () => undefined });
      const rt = runtime;
      writeRuntimeFile(rt, dataDir);
      const apiKey = await createShop(rt);
      scanClient = DynamoDBDocumentClient.from(dynamoClient(rt.endpoints.dynamodb));
      const client = scanClient;

      const { file, expected } = writeOrders(dataDir, orders, customers);
      const cliEnv = userEnv(savedEnv, dataDir);

      const first = await runCli(['import', '--shop', SHOP_ID, '--json', file], cliEnv);
      check(first, orders, 'first run');
      const wrong = await verifyProfiles(rt, apiKey, expected);
      if (wrong.length > 0) throw new Error(`${wrong.length} profile(s) are wrong after the import: ${wrong.slice(0, 5).join('; ')}`);

      const before = await shopItems(client, rt.tableName);
      const second = await runCli(['import', '--shop', SHOP_ID, '--json', file], cliEnv);
      check(second, orders, 'second run');
      const after = await shopItems(client, rt.tableName);
      const changed = changedItems(before, after);

      const ordersPerSecond = round(orders / first.seconds, 1);
      const secondRunOrdersPerSecond = round(orders / second.seconds, 1);
      return {
        figures: {
          ordersPerSecond,
          orders,
          customers,
          seconds: round(first.seconds, 2),
          sendSeconds: first.summary.sendSeconds,
          sentPerSecond: round(orders / first.summary.sendSeconds, 1),
          secondRunChangedItems: changed.count,
          secondRunSeconds: round(second.seconds, 2),
          secondRunOrdersPerSecond,
          items: before.size,
          verifiedProfiles: customers,
          dynamodb: 'dynalite',
          method:
            'CSV of orders → `node infra/cli/rapport.mjs import --json` (own process) → startRuntime on dynalite (temp dir) in the bench process; CLI start → exit after the queue is empty; every profile read back; then the same import again and every item of the shop compared',
        },
        notes: changed.count > 0 ? [`import: the second run changed ${changed.count} item(s), e.g. ${changed.examples.join('; ')}`] : [],
        rows: [
          {
            key: 'import.ordersPerSecond',
            label: `${orders.toLocaleString('en-US')} CSV orders, ${customers.toLocaleString('en-US')} customers: ${round(first.seconds, 1)} s from CLI start to processed (all queued after ${first.summary.sendSeconds} s); ${customers.toLocaleString('en-US')} profiles checked`,
            value: ordersPerSecond,
            unit: '/s',
          },
          {
            key: 'import.secondRunChangedItems',
            label: `the same file again: ${round(second.seconds, 1)} s (${secondRunOrdersPerSecond}/s); ${before.size.toLocaleString('en-US')} items compared`,
            value: changed.count,
            unit: 'items',
            target: { op: '<=', value: CHANGED_ITEMS_TARGET },
          },
        ],
      };
    });
  } finally {
    scanClient?.destroy();
    await runtime?.stop();
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    resetConfig();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** What `npm start` will write itself (infra/local); written here only while it does not. */
function writeRuntimeFile(runtime: Runtime, dataDir: string): void {
  const path = join(dataDir, 'runtime.json');
  if (existsSync(path)) return;
  const { url, dlqUrl } = runtime.queues.interactions;
  const description = {
    pid: process.pid,
    apiUrl: runtime.apiUrl,
    tableName: runtime.tableName,
    endpoints: runtime.endpoints,
    queues: { interactions: { url, dlqUrl } },
    adminKey: runtime.adminKey,
  };
  writeFileSync(path, JSON.stringify(description), { mode: 0o600 });
}

async function createShop(runtime: Runtime): Promise<string> {
  const res = await fetch(`${runtime.apiUrl}/admin/shops`, {
    method: 'POST',
    headers: { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ shopId: SHOP_ID, name: 'Bench Import', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' }),
  });
  const body = (await res.json()) as { apiKey?: string };
  if (res.status !== 201 || !body.apiKey) throw new Error(`POST /admin/shops: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.apiKey;
}

/** Orders spread over two years, customer n placing every `customers`-th order; VND amounts. */
function writeOrders(dir: string, orders: number, customers: number) {
  const expected = new Map<string, { count: number; total: number }>();
  const rows = ['email,order_id,date,amount,currency'];
  for (let i = 0; i < orders; i++) {
    const n = i % customers;
    const email = `khach.${n}@example.vn`;
    const day = new Date(Date.UTC(2024, 0, 1 + ((i * 7919) % 730)));
    const amount = 50_000 + ((i * 104_729) % 1_950) * 1_000;
    rows.push(`${email},IMP-${i},${day.toISOString().slice(0, 10)},${amount},VND`);
    const sum = expected.get(email) ?? { count: 0, total: 0 };
    expected.set(email, { count: sum.count + 1, total: sum.total + amount });
  }
  const file = join(dir, 'orders.csv');
  writeFileSync(file, `${rows.join('\n')}\n`);
  return { file, expected };
}

/** A user's shell: none of the variables the runtime set in this process. */
function userEnv(saved: NodeJS.ProcessEnv, dataDir: string): NodeJS.ProcessEnv {
  const env = { ...saved };
  for (const name of ['TABLE_NAME', 'INTERACTIONS_QUEUE_URL', 'DYNAMODB_ENDPOINT', 'SQS_ENDPOINT', 'SES_ENDPOINT']) delete env[name];
  return { ...env, RAPPORT_DATA_DIR: dataDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
}

/** Asynchronous, so the runtime in this process keeps processing while the CLI runs. Its progress lines are relayed. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'infra/cli/rapport.mjs'), ...args], { cwd: repoRoot, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr += text;
      for (const line of text.split('\n')) if (line.trim()) process.stderr.write(`bench: import: ${line}\n`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      try {
        resolve({ code, seconds, summary: JSON.parse(stdout), stderr });
      } catch {
        reject(new Error(`rapport ${args.join(' ')} exited ${code} without a JSON summary\n${stdout}\n${stderr}`));
      }
    });
  });
}

function check(run: CliRun, orders: number, what: string): void {
  const s = run.summary;
  if (run.code !== 0 || s.status !== 'done' || s.processed !== true || s.accepted !== orders || s.rejected.total !== 0) {
    throw new Error(`${what}: exit ${run.code}, ${JSON.stringify(s).slice(0, 800)}\n${run.stderr.slice(-2000)}`);
  }
}

async function verifyProfiles(runtime: Runtime, apiKey: string, expected: Map<string, { count: number; total: number }>) {
  const wrong: string[] = [];
  const emails = [...expected.keys()];
  let next = 0;
  const worker = async () => {
    while (next < emails.length) {
      const email = emails[next++] as string;
      const res = await fetch(`${runtime.apiUrl}/v1/customers?email=${encodeURIComponent(email)}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const { items } = (await res.json()) as { items?: Array<{ orderCount: number; totalSpent: { amount: number } }> };
      const want = expected.get(email);
      const got = items?.[0];
      if (!got || got.orderCount !== want?.count || got.totalSpent.amount !== want.total) {
        wrong.push(
          `${email}: ${got ? `${got.orderCount} orders, ${got.totalSpent.amount}` : 'missing'}, expected ${want?.count}, ${want?.total}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return wrong;
}

/** Every item of the bench shop, by key, as JSON (sets as sorted arrays). */
async function shopItems(client: DynamoDBDocumentClient, table: string): Promise<Map<string, string>> {
  const items = new Map<string, string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const pk = String(item.PK);
      if (pk !== `SHOP#${SHOP_ID}` && !pk.startsWith(`SHOP#${SHOP_ID}#`)) continue;
      const sorted = Object.fromEntries(
        Object.entries(item)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, v instanceof Set ? [...v].sort() : v]),
      );
      items.set(`${pk}\u0000${String(item.SK)}`, JSON.stringify(sorted));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

function changedItems(before: Map<string, string>, after: Map<string, string>): { count: number; examples: string[] } {
  const examples: string[] = [];
  let count = 0;
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    if (before.get(key) === after.get(key)) continue;
    count++;
    if (examples.length < 3)
      examples.push(`${key.replace('\u0000', ' ')} ${before.has(key) ? (after.has(key) ? 'changed' : 'removed') : 'added'}`);
  }
  return { count, examples };
}
