import * as z from 'zod';
import { ReferralCodeSchema } from '#shared/domain/referral-code.ts';
import { type ApiFamily, type Describes, errors, jsonAnswer, requires, route } from '#shared/http/api-docs/parts.ts';
import { ReferralsQuerySchema, type readReferrals } from '#shared/use-cases/referrals.ts';

/** Referrals: functions/list-referrals.ts (shared/use-cases/referrals.ts). */

const SHOP_KEY = requires('shopApiKey');

const MoneySchema = z.object({ amount: z.int(), currency: z.string() });
const PersonSchema = z.object({ customerId: z.string(), name: z.string().nullable() });
const GivenRewardSchema = z
  .union([z.object({ points: z.int() }), z.object({ rewardId: z.string(), code: z.string() })])
  .meta({ description: 'Points, or the code of a catalog reward given.' });
const ReasonSchema = z.enum(['self', 'not_first_order', 'cap', 'cancelled', 'refunded', 'inactive']);

const ReferralSchema = z.object({
  friend: PersonSchema,
  referrer: PersonSchema,
  code: z.string().meta({ description: "The referrer's code the order carried." }),
  via: z
    .enum(['link', 'discount_code'])
    .meta({ description: "How: the `ref` a referral link left on the order's landing page, or a discount code." }),
  orderId: z.string(),
  orderAt: z.string().meta({ description: "The friend's order's creation: the approval period counts from it." }),
  revenue: MoneySchema.meta({ description: "The order's net of refunds when last decided: the revenue referred." }),
  status: z.enum(['attributed', 'approved', 'rejected']).meta({
    description:
      '`attributed`: the friend rewarded, the referrer waiting for the approval date; `approved`: the referrer rewarded; `rejected`: see `reason`.',
  }),
  reason: ReasonSchema.optional().meta({
    description:
      '`self` (same customer, email, phone or shipping address as the referrer), `not_first_order`, `cap` (the referrer’s monthly cap), `cancelled`, `refunded` (even in part, before the approval date), `inactive` (referrals turned off).',
  }),
  dueAt: z.string().optional().meta({ description: 'When the scheduled run decides the referrer’s reward (attributed only).' }),
  decidedAt: z.string().optional(),
  friendReward: GivenRewardSchema.optional(),
  referrerReward: GivenRewardSchema.optional(),
});

const ReferrerSummarySchema = z.object({
  customerId: z.string(),
  name: z.string().nullable(),
  friends: z.int(),
  attributed: z.int(),
  approved: z.int(),
  rejected: z.int(),
  revenue: MoneySchema.meta({ description: 'Revenue of the friends not rejected.' }),
});

const ReferralsPageSchema = z.object({
  items: z.array(ReferralSchema).meta({ description: 'Newest order first.' }),
  referrers: z.array(ReferrerSummarySchema).meta({ description: "This page's referrers, each with their friends on it." }),
  cursor: z.string().optional().meta({ description: 'Pass as `cursor` for the next page; absent on the last.' }),
});
const _page: Describes<typeof ReferralsPageSchema, Awaited<ReturnType<typeof readReferrals>>> = true;

export const referrals: ApiFamily = {
  tag: {
    name: 'Referrals',
    description:
      "Customers bringing friends: each customer's code and link `/r/{code}`, the friend's first order carrying it, the referrer rewarded after the approval period.",
  },
  schemas: { Referral: ReferralSchema },
  routes: [
    route('GET', '/v1/referrals', {
      summary: "The shop's referrals, or one referrer's friends",
      description:
        "Newest first, `limit` (≤ 100) a page: each friend's one referral — who referred them, the order, its revenue, the status and why, and what each side got. With `referrer`, that customer's friends only. `referrers` sums the page by referrer.",
      security: SHOP_KEY,
      requestParams: { query: ReferralsQuerySchema },
      responses: { '200': jsonAnswer('A page of referrals.', ReferralsPageSchema), ...errors(400, 401) },
    }),
    route('GET', '/r/{code}', {
      summary: "A customer's referral link",
      description:
        "Public, given to friends (the storefront and the emails show it). Sends the friend to the shop's URL (PATCH /v1/shop `url`) with `ref={code}` added: the order placed in that visit carries it (Shopify's `landing_site`, WooCommerce's order attribution), and the friend's first such order is attributed. A shop without a URL gets a page showing the code, to type at checkout as a discount code.",
      security: [],
      requestParams: { path: z.object({ code: ReferralCodeSchema }) },
      responses: {
        '302': {
          description: "To the shop's URL with `ref={code}` (Location); the body is empty.",
          headers: z.object({ location: z.string() }),
          content: { 'text/plain': { schema: z.literal('') } },
        },
        '200': { description: 'A page showing the code (the shop gave no URL).', content: { 'text/html': { schema: z.string() } } },
        ...errors(400, 404),
      },
    }),
  ],
};
