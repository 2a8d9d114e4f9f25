import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '#infra/local/emulators.ts';
import type { HealthReport } from '#infra/local/health.ts';
import { readRuntimeFile } from '#infra/local/runtime.ts';
import { getOrders } from '#shared/data/order-repo.ts';
import { freePort, startLocalProcess } from '#test/e2e/local-process.ts';
import { type JsonObject, loadFixture } from '#test/support/fixtures.ts';
import { decimal, shopifyHeaders } from '#test/support/senders.ts';
import type { BenchResult } from './report.ts';
import { percentile, round } from './stats.ts';

/**
 * Load on the local runtime as `npm start` runs it: a process of its own (`node --import tsx
 * infra/local/main.ts`, its own data directory and port), one shop, and SENDERS concurrent senders
 * posting signed Shopify order webhooks to 127.0.0.1 for RAPPORT_LOAD_SECONDS (default 60). The
 * bodies are Shopify's own orders/paid sample with ids, customer, lines and totals changed; the mix
 * is new orders, updates of accepted orders (a later updated_at, other quantities, another total)
 * and duplicates of accepted deliveries (Shopify's retry with the same X-Shopify-Webhook-Id, or the
 * same state again under orders/paid). Every answer's status and latency is recorded. Then the
 * queues are left to drain (GET /health, until every queue is empty twice in a row), and every
 * order answered 2xx is checked: its order item holds the total of its newest accepted state (else
 * lost, or a wrong total), and each customer's profile counts each of its orders once, with the
 * right total spent (else doubles, lost, or a wrong total).
 *
 * The senders share the machine with the runtime, so they are kept light: node:http on keep-alive
 * sockets, one process, bodies serialized when sent.
 */

/** Measured before this bench existed, by a tester on the same kind of machine (issue 11). */
export const LOAD_TARGETS = { acceptedPerSecond: 193, p50Ms: 33, p99Ms: 132 };
const SENDERS = 8;
const CUSTOMERS = 1_000;
const SHOP_ID = 'bench-load';
const SECRET = 'shpss_bench-load-0123456789abcdef';
/** Above 2^53, as Shopify's ids are: written into bodies as bare integer literals. */
const ORDER_ID_BASE = 820_982_911_946_154_508n;
const CUSTOMER_ID_BASE = 115_310_627_314_723_954n;
/** Shares of new orders and updates; the rest are duplicates. */
const NEW_SHARE = 0.6;
const UPDATE_SHARE = 0.25;
const DRAIN_TIMEOUT_MS = 600_000;

interface Order {
  n: number;
  customer: number;
  /** States sent so far (0 is the order as created); each later one is an update. */
  states: number;
  /** Per state answered 2xx: the X-Shopify-Webhook-Id it was delivered with, for retries. */
  delivered: Map<number, string>;
}

type Kind = 'new' | 'update' | 'duplicate';

