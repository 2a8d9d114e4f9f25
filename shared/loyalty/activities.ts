import * as z from 'zod';
import { LocalizedText } from '#shared/loyalty/rewards.ts';

/**
 * Earning rules beyond purchases: points for what a customer does for the shop (signs up, writes a
 * review, answers a survey, follows it, gives a birthday, or anything the shop names `custom:…`),
 * awarded by the shop's systems with POST /v1/customers/{customerId}/activities. Part of the program
 * document: validated, versioned and diffed with it.
 */

const TierId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, up to 40 characters');

export const BUILT_IN_ACTIVITIES = ['signup', 'review', 'survey', 'social_follow', 'birthday_set'] as const;

/** A built-in activity, or the shop's own as `custom:<name>`. */
export const ActivityIdSchema = z.union([z.enum(BUILT_IN_ACTIVITIES), z.string().regex(/^custom:[a-z0-9][a-z0-9-]{0,39}$/)], {
  error: `one of ${BUILT_IN_ACTIVITIES.join(', ')}, or custom:<name> (lower-case letters, digits and dashes, up to 40 characters)`,
});

export const ActivityLimitSchema = z.strictObject({
  /** At most this many awards of the activity per customer… */
  count: z.number().int().min(1).max(1000),
  /** …ever, or per calendar day, month or year (in the shop's time zone). */
  per: z.enum(['ever', 'day', 'month', 'year']),
});

export const ActivitySchema = z.strictObject({
  activity: ActivityIdSchema,
  points: z.number().int().min(1).max(1_000_000),
  /** Absent: no limit (every award with a new Idempotency-Key earns). */
  limit: ActivityLimitSchema.optional(),
  /** Only customers in these tiers earn it; absent: every tier. */
  tiers: z.array(TierId).min(1).max(10).optional(),
  /** An activity taken out of the program stays in the document but earns nothing. */
  active: z.boolean().default(true),
  /** What the customer sees in their history; absent: a built-in wording, or the custom name. */
  name: LocalizedText.optional(),
});

export type Activity = z.infer<typeof ActivitySchema>;
export type ActivityLimit = z.infer<typeof ActivityLimitSchema>;

export const MAX_ACTIVITIES = 30;

/** A new shop's activities: a welcome for signing up, a few reviews a month, a birthday given once. */
export function defaultActivities(): Activity[] {
  return [
    { activity: 'signup', points: 50, limit: { count: 1, per: 'ever' }, active: true },
    { activity: 'review', points: 20, limit: { count: 5, per: 'month' }, active: true },
    { activity: 'birthday_set', points: 20, limit: { count: 1, per: 'ever' }, active: true },
  ];
}
