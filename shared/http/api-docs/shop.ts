import * as z from 'zod';
import { BrandSchema } from '#shared/email/shop-template.ts';
import { type ApiFamily, type Describes, errors, jsonAnswer, jsonBody, requires, route } from '#shared/http/api-docs/parts.ts';
import {
  ActivityQuerySchema,
  type readShopActivity,
  type rotateApiKey,
  type ShopView,
  UpdateShopSchema,
} from '#shared/use-cases/manage-shop.ts';

/** The shop as its owner manages it with the shop's API key: functions/shop.ts, rotate-api-key.ts. */

const SHOP_KEY = requires('shopApiKey');
const perSource = <T extends z.ZodType>(schema: T) => z.object({ shopify: schema, woocommerce: schema, generic: schema });

export const ShopSchema = z.object({
  shopId: z.string(),
  name: z.string(),
  url: z.string().nullable().meta({ description: 'The storefront (the emails link there).' }),
  currency: z.string().meta({ description: 'ISO 4217; fixed when the shop is created.' }),
  locale: z.string(),
  timezone: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  settings: z.object({ ignoreTestOrders: z.boolean() }),
  brand: BrandSchema.nullable().meta({
    description: 'The look and postal address of the emails the shop writes (PUT /v1/emails/templates/{trigger}); null until set.',
  }),
  secrets: perSource(z.boolean())
    .extend({
      storefront: z.boolean().meta({ description: "The storefront secret, which signs the shop's customers (X-Rapport-Customer)." }),
    })
    .meta({ description: 'Which webhook secrets and whether the storefront secret are set; their values are never shown.' }),
  previousSecretsValidUntil: perSource(z.string())
    .extend({ storefront: z.string() })
    .partial()
    .meta({ description: 'Secrets replaced less than 24 hours ago still verify deliveries (or storefront signatures) until then.' }),
  webhooks: perSource(z.string()).meta({ description: 'The URL to give each platform for its webhooks.' }),
  shopify: z.object({ domain: z.string() }).nullable().meta({
    description: 'The Shopify Admin API credentials given (reward codes as Shopify discounts): the domain only, never the token.',
  }),
  woocommerce: z
    .object({ url: z.string() })
    .nullable()
    .meta({ description: 'The WooCommerce REST API credentials given (reward codes as coupons): the site only, never the keys.' }),
});
const _shop: Describes<typeof ShopSchema, ShopView> = true;

const NewApiKeySchema = z.object({
  apiKey: z.string().meta({ description: 'Shown in this answer only; every earlier key is refused from now on.' }),
  keyId: z.string().meta({ description: "The first 12 hex digits of the key's SHA-256, as the activity names it." }),
  createdAt: z.string(),
});
const _key: Describes<typeof NewApiKeySchema, Awaited<ReturnType<typeof rotateApiKey>>> = true;

const ShopActivityEntrySchema = z.object({
  at: z.string(),
  entryId: z.string(),
  action: z.enum(['shop.updated', 'apiKey.rotated', 'points.adjusted', 'program.updated']),
  by: z.string().meta({ description: 'Which API key acted: the first 12 hex digits of its SHA-256.' }),
  changes: z
    .array(
      z.object({
        field: z.string(),
        from: z.unknown().optional(),
        to: z.unknown().optional(),
        change: z
          .enum(['set', 'replaced'])
          .optional()
          .meta({ description: 'For a secret or platform credentials, whose values are never kept (removed ones: `to: null`).' }),
      }),
    )
    .optional(),
  customerId: z.string().optional(),
  points: z.int().optional(),
  version: z.int().optional().meta({
    description:
      'program.updated: the version saved; `changes` name the fields as the program diff does (`activities[survey].points`, `bonuses[tet-week]`), added ones with `to` only, removed ones with `from` only.',
  }),
  more: z.int().optional().meta({ description: 'program.updated: changes beyond the first 50, counted, not listed.' }),
});
const ShopActivityPageSchema = z.object({
  items: z.array(ShopActivityEntrySchema).meta({ description: 'Newest first; kept a year.' }),
  cursor: z.string().optional().meta({ description: 'Pass as `cursor` for the next page; absent on the last.' }),
});
const _activity: Describes<typeof ShopActivityPageSchema, Awaited<ReturnType<typeof readShopActivity>>> = true;

export const shop: ApiFamily = {
  tag: {
    name: 'Shop',
    description:
      "The shop's settings, webhook and storefront secrets, platform credentials, webhook URLs, API key, and the activity of its changes.",
  },
  schemas: { Shop: ShopSchema, UpdateShop: UpdateShopSchema, ShopActivityEntry: ShopActivityEntrySchema },
  routes: [
    route('GET', '/v1/shop', {
      summary: 'The shop',
      description: 'Settings, which webhook secrets are set (never their values) and the webhook URL of each platform.',
      security: SHOP_KEY,
      responses: { '200': jsonAnswer('The shop.', ShopSchema), ...errors(401) },
    }),
    route('PATCH', '/v1/shop', {
      summary: 'Change the shop',
      description:
        'Only the fields given change. A webhook secret given replaces the one set; the replaced one still verifies deliveries for 24 hours. ' +
        "`secrets.storefront` (at least 32 characters) is the secret the shop's server signs its logged-in customers with for the storefront API; a replaced one also stays valid 24 hours. " +
        '`shopify: {domain, adminAccessToken}` and `woocommerce: {url, consumerKey, consumerSecret}` let Rapport create reward codes on the platform; they are stored sealed and never shown, and `null` removes them. ' +
        '`brand: {logoUrl?, primaryColor?, backgroundColor?, address?, footer?: {en?, vi?}}` replaces the look of the emails the shop writes (`null` removes it); `address` is the postal address their footer shows, which a marketing email the shop writes cannot go without. ' +
        '`currency` cannot be changed (400).',
      security: SHOP_KEY,
      requestBody: jsonBody(UpdateShopSchema),
      responses: { '200': jsonAnswer('The shop after the change.', ShopSchema), ...errors(400, 401, 413) },
    }),
    route('POST', '/v1/shop/api-keys', {
      summary: 'Replace the API key',
      description: 'The new key is shown once; the key that asked, and any earlier one, is refused from this answer on.',
      security: SHOP_KEY,
      responses: { '201': jsonAnswer('The new key.', NewApiKeySchema), ...errors(401) },
    }),
    route('GET', '/v1/shop/activity', {
      summary: "The shop's activity, newest first",
      description:
        'Every change made with the shop API: settings, secrets (set or replaced, never their values), key rotations, points adjustments.',
      security: SHOP_KEY,
      requestParams: { query: ActivityQuerySchema },
      responses: { '200': jsonAnswer('A page of entries.', ShopActivityPageSchema), ...errors(400, 401) },
    }),
  ],
};
