import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeServer, type DynamoEngine, type Emulator, listen, sqsClientFor, startSes } from '#infra/local/emulators.ts';
import { type Runtime, startRuntime } from '#infra/local/runtime.ts';
import { signGeneric } from '#shared/domain/signature.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { apiGet } from '#test/support/local-api.ts';
import { send } from '#test/support/senders.ts';

/**
 * Issue 6's acceptance, end to end on the local runtime: webhooks in, the processor's triggers
 * through the email queue and function, SES (the emulator, behind a capture proxy that keeps the
 * raw MIME the emulator's store re-composes), one-click unsubscribe over HTTP, and SES's bounce
 * sample through the feedback function.
 */

let runtime: Runtime;
let ses: Emulator;
let proxy: Server;
let dataDir: string;
let apiKey: string;
let secret: string;
const SHOP = 'email-e2e';
const LAN = 'lan.nguyen@example.com';

interface Captured {
  raw: string;
  to: string;
  messageId: string;
}
const captured: Captured[] = [];

/** Decodes RFC 2047 encoded words (the subject in UTF-8). */
const decodeWords = (value: string) =>
  value.replace(/=\?utf-8\?([BQ])\?([^?]*)\?=\s*/gi, (_, enc: string, text: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : decodeURIComponent(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, '%$1')),
  );
