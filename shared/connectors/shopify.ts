import * as z from 'zod';
import {
  addMinorUnits,
  amountSchema,
  assertShopCurrency,
  type ConnectorContext,
  clip,
  customerOf,
  discountCodesOf,
  type EventDraft,
  eventIdOf,
  fail,
  fingerprint,
  finish,
  firstInstant,
  InstantSchema,
  minorUnitsAt,
  type NormalizeResult,
  normalizing,
  optional,
  parseBody,
  parseInstant,
  RawAmountSchema,
  read,
  SourceIdSchema,
  shippingAddressOf,
  TextSchema,
  within,
} from '#shared/connectors/types.ts';
import type { EventCustomer, EventOrder, OrderStatus } from '#shared/domain/event.ts';
import { currencyExponent, InvalidAmountError, parseMinorUnits, prorate } from '#shared/domain/money.ts';
import { orderReferralCode } from '#shared/loyalty/referrals.ts';

/**
 * Shopify webhook bodies → canonical events. Field-by-field sources and every decision are in
 * CONNECTORS.md; the comments here say why where the code alone cannot.
 */

const MAX_LINE_ITEMS = 500;

/** What one topic's body yields, before the delivery-level parts (event id, occurredAt) are added. */
interface Outcome {
  /** The resource's own key (id, then version when it has one): the event id when the delivery carries none. */
  key: string[];
  /** The resource's own time, for occurredAt when the delivery carries no X-Shopify-Triggered-At. */
  at?: string;
  drafts: Omit<EventDraft, 'eventId' | 'shopId' | 'source' | 'occurredAt'>[];
  ignored: number;
}

type Handler = (body: unknown, ctx: ConnectorContext) => Outcome;

