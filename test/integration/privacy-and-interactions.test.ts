import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIdentityOwner, getProfile, getTimelinePage } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { putShopDirectoryEntry, putShopIfAbsent } from '#shared/data/shop-repo.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import { exportCustomer } from '#shared/use-cases/customer-privacy.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { runToCompletion, scheduledRun } from '#shared/use-cases/resegment.ts';
import { processDepsFor, startTestDb } from '#test/support/dynamo.ts';
import { aCustomer, aShop, orderEvent } from '#test/support/factories.ts';
import { profileView } from '#test/support/profile.ts';

let db: Db;
let stop: () => Promise<void>;
const deps = () => processDepsFor(db);
let shopN = 0;
const newShop = () => `privacy-${process.pid}-${shopN++}`;

beforeAll(async () => {
  ({ db, stop } = await startTestDb());
});
afterAll(async () => stop());

const event = (shopId: string, fields: Partial<CanonicalEvent>): CanonicalEvent => ({
  eventId: `evt-${Math.random().toString(36).slice(2, 12)}`,
  shopId,
  occurredAt: '2026-03-05T09:00:00.000Z',
  source: 'api',
  type: 'interaction.logged',
  ...fields,
});

async function allItems(shopId: string) {
  const { Items } = await db.client.send(new ScanCommand({ TableName: db.table }));
  return (Items ?? []).filter((item) => String(item.PK).startsWith(`SHOP#${shopId}#`) || item.PK === `SHOP#${shopId}`);
}

describe('interactions and feedback', () => {
  it('logs a call and an NPS answer on the timeline and the profile, newest answer winning', async () => {
    const shop = newShop();
    const { customerId } = await processEvent(orderEvent(shop), deps());
    const customer = { customerId: customerId! };
    await processEvent(event(shop, { customer, interaction: { channel: 'phone', summary: 'asked about oolong' } }), deps());
    await processEvent(
      event(shop, {
        type: 'feedback.submitted',
        occurredAt: '2026-03-07T00:00:00.000Z',
        customer,
        interaction: { channel: 'email', nps: 9, comment: 'great tea' },
      }),
      deps(),
    );
    await processEvent(
      event(shop, {
        type: 'feedback.submitted',
        occurredAt: '2026-03-06T00:00:00.000Z',
        customer,
        interaction: { channel: 'email', nps: 3 },
      }),
      deps(),
    );
    const profile = profileView((await getProfile(db, shop, customerId!, true))!, 'VND');
    expect(profile.lastContact).toEqual({ phone: '2026-03-05T09:00:00.000Z', email: '2026-03-07T00:00:00.000Z' });
    expect(profile.feedback).toMatchObject({ nps: 9, npsAt: '2026-03-07T00:00:00.000Z' });
    const types = (await getTimelinePage(db, shop, customerId!, 10)).items.map((i) => i.type);
    expect(types.sort()).toEqual(['feedback', 'feedback', 'interaction', 'order', 'tier', 'trigger']);
  });

  it('creates a customer for a touch from someone new', async () => {
    const shop = newShop();
    const { customerId } = await processEvent(
      event(shop, { customer: { phone: '0987 654 321' }, interaction: { channel: 'in_store' } }),
      deps(),
    );
    expect(await getIdentityOwner(db, shop, { kind: 'phone', value: '+84987654321' })).toBe(customerId);
  });
});

