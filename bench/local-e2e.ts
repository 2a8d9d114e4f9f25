import { type Runtime, startRuntime } from '#infra/local/runtime.ts';
import { resetConfig } from '#shared/config.ts';
import { signGeneric } from '#shared/domain/signature.ts';
import { customer, genericOrderBody, order } from './orders.ts';
import { silenceStdout } from './quiet.ts';
import type { BenchResult } from './report.ts';
import { round } from './stats.ts';

/**
 * End to end on one machine: the local runtime (`npm start`'s engine) on in-memory dynalite and
 * fauxqs, signed generic orders posted over loopback HTTP with bounded concurrency, timed from the
 * first request to the moment every queue is empty and no handler runs. Then every customer's
 * profile is read back through the API, so the figure counts only work that was really done.
 */

export const ORDERS_PER_SECOND_TARGET = 200;
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

async function expectStatus(res: Response, status: number, what: string): Promise<unknown> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

export async function benchLocalE2e(opts: LocalE2eOptions = {}): Promise<BenchResult> {
  const orders = opts.orders ?? 2_000;
  const customers = opts.customers ?? 500;
  const concurrency = opts.concurrency ?? 24;
  const perCustomer = Math.ceil(orders / customers);

  const savedEnv = { ...process.env };
  let runtime: Runtime | undefined;
  try {
    return await silenceStdout(async () => {
      runtime = await startRuntime({ port: 0, dataDir: null, dynamodb: 'dynalite', log: () => undefined });
      const api = runtime.apiUrl;
      const secret = 'bench-generic-signing-secret-0123456789';
      const created = (await expectStatus(
        await fetch(`${api}/admin/shops`, {
          method: 'POST',
          headers: { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            shopId: SHOP_ID,
            name: 'Bench Tea House',
            currency: 'VND',
            timezone: 'Asia/Ho_Chi_Minh',
            locale: 'vi-VN',
            secrets: { generic: secret },
          }),
        }),
        201,
        'POST /admin/shops',
      )) as { apiKey: string };

      // Bodies are built before the clock starts; each is signed when sent (the 5-minute window).
      const bodies = Array.from({ length: orders }, (_, i) => {
        const n = i % customers;
        const k = Math.floor(i / customers);
        const at = new Date(Date.UTC(2026, 0, 1 + k, 8, 0, n % 60));
        return genericOrderBody(customer(n), order({ orderId: `e2e-${n}-${k}`, at, lines: 3, seed: i }));
      });

      const cpuBefore = process.cpuUsage();
      const start = process.hrtime.bigint();
      await pool(orders, concurrency, async (i) => {
        const body = bodies[i] as string;
        const res = await fetch(`${api}/webhooks/generic/${SHOP_ID}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-rapport-signature': signGeneric(secret, body, Math.floor(Date.now() / 1000)) },
          body,
        });
        await expectStatus(res, 202, `order ${i}`);
      });
      const accepted = process.hrtime.bigint();
      await runtime.idle(120_000);
      const idle = process.hrtime.bigint();
      const cpu = process.cpuUsage(cpuBefore);
      const seconds = Number(idle - start) / 1e9;
      const webhookSeconds = Number(accepted - start) / 1e9;

      // Every customer, read back through the shop API: orderCount must be what was sent.
      const expected = (n: number) => Math.floor(orders / customers) + (n < orders % customers ? 1 : 0);
      let verified = 0;
      const wrong: string[] = [];
      await pool(customers, 16, async (n) => {
        const res = await fetch(`${api}/v1/customers?externalId=${encodeURIComponent(`generic:bench-${n}`)}`, {
          headers: { authorization: `Bearer ${created.apiKey}` },
        });
        const { items } = (await expectStatus(res, 200, `lookup of customer ${n}`)) as { items: Array<{ orderCount: number }> };
        const count = items[0]?.orderCount;
        if (count === expected(n)) verified++;
        else if (wrong.length < 5) wrong.push(`generic:bench-${n} has orderCount ${count}, expected ${expected(n)}`);
      });
      if (verified !== customers) throw new Error(`${customers - verified} profile(s) are wrong after idle: ${wrong.join('; ')}`);

      const ordersPerSecond = round(orders / seconds, 1);
      // The runtime, its emulators and this load generator share one Node process: how many cores it kept busy.
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
          coresBusy,
          dynamodb: 'dynalite',
          method: 'startRuntime (in memory, dynalite, fauxqs); signed generic orders over loopback HTTP; first send → idle()',
        },
        rows: [
          {
            key: 'local.ordersPerSecond',
            label: `${orders.toLocaleString('en-US')} orders, ${customers} customers, ${concurrency} in flight: ${round(seconds, 1)} s to idle (all accepted after ${round(webhookSeconds, 1)} s); ${coresBusy} cores busy; ${verified} profiles checked`,
            value: ordersPerSecond,
            unit: '/s',
            target: { op: '>=', value: ORDERS_PER_SECOND_TARGET },
          },
        ],
      };
    });
  } finally {
    await runtime?.stop();
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    resetConfig();
  }
}
