import * as z from 'zod';
import {
  AudienceSchema,
  CAMPAIGN_STATUSES,
  CampaignIdSchema,
  CreateCampaignSchema,
  UpdateCampaignSchema,
} from '#shared/domain/campaign.ts';
import { ShopMessageSchema } from '#shared/email/shop-template.ts';
import { type ApiFamily, type Describes, errors, jsonAnswer, jsonBody, requires, route } from '#shared/http/api-docs/parts.ts';
import {
  type campaignView,
  ListQuerySchema,
  type listCampaigns,
  PreviewSchema,
  type previewCampaign,
  ScheduleSchema,
  TestSendSchema,
  type testCampaign,
} from '#shared/use-cases/campaigns.ts';

/** One-off messages to a segment or everyone subscribed: functions/campaigns.ts (sent by send-campaign.ts and the email stage). */

const SHOP_KEY = requires('shopApiKey');
const PathSchema = z.object({ campaignId: CampaignIdSchema });

const CampaignSchema = z.object({
  campaignId: z.string(),
  name: z.string(),
  status: z.enum(CAMPAIGN_STATUSES).meta({
    description:
      'draft → scheduled → sending (its customers going onto the email queue) → sent (all of them queued; results keep counting while the email stage sends at the SES rate); cancelled from draft, scheduled or sending.',
  }),
  audience: AudienceSchema,
  message: ShopMessageSchema.optional().meta({ description: 'The message (not in the list).' }),
  rewardId: z.string().nullable(),
  scheduledAt: z.string().nullable().meta({ description: "The local date-time asked for, in `timezone` (the shop's)." }),
  timezone: z.string(),
  sendAt: z.string().nullable().meta({ description: 'The instant it starts (UTC), set when it is scheduled.' }),
  revision: z.number().int().meta({ description: 'Send it back with a PATCH: a change planned from an older revision is a 409.' }),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  cancelledAt: z.string().nullable(),
  progress: z.object({
    parts: z.number().int().meta({ description: 'Parts of the audience read side by side: 1 for a segment, 16 for everyone.' }),
    partsDone: z.number().int(),
    queued: z.number().int().meta({ description: 'Customers put on the email queue so far.' }),
  }),
  results: z.object({
    sent: z.number().int(),
    skipped: z.record(z.string(), z.number().int()).meta({
      description:
        'Customers not written to, by reason: `no_consent`, `unsubscribed`, `suppressed`, `frequency_cap` (the weekly cap: campaigns obey and count toward it), `no_address`, `erased`, `campaign_cancelled`, `reward_unavailable`, `not_sendable_no_postal_address`…',
    }),
    skippedTotal: z.number().int(),
    bounced: z.number().int().meta({ description: 'Permanent bounces SES reported for its emails.' }),
    complained: z.number().int(),
    unsubscribed: z.number().int().meta({ description: 'Recipients who unsubscribed through its email.' }),
    codesUsed: z.number().int().meta({ description: "Orders that carried one of its reward's codes (each code is single-use)." }),
    attributedRevenue: z.object({ amount: z.number().int(), currency: z.string() }).meta({
      description:
        'Attribution rule: the net of the paid orders that carried one of its codes. A campaign without a reward attributes none.',
    }),
  }),
});
const _campaign: Describes<typeof CampaignSchema, ReturnType<typeof campaignView>> = true;
const CampaignPageSchema = z.object({
  items: z.array(CampaignSchema),
  cursor: z.string().optional().meta({ description: 'Pass as `cursor` for the next page; absent at the end.' }),
});
const _page: Describes<typeof CampaignPageSchema, Awaited<ReturnType<typeof listCampaigns>>> = true;
const RenderedSchema = z.object({ subject: z.string(), html: z.string(), text: z.string(), locale: z.string() });
const _preview: Describes<typeof RenderedSchema, Awaited<ReturnType<typeof previewCampaign>>> = true;
const TestSentSchema = z.object({ sent: z.literal(true), messageId: z.string(), subject: z.string(), locale: z.string() });
const _test: Describes<typeof TestSentSchema, Awaited<ReturnType<typeof testCampaign>>> = true;

const MESSAGE_RULES =
  'The message is a shop-written message (as PUT /v1/emails/templates/{trigger} takes one) with the campaign variables: the customer, shop and links, and `reward.code`, `reward.name`, `reward.value`, `reward.expires_on` when it gives a reward. Marketing: the shop needs its postal address (`brand.address`). Refused with 400 naming the field: `message.body.vi: unknown variable {{ customer.password }}`, `audience.segmentId`, `rewardId`, `scheduledAt`.';

