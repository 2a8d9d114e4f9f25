import { createHash } from 'node:crypto';
import { parseJsonExact } from '#shared/connectors/safe-json.ts';
import { normalizeShopify } from '#shared/connectors/shopify.ts';
import { fail } from '#shared/connectors/types.ts';
import { CanonicalEventSchema, EventTypeSchema } from '#shared/domain/event.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { converting, type ImportShop, type LineConverter } from './convert.ts';

/**
 * JSON Lines, each line one of:
 * - a Shopify order body (it has `line_items` or `financial_status`), as the REST Admin API and the
 *   order webhooks give it: read by the Shopify connector exactly as an orders/updated delivery,
 *   then marked `source: import`. Without a delivery id its event id is
 *   `shopify:orders_updated:<order id>:<updated_at>`, so each state of an order is one event however
 *   often it is sent.
 * - a canonical event (it has `type`; DESIGN §4): checked by the schema, as on the generic webhook.
 *   `shopId` may be left out (it must be `--shop` when given), `source` defaults to `import`, and an
 *   event without `eventId` gets `import:<shop>:<hash of the line>`.
 */

/** History, not commands: privacy requests go through the API and the privacy webhooks, never a backfill. */
const IMPORTED_TYPES = new Set(['order.upserted', 'refund.created', 'customer.upserted', 'interaction.logged', 'feedback.submitted']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function jsonlConverter(shop: ImportShop, receivedAt: Date): LineConverter {
  const ctx = { shopId: shop.shopId, currency: shop.currency, ignoreTestOrders: shop.ignoreTestOrders, receivedAt, headers: {} };
  return {
    convert: (line) =>
      converting(() => {
        const parsed = parseJsonExact(line);
        if (!parsed.ok) fail('line', 'not valid JSON');
        const body = parsed.value;
        if (!isObject(body)) fail('line', 'not a JSON object');

        if ('line_items' in body || 'financial_status' in body) {
          const result = normalizeShopify('orders/updated', line, ctx);
          if (result.kind === 'invalid') return { kind: 'rejected', field: result.field, message: result.message };
          if (result.kind !== 'events') fail('line', 'not a Shopify order');
          if (result.events.length === 0) return { kind: 'ignored', why: 'Shopify test order' };
          // Marked as imported, like every other line: a backfill must be told apart from live deliveries.
          return { kind: 'events', events: result.events.map((event) => ({ ...event, source: 'import' as const })) };
        }

        if (typeof body.type === 'string') {
          if (EventTypeSchema.safeParse(body.type).success && !IMPORTED_TYPES.has(body.type)) {
            fail('type', `${body.type} is not imported (only ${[...IMPORTED_TYPES].join(', ')})`);
          }
          if (body.shopId !== undefined && body.shopId !== shop.shopId)
            fail('shopId', `another shop's event (this import is for ${shop.shopId})`);
          const event = parseOrThrow(CanonicalEventSchema, {
            ...body,
            shopId: shop.shopId,
            source: body.source ?? 'import',
            eventId: body.eventId ?? `import:${shop.shopId}:${createHash('sha256').update(line.trim()).digest('hex').slice(0, 40)}`,
          });
          for (const [field, currency] of [
            ['order.currency', event.order?.currency],
            ['refund.currency', event.refund?.currency],
          ] as const) {
            if (currency && currency !== shop.currency) fail(field, `not the shop currency (${shop.currency})`);
          }
          return { kind: 'events', events: [event] };
        }

        fail('line', 'neither a Shopify order (line_items, financial_status) nor a canonical event (type)');
      }),
  };
}
