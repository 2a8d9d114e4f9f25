import { Agent, request } from 'node:http';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '#infra/local/emulators.ts';
import { signGeneric } from '#shared/domain/signature.ts';
import { expectJson, withLocalShop } from './local-shop.ts';
import { customer, genericOrderBody, order } from './orders.ts';
import type { BenchResult } from './report.ts';
import { round } from './stats.ts';

/**
 * End to end on one machine: the local runtime (`npm start`'s engine) on in-memory dynalite and
 * fauxqs, signed generic orders posted over loopback HTTP with bounded concurrency, timed from the
 * first request to the moment every queue is empty and no handler runs. Then every customer's
 * profile is read back through the API, so the figure counts only work that was really done.
 *
 * The load generator shares the process (and its two cores) with the runtime, so it is kept
 * light: node:http on keep-alive sockets, which costs the client about a quarter of what fetch
 * does per request (≈0.1 ms against ≈0.5 ms here); a real client runs elsewhere.
 */

export const ORDERS_PER_SECOND_TARGET = 150;
export const CALLS_PER_ORDER_TARGET = 3;
const RAW_PUTS = 4_000;

/** dynalite's own pace: small PutItems straight to it, `concurrency` in flight, as the figure beside orders per second. */
async function rawPutRate(endpoint: string, table: string, concurrency: number): Promise<number> {
  const client = DynamoDBDocumentClient.from(dynamoClient(endpoint));
  try {
    const start = process.hrtime.bigint();
    await pool(RAW_PUTS, concurrency, async (i) => {
      await client.send(new PutCommand({ TableName: table, Item: { PK: `BENCH#raw#${i}`, SK: 'RAW', payload: 'x'.repeat(160) } }));
    });
    return round(RAW_PUTS / (Number(process.hrtime.bigint() - start) / 1e9), 1);
  } finally {
    client.destroy();
  }
}
const SHOP_ID = 'bench-e2e';

export interface LocalE2eOptions {
  orders?: number;
  customers?: number;
  concurrency?: number;
}

