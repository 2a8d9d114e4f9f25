import { describe, expect, it } from 'vitest';
import { normalizeShopify } from '#shared/connectors/shopify.ts';
import type { ConnectorContext, NormalizeResult } from '#shared/connectors/types.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';
import { type JsonObject, type JsonValue, loadFixture } from '#test/support/fixtures.ts';

const RECEIVED_AT = '2026-03-01T10:00:00.000Z';
const DELIVERY = 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043';

function context(overrides: Partial<ConnectorContext> = {}): ConnectorContext {
  return { shopId: 'lumen-optics', currency: 'USD', ignoreTestOrders: true, receivedAt: new Date(RECEIVED_AT), headers: {}, ...overrides };
}

/** The events of a successful normalization (the test fails with the answer otherwise). */
function eventsOf(result: NormalizeResult): CanonicalEvent[] {
  if (result.kind !== 'events') expect.fail(`expected events, got ${JSON.stringify(result)}`);
  return result.events;
}

const run = (topic: string, body: JsonValue | string, ctx = context()) =>
  normalizeShopify(topic, typeof body === 'string' ? body : JSON.stringify(body), ctx);

const order = () => loadFixture('shopify', 'orders_paid').body;
const refund = () => loadFixture('shopify', 'refunds_create').body;
const customer = () => loadFixture('shopify', 'customers_create').body;

/** The sample order, as Shopify would send it for a real (non-test) order. */
const liveOrder = (changes: JsonObject = {}): JsonObject => ({ ...order(), test: false, ...changes });

const SAMPLE_LINES = [
  { sku: 'SKU2006-001', productId: '788032119674292922', title: 'Aviator sunglasses', quantity: 1, price: 8999 },
  { sku: 'LENS-PROTECT-2YR', title: 'Lens Protection Plan (2 Year)', quantity: 1, price: 1999 },
  { sku: 'CASE-LEATHER-PREM', title: 'Premium Leather Case', quantity: 1, price: 2499 },
  { sku: 'SKU2006-020', productId: '788032119674292922', title: 'Mid-century lounger', quantity: 1, price: 15999 },
  { sku: 'SKU2006-035', productId: '788032119674292922', title: 'Coffee table', quantity: 1, price: 11999 },
];

