import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { seededRandom } from '#test/support/seeded-random.ts';

/**
 * A local stand-in for the WooCommerce REST API v3 coupons endpoint, written from WooCommerce's
 * documentation and checking every request against it:
 *
 * - coupon properties, POST /wp-json/wc/v3/coupons, GET /wp-json/wc/v3/coupons?code=:
 *   https://woocommerce.github.io/woocommerce-rest-api-docs/#coupons
 *   (source: github.com/woocommerce/woocommerce-rest-api-docs, source/includes/wp-api-v3/_coupons.md)
 * - errors as {code, message, data: {status}}, statuses 400/401/404/500, amounts as strings:
 *   https://woocommerce.github.io/woocommerce-rest-api-docs/#introduction
 * - consumer key and secret as HTTP Basic auth over HTTPS (OAuth 1.0a over plain HTTP):
 *   https://woocommerce.github.io/woocommerce-rest-api-docs/#authentication-over-https
 * - the writable schema and `woocommerce_rest_coupon_code_already_exists` (400): WooCommerce's
 *   WC_REST_Coupons_V2_Controller (v3 extends it),
 *   https://github.com/woocommerce/woocommerce/blob/trunk/plugins/woocommerce/includes/rest-api/Controllers/Version2/class-wc-rest-coupons-v2-controller.php
 *
 * Stricter than WordPress in three places, each to catch a client bug that WordPress would let
 * through silently: a property the schema does not list is refused (WordPress drops it), the body
 * must be JSON (WordPress also takes a form), and `date_expires` must carry an explicit offset and
 * whole seconds (WordPress reads a date without one in the site's time zone, and a fraction defeats
 * its offset parser, so either would move the expiry).
 *
 * The server runs on plain HTTP on loopback, standing in for an HTTPS site: it takes Basic auth there.
 * Because the test reaches it through the client's base URL override, the site travels in the
 * X-Rapport-Shop-Url header; a request for another site is answered 404.
 */

export type WooFailure = '429' | '500' | '503' | '500-after-write' | '503-after-write' | 'reset-after-write' | 'timeout-after-write';

export interface WooServerOptions {
  consumerKey?: string;
  consumerSecret?: string;
  siteUrl?: string;
  /** The fraction of requests that fail, drawn from `seed`: 429, 500 or 503 before any write. */
  failRate?: number;
  seed?: number;
  /** Of those failures, the fraction that happens after the write instead (a 500, a 503 or a reset connection). */
  afterWrite?: number;
}

/** What the shop would hold: one entry per coupon created, as sent. */
export interface WooCouponRecord {
  id: number;
  /** As stored: WooCommerce keeps coupon codes in lower case. */
  code: string;
  discount_type: 'percent' | 'fixed_cart' | 'fixed_product';
  amount: string;
  description: string;
  individual_use: boolean;
  usage_limit: number | null;
  usage_limit_per_user: number | null;
  limit_usage_to_x_items: number | null;
  product_ids: number[];
  free_shipping: boolean;
  minimum_amount: string | null;
  maximum_amount: string | null;
  email_restrictions: string[];
  /** The instant it expires, in UTC. */
  date_expires_gmt: string | null;
  meta_data: Array<{ key: string; value: unknown }>;
  siteUrl: string;
}

export interface WooCommerceServer {
  url: string;
  consumerKey: string;
  consumerSecret: string;
  siteUrl: string;
  created(): WooCouponRecord[];
  requests(): number;
  /** The next request fails this way, whatever the fail rate. */
  failNext(kind: WooFailure): void;
  close(): Promise<void>;
}

const BEFORE_WRITE: WooFailure[] = ['429', '500', '503'];
const AFTER_WRITE: WooFailure[] = ['500-after-write', '503-after-write', 'reset-after-write'];
const COUPONS = '/wp-json/wc/v3/coupons';

// ── the documented writable properties, strictly ─────────────────────────────────────────────

const Numeric = z.string().regex(/^\d+(\.\d+)?$/, 'is not numeric');
const Ids = z.array(z.number().int().positive());
/** An instant WooCommerce reads as such: explicit offset, whole seconds. */
const WooInstant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/, 'needs whole seconds and an explicit offset');

