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
  minorUnitsAt,
  type NormalizeResult,
  normalizing,
  optional,
  parseBody,
  RawAmountSchema,
  read,
  SourceIdSchema,
  shippingAddressOf,
  TextSchema,
  UtcInstantSchema,
  within,
} from '#shared/connectors/types.ts';
import type { EventOrder, OrderStatus } from '#shared/domain/event.ts';
import { prorate } from '#shared/domain/money.ts';
import { orderReferralCode } from '#shared/loyalty/referrals.ts';

/**
 * WooCommerce webhook bodies (the REST v3 resource at delivery time) → canonical events.
 * Field-by-field sources and every decision are in CONNECTORS.md.
 */

const MAX_LINE_ITEMS = 500;

type Handler = (body: unknown, ctx: ConnectorContext) => { drafts: EventDraft[]; ignored: number };

export function normalizeWooCommerce(topic: string, rawBody: string, ctx: ConnectorContext): NormalizeResult {
  const name = topic.trim().toLowerCase();
  const handler = Object.hasOwn(HANDLERS, name) ? HANDLERS[name] : undefined;
  if (!handler) return { kind: 'unknown_topic' };
  return normalizing(() => {
    const { drafts, ignored } = handler(parseBody(rawBody), ctx);
    return finish(drafts, ignored);
  });
}

// ── shapes ────────────────────────────────────────────────────────────────────────────────────

const Quantity = z.number().int().min(0).max(1_000_000);

const Address = z.object({
  first_name: TextSchema,
  last_name: TextSchema,
  email: TextSchema,
  phone: TextSchema,
  city: TextSchema,
  country: TextSchema,
});

const CustomerShape = z.object({
  id: SourceIdSchema.refine((id) => id !== '0', 'a registered customer has an id above 0'),
  email: TextSchema,
  first_name: TextSchema,
  last_name: TextSchema,
  date_created_gmt: UtcInstantSchema.nullish(),
  date_modified_gmt: UtcInstantSchema.nullish(),
  billing: Address.nullish(),
});

const Deleted = z.object({ id: SourceIdSchema });

function orderShapes(currency: string) {
  const amount = amountSchema(currency);
  const LineItem = z.object({
    name: TextSchema,
    product_id: SourceIdSchema.nullish(),
    sku: TextSchema,
    quantity: Quantity,
    subtotal: amount.nullish(),
    price: RawAmountSchema.nullish(),
  });
  const Order = z.object({
    // First, so that an order in another currency is refused for exactly that.
    currency: z.string().refine((code) => code === currency, `must be the shop currency ${currency}`),
    id: SourceIdSchema,
    status: z.string(),
    date_created_gmt: UtcInstantSchema.nullish(),
    date_modified_gmt: UtcInstantSchema.nullish(),
    date_paid_gmt: UtcInstantSchema.nullish(),
    total: amount,
    customer_id: SourceIdSchema.nullish(),
    billing: Address.nullish(),
    line_items: z.array(LineItem).nullish(),
    // The REST order lists its refunds as {id, reason, total}, the total negative.
    refunds: z.array(z.object({ id: SourceIdSchema, total: amountSchema(currency, { allowNegative: true }) })).nullish(),
    // {id, code, discount, discount_tax, meta_data} per coupon applied; only the code is read (the
    // discount is already in the total).
    coupon_lines: z.array(z.object({ code: TextSchema })).nullish(),
    // {id, key, value}: read only for a referral code (WooCommerce's order attribution keeps the
    // landing page as _wc_order_attribution_session_entry; a snippet may add `ref` itself).
    meta_data: z.array(z.object({ key: TextSchema, value: z.unknown() })).nullish(),
    // Read only for the hash that tells a referrer ordering for themselves (never stored as such).
    shipping: z.object({ address_1: TextSchema, postcode: TextSchema, country: TextSchema }).nullish(),
  });
  return { Order };
}

/**
 * The referral code a WooCommerce order came with: the `ref` of the landing page its order
 * attribution recorded (`_wc_order_attribution_session_entry`, WooCommerce 8.5+), else a meta entry
 * naming it (orderReferralCode).
 */
