import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClient, ensureTable, isLoopbackEndpoint, startDynamo } from '#infra/local/emulators.ts';
import type { Db } from '#shared/data/db.ts';
import type { Profile } from '#shared/data/profile-item.ts';
import { putShopIfAbsent, type ShopRecord } from '#shared/data/shop-repo.ts';
import { type EmailTrigger, renderEmail } from '#shared/email/render.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import { composeEmail } from '#shared/use-cases/compose-email.ts';
import type { TriggerRecord } from '#shared/use-cases/loyalty-effects.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { sendTriggerEmail } from '#shared/use-cases/send-email.ts';
import { orderEvent } from '#test/support/factories.ts';
import type { BenchResult } from './report.ts';
import { elapsedMs, percentile, round } from './stats.ts';

/**
 * The email stage's cost and pace:
 * - `email.renderMsP99`: composing and rendering one email (context, recommendations, template fill,
 *   plain text) for every trigger in English and Vietnamese, 2,000 times each, in process;
 * - `email.sesCallsPerEmail`: SES calls per email actually sent, through the real email use case on
 *   dynalite with a counting SES stand-in, when every trigger record is delivered three times (the
 *   queue's redeliveries) and some customers may not be mailed at all.
 */

export const RENDER_P99_TARGET_MS = 50;
export const SES_CALLS_PER_EMAIL_TARGET = 1;

const MASTER_KEY = 'bench-master-key-0123456789abcdef0123456789';
const SHOP: ShopRecord = {
  shopId: 'bench-email',
  name: 'Trà Việt',
  currency: 'VND',
  timezone: 'Asia/Ho_Chi_Minh',
  locale: 'vi-VN',
  apiKeyHashes: [],
  secrets: {},
  settings: { ignoreTestOrders: true },
  createdAt: '2026-01-01T00:00:00.000Z',
};
const program = defaultProgram(SHOP);
const coPurchase = {
  bestSellers: [
    { productId: 'tea', count: 40 },
    { productId: 'cup', count: 30 },
    { productId: 'pot', count: 12 },
  ],
  related: { tea: [{ productId: 'cup', lift: 1.4, confidence: 0.6 }], cup: [{ productId: 'pot', lift: 1.2, confidence: 0.3 }] },
  products: {
    tea: { title: 'Trà Ô Long', price: 250_000 },
    cup: { title: 'Chén gốm', price: 120_000 },
    pot: { title: 'Ấm tử sa', price: 900_000 },
  },
};

const DATA: Record<string, Record<string, unknown>> = {
  welcome: { bonus: 50 },
  tier_up: { to: 'silver' },
  tier_down_warning: { shortfall: 2, downgradeOn: '2026-12-01T00:00:00.000Z' },
  tier_down: { to: 'member' },
  birthday: { bonus: 100 },
  win_back: {},
  points_expiring: { points: 120, expiresOn: '2026-12-20T00:00:00.000Z' },
  feedback_request: { orderId: 'o-1' },
  redemption_receipt: { points: 100, balance: 20 },
  points_milestone: { milestone: 500 },
};