const CouponInput = z.strictObject({
  code: z.string(),
  amount: Numeric.optional(),
  status: z.enum(['publish', 'draft', 'pending']).optional(),
  discount_type: z.enum(['percent', 'fixed_cart', 'fixed_product']).optional(),
  description: z.string().optional(),
  date_expires: WooInstant.nullable().optional(),
  date_expires_gmt: WooInstant.nullable().optional(),
  individual_use: z.boolean().optional(),
  product_ids: Ids.optional(),
  excluded_product_ids: Ids.optional(),
  usage_limit: z.number().int().min(0).nullable().optional(),
  usage_limit_per_user: z.number().int().min(0).nullable().optional(),
  limit_usage_to_x_items: z.number().int().min(0).nullable().optional(),
  free_shipping: z.boolean().optional(),
  product_categories: Ids.optional(),
  excluded_product_categories: Ids.optional(),
  exclude_sale_items: z.boolean().optional(),
  minimum_amount: Numeric.optional(),
  maximum_amount: Numeric.optional(),
  email_restrictions: z.array(z.email()).optional(),
  meta_data: z.array(z.strictObject({ key: z.string().min(1), value: z.unknown() })).optional(),
});

// ── the server ───────────────────────────────────────────────────────────────────────────────

/** A WordPress REST error: {code, message, data: {status}}. */
class WooError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new WooError(413, 'rest_request_too_large', 'Request entity too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, error: WooError, headers: Record<string, string> = {}): void {
  sendJson(res, error.status, { code: error.code, message: error.message, data: { status: error.status, ...error.extra } }, headers);
}

/** How WooCommerce answers a coupon: every property, amounts with two decimals, dates without an offset. */
function couponJson(record: WooCouponRecord, url: string) {
  const local = record.date_expires_gmt?.replace(/Z$/, '') ?? null;
  return {
    id: record.id,
    code: record.code,
    amount: Number(record.amount).toFixed(2),
    status: 'publish',
    date_created: '2026-12-01T00:00:00',
    date_created_gmt: '2026-12-01T00:00:00',
    date_modified: '2026-12-01T00:00:00',
    date_modified_gmt: '2026-12-01T00:00:00',
    discount_type: record.discount_type,
    description: record.description,
    // The site's time zone is UTC here, so local and GMT are the same instant.
    date_expires: local,
    date_expires_gmt: local,
    usage_count: 0,
    individual_use: record.individual_use,
    product_ids: record.product_ids,
    excluded_product_ids: [],
    usage_limit: record.usage_limit,
    usage_limit_per_user: record.usage_limit_per_user,
    limit_usage_to_x_items: record.limit_usage_to_x_items,
    free_shipping: record.free_shipping,
    product_categories: [],
    excluded_product_categories: [],
    exclude_sale_items: false,
    minimum_amount: Number(record.minimum_amount ?? 0).toFixed(2),
    maximum_amount: Number(record.maximum_amount ?? 0).toFixed(2),
    email_restrictions: record.email_restrictions,
    used_by: [],
    meta_data: record.meta_data.map((meta, i) => ({ id: record.id * 10 + i, ...meta })),
    _links: { self: [{ href: `${url}${COUPONS}/${record.id}` }], collection: [{ href: `${url}${COUPONS}` }] },
  };
}

