import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import { SEARCH_BUCKETS } from '#shared/data/customer-list-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { customerListPk, customerSearchPk } from '#shared/data/keys.ts';
import type { EventCustomer } from '#shared/domain/event.ts';
import { orderEvent } from '#test/support/factories.ts';
import { apiGet, createShopOverHttp, lookup, postGeneric, startTestRuntime } from '#test/support/local-api.ts';
import { type RawResponse, send } from '#test/support/senders.ts';

/**
 * GET /v1/customers without a lookup parameter: a page of the customers from the lists the
 * scheduled run keeps — by last order, total spent or 12-month value, or found by a prefix of a
 * name, email or phone — over HTTP on the local runtime, after a real run.
 */

const SHOP = 'list-shop';
const SECRET = 'list-shop-generic-secret-00001';
const DAY = 86_400_000;

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let apiKey: string;
let otherKey: string;

interface Row {
  customerId: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  totalSpent: { amount: number };
  lastOrderAt: string | null;
  clv: { amount: number } | null;
}

const people: Array<EventCustomer & { orders: Array<{ daysAgo: number; total: number }> }> = [
  {
    externalId: 'generic:1',
    email: 'lan.nguyen@example.com',
    phone: '+84901234567',
    firstName: 'Lan',
    lastName: 'Nguyễn',
    orders: [
      { daysAgo: 300, total: 500_000 },
      { daysAgo: 20, total: 700_000 },
    ],
  },
  {
    externalId: 'generic:2',
    email: 'hoa@example.com',
    phone: '+84912000111',
    firstName: 'Hoa',
    lastName: 'Nguyễn Thị',
    orders: [{ daysAgo: 5, total: 200_000 }],
  },
  {
    externalId: 'generic:3',
    email: 'minh@example.vn',
    firstName: 'Đức Minh',
    lastName: 'Trần',
    orders: [
      { daysAgo: 400, total: 9_000_000 },
      { daysAgo: 200, total: 1_000_000 },
      { daysAgo: 60, total: 3_000_000 },
    ],
  },
  { externalId: 'generic:4', email: 'an@example.com', firstName: 'An', lastName: 'Lê', orders: [{ daysAgo: 90, total: 2_500_000 }] },
  {
    externalId: 'generic:5',
    email: 'bao@example.com',
    firstName: 'Bảo',
    lastName: 'Phạm',
    orders: [
      { daysAgo: 1, total: 100_000 },
      { daysAgo: 30, total: 150_000 },
    ],
  },
];

async function post(events: unknown[]) {
  const res = await postGeneric(runtime, SHOP, SECRET, events);
  expect(res.status, res.text).toBe(202);
  await runtime.idle(60_000);
}

