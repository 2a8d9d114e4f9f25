/**
 * The HTTP API's CORS, as plain data: infra/console-hosting.ts gives it to API Gateway
 * (`consoleCors`), and the local runtime answers preflights and CORS requests with it
 * (infra/local/http-adapter.ts), as API Gateway does, so a shop's page on another origin calls a
 * local Rapport as it calls the deployed one.
 *
 * Any origin, not the console distribution's domain: the distribution's Content-Security-Policy
 * names the API's origin, so an API that named the distribution's domain would make the two depend
 * on each other, which CloudFormation refuses, and of the two only connect-src protects anything.
 * The storefront widget needs any origin anyway: it runs on every shop's own domain. The API has no
 * cookies or other ambient credentials (bearer keys and signatures, sent explicitly), so another
 * page allowed to call it learns nothing it could not get with curl.
 */
export const API_CORS = {
  allowOrigins: ['*'],
  allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  // What the console sends (a bearer key, JSON, idempotency, the revision an email copy was read at)
  // and what the storefront widget sends from shops' pages (the shop, its signature of the customer
  // or an email's link token).
  allowHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-match', 'x-rapport-customer', 'x-rapport-link', 'x-rapport-shop'],
  // A segment's CSV export follows x-next-cursor page by page (console/src/pages/segments.tsx); an
  // email copy's save answers its new revision as an ETag.
  exposeHeaders: ['x-next-cursor', 'etag'],
  maxAgeSeconds: 86_400,
} as const;

export type ApiCors = typeof API_CORS;