function wooReferralCode(meta: Array<{ key?: string | undefined; value: unknown }>) {
  const landing = meta.find((entry) => entry.key === '_wc_order_attribution_session_entry');
  return orderReferralCode(
    landing?.value,
    meta.map((entry) => ({ name: entry.key, value: entry.value })),
  );
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

// ── status ────────────────────────────────────────────────────────────────────────────────────

/**
 * WooCommerce order status → order status. `processing` and `completed` are paid (payment
 * received; completed is also fulfilled). `on-hold` awaits payment confirmation (a bank transfer).
 * `failed` is a payment that did not go through — WooCommerce itself still lets the customer pay
 * a failed order (its needs_payment() statuses are pending and failed), so it is pending, not
 * cancelled. `trash` is an order moved to the bin: it counts no more. `checkout-draft` is the block
 * checkout's cart, not an order yet: it is ignored (counted in `ignored`), never shown.
 */
const ORDER_STATUS: Readonly<Record<string, OrderStatus | 'draft'>> = {
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

function statusOf(status: string, paidAt: string | null | undefined): OrderStatus | 'draft' {
  const key = status.trim().toLowerCase().replace(/^wc-/, '');
  if (Object.hasOwn(ORDER_STATUS, key)) return ORDER_STATUS[key] as OrderStatus | 'draft';
  // Plugins add statuses of their own (shipped, delivered, awaiting-pickup…). WooCommerce stamps
  // date_paid when payment is received, so that says whether such an order was paid.
  return paidAt ? 'paid' : 'pending';
}

// ── topics ────────────────────────────────────────────────────────────────────────────────────

function orderUpserted(body: unknown, ctx: ConnectorContext): { drafts: EventDraft[]; ignored: number } {
  assertShopCurrency(ctx.currency);
  const raw = read(shapesFor(ctx.currency).Order, body);
  const orderId = raw.id;
  // The *_gmt fields carry no zone designator: they are UTC, and are read as such.
  const createdAt = raw.date_created_gmt ?? raw.date_modified_gmt ?? fail('date_created_gmt', 'missing');
  const updatedAt = raw.date_modified_gmt ?? createdAt;
  const mapped = statusOf(raw.status, raw.date_paid_gmt);
  if (mapped === 'draft') return { drafts: [], ignored: 1 };

  let refunded = 0;
  const refunds = (raw.refunds ?? []).map((refund) => {
    const amount = Math.abs(refund.total);
    refunded = addMinorUnits('refunds', refunded, amount);
    return { refundId: refund.id, amount };
  });
  // WooCommerce has no partially-refunded status: a paid order with refunds is one.
  const status: OrderStatus =
    mapped === 'paid' && refunded > 0 ? (refunded >= raw.total && raw.total > 0 ? 'refunded' : 'partially_refunded') : mapped;

  const lineItems = (raw.line_items ?? []).slice(0, MAX_LINE_ITEMS).map((line, i) => ({
    title: clip(decodeEntities(line.name ?? ''), 500) ?? '',
    quantity: line.quantity,
    price: unitPrice(line, i, ctx.currency),
    ...optional('sku', within(line.sku, 256)),
    // product_id 0 is a line whose product was deleted (or a custom line): no product.
    ...optional('productId', line.product_id && line.product_id !== '0' ? within(line.product_id, 256) : undefined),
  }));
  const order: EventOrder = {
    orderId,
    status,
    currency: ctx.currency,
    total: raw.total,
    refunded,
    createdAt,
    updatedAt,
    lineItems,
    ...optional('discountCodes', discountCodesOf((raw.coupon_lines ?? []).map((coupon) => coupon.code))),
    ...optional('referralCode', wooReferralCode(raw.meta_data ?? [])),
    ...optional('shippingAddress', shippingAddressOf(raw.shipping?.address_1, raw.shipping?.postcode, raw.shipping?.country)),
  };
  const customerId = raw.customer_id && raw.customer_id !== '0' ? raw.customer_id : undefined;
  const customer = customerOf({
    externalId: customerId ? `woocommerce:${customerId}` : undefined,
    email: raw.billing?.email,
    phone: raw.billing?.phone,
    firstName: raw.billing?.first_name,
    lastName: raw.billing?.last_name,
    country: raw.billing?.country,
    city: raw.billing?.city,
  });

  const drafts: EventDraft[] = [
    {
      // X-WC-Webhook-Delivery-ID changes from one delivery of the same change to the next, so the
      // id comes from the resource: its id and date_modified, plus a fingerprint of the state so two
      // different states stamped within the same second (date_modified has whole seconds) stay two.
      eventId: eventIdOf('woo', 'order', orderId, updatedAt, fingerprint(order)),
      shopId: ctx.shopId,
      type: 'order.upserted',
      occurredAt: updatedAt,
      source: 'woocommerce',
      order,
      ...optional('customer', customer),
    },
    // WooCommerce sends refunds only inside order.updated. The order body's refund entries carry no
    // date, so a refund is dated by the order's date_modified of the first delivery that lists it.
    // A refund never changes, so its event id does not carry that date: every later delivery that
    // lists it again names the same event.
    ...refunds.map(
      (refund): EventDraft => ({
        eventId: eventIdOf('woo', 'order', orderId, 'refund', refund.refundId),
        shopId: ctx.shopId,
        type: 'refund.created',
        occurredAt: updatedAt,
        source: 'woocommerce',
        refund: { refundId: refund.refundId, orderId, currency: ctx.currency, amount: refund.amount, createdAt: updatedAt },
      }),
    ),
  ];
  return { drafts, ignored: 0 };
}

/**
 * WooCommerce writes HTML entities into line names ("Ship Your Idea &ndash; Color: Black", from the
 * variation title it builds): a title is text for emails and reports, so they are decoded. Numeric
 * references and the entities WordPress's texturizer produces are known; anything else is kept.
 */
// biome-ignore format: a table reads best in rows
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', ndash: '\u2013', mdash: '\u2014', hellip: '\u2026',
  lsquo: '\u2018', rsquo: '\u2019', sbquo: '\u201a', ldquo: '\u201c', rdquo: '\u201d', bdquo: '\u201e', times: '\u00d7',
  prime: '\u2032', Prime: '\u2033', laquo: '\u00ab', raquo: '\u00bb', copy: '\u00a9', reg: '\u00ae', trade: '\u2122',
};

function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z]{2,8});/g, (entity, body: string) => {
    if (body.startsWith('#')) {
      const code = body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      // Control characters and surrogates are not text: the reference stays as written.
      return code >= 0x20 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) && code !== 0x7f ? String.fromCodePoint(code) : entity;
    }
    return Object.hasOwn(NAMED_ENTITIES, body) ? (NAMED_ENTITIES[body] as string) : entity;
  });
}

