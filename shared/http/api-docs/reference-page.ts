import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import type { HttpResult } from '#shared/http/http-handler.ts';

/**
 * GET /docs, the API reference: Swagger UI (swagger-ui-dist) reading GET /openapi.json, every file of
 * it served by this API itself from GET /docs/{asset}. No CDN: the local runtime works offline, and
 * the page's Content-Security-Policy lets it load nothing from anywhere else.
 *
 * The files are read from swagger-ui-dist in node_modules (the local runtime; any Node process of
 * this repository), or from a `swagger-ui-dist/` folder beside the bundle, where a Lambda bundle,
 * which has no node_modules, needs them copied (the house construct, infra/rapport-function.ts, does
 * not copy them yet: until it does, the page on AWS is a link to the document, and the files 404).
 *
 * Swagger UI's bundle is 1.7 MB (460 KB gzipped): under Lambda's 6 MB answer, sent gzipped to any
 * client that accepts it. Asset URLs carry a hash of the content (`?v=`), so a matching request is
 * cached for a year and a release can never be served a stale copy.
 */

/** Starts Swagger UI: a file rather than an inline script, so the page's policy allows scripts from 'self' only. */
const INIT_JS = `window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#api-reference',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

const ASSETS = {
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', read: () => swaggerUiFile('swagger-ui-bundle.js') },
  'swagger-ui.css': { type: 'text/css; charset=utf-8', read: () => swaggerUiFile('swagger-ui.css') },
  'init.js': { type: 'text/javascript; charset=utf-8', read: () => Buffer.from(INIT_JS) },
} as const;

export type AssetName = keyof typeof ASSETS;
export const ASSET_NAMES = Object.keys(ASSETS) as [AssetName, ...AssetName[]];

/** Where swagger-ui-dist's files are: beside the bundle, else the package in node_modules; undefined when neither has them. */
let found: { dir: string | undefined } | undefined;
function swaggerUiDir(): string | undefined {
  found ??= { dir: findSwaggerUi() };
  return found.dir;
}

function findSwaggerUi(): string | undefined {
  const beside = fileURLToPath(new URL('./swagger-ui-dist/', import.meta.url));
  if (existsSync(join(beside, 'swagger-ui-bundle.js'))) return beside;
  try {
    return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  } catch {
    return undefined;
  }
}

function swaggerUiFile(name: string): Buffer {
  const dir = swaggerUiDir();
  if (!dir) throw new NotFoundError(`${name}: Swagger UI's files are not deployed with this function (GET /openapi.json is)`);
  return readFileSync(join(dir, name));
}

interface Loaded {
  type: string;
  body: Buffer;
  version: string;
  gzipped?: Buffer;
}

/** Each file read, hashed and (when first asked for) gzipped once per container. */
const loaded = new Map<AssetName, Loaded>();

function load(name: AssetName): Loaded {
  let asset = loaded.get(name);
  if (!asset) {
    const body = ASSETS[name].read();
    asset = { type: ASSETS[name].type, body, version: createHash('sha256').update(body).digest('hex').slice(0, 16) };
    loaded.set(name, asset);
  }
  return asset;
}

const url = (name: AssetName) => `docs/${name}?v=${load(name).version}`;

/** The page loads only what this API serves; a link to the document stays if the script cannot run. */
const POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } as const;

export function referencePage(): HttpResult {
  const link = '<a href="openapi.json">openapi.json</a>';
  // Without Swagger UI's files the page still leads to the document, rather than to a blank page.
  const ui = swaggerUiDir() !== undefined;
  // Relative URLs: the page works wherever the API is mounted (a stage path, a custom domain's base path).
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rapport API reference</title>
<link rel="icon" href="data:,">
${ui ? `<link rel="stylesheet" href="${url('swagger-ui.css')}">\n` : ''}</head>
<body>
<div id="api-reference"><p>${ui ? `The API reference needs JavaScript. The OpenAPI 3.1 document itself: ${link}.` : `The OpenAPI 3.1 document: ${link}. (Swagger UI's files are not deployed with this function.)`}</p></div>
${ui ? `<script src="${url('swagger-ui-bundle.js')}"></script>\n<script src="${url('init.js')}"></script>\n` : ''}</body>
</html>
`;
  return {
    statusCode: 200,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': POLICY,
    },
    body: html,
  };
}

/** GET /docs/{asset}[?v=]: gzipped when the client accepts it; cached for a year when `v` is the content's hash. */
export function referenceAsset(name: string | undefined, version: string | undefined, acceptEncoding: string | undefined): HttpResult {
  // A name no asset could have is bad input (400 naming it, like every path parameter); a well-formed one we do not serve, a 404.
  if (!/^[a-z0-9][a-z0-9.-]{0,63}$/.test(name ?? ''))
    throw new ValidationError('asset', 'an asset name is lower-case letters, digits, dots and dashes');
  const known = ASSET_NAMES.find((asset) => asset === name);
  if (!known) throw new NotFoundError(`no asset ${name}: the reference page serves ${ASSET_NAMES.join(', ')}`);
  const asset = load(known);
  const gzip = /\bgzip\b/i.test(acceptEncoding ?? '');
  if (gzip && !asset.gzipped) asset.gzipped = gzipSync(asset.body, { level: 9 });
  const gzipped = gzip ? asset.gzipped : undefined;
  return {
    statusCode: 200,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': asset.type,
      'cache-control': version === asset.version ? 'public, max-age=31536000, immutable' : 'no-cache',
      vary: 'accept-encoding',
      ...(gzipped ? { 'content-encoding': 'gzip' } : {}),
    },
    ...(gzipped ? { body: gzipped.toString('base64'), isBase64Encoded: true } : { body: asset.body.toString('utf8') }),
  };
}