describe('Shopify orders', () => {
  it('drops the sample order, a test order, when the shop ignores test orders', () => {
    for (const topic of ['orders/create', 'orders/paid', 'orders/updated', 'orders/cancelled']) {
      expect(normalizeShopify(topic, loadFixture('shopify', 'orders_paid').raw, context())).toEqual({
        kind: 'events',
        events: [],
        ignored: 1,
      });
    }
  });

  it('normalizes the sample orders/paid body into one exact order event', () => {
    const ctx = context({
      ignoreTestOrders: false,
      deliveryId: DELIVERY,
      headers: { 'x-shopify-triggered-at': '2022-01-01T00:00:01.123456789Z' },
    });
    const result = normalizeShopify('orders/paid', loadFixture('shopify', 'orders_paid').raw, ctx);
    expect(result).toEqual({
      kind: 'events',
      ignored: 0,
      events: [
        {
          eventId: `shopify:${DELIVERY}`,
          shopId: 'lumen-optics',
          type: 'order.upserted',
          occurredAt: '2022-01-01T00:00:01.123Z',
          source: 'shopify',
          customer: {
            externalId: 'shopify:115310627314723954',
            // The customer's own email, not the order's contact email (jon@example.com).
            email: 'john@example.com',
            firstName: 'John',
            lastName: 'Smith',
            locale: 'en',
            country: 'CA',
            city: 'Ottawa',
          },
          order: {
            orderId: '820982911946154508',
            // cancelled_at is set: cancelled wins over financial_status "voided".
            status: 'cancelled',
            currency: 'USD',
            // total_price_set.shop_money: 404.95 (the line items add up to 414.95 before the discount).
            total: 40495,
            refunded: 0,
            createdAt: '2022-01-01T00:00:00.000Z',
            updatedAt: '2022-01-01T00:00:00.000Z',
            lineItems: SAMPLE_LINES,
            // Only to tell a referrer ordering for themselves: the order item keeps a hash of it.
            shippingAddress: { line1: '123 Shipping Street', postcode: '40003', country: 'US' },
            test: true,
          },
        },
      ],
    });
  });

  it('reads orders/create the same way, with an event id from the order when the delivery has none', () => {
    const [event] = eventsOf(
      normalizeShopify('orders/create', loadFixture('shopify', 'orders_create').raw, context({ ignoreTestOrders: false })),
    );
    expect(event?.eventId).toBe('shopify:orders_create:820982911946154508:2022-01-01T00:00:00.000Z');
    expect(event?.occurredAt).toBe('2022-01-01T00:00:00.000Z');
    expect(event?.order?.lineItems).toEqual(SAMPLE_LINES);
  });

  it('keeps a live order when the shop ignores test orders, without a test flag', () => {
    const [event] = eventsOf(run('orders/paid', liveOrder()));
    expect(event?.order?.test).toBeUndefined();
    expect(event?.order?.status).toBe('cancelled');
  });

  it('maps financial_status so that only captured money is paid', () => {
    const expectations: [string | null, string][] = [
      ['paid', 'paid'],
      ['partially_refunded', 'partially_refunded'],
      ['refunded', 'refunded'],
      ['pending', 'pending'],
      ['authorized', 'pending'],
      ['partially_paid', 'pending'],
      ['expired', 'pending'],
      ['voided', 'cancelled'],
      ['PAID', 'paid'],
      ['something_new', 'pending'],
      [null, 'pending'],
    ];
    for (const [financial, status] of expectations) {
      const [event] = eventsOf(run('orders/updated', liveOrder({ financial_status: financial, cancelled_at: null })));
      expect(event?.order?.status, String(financial)).toBe(status);
    }
    const [cancelledPaid] = eventsOf(run('orders/cancelled', liveOrder({ financial_status: 'paid' })));
    expect(cancelledPaid?.order?.status).toBe('cancelled');
  });

  it('reports refunded money from the order’s own refunds, transactions only', () => {
    const [event] = eventsOf(
      run('orders/updated', liveOrder({ financial_status: 'partially_refunded', cancelled_at: null, refunds: [refund()] })),
    );
    expect(event?.order).toMatchObject({ status: 'partially_refunded', total: 40495, refunded: 8500 });
  });

  it('reads line prices and the total from shop money, not presentment money', () => {
    const body = liveOrder();
    const lines = body.line_items as JsonObject[];
    const first = lines[0] as JsonObject;
    first.price_set = {
      shop_money: { amount: '89.99', currency_code: 'USD' },
      presentment_money: { amount: '123.45', currency_code: 'CAD' },
    };
    first.product_type = 'Sunglasses';
    body.total_price_set = {
      shop_money: { amount: '404.95', currency_code: 'USD' },
      presentment_money: { amount: '555.00', currency_code: 'CAD' },
    };
    const [event] = eventsOf(run('orders/paid', body));
    expect(event?.order?.total).toBe(40495);
    expect(event?.order?.lineItems[0]).toEqual({ ...SAMPLE_LINES[0], category: 'Sunglasses' });
  });

  it('takes a customer’s email marketing consent from its consent state, then accepts_marketing', () => {
    const consent = (customerChanges: JsonObject) => {
      const body = liveOrder();
      body.customer = { ...(body.customer as JsonObject), ...customerChanges };
      return eventsOf(run('orders/paid', body))[0]?.customer?.acceptsEmailMarketing;
    };
    expect(consent({ email_marketing_consent: { state: 'subscribed', opt_in_level: 'single_opt_in' } })).toBe(true);
    expect(consent({ email_marketing_consent: { state: 'not_subscribed' } })).toBe(false);
    expect(consent({ email_marketing_consent: { state: 'pending' } })).toBe(false);
    expect(consent({ email_marketing_consent: { state: 'unsubscribed' }, accepts_marketing: true })).toBe(false);
    expect(consent({ email_marketing_consent: null, accepts_marketing: true })).toBe(true);
    expect(consent({ accepts_marketing: false })).toBe(false);
    // The sample's buyer_accepts_marketing (true) is one checkout's box, not the customer's choice.
    expect(consent({})).toBeUndefined();
  });

  it('identifies a guest order by the order’s email and phone, and a contactless one not at all', () => {
    const [guest] = eventsOf(run('orders/paid', liveOrder({ customer: null, phone: '+1 613 555 0100' })));
    expect(guest?.customer).toEqual({ email: 'jon@example.com', phone: '+1 613 555 0100', locale: 'en' });
    const [nobody] = eventsOf(run('orders/paid', liveOrder({ customer: null, email: null, contact_email: null, customer_locale: null })));
    expect(nobody?.customer).toBeUndefined();
    expect(nobody?.order?.orderId).toBe('820982911946154508');
  });

  it('reads ids sent as numbers, big numbers or strings alike, and from admin_graphql_api_id', () => {
    const asString = eventsOf(run('orders/paid', liveOrder({ id: '820982911946154508' })));
    expect(asString[0]?.order?.orderId).toBe('820982911946154508');
    const small = eventsOf(run('orders/paid', liveOrder({ id: 450789469, admin_graphql_api_id: 'gid://shopify/Order/450789469' })));
    expect(small[0]?.order?.orderId).toBe('450789469');
    const gidOnly = eventsOf(run('orders/paid', liveOrder({ id: null })));
    expect(gidOnly[0]?.order?.orderId).toBe('820982911946154508');
    // The raw text with the id as a bare big integer literal (how Shopify sends it).
    const raw = JSON.stringify(liveOrder()).replace('"id":"820982911946154508"', '"id":820982911946154508');
    expect(raw).toContain('"id":820982911946154508');
    expect(eventsOf(run('orders/paid', raw))[0]?.order?.orderId).toBe('820982911946154508');
  });

  it('refuses an order whose two ids disagree', () => {
    expect(run('orders/paid', liveOrder({ id: '820982911946154509' }))).toMatchObject({ kind: 'invalid', field: 'admin_graphql_api_id' });
  });

  it('refuses an order in another currency than the shop’s, naming the field', () => {
    expect(run('orders/paid', liveOrder(), context({ currency: 'EUR' }))).toEqual({
      kind: 'invalid',
      field: 'total_price_set.shop_money.currency_code',
      message: 'total_price_set.shop_money.currency_code: must be the shop currency EUR',
    });
  });

  it('reads a zero-decimal shop currency by its own exponent', () => {
    const body = liveOrder({
      total_price_set: {
        shop_money: { amount: '1999000', currency_code: 'VND' },
        presentment_money: { amount: '1999000', currency_code: 'VND' },
      },
      line_items: [{ title: 'Trà ô long', quantity: 2, price_set: { shop_money: { amount: '999500.0', currency_code: 'VND' } } }],
    });
    const [event] = eventsOf(run('orders/paid', body, context({ currency: 'VND' })));
    expect(event?.order).toMatchObject({
      currency: 'VND',
      total: 1_999_000,
      lineItems: [{ title: 'Trà ô long', quantity: 2, price: 999_500 }],
    });
  });

  it('falls back to the legacy shop-currency fields when the money sets are missing', () => {
    const body = liveOrder({ total_price_set: null, total_price: '404.95' });
    const lines = body.line_items as JsonObject[];
    delete (lines[0] as JsonObject).price_set;
    const [event] = eventsOf(run('orders/paid', body));
    expect(event?.order?.total).toBe(40495);
    expect(event?.order?.lineItems[0]?.price).toBe(8999);
    expect(run('orders/paid', liveOrder({ total_price_set: null, total_price: null }))).toMatchObject({
      kind: 'invalid',
      field: 'total_price_set',
    });
  });

  it('keeps the first 500 lines of a huge order and cuts over-long titles', () => {
    const line = { title: 'x'.repeat(600), quantity: 1, price_set: { shop_money: { amount: '1.00', currency_code: 'USD' } } };
    const [event] = eventsOf(run('orders/paid', liveOrder({ line_items: Array.from({ length: 501 }, () => line) })));
    expect(event?.order?.lineItems).toHaveLength(500);
    expect(event?.order?.lineItems[0]?.title).toHaveLength(500);
  });

  it('turns orders/delete into a cancelled, empty state stamped with the deletion time', () => {
    const raw = loadFixture('shopify', 'orders_delete').raw;
    const expectedOrder = (at: string) => ({
      orderId: '820982911946154508',
      status: 'cancelled',
      currency: 'USD',
      total: 0,
      createdAt: at,
      updatedAt: at,
      lineItems: [],
    });
    expect(normalizeShopify('orders/delete', raw, context({ deliveryId: DELIVERY }))).toEqual({
      kind: 'events',
      ignored: 0,
      events: [
        {
          eventId: `shopify:${DELIVERY}`,
          shopId: 'lumen-optics',
          type: 'order.upserted',
          occurredAt: RECEIVED_AT,
          source: 'shopify',
          order: expectedOrder(RECEIVED_AT),
        },
      ],
    });
    const triggered = eventsOf(
      normalizeShopify('orders/delete', raw, context({ headers: { 'x-shopify-triggered-at': '2026-02-28T23:59:59-05:00' } })),
    );
    expect(triggered[0]?.order).toEqual(expectedOrder('2026-03-01T04:59:59.000Z'));
    expect(triggered[0]?.eventId).toBe('shopify:orders_delete:820982911946154508');
  });
});

