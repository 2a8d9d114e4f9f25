import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Runtime } from '#infra/local/runtime.ts';
import type { Db } from '#shared/data/db.ts';
import { putEmailLogEntry } from '#shared/data/email-log-repo.ts';
import { aCustomer, orderEvent } from '#test/support/factories.ts';
import { apiGet, createShopOverHttp, lookup, postGeneric, startTestRuntime } from '#test/support/local-api.ts';
import { type RawResponse, send } from '#test/support/senders.ts';

/**
 * GET /v1/emails over HTTP: what the email stage did with each trigger — sent, skipped with the
 * reason, bounced when SES says so — newest first, filtered, paged across the months it keeps.
 */

const SHOP = 'email-log-shop';
const SECRET = 'email-log-generic-secret-00001';
const DAY = 86_400_000;

let runtime: Runtime;
let db: Db;
let stop: () => Promise<void>;
let apiKey: string;
let otherKey: string;

async function post(events: unknown[]) {
  const res = await postGeneric(runtime, SHOP, SECRET, events);
  expect(res.status, res.text).toBe(202);
  await runtime.idle(60_000);
}

const recent = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

beforeAll(async () => {
  ({ runtime, db, stop } = await startTestRuntime());
  apiKey = await createShopOverHttp(runtime, {
    shopId: SHOP,
    currency: 'VND',
    locale: 'vi-VN',
    timezone: 'Asia/Ho_Chi_Minh',
    secrets: { generic: SECRET },
  });
  otherKey = await createShopOverHttp(runtime, { shopId: 'email-log-other' });
  const lan = aCustomer({ externalId: 'generic:lan', email: 'lan@example.com', acceptsEmailMarketing: true });
  const hoa = aCustomer({ externalId: 'generic:hoa', email: 'hoa@example.com' });
  // Lan is welcomed (she said yes); Hoa reaches silver on her third order, a tier-up she never agreed to hear about.
  await post([orderEvent(SHOP, { orderId: 'lan-1', createdAt: recent(30), updatedAt: recent(30) }, lan)]);
  for (const n of [1, 2, 3]) {
    await post([orderEvent(SHOP, { orderId: `hoa-${n}`, createdAt: recent(20 - n), updatedAt: recent(20 - n) }, hoa)]);
  }
});
afterAll(async () => stop?.());

const log = (query = '', key = apiKey) => apiGet(runtime, key, `/v1/emails${query}`);
type Entry = { at: string; sendId: string; customerId: string; trigger: string; status: string; reason?: string; feedbackAt?: string };

it('lists every outcome newest first: sent, and skipped with the reason; no address, no name', async () => {
  const res = await log();
  expect(res.status).toBe(200);
  const items = res.json.items as Entry[];
  expect(res.json.cursor).toBeUndefined();
  const lanId = (await lookup(runtime, apiKey, 'email', 'lan@example.com')).customerId;
  const hoaId = (await lookup(runtime, apiKey, 'email', 'hoa@example.com')).customerId;
  expect(items).toContainEqual(
    expect.objectContaining({ customerId: lanId, trigger: 'welcome', status: 'sent', locale: expect.any(String) }),
  );
  expect(items).toContainEqual(
    expect.objectContaining({ customerId: hoaId, trigger: 'tier_up', status: 'skipped', reason: 'unsubscribed' }),
  );
  expect(items.map((item) => item.at)).toEqual(
    items
      .map((item) => item.at)
      .sort()
      .reverse(),
  );
  expect(new Set(items.map((item) => item.sendId)).size).toBe(items.length);
  expect(res.text).not.toMatch(/@example\.com|Nguyen/);
  // Another shop sees its own log.
  expect((await log('', otherKey)).json.items).toEqual([]);
});