export const campaigns: ApiFamily = {
  tag: {
    name: 'Campaigns',
    description:
      'A one-off message to a segment or to everyone subscribed, at a local time of the shop, with an optional reward: each customer gets it at most once, through the email stage (consent, suppression, the weekly cap), at the SES rate.',
  },
  schemas: { Campaign: CampaignSchema },
  routes: [
    route('GET', '/v1/campaigns', {
      summary: "The shop's campaigns, newest first",
      security: SHOP_KEY,
      requestParams: { query: ListQuerySchema },
      responses: { '200': jsonAnswer('A page of campaigns (without their messages).', CampaignPageSchema), ...errors(400, 401) },
    }),
    route('POST', '/v1/campaigns', {
      summary: 'A new draft',
      description: `\`scheduledAt\` is a local date-time of the shop's time zone (\`2027-02-05T09:00\`). ${MESSAGE_RULES}`,
      security: SHOP_KEY,
      requestBody: jsonBody(CreateCampaignSchema.extend({ message: ShopMessageSchema })),
      responses: { '201': jsonAnswer('The draft.', CampaignSchema), ...errors(400, 401, 413) },
    }),
    route('GET', '/v1/campaigns/{campaignId}', {
      summary: 'A campaign with its progress and results',
      security: SHOP_KEY,
      requestParams: { path: PathSchema },
      responses: { '200': jsonAnswer('The campaign.', CampaignSchema), ...errors(400, 401, 404) },
    }),
    route('PATCH', '/v1/campaigns/{campaignId}', {
      summary: 'Change a draft',
      description: `Any of the fields, with the \`revision\` read: 409 when the campaign changed meanwhile or is no longer a draft. \`null\` removes the reward or the time. ${MESSAGE_RULES}`,
      security: SHOP_KEY,
      requestParams: { path: PathSchema },
      requestBody: jsonBody(UpdateCampaignSchema.safeExtend({ message: ShopMessageSchema.optional() })),
      responses: { '200': jsonAnswer('The draft.', CampaignSchema), ...errors(400, 401, 404, 409, 413) },
    }),
    route('POST', '/v1/campaigns/{campaignId}/preview', {
      summary: 'The email a customer would get',
      description:
        "Rendered by the email stage's code for this customer, in `language` (default: theirs), with a sample code (RW-PREVW-SAMPL, never a live one) for the reward; `message` previews a change not saved yet.",
      security: SHOP_KEY,
      requestParams: { path: PathSchema },
      requestBody: jsonBody(PreviewSchema.extend({ message: ShopMessageSchema.optional() })),
      responses: { '200': jsonAnswer('The email.', RenderedSchema), ...errors(400, 401, 404, 413) },
    }),
    route('POST', '/v1/campaigns/{campaignId}/test', {
      summary: 'Send it once to a test address',
      description:
        'As the customer would get it, to `email`, the subject marked [Test]: not recorded, not counted, not capped; its unsubscribe link is inert.',
      security: SHOP_KEY,
      requestParams: { path: PathSchema },
      requestBody: jsonBody(TestSendSchema.extend({ message: ShopMessageSchema.optional() })),
      responses: { '202': jsonAnswer('Accepted by SES.', TestSentSchema), ...errors(400, 401, 404, 413) },
    }),
    route('POST', '/v1/campaigns/{campaignId}/schedule', {
      summary: 'Schedule a draft',
      description:
        'At its `scheduledAt` in the shop\'s time zone (read as the zone is now), or at once with `{"now": true}`. 400 when the time is past or unset, or the audience\'s segment or the reward left the program; 409 when it is not a draft.',
      security: SHOP_KEY,
      requestParams: { path: PathSchema },
      requestBody: { required: false, content: { 'application/json': { schema: ScheduleSchema } } },
      responses: { '200': jsonAnswer('The scheduled campaign.', CampaignSchema), ...errors(400, 401, 404, 409) },
    }),
    route('POST', '/v1/campaigns/{campaignId}/cancel', {
      summary: 'Cancel a draft, scheduled or sending campaign',
      description:
        'Nothing more is queued; emails already on the queue are skipped (`campaign_cancelled`) within seconds. 409 when sent or cancelled already.',
      security: SHOP_KEY,
      requestParams: { path: PathSchema },
      requestBody: { required: false, content: { 'application/json': { schema: z.object({}).meta({ description: 'Nothing.' }) } } },
      responses: { '200': jsonAnswer('The cancelled campaign.', CampaignSchema), ...errors(400, 401, 404, 409) },
    }),
  ],
};
