import * as z from 'zod';
import type { RenderedEmail } from '#shared/email/render.ts';
import { type ApiFamily, type Describes, errors, jsonAnswer, requires, route } from '#shared/http/api-docs/parts.ts';
import { QuerySchema as PreviewQuerySchema } from '#shared/use-cases/preview-email.ts';
import { EmailLogQuerySchema, type readEmailLog } from '#shared/use-cases/read-email-log.ts';
import {
  CodeSchema,
  QuerySchema as CouponQuerySchema,
  type checkCoupon,
  type checkRewardCode,
  RewardCodeQuerySchema,
} from '#shared/use-cases/verify-coupon.ts';

/** What the emails say, what became of each, and the coupons they carry: functions/preview-email.ts, email-log.ts, verify-coupon.ts. */

const SHOP_KEY = requires('shopApiKey');

const RenderedEmailSchema = z.object({ subject: z.string(), html: z.string(), text: z.string(), locale: z.string() });
const _rendered: Describes<typeof RenderedEmailSchema, RenderedEmail> = true;

const CouponCheckSchema = z.object({
  code: z.string().meta({ description: 'The code as normalized (spaces and dashes dropped), or as given when it cannot be.' }),
  customerId: z.string(),
  offer: z.string(),
  valid: z.boolean(),
});
const _coupon: Describes<typeof CouponCheckSchema, Awaited<ReturnType<typeof checkCoupon>>> = true;

const RewardValueSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('amount_off'), amount: z.number().int() }),
  z.object({ kind: z.literal('percent_off'), percent: z.number().int(), maxAmount: z.number().int().optional() }),
  z.object({ kind: z.literal('free_shipping') }),
  z.object({ kind: z.literal('free_product'), productId: z.string() }),
]);
const RewardCodeCheckSchema = z.object({
  code: z.string().meta({ description: 'The code as issued (`RW-XXXXX-XXXXX`), whatever case and dashes it was given with.' }),
  kind: z.literal('reward'),
  valid: z.boolean().meta({ description: 'Issued, not expired, and held by `customerId` when that was given: a checkout may take it.' }),
  status: z.enum(['pending', 'issued', 'used', 'returned', 'failed', 'expired']).meta({
    description:
      '`pending`: still being created on the shop platform; `returned`: expired unused, points given back; `failed`: the platform refused it, points given back.',
  }),
  customerId: z.string(),
  rewardId: z.string(),
  value: RewardValueSchema.meta({ description: 'Amounts in minor units of `currency`.' }),
  minOrder: z.number().int().optional(),
  currency: z.string(),
  expiresAt: z.string(),
  usedOrderId: z.string().optional(),
});
const _reward: Describes<typeof RewardCodeCheckSchema, Awaited<ReturnType<typeof checkRewardCode>>> = true;

const EmailLogEntrySchema = z.object({
  at: z.string(),
  sendId: z.string().meta({ description: 'One per (customer, trigger, period): the same email is never sent twice.' }),
  customerId: z.string(),
  trigger: z.string(),
  status: EmailLogQuerySchema.shape.status.unwrap(),
  reason: z.string().optional().meta({
    description: 'Why a trigger was skipped: `no_consent`, `unsubscribed`, `frequency_cap`, `suppressed`, `no_address`, `historical`…',
  }),
  locale: z.string().optional(),
  feedbackAt: z.string().optional().meta({ description: 'When SES reported the (permanent) bounce or the complaint.' }),
});
const EmailLogPageSchema = z.object({
  items: z.array(EmailLogEntrySchema).meta({ description: 'Newest first; the last 90 days.' }),
  cursor: z.string().optional().meta({ description: 'Pass as `cursor` for more; absent when the log is read to its end.' }),
});
const _log: Describes<typeof EmailLogPageSchema, Awaited<ReturnType<typeof readEmailLog>>> = true;

export const emails: ApiFamily = {
  tag: { name: 'Emails', description: 'Every trigger email, rendered for a customer by the code that sends it; the coupons they carry.' },
  schemas: { EmailLogEntry: EmailLogEntrySchema },
  routes: [
    route('GET', '/v1/emails/preview', {
      summary: 'The email a customer would get for a trigger',
      description:
        "Rendered by the email function's own code, in the customer's language, with their name, tier, points, recommendations and link to their loyalty page. The trigger's own facts are examples: `reward_issued` and `reward_failed` show the catalog's first active reward with the sample code RW-PREVW-SAMPL, which is never a live one.",
      security: SHOP_KEY,
      requestParams: { query: PreviewQuerySchema },
      responses: {
        '200': {
          description: 'The email, as `format` asks: HTML (default), plain text, or both with the subject as JSON.',
          content: {
            'text/html': { schema: z.string() },
            'text/plain': { schema: z.string() },
            'application/json': { schema: RenderedEmailSchema },
          },
        },
        ...errors(400, 401, 404),
      },
    }),
    route('GET', '/v1/emails', {
      summary: "The shop's send log, newest first",
      description:
        'Every email sent, every trigger skipped with its reason, and sends SES reported as bounced (permanently) or complained of; the last 90 days. A filter may leave a page shorter than `limit` with a `cursor` still given: follow it until there is none.',
      security: SHOP_KEY,
      requestParams: { query: EmailLogQuerySchema },
      responses: { '200': jsonAnswer('A page of the log.', EmailLogPageSchema), ...errors(400, 401) },
    }),
    route('GET', '/v1/coupons/{code}', {
      summary: 'Whether a checkout may take a code',
      description:
        "A reward's code (`RW-XXXXX-XXXXX`, bought with points): its status, value, minimum order and expiry, read from its record; `customerId` optional, to check the holder; 404 for a code Rapport never issued. A segment offer's coupon (`RP-…`): `customerId` and `offer` required; derived, never stored, so checking one costs no read — a win-back email's offer is `win_back:YYYY-MM`.",
      security: SHOP_KEY,
      requestParams: { path: z.object({ code: CodeSchema }), query: CouponQuerySchema.partial().extend(RewardCodeQuerySchema.shape) },
      responses: {
        '200': jsonAnswer('The check: a reward code, or a segment offer coupon.', z.union([RewardCodeCheckSchema, CouponCheckSchema])),
        ...errors(400, 401, 404),
      },
    }),
  ],
};