export function normalizeShopify(topic: string, rawBody: string, ctx: ConnectorContext): NormalizeResult {
  const name = topic.trim().toLowerCase();
  const handler = Object.hasOwn(HANDLERS, name) ? HANDLERS[name] : undefined;
  if (!handler) return { kind: 'unknown_topic' };
  return normalizing(() => {
    const outcome = handler(parseBody(rawBody), ctx);
    const occurredAt = firstInstant(ctx, triggeredAt(ctx), outcome.at);
    const several = outcome.drafts.length > 1;
    const drafts = outcome.drafts.map((draft, i) => ({
      // X-Shopify-Webhook-Id names the delivery, and a retry repeats it: the same delivery twice is
      // the same event. Without it, the resource's id and version are the next best thing.
      eventId: ctx.deliveryId
        ? eventIdOf('shopify', ctx.deliveryId, ...(several ? [String(i)] : []))
        : eventIdOf('shopify', name.replace(/\//g, '_'), ...outcome.key, ...(several ? [String(i)] : [])),
      shopId: ctx.shopId,
      source: 'shopify' as const,
      occurredAt,
      ...draft,
    }));
    return finish(drafts, outcome.ignored);
  });
}

const triggeredAt = (ctx: ConnectorContext) => {
  const header = ctx.headers['x-shopify-triggered-at'];
  return header ? parseInstant(header.trim(), 'refuse') : undefined;
};

// ── shapes ────────────────────────────────────────────────────────────────────────────────────

const Quantity = z.number().int().min(0).max(1_000_000);

const CustomerShape = z.object({
  id: SourceIdSchema.nullish(),
  admin_graphql_api_id: TextSchema,
  email: TextSchema,
  phone: TextSchema,
  first_name: TextSchema,
  last_name: TextSchema,
  locale: TextSchema,
  created_at: InstantSchema.nullish(),
  updated_at: InstantSchema.nullish(),
  default_address: z.object({ city: TextSchema, country_code: TextSchema }).nullish(),
  email_marketing_consent: z.object({ state: TextSchema }).nullish(),
  accepts_marketing: z.boolean().nullish(),
});

const TransactionShape = z.object({
  kind: TextSchema,
  status: TextSchema,
  amount: RawAmountSchema.nullish(),
  currency: TextSchema,
  test: z.boolean().nullish(),
});

const RefundShape = z.object({
  id: SourceIdSchema.nullish(),
  admin_graphql_api_id: TextSchema,
  order_id: SourceIdSchema.nullish(),
  created_at: InstantSchema.nullish(),
  processed_at: InstantSchema.nullish(),
  transactions: z.array(TransactionShape).nullish(),
});

const ResourceRef = z.object({ id: SourceIdSchema.nullish(), admin_graphql_api_id: TextSchema });

const PrivacyRequest = z.object({
  customer: z.object({ id: SourceIdSchema.nullish(), email: TextSchema, phone: TextSchema }),
});

/** Shapes whose amounts are read in the shop currency; built once per currency. */
function orderShapes(currency: string) {
  const ShopMoney = z.object({
    shop_money: z.object({
      // The currency is checked before the amount, so a shop configured in the wrong currency is
      // told exactly that rather than that "404.95" has too many decimals for JPY.
      currency_code: z.string().refine((code) => code === currency, `must be the shop currency ${currency}`),
      amount: amountSchema(currency),
    }),
  });
  const LineItem = z.object({
    title: TextSchema,
    name: TextSchema,
    sku: TextSchema,
    product_id: SourceIdSchema.nullish(),
    product_type: TextSchema,
    quantity: Quantity,
    price_set: ShopMoney.nullish(),
    price: RawAmountSchema.nullish(),
  });
  const Order = z.object({
    id: SourceIdSchema.nullish(),
    admin_graphql_api_id: TextSchema,
    created_at: InstantSchema,
    updated_at: InstantSchema.nullish(),
    cancelled_at: InstantSchema.nullish(),
    financial_status: TextSchema,
    test: z.boolean().nullish(),
    total_price_set: ShopMoney.nullish(),
    total_price: RawAmountSchema.nullish(),
    email: TextSchema,
    contact_email: TextSchema,
    phone: TextSchema,
    customer_locale: TextSchema,
    customer: CustomerShape.nullish(),
    line_items: z.array(LineItem).nullish(),
    refunds: z.array(RefundShape).nullish(),
    // {code, amount, type} per code applied; only the code is read (the discount is already in the total).
    discount_codes: z.array(z.object({ code: TextSchema })).nullish(),
    // The page the buyer first landed on ("/?ref=K7MPQ2ZD" after a referral link) and the cart's
    // note attributes ({name, value}); read only for a referral code.
    landing_site: TextSchema,
    note_attributes: z.array(z.object({ name: TextSchema, value: z.unknown() })).nullish(),
    // Read only for the hash that tells a referrer ordering for themselves (never stored as such).
    shipping_address: z.object({ address1: TextSchema, zip: TextSchema, country_code: TextSchema }).nullish(),
  });
  return { Order };
}

const shapesByCurrency = new Map<string, ReturnType<typeof orderShapes>>();
function shapesFor(currency: string) {
  let shapes = shapesByCurrency.get(currency);
  if (!shapes) {
    shapes = orderShapes(currency);
    shapesByCurrency.set(currency, shapes);
  }
  return shapes;
}

// ── ids ───────────────────────────────────────────────────────────────────────────────────────

type GidKind = 'Order' | 'Refund' | 'Customer';
const GID: Readonly<Record<GidKind, RegExp>> = {
  Order: /^gid:\/\/shopify\/Order\/0*(\d{1,30})(?:\?.*)?$/,
  Refund: /^gid:\/\/shopify\/Refund\/0*(\d{1,30})(?:\?.*)?$/,
  Customer: /^gid:\/\/shopify\/Customer\/0*(\d{1,30})(?:\?.*)?$/,
};

/**
 * A resource's id from `id`, or from `admin_graphql_api_id` (gid://shopify/Order/820982911946154508,
 * a string that no JSON parser can round) when `id` is missing. When both are present they must
 * agree: a body whose two ids disagree cannot say which resource it is about.
 */
function resourceId(path: string, id: string | null | undefined, gid: string | undefined, kind: GidKind): string {
  const fromGid = gid ? GID[kind].exec(gid)?.[1] : undefined;
  if (id && fromGid && id !== fromGid) fail(`${path}admin_graphql_api_id`, `${gid} disagrees with id ${id}`);
  return id || fromGid || fail(`${path}id`, 'missing (and no admin_graphql_api_id to read it from)');
}

// ── status ────────────────────────────────────────────────────────────────────────────────────

/**
 * financial_status → order status. Only money actually captured counts as paid: `authorized`
 * (reserved, not captured), `pending`, `partially_paid` (a deposit, not the order) and `expired`
 * (the authorization lapsed uncaptured) are all `pending` until Shopify says `paid`. `voided` is
 * an authorization cancelled before capture: nothing was paid and nothing will be.
 */
const FINANCIAL_STATUS: Readonly<Record<string, OrderStatus>> = {
  pending: 'pending',
  authorized: 'pending',
  partially_paid: 'pending',
  expired: 'pending',
  paid: 'paid',
  partially_refunded: 'partially_refunded',
  refunded: 'refunded',
  voided: 'cancelled',
};

function statusOf(financialStatus: string | undefined, cancelledAt: string | null | undefined): OrderStatus {
  // A cancelled order is cancelled whatever happened to its money: the refunds say what came back.
  if (cancelledAt) return 'cancelled';
  const status = financialStatus?.toLowerCase();
  // An unknown or missing status counts nothing until a known one arrives.
  return (status && Object.hasOwn(FINANCIAL_STATUS, status) ? FINANCIAL_STATUS[status] : undefined) ?? 'pending';
}

// ── refunds ───────────────────────────────────────────────────────────────────────────────────

/**
 * The money a refund returned, in shop currency: the sum of its successful `refund` transactions.
 *
 * Why transactions and not refund_line_items: a refund records two different things. Its line
 * items say which goods came back (for restocking), each with the subtotal it was sold at; its
 * transactions are the money actually sent back to the customer. They differ whenever a merchant
 * refunds less than the goods' value (a restocking fee, a partial goodwill refund, a discount
 * already applied), refunds shipping alone (no line items at all), or returns goods without any
 * refund. Shopify's own Refund.totalRefundedSet is "the total amount across all transactions".
 * In the sample, five lines with subtotals adding up to 414.95 come back — more than the order's
 * 404.95 total after its discount — while the transactions return 75.00 + 10.00 = 85.00.
 * Only `success` counts: a pending or failed transaction has not returned anything (yet); when it
 * succeeds, the order's next update reports it in its own refunds.
 */
function refundMoney(
  refund: z.output<typeof RefundShape>,
  path: string,
  ctx: ConnectorContext,
  rateSources: unknown[],
): { amount: number; test: boolean } {
  let amount = 0;
  let refunds = 0;
  let testRefunds = 0;
  for (const [i, transaction] of (refund.transactions ?? []).entries()) {
    if (transaction.kind?.toLowerCase() !== 'refund') continue;
    refunds++;
    if (transaction.test) testRefunds++;
    if (transaction.status?.toLowerCase() !== 'success') continue;
    const at = `${path}transactions[${i}]`;
    if (transaction.amount == null) fail(`${at}.amount`, 'missing');
    // A transaction is in the currency the customer paid in; null (as in Shopify's sample) is the
    // shop's own currency.
    const currency = transaction.currency?.toUpperCase() ?? ctx.currency;
    if (currencyExponent(currency) === undefined) fail(`${at}.currency`, `${currency} is not an ISO 4217 currency with a minor unit`);
    const minor = minorUnitsAt(`${at}.amount`, transaction.amount, currency);
    const inShopCurrency = currency === ctx.currency ? minor : convert(minor, currency, ctx.currency, rateSources, `${at}.currency`);
    amount = addMinorUnits(`${path}transactions`, amount, inShopCurrency);
  }
  return { amount, test: refunds > 0 && testRefunds === refunds };
}

/**
 * A presentment-currency amount in shop currency, at the rate Shopify itself applied to the same
 * refund (or order): the ratio of shop_money to presentment_money summed over every money bag in
 * it, computed in exact integer arithmetic and rounded half away from zero to the minor unit.
 */
function convert(minor: number, from: string, to: string, sources: unknown[], field: string): number {
  const totals = { shop: 0, presentment: 0 };
  for (const source of sources) collectRate(source, from, to, totals, 0);
  if (totals.presentment === 0)
    fail(field, `an amount in ${from} cannot be valued in ${to}: no shop_money/presentment_money pair gives the rate`);
  try {
    return prorate(minor, totals.shop, totals.presentment);
  } catch (error) {
    if (error instanceof InvalidAmountError) fail(field, `the amount in ${from} is too large in ${to}`);
    throw error;
  }
}

function collectRate(value: unknown, from: string, to: string, totals: { shop: number; presentment: number }, depth: number): void {
  if (depth > 8 || typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const element of value) collectRate(element, from, to, totals, depth + 1);
    return;
  }
  const record = value as Record<string, unknown>;
  const shop = moneyOf(record.shop_money, to);
  const presentment = moneyOf(record.presentment_money, from);
  if (shop !== undefined && presentment !== undefined && shop > 0 && presentment > 0) {
    const nextShop = totals.shop + shop;
    const nextPresentment = totals.presentment + presentment;
    if (Number.isSafeInteger(nextShop) && Number.isSafeInteger(nextPresentment)) {
      totals.shop = nextShop;
      totals.presentment = nextPresentment;
    }
  }
  for (const [key, child] of Object.entries(record)) {
    // Transactions are what is being converted, and name their currency differently anyway.
    if (key !== 'transactions' && key !== 'shop_money' && key !== 'presentment_money') collectRate(child, from, to, totals, depth + 1);
  }
}

function moneyOf(value: unknown, currency: string): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const money = value as Record<string, unknown>;
  if (money.currency_code !== currency) return undefined;
  const parsed = parseMinorUnits(money.amount, currency, { allowNegative: true });
  return parsed.ok ? Math.abs(parsed.minor) : undefined;
}

