/**
 * A thin stand-in for API Gateway's HTTP API in front of the functions: route matching with
 * `{param}` paths, the payload format 2.0 event, and API Gateway's reading of the result. No
 * emulator is faithful enough here, and this is small enough to keep exact.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, SNSEvent } from 'aws-lambda';
import type { HttpMethod } from '#functions/triggers.ts';
import { API_CORS, type ApiCors } from '../api-cors.ts';
import { emulatorRegion, listen } from './emulators.ts';
import { Activity, describeError, type HttpHandler, invoke, type LocalFunction, localAccountId } from './lambda.ts';

export interface HttpRouteBinding {
  method: HttpMethod;
  /** API Gateway path syntax: `/v1/customers/{customerId}`; a last `{name+}` is greedy. */
  path: string;
  fn: LocalFunction;
  handler: HttpHandler;
}

/** A function subscribed to an SNS topic: locally, `POST /_local/sns/{topic}` with the message as the body delivers it. */
export interface TopicBinding {
  topic: string;
  fn: LocalFunction;
  handler: (event: SNSEvent, context: Context) => unknown;
}

export interface HttpAdapterOptions {
  routes: HttpRouteBinding[];
  topics?: TopicBinding[];
  /** 0 picks a free port. Always bound to 127.0.0.1. */
  port?: number;
  /** Rapport's contract: a body over 256 KB is answered 413 without calling the function. */
  maxBodyBytes?: number;
  region?: string;
  activity?: Activity;
  /**
   * Answers `GET /health` (local only, like `/_local/sns`), before any function route. Not counted
   * as activity: a supervisor polling it must not keep idle() waiting.
   */
  health?: () => Promise<{ statusCode: number; body: unknown }>;
  /**
   * The merchant console's build, served to GET and HEAD requests no route claims (see
   * serveConsole). Defaults to this repository's console/dist; null serves no console.
   */
  consoleDir?: string | null;
  /**
   * The storefront widget's build, served at `/widget/*` to GET and HEAD (see serveWidget).
   * Defaults to this repository's widget/dist; null serves none.
   */
  widgetDir?: string | null;
  /** API Gateway's CORS configuration, answered as API Gateway answers it (see corsAnswer). Defaults to the deployed API's; null: none. */
  cors?: ApiCors | null;
  log?: (line: string) => void;
}

