import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '#infra/local/emulators.ts';
import { seededRandom } from '#shared/analytics/numeric.ts';
import { gammaSampler, simulatePurchaseDays } from '#shared/analytics/simulate.ts';
import { profileIndexKeys, profileKey } from '#shared/data/keys.ts';
import { historyAttributes, historyPageItem } from '#shared/data/profile-history.ts';
import { historyFromSummaries } from '#shared/domain/history.ts';
import type { OrderSummary } from '#shared/domain/order.ts';
import { expectJson, withLocalShop } from './local-shop.ts';
import type { BenchResult } from './report.ts';
import { round } from './stats.ts';

/**
 * The scheduled run end to end on the local runtime (issue 5 item 9): 100,000 customers seeded as
 * the processor leaves them (profiles with their order summaries, in the shop's GSI1 shards), then
 * `POST /v1/runs` timed until `GET /v1/runs/{id}` says succeeded — the fit in one step, the 16
 * shards through the runs queue and the resegment function on the runtime's consumer thread,
 * dynalite on its own. A second run on the same data must write nothing.
 *
 * Seeding writes the profiles directly (BatchWriteItem), not through webhooks: the ingest path has
 * its own bench (local), and 300,000 orders through it would take most of an hour here.
 */

export const LOCAL_100K_TARGET_SECONDS = 300;
const SHOP_ID = 'bench-resegment';
const DAY_S = 86_400;

const PRODUCTS = Array.from({ length: 60 }, (_, i) => `sku-${i}`);
const CATEGORIES = ['Tea', 'Ceramics', 'Snacks', 'Gifts'];

/**
 * One profile as the processor writes it: order summaries (BG/NBD purchases over two years, each
 * customer spending around their own mean), contact fields, tier, GSI1 keys.
 */
function profileOf(n: number, rand: () => number, gamma: ReturnType<typeof gammaSampler>, asOf: number) {
  const customerId = `c_${n.toString(16).padStart(20, '0')}`;
  const start = asOf - 730 * DAY_S;
  const mean = Math.max(50_000, Math.round(gamma(3, 1) * 150_000));
  const days = simulatePurchaseDays(rand, gamma, { r: 0.5, alpha: 4, a: 0.8, b: 2.4 }, Math.floor(rand() * 700), 730);
  const item: Record<string, unknown> = {
    ...profileKey(SHOP_ID, customerId),
    ...profileIndexKeys(SHOP_ID, customerId),
    email: `bench${n}@example.com`,
    t_email: start * 1000,
    firstName: `Khách ${n}`,
    consentEmail: rand() < 0.7 ? 'subscribed' : 'unsubscribed',
    country: rand() < 0.8 ? 'VN' : 'SG',
    city: rand() < 0.5 ? 'Hồ Chí Minh' : 'Hà Nội',
    ...(rand() < 0.6
      ? {
          birthday: `19${70 + Math.floor(rand() * 35)}-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`,
        }
      : {}),
    tier: 'member',
    tierSince: new Date((start + days[0]! * DAY_S) * 1000).toISOString(),
    pv: days.length,
    createdAt: new Date((start + days[0]! * DAY_S) * 1000).toISOString(),
  };
  const summaries = new Map<string, OrderSummary>();
  days.forEach((d, k) => {
    const total = Math.max(10_000, Math.round((mean * (0.6 + rand() * 0.8)) / 1000) * 1000);
    const products = [
      ...new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => PRODUCTS[Math.floor(rand() ** 2 * PRODUCTS.length)] as string)),
    ];
    summaries.set(`${n}-${k}`, {
      q: 1,
      s: 'paid',
      t: total,
      r: 0,
      c: start + d * DAY_S + 3600,
      k: { [CATEGORIES[Math.floor(rand() * CATEGORIES.length)] as string]: total },
      p: products,
    });
  });
  // Stored as the processor stores it: the newest orders on the profile, older ones in history pages.
  const { history, pages } = historyFromSummaries(summaries, new Date(asOf * 1000));
  return {
    item: { ...item, ...historyAttributes(history) },
    pages: pages.map((page) => historyPageItem(SHOP_ID, customerId, page)),
    orders: summaries.size,
  };
}

