import * as z from 'zod';
import { currencyExponent, formatMinorUnits } from '#shared/domain/money.ts';

/**
 * A reward becomes a single-use discount code on the shop's own platform: one call creates the code
 * for one customer on Shopify (Admin GraphQL) or WooCommerce (REST v3). The contract, every decision
 * and the documentation pages behind them are in CONNECTORS.md ("Discount codes"); the local contract
 * servers are test/support/shopify-admin-server.ts and test/support/woocommerce-server.ts.
 *
 * The only I/O of this folder happens here, through `fetch` (injectable). Nothing is logged: the
 * caller logs the result with its shop and customer keys, and a result never carries an email, a
 * token or a platform's free-text message.
 */

// ── contract ──────────────────────────────────────────────────────────────────────────────────

export type CodeValue =
  | { kind: 'amount_off'; amount: number } // minor units of the shop currency
  | { kind: 'percent_off'; percent: number; maxAmount?: number } // 1..100; cap in minor units
  | { kind: 'free_shipping' }
  | { kind: 'free_product'; productId: string }; // the platform's product id (Shopify gid or numeric; WooCommerce numeric)

export interface CodeRequest {
  /** e.g. "RAP-7K2M-9QXD", unique, chosen by the caller. */
  code: string;
  /** Shown in the shop's admin, e.g. "Rapport: 50,000 ₫ off (c_0123…)"; also how a retry recognizes its own code. */
  title: string;
  value: CodeValue;
  /** ISO 4217 of the shop: its exponent turns minor units into the decimal strings the platforms want. */
  currency: string;
  /** Minor units. */
  minOrder?: number;
  /** ISO 8601 with an offset. */
  startsAt: string;
  /** ISO 8601 with an offset. */
  endsAt: string;
  /** Shopify: the customer's numeric id or gid; WooCommerce: restricted by email. */
  customer: { email?: string; platformCustomerId?: string };
}

export type CodeResult =
  | { ok: true; platformId: string } // Shopify discount node gid; WooCommerce coupon id
  | { ok: false; retryable: boolean; reason: string; retryAfterMs?: number }; // reason: short, no PII

export interface ShopifyCredentials {
  /** The shop's myshopify domain, e.g. "traviet.myshopify.com". */
  domain: string;
  adminAccessToken: string;
}

export interface WooCredentials {
  /** The site's base URL, e.g. "https://shop.example.com" (or ".../store" for a WordPress in a folder). */
  url: string;
  consumerKey: string;
  consumerSecret: string;
}

export interface ShopifyOptions {
  baseUrl?: string;
  apiVersion?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface WooCommerceOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * The newest stable Admin API version when this was written (December 2026): Shopify releases one a
 * quarter and supports each for at least twelve months, so 2026-10 stays supported until about
 * October 2027, the longest runway on offer. It is also well past 2025-10, the first version where
 * `context` replaced the deprecated `customerSelection`, which is what selects the one customer here.
 * Moving to a newer version is a change of this constant plus a run of the contract tests.
 */
export const SHOPIFY_API_VERSION = '2026-10';

/** Base URL overrides, for tests and proxies; `options.baseUrl` wins over them. */
export const SHOPIFY_ADMIN_URL_ENV = 'RAPPORT_SHOPIFY_ADMIN_URL';
export const WOOCOMMERCE_URL_ENV = 'RAPPORT_WOOCOMMERCE_URL';

/**
 * With a base URL override the request path no longer names the shop, so the shop travels in a
 * header: the Shopify domain, or the WooCommerce site URL. Never sent to the platforms themselves.
 */
export const SHOP_DOMAIN_HEADER = 'x-rapport-shop-domain';
export const SHOP_URL_HEADER = 'x-rapport-shop-url';

const DEFAULT_TIMEOUT_MS = 10_000;

/** The reason when the code belongs to another discount: the caller may choose a new code and try again. */
export const CODE_TAKEN = 'code taken';

// ── the request, checked once ────────────────────────────────────────────────────────────────

const MinorUnits = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const Instant = z.iso.datetime({ offset: true });

/** Whole hundredths of a percent at most: both platforms take the value as a short decimal. */
const isHundredths = (percent: number) => Math.abs(percent * 100 - Math.round(percent * 100)) < 1e-6;

const CodeValueSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('amount_off'), amount: MinorUnits }),
  z.object({
    kind: z.literal('percent_off'),
    percent: z.number().gt(0).max(100).refine(isHundredths, 'at most two decimals'),
    maxAmount: MinorUnits.optional(),
  }),
  z.object({ kind: z.literal('free_shipping') }),
  z.object({ kind: z.literal('free_product'), productId: z.string().min(1).max(256) }),
]);