/**
 * Unit price: the line subtotal (before coupon discounts, like Shopify's unit price) divided by the
 * quantity, in exact integer arithmetic, rounded half away from zero to the minor unit when it does
 * not divide evenly. The line's `price` field is a PHP float (total ÷ quantity, after discounts,
 * e.g. 3.3333333333) and is read only when the subtotal is missing.
 */
function unitPrice(
  line: { quantity: number; subtotal?: number | null | undefined; price?: string | number | null | undefined },
  i: number,
  currency: string,
): number {
  if (line.subtotal != null) return line.quantity > 0 ? prorate(line.subtotal, 1, line.quantity) : 0;
  if (line.price != null) return minorUnitsAt(`line_items[${i}].price`, line.price, currency);
  return fail(`line_items[${i}].subtotal`, 'missing');
}

/**
 * order.deleted sends {"id": n}: the order counts no more. A `cancelled` state, total 0, no lines,
 * stamped with the arrival time (the body has no date; WooCommerce does not retry, so a delivery
 * is not repeated with another arrival time).
 */
function orderDeleted(body: unknown, ctx: ConnectorContext): { drafts: EventDraft[]; ignored: number } {
  const { id } = read(Deleted, body);
  const at = ctx.receivedAt.toISOString();
  return {
    drafts: [
      {
        eventId: eventIdOf('woo', 'order', id, 'deleted'),
        shopId: ctx.shopId,
        type: 'order.upserted',
        occurredAt: at,
        source: 'woocommerce',
        order: { orderId: id, status: 'cancelled', currency: ctx.currency, total: 0, createdAt: at, updatedAt: at, lineItems: [] },
      },
    ],
    ignored: 0,
  };
}

function customerUpserted(body: unknown, ctx: ConnectorContext): { drafts: EventDraft[]; ignored: number } {
  const raw = read(CustomerShape, body);
  const updatedAt = raw.date_modified_gmt ?? raw.date_created_gmt ?? undefined;
  const customer = customerOf({
    externalId: `woocommerce:${raw.id}`,
    email: raw.email ?? raw.billing?.email,
    phone: raw.billing?.phone,
    firstName: raw.first_name ?? raw.billing?.first_name,
    lastName: raw.last_name ?? raw.billing?.last_name,
    country: raw.billing?.country,
    city: raw.billing?.city,
    updatedAt,
  });
  const occurredAt = updatedAt ?? ctx.receivedAt.toISOString();
  return {
    drafts: [
      {
        eventId: eventIdOf('woo', 'customer', raw.id, occurredAt, fingerprint(customer)),
        shopId: ctx.shopId,
        type: 'customer.upserted',
        occurredAt,
        source: 'woocommerce',
        ...optional('customer', customer),
      },
    ],
    ignored: 0,
  };
}

function customerDeleted(body: unknown, ctx: ConnectorContext): { drafts: EventDraft[]; ignored: number } {
  const { id } = read(Deleted, body);
  return {
    drafts: [
      {
        eventId: eventIdOf('woo', 'customer', id, 'deleted'),
        shopId: ctx.shopId,
        type: 'customer.erased',
        occurredAt: ctx.receivedAt.toISOString(),
        source: 'woocommerce',
        customer: { externalId: `woocommerce:${id}` },
      },
    ],
    ignored: 0,
  };
}

const HANDLERS: Readonly<Record<string, Handler>> = {
  'order.created': orderUpserted,
  'order.updated': orderUpserted,
  'order.deleted': orderDeleted,
  // A restored order carries the whole resource again, newer than its deletion.
  'order.restored': orderUpserted,
  'customer.created': customerUpserted,
  'customer.updated': customerUpserted,
  'customer.deleted': customerDeleted,
};