const elementAt = (body: unknown, key: string, index: number): unknown => {
  const list = (body as Record<string, unknown>)[key];
  return Array.isArray(list) ? list[index] : undefined;
};

// ── customers ─────────────────────────────────────────────────────────────────────────────────

/**
 * Email marketing consent: the customer's email_marketing_consent state, where only `subscribed`
 * is consent (`pending` is a double opt-in not yet confirmed); the legacy accepts_marketing flag
 * when there is no state. The order's buyer_accepts_marketing is not used: it is the checkout box
 * of one purchase, not the customer's standing choice, and could undo a later unsubscribe.
 */
function consentOf(customer: z.output<typeof CustomerShape>): boolean | undefined {
  const state = customer.email_marketing_consent?.state;
  if (state) return state.toLowerCase() === 'subscribed';
  return customer.accepts_marketing ?? undefined;
}

function customerFrom(
  customer: z.output<typeof CustomerShape>,
  path: string,
  fallback: { email?: string; phone?: string; locale?: string } = {},
): EventCustomer | undefined {
  const id = resourceId(path, customer.id, customer.admin_graphql_api_id, 'Customer');
  return customerOf({
    externalId: `shopify:${id}`,
    email: customer.email ?? fallback.email,
    phone: customer.phone ?? fallback.phone,
    firstName: customer.first_name,
    lastName: customer.last_name,
    locale: customer.locale ?? fallback.locale,
    country: customer.default_address?.country_code,
    city: customer.default_address?.city,
    acceptsEmailMarketing: consentOf(customer),
    updatedAt: customer.updated_at ?? undefined,
  });
}