describe('privacy', () => {
  it('erases contact details, identities and free text, keeps aggregates, and refuses late old details', async () => {
    const shop = newShop();
    const { customerId } = await processEvent(orderEvent(shop, {}, aCustomer({ phone: '+84912345678' })), deps());
    await processEvent(
      event(shop, { customer: { customerId: customerId! }, interaction: { channel: 'chat', summary: 'lives at 12 Hàng Bạc' } }),
      deps(),
    );
    await processEvent(event(shop, { type: 'customer.erased', source: 'shopify', customer: { externalId: 'generic:1001' } }), deps());

    const profile = profileView((await getProfile(db, shop, customerId!, true))!, 'VND');
    expect(profile).toMatchObject({ email: null, phone: null, name: null, orderCount: 1, totalSpent: { amount: 1_999_000 } });
    expect(profile.erasedAt).toBeDefined();
    for (const ref of [
      { kind: 'ext', value: 'generic:1001' },
      { kind: 'email', value: 'lan.nguyen@example.com' },
      { kind: 'phone', value: '+84912345678' },
    ] as const) {
      expect(await getIdentityOwner(db, shop, ref, true)).toBeUndefined();
    }
    const serialized = JSON.stringify(await allItems(shop));
    for (const pii of ['lan.nguyen', '84912345678', 'Nguyen', 'Hàng Bạc']) expect(serialized).not.toContain(pii);

    // A late redelivery of the original order must not bring the details back onto this profile.
    await processEvent(
      orderEvent(shop, { updatedAt: '2026-03-01T10:00:00.000Z' }, aCustomer({ updatedAt: '2026-03-01T10:00:00.000Z' })),
      deps(),
    );
    const after = await getProfile(db, shop, customerId!, true);
    expect(after?.email).toBeUndefined();
    // ... nor create a new customer from them.
    expect(await getIdentityOwner(db, shop, { kind: 'email', value: 'lan.nguyen@example.com' }, true)).toBeUndefined();
    expect(JSON.stringify(await allItems(shop))).not.toContain('lan.nguyen');
  });

  it('records a data request, and the export holds profile, orders and timeline', async () => {
    const shop = newShop();
    await putShopIfAbsent(db, aShop(shop));
    const { customerId } = await processEvent(orderEvent(shop), deps());
    await processEvent(
      event(shop, { type: 'customer.data_requested', source: 'shopify', requestId: '9999', customer: { email: 'LAN.nguyen@example.com' } }),
      deps(),
    );
    const shopRecord = { shopId: shop, currency: 'VND' } as Parameters<typeof exportCustomer>[0];
    const data = await exportCustomer(shopRecord, customerId, db);
    expect(data.profile).toMatchObject({ customerId, email: 'lan.nguyen@example.com', dataRequestedAt: '2026-03-05T09:00:00.000Z' });
    expect(data.orders).toEqual([expect.objectContaining({ orderId: '5001', total: 1_999_000, customerId })]);
    expect(data.pointsLedger.map((entry) => entry.kind).sort()).toEqual(['bonus', 'earn']);
    expect(data.timeline.map((entry) => entry.type).sort()).toEqual(['order', 'privacy', 'tier', 'trigger']);
    expect(data.timeline.find((entry) => entry.type === 'privacy')).toMatchObject({ action: 'data_requested', requestId: '9999' });
  });

  it('erases a whole shop through its index, leaving no customer data behind', async () => {
    const shop = newShop();
    await putShopIfAbsent(db, aShop(shop));
    const other = newShop();
    await processEvent(orderEvent(other), deps());
    for (let i = 0; i < 5; i++)
      await processEvent(
        orderEvent(shop, { orderId: `o${i}` }, aCustomer({ externalId: `generic:${i}`, email: `c${i}@example.com` })),
        deps(),
      );
    // What the scheduled run leaves: the run, statistics, segment counts and members; the shop directory entry.
    await putShopDirectoryEntry(db, aShop(shop));
    const runDeps = {
      db,
      program: async () => defaultProgram(aShop(shop)),
      timezone: async () => 'UTC',
      now: () => new Date('2026-03-10T00:00:00Z'),
    };
    expect((await runToCompletion(aShop(shop), runDeps)).status).toBe('succeeded');
    expect((await allItems(shop)).some((item) => String(item.PK).includes('#SEG#'))).toBe(true);
    expect((await allItems(shop)).length).toBeGreaterThan(20);
    await processEvent(event(shop, { type: 'shop.erased', source: 'shopify' }), deps());
    expect(await allItems(shop)).toEqual([]);
    const { Items = [] } = await db.client.send(new ScanCommand({ TableName: db.table }));
    expect(Items.filter((item) => item.PK === 'SHOPS' && item.SK === shop)).toEqual([]);
    // Its daily schedule may still fire: nothing runs and nothing is written.
    expect(await scheduledRun(shop, { ...runDeps, enqueue: async () => undefined })).toBeUndefined();
    expect(await allItems(shop)).toEqual([]);
    expect((await allItems(other)).length).toBeGreaterThan(0);
  });
});
