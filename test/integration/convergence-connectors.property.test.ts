import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoEngine, isLoopbackEndpoint } from '#infra/local/emulators.ts';
import { type Runtime, startRuntime } from '#infra/local/runtime.ts';
import { type JsonObject, type JsonValue, loadFixture } from '#test/support/fixtures.ts';
import { createShopOverHttp, lookup } from '#test/support/local-api.ts';
import { decimal, type RawResponse, send, shopifyHeaders, wooHeaders } from '#test/support/senders.ts';

/**
 * Convergence, as a property, for connector-shaped histories (issue 3, third acceptance item).
 * Each history is a shop with one or two people buying through Shopify (registered or guest) or
 * WooCommerce (registered or guest). Every order lives through several states — Shopify's
 * orders/create, orders/paid, orders/updated, orders/cancelled with refunds/create beside them and
 * sometimes orders/delete; WooCommerce's order.created / order.updated with refunds listed inside
 * and sometimes order.deleted — and customers change their details. The bodies are the senders'
 * own samples (structuredClone of the fixtures) with ids, statuses, totals, lines, times, refunds
 * and transactions varied; they are signed as the senders sign and posted to the real webhook
 * routes of the local stack (so normalization is covered), permuted, duplicated (Shopify's same
 * X-Shopify-Webhook-Id, and redeliveries with a new id; WooCommerce always sends a new delivery
 * id), and some held back until everything else has been processed (late). Every final profile is
 * compared with an oracle written here from the documented rules alone: CONNECTORS.md's status
 * tables, shop_money, refunds = money returned (successful refund transactions), the README's
 * refunded/orderCount/totalSpent decisions, and last-writer-wins contact details.
 *
 * RUNS × 20 histories (default 5 × 20 = 100), each run's shops delivered at once so they race.
 */

const HISTORIES_PER_RUN = 20;
const RUNS = Number(process.env.CONNECTOR_CONVERGENCE_RUNS ?? 5);
const SHOPIFY_SECRET = 'shpss_convergence-0123456789abcdef';
const WOO_SECRET = 'wc-convergence-secret-0123456789';
const CATEGORIES = ['Tea', 'Coffee', 'Cups', 'Gifts'];
/** Shopify ids are above 2^53; these are too, and are written into bodies as bare integer literals. */
const SHOPIFY_ID_BASE = 9_007_199_254_740_993n;

// ── histories ─────────────────────────────────────────────────────────────────────────────────

interface Line {
  category: string;
  quantity: number;
  /** Unit price in cents. */
  price: number;
}
interface ShopifyState {
  financial: string | null;
  cancelled: boolean;
  lines: Line[];
  shipping: number;
  discount: number;
  /** How many of the order's refunds this state lists in its own `refunds` (never fewer than an earlier state). */
  listed: number;
}
interface ShopifyTransaction {
  kind: string;
  status: 'success' | 'pending' | 'failure';
  amount: number;
  /** A pending refund that has gone through by the time later order states list it. */
  settles: boolean;
  /** null is the shop currency, as in Shopify's sample. */
  currency: 'USD' | null;
}
interface ShopifyOrder {
  source: 'shopify';
  createdDay: number;
  test: boolean;
  /** Presentment currency: the customer paid in EUR (amounts × 0.92) or in the shop's USD. */
  eur: boolean;
  states: ShopifyState[];
  refunds: ShopifyTransaction[][];
  deleted: boolean;
}
interface WooState {
  status: string;
  paid: boolean;
  lines: Line[];
  shipping: number;
  listed: number;
}
interface WooOrder {
  source: 'woocommerce';
  createdDay: number;
  states: WooState[];
  /** Refund amounts in cents, listed (negative) in order.updated bodies as the states say. */
  refunds: number[];
  deleted: boolean;
}
type PersonKind = 'shopify' | 'shopify-guest' | 'woo' | 'woo-guest';
interface Person {
  kind: PersonKind;
  /** Names: the first is on their orders; the others come with customer updates, in this order. */
  names: string[];
  /** Email marketing consent state on the orders' customer, then on each customer update (Shopify only). */
  consents: Array<'subscribed' | 'not_subscribed' | 'unsubscribed' | 'pending' | null>;
  orders: Array<ShopifyOrder | WooOrder>;
}

const lineArb = fc.record({
  category: fc.constantFrom(...CATEGORIES),
  quantity: fc.integer({ min: 1, max: 3 }),
  price: fc.integer({ min: 50, max: 50_000 }),
});

const monotonicListed = <S extends { listed: number }>(states: S[], refunds: number) => {
  const listed = states.map((s) => Math.min(s.listed, refunds)).sort((a, b) => a - b);
  return states.map((s, i) => ({ ...s, listed: listed[i] as number }));
};