describe('Shopify refunds', () => {
  it('takes the money returned from the successful refund transactions, not the line subtotals', () => {
    const result = normalizeShopify('refunds/create', loadFixture('shopify', 'refunds_create').raw, context({ deliveryId: DELIVERY }));
    expect(result).toEqual({
      kind: 'events',
      ignored: 0,
      events: [
        {
          eventId: `shopify:${DELIVERY}`,
          shopId: 'lumen-optics',
          type: 'refund.created',
          occurredAt: '2022-01-01T00:00:00.000Z',
          source: 'shopify',
          // Transactions 75.00 + 10.00; the refund line subtotals would have said 414.95.
          refund: {
            refundId: '890088186047892319',
            orderId: '820982911946154508',
            currency: 'USD',
            amount: 8500,
            createdAt: '2022-01-01T00:00:00.000Z',
          },
        },
      ],
    });
  });

  it('counts only successful refund transactions', () => {
    const body = refund();
    const transactions = body.transactions as JsonObject[];
    (transactions[0] as JsonObject).status = 'pending';
    transactions.push({ kind: 'sale', status: 'success', amount: '999.00' }, { kind: 'refund', status: 'failure', amount: '5.00' });
    expect(eventsOf(run('refunds/create', body))[0]?.refund?.amount).toBe(1000);
    expect(eventsOf(run('refunds/create', { ...refund(), transactions: [] }))[0]?.refund?.amount).toBe(0);
  });

  it('values a refund paid in the presentment currency at the rate of the refund’s own money bags', () => {
    const body = refund();
    body.refund_line_items = [
      {
        subtotal_set: {
          shop_money: { amount: '10.00', currency_code: 'USD' },
          presentment_money: { amount: '13.00', currency_code: 'CAD' },
        },
        total_tax_set: {
          shop_money: { amount: '0.00', currency_code: 'USD' },
          presentment_money: { amount: '0.00', currency_code: 'CAD' },
        },
      },
    ];
    body.transactions = [{ kind: 'refund', status: 'success', amount: '6.50', currency: 'CAD' }];
    expect(eventsOf(run('refunds/create', body))[0]?.refund?.amount).toBe(500);
    // A presentment amount that is fine in CAD but beyond counting in the (here dearer) shop currency.
    const dearShop = structuredClone(body);
    dearShop.refund_line_items = [
      {
        subtotal_set: {
          shop_money: { amount: '13.00', currency_code: 'USD' },
          presentment_money: { amount: '10.00', currency_code: 'CAD' },
        },
      },
    ];
    dearShop.transactions = [{ kind: 'refund', status: 'success', amount: '90071992547409.91', currency: 'CAD' }];
    expect(run('refunds/create', dearShop)).toMatchObject({ kind: 'invalid', field: 'transactions[0].currency' });
    body.refund_line_items = [];
    body.total_duties_set = null;
    expect(run('refunds/create', body)).toMatchObject({ kind: 'invalid', field: 'transactions[0].currency' });
  });

  it('drops the refund of a test order with the order', () => {
    const body = refund();
    for (const transaction of body.transactions as JsonObject[]) transaction.test = true;
    expect(run('refunds/create', body)).toEqual({ kind: 'events', events: [], ignored: 1 });
    expect(eventsOf(run('refunds/create', body, context({ ignoreTestOrders: false })))[0]?.refund?.amount).toBe(8500);
  });

  it('needs the order id and a refund id', () => {
    expect(run('refunds/create', { ...refund(), order_id: null })).toMatchObject({ kind: 'invalid', field: 'order_id' });
    expect(run('refunds/create', { ...refund(), id: null, admin_graphql_api_id: null })).toMatchObject({ kind: 'invalid', field: 'id' });
  });
});

