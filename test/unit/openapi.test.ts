import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSchema } from 'zod-openapi';
import { functions } from '#functions/triggers.ts';
import { STATUS_OF } from '#shared/http/http-handler.ts';
import { openApiDocument, openApiJson } from '#shared/http/openapi.ts';
import { CustomerListQuerySchema } from '#shared/use-cases/list-customers.ts';
import { LookupSchema } from '#shared/use-cases/read-customers.ts';
import { RedemptionSchema } from '#shared/use-cases/redeem-points.ts';

/**
 * GET /openapi.json's document: valid OpenAPI 3.1, and a description of every route of the trigger
 * table, no more, with the schemas of what each route takes and answers. What a route takes is read
 * from its handler's source: a handler that reads the body documents one, one that reads the query
 * string documents its parameters, and neither documents what its handler never reads.
 */

// biome-ignore lint/suspicious/noExplicitAny: the document is JSON checked by the assertions below.
type Json = Record<string, any>;

let doc: Json;
beforeAll(() => {
  doc = openApiDocument() as Json;
});

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

const routes = functions.flatMap((fn) => (fn.routes ?? []).map((route) => ({ ...route, fn, key: `${route.method} ${route.path}` })));
const sourceOf = (entry: string) => readFileSync(new URL(`../../${entry}`, import.meta.url), 'utf8');

const operationOf = (method: string, path: string): Json | undefined => doc.paths?.[path]?.[method.toLowerCase()];

/** The route's operation; a route of the trigger table that none describes fails here, saying where to add it. */
function documented(route: { method: string; path: string; key: string }): Json {
  const operation = operationOf(route.method, route.path);
  expect(operation, `${route.key}: register it in shared/http/api-docs/ (shared/http/openapi.ts says how)`).toBeDefined();
  return operation as Json;
}

/** A schema with its `$ref` (to a component) followed. */
function resolved(schema: Json): Json {
  const ref = schema.$ref as string | undefined;
  if (!ref) return schema;
  const name = ref.replace('#/components/schemas/', '');
  const target = doc.components?.schemas?.[name];
  if (!target) throw new Error(`${ref} names no component`);
  return resolved(target);
}

