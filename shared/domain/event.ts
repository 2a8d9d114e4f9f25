import * as z from 'zod';
import { ReferralCodeSchema } from '#shared/domain/referral-code.ts';

/**
 * The canonical event (DESIGN §4): every source payload becomes one or more of these, and only
 * these travel on the interactions queue. One schema, used by the webhook (to validate what a
 * sender gave us) and by the processor (to parse what the queue gives back).
 */

const isoInstant = z.iso.datetime({ offset: true }).transform((value) => new Date(value).toISOString());

export const ShopIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and dashes, 2–63 characters');

export const CurrencySchema = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD');

/** Integer minor units (cents, đồng, fils): money never travels as a float. */
const minorUnits = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const id = z.string().trim().min(1).max(256);

export const CustomerSchema = z
  .object({
    /** Rapport's own customer id, when the caller knows it (the interactions API). */
    customerId: z
      .string()
      .regex(/^c_[0-9a-f]{20}$/)
      .optional(),
    /** The source's own customer id, namespaced by source: `shopify:7412341234123412341`. */
    externalId: id.optional(),
    email: z.string().trim().max(320).optional(),
    phone: z.string().trim().max(40).optional(),
    firstName: z.string().max(200).optional(),
    lastName: z.string().max(200).optional(),
    locale: z.string().max(35).optional(),
    birthday: z.iso.date().optional(),
    country: z.string().max(2).optional(),
    city: z.string().max(200).optional(),
    gender: z.string().max(40).optional(),
    acceptsEmailMarketing: z.boolean().optional(),
    /** When the source last changed this customer: the newest contact details win. */
    updatedAt: isoInstant.optional(),
  })
  .refine((c) => c.customerId || c.externalId || c.email || c.phone, {
    message: 'a customer needs at least one of customerId, externalId, email or phone',
  });

export const OrderStatusSchema = z.enum(['pending', 'paid', 'cancelled', 'refunded', 'partially_refunded']);

export const LineItemSchema = z.object({
  sku: z.string().max(256).optional(),
  productId: z.string().max(256).optional(),
  title: z.string().max(500),
  quantity: z.number().int().min(0).max(1_000_000),
  /** Unit price in shop-currency minor units. */
  price: minorUnits,
  category: z.string().max(200).optional(),
});

/** An order carries at most this many discount codes, each at most this long: the order item keeps them. */
export const MAX_DISCOUNT_CODES = 20;
export const MAX_DISCOUNT_CODE_LENGTH = 100;

/**
 * A discount code as Rapport keeps it: trimmed and upper-cased. The platforms compare codes without
 * regard to case (Shopify's SPRING30 and spring30 are one code; WooCommerce lower-cases every code it
 * applies) and the codes Rapport issues are upper-case, so codes are stored in one case and a stored
 * code compares with a reward's code by plain equality. The length is checked after upper-casing
 * (ß becomes SS), so the bound holds for what is stored.
 */
export const normalizeDiscountCode = (code: string) => code.trim().toUpperCase();

export const DiscountCodeSchema = z
  .string()
  .overwrite(normalizeDiscountCode)
  .min(1, 'a discount code is 1–100 characters')
  .max(MAX_DISCOUNT_CODE_LENGTH, 'a discount code is 1–100 characters');

/**
 * The codes applied to an order, normalized (DiscountCodeSchema), duplicates after normalization
 * removed, first occurrence first. At most 20 as sent: the codes live on the order item, never on
 * the profile, and 20 × 100 characters bounds what one order adds to it (about 2 KB of ASCII).
 */
export const DiscountCodesSchema = z
  .array(DiscountCodeSchema)
  .max(MAX_DISCOUNT_CODES, `at most ${MAX_DISCOUNT_CODES} discount codes per order`)
  .transform((codes) => [...new Set(codes)]);