async function runNow() {
  const started = await send(`${runtime.apiUrl}/v1/runs`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(started.status, started.text).toBe(202);
  for (let i = 0; ; i++) {
    const run = await apiGet(runtime, apiKey, `/v1/runs/${started.json.runId}`);
    if (run.json.status === 'succeeded') return run.json;
    if (run.json.status === 'failed' || i > 600) throw new Error(`run ${run.json.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  ({ runtime, db, stop } = await startTestRuntime());
  apiKey = await createShopOverHttp(runtime, {
    shopId: SHOP,
    currency: 'VND',
    locale: 'vi-VN',
    timezone: 'Asia/Ho_Chi_Minh',
    secrets: { generic: SECRET },
  });
  otherKey = await createShopOverHttp(runtime, { shopId: 'list-other' });
  const events = people.flatMap(({ orders, ...customer }, p) =>
    orders.map(({ daysAgo, total }, o) => {
      const at = new Date(Date.now() - daysAgo * DAY).toISOString();
      return orderEvent(SHOP, { orderId: `o-${p}-${o}`, total, createdAt: at, updatedAt: at, lineItems: [] }, customer);
    }),
  );
  await post(events);
  // A customer without an order: listed last by order time and by spend.
  await post([
    {
      eventId: 'no-orders',
      type: 'customer.upserted',
      occurredAt: new Date().toISOString(),
      customer: { externalId: 'generic:6', email: 'window@example.com', firstName: 'Khách', lastName: 'Xem' },
    },
  ]);
  await runNow();
}, 120_000);
afterAll(async () => stop?.());

const list = async (query = '', key = apiKey) => {
  const res = await apiGet(runtime, key, `/v1/customers${query}`);
  expect(res.status, res.text).toBe(200);
  return res.json as { items: Row[]; cursor?: string };
};
const emails = (rows: Row[]) => rows.map((row) => row.email);

describe('the list', () => {
  it('by last order, newest first (the default); customers who never ordered last', async () => {
    const { items, cursor } = await list();
    expect(cursor).toBeUndefined();
    expect(emails(items)).toEqual([
      'bao@example.com',
      'hoa@example.com',
      'lan.nguyen@example.com',
      'minh@example.vn',
      'an@example.com',
      'window@example.com',
    ]);
    expect(items[0]).toMatchObject({
      name: 'Bảo Phạm',
      tier: 'member',
      totalSpent: { amount: 250_000, currency: 'VND' },
      consent: { email: 'unsubscribed' },
    });
    expect(await list('?sort=lastOrderAt')).toEqual({ items });
  });

  it('by total spent and by 12-month value, largest first', async () => {
    const spent = (await list('?sort=totalSpent')).items;
    expect(emails(spent)).toEqual([
      'minh@example.vn',
      'an@example.com',
      'lan.nguyen@example.com',
      'bao@example.com',
      'hoa@example.com',
      'window@example.com',
    ]);
    const byValue = (await list('?sort=clv')).items;
    expect(byValue).toHaveLength(6);
    const values = byValue.map((row) => row.clv?.amount ?? -1);
    // Ordered by the value rounded to 3 significant digits (the list is not rewritten for a smaller drift).
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThanOrEqual((values[i - 1] as number) * 1.005 + 1);
    expect(byValue[5]?.email).toBe('window@example.com');
  });

  it('pages with a cursor to the same rows; a cursor of one sort is refused for another', async () => {
    const all = (await list('?sort=totalSpent')).items;
    const paged: Row[] = [];
    let query = '?sort=totalSpent&limit=2';
    for (let pages = 0; pages < 10; pages++) {
      const page = await list(query);
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items);
      if (!page.cursor) break;
      query = `?sort=totalSpent&limit=2&cursor=${page.cursor}`;
    }
    expect(paged).toEqual(all);
    const first = await list('?sort=totalSpent&limit=2');
    const wrong = await apiGet(runtime, apiKey, `/v1/customers?sort=clv&cursor=${first.cursor}`);
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.field).toBe('cursor');
  });
});

describe('the search', () => {
  it('finds by the start of any word of the name, accents and case ignored', async () => {
    expect(emails((await list('?q=nguyen')).items).sort()).toEqual(['hoa@example.com', 'lan.nguyen@example.com']);
    expect(emails((await list(`?q=${encodeURIComponent('NGUYỄN')}`)).items).sort()).toEqual(['hoa@example.com', 'lan.nguyen@example.com']);
    expect(emails((await list('?q=duc')).items)).toEqual(['minh@example.vn']);
    expect(emails((await list(`?q=${encodeURIComponent('nguyen th')}`)).items)).toEqual(['hoa@example.com']);
    expect((await list('?q=zzz')).items).toEqual([]);
  });

  it('finds by the start of an email address, and by a phone number however it is written', async () => {
    expect(emails((await list('?q=lan.ng')).items)).toEqual(['lan.nguyen@example.com']);
    expect(emails((await list(`?q=${encodeURIComponent('minh@example')}`)).items)).toEqual(['minh@example.vn']);
    expect(emails((await list('?q=0901')).items)).toEqual(['lan.nguyen@example.com']);
    expect(emails((await list(`?q=${encodeURIComponent('+84 912')}`)).items)).toEqual(['hoa@example.com']);
    expect(emails((await list('?q=912000')).items)).toEqual(['hoa@example.com']);
    expect(emails((await list(`?q=${encodeURIComponent('090-123')}`)).items)).toEqual(['lan.nguyen@example.com']);
  });

  it('pages a search; a customer matched by two tokens is one row over all the pages', async () => {
    // "an" starts An's first name and An's email: two entries, one row.
    const page = await list('?q=an&limit=1');
    expect(page.items).toHaveLength(1);
    const rest = await list(`?q=an&limit=10&cursor=${page.cursor}`);
    const found = [...page.items, ...rest.items].map((row) => row.email);
    expect(found).toEqual(['an@example.com']);
  });
});

describe('between runs', () => {
  it('a new customer is not listed until the next run, but a whole email or phone finds them at once', async () => {
    const at = new Date().toISOString();
    await post([
      orderEvent(
        SHOP,
        { orderId: 'new-1', total: 50_000_000, createdAt: at, updatedAt: at, lineItems: [] },
        { externalId: 'generic:7', email: 'moi@example.com', phone: '0933444555', firstName: 'Mới' },
      ),
    ]);
    expect(emails((await list()).items)).not.toContain('moi@example.com');
    expect(emails((await list('?q=moi')).items)).toEqual([]);
    expect(emails((await list(`?q=${encodeURIComponent('moi@example.com')}`)).items)).toEqual(['moi@example.com']);
    expect(emails((await list('?q=0933444555')).items)).toEqual(['moi@example.com']);
    await runNow();
    expect(emails((await list('?sort=totalSpent')).items)[0]).toBe('moi@example.com');
    expect(emails((await list('?q=moi')).items)).toEqual(['moi@example.com']);
  }, 60_000);

  it('an erased customer leaves the lists at once, and no search entry holds their details', async () => {
    const lan = await lookup(runtime, apiKey, 'email', 'lan.nguyen@example.com');
    const erased = await send(`${runtime.apiUrl}/v1/customers/${lan.customerId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(erased.status).toBe(202);
    await runtime.idle(60_000);
    expect(emails((await list()).items)).not.toContain('lan.nguyen@example.com');
    expect((await list('?q=lan')).items).toEqual([]);
    const entries: string[] = [];
    for (const pk of [...SEARCH_BUCKETS.map((bucket) => customerSearchPk(SHOP, bucket)), customerListPk(SHOP, 'totalSpent')]) {
      const { Items } = await db.client.send(
        new QueryCommand({ TableName: db.table, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': pk } }),
      );
      entries.push(...(Items ?? []).map((item) => String(item.SK)));
    }
    expect(entries.filter((sk) => sk.endsWith(lan.customerId))).toEqual([]);
    expect(entries.some((sk) => sk.startsWith('lan'))).toBe(false);
    // The next run does not list them again.
    await runNow();
    expect(emails((await list()).items)).not.toContain(null);
    expect((await list()).items.map((row) => row.customerId)).not.toContain(lan.customerId);
  }, 60_000);
});

describe('the lookup and bad input', () => {
  it('keeps the lookup as it was: one parameter, the full profile', async () => {
    const found = await apiGet(runtime, apiKey, '/v1/customers?email=hoa@example.com');
    expect(found.json.items).toHaveLength(1);
    expect(found.json.items[0]).toMatchObject({ email: 'hoa@example.com', spendByMonth: expect.any(Object), externalIds: ['generic:2'] });
    expect((await apiGet(runtime, apiKey, '/v1/customers?email=nobody@example.com')).json).toEqual({ items: [] });
    const bad = await apiGet(runtime, apiKey, '/v1/customers?email=not-an-email');
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('email');
    const two = await apiGet(runtime, apiKey, '/v1/customers?email=hoa@example.com&phone=0912000111');
    expect(two.status).toBe(400);
  });

  it('answers bad input with 400 naming the field; no key 401; another shop lists its own customers', async () => {
    const field = async (query: string, name: string) => {
      const res: RawResponse = await apiGet(runtime, apiKey, `/v1/customers${query}`);
      expect(res.status, query).toBe(400);
      expect(res.json.error.field).toBe(name);
    };
    await field('?sort=name', 'query.sort');
    await field('?sort=clv&q=lan', 'query.sort');
    await field('?limit=0', 'query.limit');
    await field('?limit=101', 'query.limit');
    await field('?q=', 'query.q');
    await field(`?q=${'x'.repeat(101)}`, 'query.q');
    await field('?q=%20%2C%20', 'query.q');
    await field('?cursor=nope', 'cursor');
    expect((await send(`${runtime.apiUrl}/v1/customers`, { method: 'GET' })).status).toBe(401);
    expect((await list('', otherKey)).items).toEqual([]);
  });
});