const shopifyStateArb = fc.record({
  financial: fc.constantFrom<string | null>(
    'paid',
    'paid',
    'paid',
    'partially_refunded',
    'refunded',
    'pending',
    'authorized',
    'partially_paid',
    'expired',
    'voided',
    'PAID',
    null,
  ),
  cancelled: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
  lines: fc.array(lineArb, { minLength: 1, maxLength: 3 }),
  shipping: fc.constantFrom(0, 0, 500, 1000),
  discount: fc.constantFrom(0, 0, 0, 250, 2000),
  listed: fc.integer({ min: 0, max: 2 }),
});

const transactionArb = fc.record({
  kind: fc.constantFrom('refund', 'refund', 'refund', 'refund', 'sale', 'void'),
  status: fc.constantFrom<ShopifyTransaction['status']>('success', 'success', 'success', 'pending', 'failure'),
  amount: fc.integer({ min: 1, max: 8_000 }),
  settles: fc.boolean(),
  currency: fc.constantFrom<'USD' | null>('USD', null),
});

const shopifyOrderArb: fc.Arbitrary<ShopifyOrder> = fc
  .record({
    source: fc.constant('shopify' as const),
    createdDay: fc.integer({ min: 0, max: 300 }),
    test: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    eur: fc.boolean(),
    states: fc.array(shopifyStateArb, { minLength: 1, maxLength: 4 }),
    refunds: fc.array(fc.array(transactionArb, { minLength: 1, maxLength: 2 }), { maxLength: 2 }),
    deleted: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
  })
  .map((o) => ({ ...o, states: monotonicListed(o.states, o.refunds.length) }));

const wooStateArb = fc.record({
  status: fc.constantFrom<string>(
    'processing',
    'completed',
    'completed',
    'pending',
    'on-hold',
    'cancelled',
    'refunded',
    'failed',
    'trash',
    'shipped',
    'wc-completed',
  ),
  paid: fc.boolean(),
  lines: fc.array(lineArb, { minLength: 1, maxLength: 3 }),
  shipping: fc.constantFrom(0, 0, 500),
  listed: fc.integer({ min: 0, max: 2 }),
});

const wooOrderArb: fc.Arbitrary<WooOrder> = fc
  .record({
    source: fc.constant('woocommerce' as const),
    createdDay: fc.integer({ min: 0, max: 300 }),
    draftFirst: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
    states: fc.array(wooStateArb, { minLength: 1, maxLength: 4 }),
    refunds: fc.array(fc.integer({ min: 1, max: 8_000 }), { maxLength: 2 }),
    deleted: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
  })
  .map(({ draftFirst, ...o }) => {
    const states = monotonicListed(o.states, o.refunds.length);
    // The block checkout's draft comes first, if at all, and lists no refunds.
    if (draftFirst) states.unshift({ status: 'checkout-draft', paid: false, lines: states[0]!.lines, shipping: 0, listed: 0 });
    return { ...o, states };
  });

const personArb: fc.Arbitrary<Person> = fc
  .constantFrom<PersonKind>('shopify', 'shopify', 'shopify-guest', 'woo', 'woo', 'woo-guest')
  .chain((kind) =>
    fc.record({
      kind: fc.constant(kind),
      names: fc.array(fc.constantFrom('An', 'Bình', 'Chi', 'Dũng', 'Émile', 'Zoë'), {
        minLength: 1,
        maxLength: kind === 'shopify' || kind === 'woo' ? 3 : 1,
      }),
      consents: fc.array(fc.constantFrom('subscribed', 'not_subscribed', 'unsubscribed', 'pending', null), { minLength: 3, maxLength: 3 }),
      orders: fc.array((kind.startsWith('shopify') ? shopifyOrderArb : wooOrderArb) as fc.Arbitrary<ShopifyOrder | WooOrder>, {
        minLength: 1,
        maxLength: 2,
      }),
    }),
  );

const historyArb = fc.array(personArb, { minLength: 1, maxLength: 2 });

/** How each delivery is made: when (a sort key), late or not, how many copies, and whether a copy gets a new webhook id. */
interface Plan {
  sort: number;
  late: boolean;
  copies: number;
  newId: boolean;
}
const planArb: fc.Arbitrary<Plan> = fc.record({
  sort: fc.double({ min: 0, max: 1, noNaN: true }),
  late: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
  copies: fc.constantFrom(1, 1, 1, 2, 3),
  newId: fc.boolean(),
});
const plansArb = fc.array(planArb, { minLength: 80, maxLength: 80 });