// ── topics ────────────────────────────────────────────────────────────────────────────────────

function orderUpserted(body: unknown, ctx: ConnectorContext): Outcome {
  assertShopCurrency(ctx.currency);
  const raw = read(shapesFor(ctx.currency).Order, body);
  const orderId = resourceId('', raw.id, raw.admin_graphql_api_id, 'Order');
  const total =
    raw.total_price_set?.shop_money.amount ??
    (raw.total_price != null ? minorUnitsAt('total_price', raw.total_price, ctx.currency) : fail('total_price_set', 'missing'));
  let refunded = 0;
  for (const [i, refund] of (raw.refunds ?? []).entries()) {
    const money = refundMoney(refund, `refunds[${i}].`, ctx, [elementAt(body, 'refunds', i), body]);
    refunded = addMinorUnits('refunds', refunded, money.amount);
  }
  // An order of more than 500 lines keeps its first 500: lines only feed category and product
  // statistics, while the total and refunds — the money — are whole. Refusing the order instead
  // would lose it entirely.
  const lineItems = (raw.line_items ?? []).slice(0, MAX_LINE_ITEMS).map((line, i) => ({
    title: clip(line.title ?? line.name ?? '', 500) ?? '',
    quantity: line.quantity,
    price:
      line.price_set?.shop_money.amount ??
      (line.price != null
        ? minorUnitsAt(`line_items[${i}].price`, line.price, ctx.currency)
        : fail(`line_items[${i}].price_set`, 'missing')),
    ...optional('sku', within(line.sku, 256)),
    ...optional('productId', within(line.product_id ?? undefined, 256)),
    ...optional('category', clip(line.product_type, 200)),
  }));
  const updatedAt = raw.updated_at ?? raw.created_at;
  const order: EventOrder = {
    orderId,
    status: statusOf(raw.financial_status, raw.cancelled_at),
    currency: ctx.currency,
    total,
    refunded,
    createdAt: raw.created_at,
    updatedAt,
    lineItems,
    ...optional('discountCodes', discountCodesOf((raw.discount_codes ?? []).map((discount) => discount.code))),
    // The landing page ("/?ref=K7MPQ2ZD" after a referral link, kept by Shopify's online store), else a note attribute.
    ...optional('referralCode', orderReferralCode(raw.landing_site, raw.note_attributes ?? [])),
    ...optional(
      'shippingAddress',
      shippingAddressOf(raw.shipping_address?.address1, raw.shipping_address?.zip, raw.shipping_address?.country_code),
    ),
    ...(raw.test ? { test: true } : {}),
  };
  // Guest checkouts carry no customer: the order's contact email and phone still identify them.
  const customer = raw.customer
    ? customerFrom(raw.customer, 'customer.', { email: raw.email ?? raw.contact_email, phone: raw.phone, locale: raw.customer_locale })
    : customerOf({ email: raw.email ?? raw.contact_email, phone: raw.phone, locale: raw.customer_locale });
  const dropped = raw.test === true && ctx.ignoreTestOrders;
  return {
    key: [orderId, updatedAt],
    at: updatedAt,
    drafts: dropped ? [] : [{ type: 'order.upserted', order, ...optional('customer', customer) }],
    ignored: dropped ? 1 : 0,
  };
}