describe('Shopify customers and privacy', () => {
  const bob = {
    externalId: 'shopify:706405506930370084',
    email: 'bob@biller.com',
    firstName: 'Bob',
    lastName: 'Biller',
    country: 'CA',
    city: 'Ottawa',
    updatedAt: '2022-01-01T00:00:00.000Z',
  };

  it('normalizes customers/create and customers/update into customer.upserted', () => {
    for (const [topic, name] of [
      ['customers/create', 'customers_create'],
      ['customers/update', 'customers_update'],
    ] as const) {
      expect(normalizeShopify(topic, loadFixture('shopify', name).raw, context())).toEqual({
        kind: 'events',
        ignored: 0,
        events: [
          {
            eventId: `shopify:${topic.replace('/', '_')}:706405506930370084:2022-01-01T00:00:00.000Z`,
            shopId: 'lumen-optics',
            type: 'customer.upserted',
            occurredAt: '2022-01-01T00:00:00.000Z',
            source: 'shopify',
            customer: bob,
          },
        ],
      });
    }
  });

  it('reads a customer’s phone, locale and consent when present', () => {
    const body = { ...customer(), phone: '+16135550100', locale: 'fr-CA', email_marketing_consent: { state: 'subscribed' } };
    expect(eventsOf(run('customers/update', body))[0]?.customer).toEqual({
      ...bob,
      phone: '+16135550100',
      locale: 'fr-CA',
      acceptsEmailMarketing: true,
    });
  });

  it('erases the customer on customers/delete and customers/redact', () => {
    expect(normalizeShopify('customers/delete', loadFixture('shopify', 'customers_delete').raw, context())).toEqual({
      kind: 'events',
      ignored: 0,
      events: [
        {
          eventId: 'shopify:customers_delete:706405506930370084',
          shopId: 'lumen-optics',
          type: 'customer.erased',
          occurredAt: RECEIVED_AT,
          source: 'shopify',
          customer: { externalId: 'shopify:706405506930370084' },
        },
      ],
    });
    expect(normalizeShopify('customers/redact', loadFixture('shopify', 'customers_redact').raw, context({ deliveryId: DELIVERY }))).toEqual(
      {
        kind: 'events',
        ignored: 0,
        events: [
          {
            eventId: `shopify:${DELIVERY}`,
            shopId: 'lumen-optics',
            type: 'customer.erased',
            occurredAt: RECEIVED_AT,
            source: 'shopify',
            customer: { externalId: 'shopify:191167', email: 'john@example.com', phone: '555-625-1199' },
          },
        ],
      },
    );
  });

  it('asks for an export on customers/data_request, keeping the request id', () => {
    expect(normalizeShopify('customers/data_request', loadFixture('shopify', 'customers_data_request').raw, context())).toEqual({
      kind: 'events',
      ignored: 0,
      events: [
        {
          eventId: 'shopify:customers_data_request:9999',
          shopId: 'lumen-optics',
          type: 'customer.data_requested',
          occurredAt: RECEIVED_AT,
          source: 'shopify',
          customer: { externalId: 'shopify:191167', email: 'john@example.com', phone: '555-625-1199' },
          requestId: '9999',
        },
      ],
    });
  });

  it('erases the shop on shop/redact', () => {
    expect(
      normalizeShopify(
        'shop/redact',
        loadFixture('shopify', 'shop_redact').raw,
        context({ headers: { 'x-shopify-triggered-at': '2026-03-01T09:00:00Z' } }),
      ),
    ).toEqual({
      kind: 'events',
      ignored: 0,
      events: [
        {
          eventId: 'shopify:shop_redact:954889',
          shopId: 'lumen-optics',
          type: 'shop.erased',
          occurredAt: '2026-03-01T09:00:00.000Z',
          source: 'shopify',
        },
      ],
    });
  });

  it('refuses a privacy request that names nobody', () => {
    expect(run('customers/redact', { shop_id: 1, customer: {} })).toMatchObject({ kind: 'invalid', field: 'customer' });
    expect(run('customers/redact', { shop_id: 1 })).toMatchObject({ kind: 'invalid', field: 'customer' });
    expect(run('customers/data_request', { customer: { id: 1 } })).toMatchObject({ kind: 'invalid', field: 'data_request' });
  });
});