// ── times ─────────────────────────────────────────────────────────────────────────────────────

const BASE = Date.UTC(2025, 0, 1, 9);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const isoZ = (ms: number) => new Date(ms).toISOString();
/** Shopify writes local times with an offset: 2025-01-01T04:00:00-05:00. */
const shopifyTime = (ms: number) => `${new Date(ms - 5 * HOUR).toISOString().slice(0, 19)}-05:00`;
/** WooCommerce's *_gmt fields: UTC without a designator. */
const wooTime = (ms: number) => new Date(ms).toISOString().slice(0, 19);
const createdAt = (o: { createdDay: number }) => BASE + o.createdDay * DAY;
/** The instant an order's creation date shows as on a profile (whole seconds). */
const createdIso = (o: { createdDay: number }) => isoZ(createdAt(o));
/** Shopify customers were last updated before any order; their updates come later. */
const SHOPIFY_CUSTOMER_SINCE = Date.UTC(2024, 11, 1);
const customerUpdateAt = (k: number) => Date.UTC(2026, 0, 1) + k * DAY;

// ── bodies, as the senders write them ───────────────────────────────────────────────────────

/** Bare integer literals beyond 2^53, as Shopify writes its ids. */
const big = (id: bigint) => `@@BIG${id}@@`;
const serialize = (body: JsonValue) => JSON.stringify(body).replace(/"@@BIG(\d+)@@"/g, '$1');

interface Ids {
  shopId: string;
  person: number;
  order: number;
}
const shopifyOrderId = (ids: Ids) => SHOPIFY_ID_BASE + BigInt(ids.person * 10 + ids.order);
const shopifyCustomerId = (person: number) => SHOPIFY_ID_BASE + 1_000_000n + BigInt(person);
const shopifyRefundId = (ids: Ids, r: number) => SHOPIFY_ID_BASE + 2_000_000n + BigInt(ids.person * 100 + ids.order * 10 + r);
const wooOrderId = (ids: Ids) => 1000 + ids.person * 10 + ids.order;
const wooCustomerId = (person: number) => 100 + person;
const wooRefundId = (ids: Ids, r: number) => 5000 + ids.person * 100 + ids.order * 10 + r;
/** Emails are sent in mixed case; identities are lower-cased. */
const emailOf = (shopId: string, person: number) => `P${person}.${shopId}@Example.com`;

const money = (cents: number, eur: boolean) => ({
  shop_money: { amount: decimal(cents), currency_code: 'USD' },
  presentment_money: eur
    ? { amount: decimal(Math.round(cents * 0.92)), currency_code: 'EUR' }
    : { amount: decimal(cents), currency_code: 'USD' },
});

const shopifyTotal = (s: ShopifyState) => Math.max(0, s.lines.reduce((sum, l) => sum + l.price * l.quantity, 0) + s.shipping - s.discount);

function shopifyCustomer(shopId: string, person: number, p: Person): JsonObject {
  const customer = loadFixture('shopify', 'orders_paid').body.customer as JsonObject;
  const consent = p.consents[0];
  return {
    ...customer,
    id: big(shopifyCustomerId(person)),
    admin_graphql_api_id: `gid://shopify/Customer/${shopifyCustomerId(person)}`,
    email: emailOf(shopId, person),
    first_name: p.names[0] as string,
    last_name: 'Nguyễn',
    created_at: shopifyTime(SHOPIFY_CUSTOMER_SINCE),
    updated_at: shopifyTime(SHOPIFY_CUSTOMER_SINCE),
    ...(consent ? { email_marketing_consent: { state: consent, opt_in_level: 'single_opt_in', consent_updated_at: null } } : {}),
  };
}

function shopifyRefundBody(ids: Ids, o: ShopifyOrder, r: number, inOrderState: boolean): JsonObject {
  const body = loadFixture('shopify', 'refunds_create').body;
  const template = (body.transactions as JsonObject[])[0] as JsonObject;
  const at = createdAt(o) + 30 * 60_000 + r * 10 * 60_000;
  return {
    ...body,
    id: big(shopifyRefundId(ids, r)),
    admin_graphql_api_id: `gid://shopify/Refund/${shopifyRefundId(ids, r)}`,
    order_id: big(shopifyOrderId(ids)),
    created_at: shopifyTime(at),
    processed_at: shopifyTime(at),
    transactions: (o.refunds[r] ?? []).map((t, i) => ({
      ...template,
      id: big(shopifyRefundId(ids, r) * 10n + BigInt(i)),
      order_id: big(shopifyOrderId(ids)),
      kind: t.kind,
      // refunds/create reports the transaction as it was; later order states, as it is now.
      status: inOrderState && t.status === 'pending' && t.settles ? 'success' : t.status,
      amount: decimal(t.amount),
      currency: t.currency,
      test: o.test,
    })),
  };
}

