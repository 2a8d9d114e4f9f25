import * as z from 'zod';
import { EMAIL_TRIGGERS } from '#shared/email/render.ts';
import { SHOP_MESSAGE_FORMATS, ShopMessageSchema } from '#shared/email/shop-template.ts';
import type { TriggerEmail } from '#shared/email/trigger-email.ts';
import { type ApiFamily, type Describes, errors, jsonAnswer, jsonBody, requires, route } from '#shared/http/api-docs/parts.ts';
import {
  type EmailTemplateView,
  IfMatchSchema,
  type readEmailTemplates,
  TriggerParamSchema,
} from '#shared/use-cases/manage-email-templates.ts';
import { DraftPreviewSchema, QuerySchema as PreviewQuerySchema } from '#shared/use-cases/preview-email.ts';
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

const RenderedEmailSchema = z.object({
  subject: z.string(),
  html: z.string(),
  text: z.string(),
  locale: z.string(),
  copy: z
    .enum(['shop', 'builtin'])
    .meta({ description: "Whose words: the shop's own copy (PUT /v1/emails/templates/{trigger}), or the built-in one." }),
  fallback: z
    .enum(['no_postal_address', 'no_unsubscribe_link', 'unsafe_html', 'template_error', 'empty_subject'])
    .optional()
    .meta({ description: "Why the shop's copy could not be sent as it stands, so the built-in copy is shown (and would be sent)." }),
});
const _rendered: Describes<typeof RenderedEmailSchema, TriggerEmail> = true;

const TemplateSchema = ShopMessageSchema.safeExtend({
  format: z.enum(SHOP_MESSAGE_FORMATS),
  revision: z.number().int(),
  updatedAt: z.string(),
});
const EmailTemplateSchema = z.object({
  trigger: z.enum(EMAIL_TRIGGERS),
  marketing: z.boolean().meta({
    description: "Marketing: sent with consent only, with the unsubscribe link; the shop's copy needs its postal address (brand.address).",
  }),
  variables: z.array(z.string()).meta({ description: 'The variables this email may use, `{{ customer.first_name }}`…' }),
  revision: z.number().int().meta({
    description:
      "The saves and removals of this trigger's copy so far (0: never written): send it back as `If-Match` when saving or removing.",
  }),
  template: TemplateSchema.nullable().meta({ description: "The shop's copy; null: the built-in copy goes out." }),
});
const _template: Describes<typeof EmailTemplateSchema, EmailTemplateView> = true;
const EmailTemplatesSchema = z.object({
  templates: z.array(EmailTemplateSchema),
  variables: z.record(z.string(), z.string()).meta({ description: 'What every variable holds.' }),
  tags: z.array(z.string()).meta({ description: 'The Liquid tags a copy may use.' }),
  filters: z.array(z.string()).meta({ description: 'The Liquid filters a copy may use.' }),
});
const _templates: Describes<typeof EmailTemplatesSchema, Awaited<ReturnType<typeof readEmailTemplates>>> = true;
const TriggerPathSchema = z.object({ trigger: TriggerParamSchema });
const IfMatchHeaderSchema = z.object({
  'If-Match': IfMatchSchema.meta({
    description:
      'The trigger\'s `revision` as read (`"3"`; `"0"`: never written): the write is refused with 409 if the copy was saved or removed since. Without it (or `*`) the write goes over whatever is there.',
  }),
});
const REVISION_RULES =
  "Two people editing one email: send the trigger's `revision` as `If-Match`; a save or removal over a newer revision is refused with 409 (read again, re-apply). The answer's `ETag` is the new revision.";