export interface HttpAdapter {
  url: string;
  server: Server;
  /** Refuses new requests, waits for those in flight, then closes every connection. */
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 256 * 1024;
const API_ID = 'local';

/** `npm run build:console` writes here. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist/', import.meta.url));
/** `npm run build:widget` writes here. */
export const WIDGET_DIST = fileURLToPath(new URL('../../widget/dist/', import.meta.url));

export async function startHttpAdapter(opts: HttpAdapterOptions): Promise<HttpAdapter> {
  const maxBodyBytes = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const region = opts.region ?? emulatorRegion;
  const activity = opts.activity ?? new Activity();
  const log = opts.log ?? (() => undefined);
  const consoleDir = opts.consoleDir === undefined ? CONSOLE_DIST : opts.consoleDir;
  const widgetDir = opts.widgetDir === undefined ? WIDGET_DIST : opts.widgetDir;
  const cors = opts.cors === undefined ? API_CORS : opts.cors;
  const inFlight = new Set<Promise<void>>();
  let closing = false;

  const server = createServer((req, res) => {
    if (closing) {
      sendJson(res, 503, { message: 'Service Unavailable' }, { connection: 'close' });
      return;
    }
    const health = opts.health;
    const isHealth = health && (req.method === 'GET' || req.method === 'HEAD') && (req.url ?? '/').split('?')[0] === '/health';
    const work = isHealth ? serveHealth(res, health) : activity.trackRequest(() => handle(req, res));
    const done = work
      .catch((err) => {
        log(`http adapter failure\n${describeError(err)}`);
        if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
    const corsHeaders = cors ? corsAnswer(req, cors) : undefined;
    if (corsHeaders?.preflight) {
      // Answered for any path, with or without an OPTIONS route, as API Gateway does.
      res.statusCode = 204;
      for (const [name, value] of Object.entries(corsHeaders.preflight)) res.setHeader(name, value);
      res.end();
      return;
    }
    const withCors = corsHeaders?.response ?? {};
    const topic = method === 'POST' ? /^\/_local\/sns\/([A-Za-z0-9_-]+)$/.exec(rawPath)?.[1] : undefined;
    const subscriber = topic ? opts.topics?.find((t) => t.topic === topic) : undefined;
    if (subscriber) {
      const body = await readBody(req, maxBodyBytes);
      if (body === 'too_large') {
        sendJson(
          res,
          413,
          { error: { code: 'payload_too_large', message: `Request body exceeds ${maxBodyBytes} bytes` } },
          { connection: 'close' },
        );
        return;
      }
      try {
        await invoke(subscriber.fn, subscriber.handler, snsEventOf(subscriber.topic, body.toString('utf8'), region), { region, activity });
      } catch (err) {
        log(`${subscriber.fn.name}: SNS ${subscriber.topic} failed\n${describeError(err)}`);
        sendJson(res, 500, { message: 'Internal Server Error' });
        return;
      }
      sendJson(res, 200, { delivered: 1 });
      return;
    }
    const match = matchRoute(opts.routes, method, rawPath);
    const unclaimedRead = !match && (method === 'GET' || method === 'HEAD');
    // /widget/* is the widget's alone: a file missing there is a 404, never the console's page.
    if (unclaimedRead && rawPath.startsWith(WIDGET_PREFIX)) {
      if (widgetDir && (await serveWidget(req, res, rawPath, widgetDir))) return;
    } else if (unclaimedRead && consoleDir && (await serveConsole(req, res, rawPath, consoleDir))) return;
    if (!match) {
      // HTTP APIs answer an unknown path and a known path with another method alike. `message` is
      // API Gateway's shape; `error` is Rapport's, so clients need to know only one.
      sendJson(
        res,
        404,
        {
          message: 'Not Found',
          error: { code: 'not_found', message: `No route for ${method} ${rawPath}` },
        },
        withCors,
      );
      return;
    }
    const body = await readBody(req, maxBodyBytes);
    if (body === 'too_large') {
      sendJson(
        res,
        413,
        { error: { code: 'payload_too_large', message: `Request body exceeds ${maxBodyBytes} bytes` } },
        { connection: 'close', ...withCors },
      );
      // Reading has stopped; Node closes the connection once the answer is out, dropping the rest.
      return;
    }
    const routeKey = `${match.route.method} ${match.route.path}`;
    const event = toHttpEvent(req, { routeKey, rawPath, target, pathParameters: match.pathParameters, body });
    let result: unknown;
    try {
      result = await invoke(match.route.fn, match.route.handler, event, { region, activity });
    } catch (err) {
      log(`${match.route.fn.name}: ${routeKey} failed; answered 500\n${describeError(err)}`);
      sendJson(res, 500, { message: 'Internal Server Error' }, withCors);
      return;
    }
    writeResult(res, result, corsHeaders?.response);
  };

  const url = await listen(server, opts.port ?? 0, '127.0.0.1');
  let closed: Promise<void> | undefined;
  return {
    url,
    server,
    close() {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((done) => server.close(() => done()));
        await Promise.allSettled([...inFlight]);
        // Sockets kept alive after their last answer would hold close() open until they time out.
        server.closeAllConnections();
        await stopped;
      })();
      return closed;
    },
  };
}

export interface RouteMatch<R> {
  route: R;
  pathParameters: Record<string, string>;
}

/**
 * API Gateway's choice among routes: the method must be the route's, and the most specific path
 * wins (a literal segment beats `{param}`, which beats a greedy `{param+}`).
 */
export function matchRoute<R extends { method: string; path: string }>(
  routes: readonly R[],
  method: string,
  rawPath: string,
): RouteMatch<R> | undefined {
  const segments = rawPath.split('/').slice(1);
  let best: { match: RouteMatch<R>; score: number[] } | undefined;
  for (const route of routes) {
    if (route.method !== method) continue;
    const result = matchPath(route.path, segments);
    if (!result) continue;
    if (!best || compareScores(result.score, best.score) > 0) {
      best = { match: { route, pathParameters: result.pathParameters }, score: result.score };
    }
  }
  return best?.match;
}

function matchPath(pattern: string, segments: string[]): { pathParameters: Record<string, string>; score: number[] } | undefined {
  const parts = pattern.split('/').slice(1);
  const pathParameters: Record<string, string> = {};
  const score: number[] = [];
  for (const [i, part] of parts.entries()) {
    const param = /^\{([^{}]+)\}$/.exec(part)?.[1];
    if (param?.endsWith('+')) {
      if (i !== parts.length - 1) return undefined;
      const rest = segments.slice(i);
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      pathParameters[param.slice(0, -1)] = rest.map(decodeSegment).join('/');
      score.push(0);
      return { pathParameters, score };
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (param !== undefined) {
      if (segment === '') return undefined;
      pathParameters[param] = decodeSegment(segment);
      score.push(1);
    } else if (part === segment) {
      score.push(2);
    } else {
      return undefined;
    }
  }
  return parts.length === segments.length ? { pathParameters, score } : undefined;
}

function compareScores(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * "API Gateway decodes URL-encoded request parameters before passing them to your backend
 * integration" (API Gateway developer guide, Create routes for HTTP APIs): a function gets each path
 * parameter decoded exactly once, here, and never decodes it again — `%25` arrives as `%`. AWS does
 * not document what it does with an escape that does not decode (`%ZZ`); the segment is passed as
 * sent, and every path parameter's schema refuses a `%`, so the function answers 400 naming it.
 */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve('too_large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const detach = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        detach();
        req.pause();
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      detach();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      detach();
      reject(err);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}

interface EventParts {
  routeKey: string;
  rawPath: string;
  /** The request target as sent: path and query string. */
  target: string;
  pathParameters: Record<string, string>;
  body: Buffer;
}

/** The payload format 2.0 event API Gateway's HTTP API sends to a Lambda proxy integration. */
export function toHttpEvent(req: IncomingMessage, parts: EventParts): APIGatewayProxyEventV2 {
  const now = new Date();
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] as string).toLowerCase();
    const value = req.rawHeaders[i + 1] as string;
    // API Gateway moves cookies out of the headers into their own field, one entry per cookie.
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  headers['x-forwarded-for'] ??= sourceIp;
  headers['x-forwarded-port'] ??= String(req.socket.localPort ?? '');
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-amzn-trace-id'] ??= `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

  const queryAt = parts.target.indexOf('?');
  const rawQueryString = queryAt === -1 ? '' : parts.target.slice(queryAt + 1);
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    query[key] = key in query ? `${query[key]},${value}` : value;
  }

  const domainName = headers.host ?? '127.0.0.1';
  const method = req.method ?? 'GET';
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: parts.routeKey,
    rawPath: parts.rawPath,
    rawQueryString,
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    requestContext: {
      accountId: localAccountId,
      apiId: API_ID,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method,
        path: parts.rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomBytes(11).toString('base64'),
      routeKey: parts.routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(Object.keys(parts.pathParameters).length > 0 && { pathParameters: parts.pathParameters }),
    ...(parts.body.length > 0 && { body: parts.body.toString('utf8') }),
    isBase64Encoded: false,
  };
  return event;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, as API Gateway writes requestContext.time (toLocaleString costs more than the rest of the event). */
export function apiGatewayTime(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/**
 * API Gateway's reading of a 2.0 result: an object with a statusCode is a response; anything else
 * (a string, an object without statusCode) is the body of a 200 application/json response. With
 * `cors` (a CORS request to an API that has a CORS configuration), the function's own CORS headers
 * are dropped and the configuration's sent instead, as API Gateway does.
 */
export function writeResult(res: ServerResponse, result: unknown, cors?: Record<string, string>): void {
  for (const [name, value] of Object.entries(cors ?? {})) res.setHeader(name, value);
  if (result !== null && typeof result === 'object' && 'statusCode' in result) {
    const r = result as APIGatewayProxyStructuredResultV2;
    for (const [name, value] of Object.entries(r.headers ?? {})) {
      if (!cors || !name.toLowerCase().startsWith('access-control-')) res.setHeader(name, String(value));
    }
    if (r.cookies?.length) res.setHeader('set-cookie', r.cookies);
    const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
    res.statusCode = r.statusCode ?? 200;
    res.end(body);
    return;
  }
  const body = typeof result === 'string' ? result : (JSON.stringify(result) ?? '');
  res.statusCode = 200;
  res.setHeader('content-type', 'application/json');
  res.end(body);
}

/**
 * API Gateway's CORS for one request (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html):
 * only a request with an Origin is a CORS request. An OPTIONS with Access-Control-Request-Method is
 * a preflight, answered 204 by the gateway itself — with the configuration's headers when the method
 * and every requested header are allowed, with none otherwise (the browser then refuses the call).
 * Any other CORS request gets the configuration's headers on its answer.
 */
export function corsAnswer(
  req: IncomingMessage,
  cors: ApiCors,
): { preflight: Record<string, string>; response?: never } | { preflight?: never; response: Record<string, string> } | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  const allowOrigin = (cors.allowOrigins as readonly string[]).includes('*')
    ? '*'
    : (cors.allowOrigins as readonly string[]).includes(origin)
      ? origin
      : undefined;
  const askedMethod = req.headers['access-control-request-method'];
  if (req.method === 'OPTIONS' && askedMethod !== undefined) {
    const askedHeaders = (req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean);
    const allowed =
      allowOrigin !== undefined &&
      (cors.allowMethods as readonly string[]).includes(askedMethod.toUpperCase()) &&
      askedHeaders.every((name) => (cors.allowHeaders as readonly string[]).includes(name));
    if (!allowed) return { preflight: {} };
    return {
      preflight: {
        'access-control-allow-origin': allowOrigin,
        'access-control-allow-methods': cors.allowMethods.join(','),
        'access-control-allow-headers': cors.allowHeaders.join(','),
        'access-control-max-age': String(cors.maxAgeSeconds),
      },
    };
  }
  if (allowOrigin === undefined) return { response: {} };
  return { response: { 'access-control-allow-origin': allowOrigin, 'access-control-expose-headers': cors.exposeHeaders.join(',') } };
}

async function serveHealth(res: ServerResponse, health: NonNullable<HttpAdapterOptions['health']>): Promise<void> {
  const { statusCode, body } = await health();
  // A liveness answer is true only now; no cache in between may keep it.
  sendJson(res, statusCode, body, { 'cache-control': 'no-store' });
}

/**
 * Paths that belong to the API, whether or not a route serves them yet: they keep the JSON 404 of
 * an unknown route and are never answered with the console.
 */
const API_PATH = /^\/(v1|admin|webhooks|unsubscribe|feedback|health|openapi\.json|docs|_local)(\/|$)/;

const HTML = 'text/html; charset=utf-8';
const CONTENT_TYPES: Record<string, string> = {
  '.html': HTML,
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * What the console's page may do: its own scripts only; inline styles (Observable Plot writes
 * style attributes, and a previewed email, in a sandboxed srcdoc frame that inherits this policy,
 * is styled inline); images from anywhere (an email's product pictures); API calls to this origin.
 */
const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src * data:; connect-src 'self'; " +
  "frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rapport console not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>The console is not built yet</h1>
<p>Run <code>npm run build:console</code> (it also runs at <code>npm ci</code> and <code>npm test</code>), then reload this page.
The API is running: <a href="/health">/health</a>.</p>
</body></html>
`;

/**
 * The merchant console, a single-page app: `/` and any path outside the API that a browser
 * navigates to (its Accept names text/html) answer index.html, so the app's own routes load on a
 * reload or a shared link; built files answer as themselves, the hashed ones under /assets/ cached
 * for a year. Anything else — an API path, a missing file, a client that does not ask for HTML —
 * is left to the JSON 404. Without a build, `/` says how to make one. False when not answered.
 */
async function serveConsole(req: IncomingMessage, res: ServerResponse, rawPath: string, dir: string): Promise<boolean> {
  if (API_PATH.test(rawPath)) return false;
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return false;
  }
  const file = join(dir, path);
  const inside = relative(dir, file);
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside) || path.includes('\0')) return false;
  const isAsset = path.startsWith('/assets/');
  if (isAsset || extname(path) !== '') {
    const body = await readFile(file).catch(() => undefined);
    if (!body) return false;
    sendStatic(req, res, 200, body, {
      'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
      // Vite names every file under assets/ by its content hash: a changed file is a new name.
      'cache-control': isAsset ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    return true;
  }
  if (path !== '/' && !(req.headers.accept ?? '').includes('text/html')) return false;
  const index = await readFile(join(dir, 'index.html')).catch(() => undefined);
  if (!index) {
    if (path !== '/') return false;
    sendStatic(req, res, 404, Buffer.from(NOT_BUILT_PAGE), { 'content-type': HTML, 'cache-control': 'no-store' });
    return true;
  }
  // index.html names the current hashed assets: always asked again, so a rebuild is seen at once.
  sendStatic(req, res, 200, index, {
    'content-type': HTML,
    'cache-control': 'no-cache',
    'content-security-policy': CONSOLE_CSP,
    'referrer-policy': 'no-referrer',
  });
  return true;
}

/** Where the storefront widget's files are served; the console's distribution on AWS uses the same prefix. */
export const WIDGET_PREFIX = '/widget/';

/**
 * The storefront widget (widget/dist): `/widget/rapport-loyalty.js` is loaded by a `<script>` tag
 * on a shop's own pages, another origin. A classic script needs no CORS, but the headers say it may
 * be used anywhere: `Access-Control-Allow-Origin: *` (a page loading it with `crossorigin`, or a
 * fetch of it) and `Cross-Origin-Resource-Policy: cross-origin` (a storefront that sets
 * Cross-Origin-Embedder-Policy). Its name has no content hash, so browsers ask again each time;
 * a rebuild is seen at the next page load. A missing file is left to the JSON 404.
 */
async function serveWidget(req: IncomingMessage, res: ServerResponse, rawPath: string, dir: string): Promise<boolean> {
  let name: string;
  try {
    name = decodeURIComponent(rawPath.slice(WIDGET_PREFIX.length));
  } catch {
    return false;
  }
  if (name === '' || name.includes('\0')) return false;
  const file = join(dir, name);
  const inside = relative(dir, file);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return false;
  const body = await readFile(file).catch(() => undefined);
  if (!body) return false;
  sendStatic(req, res, 200, body, {
    'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
    'cache-control': 'no-cache',
    'access-control-allow-origin': '*',
    'cross-origin-resource-policy': 'cross-origin',
  });
  return true;
}

function sendStatic(req: IncomingMessage, res: ServerResponse, status: number, body: Buffer, headers: Record<string, string>): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries({ ...headers, 'x-content-type-options': 'nosniff' })) res.setHeader(name, value);
  res.setHeader('content-length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Headers are set rather than written so Node adds content-length, as API Gateway sends it. */
function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries({ 'content-type': 'application/json', ...headers })) {
    res.setHeader(name, value);
  }
  res.end(JSON.stringify(body));
}

/** The SNS → Lambda event for one message, as AWS builds it (one record). */
export function snsEventOf(topic: string, message: string, region: string): SNSEvent {
  const arn = `arn:aws:sns:${region}:${localAccountId}:${topic}`;
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${arn}:${randomUUID()}`,
        Sns: {
          Type: 'Notification',
          MessageId: randomUUID(),
          TopicArn: arn,
          Subject: '',
          Message: message,
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: '',
          SigningCertUrl: '',
          UnsubscribeUrl: '',
          MessageAttributes: {},
        },
      },
    ],
  };
}