// Typed against the interface above: the interface is the contract another module codes against,
// the schema is what enforces it at run time, and the annotation keeps the two from drifting apart.
const CodeRequestSchema: z.ZodType<CodeRequest> = z
  .object({
    // Printable ASCII without spaces: what a customer can type, and what both platforms store as is.
    code: z.string().regex(/^[\x21-\x7e]{1,255}$/),
    title: z.string().trim().min(1).max(255),
    value: CodeValueSchema,
    currency: z.string().refine((currency) => currencyExponent(currency) !== undefined, 'not an ISO 4217 currency with a minor unit'),
    minOrder: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    startsAt: Instant,
    endsAt: Instant,
    customer: z.object({ email: z.email().max(320).optional(), platformCustomerId: z.string().min(1).max(256).optional() }),
  })
  .refine((request) => Date.parse(request.endsAt) > Date.parse(request.startsAt), { path: ['endsAt'], message: 'after startsAt' });

const refuse = (reason: string): CodeResult => ({ ok: false, retryable: false, reason });
const retry = (reason: string, retryAfterMs?: number): CodeResult =>
  retryAfterMs === undefined ? { ok: false, retryable: true, reason } : { ok: false, retryable: true, reason, retryAfterMs };

/** The request, or a permanent refusal naming the field (never its value: it may be an email). */
function checkRequest(request: CodeRequest): { ok: true; request: CodeRequest } | { ok: false; result: CodeResult } {
  const parsed = CodeRequestSchema.safeParse(request);
  if (parsed.success) return { ok: true, request: parsed.data };
  const path = parsed.error.issues[0]?.path.join('.') || 'request';
  return { ok: false, result: refuse(`invalid request: ${path}`) };
}

/** 1250 hundredths → "12.5"; 1500 → "15". */
function percentText(percent: number): string {
  const hundredths = Math.round(percent * 100);
  return hundredths % 100 === 0 ? String(hundredths / 100) : (hundredths / 100).toFixed(2).replace(/0$/, '');
}

// ── HTTP, shared by both platforms ───────────────────────────────────────────────────────────

interface Endpoint {
  url: string;
  headers: Record<string, string>;
}

type Answer = { kind: 'answer'; status: number; headers: Headers; body: unknown } | { kind: 'failed'; result: CodeResult };

const isLoopback = (url: URL) => {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
};

/** A base URL credentials may travel to: https anywhere, plain http only on loopback (tests). */
function safeBase(text: string): URL | undefined {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  return url?.protocol === 'https:' || (url?.protocol === 'http:' && isLoopback(url)) ? url : undefined;
}

const withoutTrailingSlash = (url: URL) => url.href.replace(/\/+$/, '');

/**
 * One HTTP exchange. A timeout or a broken connection is retryable: the platform may or may not have
 * written, which the retry settles through the "already exists → look it up" path. Redirects are not
 * followed, so credentials never go to a host we did not choose; a 3xx is then a permanent answer.
 */