export async function benchEmail(): Promise<BenchResult> {
  const emulator = await startDynamo({ engine: 'dynalite' });
  if (!isLoopbackEndpoint(emulator.endpoint)) throw new Error(`refusing to bench against ${emulator.endpoint}`);
  const client = DynamoDBDocumentClient.from(dynamoClient(emulator.endpoint), { marshallOptions: { removeUndefinedValues: true } });
  try {
    const db: Db = { client, table: `bench-${randomUUID().slice(0, 8)}` };
    await ensureTable(emulator.endpoint, db.table);
    await putShopIfAbsent(db, SHOP);
    const now = new Date('2026-11-20T03:00:00.000Z');
    const deps = { db, now: () => now, phoneRegion: async () => 'VN', program: async () => program };

    // Customers as the processor leaves them: half in Vietnamese, half in English, most subscribed.
    const customers: string[] = [];
    for (let n = 0; n < 60; n++) {
      const { customerId } = await processEvent(
        orderEvent(
          SHOP.shopId,
          {
            orderId: `bench-${n}`,
            total: 2_000_000,
            createdAt: '2026-11-01T00:00:00.000Z',
            updatedAt: '2026-11-01T00:00:00.000Z',
            lineItems: [{ productId: 'tea', title: 'Trà Ô Long', quantity: 1, price: 2_000_000 }],
          },
          {
            email: `bench${n}@example.com`,
            firstName: n % 2 ? 'Lan' : 'Alex',
            locale: n % 2 ? 'vi-VN' : 'en-US',
            acceptsEmailMarketing: n % 5 !== 0,
          },
        ),
        deps,
      );
      customers.push(customerId as string);
    }

    // Render: every trigger × two customers (vi, en), 2,000 times.
    const { loadProfile } = await import('#shared/data/customer-repo.ts');
    const profiles = await Promise.all(customers.slice(0, 2).map((id) => loadProfile(db, SHOP.shopId, id)));
    const samples: number[] = [];
    const renderOnce = (trigger: string, profile: Profile, customerId: string) => {
      const started = process.hrtime.bigint();
      const { context } = composeEmail({
        record: {
          shopId: SHOP.shopId,
          customerId,
          key: `${trigger}:bench`,
          trigger: trigger as EmailTrigger,
          at: now.toISOString(),
          data: DATA[trigger] ?? {},
        },
        shop: SHOP,
        program,
        profile,
        coPurchase,
        masterKey: MASTER_KEY,
        publicUrl: 'https://loyalty.example.com',
        now,
      });
      renderEmail(context);
      return elapsedMs(started);
    };
    for (let warm = 0; warm < 200; warm++) renderOnce('tier_up', profiles[0] as Profile, customers[0] as string);
    for (let i = 0; i < 2000; i++) {
      for (const trigger of Object.keys(DATA)) {
        const k = i % 2;
        samples.push(renderOnce(trigger, profiles[k] as Profile, customers[k] as string));
      }
    }
    const renderMsP99 = round(percentile(samples, 99), 3);
    const renderMsP50 = round(percentile(samples, 50), 3);

    // Sending: each customer three triggers, every record delivered three times, out of order.
    let sesCalls = 0;
    const outcomes: Record<string, number> = {};
    const records: TriggerRecord[] = customers.flatMap((customerId, n) =>
      ['welcome', 'tier_up', 'redemption_receipt'].map((trigger) => ({
        shopId: SHOP.shopId,
        customerId,
        key: `${trigger}:${n}`,
        trigger: trigger as TriggerRecord['trigger'],
        at: now.toISOString(),
        data: DATA[trigger] ?? {},
      })),
    );
    const deliveries = [...records, ...[...records].reverse(), ...records];
    const sendDeps = {
      db,
      now: () => now,
      loadShop: async () => SHOP,
      program: async () => program,
      masterKey: async () => MASTER_KEY,
      coPurchase: async () => coPurchase,
      sendRaw: async () => {
        sesCalls++;
        return { messageId: `bench-${sesCalls}` };
      },
      requeue: async () => undefined,
      publicUrl: 'https://loyalty.example.com',
    };
    const started = process.hrtime.bigint();
    for (let i = 0; i < deliveries.length; i += 8) {
      await Promise.all(
        deliveries.slice(i, i + 8).map(async (record) => {
          const outcome = await sendTriggerEmail(record, sendDeps);
          const key = outcome.status === 'skipped' ? `skipped:${outcome.reason}` : outcome.status;
          outcomes[key] = (outcomes[key] ?? 0) + 1;
        }),
      );
    }
    const sendMs = elapsedMs(started);
    const sent = outcomes.sent ?? 0;
    const sesCallsPerEmail = sent > 0 ? round(sesCalls / sent, 3) : 0;
    return {
      figures: {
        renderMsP99,
        renderMsP50,
        renderSamples: samples.length,
        sesCallsPerEmail,
        sesCalls,
        emailsSent: sent,
        deliveries: deliveries.length,
        outcomes,
        msPerDelivery: round(sendMs / deliveries.length, 2),
        method:
          'render: composeEmail + renderEmail for 10 triggers × vi/en, 2,000 rounds after 200 warm-up; send: sendTriggerEmail on dynalite with a counting SES stand-in, 180 trigger records for 60 customers each delivered 3 times, 8 at a time',
      },
      rows: [
        {
          key: 'email.renderMsP99',
          label: `compose + render, 10 triggers × vi/en, ${samples.length.toLocaleString('en-US')} emails (p50 ${renderMsP50} ms)`,
          value: renderMsP99,
          unit: 'ms',
          target: { op: '<=', value: RENDER_P99_TARGET_MS },
        },
        {
          key: 'email.sesCallsPerEmail',
          label: `${sesCalls} SES calls for ${sent} emails sent out of ${deliveries.length} deliveries (${Object.entries(outcomes)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')})`,
          value: sesCallsPerEmail,
          unit: '',
          target: { op: '<=', value: SES_CALLS_PER_EMAIL_TARGET },
        },
      ],
    };
  } finally {
    client.destroy();
    await emulator.stop();
  }
}