/**
 * orders/delete carries only the id. The order is gone, so it counts no more: a `cancelled` state
 * with total 0 and no lines, stamped with the time of the deletion — X-Shopify-Triggered-At, the
 * same on every retry so a redelivery is a duplicate, or the arrival time when it is missing.
 */
function orderDeleted(body: unknown, ctx: ConnectorContext): Outcome {
  const raw = read(ResourceRef, body);
  const orderId = resourceId('', raw.id, raw.admin_graphql_api_id, 'Order');
  const at = triggeredAt(ctx) ?? ctx.receivedAt.toISOString();
  const order: EventOrder = { orderId, status: 'cancelled', currency: ctx.currency, total: 0, createdAt: at, updatedAt: at, lineItems: [] };
  return { key: [orderId], drafts: [{ type: 'order.upserted', order }], ignored: 0 };
}

function refundCreated(body: unknown, ctx: ConnectorContext): Outcome {
  assertShopCurrency(ctx.currency);
  const raw = read(RefundShape, body);
  const refundId = resourceId('', raw.id, raw.admin_graphql_api_id, 'Refund');
  const orderId = raw.order_id ?? fail('order_id', 'missing');
  const createdAt = raw.created_at ?? raw.processed_at ?? fail('created_at', 'missing');
  const money = refundMoney(raw, '', ctx, [body]);
  // A refund of a test order is made of test transactions; its order was dropped, so is it.
  const dropped = money.test && ctx.ignoreTestOrders;
  const refund = { refundId, orderId, currency: ctx.currency, amount: money.amount, createdAt };
  return {
    key: [refundId],
    at: createdAt,
    drafts: dropped ? [] : [{ type: 'refund.created', refund }],
    ignored: dropped ? 1 : 0,
  };
}

