import * as z from 'zod';
import type { ZodOpenApiOperationObject, ZodOpenApiResponseObject, ZodOpenApiSecuritySchemeObject } from 'zod-openapi';
import type { HttpMethod } from '#functions/triggers.ts';
import { STATUS_OF } from '#shared/http/http-handler.ts';

/**
 * What every route registration of the OpenAPI document (shared/http/openapi.ts) is made of: the
 * route itself, its security, JSON bodies and answers, and the error answers of the one error table.
 */

/** One route of functions/triggers.ts and its operation, whose schemas are the ones its handler parses with. */
export interface ApiRoute {
  method: HttpMethod;
  path: string;
  operation: ZodOpenApiOperationObject;
}

/** The routes of one part of the API, shown together under `tag`; `schemas` are named as components. */
export interface ApiFamily {
  tag: { name: string; description: string };
  routes: ApiRoute[];
  schemas?: Record<string, z.ZodType>;
}

export const route = (method: HttpMethod, path: string, operation: ZodOpenApiOperationObject): ApiRoute => ({ method, path, operation });

/**
 * Compile-time drift check for an answer a use case builds without a schema: `true` only when what
 * the use case returns is a value of the documented schema, so `const _x: Describes<typeof S, T> = true`
 * stops compiling when a documented field is renamed, dropped or changes type. Not distributive, so a
 * union answer must fit whole.
 */
export type Describes<S extends z.ZodType, T> = [T] extends [z.output<S>] ? true : false;

export const securitySchemes = {
  shopApiKey: {
    type: 'http',
    scheme: 'bearer',
    description: "The shop's API key (`rk_{shopId}_{64 hex}`), shown once when the shop is created; Rapport keeps only its hash.",
  },
  adminKey: {
    type: 'http',
    scheme: 'bearer',
    description: "The deployment's admin key, from configuration (`RAPPORT_ADMIN_KEY` locally, Secrets Manager on AWS).",
  },
  rapportSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Rapport-Signature',
    description:
      '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with the shop\'s generic secret; refused outside a 5-minute window.',
  },
  shopifySignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Shopify-Hmac-Sha256',
    description: "Base64 HMAC-SHA256 of the raw body with the shop's Shopify secret.",
  },
  wooCommerceSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-WC-Webhook-Signature',
    description:
      "Base64 HMAC-SHA256 of the raw body with the shop's WooCommerce secret (the unsigned creation ping `webhook_id=<n>` excepted).",
  },
  unsubscribeToken: {
    type: 'apiKey',
    in: 'query',
    name: 'token',
    description: "The HMAC-signed token of an email's unsubscribe link (a form body may carry it instead).",
  },
  feedbackToken: {
    type: 'apiKey',
    in: 'query',
    name: 'token',
    description: "The HMAC-signed token of an email's feedback link (a form body may carry it instead).",
  },
  storefrontCustomer: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Rapport-Customer',
    description:
      'The customer the shop vouches for: `t=<unix seconds>,c=<percent-encoded external id or email>,v1=<hex HMAC-SHA256(storefront secret, "<shopId>:<c>:<t>")>`, 10 minutes; with `X-Rapport-Shop`.',
  },
  loyaltyLink: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Rapport-Link',
    description: "The signed token of an email's loyalty link (30 days), naming one customer of one shop.",
  },
} as const satisfies Record<string, ZodOpenApiSecuritySchemeObject>;

/** The security requirement of a route: one scheme; `[]` for a public route. */
export const requires = (scheme: keyof typeof securitySchemes) => [{ [scheme]: [] }];

export const jsonBody = (schema: z.ZodType, description?: string) => ({
  required: true,
  ...(description ? { description } : {}),
  content: { 'application/json': { schema } },
});

export const jsonAnswer = (description: string, schema: z.ZodType): ZodOpenApiResponseObject => ({
  description,
  content: { 'application/json': { schema } },
});

/** The error code http-handler.ts answers with for a status, from its one table. */
function codeOf(status: number): string {
  const row = STATUS_OF.find(([, statusCode]) => statusCode === status);
  if (!row) throw new Error(`http-handler.ts maps no error to ${status}`);
  return row[2];
}

/**
 * An error answer: `{"error": {"code", "message", "field"?, "fields"?}}` (http-handler.ts
 * errorResponse), `field` and `fields` on a 400 only, documented as a component named after the
 * domain error it comes from.
 */
const errorAnswer = (status: number, component: string, description: string) => ({
  component,
  description,
  schema: z.object({
    error: z.object({
      code: z.literal(codeOf(status)),
      message: z.string(),
      ...(status === 400
        ? {
            field: z.string().optional(),
            fields: z
              .array(z.object({ field: z.string(), message: z.string() }))
              .optional()
              .meta({ description: 'Every field refused, each with its own reason (`field` is the first).' }),
          }
        : {}),
    }),
  }),
});

const ERROR_ANSWERS = {
  400: errorAnswer(
    400,
    'ValidationError',
    'Invalid request: `error.field` names the first bad field (`order.total`, `[2].eventId`, `query`, `Idempotency-Key`), `error.fields` every one with its reason.',
  ),
  401: errorAnswer(401, 'UnauthorizedError', 'A missing or bad key, signature or token.'),
  404: errorAnswer(404, 'NotFoundError', 'Not found.'),
  409: errorAnswer(409, 'ConflictError', 'Conflict with the current state (see `error.message`).'),
  413: errorAnswer(413, 'PayloadTooLargeError', 'The body is over 256 KB.'),
};
export type ErrorStatus = keyof typeof ERROR_ANSWERS;

/** The error bodies, as the document's named components. */
export const errorComponents: Record<string, z.ZodType> = Object.fromEntries(
  Object.values(ERROR_ANSWERS).map(({ component, schema }) => [component, schema]),
);

/** The error answers a route can give. */
export function errors(...statuses: ErrorStatus[]): Record<string, ZodOpenApiResponseObject> {
  return Object.fromEntries(
    statuses.map((status) => [String(status), jsonAnswer(ERROR_ANSWERS[status].description, ERROR_ANSWERS[status].schema)]),
  );
}
