import { describe, expect, it } from 'vitest';
import type { ConnectorContext, NormalizeResult } from '#shared/connectors/types.ts';
import { normalizeWooCommerce } from '#shared/connectors/woocommerce.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';
import { type JsonObject, type JsonValue, loadFixture } from '#test/support/fixtures.ts';

const RECEIVED_AT = '2026-03-01T10:00:00.000Z';

function context(overrides: Partial<ConnectorContext> = {}): ConnectorContext {
  return {
    shopId: 'woo-books',
    currency: 'USD',
    ignoreTestOrders: true,
    receivedAt: new Date(RECEIVED_AT),
    // Not stable across deliveries: it must not reach an event id.
    deliveryId: 'e2a6c1f0-7b1d-4c52-9f43-1d2a3b4c5d6e',
    headers: {},
    ...overrides,
  };
}

function eventsOf(result: NormalizeResult): CanonicalEvent[] {
  if (result.kind !== 'events') expect.fail(`expected events, got ${JSON.stringify(result)}`);
  return result.events;
}

const run = (topic: string, body: JsonValue | string, ctx = context()) =>
  normalizeWooCommerce(topic, typeof body === 'string' ? body : JSON.stringify(body), ctx);

const order = (changes: JsonObject = {}): JsonObject => ({ ...loadFixture('woocommerce', 'order').body, ...changes });
const updated = (changes: JsonObject = {}): JsonObject => ({ ...loadFixture('woocommerce', 'order_updated').body, ...changes });

/** The refund resource, as the order.updated body lists it: {id, reason, total}, total negative. */
function refundEntry(): JsonObject {
  const refund = loadFixture('woocommerce', 'order_refund').body;
  return { id: refund.id as number, reason: refund.reason as string, total: `-${refund.amount as string}` };
}

const SAMPLE_CUSTOMER = {
  email: 'john.doe@example.com',
  phone: '(555) 555-5555',
  firstName: 'John',
  lastName: 'Doe',
  country: 'US',
  city: 'San Francisco',
};

const SAMPLE_LINES = [
  { productId: '93', title: 'Woo Single #1', quantity: 2, price: 300 },
  // "&ndash;" decoded; the sample's name really is "… Size: M Test".
  { sku: 'Bar3', productId: '22', title: 'Ship Your Idea – Color: Black, Size: M Test', quantity: 1, price: 1200 },
];