const header = (raw: string, name: string) => {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  return new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1];
};
/** The decoded body of the MIME part of this content type (quoted-printable or base64). */
function part(raw: string, type: string): string {
  const at = raw.search(new RegExp(`Content-Type: ${type}`, 'i'));
  if (at < 0) return '';
  const rest = raw.slice(at);
  const headEnd = rest.indexOf('\r\n\r\n');
  const head = rest.slice(0, headEnd);
  const body = rest.slice(headEnd + 4, rest.indexOf('\r\n--', headEnd));
  if (/base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return Buffer.from(
    body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
}

const toLan = () => captured.filter((c) => c.to.includes(LAN));

async function postEvents(events: unknown[]) {
  const body = JSON.stringify(events);
  const res = await send(`${runtime.apiUrl}/webhooks/generic/${SHOP}`, {
    headers: { 'content-type': 'application/json', 'x-rapport-signature': signGeneric(secret, body, Math.floor(Date.now() / 1000)) },
    body,
  });
  expect(res.status, res.text).toBe(202);
  await runtime.idle(60_000);
}

const orderEvent = (
  eventId: string,
  email: string,
  orderId: string,
  total: number,
  products: string[],
  extra: Record<string, unknown> = {},
) => {
  const at = new Date(Date.now() - 60_000).toISOString();
  return {
    eventId,
    type: 'order.upserted',
    occurredAt: at,
    customer: { email, ...extra },
    order: {
      orderId,
      status: 'paid',
      currency: 'VND',
      total,
      createdAt: at,
      updatedAt: at,
      lineItems: products.map((productId, i) => ({
        productId,
        title: { tea: 'Trà Ô Long', cup: 'Chén gốm Bát Tràng', pot: 'Ấm tử sa', honey: 'Mật ong rừng' }[productId] ?? productId,
        quantity: 1,
        price: i === 0 ? total - (products.length - 1) * 10_000 : 10_000,
      })),
    },
  };
};

beforeAll(async () => {
  ses = await startSes();
  // The capture proxy: keeps each raw message and SES's answer, then forwards to the emulator.
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const form = new URLSearchParams(body);
      const answer = await fetch(ses.endpoint + (req.url ?? '/'), {
        method: req.method ?? 'POST',
        headers: Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k)),
        ) as Record<string, string>,
        body,
      });
      const text = await answer.text();
      if (form.get('Action') === 'SendRawEmail') {
        const raw = Buffer.from(form.get('RawMessage.Data') ?? '', 'base64').toString('utf8');
        captured.push({ raw, to: header(raw, 'To') ?? '', messageId: /<MessageId>([^<]+)<\/MessageId>/.exec(text)?.[1] ?? '' });
      }
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml' });
      res.end(text);
    });
  });
  const proxyUrl = await listen(proxy, 0, '127.0.0.1');
  process.env.RAPPORT_SES_ENDPOINT = proxyUrl;
  dataDir = mkdtempSync(join(tmpdir(), 'rapport-email-'));
  try {
    runtime = await startRuntime({
      port: 0,
      dataDir,
      dynamodb: (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine,
      batchingWindowSeconds: 0,
      log: () => undefined,
    });
  } finally {
    delete process.env.RAPPORT_SES_ENDPOINT;
  }
  const created = await send(`${runtime.apiUrl}/admin/shops`, {
    headers: { authorization: `Bearer ${runtime.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ shopId: SHOP, name: 'Trà Việt', currency: 'VND', timezone: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' }),
  });
  expect(created.status).toBe(201);
  apiKey = created.json.apiKey as string;
  secret = (created.json.generatedSecrets as { generic: string }).generic;

  // Tiers on spend: Bạc (silver) from 1,000,000 ₫, so a first order of 2,000,000 ₫ crosses it.
  const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const current = (await apiGet(runtime, apiKey, '/v1/program')).json as { version: number; program: Program };
  const program = structuredClone(current.program);
  program.tiers.metric = 'spend';
  const [, silver, gold] = program.tiers.levels;
  if (!silver || !gold) throw new Error('the default program has three tiers');
  silver.threshold = 1_000_000;
  gold.threshold = 5_000_000;
  program.email = { ...program.email, fromAddress: 'loyalty@traviet.example', fromName: 'Trà Việt', replyTo: 'hello@traviet.example' };
  const saved = await send(`${runtime.apiUrl}/v1/program`, {
    method: 'PUT',
    headers: auth,
    body: JSON.stringify({ version: current.version, program }),
  });
  expect(saved.status, saved.text).toBe(200);

  // Other customers' baskets, then a run: co-purchase statistics for the recommendations.
  const baskets = [
    ['tea', 'cup'],
    ['tea', 'cup'],
    ['tea', 'pot'],
    ['tea', 'cup', 'honey'],
    ['cup', 'pot'],
    ['tea', 'cup'],
  ];
  await postEvents(
    baskets.map((products, i) =>
      orderEvent(`seed-event-${i}`, `seed${i}@example.com`, `seed-${i}`, 300_000, products, { acceptsEmailMarketing: false }),
    ),
  );
  const started = await send(`${runtime.apiUrl}/v1/runs`, { headers: { authorization: `Bearer ${apiKey}` }, body: '' });
  expect(started.status).toBe(202);
  await runtime.idle(120_000);
  expect((await apiGet(runtime, apiKey, `/v1/runs/${started.json.runId}`)).json.status).toBe('succeeded');
  expect(captured).toHaveLength(0); // nobody subscribed yet
}, 240_000);

afterAll(async () => {
  await runtime?.stop();
  if (proxy) await closeServer(proxy);
  await ses?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

let customerId: string;
const firstOrder = () =>
  orderEvent('lan-first-order', LAN, 'lan-1', 2_000_000, ['tea'], {
    firstName: 'Lan',
    lastName: 'Nguyễn',
    locale: 'vi-VN',
    acceptsEmailMarketing: true,
  });

it('a subscribed customer’s first paid order, crossing a tier, sends exactly a welcome and a tier-up email, in Vietnamese', async () => {
  await postEvents([firstOrder()]);
  const mails = toLan();
  expect(mails).toHaveLength(2);
  const profile = (await apiGet(runtime, apiKey, `/v1/customers?email=${encodeURIComponent(LAN)}`)).json.items[0];
  customerId = profile.customerId;
  expect(profile).toMatchObject({ tier: 'silver', consent: { email: 'subscribed' } });
  const points = new Intl.NumberFormat('vi-VN').format(profile.points.balance);

  const subjects = mails.map((m) => decodeWords(header(m.raw, 'Subject') ?? ''));
  for (const mail of mails) {
    const html = part(mail.raw, 'text/html');
    const text = part(mail.raw, 'text/plain');
    expect(header(mail.raw, 'List-Unsubscribe')).toMatch(
      /^<http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?token=[^>]+>, <mailto:hello@traviet\.example\?subject=[^>]+>$/,
    );
    expect(header(mail.raw, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(header(mail.raw, 'Content-Type')).toMatch(/multipart\/alternative/);
    expect(decodeWords(header(mail.raw, 'From') ?? '')).toContain('loyalty@traviet.example');
    expect(text.length).toBeGreaterThan(50);
    expect(html).toContain('<html');
    for (const body of [html, text]) {
      expect(body).toContain('Lan');
      expect(body).toContain('Bạc'); // the tier, in Vietnamese
      expect(body).toContain(points);
    }
    // Recommended: what others bought with tea, never the tea she already has.
    expect(html).toContain('Chén gốm Bát Tràng');
    expect(html).not.toContain('Trà Ô Long');
  }
  expect(subjects.join(' | ')).toMatch(/[àáảãạăâđêôơưọốồổỗộớờởỡợùúủũụ]/i);

  const timeline = (await apiGet(runtime, apiKey, `/v1/customers/${customerId}/timeline?limit=100`)).json.items as Array<
    Record<string, unknown>
  >;
  const sent = timeline.filter((e) => e.type === 'email' && e.status === 'sent').map((e) => e.trigger);
  expect(sent.sort()).toEqual(['tier_up', 'welcome']);
  const store = (await (await fetch(`${ses.endpoint}/store`)).json()) as { emails: Array<{ destination: { to: string[] } }> };
  expect(store.emails.filter((e) => e.destination.to.some((to) => to.includes(LAN)))).toHaveLength(2);
});

it('redelivering every message changes nothing', async () => {
  await postEvents([firstOrder()]); // the same webhook again
  const sqs = sqsClientFor(runtime.endpoints.sqs);
  try {
    const at = new Date().toISOString();
    for (const [key, trigger] of [
      ['welcome', 'welcome'],
      [`tier_up:silver:${at.slice(0, 10)}`, 'tier_up'],
    ]) {
      // The email queue's own redelivery: the same trigger record twice more.
      for (let i = 0; i < 2; i++) {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: runtime.queues.email.url,
            MessageBody: JSON.stringify({ shopId: SHOP, customerId, key, trigger, at, data: { to: 'silver' } }),
          }),
        );
      }
    }
  } finally {
    sqs.destroy();
  }
  await runtime.idle(60_000);
  expect(toLan()).toHaveLength(2);
});

it('after a one-click unsubscribe the next marketing email is skipped, and the skip is on the timeline', async () => {
  const link = /<(http[^>]+)>/.exec(header(toLan()[0]!.raw, 'List-Unsubscribe') ?? '')?.[1] as string;
  const res = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect(res.status).toBe(200);
  expect((await apiGet(runtime, apiKey, `/v1/customers/${customerId}`)).json.consent.email).toBe('unsubscribed');

  // Gold at 5,000,000 ₫: a tier-up, which is marketing.
  await postEvents([orderEvent('lan-second-order', LAN, 'lan-2', 3_500_000, ['honey'])]);
  expect((await apiGet(runtime, apiKey, `/v1/customers/${customerId}`)).json.tier).toBe('gold');
  expect(toLan()).toHaveLength(2);
  const timeline = (await apiGet(runtime, apiKey, `/v1/customers/${customerId}/timeline?limit=100`)).json.items as Array<
    Record<string, unknown>
  >;
  expect(timeline).toContainEqual(
    expect.objectContaining({ type: 'email', status: 'skipped', reason: 'unsubscribed', trigger: 'tier_up' }),
  );
});

it('SES’s bounce sample, through the feedback function, suppresses the address: not even a receipt goes out', async () => {
  const sample = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/ses/notification_bounce_without_dsn.json'), 'utf8'));
  sample.mail.messageId = toLan()[0]!.messageId;
  sample.bounce.bouncedRecipients = [{ emailAddress: LAN }];
  sample.mail.destination = [LAN];
  const delivered = await send(`${runtime.apiUrl}/_local/sns/sesFeedback`, { body: JSON.stringify(sample) });
  expect(delivered.status).toBe(200);
  expect((await apiGet(runtime, apiKey, `/v1/customers/${customerId}`)).json.consent.email).toBe('suppressed');

  const redeemed = await send(`${runtime.apiUrl}/v1/customers/${customerId}/redemptions`, {
    headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': 'e2e-redemption-1', 'content-type': 'application/json' },
    body: JSON.stringify({ points: 10 }),
  });
  expect(redeemed.status, redeemed.text).toBe(201);
  await runtime.idle(60_000);
  expect(toLan()).toHaveLength(2);
  const timeline = (await apiGet(runtime, apiKey, `/v1/customers/${customerId}/timeline?limit=100`)).json.items as Array<
    Record<string, unknown>
  >;
  expect(timeline).toContainEqual(expect.objectContaining({ type: 'email', status: 'bounced' }));
  expect(timeline).toContainEqual(
    expect.objectContaining({ type: 'email', status: 'skipped', reason: 'suppressed', trigger: 'redemption_receipt' }),
  );
});

it('previews exactly what the customer would get', async () => {
  const res = await fetch(`${runtime.apiUrl}/v1/emails/preview?customerId=${customerId}&trigger=tier_up`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/html');
  const html = await res.text();
  expect(html).toContain('Lan');
  expect(html).toContain('Vàng'); // gold, in Vietnamese
  // The preview's win-back coupon is one the shop can check.
  const winBack = await (
    await fetch(`${runtime.apiUrl}/v1/emails/preview?customerId=${customerId}&trigger=win_back&format=text`, {
      headers: { authorization: `Bearer ${apiKey}` },
    })
  ).text();
  const coupon = /RP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(winBack)?.[0] as string;
  expect(coupon).toBeDefined();
  const checked = await apiGet(runtime, apiKey, `/v1/coupons/${coupon}?customerId=${customerId}&offer=win_back:preview`);
  expect(checked.json).toMatchObject({ valid: true });
  expect((await apiGet(runtime, apiKey, `/v1/coupons/${coupon}?customerId=${customerId}&offer=win_back:2026-01`)).json.valid).toBe(false);
  const bad = await apiGet(runtime, apiKey, `/v1/emails/preview?customerId=${customerId}&trigger=nope`);
  expect(bad.status).toBe(400);
  expect(bad.text).toContain('trigger');
});
