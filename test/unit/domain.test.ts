import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Contact, winningFields } from '#shared/domain/contact.ts';
import { decryptSecret, encryptSecret, newApiKey, safeEqual, shopIdOfApiKey } from '#shared/domain/crypto.ts';
import { UnauthorizedError, ValidationError } from '#shared/domain/errors.ts';
import { CanonicalEventSchema } from '#shared/domain/event.ts';
import { identityRefs, normalizeEmail, normalizePhone, regionOfLocale } from '#shared/domain/identity.ts';
import { counts, orderVersion, refundedAmount, summarize } from '#shared/domain/order.ts';
import { aggregate } from '#shared/domain/profile.ts';
import { signGeneric, verifyGeneric } from '#shared/domain/signature.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { anOrder, orderEvent } from '#test/support/factories.ts';

describe('orders', () => {
  const state = {
    orderId: '1',
    status: 'paid' as const,
    total: 1000,
    reportedRefunded: 0,
    createdAt: '2026-01-31T23:00:00.000Z',
    lineItems: [],
    refunds: [],
    seq: 1,
  };

  it('takes the larger of reported and recorded refunds, capped at the total', () => {
    expect(refundedAmount({ ...state, reportedRefunded: 300, refunds: [{ amount: 200, createdAt: '' }] })).toBe(300);
    expect(
      refundedAmount({
        ...state,
        reportedRefunded: 300,
        refunds: [
          { amount: 200, createdAt: '' },
          { amount: 200, createdAt: '' },
        ],
      }),
    ).toBe(400);
    expect(refundedAmount({ ...state, refunds: [{ amount: 5000, createdAt: '' }] })).toBe(1000);
    expect(refundedAmount({ ...state, status: 'refunded' })).toBe(1000);
  });

  it('counts paid, non-cancelled orders that are not refunded in full', () => {
    expect(counts(summarize(state))).toBe(true);
    expect(counts(summarize({ ...state, status: 'pending' }))).toBe(false);
    expect(counts(summarize({ ...state, status: 'cancelled' }))).toBe(false);
    expect(counts(summarize({ ...state, status: 'refunded' }))).toBe(false);
    expect(counts(summarize({ ...state, status: 'partially_refunded', reportedRefunded: 999 }))).toBe(true);
  });

  it('versions order states by updatedAt first, then content', () => {
    const early = orderVersion(anOrder({ updatedAt: '2026-01-01T00:00:00Z' }));
    const late = orderVersion(anOrder({ updatedAt: '2026-01-02T00:00:00Z', status: 'pending' }));
    expect(early < late).toBe(true);
    expect(orderVersion(anOrder())).toBe(orderVersion(anOrder()));
    expect(orderVersion(anOrder({ status: 'cancelled' }))).not.toBe(orderVersion(anOrder()));
  });

  it('aggregates summaries into counts, net spend, dates, months and top categories', () => {
    const totals = aggregate([
      summarize({ ...state, lineItems: [{ title: 'a', quantity: 1, price: 1000, category: 'Tea' }] }),
      summarize({ ...state, orderId: '2', total: 500, createdAt: '2026-02-01T00:00:00.000Z', refunds: [{ amount: 100, createdAt: '' }] }),
      summarize({ ...state, orderId: '3', status: 'cancelled', total: 9999 }),
    ]);
    expect(totals).toEqual({
      orderCount: 2,
      totalSpent: 1400,
      refunded: 100,
      firstOrderAt: '2026-01-31T23:00:00.000Z',
      lastOrderAt: '2026-02-01T00:00:00.000Z',
      spendByMonth: { '2026-01': 1000, '2026-02': 400 },
      topCategories: ['Tea'],
    });
  });
});

