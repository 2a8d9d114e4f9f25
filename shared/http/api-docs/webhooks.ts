import * as z from 'zod';
import { CanonicalEventSchema, ShopIdSchema } from '#shared/domain/event.ts';
import { type ApiFamily, type Describes, errors, jsonAnswer, requires, route } from '#shared/http/api-docs/parts.ts';
import { GENERIC_TYPES, MAX_EVENTS_PER_DELIVERY, type WebhookResult } from '#shared/use-cases/receive-webhook.ts';

/** POST /webhooks/{generic|shopify|woocommerce}/{shopId}: functions/webhook.ts, shared/use-cases/receive-webhook.ts. */

const path = z.object({ shopId: ShopIdSchema });

/**
 * One element of a generic delivery: the canonical event, whose `shopId` and `source` the route fills
 * in and whose `eventId` is derived from the content when missing (receive-webhook.ts genericEvent
 * parses the filled-in element with CanonicalEventSchema itself).
 */
const shape = CanonicalEventSchema.shape;
const GenericEventSchema = z.object({
  ...shape,
  eventId: shape.eventId.optional(),
  shopId: shape.shopId.optional(),
  source: z.literal('generic').optional(),
  type: z.enum([...GENERIC_TYPES] as [string, ...string[]]),
});

const GenericDeliverySchema = z.union([GenericEventSchema, z.array(GenericEventSchema).min(1).max(MAX_EVENTS_PER_DELIVERY)]);

/**
 * A platform's webhook body is its REST resource for the topic; the connectors
 * (shared/connectors/shopify.ts, woocommerce.ts) read it with schemas built per delivery (amounts in
 * the shop's currency), so only its outer shape is documented here.
 */
const platformBody = (platform: string) =>
  z.record(z.string(), z.unknown()).meta({ description: `The ${platform} webhook payload for the topic, as ${platform} sends it.` });

export const WebhookResultSchema = z.object({
  accepted: z.int().min(0).meta({ description: 'Events queued.' }),
  ignored: z.int().min(0).meta({ description: 'Events dropped on purpose (test orders while `settings.ignoreTestOrders`).' }),
  note: z.enum(['duplicate_delivery', 'unknown_topic', 'ping']).optional().meta({ description: 'Why nothing was queued.' }),
});
const _result: Describes<typeof WebhookResultSchema, WebhookResult> = true;

const answers = {
  '202': jsonAnswer('Verified and on the queue.', WebhookResultSchema),
  '200': jsonAnswer(
    'Verified, nothing to queue: a repeated delivery, an ignored test order, an unknown topic or a ping.',
    WebhookResultSchema,
  ),
  // A shop that does not exist, or has no secret for the route, gets exactly the bad-signature answer.
  ...errors(400, 401, 413),
};

export const webhooks: ApiFamily = {
  tag: {
    name: 'Webhooks',
    description:
      'Orders, refunds and customers from a shop. Verified on the raw bytes, answered once queued; a delivery for a shop that does not exist gets the bad-signature answer.',
  },
  schemas: { WebhookResult: WebhookResultSchema },
  routes: [
    route('POST', '/webhooks/generic/{shopId}', {
      summary: 'Canonical events from any source',
      description: `One canonical event or an array of up to ${MAX_EVENTS_PER_DELIVERY}; money in integer minor units of the shop's currency.`,
      security: requires('rapportSignature'),
      requestParams: { path },
      requestBody: { required: true, content: { 'application/json': { schema: GenericDeliverySchema } } },
      responses: answers,
    }),
    route('POST', '/webhooks/shopify/{shopId}', {
      summary: 'A Shopify webhook',
      description:
        'Topics orders/create, orders/updated, orders/paid, orders/cancelled, refunds/create, customers/create, customers/update and the privacy topics customers/redact, customers/data_request, shop/redact.',
      security: requires('shopifySignature'),
      requestParams: {
        path,
        header: z.object({
          'X-Shopify-Topic': z.string().meta({ description: 'The webhook topic, e.g. `orders/create`.' }),
          'X-Shopify-Webhook-Id': z
            .string()
            .regex(/^[\w.:-]{1,128}$/)
            .optional()
            .meta({ description: 'The delivery id: a repeated delivery is answered 200 without queuing anything.' }),
        }),
      },
      requestBody: { required: true, content: { 'application/json': { schema: platformBody('Shopify') } } },
      responses: answers,
    }),
    route('POST', '/webhooks/woocommerce/{shopId}', {
      summary: 'A WooCommerce webhook',
      description:
        'Topics order.created, order.updated, order.deleted, customer.created, customer.updated. The unsigned ping WooCommerce sends when a webhook is created (`webhook_id=<n>`, form-encoded) is answered 200.',
      security: requires('wooCommerceSignature'),
      requestParams: {
        path,
        header: z.object({
          'X-WC-Webhook-Topic': z.string().optional().meta({ description: 'The webhook topic, e.g. `order.updated`.' }),
          'X-WC-Webhook-Delivery-ID': z.string().optional(),
        }),
      },
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: platformBody('WooCommerce') },
          'application/x-www-form-urlencoded': { schema: z.object({ webhook_id: z.string().regex(/^\d{1,20}$/) }) },
        },
      },
      responses: answers,
    }),
  ],
};
