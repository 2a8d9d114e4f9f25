import { afterAll, beforeAll, expect, it } from 'vitest';
import { getProfile, getTimelinePage } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { ledgerEntries } from '#shared/data/ledger-repo.ts';
import { getRewardCode } from '#shared/data/reward-code-repo.ts';
import { defaultProgram } from '#shared/loyalty/program.ts';
import { giftCode } from '#shared/use-cases/give-reward.ts';
import type { TriggerRecord } from '#shared/use-cases/loyalty-effects.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { reviewCustomerLoyalty } from '#shared/use-cases/review-loyalty.ts';
import { processDepsFor, startTestDb } from '#test/support/dynamo.ts';
import { aCustomer, orderEvent } from '#test/support/factories.ts';

/**
 * The scheduled run's loyalty work for one customer, with the default program: silver at 3 paid
 * orders in a rolling year, a 12-month term, 30 days' grace and a warning 14 days before; points
 * expire after 12 months without activity, with a reminder 30 days before.
 */

let db: Db;
let stop: () => Promise<void>;
const program = defaultProgram({ currency: 'VND', name: 'test' });
const review = (shopId: string, customerId: string, now: string) =>
  reviewCustomerLoyalty(shopId, customerId, {
    db,
    program: async () => program,
    now: () => new Date(now),
    timezone: async () => 'Asia/Ho_Chi_Minh',
  });

beforeAll(async () => {
  ({ db, stop } = await startTestDb());
});
afterAll(async () => stop());

async function silverCustomer(shopId: string) {
  let customerId: string | undefined;
  for (let i = 1; i <= 3; i++) {
    const at = `2025-01-0${i}T00:00:00.000Z`;
    ({ customerId } = await processEvent(orderEvent(shopId, { orderId: `s${i}`, createdAt: at, updatedAt: at }), processDepsFor(db)));
  }
  expect((await getProfile(db, shopId, customerId!, true))?.tier).toBe('silver');
  return customerId!;
}

const triggers = async (shopId: string, customerId: string) =>
  (await getTimelinePage(db, shopId, customerId, 100)).items.filter((e) => e.type === 'trigger').map((e) => e.trigger as string);

it('warns with the shortfall before the term ends, then steps down one tier, once', async () => {
  const shop = `review-tier-${process.pid}`;
  const customerId = await silverCustomer(shop);
  expect((await review(shop, customerId, '2025-12-01T00:00:00.000Z')).tier).toBe('keep'); // still within the rolling year
  expect((await review(shop, customerId, '2026-01-20T00:00:00.000Z')).tier).toBe('warn');
  await review(shop, customerId, '2026-01-21T00:00:00.000Z'); // a retried run warns nothing new
  const warning = (await getTimelinePage(db, shop, customerId, 100)).items.filter((e) => e.trigger === 'tier_down_warning');
  expect(warning).toHaveLength(1);
  expect(warning[0]).toMatchObject({ tier: 'silver', to: 'member', shortfall: 3, downgradeOn: '2026-02-02T00:00:00.000Z' });

  expect((await review(shop, customerId, '2026-02-02T00:00:00.000Z')).tier).toBe('downgrade');
  expect((await review(shop, customerId, '2026-02-02T06:00:00.000Z')).tier).toBe('keep');
  const profile = await getProfile(db, shop, customerId, true);
  expect(profile).toMatchObject({ tier: 'member', tierSince: '2026-02-02T00:00:00.000Z' });
  const tierEntries = (await getTimelinePage(db, shop, customerId, 100)).items.filter((e) => e.type === 'tier');
  expect(tierEntries[0]).toMatchObject({ from: 'silver', to: 'member', reason: expect.stringContaining('below the silver threshold') });
  expect((await triggers(shop, customerId)).filter((t) => t === 'tier_down')).toHaveLength(1);
});