describe('WooCommerce orders', () => {
  it('normalizes the sample order (processing) into a paid order for a guest, dated in UTC', () => {
    const result = normalizeWooCommerce('order.created', loadFixture('woocommerce', 'order').raw, context());
    const [event] = eventsOf(result);
    expect(result).toEqual({
      kind: 'events',
      ignored: 0,
      events: [
        {
          eventId: expect.stringMatching(/^woo:order:727:2017-03-22T19:28:08\.000Z:[0-9a-f]{10}$/),
          shopId: 'woo-books',
          type: 'order.upserted',
          // date_modified_gmt "2017-03-22T19:28:08" has no designator and is UTC (date_modified is local).
          occurredAt: '2017-03-22T19:28:08.000Z',
          source: 'woocommerce',
          // customer_id 0: a guest, known by the billing email and phone.
          customer: SAMPLE_CUSTOMER,
          order: {
            orderId: '727',
            status: 'paid',
            currency: 'USD',
            total: 2935,
            refunded: 0,
            createdAt: '2017-03-22T19:28:02.000Z',
            updatedAt: '2017-03-22T19:28:08.000Z',
            lineItems: SAMPLE_LINES,
            // Only to tell a referrer ordering for themselves: the order item keeps a hash of it.
            shippingAddress: { line1: '969 Market', postcode: '94103', country: 'US' },
          },
        },
      ],
    });
    expect(event?.eventId).not.toContain('e2a6c1f0');
  });

  it('normalizes the updated sample (completed) with its later modification time', () => {
    const [event] = eventsOf(normalizeWooCommerce('order.updated', loadFixture('woocommerce', 'order_updated').raw, context()));
    expect(event?.eventId).toMatch(/^woo:order:727:2017-03-22T19:30:35\.000Z:[0-9a-f]{10}$/);
    expect(event?.occurredAt).toBe('2017-03-22T19:30:35.000Z');
    expect(event?.order).toEqual({
      orderId: '727',
      status: 'paid',
      currency: 'USD',
      total: 2935,
      refunded: 0,
      createdAt: '2017-03-22T19:28:02.000Z',
      updatedAt: '2017-03-22T19:30:35.000Z',
      lineItems: SAMPLE_LINES,
      shippingAddress: { line1: '969 Market', postcode: '94103', country: 'US' },
    });
  });

  it('gives the same delivery the same id, and two states of one second two ids', () => {
    const raw = loadFixture('woocommerce', 'order_updated').raw;
    const once = eventsOf(normalizeWooCommerce('order.updated', raw, context({ deliveryId: 'first' })))[0]?.eventId;
    const twice = eventsOf(normalizeWooCommerce('order.updated', raw, context({ deliveryId: 'second', receivedAt: new Date() })))[0]
      ?.eventId;
    expect(twice).toBe(once);
    const cancelled = eventsOf(run('order.updated', updated({ status: 'cancelled' })))[0]?.eventId;
    expect(cancelled).toMatch(/^woo:order:727:2017-03-22T19:30:35\.000Z:/);
    expect(cancelled).not.toBe(once);
  });

  it('emits one refund.created per refund the order lists, and reports the refunded total', () => {
    const result = run('order.updated', updated({ refunds: [refundEntry()] }));
    expect(result).toEqual({
      kind: 'events',
      ignored: 0,
      events: [
        expect.objectContaining({
          type: 'order.upserted',
          order: expect.objectContaining({ orderId: '727', status: 'partially_refunded', total: 2935, refunded: 1000 }),
        }),
        {
          eventId: 'woo:order:727:refund:726',
          shopId: 'woo-books',
          type: 'refund.created',
          occurredAt: '2017-03-22T19:30:35.000Z',
          source: 'woocommerce',
          refund: { refundId: '726', orderId: '727', currency: 'USD', amount: 1000, createdAt: '2017-03-22T19:30:35.000Z' },
        },
      ],
    });
  });

  it('keeps a refund’s event id when a later update lists it again', () => {
    const later = eventsOf(
      run('order.updated', updated({ date_modified_gmt: '2017-03-23T08:00:00', refunds: [refundEntry(), { id: 730, total: '-19.35' }] })),
    );
    expect(later.map((event) => event.eventId).slice(1)).toEqual(['woo:order:727:refund:726', 'woo:order:727:refund:730']);
    expect(later[0]?.order).toMatchObject({ status: 'refunded', refunded: 2935 });
    expect(later[2]?.refund).toEqual({
      refundId: '730',
      orderId: '727',
      currency: 'USD',
      amount: 1935,
      createdAt: '2017-03-23T08:00:00.000Z',
    });
  });

  it('maps every WooCommerce status, plugin statuses by date_paid', () => {
    const expectations: [string, string, JsonObject?][] = [
      ['pending', 'pending'],
      ['processing', 'paid'],
      ['on-hold', 'pending'],
      ['completed', 'paid'],
      ['cancelled', 'cancelled'],
      ['refunded', 'refunded'],
      ['failed', 'pending'],
      ['trash', 'cancelled'],
      ['wc-completed', 'paid'],
      ['Processing', 'paid'],
      ['shipped', 'paid'],
      ['shipped', 'pending', { date_paid_gmt: null }],
      ['awaiting-shipment', 'pending', { date_paid: null, date_paid_gmt: null }],
    ];
    for (const [status, expected, extra] of expectations) {
      expect(eventsOf(run('order.updated', order({ status, ...extra })))[0]?.order?.status, status).toBe(expected);
    }
  });

  it('ignores a checkout draft: a cart, not an order', () => {
    expect(run('order.created', order({ status: 'checkout-draft' }))).toEqual({ kind: 'events', events: [], ignored: 1 });
  });

  it('names a registered customer by their WooCommerce id', () => {
    const [event] = eventsOf(run('order.created', order({ customer_id: 25 })));
    expect(event?.customer).toEqual({ externalId: 'woocommerce:25', ...SAMPLE_CUSTOMER });
  });

  it('leaves an order without any contact unattributed rather than refusing it', () => {
    const [event] = eventsOf(run('order.created', order({ billing: { first_name: 'John', email: '', phone: '' } })));
    expect(event?.customer).toBeUndefined();
    expect(eventsOf(run('order.created', order({ billing: null })))[0]?.customer).toBeUndefined();
  });

  it('derives unit prices from line subtotals in exact integer arithmetic', () => {
    const lines: JsonObject[] = [
      { name: 'Three for ten', product_id: 5, quantity: 3, subtotal: '10.00', total: '9.00', price: 3 },
      { name: 'Price only', product_id: 0, sku: '', quantity: 2, price: '4.50' },
      { name: 'Nothing', quantity: 0, subtotal: '0.00' },
      { name: 'Number subtotal', quantity: 4, subtotal: 10.01 },
    ];
    const [event] = eventsOf(run('order.created', order({ line_items: lines })));
    expect(event?.order?.lineItems).toEqual([
      { productId: '5', title: 'Three for ten', quantity: 3, price: 333 },
      { title: 'Price only', quantity: 2, price: 450 },
      { title: 'Nothing', quantity: 0, price: 0 },
      { title: 'Number subtotal', quantity: 4, price: 250 },
    ]);
  });

  it('decodes the HTML entities WooCommerce writes into line names, and only those', () => {
    const names = ['Rock &amp; Roll &#8211; Vinyl', 'Tom&#x2019;s tea', 'A &foo; B', 'Nul &#0; byte', 'Plain'];
    const lines = names.map((name) => ({ name, quantity: 1, subtotal: '1.00' }));
    const [event] = eventsOf(run('order.created', order({ line_items: lines })));
    expect(event?.order?.lineItems.map((line) => line.title)).toEqual([
      'Rock & Roll – Vinyl',
      'Tom’s tea',
      'A &foo; B',
      'Nul &#0; byte',
      'Plain',
    ]);
  });

  it('reads money sent as numbers and ids sent as strings', () => {
    const [event] = eventsOf(run('order.created', order({ id: '727', total: 29.35, customer_id: '25' })));
    expect(event?.order).toMatchObject({ orderId: '727', total: 2935 });
    expect(event?.customer?.externalId).toBe('woocommerce:25');
  });

  it('reads a three-decimal shop currency by its exponent', () => {
    const body = order({ currency: 'KWD', total: '12.345', line_items: [{ name: 'Dates', quantity: 1, subtotal: '12.345' }] });
    expect(eventsOf(run('order.created', body, context({ currency: 'KWD' })))[0]?.order).toMatchObject({
      currency: 'KWD',
      total: 12345,
      lineItems: [{ title: 'Dates', quantity: 1, price: 12345 }],
    });
  });

  it('refuses an order in another currency than the shop’s, naming currency', () => {
    expect(run('order.created', order({ currency: 'EUR' }))).toEqual({
      kind: 'invalid',
      field: 'currency',
      message: 'currency: must be the shop currency USD',
    });
    expect(run('order.created', order(), context({ currency: 'JPY' }))).toMatchObject({ kind: 'invalid', field: 'currency' });
  });

  it('turns order.deleted into a cancelled, empty state at the arrival time', () => {
    expect(run('order.deleted', { id: 727 })).toEqual({
      kind: 'events',
      ignored: 0,
      events: [
        {
          eventId: 'woo:order:727:deleted',
          shopId: 'woo-books',
          type: 'order.upserted',
          occurredAt: RECEIVED_AT,
          source: 'woocommerce',
          order: {
            orderId: '727',
            status: 'cancelled',
            currency: 'USD',
            total: 0,
            createdAt: RECEIVED_AT,
            updatedAt: RECEIVED_AT,
            lineItems: [],
          },
        },
      ],
    });
  });
});

