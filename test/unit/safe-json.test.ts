import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonExact, quoteUnsafeIntegers } from '#shared/connectors/safe-json.ts';
import { loadFixture } from '#test/support/fixtures.ts';

const parse = (text: string) => {
  const result = parseJsonExact(text);
  if (!result.ok) throw new Error(result.error);
  return result.value as Record<string, unknown>;
};

describe('parseJsonExact on real payloads', () => {
  it('keeps Shopify ids above 2^53 exact, where JSON.parse rounds them', () => {
    const { raw } = loadFixture('shopify', 'orders_paid');
    expect(String((JSON.parse(raw) as { id: number }).id)).toBe('820982911946154500');

    const order = parse(raw) as {
      id: unknown;
      customer: { id: unknown; default_address: { id: unknown; customer_id: unknown } };
      line_items: { id: unknown; product_id: unknown; sales_line_item_group_id: unknown }[];
      shipping_lines: { id: unknown }[];
      number: unknown;
      total_weight: unknown;
    };
    expect(order.id).toBe('820982911946154508');
    expect(order.customer.id).toBe('115310627314723954');
    expect(order.customer.default_address.id).toBe('715243470612851245');
    expect(order.line_items.map((line) => line.id)).toEqual([
      '487817672276298554',
      '789012345678901234',
      '890123456789012345',
      '976318377106520349',
      '315789986012684393',
    ]);
    expect(order.line_items[0]?.product_id).toBe('788032119674292922');
    expect(order.line_items[3]?.sales_line_item_group_id).toBe(142831562);
    expect(order.shipping_lines[0]?.id).toBe('271878346596884015');
    // Small numbers stay numbers.
    expect(order.number).toBe(234);
    expect(order.total_weight).toBe(0);
  });

  it('keeps the refund sample’s ids exact and its decimals as numbers', () => {
    const refund = parse(loadFixture('shopify', 'refunds_create').raw) as {
      id: unknown;
      order_id: unknown;
      user_id: unknown;
      refund_line_items: { subtotal: unknown; total_tax: unknown }[];
      transactions: { id: unknown; amount: unknown }[];
    };
    expect(refund.id).toBe('890088186047892319');
    expect(refund.order_id).toBe('820982911946154508');
    expect(refund.user_id).toBe(548380009);
    expect(refund.refund_line_items[0]?.subtotal).toBe(89.99);
    expect(refund.refund_line_items[0]?.total_tax).toBe(0);
    expect(refund.transactions.map((t) => [t.id, t.amount])).toEqual([
      ['245135271310201194', '75.00'],
      ['839212141605670573', '10.00'],
    ]);
  });

  it('changes nothing in WooCommerce bodies, whose ids are small', () => {
    const { raw } = loadFixture('woocommerce', 'order');
    expect(quoteUnsafeIntegers(raw)).toBe(raw);
    expect(parse(raw)).toEqual(JSON.parse(raw));
  });
});

describe('parseJsonExact edge cases', () => {
  it('quotes only integer literals beyond the safe range, outside strings', () => {
    expect(parse(`{"a":${Number.MAX_SAFE_INTEGER},"b":9007199254740992,"c":-9007199254740993,"d":"12345678901234567890"}`)).toEqual({
      a: Number.MAX_SAFE_INTEGER,
      b: '9007199254740992',
      c: '-9007199254740993',
      d: '12345678901234567890',
    });
    expect(parse('[12345678901234567890,1]')).toEqual(['12345678901234567890', 1]);
    expect(parse('12345678901234567890')).toBe('12345678901234567890');
  });

  it('leaves numbers with a fraction or an exponent to JSON.parse', () => {
    const text = '{"a":12345678901234567890.5,"b":1e400,"c":12345678901234567890e-2,"d":1.2345678901234567890E+3}';
    expect(parse(text)).toEqual(JSON.parse(text));
    expect(parse(text).b).toBe(Number.POSITIVE_INFINITY);
    expect(typeof parse(text).a).toBe('number');
  });

  it('never looks inside strings, escaped quotes included', () => {
    const text = '{"a":"x\\"12345678901234567890\\" y","b\\\\":12345678901234567891,"c":"\\\\"}';
    expect(parse(text)).toEqual({ a: 'x"12345678901234567890" y', 'b\\': '12345678901234567891', c: '\\' });
  });

  it('does not make invalid JSON valid', () => {
    for (const text of [
      '{"a":012345678901234567890}',
      '{"a":--12345678901234567890}',
      '{"a":12345678901234567890x}',
      '',
      'nul',
      '{"a":"12345678901234567890',
    ]) {
      expect(parseJsonExact(text).ok, text).toBe(false);
    }
  });

  it('answers instead of throwing on pathological nesting', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(typeof parseJsonExact(deep).ok).toBe('boolean');
  });
});

/** A JSON tree whose integer leaves are bigints, serialized with the digits exactly as generated. */
type Tree = bigint | string | boolean | null | Tree[] | { [key: string]: Tree };

const treeArbitrary: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
    fc.oneof(fc.string(), fc.stringMatching(/^[0-9]{10,30}$/), fc.stringMatching(/^.{0,3}"?[0-9]{16,25}\\?.{0,3}$/)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('tree'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('tree'), { maxKeys: 5 }),
  ),
})).tree;

function serialize(tree: Tree): string {
  if (typeof tree === 'bigint') return tree.toString();
  if (Array.isArray(tree)) return `[${tree.map(serialize).join(', ')}]`;
  if (tree !== null && typeof tree === 'object') {
    return `{${Object.entries(tree)
      .map(([key, value]) => `${JSON.stringify(key)}: ${serialize(value)}`)
      .join(',\n')}}`;
  }
  return JSON.stringify(tree);
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function expected(tree: Tree): unknown {
  if (typeof tree === 'bigint') return tree > SAFE || tree < -SAFE ? tree.toString() : Number(tree);
  if (Array.isArray(tree)) return tree.map(expected);
  if (tree !== null && typeof tree === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(tree))
      Object.defineProperty(out, key, { value: expected(value), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return tree;
}

describe('parseJsonExact properties', () => {
  it('round-trips the digits of every integer, in and out of strings, and leaves strings untouched', () => {
    fc.assert(
      fc.property(treeArbitrary, (tree) => {
        expect(parseJsonExact(serialize(tree))).toEqual({ ok: true, value: expected(tree) });
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with JSON.parse on any text without an unsafe integer literal', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        fc.pre(!/(^|[^\d.eE+-])-?[1-9]\d{15,}(?![\d.eE])/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""')));
        expect(parseJsonExact(text)).toEqual({ ok: true, value: JSON.parse(text) });
      }),
      { numRuns: 1000 },
    );
  });
});
