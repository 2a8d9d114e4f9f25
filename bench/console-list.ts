import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '#infra/local/emulators.ts';
import { seededRandom } from '#shared/analytics/numeric.ts';
import { CUSTOMER_LIST_SORTS, listEntryKeys } from '#shared/data/customer-list-repo.ts';
import { profileIndexKeys, profileKey } from '#shared/data/keys.ts';
import { historyAttributes } from '#shared/data/profile-history.ts';
import { listedAttributes, profileOf } from '#shared/data/profile-item.ts';
import { historyFromSummaries } from '#shared/domain/history.ts';
import type { OrderSummary } from '#shared/domain/order.ts';
import { searchTokensOf } from '#shared/domain/search.ts';
import { listedValuesOf } from '#shared/use-cases/list-customers.ts';
import { expectJson, withLocalShop } from './local-shop.ts';
import type { BenchResult, Row } from './report.ts';
import { percentile, round } from './stats.ts';

/**
 * The console's customer list (GET /v1/customers?sort=&q=) for a shop of 100,000 customers on the
 * local runtime, over HTTP with the shop's key (so the key check and the erasure marker are in the
 * figure): p95 per sort — first pages and pages a few cursors deep — and for searches by a name's,
 * an email's and a phone number's first characters.
 *
 * Seeding writes directly (BatchWriteItem, not timed, not through the processor): each profile as
 * the processor leaves it plus the list and search entries the scheduled run writes for it, built
 * by the run's own functions (listedValuesOf, listEntryKeys), so the lists are what a run leaves.
 */

export const CUSTOMER_LIST_P95_TARGET_MS = 300;
const SHOP_ID = 'bench-console';
const DAY_S = 86_400;
const REQUESTS = 200;

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý'];
const MIDDLE = ['Văn', 'Thị', 'Minh', 'Ngọc', 'Đức', 'Thanh', 'Hữu', 'Quốc'];
const GIVEN = [
  'An',
  'Bảo',
  'Châu',
  'Dũng',
  'Giang',
  'Hà',
  'Hải',
  'Hạnh',
  'Hiếu',
  'Hoa',
  'Hùng',
  'Khánh',
  'Lan',
  'Linh',
  'Long',
  'Mai',
  'Nam',
  'Nga',
  'Nhung',
  'Phúc',
  'Quân',
  'Quỳnh',
  'Sơn',
  'Tâm',
  'Thảo',
  'Trang',
  'Tuấn',
  'Vy',
  'Yến',
];

const pick = <T>(rand: () => number, list: readonly T[]) => list[Math.floor(rand() * list.length)] as T;

/** One customer as the processor and then the run leave them: profile (with `lk`) and list entries. */
function customerItems(n: number, rand: () => number, asOf: number) {
  const customerId = `c_${n.toString(16).padStart(20, '0')}`;
  const firstName = `${pick(rand, MIDDLE)} ${pick(rand, GIVEN)}`;
  const lastName = pick(rand, FAMILY);
  const created = asOf - Math.floor(rand() * 900) * DAY_S;
  const contact = {
    firstName,
    lastName,
    email: `khach${n}@example.com`,
    ...(rand() < 0.7 ? { phone: `+849${String(10_000_000 + Math.floor(rand() * 89_999_999))}` } : {}),
  };
  const summaries = new Map<string, OrderSummary>();
  const orders = rand() < 0.85 ? 1 + Math.floor(rand() * 4) : 0;
  for (let k = 0; k < orders; k++) {
    const total = 50_000 + Math.floor(rand() * 60) * 25_000;
    summaries.set(`${n}-${k}`, {
      q: 1,
      s: 'paid',
      t: total,
      r: 0,
      c: created + Math.floor(rand() * (asOf - created)) + 60,
      k: { Tea: total },
      p: ['sku-1'],
    });
  }
  const { history } = historyFromSummaries(summaries, new Date(asOf * 1000));
  const clv =
    orders > 0 ? { pAlive: 0.5, expectedPurchases12m: 1.2, expectedValue12m: Math.floor(rand() * 5_000_000), model: 'bgnbd+gg' } : null;
  const item: Record<string, unknown> = {
    ...profileKey(SHOP_ID, customerId),
    ...profileIndexKeys(SHOP_ID, customerId),
    ...contact,
    consentEmail: rand() < 0.6 ? 'subscribed' : 'unsubscribed',
    tier: 'member',
    pointsBalance: Math.floor(rand() * 500),
    pv: orders + 1,
    createdAt: new Date(created * 1000).toISOString(),
    ...historyAttributes(history),
    ...(clv ? { clv, rfm: { r: 3, f: 2, m: 3, segment: 'Potential Loyalist' } } : {}),
  };
  const listed = listedValuesOf(profileOf(item), clv?.expectedValue12m);
  return {
    items: [{ ...item, ...listedAttributes(listed) }, ...listEntryKeys(SHOP_ID, customerId, listed)],
    tokens: searchTokensOf(contact),
  };
}