function shopifyOrderBody(ids: Ids, person: Person, o: ShopifyOrder, v: number): JsonObject {
  const s = o.states[v] as ShopifyState;
  const body = loadFixture('shopify', 'orders_paid').body;
  const lineTemplate = (body.line_items as JsonObject[])[0] as JsonObject;
  const total = shopifyTotal(s);
  const subtotal = s.lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
  const updated = createdAt(o) + (v + 1) * HOUR;
  const email = emailOf(ids.shopId, ids.person);
  return {
    ...body,
    id: big(shopifyOrderId(ids)),
    admin_graphql_api_id: `gid://shopify/Order/${shopifyOrderId(ids)}`,
    name: `#${1000 + ids.person * 10 + ids.order}`,
    created_at: shopifyTime(createdAt(o)),
    processed_at: shopifyTime(createdAt(o)),
    updated_at: shopifyTime(updated),
    cancelled_at: s.cancelled ? shopifyTime(updated) : null,
    cancel_reason: s.cancelled ? 'customer' : null,
    financial_status: s.financial,
    test: o.test,
    currency: 'USD',
    presentment_currency: o.eur ? 'EUR' : 'USD',
    email,
    contact_email: email,
    phone: null,
    buyer_accepts_marketing: true,
    total_price: decimal(total),
    total_price_set: money(total, o.eur),
    current_total_price: decimal(total),
    current_total_price_set: money(total, o.eur),
    subtotal_price: decimal(subtotal - s.discount),
    subtotal_price_set: money(Math.max(0, subtotal - s.discount), o.eur),
    total_line_items_price: decimal(subtotal),
    total_line_items_price_set: money(subtotal, o.eur),
    total_discounts: decimal(s.discount),
    total_discounts_set: money(s.discount, o.eur),
    total_shipping_price_set: money(s.shipping, o.eur),
    line_items: s.lines.map((l, i) => ({
      ...lineTemplate,
      id: big(shopifyOrderId(ids) * 10n + BigInt(i)),
      admin_graphql_api_id: `gid://shopify/LineItem/${shopifyOrderId(ids) * 10n + BigInt(i)}`,
      title: `${l.category} item ${i}`,
      name: `${l.category} item ${i}`,
      sku: `${l.category.toUpperCase()}-${i}`,
      product_id: 7000 + i,
      product_type: l.category,
      quantity: l.quantity,
      current_quantity: l.quantity,
      price: decimal(l.price),
      price_set: money(l.price, o.eur),
    })),
    refunds: Array.from({ length: s.listed }, (_, r) => shopifyRefundBody(ids, o, r, true)),
    customer: person.kind === 'shopify' ? shopifyCustomer(ids.shopId, ids.person, person) : null,
  };
}

function shopifyCustomerUpdate(shopId: string, person: number, p: Person, k: number): JsonObject {
  const body = loadFixture('shopify', 'customers_update').body;
  const consent = p.consents[k];
  return {
    ...body,
    id: big(shopifyCustomerId(person)),
    admin_graphql_api_id: `gid://shopify/Customer/${shopifyCustomerId(person)}`,
    email: emailOf(shopId, person).toLowerCase(),
    first_name: p.names[k] as string,
    last_name: 'Nguyễn',
    phone: null,
    created_at: shopifyTime(SHOPIFY_CUSTOMER_SINCE),
    updated_at: shopifyTime(customerUpdateAt(k)),
    ...(consent ? { email_marketing_consent: { state: consent, opt_in_level: 'single_opt_in', consent_updated_at: null } } : {}),
  };
}

const wooLineTotal = (l: Line) => l.price * l.quantity;
const wooTotal = (s: WooState) => s.lines.reduce((sum, l) => sum + wooLineTotal(l), 0) + s.shipping;