describe('Shopify topics and delivery ids', () => {
  it('answers unknown topics as such, whatever the body', () => {
    for (const topic of ['products/create', 'orders/fulfilled', 'app/uninstalled', '', 'constructor', '__proto__']) {
      expect(normalizeShopify(topic, 'not even json', context()), topic).toEqual({ kind: 'unknown_topic' });
    }
  });

  it('reads the topic case-insensitively', () => {
    expect(eventsOf(normalizeShopify(' Customers/Update ', loadFixture('shopify', 'customers_update').raw, context()))).toHaveLength(1);
  });

  it('gives the same delivery the same event id, and a malformed delivery id a hashed one', () => {
    const raw = loadFixture('shopify', 'customers_update').raw;
    const first = eventsOf(normalizeShopify('customers/update', raw, context({ deliveryId: 'a'.repeat(200) })))[0]?.eventId;
    const again = eventsOf(normalizeShopify('customers/update', raw, context({ deliveryId: 'a'.repeat(200) })))[0]?.eventId;
    expect(first).toMatch(/^shopify:h:[0-9a-f]{40}$/);
    expect(again).toBe(first);
  });

  it('ignores an X-Shopify-Triggered-At that is not an instant', () => {
    const raw = loadFixture('shopify', 'customers_update').raw;
    for (const header of ['yesterday', '2026-03-01T09:00:00', '2026-02-30T00:00:00Z']) {
      expect(
        eventsOf(normalizeShopify('customers/update', raw, context({ headers: { 'x-shopify-triggered-at': header } })))[0]?.occurredAt,
      ).toBe('2022-01-01T00:00:00.000Z');
    }
  });
});