export async function benchLoad(): Promise<BenchResult> {
  const seconds = Number(process.env.RAPPORT_LOAD_SECONDS ?? 60);
  if (!(seconds > 0)) throw new Error(`RAPPORT_LOAD_SECONDS must be a positive number, not ${process.env.RAPPORT_LOAD_SECONDS}`);

  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-load-'));
  const adminKey = 'bench-load-admin-key';
  const local = startLocalProcess({ port: await freePort(), dataDir, via: 'script', env: { RAPPORT_ADMIN_KEY: adminKey } });
  const agent = new Agent({ keepAlive: true, maxSockets: SENDERS + 2 });
  let documents: DynamoDBDocumentClient | undefined;
  try {
    const api = await local.ready();
    if (new URL(api).hostname !== '127.0.0.1') throw new Error(`refusing to load ${api}: loopback only`);
    const created = await post(
      agent,
      `${api}/admin/shops`,
      { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      JSON.stringify({
        shopId: SHOP_ID,
        name: 'Bench Load Optics',
        currency: 'USD',
        timezone: 'America/Toronto',
        locale: 'en-US',
        secrets: { shopify: SECRET },
      }),
    );
    if (created.status !== 201) throw new Error(`POST /admin/shops: HTTP ${created.status} ${created.text.slice(0, 500)}`);
    const apiKey = (JSON.parse(created.text) as { apiKey: string }).apiKey;
    const runtimeFile = readRuntimeFile(dataDir);
    if (!runtimeFile) throw new Error(`no runtime.json in ${dataDir}`);

    // ── send ────────────────────────────────────────────────────────────────────────────────
    const bodies = orderBodies(Date.now() - 2 * 3_600_000);
    const random = mulberry32(11);
    const orders: Order[] = [];
    /** Orders with at least one state answered 2xx: the ones updates and duplicates pick from. */
    const accepted: Order[] = [];
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const kinds: Record<Kind, number> = { new: 0, update: 0, duplicate: 0 };
    let events = 0;
    const failures: string[] = [];

    const sendOne = async () => {
      const roll = random();
      let order: Order;
      let state: number;
      let webhookId: string | undefined;
      let topic = 'orders/updated';
      let kind: Kind;
      if (accepted.length === 0 || roll < NEW_SHARE) {
        kind = 'new';
        order = { n: orders.length, customer: Math.floor(random() * CUSTOMERS), states: 1, delivered: new Map() };
        orders.push(order);
        state = 0;
        topic = 'orders/create';
      } else if (roll < NEW_SHARE + UPDATE_SHARE) {
        kind = 'update';
        order = accepted[Math.floor(random() * accepted.length)] as Order;
        state = order.states++;
      } else {
        kind = 'duplicate';
        order = accepted[Math.floor(random() * accepted.length)] as Order;
        const sent = [...order.delivered.keys()];
        state = sent[Math.floor(random() * sent.length)] as number;
        // Half are Shopify's retry of one delivery; half the same state under another topic and id.
        if (random() < 0.5) webhookId = order.delivered.get(state);
        else topic = 'orders/paid';
      }
      kinds[kind]++;
      const body = bodies.of(order, state);
      const headers = shopifyHeaders({ topic, secret: SECRET, body, webhookId, shopDomain: 'bench-load.myshopify.com' });
      const start = process.hrtime.bigint();
      let res: { status: number; text: string };
      try {
        res = await post(agent, `${api}/webhooks/shopify/${SHOP_ID}`, headers, body);
      } catch (err) {
        res = { status: 0, text: (err as Error).message };
      }
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 200 && res.status < 300) {
        events += (JSON.parse(res.text) as { accepted?: number }).accepted ?? 0;
        if (!order.delivered.has(state)) order.delivered.set(state, headers['X-Shopify-Webhook-Id'] as string);
        if (kind === 'new') accepted.push(order);
      } else if (failures.length < 5) {
        failures.push(`${kind} of order ${order.n} state ${state}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
      }
    };

    const cpuBefore = { runtime: treeCpuSeconds(local.tree()), senders: process.cpuUsage(), machine: machineCpuSeconds() };
    const startedAt = process.hrtime.bigint();
    const stopAt = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (Date.now() < stopAt) await sendOne();
      }),
    );
    const sentAt = process.hrtime.bigint();
    const sendSeconds = Number(sentAt - startedAt) / 1e9;
    // Cores kept busy while sending: by the runtime, by these senders, and by anything else on the
    // machine (other work skews every figure here; this says how much there was).
    const senderCpu = process.cpuUsage(cpuBefore.senders);
    const busy = {
      runtime: (treeCpuSeconds(local.tree()) - cpuBefore.runtime) / sendSeconds,
      senders: (senderCpu.user + senderCpu.system) / 1e6 / sendSeconds,
      machine: (machineCpuSeconds() - cpuBefore.machine) / sendSeconds,
    };
    const coresBusy = {
      runtime: round(busy.runtime, 2),
      senders: round(busy.senders, 2),
      otherProcesses: round(Math.max(0, busy.machine - busy.runtime - busy.senders), 2),
    };

    // ── drain ───────────────────────────────────────────────────────────────────────────────
    const health = await drain(agent, api);
    const drainedAt = process.hrtime.bigint();
    const deadLetters = Object.values(health.queues ?? {}).reduce(
      (sum, q) => sum + q.deadLetter.visible + q.deadLetter.inFlight + q.deadLetter.delayed,
      0,
    );

    // ── verify ──────────────────────────────────────────────────────────────────────────────
    const newest = (order: Order) => Math.max(...order.delivered.keys());
    documents = DynamoDBDocumentClient.from(dynamoClient(runtimeFile.endpoints.dynamodb));
    const db = { client: documents, table: runtimeFile.tableName };
    const items = new Map(
      (
        await getOrders(
          db,
          SHOP_ID,
          accepted.map((o) => orderId(o.n)),
        )
      ).map((item) => [String(item.orderId), item.total]),
    );
    let missingItems = 0;
    let wrongTotals = 0;
    const wrong: string[] = [];
    for (const order of accepted) {
      const total = items.get(orderId(order.n));
      const expected = bodies.totalOf(order, newest(order));
      if (total === undefined) missingItems++;
      else if (total !== expected) {
        wrongTotals++;
        if (wrong.length < 5) wrong.push(`order ${orderId(order.n)}: total ${total}, expected ${expected}`);
      }
    }

    const byCustomer = new Map<number, Order[]>();
    for (const order of accepted) byCustomer.set(order.customer, [...(byCustomer.get(order.customer) ?? []), order]);
    let doubles = 0;
    let shortfall = 0;
    await pool([...byCustomer], 16, async ([customer, theirs]) => {
      const res = await get(
        agent,
        `${api}/v1/customers?externalId=${encodeURIComponent(`shopify:${CUSTOMER_ID_BASE + BigInt(customer)}`)}`,
        {
          authorization: `Bearer ${apiKey}`,
        },
      );
      if (res.status !== 200) throw new Error(`lookup of customer ${customer}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
      const { items: found } = JSON.parse(res.text) as { items: Array<{ orderCount: number; totalSpent: { amount: number } }> };
      if (found.length > 1) throw new Error(`customer ${customer} is ${found.length} profiles`);
      const count = found[0]?.orderCount ?? 0;
      const spent = found[0]?.totalSpent.amount ?? 0;
      const expectedSpent = theirs.reduce((sum, o) => sum + bodies.totalOf(o, newest(o)), 0);
      doubles += Math.max(0, count - theirs.length);
      shortfall += Math.max(0, theirs.length - count);
      if (count === theirs.length && spent !== expectedSpent) {
        wrongTotals++;
        if (wrong.length < 5) wrong.push(`customer ${customer}: totalSpent ${spent}, expected ${expectedSpent}`);
      }
    });
    // An order missing from the table is missing from its customer's count too: counted once.
    const lost = Math.max(missingItems, shortfall);

    const requests = latencies.length;
    const ok = [...statuses].filter(([status]) => status >= 200 && status < 300).reduce((sum, [, n]) => sum + n, 0);
    const non2xx = requests - ok;
    const acceptedPerSecond = round(ok / sendSeconds, 1);
    const p50Ms = round(percentile(latencies, 50), 1);
    const p99Ms = round(percentile(latencies, 99), 1);
    const maxMs = round(Math.max(...latencies), 1);
    const drainSeconds = round(Number(drainedAt - sentAt) / 1e9, 2);
    const eventsPerSecond = round(events / (Number(drainedAt - startedAt) / 1e9), 1);
    const label = `${SENDERS} senders for ${round(sendSeconds, 1)} s, ${requests.toLocaleString('en-US')} requests (${kinds.new} new, ${kinds.update} updates, ${kinds.duplicate} duplicates)`;

    return {
      figures: {
        acceptedPerSecond,
        p50Ms,
        p99Ms,
        maxMs,
        non2xx,
        lost,
        doubles,
        wrongTotals,
        drainSeconds,
        eventsPerSecond,
        requests,
        statuses: Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])),
        mix: kinds,
        orders: accepted.length,
        customers: byCustomer.size,
        events,
        deadLetters,
        coresBusy,
        senders: SENDERS,
        seconds: round(sendSeconds, 1),
        method:
          '`node --import tsx infra/local/main.ts` as its own process (temporary data directory, dynalite, fauxqs with its journal); signed Shopify order webhooks (orders_paid fixture) from 8 keep-alive senders over 127.0.0.1; drained by polling GET /health; orders read back by BatchGetItem, profiles through GET /v1/customers?externalId=',
      },
      rows: [
        {
          key: 'load.acceptedPerSecond',
          label: `${label}: 2xx answers ÷ sending time; cores busy meanwhile: runtime ${coresBusy.runtime}, senders ${coresBusy.senders}, other processes ${coresBusy.otherProcesses}`,
          value: acceptedPerSecond,
          unit: '/s',
          target: { op: '>=', value: LOAD_TARGETS.acceptedPerSecond },
        },
        {
          key: 'load.p50Ms',
          label: 'latency of a webhook, sender side',
          value: p50Ms,
          unit: 'ms',
          target: { op: '<=', value: LOAD_TARGETS.p50Ms },
        },
        {
          key: 'load.p99Ms',
          label: 'latency of a webhook, sender side',
          value: p99Ms,
          unit: 'ms',
          target: { op: '<=', value: LOAD_TARGETS.p99Ms },
        },
        { key: 'load.maxMs', label: 'slowest webhook answer', value: maxMs, unit: 'ms' },
        {
          key: 'load.non2xx',
          label: `answers other than 2xx (${[...statuses].map(([s, n]) => `${s}: ${n}`).join(', ')})`,
          value: non2xx,
          unit: '',
          target: { op: '<=', value: 0 },
          ...(failures[0] && { note: failures[0] }),
        },
        {
          key: 'load.lost',
          label: `of ${accepted.length.toLocaleString('en-US')} orders answered 2xx: missing from the table (${missingItems}) or from their customer's orderCount (${shortfall})`,
          value: lost,
          unit: '',
          target: { op: '<=', value: 0 },
        },
        {
          key: 'load.doubles',
          label: `orders counted more than once in ${byCustomer.size} customers' orderCount`,
          value: doubles,
          unit: '',
          target: { op: '<=', value: 0 },
        },
        {
          key: 'load.wrongTotals',
          label: 'order items or profiles whose total is not the newest accepted state’s',
          value: wrongTotals,
          unit: '',
          target: { op: '<=', value: 0 },
          ...(wrong[0] && { note: wrong[0] }),
        },
        { key: 'load.drainSeconds', label: 'last answer → every queue empty', value: drainSeconds, unit: 's' },
        {
          key: 'load.eventsPerSecond',
          label: `${events.toLocaleString('en-US')} events processed ÷ first send → drained; ${deadLetters} in dead-letter queues`,
          value: eventsPerSecond,
          unit: '/s',
        },
      ],
      notes: [...failures, ...wrong],
    };
  } finally {
    documents?.destroy();
    agent.destroy();
    // Whatever happened: the runtime and everything it started go, then its data.
    await local.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** GET /health until every queue (dead-letter queues aside) is empty on two reads in a row; the last report. */
async function drain(agent: Agent, api: string): Promise<HealthReport> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let emptyReads = 0;
  let toldAt = Date.now();
  for (;;) {
    const res = await get(agent, `${api}/health`, {});
    const report = JSON.parse(res.text) as HealthReport;
    if (res.status === 503) throw new Error(`the runtime is down while draining: ${report.reasons.join('; ')}`);
    const pending = Object.values(report.queues ?? {}).reduce((sum, q) => sum + q.visible + q.inFlight + q.delayed, 0);
    // A message can leave one queue and reach the next between two reads of the same report.
    emptyReads = pending === 0 ? emptyReads + 1 : 0;
    if (emptyReads === 2) return report;
    if (Date.now() - toldAt >= 5_000) {
      toldAt = Date.now();
      const depths = Object.entries(report.queues ?? {}).map(([name, q]) => `${name} ${q.visible + q.inFlight + q.delayed}`);
      process.stderr.write(`bench: load: draining (${depths.join(', ')})\n`);
    }
    if (Date.now() > deadline) throw new Error(`queues not drained after ${DRAIN_TIMEOUT_MS / 1000} s: ${JSON.stringify(report.queues)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, every thread) of these processes so far. */
function treeCpuSeconds(tree: Array<{ pid: number }>): number {
  let ticks = 0;
  for (const { pid } of tree) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime: fields 14 and 15 of the whole line, 12 and 13 after the command name.
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone since the tree was read.
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds every core of the machine has spent busy so far (everything but idle and iowait). */
function machineCpuSeconds(): number {
  const [, user, nice, system, , , irq, softirq, steal] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS_PER_SECOND;
}

const orderId = (n: number) => String(ORDER_ID_BASE + BigInt(n));

/**
 * Shopify's orders/paid sample as order `n` in state `k`: a pure function of (n, k), so a
 * duplicate is the same bytes and the expected total of any state can be computed again.
 */
function orderBodies(epochMs: number) {
  const sample = loadFixture('shopify', 'orders_paid').body;
  const lineTemplate = (sample.line_items as JsonObject[])[0] as JsonObject;
  const customerTemplate = sample.customer as JsonObject;
  const addressTemplate = customerTemplate.default_address as JsonObject;
  const big = (id: bigint) => `@@BIG${id}@@`;
  const money = (minor: number) => ({
    shop_money: { amount: decimal(minor), currency_code: 'USD' },
    presentment_money: { amount: decimal(minor), currency_code: 'USD' },
  });
  const lines = (n: number, k: number) =>
    Array.from({ length: 1 + (n % 3) }, (_, i) => ({
      price: 500 + ((n * 7_919 + i * 104_729) % 20_000),
      quantity: 1 + ((k + i) % 3),
      product: 7_000 + ((n + i) % 50),
    }));
  const totalOf = (order: Pick<Order, 'n'>, k: number) => lines(order.n, k).reduce((sum, l) => sum + l.price * l.quantity, 0);

  const of = (order: Pick<Order, 'n' | 'customer'>, k: number): string => {
    const id = ORDER_ID_BASE + BigInt(order.n);
    const customerId = CUSTOMER_ID_BASE + BigInt(order.customer);
    const createdAt = new Date(epochMs + order.n * 100).toISOString();
    const updatedAt = new Date(epochMs + order.n * 100 + k * 60_000).toISOString();
    const email = `load-buyer-${order.customer}@example.com`;
    const total = totalOf(order, k);
    const body: JsonObject = {
      ...sample,
      id: big(id),
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#${10_000 + order.n}`,
      order_number: 10_000 + order.n,
      number: 9_000 + order.n,
      created_at: createdAt,
      processed_at: createdAt,
      updated_at: updatedAt,
      closed_at: null,
      cancelled_at: null,
      cancel_reason: null,
      financial_status: 'paid',
      test: false,
      currency: 'USD',
      presentment_currency: 'USD',
      email,
      contact_email: email,
      phone: null,
      total_price: decimal(total),
      total_price_set: money(total),
      current_total_price: decimal(total),
      current_total_price_set: money(total),
      subtotal_price: decimal(total),
      subtotal_price_set: money(total),
      current_subtotal_price: decimal(total),
      current_subtotal_price_set: money(total),
      total_line_items_price: decimal(total),
      total_line_items_price_set: money(total),
      total_discounts: '0.00',
      total_discounts_set: money(0),
      current_total_discounts: '0.00',
      current_total_discounts_set: money(0),
      total_outstanding: '0.00',
      line_items: lines(order.n, k).map((l, i) => {
        const lineId = id * 10n + BigInt(i);
        return {
          ...lineTemplate,
          id: big(lineId),
          admin_graphql_api_id: `gid://shopify/LineItem/${lineId}`,
          title: `Lens ${l.product}`,
          name: `Lens ${l.product}`,
          sku: `LENS-${l.product}`,
          product_id: l.product,
          quantity: l.quantity,
          current_quantity: l.quantity,
          fulfillable_quantity: l.quantity,
          price: decimal(l.price),
          price_set: money(l.price),
          total_discount: '0.00',
          total_discount_set: money(0),
          discount_allocations: [],
        };
      }),
      refunds: [],
      customer: {
        ...customerTemplate,
        id: big(customerId),
        admin_graphql_api_id: `gid://shopify/Customer/${customerId}`,
        email,
        first_name: 'Buyer',
        last_name: `No. ${order.customer}`,
        phone: null,
        default_address: { ...addressTemplate, customer_id: big(customerId), phone: null },
      },
    };
    return JSON.stringify(body).replace(/"@@BIG(\d+)@@"/g, '$1');
  };
  return { of, totalOf };
}

/** A small seeded generator: the same mix of kinds and picks on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++] as T);
    }),
  );
}

function post(agent: Agent, url: string, headers: Record<string, string>, body: string) {
  return exchange(agent, url, 'POST', { ...headers, 'content-length': String(Buffer.byteLength(body)) }, body);
}

function get(agent: Agent, url: string, headers: Record<string, string>) {
  return exchange(agent, url, 'GET', headers);
}

function exchange(agent: Agent, url: string, method: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}