function wooOrderBody(ids: Ids, person: Person, o: WooOrder, v: number): JsonObject {
  const s = o.states[v] as WooState;
  const body = loadFixture('woocommerce', 'order').body;
  const lineTemplate = (body.line_items as JsonObject[])[0] as JsonObject;
  const modified = createdAt(o) + (v + 1) * HOUR;
  const local = (ms: number) => wooTime(ms - 3 * HOUR);
  return {
    ...body,
    id: wooOrderId(ids),
    number: String(wooOrderId(ids)),
    status: s.status,
    currency: 'USD',
    date_created: local(createdAt(o)),
    date_created_gmt: wooTime(createdAt(o)),
    date_modified: local(modified),
    date_modified_gmt: wooTime(modified),
    date_paid: s.paid ? local(createdAt(o)) : null,
    date_paid_gmt: s.paid ? wooTime(createdAt(o)) : null,
    shipping_total: decimal(s.shipping),
    total: decimal(wooTotal(s)),
    total_tax: '0.00',
    cart_tax: '0.00',
    customer_id: person.kind === 'woo' ? wooCustomerId(ids.person) : 0,
    billing: {
      ...(body.billing as JsonObject),
      first_name: person.names[0] as string,
      last_name: 'Trần',
      email: emailOf(ids.shopId, ids.person),
      phone: '',
    },
    line_items: s.lines.map((l, i) => ({
      ...lineTemplate,
      id: 300 + i,
      name: `${l.category} &ndash; size ${i}`,
      product_id: 90 + i,
      sku: i === 0 ? '' : `W-${i}`,
      quantity: l.quantity,
      subtotal: decimal(wooLineTotal(l)),
      total: decimal(wooLineTotal(l)),
      price: l.price / 100,
    })),
    refunds: o.refunds.slice(0, s.listed).map((amount, r) => ({ id: wooRefundId(ids, r), reason: '', total: `-${decimal(amount)}` })),
  };
}

function wooCustomerBody(shopId: string, person: number, p: Person, k: number): JsonObject {
  const body = loadFixture('woocommerce', 'customer').body;
  return {
    ...body,
    id: wooCustomerId(person),
    email: emailOf(shopId, person),
    first_name: p.names[k] as string,
    last_name: 'Trần',
    date_modified: wooTime(customerUpdateAt(k) - 3 * HOUR),
    date_modified_gmt: wooTime(customerUpdateAt(k)),
    billing: {
      ...(body.billing as JsonObject),
      email: emailOf(shopId, person),
      first_name: p.names[k] as string,
      last_name: 'Trần',
      phone: '',
    },
  };
}

interface Delivery {
  route: 'shopify' | 'woocommerce';
  topic: string;
  raw: string;
  triggeredAt?: string;
}

function deliveriesOf(shopId: string, people: Person[]): Delivery[] {
  const out: Delivery[] = [];
  people.forEach((p, person) => {
    p.orders.forEach((o, order) => {
      const ids = { shopId, person, order };
      if (o.source === 'shopify') {
        o.states.forEach((s, v) => {
          const topic =
            v === 0 ? 'orders/create' : s.cancelled ? 'orders/cancelled' : s.financial === 'paid' ? 'orders/paid' : 'orders/updated';
          const raw = serialize(shopifyOrderBody(ids, p, o, v));
          out.push({ route: 'shopify', topic, raw, triggeredAt: isoZ(createdAt(o) + (v + 1) * HOUR) });
        });
        o.refunds.forEach((_, r) => {
          out.push({ route: 'shopify', topic: 'refunds/create', raw: serialize(shopifyRefundBody(ids, o, r, false)) });
        });
        if (o.deleted) {
          out.push({
            route: 'shopify',
            topic: 'orders/delete',
            raw: `{"id":${shopifyOrderId(ids)}}`,
            triggeredAt: isoZ(createdAt(o) + 20 * DAY),
          });
        }
      } else {
        o.states.forEach((_, v) => {
          out.push({
            route: 'woocommerce',
            topic: v === 0 ? 'order.created' : 'order.updated',
            raw: JSON.stringify(wooOrderBody(ids, p, o, v)),
          });
        });
        if (o.deleted) out.push({ route: 'woocommerce', topic: 'order.deleted', raw: `{"id":${wooOrderId(ids)}}` });
      }
    });
    p.names.slice(1).forEach((_, i) => {
      const k = i + 1;
      if (p.kind === 'shopify')
        out.push({
          route: 'shopify',
          topic: k === 1 ? 'customers/create' : 'customers/update',
          raw: serialize(shopifyCustomerUpdate(shopId, person, p, k)),
          triggeredAt: isoZ(customerUpdateAt(k)),
        });
      if (p.kind === 'woo')
        out.push({
          route: 'woocommerce',
          topic: k === 1 ? 'customer.created' : 'customer.updated',
          raw: JSON.stringify(wooCustomerBody(shopId, person, p, k)),
        });
    });
  });
  return out;
}

// ── the oracle ────────────────────────────────────────────────────────────────────────────────

type Status = 'pending' | 'paid' | 'cancelled' | 'refunded' | 'partially_refunded';

