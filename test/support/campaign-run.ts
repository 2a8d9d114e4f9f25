import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '#infra/local/emulators.ts';
import type { RuntimeFile } from '#infra/local/runtime.ts';
import { emailSendKey, profileIndexKeys, profileKey, segmentMemberKey, suppressionKey } from '#shared/data/keys.ts';
import { historyAttributes } from '#shared/data/profile-history.ts';
import { sha256Hex } from '#shared/domain/crypto.ts';
import { historyFromSummaries } from '#shared/domain/history.ts';
import { SEND_ID_HEADER } from '#shared/email/mime.ts';
import { sendId } from '#shared/email/rules.ts';
import { freePort, type LocalProcess, type ProcessId, startLocalProcess, waitFor } from '#test/e2e/local-process.ts';
import { mimeHeader, startSesCapture } from '#test/support/ses-capture.ts';

/**
 * A campaign to a segment of many customers on `npm start` (the local runtime as a process, its
 * SES behind the capture proxy, which outlives the runtime), optionally SIGKILLed mid-campaign and
 * restarted on the same data directory. The customers are seeded straight into the table (profiles
 * as the processor leaves them, the segment's members as the run writes them, a few suppressed
 * addresses): 90 % subscribed, of whom 1 in 50 at the weekly cap and 1 in 100 suppressed; 5 %
 * unsubscribed, 5 % who never said. What each should get is known, so the mail SES took and the
 * send records say whether anyone was lost or written to twice.
 * Used by test/e2e/campaign-crash.test.ts and `npm run bench -- campaign`.
 */

export interface CampaignRunOptions {
  customers: number;
  /** SIGKILL the runtime once SES took this many of the campaign's emails; none: no crash. */
  killAfterSent?: number;
}

export interface CampaignRunFigures {
  customers: number;
  eligible: number;
  /** Eligible customers SES took exactly one email for. */
  deliveredOnce: number;
  /** Eligible customers with no email and no send record saying why: lost. */
  lost: number;
  /** Customers SES took more than one email of the campaign for. */
  doubles: number;
  /** Emails to customers who should get none. */
  unwanted: number;
  /**
   * Eligible customers whose send was cut by the kill between the record `sending` and SES's
   * answer: recorded `send_outcome_unknown` (the email stage sends at most once), with or without a mail.
   */
  inDoubt: number;
  /** Ineligible customers whose skip record has the reason expected. */
  skipsAsExpected: number;
  ineligible: number;
  /** The campaign's results as GET /v1/campaigns/{id} gives them at the end. */
  results: { sent: number; skipped: Record<string, number> };
  restored: number;
  seedSeconds: number;
  /** From the schedule call to the last email, crash and restart included. */
  sendSeconds: number;
  emailsPerSecond: number;
}

const SHOP = 'campaign-scale';
const admin = { authorization: 'Bearer e2e-admin-key-123', 'content-type': 'application/json' };
const ADDRESS = '12 Hàng Bạc, Hoàn Kiếm, Hà Nội';

type Kind = 'eligible' | 'capped' | 'suppressed' | 'unsubscribed' | 'no_consent';
const kindOf = (n: number): Kind =>
  n % 20 === 7 ? 'unsubscribed' : n % 20 === 13 ? 'no_consent' : n % 50 === 3 ? 'capped' : n % 100 === 11 ? 'suppressed' : 'eligible';
const REASON: Record<Exclude<Kind, 'eligible'>, string> = {
  capped: 'frequency_cap',
  suppressed: 'suppressed',
  unsubscribed: 'unsubscribed',
  // A customer who never said counts as unsubscribed (profileView: no acceptsEmailMarketing, no marketing).
  no_consent: 'unsubscribed',
};
const idOf = (n: number) => `c_${(0xca000000 + n).toString(16).padStart(20, '0')}`;