export async function benchResegment(opts: { customers?: number } = {}): Promise<BenchResult> {
  const customers = opts.customers ?? Number(process.env.RESEGMENT_CUSTOMERS ?? 100_000);
  return withLocalShop({ shopId: SHOP_ID }, async ({ runtime, apiKey }) => {
    const api = runtime.apiUrl;
    const auth = { authorization: `Bearer ${apiKey}` };

    const client = DynamoDBDocumentClient.from(dynamoClient(runtime.endpoints.dynamodb));
    const seedStart = Date.now();
    const rand = seededRandom(100_000);
    const gamma = gammaSampler(rand);
    const asOf = Math.floor(Date.now() / 1000);
    let orders = 0;
    const batches: Record<string, unknown>[][] = [];
    for (let n = 0; n < customers; n++) {
      const { item, pages, orders: count } = profileOf(n, rand, gamma, asOf);
      orders += count;
      for (const written of [item, ...pages]) {
        if ((batches[batches.length - 1]?.length ?? 25) >= 25) batches.push([]);
        batches[batches.length - 1]?.push(written);
      }
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < batches.length) {
          let requests = (batches[next++] as Record<string, unknown>[]).map((Item) => ({ PutRequest: { Item } }));
          while (requests.length > 0) {
            const { UnprocessedItems } = await client.send(new BatchWriteCommand({ RequestItems: { [runtime.tableName]: requests } }));
            requests = (UnprocessedItems?.[runtime.tableName] ?? []) as typeof requests;
          }
        }
      }),
    );
    client.destroy();
    const seedSeconds = (Date.now() - seedStart) / 1000;

    const runOnce = async () => {
      const started = Date.now();
      const cpuBefore = process.cpuUsage();
      const { runId } = (await expectJson(await fetch(`${api}/v1/runs`, { method: 'POST', headers: auth }), 202, 'POST /v1/runs')) as {
        runId: string;
      };
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const run = await expectJson(await fetch(`${api}/v1/runs/${runId}`, { headers: auth }), 200, 'GET /v1/runs');
        if (run.status === 'failed') throw new Error(`run failed: ${JSON.stringify(run.error)}`);
        if (run.status === 'succeeded') {
          const cpu = process.cpuUsage(cpuBefore);
          const seconds = (Date.parse(run.finishedAt as string) - started) / 1000;
          return { run, seconds, coresBusy: (cpu.user + cpu.system) / 1e6 / seconds };
        }
      }
    };
    const first = await runOnce();
    const second = await runOnce();
    const totals = first.run.totals as Record<string, unknown>;
    const secondTotals = second.run.totals as Record<string, number>;
    const model = first.run.model as Record<string, unknown>;
    const clv = model.clv as { fit: Record<string, unknown> };
    const fitted = first.run.fittedAt
      ? (Date.parse(first.run.fittedAt as string) - Date.parse(first.run.requestedAt as string)) / 1000
      : null;
    const local100kSeconds = round(first.seconds, 1);
    return {
      figures: {
        local100kSeconds,
        customers,
        orders,
        seedSeconds: round(seedSeconds, 1),
        fitSeconds: fitted === null ? null : round(fitted, 1),
        coresBusy: round(first.coresBusy, 2),
        firstRun: totals,
        secondRunSeconds: round(second.seconds, 1),
        writesPerUnchangedRun: secondTotals.itemsWritten,
        clvModel: clv.fit.model,
        holdout: model.holdout,
        method:
          'startRuntime in memory (dynalite on its thread, the runs consumer on its thread); profiles seeded by BatchWriteItem (not timed); POST /v1/runs → GET /v1/runs/{id} succeeded, then the same again on unchanged data',
      },
      rows: [
        {
          key: 'resegment.local100kSeconds',
          label: `${customers.toLocaleString('en-US')} customers (${orders.toLocaleString('en-US')} orders) on the local runtime: fit ${fitted === null ? '?' : round(fitted, 1)} s, ${totals.profilesWritten} profiles, ${totals.timelineWritten} timeline entries, ${totals.membershipsWritten} memberships written; ${round(first.coresBusy, 2)} cores busy`,
          value: local100kSeconds,
          unit: 's',
          target: { op: '<=', value: LOCAL_100K_TARGET_SECONDS },
        },
        {
          key: 'resegment.writesPerUnchangedRun',
          label: `items written by a second run on unchanged data (${round(second.seconds, 1)} s)`,
          value: secondTotals.itemsWritten as number,
          unit: '',
          target: { op: '<=', value: 0 },
        },
      ],
    };
  });
}