export const OrderSchema = z.object({
  orderId: id,
  status: OrderStatusSchema,
  currency: CurrencySchema,
  /** Order total in shop-currency minor units. */
  total: minorUnits,
  /** Refunded so far as the order itself reports it (some sources carry it on the order). */
  refunded: minorUnits.optional(),
  createdAt: isoInstant,
  /** The source's last-modified time: the processor applies the newest state and ignores stale ones. */
  updatedAt: isoInstant,
  lineItems: z.array(LineItemSchema).max(500).default([]),
  /**
   * The discount codes applied (Shopify discount_codes, WooCommerce coupon_lines), upper-cased and
   * without duplicates. Like every field of the order, it is the order's whole state: a newer
   * state without codes has none. Absent and empty mean the same.
   */
  discountCodes: DiscountCodesSchema.optional(),
  /**
   * The referral code the order came with other than as a discount code: the `ref` that a referral
   * link (`/r/{code}`) left on the landing page (Shopify landing_site, WooCommerce's order
   * attribution), or a note naming it. Upper-cased, spaces and dashes dropped.
   */
  referralCode: ReferralCodeSchema.optional(),
  /**
   * Where the order is shipped, only to tell a referrer ordering for themselves as a "friend": the
   * order item keeps a hash of it (loyalty/referrals.ts shippingAddressHash), never the address.
   */
  shippingAddress: z
    .object({ line1: z.string().max(300), postcode: z.string().max(40).optional(), country: z.string().max(60).optional() })
    .optional(),
  test: z.boolean().optional(),
});

export const RefundSchema = z.object({
  refundId: id,
  orderId: id,
  currency: CurrencySchema,
  amount: minorUnits,
  createdAt: isoInstant,
});

export const ChannelSchema = z.enum(['phone', 'chat', 'social', 'in_store', 'email', 'sms', 'web']);

export const InteractionSchema = z.object({
  channel: ChannelSchema,
  summary: z.string().max(2000).optional(),
  nps: z.number().int().min(0).max(10).optional(),
  csat: z.number().int().min(1).max(5).optional(),
  comment: z.string().max(2000).optional(),
  /**
   * An activity of the program this interaction earns (loyalty/activities.ts; the interactions API
   * checks the id, the processor awards it under the event's id), and the shop's reference to it.
   */
  activity: z.string().max(60).optional(),
  reference: z.string().max(200).optional(),
});

/**
 * DESIGN §4's six types, plus two the privacy topics need (Shopify's mandatory customers/data_request
 * and shop/redact): an export request for one customer, and the erasure of a whole shop.
 */
export const EventTypeSchema = z.enum([
  'order.upserted',
  'refund.created',
  'customer.upserted',
  'customer.erased',
  'interaction.logged',
  'feedback.submitted',
  'customer.data_requested',
  'shop.erased',
]);

export const SourceSchema = z.enum(['shopify', 'woocommerce', 'generic', 'import', 'api']);

export const CanonicalEventSchema = z
  .object({
    eventId: z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/, '8–128 characters of letters, digits, . _ : -'),
    shopId: ShopIdSchema,
    type: EventTypeSchema,
    occurredAt: isoInstant,
    source: SourceSchema,
    customer: CustomerSchema.optional(),
    order: OrderSchema.optional(),
    refund: RefundSchema.optional(),
    interaction: InteractionSchema.optional(),
    /** The sender's id of a privacy request (Shopify's data_request.id), kept with the export. */
    requestId: z.string().max(256).optional(),
  })
  .superRefine((event, ctx) => {
    const need = (field: 'customer' | 'order' | 'refund' | 'interaction') => {
      if (!event[field]) ctx.addIssue({ code: 'custom', path: [field], message: `${event.type} needs ${field}` });
    };
    switch (event.type) {
      case 'order.upserted':
        need('order');
        break;
      case 'refund.created':
        need('refund');
        break;
      case 'customer.upserted':
      case 'customer.erased':
      case 'customer.data_requested':
        need('customer');
        break;
      case 'interaction.logged':
      case 'feedback.submitted':
        need('customer');
        need('interaction');
        break;
    }
  });

export type CanonicalEvent = z.infer<typeof CanonicalEventSchema>;
export type EventCustomer = z.infer<typeof CustomerSchema>;
export type EventOrder = z.infer<typeof OrderSchema>;
export type EventRefund = z.infer<typeof RefundSchema>;
export type OrderStatus = z.infer<typeof OrderStatusSchema>;
