import * as z from 'zod';
import { type ApiFamily, type Describes, errors, jsonAnswer, jsonBody, requires, route } from '#shared/http/api-docs/parts.ts';
import { CreateShopSchema, type createShop } from '#shared/use-cases/create-shop.ts';
import { type listShops, ShopsQuerySchema } from '#shared/use-cases/manage-shop.ts';

/** The operator's routes, with the deployment's admin key: functions/create-shop.ts. */

export const CreatedShopSchema = z.object({
  shopId: z.string(),
  name: z.string(),
  currency: z.string(),
  timezone: z.string(),
  locale: z.string(),
  url: z.string().optional(),
  settings: z.object({ ignoreTestOrders: z.boolean() }),
  createdAt: z.string(),
  apiKey: z.string().meta({ description: "The shop's API key: shown in this answer only." }),
  generatedSecrets: z
    .object({ generic: z.string().optional() })
    .optional()
    .meta({ description: 'Signing secrets Rapport generated because none was given (the generic one): shown in this answer only.' }),
});
const _created: Describes<typeof CreatedShopSchema, Awaited<ReturnType<typeof createShop>>> = true;

const ShopListSchema = z.object({
  items: z.array(
    z.object({
      shopId: z.string(),
      name: z.string().nullable(),
      currency: z.string().nullable(),
      locale: z.string().nullable(),
      timezone: z.string(),
      url: z.string().nullable(),
      createdAt: z.string(),
      erasedAt: z.string().optional().meta({ description: "Set when the shop's erasure (shop/redact) was accepted." }),
    }),
  ),
  cursor: z.string().optional().meta({ description: 'Pass as `cursor` for the next page; absent on the last.' }),
});
const _shops: Describes<typeof ShopListSchema, Awaited<ReturnType<typeof listShops>>> = true;

export const admin: ApiFamily = {
  tag: { name: 'Admin', description: "The operator's routes, with the deployment's admin key." },
  schemas: { CreateShop: CreateShopSchema, CreatedShop: CreatedShopSchema },
  routes: [
    route('POST', '/admin/shops', {
      summary: 'Create a shop',
      description:
        "Answers the shop's API key once (the table keeps its hash). Webhook secrets are sealed; a generic secret is generated when none is given. The id of a shop erased less than 30 days ago is refused (409).",
      security: requires('adminKey'),
      requestBody: jsonBody(CreateShopSchema),
      responses: { '201': jsonAnswer('The shop, with its API key.', CreatedShopSchema), ...errors(400, 401, 409, 413) },
    }),
    route('GET', '/admin/shops', {
      summary: 'List the shops',
      description: 'By shop id, from the shop directory; names and settings from each shop record.',
      security: requires('adminKey'),
      requestParams: { query: ShopsQuerySchema },
      responses: { '200': jsonAnswer('A page of shops.', ShopListSchema), ...errors(400, 401) },
    }),
  ],
};