async function json(res: Response, status: number, what: string) {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function seed(file: RuntimeFile, customers: number) {
  const client = DynamoDBDocumentClient.from(dynamoClient(file.endpoints.dynamodb), { marshallOptions: { removeUndefinedValues: true } });
  const now = new Date();
  const history = historyAttributes(historyFromSummaries(new Map(), now).history);
  const recent = Array.from({ length: 3 }, (_, i) => new Date(now.getTime() - (i + 1) * 3_600_000).toISOString());
  const items: Record<string, unknown>[] = [];
  for (let n = 0; n < customers; n++) {
    const customerId = idOf(n);
    const kind = kindOf(n);
    const email = `khach${n}@example.vn`;
    items.push({
      ...profileKey(SHOP, customerId),
      ...profileIndexKeys(SHOP, customerId),
      firstName: n % 2 === 0 ? 'Lan' : 'Minh',
      email,
      locale: n % 3 === 0 ? 'en-US' : 'vi-VN',
      ...(kind === 'no_consent' ? {} : { consentEmail: kind === 'unsubscribed' ? 'unsubscribed' : 'subscribed' }),
      ...(kind === 'capped' ? { em: recent } : {}),
      pv: 1,
      createdAt: now.toISOString(),
      ...history,
    });
    items.push({ ...segmentMemberKey(SHOP, 'rfm:champions', customerId), since: now.toISOString() });
    if (kind === 'suppressed') items.push({ ...suppressionKey(sha256Hex(email)), kind: 'bounce', at: now.toISOString() });
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < items.length) {
        const start = next;
        next += 25;
        let requests = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
        while (requests.length > 0) {
          const { UnprocessedItems } = await client.send(new BatchWriteCommand({ RequestItems: { [file.tableName]: requests } }));
          requests = (UnprocessedItems?.[file.tableName] ?? []) as typeof requests;
        }
      }
    }),
  );
  client.destroy();
}