describe('Shopify hostile bodies', () => {
  const invalid = (topic: string, body: JsonValue | string, field: string) => {
    const result = run(topic, body);
    expect(result, `${topic} ${typeof body === 'string' ? body.slice(0, 60) : JSON.stringify(body).slice(0, 60)}`).toMatchObject({
      kind: 'invalid',
      field,
    });
    if (result.kind === 'invalid') expect(result.message.startsWith(`${field}: `)).toBe(true);
  };

  it('names the body when it is not a JSON object', () => {
    for (const body of ['', '{', 'null', '[]', '[{}]', '"order"', '42', 'true', `${'['.repeat(100_000)}`])
      invalid('orders/paid', body, 'body');
    invalid('shop/redact', 'null', 'body');
    invalid('customers/delete', '[1]', 'body');
  });

  it('names the field of a wrong type, a missing field or an impossible value', () => {
    invalid('orders/paid', {}, 'created_at');
    invalid('orders/paid', liveOrder({ created_at: '2021-02-30T00:00:00Z' }), 'created_at');
    invalid('orders/paid', liveOrder({ created_at: '2021-12-31T19:00:00' }), 'created_at');
    invalid('orders/paid', liveOrder({ id: -5, admin_graphql_api_id: null }), 'id');
    invalid('orders/paid', liveOrder({ id: 1.5, admin_graphql_api_id: null }), 'id');
    invalid('orders/paid', liveOrder({ id: 'abc', admin_graphql_api_id: null }), 'id');
    invalid('orders/paid', liveOrder({ id: null, admin_graphql_api_id: null }), 'id');
    invalid('orders/paid', liveOrder({ email: 42 }), 'email');
    invalid('orders/paid', liveOrder({ test: 'yes' }), 'test');
    invalid('orders/paid', liveOrder({ line_items: {} }), 'line_items');
    invalid('orders/paid', liveOrder({ customer: [] }), 'customer');
    invalid('orders/paid', liveOrder({ customer: { email: 'a@b.c' } }), 'customer.id');
    invalid(
      'orders/paid',
      liveOrder({ refunds: [{ id: 1, transactions: [{ kind: 'refund', status: 'success', amount: '75.001' }] }] }),
      'refunds[0].transactions[0].amount',
    );
    invalid('refunds/create', { ...refund(), transactions: [{ kind: 'refund', status: 'success' }] }, 'transactions[0].amount');
    invalid(
      'refunds/create',
      { ...refund(), transactions: [{ kind: 'refund', status: 'success', amount: '1', currency: 'XAU' }] },
      'transactions[0].currency',
    );
    invalid('customers/update', { ...customer(), default_address: 'Ottawa' }, 'default_address');
    invalid('customers/update', { ...customer(), id: true, admin_graphql_api_id: null }, 'id');
  });

  it('names quantities sent as strings and money that is not a decimal amount', () => {
    const withLine = (changes: JsonObject) => {
      const body = liveOrder();
      const lines = body.line_items as JsonObject[];
      lines[1] = { ...(lines[1] as JsonObject), ...changes };
      return body;
    };
    invalid('orders/paid', withLine({ quantity: '1' }), 'line_items[1].quantity');
    invalid('orders/paid', withLine({ quantity: -1 }), 'line_items[1].quantity');
    invalid(
      'orders/paid',
      withLine({ price_set: { shop_money: { amount: 'free', currency_code: 'USD' } } }),
      'line_items[1].price_set.shop_money.amount',
    );
    invalid(
      'orders/paid',
      withLine({ price_set: { shop_money: { amount: '-19.99', currency_code: 'USD' } } }),
      'line_items[1].price_set.shop_money.amount',
    );
    const money = (amount: string) => `{"shop_money":{"currency_code":"USD","amount":${amount}}}`;
    const raw = JSON.stringify(liveOrder({ total_price_set: '@@' })).replace('"@@"', money('1e400'));
    invalid('orders/paid', raw, 'total_price_set.shop_money.amount');
    invalid(
      'orders/paid',
      JSON.stringify(liveOrder({ total_price_set: '@@' })).replace('"@@"', money('123456789012345678901234')),
      'total_price_set.shop_money.amount',
    );
    invalid(
      'orders/paid',
      JSON.stringify(liveOrder({ total_price_set: '@@' })).replace('"@@"', money('"-404.95"')),
      'total_price_set.shop_money.amount',
    );
    // A number where a decimal string is usual is still an amount.
    expect(
      eventsOf(run('orders/paid', JSON.stringify(liveOrder({ total_price_set: '@@' })).replace('"@@"', money('404.95'))))[0]?.order?.total,
    ).toBe(40495);
  });

  it('refuses a shop currency that has no minor unit', () => {
    expect(run('orders/paid', liveOrder(), context({ currency: 'XAU' }))).toMatchObject({ kind: 'invalid', field: 'currency' });
  });
});