/** Runs `task(i)` for i in [0, count) with at most `limit` in flight. */
async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/** POST over a keep-alive socket; resolves with the status and the body. */
function post(agent: Agent, url: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

export async function benchLocalE2e(opts: LocalE2eOptions = {}): Promise<BenchResult> {
  const orders = opts.orders ?? 2_000;
  const customers = opts.customers ?? 500;
  const concurrency = opts.concurrency ?? 24;
  const perCustomer = Math.ceil(orders / customers);

  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const secret = 'bench-generic-signing-secret-0123456789';
  try {
    return await withLocalShop({ shopId: SHOP_ID, secrets: { generic: secret } }, async ({ runtime, apiKey }) => {
      const api = runtime.apiUrl;

      // Bodies are built before the clock starts; each is signed when sent (the 5-minute window).
      const bodies = Array.from({ length: orders }, (_, i) => {
        const n = i % customers;
        const k = Math.floor(i / customers);
        const at = new Date(Date.UTC(2026, 0, 1 + k, 8, 0, n % 60));
        return genericOrderBody(customer(n), order({ orderId: `e2e-${n}-${k}`, at, lines: 3, seed: i }));
      });

      const requestsBefore = (await runtime.dynamodbRequests?.()) ?? {};
      const cpuBefore = process.cpuUsage();
      const start = process.hrtime.bigint();
      await pool(orders, concurrency, async (i) => {
        const body = bodies[i] as string;
        const res = await post(
          agent,
          `${api}/webhooks/generic/${SHOP_ID}`,
          { 'content-type': 'application/json', 'x-rapport-signature': signGeneric(secret, body, Math.floor(Date.now() / 1000)) },
          body,
        );
        if (res.status !== 202) throw new Error(`order ${i}: HTTP ${res.status} ${res.text.slice(0, 500)}`);
      });
      const accepted = process.hrtime.bigint();
      await runtime.idle(120_000);
      const idle = process.hrtime.bigint();
      const cpu = process.cpuUsage(cpuBefore);
      const requestsAfter = (await runtime.dynamodbRequests?.()) ?? {};
      const byOperation = Object.fromEntries(
        Object.entries(requestsAfter)
          .map(([operation, n]) => [operation, n - (requestsBefore[operation] ?? 0)] as const)
          .filter(([, n]) => n > 0)
          .sort((a, b) => b[1] - a[1]),
      );
      const dynamodbCalls = Object.values(byOperation).reduce((sum, n) => sum + n, 0);
      const seconds = Number(idle - start) / 1e9;
      const webhookSeconds = Number(accepted - start) / 1e9;

      // Every customer, read back through the shop API: orderCount must be what was sent.
      const expected = (n: number) => Math.floor(orders / customers) + (n < orders % customers ? 1 : 0);
      let verified = 0;
      const wrong: string[] = [];
      await pool(customers, 16, async (n) => {
        const res = await fetch(`${api}/v1/customers?externalId=${encodeURIComponent(`generic:bench-${n}`)}`, {
          headers: { authorization: `Bearer ${apiKey}` },
        });
        const { items } = (await expectJson(res, 200, `lookup of customer ${n}`)) as { items: Array<{ orderCount: number }> };
        const count = items[0]?.orderCount;
        if (count === expected(n)) verified++;
        else if (wrong.length < 5) wrong.push(`generic:bench-${n} has orderCount ${count}, expected ${expected(n)}`);
      });
      if (verified !== customers) throw new Error(`${customers - verified} profile(s) are wrong after idle: ${wrong.join('; ')}`);

      const ordersPerSecond = round(orders / seconds, 1);
      const putsPerSecond = await rawPutRate(runtime.endpoints.dynamodb, runtime.tableName, concurrency);
      // The runtime (main thread, consumer thread, dynalite thread), fauxqs and this load generator
      // share one Node process: how many cores its threads kept busy together.
      const coresBusy = round((cpu.user + cpu.system) / 1e6 / seconds, 2);
      return {
        figures: {
          ordersPerSecond,
          orders,
          customers,
          ordersPerCustomer: perCustomer,
          concurrency,
          seconds: round(seconds, 2),
          webhookSeconds: round(webhookSeconds, 2),
          acceptedPerSecond: round(orders / webhookSeconds, 1),
          verifiedProfiles: verified,
          dynamodbCallsPerOrder: round(dynamodbCalls / orders, 2),
          dynamodbCallsByOperation: byOperation,
          rawDynalitePutsPerSecond: putsPerSecond,
          coresBusy,
          dynamodb: 'dynalite',
          method:
            'startRuntime (in memory, dynalite, fauxqs; the processor on its consumer thread, dynalite on its own); signed generic orders over loopback keep-alive HTTP (node:http); first send → idle()',
        },
        rows: [
          {
            key: 'local.ordersPerSecond',
            label: `${orders.toLocaleString('en-US')} orders, ${customers} customers, ${concurrency} in flight: ${round(seconds, 1)} s to idle (all accepted after ${round(webhookSeconds, 1)} s); ${coresBusy} cores busy; ${verified} profiles checked`,
            value: ordersPerSecond,
            unit: '/s',
            target: { op: '>=', value: ORDERS_PER_SECOND_TARGET },
          },
          {
            key: 'local.dynamodbCallsPerOrder',
            label: `every DynamoDB request dynalite served from the first send to idle ÷ orders (${Object.entries(byOperation)
              .map(([operation, n]) => `${operation} ${round(n / orders, 2)}`)
              .join(', ')})`,
            value: round(dynamodbCalls / orders, 2),
            unit: 'calls',
            target: { op: '<=', value: CALLS_PER_ORDER_TARGET },
          },
          {
            key: 'local.rawDynalitePutsPerSecond',
            label: `PutItem of a 200-byte item, ${concurrency} in flight, on the same dynalite in the same run (the ceiling for ~${round(dynamodbCalls / orders, 1)} calls per order: ${round(putsPerSecond / Math.max(1, dynamodbCalls / orders), 0)} orders/s)`,
            value: putsPerSecond,
            unit: '/s',
          },
        ],
      };
    });
  } finally {
    agent.destroy();
  }
}