/** The send records of the campaign, by customer: status and reason. */
async function sendRecords(file: RuntimeFile, customers: number, key: string) {
  const client = DynamoDBDocumentClient.from(dynamoClient(file.endpoints.dynamodb));
  const records = new Map<string, { status: string; reason?: string }>();
  for (let start = 0; start < customers; start += 100) {
    let keys = Array.from({ length: Math.min(100, customers - start) }, (_, i) => {
      const customerId = idOf(start + i);
      return emailSendKey(SHOP, customerId, sendId(SHOP, customerId, key));
    });
    while (keys.length > 0) {
      const { Responses, UnprocessedKeys } = await client.send(
        new BatchGetCommand({ RequestItems: { [file.tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of Responses?.[file.tableName] ?? []) {
        records.set(String(item.PK).slice(String(item.PK).lastIndexOf('#C#') + 3), { status: item.status, reason: item.reason });
      }
      keys = (UnprocessedKeys?.[file.tableName]?.Keys ?? []) as typeof keys;
    }
  }
  client.destroy();
  return records;
}

export async function runCampaignAtScale(opts: CampaignRunOptions): Promise<CampaignRunFigures> {
  const { customers } = opts;
  const ses = await startSesCapture();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'rapport-campaign-'));
  const started: Array<{ app: LocalProcess; tree: ProcessId[] }> = [];
  const start = async () => {
    const app = startLocalProcess({
      via: 'npm',
      port,
      dataDir,
      // Unpaced: the figure is what the local email stage sends, not the pacing a shop would set.
      env: { RAPPORT_SES_ENDPOINT: ses.url, RAPPORT_CAMPAIGN_RATE: '100000' },
    });
    const entry = { app, tree: [] as ProcessId[] };
    started.push(entry);
    const api = await app.ready();
    entry.tree = app.tree();
    const file = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as RuntimeFile;
    return { app, api, entry, file };
  };
  try {
    let runtime = await start();
    const created = await json(
      await fetch(`${runtime.api}/admin/shops`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ shopId: SHOP, name: 'Trà Việt', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' }),
      }),
      201,
      'creating the shop',
    );
    const auth = { authorization: `Bearer ${created.apiKey}`, 'content-type': 'application/json' };
    const api = (path: string, method = 'GET', body?: unknown) =>
      fetch(`${runtime.api}${path}`, { method, headers: auth, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    await json(await api('/v1/shop', 'PATCH', { brand: { address: ADDRESS } }), 200, 'the brand');
    const program = (await json(await api('/v1/program'), 200, 'the program')) as { version: number; program: { email: object } };
    await json(
      await api('/v1/program', 'PUT', {
        version: program.version,
        program: { ...program.program, email: { ...program.program.email, maxMarketingPerWeek: 3 } },
      }),
      200,
      'the weekly cap',
    );
    const seedStart = Date.now();
    await seed(runtime.file, customers);
    const seedSeconds = (Date.now() - seedStart) / 1000;

    const campaign = await json(
      await api('/v1/campaigns', 'POST', {
        name: 'Tết',
        audience: { kind: 'segment', segmentId: 'rfm:champions' },
        message: {
          subject: { vi: '{{ customer.first_name }} ơi, chúc mừng năm mới', en: 'Happy New Year, {{ customer.first_name }}' },
          body: { vi: '<p>Chúc mừng năm mới từ {{ shop.name }}!</p>', en: '<p>Happy New Year from {{ shop.name }}!</p>' },
        },
      }),
      201,
      'the campaign',
    );
    const id = campaign.campaignId as string;
    const key = `campaign:${id}`;
    const sendStart = Date.now();
    await json(await api(`/v1/campaigns/${id}/schedule`, 'POST', { now: true }), 200, 'scheduling');

    let restored = 0;
    if (opts.killAfterSent !== undefined) {
      const killAfter = opts.killAfterSent;
      await waitFor('the campaign half sent', async () => (ses.captured.length >= killAfter ? true : undefined), 600_000);
      await runtime.app.kill(runtime.entry.tree);
      started.splice(0, 1);
      runtime = await start();
      restored = [...runtime.app.output().matchAll(/queue journal: (\d+) message\(s\) back on/g)].reduce((n, m) => n + Number(m[1]), 0);
    }
    // Until the campaign is sent and every queue is empty twice in a row (a send in doubt waits 2 minutes).
    let quiet = 0;
    let lastMail = Date.now();
    let seen = ses.captured.length;
    await waitFor(
      'the campaign to finish',
      async () => {
        if (ses.captured.length !== seen) {
          seen = ses.captured.length;
          lastMail = Date.now();
        }
        const status = (await json(await api(`/v1/campaigns/${id}`), 200, 'the campaign')).status;
        const health = (await (await fetch(`${runtime.api}/health`)).json()) as {
          queues?: Record<string, { visible: number; inFlight: number; delayed: number }>;
        };
        const queued = Object.values(health.queues ?? {}).reduce((n, q) => n + q.visible + q.inFlight + q.delayed, 0);
        quiet = status === 'sent' && queued === 0 ? quiet + 1 : 0;
        return quiet >= 2 ? true : undefined;
      },
      900_000,
    );
    const sendSeconds = (lastMail - sendStart) / 1000;

    const mails = new Map<string, number>();
    for (const mail of ses.captured) {
      const sent = mimeHeader(mail.raw, SEND_ID_HEADER);
      if (sent) mails.set(sent, (mails.get(sent) ?? 0) + 1);
    }
    const records = await sendRecords(runtime.file, customers, key);
    const figures = { deliveredOnce: 0, lost: 0, doubles: 0, unwanted: 0, inDoubt: 0, skipsAsExpected: 0, eligible: 0, ineligible: 0 };
    for (let n = 0; n < customers; n++) {
      const customerId = idOf(n);
      const kind = kindOf(n);
      const count = mails.get(sendId(SHOP, customerId, key)) ?? 0;
      const record = records.get(customerId);
      if (count > 1) figures.doubles++;
      if (kind === 'eligible') {
        figures.eligible++;
        if (record?.reason === 'send_outcome_unknown' || record?.status === 'sending') figures.inDoubt++;
        else if (count === 1 && record?.status === 'sent') figures.deliveredOnce++;
        else if (count === 0) figures.lost++;
      } else {
        figures.ineligible++;
        if (count > 0) figures.unwanted++;
        if (record?.status === 'skipped' && record.reason === REASON[kind]) figures.skipsAsExpected++;
      }
    }
    const read = await json(await api(`/v1/campaigns/${id}`), 200, 'the results');
    return {
      customers,
      ...figures,
      results: { sent: read.results.sent, skipped: read.results.skipped },
      restored,
      seedSeconds: Math.round(seedSeconds * 10) / 10,
      sendSeconds: Math.round(sendSeconds * 10) / 10,
      emailsPerSecond: Math.round((figures.deliveredOnce / Math.max(0.001, sendSeconds)) * 10) / 10,
    };
  } finally {
    for (const { app, tree } of started.splice(0)) await app.kill(tree);
    await ses.stop();
    if (process.env.RAPPORT_CRASH_KEEP === '1') process.stderr.write(`campaign run: data kept in ${dataDir}\n`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}
