import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProfile, getTimelinePage } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { getEmailSend, putEmailSend } from '#shared/data/email-repo.ts';
import { putShopIfAbsent } from '#shared/data/shop-repo.ts';
import { suppressAddress } from '#shared/data/suppression-repo.ts';
import { sendId } from '#shared/email/rules.ts';
import { SesRejectedError, SesThrottledError } from '#shared/email/ses.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import type { TriggerRecord } from '#shared/use-cases/loyalty-effects.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { type SendEmailDeps, sendTriggerEmail } from '#shared/use-cases/send-email.ts';
import { processDepsFor, startTestDb } from '#test/support/dynamo.ts';
import { aShop, orderEvent } from '#test/support/factories.ts';

/** The email use case on the emulated table, with SES replaced by a stand-in that counts and can refuse. */

let db: Db;
let stop: () => Promise<void>;
const SHOP = `send-email-${process.pid}`;
const NOW = new Date('2026-11-20T03:00:00.000Z');
const program = {
  ...defaultProgram({ currency: 'VND', name: 'Trà Việt' }),
  email: { ...defaultProgram({ currency: 'VND', name: 'x' }).email, maxMarketingPerWeek: 2 },
};

let sesCalls: Uint8Array[] = [];
let sesAnswer: () => Promise<{ messageId: string }> = async () => ({ messageId: `m-${sesCalls.length}` });
const requeued: Array<{ record: TriggerRecord; delaySeconds: number }> = [];

function deps(now = NOW): SendEmailDeps {
  return {
    db,
    now: () => now,
    loadShop: async () => aShop(SHOP),
    program: async () => program,
    masterKey: async () => 'test-master-key-0123456789abcdef0123456789',
    coPurchase: async () => undefined,
    sendRaw: async (raw) => {
      sesCalls.push(raw);
      return sesAnswer();
    },
    requeue: async (record, delaySeconds) => void requeued.push({ record, delaySeconds }),
    publicUrl: 'https://loyalty.example.com',
  };
}

async function customer(n: number, extra: Record<string, unknown> = {}) {
  const { customerId } = await processEvent(
    orderEvent(
      SHOP,
      { orderId: `o-${n}` },
      { email: `c${n}@example.com`, firstName: 'Lan', locale: 'vi-VN', acceptsEmailMarketing: true, ...extra },
    ),
    processDepsFor(db),
  );
  return customerId as string;
}

const record = (customerId: string, trigger: TriggerRecord['trigger'], key: string, data: Record<string, unknown> = {}): TriggerRecord => ({
  shopId: SHOP,
  customerId,
  trigger,
  key,
  at: NOW.toISOString(),
  data,
});

beforeAll(async () => {
  ({ db, stop } = await startTestDb());
  await putShopIfAbsent(db, aShop(SHOP));
});
afterAll(async () => stop());

