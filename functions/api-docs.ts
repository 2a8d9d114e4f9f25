import { httpHandler } from '#shared/http/http-handler.ts';

/**
 * GET /openapi.json, GET /docs and GET /docs/{asset}: the API describes itself. Each route imports
 * only what it serves, on its first request: the document's schemas are not loaded to serve a page
 * file, nor the page's to serve the document.
 */
export const handler = httpHandler(async (event) => {
  if (event.routeKey === 'GET /openapi.json') {
    const { openApiJson } = await import('#shared/http/openapi.ts');
    return { statusCode: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-cache' }, body: openApiJson() };
  }
  const page = await import('#shared/http/api-docs/reference-page.ts');
  if (event.routeKey === 'GET /docs') return page.referencePage();
  return page.referenceAsset(event.pathParameters?.asset, event.queryStringParameters?.v, event.headers['accept-encoding']);
});