describe('Shopify discount codes', () => {
  /**
   * Shopify's sample order took 20.00 off (total_discounts) but lists no code (discount_codes: []).
   * This is that sample with the code filled in, in the documented shape of the REST order's
   * discount_codes: {code, amount, type}, the amount matching the sample's total_discounts.
   */
  const withCode = (changes: JsonObject = {}): JsonObject =>
    liveOrder({ discount_codes: [{ code: 'Spring20', amount: '20.00', type: 'fixed_amount' }], ...changes });
  const codesOf = (body: JsonObject, topic = 'orders/paid') => eventsOf(run(topic, body))[0]?.order?.discountCodes;

  it('reads discount_codes[].code of orders/create, orders/updated and orders/paid, upper-cased', () => {
    for (const topic of ['orders/create', 'orders/updated', 'orders/paid']) expect(codesOf(withCode(), topic), topic).toEqual(['SPRING20']);
  });

  it('leaves the field out when the order has no code, as in the sample', () => {
    expect(loadFixture('shopify', 'orders_paid').body.discount_codes).toEqual([]);
    expect(eventsOf(run('orders/paid', liveOrder()))[0]?.order).not.toHaveProperty('discountCodes');
    expect(eventsOf(run('orders/paid', liveOrder({ discount_codes: null })))[0]?.order).not.toHaveProperty('discountCodes');
    const { discount_codes: _, ...without } = liveOrder();
    expect(eventsOf(run('orders/paid', without))[0]?.order).not.toHaveProperty('discountCodes');
  });

  it('trims, upper-cases and dedupes codes, skipping blank and over-long ones', () => {
    const discount = (code: JsonValue) => ({ code, amount: '5.00', type: 'fixed_amount' });
    const body = withCode({
      discount_codes: [
        discount(' spring20 '),
        discount('SPRING20'),
        discount('  '),
        discount(null),
        discount('x'.repeat(101)),
        discount('freeShip'),
      ],
    });
    expect(codesOf(body)).toEqual(['SPRING20', 'FREESHIP']);
    expect(codesOf(withCode({ discount_codes: [discount('y'.repeat(100))] }))).toEqual(['Y'.repeat(100)]);
  });

  it('keeps the first 20 distinct codes of an order that has more, rather than losing the order', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ code: `code-${i % 25}`, amount: '1.00', type: 'fixed_amount' }));
    expect(codesOf(withCode({ discount_codes: many }))).toEqual(Array.from({ length: 20 }, (_, i) => `CODE-${i}`));
  });

  it('names a discount_codes field of the wrong type', () => {
    expect(run('orders/paid', withCode({ discount_codes: 'SPRING20' }))).toMatchObject({ kind: 'invalid', field: 'discount_codes' });
    expect(run('orders/paid', withCode({ discount_codes: [{ code: 'A' }, { code: 20 }] }))).toMatchObject({
      kind: 'invalid',
      field: 'discount_codes[1].code',
    });
  });

  it('keeps no codes on a deleted order', () => {
    const [event] = eventsOf(run('orders/delete', loadFixture('shopify', 'orders_delete').body));
    expect(event?.order).not.toHaveProperty('discountCodes');
  });
});