describe('WooCommerce customers', () => {
  it('normalizes the sample customer into customer.upserted', () => {
    expect(normalizeWooCommerce('customer.created', loadFixture('woocommerce', 'customer').raw, context())).toEqual({
      kind: 'events',
      ignored: 0,
      events: [
        {
          eventId: expect.stringMatching(/^woo:customer:25:2017-03-21T19:09:30\.000Z:[0-9a-f]{10}$/),
          shopId: 'woo-books',
          type: 'customer.upserted',
          occurredAt: '2017-03-21T19:09:30.000Z',
          source: 'woocommerce',
          customer: { externalId: 'woocommerce:25', updatedAt: '2017-03-21T19:09:30.000Z', ...SAMPLE_CUSTOMER },
        },
      ],
    });
  });

  it('erases the customer on customer.deleted', () => {
    expect(run('customer.deleted', { id: 25 })).toEqual({
      kind: 'events',
      ignored: 0,
      events: [
        {
          eventId: 'woo:customer:25:deleted',
          shopId: 'woo-books',
          type: 'customer.erased',
          occurredAt: RECEIVED_AT,
          source: 'woocommerce',
          customer: { externalId: 'woocommerce:25' },
        },
      ],
    });
  });
});

describe('WooCommerce topics and hostile bodies', () => {
  it('reads a restored order as the order it is again', () => {
    expect(run('order.restored', order()).kind).toBe('events');
  });

  it('answers unknown topics as such', () => {
    for (const topic of ['product.created', 'coupon.updated', 'action.woocommerce_checkout_order_processed', 'hasOwnProperty']) {
      expect(run(topic, order()), topic).toEqual({ kind: 'unknown_topic' });
    }
  });

  const invalid = (topic: string, body: JsonValue | string, field: string) => {
    const result = run(topic, body);
    expect(result, `${topic} ${typeof body === 'string' ? body.slice(0, 60) : JSON.stringify(body).slice(0, 80)}`).toMatchObject({
      kind: 'invalid',
      field,
    });
  };

  it('names the body when it is not a JSON object', () => {
    for (const body of ['', 'webhook_id=12', 'null', '[]', '"x"', '7']) invalid('order.updated', body, 'body');
    invalid('customer.deleted', 'null', 'body');
  });

  it('names the field of a wrong type, a missing field or an impossible value', () => {
    invalid('order.updated', order({ total: '-29.35' }), 'total');
    invalid('order.updated', order({ total: '29.355' }), 'total');
    invalid('order.updated', order({ total: null }), 'total');
    invalid('order.updated', JSON.stringify(order({ total: '@@' })).replace('"@@"', '1e400'), 'total');
    invalid('order.updated', order({ id: 'abc' }), 'id');
    invalid('order.updated', order({ id: -1 }), 'id');
    invalid('order.updated', order({ status: 5 }), 'status');
    invalid('order.updated', order({ currency: null }), 'currency');
    invalid('order.updated', order({ date_created_gmt: '2017-13-01T00:00:00' }), 'date_created_gmt');
    invalid('order.updated', order({ date_created_gmt: null, date_modified_gmt: null }), 'date_created_gmt');
    invalid('order.updated', order({ line_items: [{ name: 'x', quantity: '2', subtotal: '1.00' }] }), 'line_items[0].quantity');
    invalid('order.updated', order({ line_items: [{ name: 'x', quantity: 1 }] }), 'line_items[0].subtotal');
    invalid('order.updated', order({ line_items: [{ name: 'x', quantity: 3, price: 3.3333333333 }] }), 'line_items[0].price');
    invalid('order.updated', order({ billing: 'John' }), 'billing');
    invalid('order.updated', order({ refunds: [{ id: 1, total: 'lots' }] }), 'refunds[0].total');
    invalid('order.deleted', {}, 'id');
    invalid('customer.updated', { ...loadFixture('woocommerce', 'customer').body, id: 0 }, 'id');
    invalid('customer.updated', { ...loadFixture('woocommerce', 'customer').body, email: ['a@b.c'] }, 'email');
    invalid('customer.deleted', { id: 'x' }, 'id');
  });
});

