import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { getProfile } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { type CanonicalEvent, CanonicalEventSchema, ChannelSchema, CustomerSchema } from '#shared/domain/event.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { ActivityIdSchema } from '#shared/loyalty/activities.ts';

/**
 * POST /v1/interactions: a touch on any channel (a call, a chat, a visit) or a feedback answer,
 * logged onto the customer's timeline and profile through the same queue as every other event.
 * With an `activity`, the processor awards it (award-activity.ts awardActivityOnce) with the
 * interaction's event id as the key: a retried call or a redelivered event awards it once, and an
 * award the program refuses leaves the interaction logged, the refusal and its reason on the timeline.
 */

export const IdempotencyKeySchema = z.string().regex(/^[A-Za-z0-9._:-]{8,100}$/, '8–100 characters of letters, digits, . _ : -');

export const InteractionRequestSchema = z
  .object({
    customer: CustomerSchema,
    channel: ChannelSchema,
    summary: z.string().max(2000).optional(),
    nps: z.number().int().min(0).max(10).optional(),
    csat: z.number().int().min(1).max(5).optional(),
    comment: z.string().max(2000).optional(),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
    /** An activity of the program the interaction earns, awarded once under the interaction's id. */
    activity: ActivityIdSchema.optional(),
    /** The shop's own id of what was done, kept with the award. */
    reference: z.string().trim().min(1).max(200).optional(),
  })
  .refine((body) => !(body.nps !== undefined && body.csat !== undefined), { message: 'give nps or csat, not both', path: ['csat'] })
  .refine((body) => body.reference === undefined || body.activity !== undefined, {
    message: 'a reference belongs to an activity: give activity too',
    path: ['reference'],
  });

export interface InteractionDeps {
  db: Db;
  enqueue: (events: CanonicalEvent[]) => Promise<void>;
  now: () => Date;
}

export async function logInteraction(
  shop: ShopRecord,
  body: unknown,
  idempotencyKey: string | undefined,
  deps: InteractionDeps,
): Promise<{ accepted: number; eventId: string }> {
  const request = parseOrThrow(InteractionRequestSchema, body);
  const key = idempotencyKey === undefined ? randomUUID() : parseOrThrow(IdempotencyKeySchema, idempotencyKey, 'Idempotency-Key');
  if (request.customer.customerId && !(await getProfile(deps.db, shop.shopId, request.customer.customerId))) {
    throw new NotFoundError(`no customer ${request.customer.customerId}`);
  }
  const feedback = request.nps !== undefined || request.csat !== undefined;
  const { customer, occurredAt, ...interaction } = request;
  const event = CanonicalEventSchema.parse({
    // A retried call with the same Idempotency-Key lands on the same timeline entry.
    eventId: `api:${key}`,
    shopId: shop.shopId,
    type: feedback ? 'feedback.submitted' : 'interaction.logged',
    occurredAt: occurredAt ?? deps.now().toISOString(),
    source: 'api',
    customer,
    interaction,
  });
  await deps.enqueue([event]);
  return { accepted: 1, eventId: event.eventId };
}