function customerUpserted(body: unknown): Outcome {
  const raw = read(CustomerShape, body);
  const id = resourceId('', raw.id, raw.admin_graphql_api_id, 'Customer');
  const customer = customerFrom(raw, '');
  const at = raw.updated_at ?? raw.created_at ?? undefined;
  return {
    key: [id, ...(at ? [at] : [])],
    at,
    drafts: [{ type: 'customer.upserted', ...optional('customer', customer) }],
    ignored: 0,
  };
}

function customerDeleted(body: unknown): Outcome {
  const raw = read(ResourceRef, body);
  const id = resourceId('', raw.id, raw.admin_graphql_api_id, 'Customer');
  return { key: [id], drafts: [{ type: 'customer.erased', customer: { externalId: `shopify:${id}` } }], ignored: 0 };
}

/** The customer a privacy request names: Shopify's id, email and phone, whichever it sent. */
function privacyCustomer(body: unknown): { customer: EventCustomer; key: string } {
  const raw = read(PrivacyRequest, body);
  const { id, email, phone } = raw.customer;
  const customer =
    customerOf({ externalId: id ? `shopify:${id}` : undefined, email, phone }) ?? fail('customer', 'names nobody (no id, email or phone)');
  return { customer, key: id ?? fingerprint(customer) };
}

function customerRedacted(body: unknown): Outcome {
  const { customer, key } = privacyCustomer(body);
  return { key: [key], drafts: [{ type: 'customer.erased', customer }], ignored: 0 };
}

function customerDataRequested(body: unknown): Outcome {
  const { customer } = privacyCustomer(body);
  const requestId = read(z.object({ data_request: z.object({ id: SourceIdSchema }) }), body).data_request.id;
  return { key: [requestId], drafts: [{ type: 'customer.data_requested', customer, requestId }], ignored: 0 };
}

function shopRedacted(body: unknown, ctx: ConnectorContext): Outcome {
  const raw = read(z.object({ shop_id: SourceIdSchema.nullish() }), body);
  return { key: [raw.shop_id ?? ctx.shopId], drafts: [{ type: 'shop.erased' }], ignored: 0 };
}

const HANDLERS: Readonly<Record<string, Handler>> = {
  'orders/create': orderUpserted,
  'orders/paid': orderUpserted,
  'orders/updated': orderUpserted,
  'orders/cancelled': orderUpserted,
  'orders/delete': orderDeleted,
  'refunds/create': refundCreated,
  'customers/create': customerUpserted,
  'customers/update': customerUpserted,
  'customers/delete': customerDeleted,
  'customers/data_request': customerDataRequested,
  'customers/redact': customerRedacted,
  'shop/redact': shopRedacted,
};