/** CONNECTORS.md, Shopify status table: cancelled_at wins; only captured money is paid. */
const SHOPIFY_STATUS: Record<string, Status> = {
  paid: 'paid',
  partially_refunded: 'partially_refunded',
  refunded: 'refunded',
  pending: 'pending',
  authorized: 'pending',
  partially_paid: 'pending',
  expired: 'pending',
  voided: 'cancelled',
};

/** CONNECTORS.md, WooCommerce status table (a wc- prefix tolerated; plugin statuses paid when date_paid is set). */
const WOO_STATUS: Record<string, Status | 'draft'> = {
  pending: 'pending',
  processing: 'paid',
  'on-hold': 'pending',
  completed: 'paid',
  cancelled: 'cancelled',
  refunded: 'refunded',
  failed: 'pending',
  trash: 'cancelled',
  'checkout-draft': 'draft',
};

interface OrderOutcome {
  status: Status;
  total: number;
  refunded: number;
  created: string;
  lines: Line[];
}

/** Money a Shopify refund returned: its successful refund transactions (as that body reports them). */
const returned = (transactions: ShopifyTransaction[], settled: boolean) =>
  transactions
    .filter((t) => t.kind === 'refund' && (t.status === 'success' || (settled && t.status === 'pending' && t.settles)))
    .reduce((sum, t) => sum + t.amount, 0);

/** README: refunded = the total when refunded, else the larger of reported and recorded refunds, at most the total. */
const refundedOf = (status: Status, total: number, reported: number, recorded: number) =>
  status === 'refunded' ? total : Math.min(total, Math.max(reported, recorded));

function shopifyOutcome(o: ShopifyOrder): OrderOutcome | undefined {
  if (o.test) return undefined; // the shop ignores test orders (the default)
  const newest = o.states[o.states.length - 1] as ShopifyState;
  const recorded = o.refunds.reduce((sum, transactions) => sum + returned(transactions, false), 0);
  if (o.deleted) return { status: 'cancelled', total: 0, refunded: 0, created: createdIso(o), lines: [] };
  const status = newest.cancelled ? 'cancelled' : (SHOPIFY_STATUS[(newest.financial ?? '').toLowerCase()] ?? 'pending');
  const total = shopifyTotal(newest);
  const reported = o.refunds.slice(0, newest.listed).reduce((sum, transactions) => sum + returned(transactions, true), 0);
  return { status, total, refunded: refundedOf(status, total, reported, recorded), created: createdIso(o), lines: newest.lines };
}

function wooOutcome(o: WooOrder): OrderOutcome | undefined {
  const states = o.states.filter((s) => s.status !== 'checkout-draft');
  const newest = states[states.length - 1];
  if (!newest) return undefined;
  const recorded = o.refunds.slice(0, Math.max(...states.map((s) => s.listed))).reduce((a, b) => a + b, 0);
  if (o.deleted) return { status: 'cancelled', total: 0, refunded: 0, created: createdIso(o), lines: [] };
  const key = newest.status.toLowerCase().replace(/^wc-/, '');
  const mapped = (WOO_STATUS[key] as Status | undefined) ?? (newest.paid ? 'paid' : 'pending');
  const total = wooTotal(newest);
  const reported = o.refunds.slice(0, newest.listed).reduce((a, b) => a + b, 0);
  // WooCommerce has no partially-refunded status: a paid order with refunds is one, or refunded in full.
  const status: Status = mapped === 'paid' && reported > 0 ? (reported >= total && total > 0 ? 'refunded' : 'partially_refunded') : mapped;
  // Woo lines carry no category: they add nothing to top categories.
  return { status, total, refunded: refundedOf(status, total, reported, recorded), created: createdIso(o), lines: [] };
}

const PAID: Status[] = ['paid', 'partially_refunded', 'refunded'];