describe('sending a trigger email', () => {
  it('sends once under concurrent and repeated deliveries of the same trigger', async () => {
    sesCalls = [];
    const id = await customer(1);
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => sendTriggerEmail(record(id, 'tier_up', 'tier_up:silver:2026-11-20', { to: 'silver' }), deps())),
    );
    expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(5);
    expect(sesCalls).toHaveLength(1);
    expect(await sendTriggerEmail(record(id, 'tier_up', 'tier_up:silver:2026-11-20', { to: 'silver' }), deps())).toMatchObject({
      status: 'duplicate',
    });
    const timeline = (await getTimelinePage(db, SHOP, id, 100)).items.filter((e) => e.type === 'email');
    expect(timeline).toEqual([expect.objectContaining({ status: 'sent', trigger: 'tier_up', locale: 'vi' })]);
  });

  it('holds the weekly marketing cap, and receipts are not counted against it', async () => {
    sesCalls = [];
    const id = await customer(2);
    const sent = [];
    for (const [i, trigger] of (['tier_up', 'points_milestone', 'redemption_receipt', 'birthday'] as const).entries()) {
      const data = {
        tier_up: { to: 'silver' },
        points_milestone: { milestone: 500 },
        redemption_receipt: { points: 10, balance: 5 },
        birthday: { bonus: 100 },
      }[trigger];
      sent.push(await sendTriggerEmail(record(id, trigger, `${trigger}:${i}`, data), deps(new Date(NOW.getTime() + i * 3_600_000))));
    }
    expect(sent.map((o) => o.status)).toEqual(['sent', 'sent', 'sent', 'skipped']);
    expect(sent[3]).toMatchObject({ reason: 'frequency_cap' });
    // A week later the cap has room again.
    const later = await sendTriggerEmail(
      record(id, 'birthday', 'birthday:later', { bonus: 100 }),
      deps(new Date(NOW.getTime() + 8 * 86_400_000)),
    );
    expect(later.status).toBe('sent');
    expect((await getProfile(db, SHOP, id, true))?.em).toHaveLength(1);
  });

  it('skips without consent, for imported history and for a suppressed address (even a receipt), each on the timeline', async () => {
    const unsubscribed = await customer(3, { acceptsEmailMarketing: false });
    expect(await sendTriggerEmail(record(unsubscribed, 'welcome', 'welcome'), deps())).toMatchObject({
      status: 'skipped',
      reason: 'unsubscribed',
    });
    expect(await sendTriggerEmail(record(unsubscribed, 'redemption_receipt', 'r:1', { points: 10 }), deps())).toMatchObject({
      status: 'sent',
    });

    const imported = await customer(4);
    expect(await sendTriggerEmail({ ...record(imported, 'welcome', 'welcome'), source: 'import' }, deps())).toMatchObject({
      reason: 'historical',
    });

    const bounced = await customer(5);
    await suppressAddress(db, 'C5@example.com', { kind: 'bounce', at: NOW.toISOString() });
    expect(await sendTriggerEmail(record(bounced, 'redemption_receipt', 'r:2', { points: 10 }), deps())).toMatchObject({
      reason: 'suppressed',
    });
    const skips = (await getTimelinePage(db, SHOP, bounced, 100)).items.filter((e) => e.type === 'email');
    expect(skips).toEqual([expect.objectContaining({ status: 'skipped', reason: 'suppressed', trigger: 'redemption_receipt' })]);
  });

  it('puts a throttled message back on the queue with a growing delay, then sends it once', async () => {
    sesCalls = [];
    requeued.length = 0;
    const id = await customer(6);
    sesAnswer = async () => {
      throw new SesThrottledError('Throttling', 'rate', 'Maximum sending rate exceeded.');
    };
    const first = await sendTriggerEmail(record(id, 'welcome', 'welcome'), deps());
    expect(first.status).toBe('requeued');
    const again = await sendTriggerEmail(requeued[0]!.record, deps());
    expect(again.status).toBe('requeued');
    expect(requeued.map((r) => (r.record as { attempt?: number }).attempt)).toEqual([1, 2]);
    expect(requeued[1]!.delaySeconds).toBeGreaterThanOrEqual(requeued[0]!.delaySeconds);
    sesAnswer = async () => ({ messageId: 'finally' });
    expect(await sendTriggerEmail(requeued[1]!.record, deps())).toMatchObject({ status: 'sent', messageId: 'finally' });
    expect(sesCalls).toHaveLength(3);
    expect(await sendTriggerEmail(record(id, 'welcome', 'welcome'), deps())).toMatchObject({ status: 'duplicate' });
  });

  it('records a rejection as a skip, and never sends twice after a crash mid-send', async () => {
    sesCalls = [];
    const rejected = await customer(7);
    sesAnswer = async () => {
      throw new SesRejectedError('MessageRejected', 'Email address is not verified.');
    };
    expect(await sendTriggerEmail(record(rejected, 'welcome', 'welcome'), deps())).toMatchObject({
      status: 'skipped',
      reason: 'rejected:MessageRejected',
    });
    sesAnswer = async () => ({ messageId: `m-${sesCalls.length}` });

    // A delivery that died after SES accepted the message left `sending` behind.
    const crashed = await customer(8);
    const id = sendId(SHOP, crashed, 'welcome');
    await putEmailSend(db, SHOP, crashed, id, { status: 'sending', trigger: 'welcome', key: 'welcome', at: NOW.toISOString() });
    const soon = sendTriggerEmail(record(crashed, 'welcome', 'welcome'), deps(new Date(NOW.getTime() + 10_000)));
    await expect(soon).rejects.toThrow(/being sent/);
    const later = await sendTriggerEmail(record(crashed, 'welcome', 'welcome'), deps(new Date(NOW.getTime() + 5 * 60_000)));
    expect(later).toMatchObject({ status: 'skipped', reason: 'send_outcome_unknown' });
    expect((await getEmailSend(db, SHOP, crashed, id))?.status).toBe('skipped');
    expect(sesCalls).toHaveLength(1);
  });
});
