import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIdentityOwner, getProfile, getTimelinePage } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { processDepsFor, startTestDb } from '#test/support/dynamo.ts';
import { aCustomer, orderEvent, refundEvent } from '#test/support/factories.ts';
import { profileView } from '#test/support/profile.ts';

let db: Db;
let stop: () => Promise<void>;
const deps = () => processDepsFor(db);
let shopN = 0;
const newShop = () => `shop-${process.pid}-${shopN++}`;

beforeAll(async () => {
  ({ db, stop } = await startTestDb());
});
afterAll(async () => stop());

async function profileOf(shopId: string, customerId: string) {
  const item = await getProfile(db, shopId, customerId, true);
  if (!item) throw new Error('no profile');
  return profileView(item, 'VND');
}

describe('processing canonical events', () => {
  it('turns a first paid order into a profile, identities and a timeline entry', async () => {
    const shop = newShop();
    const { customerId, outcome } = await processEvent(orderEvent(shop, {}, aCustomer({ phone: '+84 912 345 678' })), deps());
    expect(outcome).toBe('applied');
    const profile = await profileOf(shop, customerId!);
    expect(profile).toMatchObject({
      email: 'lan.nguyen@example.com',
      phone: '+84912345678',
      name: 'Lan Nguyen',
      orderCount: 1,
      totalSpent: { amount: 1_999_000, currency: 'VND' },
      firstOrderAt: '2026-03-01T10:00:00.000Z',
      lastOrderAt: '2026-03-01T10:00:00.000Z',
      spendByMonth: { '2026-03': 1_999_000 },
      topCategories: ['Tea'],
      externalIds: ['generic:1001'],
    });
    expect(await getIdentityOwner(db, shop, { kind: 'email', value: 'lan.nguyen@example.com' })).toBe(customerId);
    expect(await getIdentityOwner(db, shop, { kind: 'phone', value: '+84912345678' })).toBe(customerId);
    const page = await getTimelinePage(db, shop, customerId!, 10);
    // The order, the customer joining the program's first tier, and the welcome trigger.
    expect(page.items.map((item) => item.type).sort()).toEqual(['order', 'tier', 'trigger']);
  });

  it('changes nothing on a duplicate and ignores a stale state', async () => {
    const shop = newShop();
    const paid = orderEvent(shop, { updatedAt: '2026-03-02T00:00:00.000Z' });
    const pending = orderEvent(shop, { status: 'pending', updatedAt: '2026-03-01T10:00:00.000Z' });
    const { customerId } = await processEvent(paid, deps());
    expect((await processEvent(paid, deps())).outcome).toBe('duplicate');
    expect((await processEvent(pending, deps())).outcome).toBe('stale');
    expect((await profileOf(shop, customerId!)).orderCount).toBe(1);
  });

  it('applies a refund that arrives before its order once the order arrives', async () => {
    const shop = newShop();
    expect((await processEvent(refundEvent(shop, '5001', 'r1', 499_000), deps())).outcome).toBe('waiting_for_order');
    const { customerId } = await processEvent(orderEvent(shop, { status: 'partially_refunded' }), deps());
    const profile = await profileOf(shop, customerId!);
    expect(profile.totalSpent.amount).toBe(1_999_000 - 499_000);
    expect(profile.refunded.amount).toBe(499_000);
    const types = (await getTimelinePage(db, shop, customerId!, 10)).items.map((item) => item.type).sort();
    expect(types).toEqual(['order', 'refund', 'tier', 'trigger']);
  });

  it('nets refunds after the order and drops cancelled and fully refunded orders from the aggregates', async () => {
    const shop = newShop();
    const { customerId } = await processEvent(orderEvent(shop, { orderId: 'a', total: 1000, lineItems: [] }), deps());
    await processEvent(orderEvent(shop, { orderId: 'b', total: 3000, lineItems: [], createdAt: '2026-04-01T00:00:00.000Z' }), deps());
    await processEvent({ ...refundEvent(shop, 'a', 'ra', 400) }, deps());
    expect((await profileOf(shop, customerId!)).totalSpent.amount).toBe(600 + 3000);
    await processEvent(
      orderEvent(shop, {
        orderId: 'b',
        total: 3000,
        lineItems: [],
        status: 'cancelled',
        createdAt: '2026-04-01T00:00:00.000Z',
        updatedAt: '2026-04-02T00:00:00.000Z',
      }),
      deps(),
    );
    await processEvent(refundEvent(shop, 'a', 'ra2', 600), deps());
    const profile = await profileOf(shop, customerId!);
    expect(profile).toMatchObject({ orderCount: 0, totalSpent: { amount: 0 }, firstOrderAt: null });
  });

  it('finds the same customer by email when the external id is missing, and by phone after that', async () => {
    const shop = newShop();
    const first = await processEvent(orderEvent(shop, { orderId: '1' }, aCustomer({ phone: '0912345678', email: 'a@b.vn' })), deps());
    const second = await processEvent(orderEvent(shop, { orderId: '2' }, { email: ' A@B.VN ' }), deps());
    const third = await processEvent(orderEvent(shop, { orderId: '3' }, { phone: '+84912345678' }), deps());
    // '0912345678' has no country code: it is read in the shop's region (VN) as +84912345678.
    expect(second.customerId).toBe(first.customerId);
    expect(third.customerId).toBe(first.customerId);
    expect((await profileOf(shop, first.customerId!)).orderCount).toBe(3);
  });

  it('never splits one new customer in two when their first events race', async () => {
    const shop = newShop();
    const events = Array.from({ length: 8 }, (_, i) =>
      orderEvent(shop, { orderId: `race-${i}` }, aCustomer({ externalId: 'generic:race' })),
    );
    const results = await Promise.all(events.map((event) => processEvent(event, deps())));
    expect(new Set(results.map((r) => r.customerId)).size).toBe(1);
    expect((await profileOf(shop, results[0]!.customerId!)).orderCount).toBe(8);
  });

  // Every two of these events share an identity, so processed one after another, in any order, they make one customer.
  it('never splits one new customer in two when first events with different identities race', async () => {
    for (let trial = 0; trial < 20; trial++) {
      const shop = newShop();
      const [a, b, c] = await Promise.all([
        processEvent(orderEvent(shop, { orderId: 'a' }, { email: 'race@example.vn' }), deps()),
        processEvent(orderEvent(shop, { orderId: 'b' }, { externalId: 'generic:race', email: 'race@example.vn' }), deps()),
        processEvent(
          orderEvent(shop, { orderId: 'c' }, { externalId: 'generic:race', email: 'race@example.vn', phone: '+84900000001' }),
          deps(),
        ),
      ]);
      expect(new Set([a.customerId, b.customerId, c.customerId]).size, `trial ${trial}`).toBe(1);
      expect((await profileOf(shop, a.customerId!)).orderCount).toBe(3);
    }
  });

  it('keeps, for each contact field, the value of the newest event that carried it', async () => {
    const shop = newShop();
    const newer = orderEvent(
      shop,
      { orderId: 'x' },
      aCustomer({ firstName: 'Lan Anh', updatedAt: '2026-03-03T00:00:00.000Z', city: undefined }),
    );
    const older = orderEvent(
      shop,
      { orderId: 'y' },
      aCustomer({ firstName: 'Lan', city: 'Hà Nội', updatedAt: '2026-03-01T00:00:00.000Z' }),
    );
    const { customerId } = await processEvent(newer, deps());
    await processEvent(older, deps());
    expect(await profileOf(shop, customerId!)).toMatchObject({ firstName: 'Lan Anh', city: 'Hà Nội' });
  });
});