function expectedProfile(shopId: string, person: number, p: Person) {
  const outcomes = p.orders
    .map((o) => (o.source === 'shopify' ? shopifyOutcome(o) : wooOutcome(o)))
    .filter((o): o is OrderOutcome => o !== undefined);
  const updates = p.kind === 'shopify' || p.kind === 'woo' ? p.names.length - 1 : 0;
  if (outcomes.length === 0 && updates === 0) return undefined;
  let orderCount = 0;
  let totalSpent = 0;
  let refunded = 0;
  const created: string[] = [];
  const categories = new Map<string, number>();
  for (const o of outcomes) {
    if (PAID.includes(o.status)) refunded += o.refunded;
    if (!PAID.includes(o.status) || o.total - o.refunded <= 0) continue;
    orderCount++;
    totalSpent += o.total - o.refunded;
    created.push(o.created);
    for (const l of o.lines) categories.set(l.category, (categories.get(l.category) ?? 0) + l.price * l.quantity);
  }
  created.sort();
  // Contact details: the newest stamp wins. Order bodies carry the first name (Shopify guests carry none).
  const name = p.kind === 'shopify-guest' ? null : (p.names[updates] as string);
  const lastName = p.kind === 'shopify-guest' ? null : p.kind === 'shopify' ? 'Nguyễn' : 'Trần';
  // The orders' customer carries the first consent state, unless every order was a dropped test order.
  const carried = p.kind === 'shopify' ? [...(outcomes.length > 0 ? [p.consents[0]] : []), ...p.consents.slice(1, updates + 1)] : [];
  const consents = carried.filter((c) => c !== null && c !== undefined);
  const consent = consents.length > 0 && consents[consents.length - 1] === 'subscribed' ? 'subscribed' : 'unsubscribed';
  return {
    email: emailOf(shopId, person).toLowerCase(),
    firstName: name,
    name: name ? `${name} ${lastName}` : null,
    consent: { email: consent },
    orderCount,
    totalSpent: { amount: totalSpent, currency: 'USD' },
    refunded: { amount: refunded, currency: 'USD' },
    firstOrderAt: created[0] ?? null,
    lastOrderAt: created[created.length - 1] ?? null,
    topCategories: [...categories.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 5)
      .map(([category]) => category),
  };
}

// ── the stack ─────────────────────────────────────────────────────────────────────────────────

let runtime: Runtime;
let runNo = 0;

beforeAll(async () => {
  runtime = await startRuntime({
    port: 0,
    dataDir: null,
    dynamodb: (process.env.RAPPORT_DYNAMODB ?? 'dynalite') as DynamoEngine,
    visibilityTimeoutSeconds: 5,
    batchingWindowSeconds: 0,
    pollerConcurrency: 3,
    log: () => {},
  });
  for (const endpoint of [runtime.apiUrl, runtime.endpoints.dynamodb, runtime.endpoints.sqs]) {
    if (!isLoopbackEndpoint(endpoint)) throw new Error(`refusing to test against ${endpoint}`);
  }
});
afterAll(async () => runtime?.stop());

interface Copy {
  shopId: string;
  delivery: Delivery;
  webhookId: string;
}

function post(copy: Copy): Promise<RawResponse> {
  const { shopId, delivery } = copy;
  const headers =
    delivery.route === 'shopify'
      ? shopifyHeaders({
          topic: delivery.topic,
          secret: SHOPIFY_SECRET,
          body: delivery.raw,
          webhookId: copy.webhookId,
          ...(delivery.triggeredAt ? { triggeredAt: delivery.triggeredAt } : {}),
        })
      : wooHeaders({ topic: delivery.topic, secret: WOO_SECRET, body: delivery.raw, deliveryId: copy.webhookId });
  return send(`${runtime.apiUrl}/webhooks/${delivery.route}/${shopId}`, { headers, body: delivery.raw });
}

/** Posts with a few requests in flight at once, as senders' workers do; every answer must be a 2xx of the contract. */
async function postAll(copies: Copy[], inFlight = 8): Promise<void> {
  let next = 0;
  const failures: string[] = [];
  const worker = async () => {
    while (next < copies.length) {
      const copy = copies[next++] as Copy;
      const res = await post(copy);
      const ok = res.status === 202 || (res.status === 200 && (res.json?.note === 'duplicate_delivery' || res.json?.ignored > 0));
      if (!ok) failures.push(`${copy.shopId} ${copy.delivery.topic} → ${res.status} ${res.text}\n${copy.delivery.raw.slice(0, 400)}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  expect(failures, failures.join('\n\n')).toEqual([]);
}

async function deliverAndCheck(histories: Array<[Person[], Plan[]]>, run: number): Promise<void> {
  const shops = histories.map((_, h) => `cc-${run}-${h}`);
  const keys = await Promise.all(
    shops.map((shopId) => createShopOverHttp(runtime, { shopId, secrets: { shopify: SHOPIFY_SECRET, woocommerce: WOO_SECRET } })),
  );
  const onTime: Array<Copy & { sort: number }> = [];
  const late: Array<Copy & { sort: number }> = [];
  histories.forEach(([people, plans], h) => {
    const shopId = shops[h] as string;
    deliveriesOf(shopId, people).forEach((delivery, i) => {
      const plan = plans[i % plans.length] as Plan;
      for (let copy = 0; copy < plan.copies; copy++) {
        // A Shopify retry repeats X-Shopify-Webhook-Id; a second subscription or a resend gets a new one.
        const webhookId = `${shopId}-${i}-${copy > 0 && plan.newId ? copy : 0}`;
        const entry = { shopId, delivery, webhookId, sort: plan.sort + copy * 0.37 };
        (plan.late && copy === 0 ? late : onTime).push(entry);
      }
    });
  });
  const byTime = (a: { sort: number }, b: { sort: number }) => a.sort - b.sort;
  await postAll(onTime.sort(byTime));
  await runtime.idle(120_000);
  await postAll(late.sort(byTime));
  await runtime.idle(120_000);

  for (const [h, [people]] of histories.entries()) {
    const shopId = shops[h] as string;
    const apiKey = keys[h] as string;
    for (const [person, p] of people.entries()) {
      const expected = expectedProfile(shopId, person, p);
      const what = `${shopId} person ${person} (${p.kind}): ${JSON.stringify(p)}`;
      const found = await lookup(runtime, apiKey, 'email', emailOf(shopId, person));
      if (!expected) {
        expect(found, what).toBeUndefined();
        continue;
      }
      expect(found, what).toMatchObject(expected);
      const externalId =
        p.kind === 'shopify'
          ? `shopify:${shopifyCustomerId(person)}`
          : p.kind === 'woo'
            ? `woocommerce:${wooCustomerId(person)}`
            : undefined;
      if (externalId) expect((await lookup(runtime, apiKey, 'externalId', externalId))?.customerId, what).toBe(found.customerId);
    }
  }
}

describe('connector-shaped histories through the real webhook routes, queue and processor', () => {
  it(`every final profile equals the oracle (${RUNS * HISTORIES_PER_RUN} histories: permuted, duplicated, redelivered, late)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(historyArb, plansArb), { minLength: HISTORIES_PER_RUN, maxLength: HISTORIES_PER_RUN }),
        async (histories) => deliverAndCheck(histories, runNo++),
      ),
      { numRuns: RUNS, endOnFailure: true },
    );
  });
});