async function exchange(
  endpoint: Endpoint,
  init: { method: 'GET' | 'POST'; body?: string; query?: Record<string, string> },
  options: { fetch?: typeof fetch; timeoutMs?: number },
): Promise<Answer> {
  const url = init.query ? `${endpoint.url}?${new URLSearchParams(init.query)}` : endpoint.url;
  const doFetch = options.fetch ?? fetch;
  try {
    const response = await doFetch(url, {
      method: init.method,
      headers: {
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...endpoint.headers,
      },
      ...(init.body === undefined ? {} : { body: init.body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    const text = await response.text();
    return { kind: 'answer', status: response.status, headers: response.headers, body: parseJson(text) };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    return { kind: 'failed', result: retry(name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network error') };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Retry-After in seconds ("2", "1.0") or as an HTTP date, in milliseconds from now. */
function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Non-2xx statuses: 429, 408 and 5xx are worth another try; every other one will answer the same again. */
function statusFailure(status: number, headers: Headers, detail?: string): CodeResult | undefined {
  if (status >= 200 && status < 300) return undefined;
  const reason = detail ? `http ${status} ${detail}` : `http ${status}`;
  if (status === 429 || status === 408 || status >= 500) return retry(reason, retryAfterMs(headers));
  return refuse(reason);
}

// ── Shopify ──────────────────────────────────────────────────────────────────────────────────

const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)+$/i;

function shopifyEndpoint(creds: ShopifyCredentials, options: ShopifyOptions): Endpoint | CodeResult {
  if (!SHOP_DOMAIN.test(creds.domain)) return refuse('invalid shop domain');
  const version = options.apiVersion ?? SHOPIFY_API_VERSION;
  if (!/^\d{4}-\d{2}$|^unstable$/.test(version)) return refuse('invalid api version');
  const headers = { 'x-shopify-access-token': creds.adminAccessToken };
  const override = options.baseUrl ?? process.env[SHOPIFY_ADMIN_URL_ENV];
  if (override === undefined || override === '') {
    return { url: `https://${creds.domain}/admin/api/${version}/graphql.json`, headers };
  }
  const base = safeBase(override);
  if (!base) return refuse('insecure or invalid base url');
  return {
    url: `${withoutTrailingSlash(base)}/admin/api/${version}/graphql.json`,
    headers: { ...headers, [SHOP_DOMAIN_HEADER]: creds.domain },
  };
}

/** A numeric id or a gid of the given type → the gid; anything else → undefined. */
function shopifyGid(type: 'Customer' | 'Product', id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  if (/^\d{1,20}$/.test(id)) return `gid://shopify/${type}/${id}`;
  return new RegExp(`^gid://shopify/${type}/\\d{1,20}$`).test(id) ? id : undefined;
}

const BASIC_CREATE = `mutation RapportDiscountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}`;

const FREE_SHIPPING_CREATE = `mutation RapportDiscountCodeFreeShippingCreate($freeShippingCode: DiscountCodeFreeShippingInput!) {
  discountCodeFreeShippingCreate(freeShippingCode: $freeShippingCode) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}`;

const BY_CODE = `query RapportCodeDiscountNodeByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) {
    id
    codeDiscount {
      __typename
      ... on DiscountCodeBasic { title }
      ... on DiscountCodeFreeShipping { title }
    }
  }
}`;

interface ShopifyMutation {
  root: 'discountCodeBasicCreate' | 'discountCodeFreeShippingCreate';
  query: string;
  variables: Record<string, unknown>;
}

/**
 * The one mutation for a request. Every code: only this customer (`context.customers.add`), one use in
 * all (`usageLimit: 1`) and one per customer, from startsAt to endsAt, with the minimum subtotal when
 * there is one. `combinesWith` is left out: Shopify's default is to combine with no other discount,
 * which is what a reward should do.
 */
function shopifyMutation(request: CodeRequest, customerGid: string, productGid: string | undefined): ShopifyMutation {
  const common = {
    title: request.title,
    code: request.code,
    startsAt: new Date(request.startsAt).toISOString(),
    endsAt: new Date(request.endsAt).toISOString(),
    context: { customers: { add: [customerGid] } },
    usageLimit: 1,
    appliesOncePerCustomer: true,
    ...(request.minOrder
      ? { minimumRequirement: { subtotal: { greaterThanOrEqualToSubtotal: formatMinorUnits(request.minOrder, request.currency) } } }
      : {}),
  };
  const value = request.value;
  if (value.kind === 'free_shipping') {
    return {
      root: 'discountCodeFreeShippingCreate',
      query: FREE_SHIPPING_CREATE,
      variables: { freeShippingCode: { ...common, destination: { all: true } } },
    };
  }
  const customerGets =
    value.kind === 'amount_off'
      ? {
          value: { discountAmount: { amount: formatMinorUnits(value.amount, request.currency), appliesOnEachItem: false } },
          items: { all: true },
        }
      : value.kind === 'percent_off'
        ? { value: { percentage: Math.round(value.percent * 100) / 10_000 }, items: { all: true } }
        : // 100 % off that product. A basic discount has no quantity: every unit of it in the one order is free (CONNECTORS.md).
          { value: { percentage: 1 }, items: { products: { productsToAdd: [productGid] } } };
  return { root: 'discountCodeBasicCreate', query: BASIC_CREATE, variables: { basicCodeDiscount: { ...common, customerGets } } };
}

const GraphqlError = z
  .object({ message: z.string().optional(), extensions: z.object({ code: z.string().optional() }).loose().optional() })
  .loose();
const ThrottleStatus = z.object({ currentlyAvailable: z.number(), restoreRate: z.number() }).loose();
const GraphqlAnswer = z
  .object({
    data: z.record(z.string(), z.unknown()).nullish(),
    errors: z.union([z.array(GraphqlError), z.string()]).optional(),
    extensions: z
      .object({
        cost: z.object({ requestedQueryCost: z.number().nullish(), throttleStatus: ThrottleStatus.optional() }).loose().optional(),
      })
      .loose()
      .optional(),
  })
  .loose();
const CreatePayload = z
  .object({
    codeDiscountNode: z.object({ id: z.string() }).loose().nullish(),
    userErrors: z.array(z.object({ field: z.array(z.string()).nullish(), code: z.string().nullish() }).loose()),
  })
  .loose();
const ByCodePayload = z
  .object({ id: z.string(), codeDiscount: z.object({ title: z.string().optional() }).loose().nullish() })
  .loose()
  .nullable();

/**
 * THROTTLED: the bucket lacks the requested cost and refills at restoreRate points a second, so the
 * wait is the shortfall over the rate.
 */
function throttledAfterMs(answer: z.infer<typeof GraphqlAnswer>): number | undefined {
  const cost = answer.extensions?.cost;
  const status = cost?.throttleStatus;
  if (!status || typeof cost?.requestedQueryCost !== 'number' || status.restoreRate <= 0) return undefined;
  return Math.ceil((Math.max(0, cost.requestedQueryCost - status.currentlyAvailable) / status.restoreRate) * 1000);
}

/** One GraphQL call: its `data`, or the result that ends the attempt. */
async function graphql(
  endpoint: Endpoint,
  query: string,
  variables: Record<string, unknown>,
  options: ShopifyOptions,
): Promise<{ ok: true; data: Record<string, unknown> } | { ok: false; result: CodeResult }> {
  const answer = await exchange(endpoint, { method: 'POST', body: JSON.stringify({ query, variables }) }, options);
  if (answer.kind === 'failed') return { ok: false, result: answer.result };
  const failed = statusFailure(answer.status, answer.headers);
  if (failed) return { ok: false, result: failed };
  const parsed = GraphqlAnswer.safeParse(answer.body);
  // A 200 we cannot read may still have written: retrying is safe, giving up is not.
  if (!parsed.success) return { ok: false, result: retry('unreadable answer') };
  const errors = typeof parsed.data.errors === 'string' ? [{ message: parsed.data.errors }] : (parsed.data.errors ?? []);
  if (errors.length > 0) {
    const codes = errors.map((error) => error.extensions?.code);
    if (codes.includes('THROTTLED')) return { ok: false, result: retry('THROTTLED', throttledAfterMs(parsed.data)) };
    if (codes.includes('INTERNAL_SERVER_ERROR')) return { ok: false, result: retry('graphql INTERNAL_SERVER_ERROR') };
    const code = codes.find((c) => c !== undefined);
    return { ok: false, result: refuse(code ? `graphql ${code}` : 'graphql error') };
  }
  if (!parsed.data.data) return { ok: false, result: retry('unreadable answer') };
  return { ok: true, data: parsed.data.data };
}

export async function createShopifyCode(
  creds: ShopifyCredentials,
  request: CodeRequest,
  options: ShopifyOptions = {},
): Promise<CodeResult> {
  const checked = checkRequest(request);
  if (!checked.ok) return checked.result;
  const value = checked.request.value;
  // A basic percentage discount has no cap on Shopify. A capped reward on a code without the cap would
  // be a different, unbounded offer, so it is refused; the caller can offer an amount off instead.
  if (value.kind === 'percent_off' && value.maxAmount !== undefined) return refuse('percent cap unsupported by shopify');
  const customerGid = shopifyGid('Customer', checked.request.customer.platformCustomerId);
  // Shopify restricts a discount to customers by id only; without one the code would be anyone's.
  if (!customerGid) return refuse('shopify needs the platform customer id');
  const productGid = value.kind === 'free_product' ? shopifyGid('Product', value.productId) : undefined;
  if (value.kind === 'free_product' && !productGid) return refuse('invalid request: value.productId');
  const endpoint = shopifyEndpoint(creds, options);
  if (!('url' in endpoint)) return endpoint;

  const mutation = shopifyMutation(checked.request, customerGid, productGid);
  const created = await graphql(endpoint, mutation.query, mutation.variables, options);
  if (!created.ok) return created.result;
  const payload = CreatePayload.safeParse(created.data[mutation.root]);
  if (!payload.success) return retry('unreadable answer');
  const [userError] = payload.data.userErrors;
  if (userError) {
    const field = userError.field?.join('.') ?? '';
    if (userError.code === 'TAKEN' && field.endsWith('code')) return findOwnShopifyCode(endpoint, checked.request, options);
    return refuse(`userErrors: ${userError.code ?? 'unknown'}${field ? ` at ${field}` : ''}`);
  }
  const id = payload.data.codeDiscountNode?.id;
  return id ? { ok: true, platformId: id } : retry('unreadable answer');
}

/**
 * "Code taken" after an attempt whose answer was lost is our own code: found by code, and ours when it
 * carries the title we sent (titles name the reward and its customer). Anyone else's code stays taken.
 */
async function findOwnShopifyCode(endpoint: Endpoint, request: CodeRequest, options: ShopifyOptions): Promise<CodeResult> {
  const found = await graphql(endpoint, BY_CODE, { code: request.code }, options);
  if (!found.ok) return found.result;
  const node = ByCodePayload.safeParse(found.data.codeDiscountNodeByCode);
  if (!node.success) return retry('unreadable answer');
  if (node.data?.codeDiscount?.title === request.title) return { ok: true, platformId: node.data.id };
  return refuse(CODE_TAKEN);
}

// ── WooCommerce ──────────────────────────────────────────────────────────────────────────────

/** The meta key that lets a retry recognize its own coupon (the description is filtered by WordPress). */
export const WOO_TITLE_META_KEY = 'rapport_title';

function wooEndpoint(creds: WooCredentials, options: WooCommerceOptions): Endpoint | CodeResult {
  const site = URL.canParse(creds.url) ? new URL(creds.url) : undefined;
  // Basic auth sends the secret as is: WooCommerce accepts it over HTTPS only (HTTP needs OAuth 1.0a).
  if (site?.protocol !== 'https:' || site.search || site.hash) return refuse('woocommerce url must be https');
  const headers = { authorization: `Basic ${Buffer.from(`${creds.consumerKey}:${creds.consumerSecret}`).toString('base64')}` };
  const override = options.baseUrl ?? process.env[WOOCOMMERCE_URL_ENV];
  if (override === undefined || override === '') return { url: `${withoutTrailingSlash(site)}/wp-json/wc/v3/coupons`, headers };
  const base = safeBase(override);
  if (!base) return refuse('insecure or invalid base url');
  return {
    url: `${withoutTrailingSlash(base)}/wp-json/wc/v3/coupons`,
    headers: { ...headers, [SHOP_URL_HEADER]: withoutTrailingSlash(site) },
  };
}

/**
 * WooCommerce reads a date-time with an explicit offset as that instant and one without as the site's
 * local time, and its parser takes no fractions: whole seconds with "Z", cut down rather than rounded
 * so the coupon never outlives the reward.
 */
const wooInstant = (iso: string) => `${new Date(iso).toISOString().slice(0, 19)}Z`;

/**
 * The coupon for a request: only this email, one use in all and one per customer, alone in the cart
 * (`individual_use`), expiring at endsAt. WooCommerce has no start date: the coupon works once created.
 */
function wooCoupon(request: CodeRequest, email: string, productId: number | undefined): Record<string, unknown> {
  const value = request.value;
  const kind =
    value.kind === 'amount_off'
      ? { discount_type: 'fixed_cart', amount: formatMinorUnits(value.amount, request.currency) }
      : value.kind === 'percent_off'
        ? { discount_type: 'percent', amount: percentText(value.percent) }
        : value.kind === 'free_shipping'
          ? // Takes effect where the shop's free shipping method accepts "a valid free shipping coupon".
            { discount_type: 'fixed_cart', amount: '0', free_shipping: true }
          : { discount_type: 'percent', amount: '100', product_ids: [productId], limit_usage_to_x_items: 1 };
  return {
    code: request.code,
    description: request.title,
    ...kind,
    individual_use: true,
    usage_limit: 1,
    usage_limit_per_user: 1,
    email_restrictions: [email],
    date_expires: wooInstant(request.endsAt),
    ...(request.minOrder ? { minimum_amount: formatMinorUnits(request.minOrder, request.currency) } : {}),
    meta_data: [{ key: WOO_TITLE_META_KEY, value: request.title }],
  };
}

const WooError = z.object({ code: z.string().regex(/^[a-z0-9_]{1,80}$/) }).loose();

/** The `code` of a WordPress error body: WooCommerce's own identifier ("rest_invalid_param"), never a customer's data. */
const wooErrorCode = (body: unknown) => {
  const error = WooError.safeParse(body);
  return error.success ? error.data.code : undefined;
};
const WooCoupon = z
  .object({
    id: z.number().int().positive(),
    code: z.string().optional(),
    meta_data: z.array(z.object({ key: z.string(), value: z.unknown() }).loose()).optional(),
  })
  .loose();

export async function createWooCommerceCode(
  creds: WooCredentials,
  request: CodeRequest,
  options: WooCommerceOptions = {},
): Promise<CodeResult> {
  const checked = checkRequest(request);
  if (!checked.ok) return checked.result;
  const value = checked.request.value;
  // WooCommerce core has no cap on a percentage: `maximum_amount` is the largest ORDER the coupon accepts,
  // not the largest discount. Refused for the same reason as on Shopify.
  if (value.kind === 'percent_off' && value.maxAmount !== undefined) return refuse('percent cap unsupported by woocommerce');
  const email = checked.request.customer.email;
  // WooCommerce restricts a coupon to customers by billing email only.
  if (!email) return refuse('woocommerce needs the customer email');
  const productId = value.kind === 'free_product' && /^\d{1,15}$/.test(value.productId) ? Number(value.productId) : undefined;
  if (value.kind === 'free_product' && !productId) return refuse('invalid request: value.productId');
  const endpoint = wooEndpoint(creds, options);
  if (!('url' in endpoint)) return endpoint;

  const answer = await exchange(endpoint, { method: 'POST', body: JSON.stringify(wooCoupon(checked.request, email, productId)) }, options);
  if (answer.kind === 'failed') return answer.result;
  if (answer.status === 400 && wooErrorCode(answer.body) === 'woocommerce_rest_coupon_code_already_exists') {
    return findOwnWooCoupon(endpoint, checked.request, options);
  }
  const failed = statusFailure(answer.status, answer.headers, wooErrorCode(answer.body));
  if (failed) return failed;
  const coupon = WooCoupon.safeParse(answer.body);
  return coupon.success ? { ok: true, platformId: String(coupon.data.id) } : retry('unreadable answer');
}

/** The Shopify rule on WooCommerce: found by code (`GET /coupons?code=`), ours when it carries our title. */
async function findOwnWooCoupon(endpoint: Endpoint, request: CodeRequest, options: WooCommerceOptions): Promise<CodeResult> {
  const answer = await exchange(endpoint, { method: 'GET', query: { code: request.code } }, options);
  if (answer.kind === 'failed') return answer.result;
  const failed = statusFailure(answer.status, answer.headers, wooErrorCode(answer.body));
  if (failed) return failed;
  const coupons = z.array(WooCoupon).safeParse(answer.body);
  if (!coupons.success) return retry('unreadable answer');
  // WooCommerce keeps codes in lower case; a code matches whatever its case.
  const own = coupons.data.find(
    (coupon) =>
      coupon.code?.toLowerCase() === request.code.toLowerCase() &&
      coupon.meta_data?.some((meta) => meta.key === WOO_TITLE_META_KEY && meta.value === request.title),
  );
  return own ? { ok: true, platformId: String(own.id) } : refuse(CODE_TAKEN);
}