describe('WooCommerce discount codes', () => {
  /**
   * The REST v3 samples list no coupon (coupon_lines: []). These are the samples with a coupon line
   * in the documented shape {id, code, discount, discount_tax, meta_data}; WooCommerce sends codes
   * lower-cased. Its amounts are not reconciled with the samples' totals: only the code is read.
   */
  const coupon = (code: JsonValue, id = 731) => ({ id, code, discount: '1.50', discount_tax: '0.00', meta_data: [] });
  const codesOf = (body: JsonObject, topic = 'order.updated') => eventsOf(run(topic, body))[0]?.order?.discountCodes;

  it('reads coupon_lines[].code of order.created and order.updated, upper-cased', () => {
    expect(codesOf(order({ coupon_lines: [coupon('summer10')] }), 'order.created')).toEqual(['SUMMER10']);
    expect(codesOf(updated({ coupon_lines: [coupon('summer10'), coupon('freeship', 732)] }))).toEqual(['SUMMER10', 'FREESHIP']);
  });

  it('leaves the field out when the order has no coupon, as in the samples', () => {
    expect(loadFixture('woocommerce', 'order').body.coupon_lines).toEqual([]);
    expect(eventsOf(run('order.created', order()))[0]?.order).not.toHaveProperty('discountCodes');
    expect(eventsOf(run('order.updated', updated({ coupon_lines: null })))[0]?.order).not.toHaveProperty('discountCodes');
  });

  it('normalizes codes as every connector does: trimmed, upper-cased, deduped, blank and over-long ones left out', () => {
    const lines = [coupon(' summer10 '), coupon('SUMMER10', 732), coupon(''), coupon('z'.repeat(101), 733), coupon('vip', 734)];
    expect(codesOf(updated({ coupon_lines: lines }))).toEqual(['SUMMER10', 'VIP']);
  });

  it('makes a coupon added to the same second’s state another state, with another event id', () => {
    const without = eventsOf(run('order.updated', updated()))[0]?.eventId;
    const withCoupon = eventsOf(run('order.updated', updated({ coupon_lines: [coupon('summer10')] })))[0]?.eventId;
    expect(withCoupon).not.toBe(without);
  });

  it('names a coupon code of the wrong type', () => {
    expect(run('order.updated', updated({ coupon_lines: [coupon('a'), coupon(7, 732)] }))).toMatchObject({
      kind: 'invalid',
      field: 'coupon_lines[1].code',
    });
    expect(run('order.updated', updated({ coupon_lines: { code: 'a' } }))).toMatchObject({ kind: 'invalid', field: 'coupon_lines' });
  });
});