it('reminds before points expire after a year without activity, then expires them once', async () => {
  const shop = `review-expiry-${process.pid}`;
  const customerId = await silverCustomer(shop);
  const before = (await getProfile(db, shop, customerId, true))?.pointsBalance as number;
  expect(before).toBeGreaterThan(0);
  expect(await review(shop, customerId, '2025-11-01T00:00:00.000Z')).toMatchObject({ expired: 0, reminded: false });
  expect(await review(shop, customerId, '2025-12-10T00:00:00.000Z')).toMatchObject({ expired: 0, reminded: true });
  expect(await review(shop, customerId, '2026-01-05T00:00:00.000Z')).toMatchObject({ expired: before });
  expect(await review(shop, customerId, '2026-01-06T00:00:00.000Z')).toMatchObject({ expired: 0 });
  const ledger = await ledgerEntries(db, shop, customerId);
  expect(ledger.filter((e) => e.kind === 'expire')).toEqual([expect.objectContaining({ points: -before })]);
  expect(ledger.reduce((sum, e) => sum + e.points, 0)).toBe(0);
  expect((await getProfile(db, shop, customerId, true))?.pointsBalance).toBe(0);
  expect((await triggers(shop, customerId)).filter((t) => t === 'points_expiring')).toHaveLength(1);
});

it('gives the birthday bonus once, on the birthday where the shop is', async () => {
  const shop = `review-birthday-${process.pid}`;
  const { customerId } = await processEvent(
    orderEvent(
      shop,
      { orderId: 'b1', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' },
      aCustomer({ birthday: '1990-04-12' }),
    ),
    processDepsFor(db),
  );
  const before = (await getProfile(db, shop, customerId!, true))?.pointsBalance as number;
  // 11 April 18:00 UTC is already 12 April in Hồ Chí Minh City (UTC+7).
  expect((await review(shop, customerId!, '2026-04-11T16:00:00.000Z')).birthdayBonus).toBe(0);
  expect((await review(shop, customerId!, '2026-04-11T18:00:00.000Z')).birthdayBonus).toBe(100);
  expect((await review(shop, customerId!, '2026-04-12T10:00:00.000Z')).birthdayBonus).toBe(0);
  expect((await getProfile(db, shop, customerId!, true))?.pointsBalance).toBe(before + 100);
  expect((await triggers(shop, customerId!)).filter((t) => t === 'birthday')).toHaveLength(1);
});

it("gives the program's birthday reward as a code with the email, once, as well as the bonus", async () => {
  const shop = `review-birthday-gift-${process.pid}`;
  const withGift = { ...program, offers: { ...program.offers, birthday: 'free-shipping' } };
  const sent: TriggerRecord[] = [];
  const gifts = { currency: 'VND', codeKey: Buffer.alloc(32, 3), platform: undefined };
  const reviewWithGift = (customerId: string, now: string) =>
    reviewCustomerLoyalty(shop, customerId, {
      db,
      program: async () => withGift,
      now: () => new Date(now),
      timezone: async () => 'Asia/Ho_Chi_Minh',
      triggers: async (records) => void sent.push(...records),
      gifts,
    });
  const { customerId } = await processEvent(
    orderEvent(
      shop,
      { orderId: 'g1', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' },
      aCustomer({ birthday: '1990-04-12' }),
    ),
    processDepsFor(db),
  );
  expect((await reviewWithGift(customerId!, '2026-04-12T02:00:00.000Z')).birthdayBonus).toBe(100);
  await reviewWithGift(customerId!, '2026-04-12T10:00:00.000Z');
  const code = giftCode(gifts.codeKey, customerId!, 'birthday:2026');
  expect(await getRewardCode(db, shop, code, true)).toMatchObject({
    customerId,
    rewardId: 'free-shipping',
    points: 0,
    status: 'issued',
    gift: 'birthday:2026',
    issuedAt: '2026-04-12T00:00:00.000Z',
    expiresAt: '2026-05-12T00:00:00.000Z',
  });
  const birthdays = sent.filter((r) => r.trigger === 'birthday');
  expect(birthdays).toHaveLength(1);
  expect(birthdays[0]?.data).toEqual({
    bonus: 100,
    offer: expect.objectContaining({ code, value: { kind: 'free_shipping' }, expiresAt: '2026-05-12T00:00:00.000Z' }),
  });
});