function mediaSchemas(content: Json | undefined): Json[] {
  return Object.values(content ?? {}).map((media: Json) => media.schema);
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1, every $ref resolving', async () => {
    const validator = new Validator();
    // The validator resolves $refs in place: it gets a copy.
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(doc.openapi).toBe('3.1.0');
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('is what GET /openapi.json serves, generated once', () => {
    expect(JSON.parse(openApiJson())).toEqual(doc);
    expect(openApiJson()).toBe(openApiJson());
  });

  it('documents every route of functions/triggers.ts, and no other', () => {
    const documented = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
      METHODS.filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map((route) => route.key).sort());
  });

  it.each(routes.map((route) => [route.key, route] as const))('%s: its answers have schemas', (_, route) => {
    const operation = documented(route);
    const responses = Object.entries(operation.responses as Json);
    expect(
      responses.some(([status]) => status.startsWith('2')),
      'a success answer',
    ).toBe(true);
    for (const [status, response] of responses) {
      const schemas = mediaSchemas(response.content);
      expect(schemas.length, `${status} has content`).toBeGreaterThan(0);
      for (const schema of schemas) expect(schema, `${status} has a schema`).toBeTypeOf('object');
    }
  });

  it.each(routes.map((route) => [route.key, route] as const))('%s: takes what its handler reads, each with a schema', (_, route) => {
    const operation = documented(route);
    const source = sourceOf(route.fn.entry);
    const parameters = (operation.parameters ?? []) as Json[];
    for (const parameter of parameters) expect(parameter.schema, `${parameter.in} ${parameter.name}`).toBeTypeOf('object');

    const inPath = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    expect(parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(inPath);
    for (const parameter of parameters.filter((p) => p.in === 'path')) expect(parameter.required).toBe(true);

    // A function whose handler reads the body documents one on each route with a body method...
    const readsBody = source.includes('rawBody(');
    const bodyMethod = ['POST', 'PUT', 'PATCH'].includes(route.method);
    if (readsBody && bodyMethod) {
      const schemas = mediaSchemas(operation.requestBody?.content);
      expect(schemas.length, 'a request body with content').toBeGreaterThan(0);
      for (const schema of schemas) expect(schema).toBeTypeOf('object');
    } else {
      // ...and a route that takes none documents none (POST /v1/runs, every GET).
      expect(operation.requestBody).toBeUndefined();
    }

    // A function that never reads the query string documents no query parameter on any route.
    if (!source.includes('queryStringParameters')) expect(parameters.filter((p) => p.in === 'query')).toEqual([]);
  });

  it('documents the query of every function that reads one, on at least one of its routes', () => {
    for (const fn of functions.filter((f) => f.routes?.length && sourceOf(f.entry).includes('queryStringParameters'))) {
      const queried = (fn.routes ?? []).some((route) =>
        ((operationOf(route.method, route.path)?.parameters ?? []) as Json[]).some((p) => p.in === 'query'),
      );
      expect(queried, fn.name).toBe(true);
    }
  });

  it('says how every route authenticates, with schemes it defines', () => {
    const schemes = doc.components.securitySchemes as Json;
    expect(Object.keys(schemes).sort()).toEqual(
      [
        'adminKey',
        'feedbackToken',
        'loyaltyLink',
        'rapportSignature',
        'shopApiKey',
        'shopifySignature',
        'storefrontCustomer',
        'unsubscribeToken',
        'wooCommerceSignature',
      ].sort(),
    );
    expect(schemes.shopApiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.adminKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.rapportSignature).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Rapport-Signature' });
    expect(schemes.shopifySignature).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Shopify-Hmac-Sha256' });
    expect(schemes.wooCommerceSignature).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-WC-Webhook-Signature' });
    expect(schemes.unsubscribeToken).toMatchObject({ type: 'apiKey', in: 'query', name: 'token' });
    expect(schemes.storefrontCustomer).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Rapport-Customer' });
    expect(schemes.loyaltyLink).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Rapport-Link' });

    const expected = (path: string) =>
      path.startsWith('/v1/')
        ? 'shopApiKey'
        : path.startsWith('/admin/')
          ? 'adminKey'
          : path.startsWith('/webhooks/generic/')
            ? 'rapportSignature'
            : path.startsWith('/webhooks/shopify/')
              ? 'shopifySignature'
              : path.startsWith('/webhooks/woocommerce/')
                ? 'wooCommerceSignature'
                : path === '/unsubscribe'
                  ? 'unsubscribeToken'
                  : path === '/feedback'
                    ? 'feedbackToken'
                    : undefined;
    for (const route of routes) {
      const security = operationOf(route.method, route.path)?.security as Json[] | undefined;
      expect(security, `${route.key} states its security`).toBeDefined();
      // The storefront: a customer the shop signs, or an email's link; reading the program needs neither.
      if (route.path.startsWith('/v1/storefront/')) {
        const signedIn = [{ storefrontCustomer: [] }, { loyaltyLink: [] }];
        expect(security, route.key).toEqual(route.method === 'GET' ? [...signedIn, {}] : signedIn);
        continue;
      }
      const scheme = expected(route.path);
      expect(security, route.key).toEqual(scheme ? [{ [scheme]: [] }] : []);
    }
  });

  it('answers errors in the one error shape, with the code http-handler.ts gives each status', () => {
    const codeOf = new Map(STATUS_OF.map(([, status, code]) => [String(status), code]));
    let checked = 0;
    for (const route of routes) {
      for (const [status, response] of Object.entries(operationOf(route.method, route.path)?.responses as Json)) {
        if (!status.startsWith('4')) continue;
        const schema = resolved(mediaSchemas(response.content)[0] as Json);
        expect(schema.required).toEqual(['error']);
        const error = schema.properties.error;
        expect(error.required).toEqual(['code', 'message']);
        expect(error.properties.code.const, `${route.key} ${status}`).toBe(codeOf.get(status));
        expect(Object.keys(error.properties).sort()).toEqual(
          status === '400' ? ['code', 'field', 'fields', 'message'] : ['code', 'message'],
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(routes.length);
    // Every route that takes a body or a query can be refused with a 400 naming the field.
    for (const route of routes) {
      const operation = operationOf(route.method, route.path)!;
      const takesInput = operation.requestBody || (operation.parameters ?? []).some((p: Json) => p.in !== 'header');
      if (takesInput && route.fn.name !== 'apiDocs') expect(Object.keys(operation.responses), route.key).toContain('400');
    }
  });

  it('is built from the very schemas the handlers parse with', () => {
    const redemption = operationOf('POST', '/v1/customers/{customerId}/redemptions')!;
    expect(redemption.requestBody.content['application/json'].schema).toEqual(createSchema(RedemptionSchema, { io: 'input' }).schema);
    const lookup = (operationOf('GET', '/v1/customers')!.parameters as Json[]).filter((p) => p.in === 'query');
    expect(lookup.map((p) => p.name)).toEqual([...Object.keys(LookupSchema.shape), ...Object.keys(CustomerListQuerySchema.shape)]);
    // A request is documented as its input: a field with a default is optional; a coerced number is a number.
    const timeline = (operationOf('GET', '/v1/customers/{customerId}/timeline')!.parameters as Json[]).find((p) => p.name === 'limit')!;
    expect(timeline).toMatchObject({ in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } });
    expect(timeline.required).toBeUndefined();
  });

  it('documents answers as open to new fields, and strict requests as strict', () => {
    const profile = resolved({ $ref: '#/components/schemas/Profile' });
    expect(profile.additionalProperties).toBeUndefined();
    expect(profile.required).toContain('customerId');
    // A program's segment rule is documented as the rule it is parsed as, on the way in as on the way out.
    const program = resolved({ $ref: '#/components/schemas/Program' });
    expect(program.properties.analytics.properties.segments.items.properties.rule).toEqual({ $ref: '#/components/schemas/SegmentRule' });
    expect(JSON.stringify(doc.components.schemas.SegmentRule)).toContain('"additionalProperties":false');
  });
});