it('filters by trigger and status, and pages with a cursor to the same entries', async () => {
  const all = (await log()).json.items as Entry[];
  const skipped = (await log('?status=skipped')).json.items as Entry[];
  expect(skipped.length).toBeGreaterThan(0);
  expect(skipped).toEqual(all.filter((item) => item.status === 'skipped'));
  const welcome = (await log('?trigger=welcome&status=sent')).json.items as Entry[];
  expect(welcome).toEqual(all.filter((item) => item.trigger === 'welcome' && item.status === 'sent'));
  const paged: Entry[] = [];
  let query = '?limit=1';
  for (let pages = 0; pages < 50; pages++) {
    const res = await log(query);
    paged.push(...(res.json.items as Entry[]));
    if (!res.json.cursor) break;
    query = `?limit=1&cursor=${res.json.cursor}`;
  }
  expect(paged).toEqual(all);
});

it('shows a send SES reported bounced', async () => {
  const lanId = (await lookup(runtime, apiKey, 'email', 'lan@example.com')).customerId;
  const timeline = (await apiGet(runtime, apiKey, `/v1/customers/${lanId}/timeline?limit=100`)).json.items as Array<
    Record<string, unknown>
  >;
  const sent = timeline.find((entry) => entry.type === 'email' && entry.status === 'sent') as { messageId: string };
  const sample = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/ses/notification_bounce_without_dsn.json'), 'utf8'));
  sample.mail.messageId = sent.messageId;
  sample.bounce.bouncedRecipients = [{ emailAddress: 'lan@example.com' }];
  sample.mail.destination = ['lan@example.com'];
  expect((await send(`${runtime.apiUrl}/_local/sns/sesFeedback`, { body: JSON.stringify(sample) })).status).toBe(200);
  const bounced = (await log('?status=bounced')).json.items as Entry[];
  expect(bounced).toEqual([
    expect.objectContaining({ customerId: lanId, trigger: 'welcome', status: 'bounced', feedbackAt: expect.any(String) }),
  ]);
  expect(((await log('?status=sent')).json.items as Entry[]).some((item) => item.customerId === lanId && item.trigger === 'welcome')).toBe(
    false,
  );
});

it('reads across the months it keeps, newest month first, and nothing older than 90 days', async () => {
  const entry = (daysAgo: number, n: number) => ({
    at: new Date(Date.now() - daysAgo * DAY).toISOString(),
    sendId: `s${String(n).padStart(3, '0')}`,
    customerId: 'c_00000000000000000001',
    trigger: 'birthday',
    status: 'skipped' as const,
    reason: 'no_consent',
  });
  const older = [entry(35, 1), entry(62, 2), entry(89, 3)];
  for (const e of [...older, entry(200, 4)]) await putEmailLogEntry(db, SHOP, e);
  const birthdays: Entry[] = [];
  let query = '?trigger=birthday&limit=2';
  for (let pages = 0; pages < 20; pages++) {
    const res = await log(query);
    birthdays.push(...(res.json.items as Entry[]));
    if (!res.json.cursor) break;
    query = `?trigger=birthday&limit=2&cursor=${res.json.cursor}`;
  }
  expect(birthdays.map((item) => item.sendId)).toEqual(['s001', 's002', 's003']);
});

it('answers bad input with 400 naming the field, and 401 without a key', async () => {
  const field = async (res: Promise<RawResponse>, name: string) => {
    const answer = await res;
    expect(answer.status).toBe(400);
    expect(answer.json.error.field).toBe(name);
  };
  await field(log('?status=opened'), 'query.status');
  await field(log('?trigger=spam'), 'query.trigger');
  await field(log('?limit=0'), 'query.limit');
  await field(log('?limit=101'), 'query.limit');
  await field(log('?cursor=abc'), 'cursor');
  await field(log(`?cursor=${Buffer.from(JSON.stringify({ m: '2001-01' })).toString('base64url')}`), 'cursor');
  expect((await send(`${runtime.apiUrl}/v1/emails`, { method: 'GET' })).status).toBe(401);
});