export async function benchConsoleList(opts: { customers?: number } = {}): Promise<BenchResult> {
  const customers = opts.customers ?? Number(process.env.CONSOLE_LIST_CUSTOMERS ?? 100_000);
  return withLocalShop({ shopId: SHOP_ID }, async ({ runtime, apiKey }) => {
    const client = DynamoDBDocumentClient.from(dynamoClient(runtime.endpoints.dynamodb));
    const seedStart = Date.now();
    const rand = seededRandom(12);
    const asOf = Math.floor(Date.now() / 1000);
    const batches: Record<string, unknown>[][] = [];
    const tokenSample: string[] = [];
    let items = 0;
    for (let n = 0; n < customers; n++) {
      const customer = customerItems(n, rand, asOf);
      if (n % 97 === 0) tokenSample.push(...customer.tokens);
      for (const written of customer.items) {
        if ((batches[batches.length - 1]?.length ?? 25) >= 25) batches.push([]);
        batches[batches.length - 1]?.push(written);
        items++;
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

    const auth = { authorization: `Bearer ${apiKey}` };
    const timed = async (query: string) => {
      const started = performance.now();
      const answer = await expectJson(
        await fetch(`${runtime.apiUrl}/v1/customers?${query}`, { headers: auth }),
        200,
        `GET /v1/customers?${query}`,
      );
      return { ms: performance.now() - started, answer: answer as { items: unknown[]; cursor?: string } };
    };
    // Warm the functions and the emulator's caches as a console session would.
    for (const sort of CUSTOMER_LIST_SORTS) await timed(`sort=${sort}`);

    const byList: Record<string, number[]> = {};
    let rowsSeen = 0;
    for (const sort of CUSTOMER_LIST_SORTS) {
      const samples: number[] = [];
      // A first page, then up to 4 pages deeper by the cursor, again and again: what paging a table does.
      while (samples.length < REQUESTS) {
        let cursor: string | undefined;
        for (let depth = 0; depth < 5 && samples.length < REQUESTS; depth++) {
          const { ms, answer } = await timed(`sort=${sort}&limit=50${cursor ? `&cursor=${cursor}` : ''}`);
          samples.push(ms);
          rowsSeen += answer.items.length;
          cursor = answer.cursor;
          if (!cursor) break;
        }
      }
      byList[sort] = samples;
    }
    const search: number[] = [];
    const queryRand = seededRandom(34);
    let found = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const token = pick(queryRand, tokenSample);
      const typed = token.slice(0, 2 + Math.floor(queryRand() * 4));
      const { ms, answer } = await timed(`q=${encodeURIComponent(typed)}&limit=25`);
      search.push(ms);
      found += answer.items.length;
    }
    byList.search = search;

    const p95 = Object.fromEntries(Object.entries(byList).map(([list, samples]) => [list, round(percentile(samples, 95), 1)]));
    const p50 = Object.fromEntries(Object.entries(byList).map(([list, samples]) => [list, round(percentile(samples, 50), 1)]));
    const worst = Math.max(...Object.values(p95));
    const rows: Row[] = [
      {
        key: 'console.customerListP95Ms',
        label: `GET /v1/customers on ${customers.toLocaleString('en-US')} customers, worst p95 of the three sorts and the search`,
        value: worst,
        unit: 'ms',
        target: { op: '<=', value: CUSTOMER_LIST_P95_TARGET_MS },
      },
      ...Object.entries(p95).map(([list, value]) => ({
        key: `console.customerList.p95Ms.${list}`,
        label:
          list === 'search'
            ? `search by 2–5 first characters, limit 25 (p50 ${p50[list]} ms)`
            : `sort=${list}, limit 50, pages 1–5 (p50 ${p50[list]} ms)`,
        value,
        unit: 'ms',
      })),
    ];
    return {
      figures: {
        customerListP95Ms: worst,
        customerList: {
          customers,
          itemsSeeded: items,
          seedSeconds: round(seedSeconds, 1),
          requestsPerList: REQUESTS,
          p95Ms: p95,
          p50Ms: p50,
          rowsPerSortPage: round(rowsSeen / (REQUESTS * CUSTOMER_LIST_SORTS.length), 1),
          rowsPerSearch: round(found / REQUESTS, 1),
          method:
            'startRuntime in memory (dynalite on its thread); profiles and the list and search entries the run writes seeded by BatchWriteItem (not timed); sequential GETs over HTTP with the shop key: per sort, a first page and up to 4 deeper by the cursor (limit 50); searches by 2–5 first characters of a sampled name, email or phone token (limit 25)',
        },
      },
      rows,
      notes: [
        'console.customerList: each page is one Query of the list (or search) partition and one BatchGetItem of its profiles, plus the key check (the shop record and its erasure marker, read side by side).',
      ],
    };
  });
}
