import * as z from 'zod';
import { type ApiFamily, errors, route } from '#shared/http/api-docs/parts.ts';
import { ASSET_NAMES } from '#shared/http/api-docs/reference-page.ts';

/** The API describing itself, public: functions/api-docs.ts. */

export const selfDescription: ApiFamily = {
  tag: { name: 'Self-description', description: 'This document and the API reference page, both served by the API itself.' },
  routes: [
    route('GET', '/openapi.json', {
      summary: 'This OpenAPI 3.1 document',
      description: 'Generated from the zod schemas the handlers validate with.',
      security: [],
      responses: {
        '200': {
          description: 'The document.',
          content: { 'application/json': { schema: z.record(z.string(), z.unknown()).meta({ description: 'An OpenAPI 3.1 document.' }) } },
        },
      },
    }),
    route('GET', '/docs', {
      summary: 'The API reference page',
      description: 'Swagger UI reading this document; every file it loads is served by the API itself.',
      security: [],
      responses: { '200': { description: 'The page.', content: { 'text/html': { schema: z.string() } } } },
    }),
    route('GET', '/docs/{asset}', {
      summary: 'A file of the reference page',
      description: 'Gzipped when accepted; cached for a year when `v` is the hash the page names.',
      security: [],
      requestParams: {
        path: z.object({ asset: z.enum(ASSET_NAMES) }),
        query: z.object({ v: z.string().optional().meta({ description: "The content's hash, as the page names it." }) }),
      },
      responses: {
        '200': {
          description: 'The file.',
          content: { 'text/javascript': { schema: z.string() }, 'text/css': { schema: z.string() } },
        },
        ...errors(404),
      },
    }),
  ],
};