export async function startWooCommerceServer(options: WooServerOptions = {}): Promise<WooCommerceServer> {
  const consumerKey = options.consumerKey ?? 'ck_contract_0123456789abcdef0123456789abcdef01234567';
  const consumerSecret = options.consumerSecret ?? 'cs_contract_0123456789abcdef0123456789abcdef01234567';
  const siteUrl = options.siteUrl ?? 'https://traviet.example';
  const random = seededRandom(options.seed ?? 1);
  const queued: WooFailure[] = [];
  const coupons = new Map<string, WooCouponRecord>();
  let requests = 0;
  let nextId = 700;
  let baseUrl = '';

  const nextFailure = (): WooFailure | undefined => {
    if (queued.length > 0) return queued.shift();
    if (!options.failRate || random() >= options.failRate) return undefined;
    const pool = options.afterWrite && random() < options.afterWrite ? AFTER_WRITE : BEFORE_WRITE;
    return pool[Math.floor(random() * pool.length)];
  };

  /** Basic auth with the site's key and secret; WooCommerce names which half is wrong. */
  const authenticate = (req: IncomingMessage, action: 'create' | 'view') => {
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) {
      throw new WooError(401, `woocommerce_rest_cannot_${action}`, `Sorry, you cannot ${action === 'view' ? 'list' : 'create'} resources.`);
    }
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0 || decoded.slice(0, colon) !== consumerKey)
      throw new WooError(401, 'woocommerce_rest_authentication_error', 'Consumer key is invalid.');
    if (decoded.slice(colon + 1) !== consumerSecret)
      throw new WooError(401, 'woocommerce_rest_authentication_error', 'Consumer secret is invalid.');
  };

  const create = (body: string): WooCouponRecord => {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new WooError(400, 'rest_invalid_json', 'Invalid JSON body passed.');
    }
    const parsed = CouponInput.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const param = String(issue.path[0] ?? (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'body'));
      throw new WooError(400, 'rest_invalid_param', `Invalid parameter(s): ${param}`, { params: { [param]: issue.message } });
    }
    const input = parsed.data;
    const code = input.code.trim().toLowerCase();
    if (!code) throw new WooError(400, 'woocommerce_rest_empty_coupon_code', 'The coupon code cannot be empty.');
    if (coupons.has(code)) throw new WooError(400, 'woocommerce_rest_coupon_code_already_exists', 'The coupon code already exists');
    const expires = input.date_expires_gmt ?? input.date_expires;
    const record: WooCouponRecord = {
      id: nextId++,
      code,
      discount_type: input.discount_type ?? 'fixed_cart',
      amount: input.amount ?? '0',
      description: input.description ?? '',
      individual_use: input.individual_use ?? false,
      usage_limit: input.usage_limit ?? null,
      usage_limit_per_user: input.usage_limit_per_user ?? null,
      limit_usage_to_x_items: input.limit_usage_to_x_items ?? null,
      product_ids: input.product_ids ?? [],
      free_shipping: input.free_shipping ?? false,
      minimum_amount: input.minimum_amount ?? null,
      maximum_amount: input.maximum_amount ?? null,
      email_restrictions: input.email_restrictions ?? [],
      date_expires_gmt: expires ? `${new Date(expires).toISOString().slice(0, 19)}Z` : null,
      meta_data: input.meta_data ?? [],
      siteUrl,
    };
    coupons.set(code, record);
    return record;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requests += 1;
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const isCreate = req.method === 'POST' && url.pathname === COUPONS;
    const isList = req.method === 'GET' && url.pathname === COUPONS;
    if (!isCreate && !isList) throw new WooError(404, 'rest_no_route', 'No route was found matching the URL and request method.');
    authenticate(req, isCreate ? 'create' : 'view');
    if (req.headers['x-rapport-shop-url'] !== siteUrl)
      throw new WooError(404, 'rest_no_route', 'No route was found matching the URL and request method.');
    if (isCreate && !/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      throw new WooError(400, 'rest_invalid_json', 'The contract takes a JSON body only.');
    }

    const failure = nextFailure();
    if (failure === '429') {
      return sendError(res, new WooError(429, 'rest_too_many_requests', 'Too many requests.'), { 'retry-after': '2' });
    }
    if (failure === '500') {
      return sendError(res, new WooError(500, 'internal_server_error', '<p>There has been a critical error on this website.</p>'));
    }
    if (failure === '503') return sendMaintenance(res);

    let status = 200;
    let answer: unknown;
    if (isCreate) {
      try {
        answer = couponJson(create(body), baseUrl);
        status = 201;
      } catch (error) {
        if (!(error instanceof WooError) || failure === undefined) throw error;
        // A failure after the write stands in for the answer, whatever the answer would have been.
      }
    } else {
      const code = url.searchParams.get('code')?.trim().toLowerCase();
      answer = [...coupons.values()]
        .filter((coupon) => code === undefined || coupon.code === code)
        .map((coupon) => couponJson(coupon, baseUrl));
    }
    if (failure === '500-after-write') {
      return sendError(res, new WooError(500, 'internal_server_error', '<p>There has been a critical error on this website.</p>'));
    }
    if (failure === '503-after-write') return sendMaintenance(res);
    if (failure === 'reset-after-write') {
      res.socket?.destroy();
      return;
    }
    // timeout-after-write: the write stands and no answer ever comes; close() ends the connection.
    if (failure === 'timeout-after-write') return;
    sendJson(res, status, answer);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof WooError) sendError(res, error);
      else sendError(res, new WooError(500, 'internal_server_error', 'There has been a critical error on this website.'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    consumerKey,
    consumerSecret,
    siteUrl,
    created: () => structuredClone([...coupons.values()]),
    requests: () => requests,
    failNext: (kind) => {
      queued.push(kind);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What a WordPress site in maintenance mode answers: HTML, not JSON. */
function sendMaintenance(res: ServerResponse): void {
  res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '600' });
  res.end('<!DOCTYPE html><html><body><p>Briefly unavailable for scheduled maintenance. Check back in a minute.</p></body></html>');
}
