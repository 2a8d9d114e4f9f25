import * as z from 'zod';
import { type ApiFamily, type Describes, errors, jsonAnswer, jsonBody, requires, route } from '#shared/http/api-docs/parts.ts';
import { CreateShopSchema, type createShop } from '#shared/use-cases/create-shop.ts';

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
  ],
};