const TEMPLATE_RULES =
  'A copy is `{format?: "liquid", subject: {en?, vi?}, body: {en?, vi?}}`: one language at least, each with a subject (≤ 200 characters, text) and a body (≤ 20,000 characters, HTML) in Liquid. ' +
  "Refused with 400 naming the field (`templates.win_back.body.vi: unknown variable {{ customer.password }}`, every problem listed in the message): a variable outside the trigger's list (GET /v1/emails/templates), a tag or filter outside the lists (no include, render, layout, for or raw), " +
  'unsafe HTML (script, style, iframe, object, embed, form, svg, meta, comments, `on…` attributes, links other than http(s)/mailto or a link variable, images other than https, CSS with url(), expression() or escapes, Liquid in a style or an unquoted attribute), ' +
  "and for a marketing email a shop without a postal address (`brand.address`, PATCH /v1/shop). Every `{{ }}` is HTML-escaped; the layout adds the shop's logo, colours and footer (note, postal address, loyalty page link, and for marketing the unsubscribe link and List-Unsubscribe headers) whatever the body says. " +
  'MJML is not taken: it is compiled at build time only.';

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
  schemas: { EmailLogEntry: EmailLogEntrySchema, ShopMessage: ShopMessageSchema, EmailTemplate: EmailTemplateSchema },
  routes: [
    route('GET', '/v1/emails/preview', {
      summary: 'The email a customer would get for a trigger',
      description:
        "Rendered by the email function's own code, in the customer's language — the shop's own copy when it wrote one in that language (header `x-rapport-email-copy: shop|builtin`) — with their name, tier, points, recommendations and link to their loyalty page. The trigger's own facts are examples: `reward_issued` and `reward_failed` show the catalog's first active reward with the sample code RW-PREVW-SAMPL, which is never a live one.",
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
    route('POST', '/v1/emails/preview', {
      summary: 'A copy being written, rendered for a customer',
      description: `Checked as a save checks it, then rendered for this customer in \`language\` (default: theirs; a copy without it shows the language it has), with the trigger's example facts. Nothing is saved. ${TEMPLATE_RULES}`,
      security: SHOP_KEY,
      requestBody: jsonBody(DraftPreviewSchema.extend({ message: ShopMessageSchema })),
      responses: { '200': jsonAnswer('The email as JSON.', RenderedEmailSchema), ...errors(400, 401, 404, 413) },
    }),
    route('GET', '/v1/emails/templates', {
      summary: "The trigger emails, each with the shop's own copy or null",
      description:
        'Every built-in trigger, whether it is marketing, the variables its copy may use and the copy saved; the documented variables, tags and filters.',
      security: SHOP_KEY,
      responses: { '200': jsonAnswer('The trigger emails.', EmailTemplatesSchema), ...errors(401) },
    }),
    route('PUT', '/v1/emails/templates/{trigger}', {
      summary: "Save the shop's own copy of a trigger email",
      description: `Replaces the copy saved before (a revision more). The email stage uses it for customers whose language it is written in, the built-in copy for the others; changes reach the email function within 30 s. ${REVISION_RULES} ${TEMPLATE_RULES}`,
      security: SHOP_KEY,
      requestParams: { path: TriggerPathSchema, header: IfMatchHeaderSchema },
      requestBody: jsonBody(ShopMessageSchema),
      responses: { '200': jsonAnswer('The trigger email with its copy.', EmailTemplateSchema), ...errors(400, 401, 409, 413) },
    }),
    route('DELETE', '/v1/emails/templates/{trigger}', {
      summary: 'Back to the built-in copy',
      description: `The copy is removed (a revision more: the count goes on, so an editor that read an older revision cannot save over what comes next). ${REVISION_RULES}`,
      security: SHOP_KEY,
      requestParams: { path: TriggerPathSchema, header: IfMatchHeaderSchema },
      responses: { '200': jsonAnswer('The trigger email, its copy null.', EmailTemplateSchema), ...errors(400, 401, 404, 409) },
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
        "A reward's code (`RW-XXXXX-XXXXX`, bought with points): its status, value, minimum order and expiry, read from its record; `customerId` optional, to check the holder; 404 for a code Rapport never issued. A segment offer's coupon (`RP-…`): `customerId` and `offer` required; derived, never stored, so checking one costs no read — a win-back email's offer is its key, `flow:win-back:YYYY-MM`.",
      security: SHOP_KEY,
      requestParams: { path: z.object({ code: CodeSchema }), query: CouponQuerySchema.partial().extend(RewardCodeQuerySchema.shape) },
      responses: {
        '200': jsonAnswer('The check: a reward code, or a segment offer coupon.', z.union([RewardCodeCheckSchema, CouponCheckSchema])),
        ...errors(400, 401, 404),
      },
    }),
  ],
};