/**
 * The smallest history of the kind above that must converge: one customer, one paid order, then its
 * deletion — with the deletion processed first (the order of arrival is not guaranteed, and
 * deliveries can be a day late). Delivered in the other order it leaves the customer's profile with
 * the cancelled order; delivered this way it must leave the same.
 */
describe('an order whose deletion is processed before its states', () => {
  const onePaidOrder = (source: 'shopify' | 'woocommerce'): Person => ({
    kind: source === 'shopify' ? 'shopify' : 'woo',
    names: ['An'],
    consents: [null, null, null],
    orders: [
      source === 'shopify'
        ? {
            source,
            createdDay: 10,
            test: false,
            eur: false,
            states: [
              {
                financial: 'paid',
                cancelled: false,
                lines: [{ category: 'Tea', quantity: 1, price: 1999 }],
                shipping: 0,
                discount: 0,
                listed: 0,
              },
            ],
            refunds: [],
            deleted: true,
          }
        : {
            source,
            createdDay: 10,
            states: [{ status: 'processing', paid: true, lines: [{ category: 'Tea', quantity: 1, price: 1999 }], shipping: 0, listed: 0 }],
            refunds: [],
            deleted: true,
          },
    ],
  });

  it.each([
    ['shopify', 'last'],
    ['shopify', 'first'],
    ['woocommerce', 'last'],
    ['woocommerce', 'first'],
  ] as const)('%s, deletion processed %s: the customer has a profile, with the order cancelled', async (source, deletion) => {
    const shopId = `cc-deleted-${deletion}-${source}`;
    const apiKey = await createShopOverHttp(runtime, { shopId, secrets: { shopify: SHOPIFY_SECRET, woocommerce: WOO_SECRET } });
    const person = onePaidOrder(source);
    const deliveries = deliveriesOf(shopId, [person]);
    const isDeletion = (d: Delivery) => d.topic === 'orders/delete' || d.topic === 'order.deleted';
    const copies = (list: Delivery[]) =>
      list.map((delivery, i) => ({ shopId, delivery, webhookId: `${shopId}-${delivery.topic.replace(/\W/g, '_')}-${i}` }));
    const [before, after] =
      deletion === 'first'
        ? [deliveries.filter(isDeletion), deliveries.filter((d) => !isDeletion(d))]
        : [deliveries.filter((d) => !isDeletion(d)), deliveries.filter(isDeletion)];
    await postAll(copies(before));
    await runtime.idle(60_000);
    await postAll(copies(after));
    await runtime.idle(60_000);
    const expected = expectedProfile(shopId, 0, person);
    expect(expected).toMatchObject({ orderCount: 0, totalSpent: { amount: 0 }, name: source === 'shopify' ? 'An Nguyễn' : 'An Trần' });
    expect(await lookup(runtime, apiKey, 'email', emailOf(shopId, 0))).toMatchObject(expected as object);
  });
});