describe('contact convergence', () => {
  const field = fc.constantFrom('firstName', 'city', 'email');
  const update = fc.record({
    at: fc.integer({ min: 0, max: 5 }).map((d) => Date.UTC(2026, 0, 1 + d)),
    contact: fc.dictionary(field, fc.constantFrom('a', 'b', 'c'), { maxKeys: 3 }),
  });

  /** Apply updates the way the processor does, field by field, and return the visible fields. */
  function applyAll(updates: Array<{ at: number; contact: Contact }>) {
    const stored = { values: {} as Record<string, unknown>, stamps: {} as Record<string, number> };
    for (const { at, contact } of updates) {
      for (const f of winningFields(stored, contact, at)) {
        stored.values[f] = contact[f];
        stored.stamps[f] = at;
      }
    }
    return stored;
  }

  it('ends in the same state whatever order the updates arrive in', () => {
    fc.assert(
      fc.property(
        fc
          .array(update, { maxLength: 8 })
          .chain((updates) =>
            fc.tuple(fc.constant(updates), fc.shuffledSubarray(updates, { minLength: updates.length, maxLength: updates.length })),
          ),
        ([updates, shuffled]) => {
          expect(applyAll(shuffled)).toEqual(applyAll(updates));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('identities', () => {
  it('normalizes email and phone, and orders identities by trust', () => {
    expect(normalizeEmail('  Lan@Example.COM ')).toBe('lan@example.com');
    expect(normalizeEmail('not-an-email')).toBeUndefined();
    expect(normalizePhone('0912 345 678', 'VN')).toBe('+84912345678');
    expect(normalizePhone('(415) 555-2671', 'US')).toBe('+14155552671');
    expect(normalizePhone('12', 'US')).toBeUndefined();
    expect(regionOfLocale('vi-VN')).toBe('VN');
    expect(identityRefs({ phone: '+84912345678', email: 'A@B.VN', externalId: 'shopify:1' }).map((r) => r.kind)).toEqual([
      'ext',
      'email',
      'phone',
    ]);
  });
});

describe('the generic signature', () => {
  const secret = 'a-shared-secret-of-enough-length';
  const body = '{"hello":"world"}';

  it('accepts a fresh signature over the exact body', () => {
    expect(() => verifyGeneric(secret, body, signGeneric(secret, body, 1_000_000), 1_000_100)).not.toThrow();
  });

  it.each([
    ['a missing header', undefined, 1_000_000],
    ['a malformed header', 'sha256=abc', 1_000_000],
    ['a tampered body', signGeneric(secret, `${body} `, 1_000_000), 1_000_000],
    ['a wrong secret', signGeneric('another-secret-entirely-0000', body, 1_000_000), 1_000_000],
    ['a timestamp older than five minutes', signGeneric(secret, body, 1_000_000), 1_000_301],
    ['a timestamp from the future', signGeneric(secret, body, 1_000_400), 1_000_000],
  ])('rejects %s', (_what, header, now) => {
    expect(() => verifyGeneric(secret, body, header, now)).toThrow(UnauthorizedError);
  });
});

describe('secrets at rest', () => {
  it('round-trips a sealed secret and refuses it under another shop', () => {
    const master = 'x'.repeat(64);
    const sealed = encryptSecret(master, 'whsec', 'shop-a:generic');
    expect(sealed).not.toContain('whsec');
    expect(decryptSecret(master, sealed, 'shop-a:generic')).toBe('whsec');
    expect(() => decryptSecret(master, sealed, 'shop-b:generic')).toThrow();
  });

  it('makes API keys that name their shop and compares in constant time', () => {
    const key = newApiKey('my-shop');
    expect(shopIdOfApiKey(key)).toBe('my-shop');
    expect(shopIdOfApiKey('rk_my-shop_short')).toBeUndefined();
    expect(safeEqual(key, key)).toBe(true);
    expect(safeEqual(key, `${key}0`)).toBe(false);
  });
});

describe('validation errors name the field', () => {
  it('points at the first bad field of an event', () => {
    const event = orderEvent('shop-a', { total: -1 });
    expect(() => parseOrThrow(CanonicalEventSchema, event)).toThrow(expect.objectContaining({ field: 'order.total' }));
    const missing = { ...orderEvent('shop-a'), order: undefined };
    expect(() => parseOrThrow(CanonicalEventSchema, missing)).toThrow(expect.objectContaining({ field: 'order' }));
    expect(() => parseOrThrow(CanonicalEventSchema, [event, { ...event, eventId: 'x' }], '')).toThrow(ValidationError);
  });
});
