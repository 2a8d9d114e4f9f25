import * as z from 'zod';
import { type ApiFamily, type Describes, errors, jsonAnswer, jsonBody, route } from '#shared/http/api-docs/parts.ts';
import type { StorefrontMe, StorefrontRedeemAnswer } from '#shared/http/storefront-contract.ts';
import { RewardCostSchema, RewardLimitSchema, RewardValueSchema } from '#shared/loyalty/rewards.ts';
import { RedeemRewardSchema, RewardIdSchema } from '#shared/use-cases/redeem-reward.ts';

/**
 * The storefront API and the hosted loyalty page: functions/storefront.ts. Public routes: the shop's
 * server signs its customer (X-Rapport-Customer) or an email's link names them (X-Rapport-Link), both
 * checked inside the function; with neither, the visitor is anonymous. The answers are the types of
 * shared/http/storefront-contract.ts, which the widget is built against; the schemas below describe
 * them and the Describes checks keep the two from drifting.
 */

const headers = z.object({
  'X-Rapport-Shop': z.string().meta({ description: 'The shop id. Required.' }),
  'X-Rapport-Customer': z.string().optional().meta({
    description:
      'The logged-in customer, signed by the shop\'s server: `t=<unix seconds>,c=<percent-encoded external id or email>,v1=<hex HMAC-SHA256(storefront secret, "<shopId>:<c>:<t>")>`, at most 10 minutes old. `c` is signed as sent. An external id may be bare (`7412…`, tried as itself and as `shopify:`/`woocommerce:`) or namespaced.',
  }),
  'X-Rapport-Link': z.string().optional().meta({
    description: "The token of an email's loyalty link (`/l/{shopId}?t=…`), valid 30 days. Not together with X-Rapport-Customer.",
  }),
});
const lang = z.object({
  lang: z.enum(['vi', 'en']).optional().meta({ description: "The answer's language; default the customer's, else the shop's." }),
});

const StorefrontRewardSchema = z.object({
  id: z.string(),
  name: z.string(),
  value: RewardValueSchema,
  cost: RewardCostSchema,
  minOrder: z.int().optional(),
  tiers: z.array(z.string()).optional(),
  limit: RewardLimitSchema.optional(),
  validityDays: z.int(),
});

const StorefrontCodeSchema = z.object({
  code: z.string(),
  rewardId: z.string(),
  name: z.string(),
  value: RewardValueSchema,
  minOrder: z.int().optional(),
  points: z.int(),
  issuedAt: z.string(),
  expiresAt: z.string(),
  status: z.enum(['pending', 'issued', 'used', 'returned', 'failed']),
});

const StorefrontMeSchema = z.object({
  shop: z.object({ shopId: z.string(), name: z.string(), currency: z.string(), url: z.string().optional() }),
  language: z.enum(['vi', 'en']),
  program: z.object({
    howToEarn: z.array(z.string()).meta({ description: 'One sentence each, in `language`.' }),
    tiers: z.object({
      metric: z.enum(['spend', 'orders', 'points']),
      levels: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          threshold: z.number().optional().meta({ description: 'Absent for a level with a rule of its own (`qualifies`).' }),
          earnMultiplier: z.number(),
        }),
      ),
    }),
    rewards: z.array(StorefrontRewardSchema),
  }),
  customer: z
    .object({
      firstName: z.string().optional(),
      spendable: z.int().meta({ description: 'Points that may be spent now: balance less pending.' }),
      balance: z.int(),
      pending: z.int(),
      tier: z.object({ id: z.string(), name: z.string() }),
      nextTier: z
        .object({
          id: z.string(),
          name: z.string(),
          threshold: z.number().optional(),
          progress: z.number(),
          remaining: z.number().optional(),
        })
        .nullable()
        .meta({
          description:
            'In the tier metric’s unit; null at the top tier. For a tier with a rule of its own, `threshold` is the metric that meets it with the other figures as they are; it and `remaining` are absent when the metric alone cannot.',
        }),
      rewards: z.array(
        StorefrontRewardSchema.extend({
          available: z.boolean(),
          reason: z.string().optional().meta({ description: 'Why not, in `language`.' }),
        }),
      ),
      codes: z.array(StorefrontCodeSchema).meta({ description: 'Newest first, at most 20.' }),
      history: z
        .array(
          z.object({
            at: z.string(),
            kind: z.enum(['earn', 'clawback', 'bonus', 'redeem', 'adjust', 'expire', 'return', 'activity', 'referral']),
            points: z.int(),
            description: z.string(),
          }),
        )
        .meta({ description: 'The newest 20 ledger entries.' }),
      referral: z
        .object({
          code: z.string(),
          url: z.string().optional().meta({ description: 'The link `/r/{code}` to give friends.' }),
          offer: z.string().meta({ description: 'What a friend gets and what the customer gets, in `language`.' }),
        })
        .optional()
        .meta({ description: "The customer's referral code and link; absent when the program has referrals off." }),
    })
    .nullable()
    .meta({
      description:
        'null for an anonymous visitor. A signed-in customer Rapport has not seen yet has 0 points, the first tier and no reward available.',
    }),
});
const _me: Describes<typeof StorefrontMeSchema, StorefrontMe> = true;

