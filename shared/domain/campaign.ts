import * as z from 'zod';
import { SegmentIdSchema } from '#shared/analytics/segment-ids.ts';

/**
 * Campaigns: a one-off message the shop writes, to a segment or to everyone subscribed, sent at a
 * local date-time of the shop. Pure: the shapes the API takes, the moves between statuses, and the
 * shop's wall-clock time turned into an instant. The message itself is a shop-written message
 * (shared/email/shop-template.ts), checked where it is saved (use-cases/campaigns.ts).
 *
 * Statuses:  draft ──schedule──▶ scheduled ──(its time)──▶ sending ──(fan-out done)──▶ sent
 *              │                     │                       │
 *              └───────cancel────────┴─────────cancel────────┴──▶ cancelled
 * Only a draft is edited. `sent` means every customer of the audience is on the email queue; the
 * email stage then sends or skips each one at the SES rate (the results keep counting meanwhile).
 */

export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'sending', 'sent', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** The moves each action may make, from → to; anything else is a 409 naming the status. */
export const CAMPAIGN_MOVES = {
  schedule: { from: ['draft'], to: 'scheduled' },
  start: { from: ['scheduled'], to: 'sending' },
  finish: { from: ['sending'], to: 'sent' },
  cancel: { from: ['draft', 'scheduled', 'sending'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly CampaignStatus[]; to: CampaignStatus }>;

export type CampaignMove = keyof typeof CAMPAIGN_MOVES;

export const canMove = (move: CampaignMove, status: CampaignStatus) => (CAMPAIGN_MOVES[move].from as readonly string[]).includes(status);

/** `cmp_` + the creation time in base 36 (sorts by time) + 8 random hex digits. */
export const CampaignIdSchema = z.string().regex(/^cmp_[0-9a-z]{9}[0-9a-f]{8}$/, 'a campaign id such as cmp_0mi8v0k1c3f9a2b1d');

export function newCampaignId(now: Date, random: string): string {
  return `cmp_${now.getTime().toString(36).padStart(9, '0')}${random.slice(0, 8)}`;
}

/** A segment of GET /v1/segments, or every customer: the email stage sends only to the subscribed. */
export const AudienceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('segment'),
    segmentId: SegmentIdSchema,
  }),
  z.strictObject({ kind: z.literal('subscribed') }),
]);
export type Audience = z.infer<typeof AudienceSchema>;

/** A wall-clock time in the shop's zone, to the minute: `2027-02-05T09:00` (seconds allowed, no offset). */
export const LocalDateTimeSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, "a local date-time in the shop's time zone, such as 2027-02-05T09:00 (no offset)")
  .refine((value) => !Number.isNaN(Date.parse(`${value}Z`)) && new Date(`${value}Z`).toISOString().startsWith(value.slice(0, 16)), {
    message: 'not a real date and time',
  });

const fields = {
  name: z.string().trim().min(1).max(100),
  audience: AudienceSchema,
  /** The shop-written message (ShopMessageSchema), checked against CAMPAIGN_VARIABLES. */
  message: z.unknown(),
  /** A reward of the program's catalog, given as a real code to each recipient; null: none. */
  rewardId: z.string().min(1).max(64).nullable(),
  scheduledAt: LocalDateTimeSchema.nullable(),
};

export const CreateCampaignSchema = z.strictObject({
  ...fields,
  message: fields.message.refine((value) => value !== undefined, 'required'),
  rewardId: fields.rewardId.optional(),
  scheduledAt: fields.scheduledAt.optional(),
});

/** PATCH: any of the fields, and the revision read (a change planned from an older one is a 409). */
export const UpdateCampaignSchema = z
  .strictObject({
    revision: z.number().int().min(1),
    name: fields.name.optional(),
    audience: fields.audience.optional(),
    message: fields.message.optional(),
    rewardId: fields.rewardId.optional(),
    scheduledAt: fields.scheduledAt.optional(),
  })
  .refine((value) => Object.keys(value).length > 1, { message: 'nothing to change', path: ['body'] });

/**
 * The instant a wall-clock time of a time zone names. A time that a clock change skips (02:30 on a
 * spring-forward night) is read with the offset before the change, so it lands just after the gap;
 * one that happens twice (an autumn hour) is the first. Vietnam has no clock changes at all.
 */
export function zonedTimeToInstant(local: string, timeZone: string): Date {
  const asUtc = Date.parse(`${local.length === 16 ? `${local}:00` : local}Z`);
  const offsetAt = (instant: number) => {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(new Date(instant));
    const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
    const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return wall - Math.floor(instant / 1000) * 1000;
  };
  // The zone's offsets a day either side (a zone changes its clock at most once in two days): the
  // instants they give that the zone's clock really shows as `local`, the earliest; none (a gap): the
  // offset before the change.
  const before = offsetAt(asUtc - 86_400_000);
  const after = offsetAt(asUtc + 86_400_000);
  const shown = [before, after].map((offset) => asUtc - offset).filter((instant) => asUtc - offsetAt(instant) === instant);
  return new Date(shown.length > 0 ? Math.min(...shown) : asUtc - before);
}
