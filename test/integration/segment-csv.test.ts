import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import { parseCsv } from '#shared/analytics/csv.ts';
import { type Db, writeBatch } from '#shared/data/db.ts';
import { profileKey, segmentMemberKey } from '#shared/data/keys.ts';
import { aCustomer, orderEvent } from '#test/support/factories.ts';
import { apiGet, createShopOverHttp, postGeneric, startTestRuntime } from '#test/support/local-api.ts';
import { type RawResponse, send } from '#test/support/senders.ts';

/**
 * GET /v1/segments/{id}/customers?format=csv over HTTP: members of a real run as an audience file,
 * RFC 4180 quoting of hostile names, the formula guard, and cursor pages that concatenate into one
 * file.
 */

const SHOP = 'csv-shop';
const SECRET = 'csv-shop-generic-secret-000001';
const HEADER = 'customer_id,name,email,phone,tier,points,rfm_segment,clv_12m,currency,consent_email';

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let apiKey: string;
let otherKey: string;

beforeAll(async () => {
  ({ runtime, db, stop } = await startTestRuntime());
  apiKey = await createShopOverHttp(runtime, {
    shopId: SHOP,
    currency: 'VND',
    locale: 'vi-VN',
    timezone: 'Asia/Ho_Chi_Minh',
    secrets: { generic: SECRET },
  });
  otherKey = await createShopOverHttp(runtime, { shopId: 'csv-other' });
  const customers = [
    aCustomer({
      externalId: 'generic:1',
      email: 'lan@example.com',
      phone: '+84901234567',
      firstName: '=HYPERLINK("http://evil.example","click")',
      lastName: 'Lan',
    }),
    aCustomer({
      externalId: 'generic:2',
      email: 'hoa@example.com',
      firstName: 'Nguyễn, "Bé"',
      lastName: 'Hoa\r\nThị',
      acceptsEmailMarketing: true,
    }),
    aCustomer({ externalId: 'generic:3', email: 'sum@example.com', firstName: '@SUM(1+1)', lastName: '-2+3' }),
  ];
  const events = customers.map((customer, i) => orderEvent(SHOP, { orderId: `csv-${i}`, total: 1_000_000 * (i + 1) }, customer));
  const posted = await postGeneric(runtime, SHOP, SECRET, events);
  expect(posted.status).toBe(202);
  await runtime.idle();
  const started = await send(`${runtime.apiUrl}/v1/runs`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(started.status).toBe(202);
  for (let i = 0; ; i++) {
    const run = await apiGet(runtime, apiKey, `/v1/runs/${started.json.runId}`);
    if (run.json.status === 'succeeded') break;
    if (run.json.status === 'failed' || i > 300) throw new Error(`run ${run.json.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});
afterAll(async () => stop?.());

const csv = (segmentId: string, query = '', key = apiKey) => apiGet(runtime, key, `/v1/segments/${segmentId}/customers?format=csv${query}`);
const nextCursor = async (segmentId: string, query: string) => {
  const res = await fetch(`${runtime.apiUrl}/v1/segments/${segmentId}/customers?format=csv${query}`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  // As bytes: a Response's text() would drop the byte order mark this test looks for.
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
  return { text, cursor: res.headers.get('x-next-cursor'), link: res.headers.get('link'), res };
};

it('answers the members of a segment as a spreadsheet-safe RFC 4180 file', async () => {
  const { text, cursor, res } = await nextCursor('tier:member', '');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  expect(res.headers.get('content-disposition')).toBe('attachment; filename="tier-member.csv"');
  expect(cursor).toBeNull();
  expect(text.startsWith(`\uFEFF${HEADER}\r\n`)).toBe(true);
  expect(text.endsWith('\r\n')).toBe(true);
  const [header, ...rows] = parseCsv(text.slice(1)) as string[][];
  expect(header?.join(',')).toBe(HEADER);
  expect(rows).toHaveLength(3);
  const byEmail = new Map(rows.map((row) => [row[2], row]));
  const lan = byEmail.get('lan@example.com') as string[];
  expect(lan[0]).toMatch(/^c_[0-9a-f]{20}$/);
  // The formula guard: a leading = + - @ is prefixed with a quote, so the cell is text.
  expect(lan[1]).toBe(`'=HYPERLINK("http://evil.example","click") Lan`);
  expect(lan[3]).toBe(`'+84901234567`);
  expect(lan.slice(4, 6)).toEqual(['member', expect.stringMatching(/^\d+$/)]);
  expect(lan[8]).toBe('VND');
  expect(lan[9]).toBe('unsubscribed');
  // A comma, quotes and a line break survive quoting intact.
  expect(byEmail.get('hoa@example.com')?.[1]).toBe('Nguyễn, "Bé" Hoa\r\nThị');
  expect(byEmail.get('hoa@example.com')?.[9]).toBe('subscribed');
  expect(text).toContain('"Nguyễn, ""Bé"" Hoa\r\nThị"');
  expect(byEmail.get('sum@example.com')?.[1]).toBe(`'@SUM(1+1) -2+3`);
  // The run scored them: an RFM segment and a 12-month value in currency units (VND has none after the point).
  for (const row of rows) {
    expect(row[6]).not.toBe('');
    expect(row[7]).toMatch(/^\d+$/);
  }
});

it('pages a big segment: at most `limit` rows each, header on the first only, pages concatenate into the whole', async () => {
  const ids = Array.from({ length: 250 }, (_, n) => `c_${n.toString(16).padStart(20, '0')}`);
  await writeBatch(db, [
    ...ids.map((customerId, n) => ({
      PutRequest: {
        Item: {
          ...profileKey(SHOP, customerId),
          email: `bulk${n}@example.com`,
          firstName: `Khách ${n}`,
          createdAt: '2026-01-01T00:00:00.000Z',
        },
      },
    })),
    ...ids.map((customerId) => ({
      PutRequest: { Item: { ...segmentMemberKey(SHOP, 'rule:bulk', customerId), since: '2026-01-01T00:00:00.000Z' } },
    })),
  ]);
  // An erased member (between runs) is left out of the file.
  await db.client.send(
    new PutCommand({ TableName: db.table, Item: { ...profileKey(SHOP, ids[7] as string), erasedAt: '2026-02-01T00:00:00.000Z' } }),
  );
  let query = '&limit=100';
  const pages: string[] = [];
  for (;;) {
    const page = await nextCursor('rule:bulk', query);
    expect(page.res.status).toBe(200);
    pages.push(page.text);
    if (!page.cursor) break;
    expect(page.link).toBe(`</v1/segments/rule%3Abulk/customers?format=csv&limit=100&cursor=${page.cursor}>; rel="next"`);
    query = `&limit=100&cursor=${page.cursor}`;
  }
  expect(pages).toHaveLength(3);
  expect(pages[0]?.startsWith(`\uFEFF${HEADER}\r\n`)).toBe(true);
  expect(pages[1]?.startsWith('c_')).toBe(true);
  const [header, ...rows] = parseCsv(pages.join('').slice(1));
  expect(header?.join(',')).toBe(HEADER);
  expect(rows.map((row) => row[0])).toEqual(ids.filter((_, n) => n !== 7));
  expect(rows[0]?.slice(0, 3)).toEqual([ids[0], 'Khách 0', 'bulk0@example.com']);
});

it('answers bad input with 400 naming the field, no key 401; another shop sees its own (empty) segment', async () => {
  const field = async (res: Promise<RawResponse>, name: string) => {
    const answer = await res;
    expect(answer.status).toBe(400);
    expect(answer.json.error.field).toBe(name);
  };
  await field(apiGet(runtime, apiKey, '/v1/segments/tier:member/customers?format=xml'), 'query.format');
  await field(csv('tier:member', '&limit=0'), 'query.limit');
  await field(csv('tier:member', '&limit=1001'), 'query.limit');
  await field(csv('tier:member', '&cursor=bm90LWEtY3VzdG9tZXI'), 'cursor');
  await field(csv('TIER:Member'), 'segmentId');
  expect((await send(`${runtime.apiUrl}/v1/segments/tier:member/customers?format=csv`, { method: 'GET' })).status).toBe(401);
  const other = await csv('tier:member', '', otherKey);
  expect(other.status).toBe(200);
  expect(other.text).toBe(`\uFEFF${HEADER}\r\n`);
  // The JSON page is unchanged.
  const json = await apiGet(runtime, apiKey, '/v1/segments/tier:member/customers');
  expect(json.json.items).toHaveLength(3);
});