const StorefrontRedeemAnswerSchema = z.object({ code: StorefrontCodeSchema, spendable: z.int(), balance: z.int() });
const _redeem: Describes<typeof StorefrontRedeemAnswerSchema, StorefrontRedeemAnswer> = true;

export const storefront: ApiFamily = {
  tag: {
    name: 'Storefront',
    description:
      "The loyalty program as the shop's customers see it, for the widget on the shop's pages (any origin may call it: no cookies) and the hosted loyalty page.",
  },
  schemas: { StorefrontMe: StorefrontMeSchema, StorefrontRedeemAnswer: StorefrontRedeemAnswerSchema },
  routes: [
    route('GET', '/v1/storefront/me', {
      summary: 'The program, and the signed-in customer’s points, tier, rewards, codes and history',
      description:
        'Anonymous (neither header): the program only, `customer: null`. A bad or expired signature or link is a 401 naming its header.',
      security: [{ storefrontCustomer: [] }, { loyaltyLink: [] }, {}],
      requestParams: { header: headers, query: lang },
      responses: { '200': jsonAnswer('The storefront view.', StorefrontMeSchema), ...errors(400, 401, 404) },
    }),
    route('POST', '/v1/storefront/me/rewards/{rewardId}/redeem', {
      summary: 'Redeem a reward as the signed-in customer',
      description:
        'The same redemption as the shop API’s (points, tier, limit, one code per `Idempotency-Key`, whose repeat answers the first code). 401 for an anonymous visitor; 409 when the points, the tier or the limit say no, or Rapport has not seen the customer yet.',
      security: [{ storefrontCustomer: [] }, { loyaltyLink: [] }],
      requestParams: {
        header: headers.extend({ 'Idempotency-Key': z.string().meta({ description: '8–96 letters, digits, . _ : -' }) }),
        path: z.object({ rewardId: RewardIdSchema }),
        query: lang,
      },
      requestBody: jsonBody(RedeemRewardSchema, 'Empty, or `{steps}` for a reward bought by the step.'),
      responses: { '201': jsonAnswer('The code, and the points left.', StorefrontRedeemAnswerSchema), ...errors(400, 401, 404, 409, 413) },
    }),
    route('GET', '/l/{shopId}', {
      summary: 'The hosted loyalty page',
      description:
        'Where the loyalty link of every email lands: the widget in page mode with the link’s token. An expired or foreign token still shows the page, anonymous, saying so. The widget script comes from RAPPORT_WIDGET_URL, else `/widget/rapport-loyalty.js` of the API.',
      security: [],
      requestParams: {
        path: z.object({ shopId: z.string() }),
        query: lang.extend({ t: z.string().max(2048).optional().meta({ description: 'The signed token of the link.' }) }),
      },
      responses: { '200': { description: 'The page.', content: { 'text/html': { schema: z.string() } } }, ...errors(400, 404) },
    }),
  ],
};
