import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discountCodesOf } from '#shared/connectors/types.ts';
import { itemSize } from '#shared/data/item-size.ts';
import { orderStateOf } from '#shared/data/order-repo.ts';
import { CanonicalEventSchema, MAX_DISCOUNT_CODE_LENGTH, MAX_DISCOUNT_CODES, OrderSchema } from '#shared/domain/event.ts';
import { orderVersion, summarize } from '#shared/domain/order.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { anOrder, orderEvent } from '#test/support/factories.ts';

/**
 * order.discountCodes: one form for every source (trimmed, upper-cased, each once), bounded (20
 * codes of 1–100 characters) and kept on the order item, never on the profile. The connectors'
 * readings are in connectors-shopify/woocommerce.test.ts, the generic route's answers in
 * discount-codes-generic-webhook.test.ts.
 */

const codesOf = (discountCodes: unknown) => OrderSchema.parse({ ...anOrder(), discountCodes }).discountCodes;
const refusal = (discountCodes: unknown) => {
  try {
    parseOrThrow(CanonicalEventSchema, { ...orderEvent('code-shop'), order: { ...anOrder(), discountCodes } });
  } catch (error) {
    return (error as { field?: string }).field;
  }
  return undefined;
};

describe('the canonical order’s discount codes', () => {
  it('are optional: an order without them has none, and keeps that absent', () => {
    const { discountCodes: _, ...order } = anOrder();
    expect(OrderSchema.parse(order)).not.toHaveProperty('discountCodes');
    expect(codesOf([])).toEqual([]);
  });

  it('are trimmed, upper-cased and kept once, first occurrence first', () => {
    expect(codesOf([' spring20 ', 'FreeShip', 'SPRING20', 'spring20', 'freeship', 'Vip-2026'])).toEqual([
      'SPRING20',
      'FREESHIP',
      'VIP-2026',
    ]);
  });

  it('are 1–100 characters once normalized, counted after upper-casing', () => {
    expect(codesOf(['a'.repeat(100)])).toEqual(['A'.repeat(100)]);
    expect(refusal(['ok', 'a'.repeat(101)])).toBe('order.discountCodes[1]');
    expect(refusal(['ok', 'fine', '   '])).toBe('order.discountCodes[2]');
    expect(refusal(['ok', 'fine', 'good', ''])).toBe('order.discountCodes[3]');
    // ß upper-cases to SS: 60 of them are 120 characters stored, over the bound.
    expect(refusal(['ß'.repeat(60)])).toBe('order.discountCodes[0]');
    expect(codesOf(['ß'.repeat(50)])).toEqual(['SS'.repeat(50)]);
  });

  it('are strings in an array of at most 20', () => {
    const twenty = Array.from({ length: MAX_DISCOUNT_CODES }, (_, i) => `C${i}`);
    expect(codesOf(twenty)).toHaveLength(20);
    expect(refusal([...twenty, 'C20'])).toBe('order.discountCodes');
    expect(refusal('SPRING20')).toBe('order.discountCodes');
    expect(refusal(['A', 'B', 'C', 20])).toBe('order.discountCodes[3]');
    expect(refusal([null])).toBe('order.discountCodes[0]');
  });

  it('normalize to themselves: parsing a parsed order changes nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 30 }), { maxLength: MAX_DISCOUNT_CODES }), (raw) => {
        const parsed = OrderSchema.safeParse({ ...anOrder(), discountCodes: raw });
        if (!parsed.success) return;
        const codes = parsed.data.discountCodes ?? [];
        expect(codesOf(codes)).toEqual(codes);
        expect(new Set(codes).size).toBe(codes.length);
        for (const code of codes) {
          expect(code).toBe(code.trim().toUpperCase());
          expect(code.length).toBeGreaterThanOrEqual(1);
          expect(code.length).toBeLessThanOrEqual(MAX_DISCOUNT_CODE_LENGTH);
        }
      }),
    );
  });
});

describe('the connectors’ reading of codes', () => {
  it('is the schema’s normalization, lenient where a real order would otherwise be lost', () => {
    expect(discountCodesOf([' spring20 ', undefined, '', 'SPRING20', 'x'.repeat(101), 'vip'])).toEqual(['SPRING20', 'VIP']);
    expect(discountCodesOf([])).toBeUndefined();
    expect(discountCodesOf([' ', undefined])).toBeUndefined();
    const many = Array.from({ length: 30 }, (_, i) => `c${i}`);
    expect(discountCodesOf(many)).toEqual(many.slice(0, 20).map((code) => code.toUpperCase()));
  });

  it('always yields what the schema accepts unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string({ maxLength: 120 }), { nil: undefined }), { maxLength: 40 }), (raw) => {
        const codes = discountCodesOf(raw);
        if (codes) expect(codesOf(codes)).toEqual(codes);
      }),
    );
  });
});

describe('codes on the order', () => {
  it('change its version only when it has some, so orders without codes keep the version they had', () => {
    const order = anOrder();
    expect(orderVersion({ ...order, discountCodes: [] })).toBe(orderVersion(order));
    expect(orderVersion({ ...order, discountCodes: ['SPRING20'] })).not.toBe(orderVersion(order));
    expect(orderVersion({ ...order, discountCodes: ['SPRING20'] })).not.toBe(orderVersion({ ...order, discountCodes: ['VIP'] }));
    // The same instant first: codes never make an older state newer.
    expect(orderVersion({ ...order, discountCodes: ['SPRING20'] }).slice(0, 15)).toBe(orderVersion(order).slice(0, 15));
  });

  it('are read back from the order item, and absent when the item has none', () => {
    const item = { orderId: 'O-1', ver: 'v', status: 'paid', total: 1000, createdAt: '2026-01-01T00:00:00.000Z', lines: [], seq: 2 };
    expect(orderStateOf({ ...item, discountCodes: ['SPRING20'] })?.discountCodes).toEqual(['SPRING20']);
    expect(orderStateOf(item)).not.toHaveProperty('discountCodes');
  });

  it('never reach the order’s summary, which the profile keeps', () => {
    const state = {
      orderId: 'O-1',
      status: 'paid' as const,
      total: 1000,
      reportedRefunded: 0,
      createdAt: '2026-01-01T00:00:00.000Z',
      lineItems: [],
      refunds: [],
      seq: 1,
    };
    expect(summarize({ ...state, discountCodes: ['SPRING20'] })).toEqual(summarize(state));
  });

  it('add a bounded number of bytes to the order item', () => {
    const size = (codes: string[]) => itemSize({ discountCodes: codes }) - itemSize({});
    const full = (character: string) =>
      Array.from({ length: MAX_DISCOUNT_CODES }, (_, i) => `${i}`.padEnd(MAX_DISCOUNT_CODE_LENGTH, character));
    expect(size(['SPRING20'])).toBeLessThan(30);
    expect(size(full('A'))).toBeLessThan(2_100);
    // The worst case: every character three UTF-8 bytes (the schema counts UTF-16 units).
    expect(size(full('€'))).toBeLessThan(6_100);
  });
});
