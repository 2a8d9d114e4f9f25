import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod';
import { seededRandom } from '#test/support/seeded-random.ts';

/**
 * A local stand-in for Shopify's GraphQL Admin API, as far as discount codes go, written from
 * Shopify's documentation and checking every request against it:
 *
 * - endpoint, POST, JSON, X-Shopify-Access-Token:
 *   https://shopify.dev/docs/api/admin-graphql (authentication, endpoints and queries)
 * - discountCodeBasicCreate(basicCodeDiscount: DiscountCodeBasicInput!) and its payload:
 *   https://shopify.dev/docs/api/admin-graphql/latest/mutations/discountCodeBasicCreate
 *   https://shopify.dev/docs/api/admin-graphql/latest/input-objects/DiscountCodeBasicInput
 * - discountCodeFreeShippingCreate(freeShippingCode: DiscountCodeFreeShippingInput!):
 *   https://shopify.dev/docs/api/admin-graphql/latest/mutations/discountCodeFreeShippingCreate
 *   https://shopify.dev/docs/api/admin-graphql/latest/input-objects/DiscountCodeFreeShippingInput
 * - context (DiscountContextInput, DiscountCustomersInput), replacing customerSelection from 2025-10:
 *   https://shopify.dev/changelog/discount-eligibility-management
 *   https://shopify.dev/docs/api/admin-graphql/2025-10/input-objects/discountcontextinput
 * - customerGets, its value and items; minimumRequirement:
 *   https://shopify.dev/docs/api/admin-graphql/2025-10/input-objects/DiscountCustomerGetsInput
 *   https://shopify.dev/docs/api/admin-graphql/2027-01/input-objects/DiscountCustomerGetsValueInput
 *   https://shopify.dev/docs/api/admin-graphql/2025-10/input-objects/DiscountAmountInput
 *   https://shopify.dev/docs/api/admin-graphql/latest/input-objects/DiscountMinimumSubtotalInput
 * - userErrors and their codes (TAKEN for a code in use, BLANK, VALUE_OUTSIDE_RANGE…):
 *   https://shopify.dev/docs/api/admin-graphql/2025-10/enums/discounterrorcode
 * - codeDiscountNodeByCode(code: String!), case-insensitive:
 *   https://shopify.dev/docs/api/admin-graphql/2025-10/queries/codeDiscountNodeByCode
 * - THROTTLED and extensions.cost (requestedQueryCost, throttleStatus):
 *   https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits
 * - statuses (400 bad JSON or content type, 401, 404, 429, 5xx): https://shopify.dev/docs/api/usage/response-codes
 * - versions (YYYY-01/04/07/10): https://shopify.dev/docs/api/usage/versioning
 *
 * A simple approach to GraphQL: the client sends the operation text plus `variables`; the server
 * recognizes the one operation by its root field, argument and variable type in the text, checks the
 * selection it must answer, and validates the variables strictly against the documented input types
 * (a field the docs do not list is an error, as GraphQL coercion makes it). Shopify's business rules
 * come back as userErrors, like the platform's. Where the docs leave a rule open (basic discounts
 * refuse `discountOnQuantity`, which is for buy-X-get-Y), the server follows the platform's observed
 * answers.
 *
 * Because the test reaches this server through the client's base URL override, the shop travels in
 * the X-Rapport-Shop-Domain header, and a request without the configured shop is answered 404, as
 * Shopify answers an unknown shop.
 */

export type ShopifyFailure =
  | 'throttled'
  | '429'
  | '502'
  | '503'
  | '502-after-write'
  | '503-after-write'
  | 'reset-after-write'
  | 'timeout-after-write';

export interface ShopifyServerOptions {
  accessToken?: string;
  shopDomain?: string;
  /** The fraction of requests that fail, drawn from `seed`: THROTTLED, 429, 502 or 503 before any write. */
  failRate?: number;
  seed?: number;
  /** Of those failures, the fraction that happens after the write instead (a 502, a 503 or a reset connection). */
  afterWrite?: number;
}

/** What the shop would hold: one entry per code created. */
export interface ShopifyDiscountRecord {
  id: string;
  kind: 'basic' | 'free_shipping';
  code: string;
  title: string;
  /** Basic discounts: the percentage (0–1) or the amount off the order; null for free shipping. */
  value: { percentage: number } | { amount: string; appliesOnEachItem: boolean } | null;
  items: 'all' | { products: string[] } | null;
  customers: string[];
  usageLimit: number | null;
  appliesOncePerCustomer: boolean;
  startsAt: string;
  endsAt: string | null;
  minimumSubtotal: string | null;
  destination: 'all' | null;
  shopDomain: string;
  apiVersion: string;
}

export interface ShopifyAdminServer {
  url: string;
  accessToken: string;
  shopDomain: string;
  created(): ShopifyDiscountRecord[];
  requests(): number;
  /** The next request fails this way, whatever the fail rate. */
  failNext(kind: ShopifyFailure): void;
  close(): Promise<void>;
}

const RELEASED_VERSION = /^\d{4}-(01|04|07|10)$/;
const BEFORE_WRITE: ShopifyFailure[] = ['throttled', '429', '502', '503'];
const AFTER_WRITE: ShopifyFailure[] = ['502-after-write', '503-after-write', 'reset-after-write'];

/** The cost of a discount mutation or lookup, and the bucket a THROTTLED answer reports: a 60 ms wait. */
const QUERY_COST = 10;
const THROTTLED_BUCKET = { maximumAvailable: 2000, currentlyAvailable: 4, restoreRate: 100 };

// ── documented input types, strictly ─────────────────────────────────────────────────────────

const Decimal = z.string().regex(/^-?\d+(\.\d+)?$/);
const DateTime = z.iso.datetime({ offset: true });
const UnsignedInt64 = z.string().regex(/^\d+$/);
const gid = (type: string) => z.string().regex(new RegExp(`^gid://shopify/${type}/\\d+$`));
const addRemove = (id: z.ZodString) => z.strictObject({ add: z.array(id).optional(), remove: z.array(id).optional() });

const DiscountContextInput = z.strictObject({
  all: z.literal('ALL').optional(),
  customers: addRemove(gid('Customer')).optional(),
  customerSegments: addRemove(gid('Segment')).optional(),
  markets: addRemove(gid('Market')).optional(),
});
const DiscountCustomerSelectionInput = z.strictObject({
  all: z.boolean().optional(),
  customers: addRemove(gid('Customer')).optional(),
  customerSegments: addRemove(gid('Segment')).optional(),
});
const DiscountCustomerGetsValueInput = z.strictObject({
  percentage: z.number().optional(),
  discountAmount: z.strictObject({ amount: Decimal, appliesOnEachItem: z.boolean().optional() }).optional(),
  discountOnQuantity: z
    .strictObject({
      quantity: UnsignedInt64.optional(),
      effect: z.strictObject({ percentage: z.number().optional(), amount: Decimal.optional() }).optional(),
    })
    .optional(),
});
const DiscountItemsInput = z.strictObject({
  all: z.boolean().optional(),
  products: z
    .strictObject({
      productsToAdd: z.array(gid('Product')).optional(),
      productsToRemove: z.array(gid('Product')).optional(),
      productVariantsToAdd: z.array(gid('ProductVariant')).optional(),
      productVariantsToRemove: z.array(gid('ProductVariant')).optional(),
    })
    .optional(),
  collections: addRemove(gid('Collection')).optional(),
});
const DiscountCustomerGetsInput = z.strictObject({
  value: DiscountCustomerGetsValueInput.optional(),
  items: DiscountItemsInput.optional(),
  appliesOnOneTimePurchase: z.boolean().optional(),
  appliesOnSubscription: z.boolean().optional(),
});
const DiscountMinimumRequirementInput = z.strictObject({
  subtotal: z.strictObject({ greaterThanOrEqualToSubtotal: Decimal.optional() }).optional(),
  quantity: z.strictObject({ greaterThanOrEqualToQuantity: UnsignedInt64.optional() }).optional(),
});
const DiscountCombinesWithInput = z.strictObject({
  orderDiscounts: z.boolean().optional(),
  productDiscounts: z.boolean().optional(),
  shippingDiscounts: z.boolean().optional(),
});
const common = {
  appliesOncePerCustomer: z.boolean().nullish(),
  code: z.string().nullish(),
  combinesWith: DiscountCombinesWithInput.nullish(),
  context: DiscountContextInput.nullish(),
  customerSelection: DiscountCustomerSelectionInput.nullish(),
  endsAt: DateTime.nullish(),
  minimumRequirement: DiscountMinimumRequirementInput.nullish(),
  recurringCycleLimit: z.number().int().nullish(),
  startsAt: DateTime.nullish(),
  tags: z.array(z.string()).nullish(),
  title: z.string().nullish(),
  usageLimit: z.number().int().nullish(),
};
const DiscountCodeBasicInput = z.strictObject({ ...common, customerGets: DiscountCustomerGetsInput.nullish() });
const DiscountCodeFreeShippingInput = z.strictObject({
  ...common,
  appliesOnOneTimePurchase: z.boolean().nullish(),
  appliesOnSubscription: z.boolean().nullish(),
  destination: z.strictObject({ all: z.boolean().optional(), countries: z.unknown().optional() }).nullish(),
  maximumShippingPrice: Decimal.nullish(),
});

type BasicInput = z.infer<typeof DiscountCodeBasicInput>;
type FreeShippingInput = z.infer<typeof DiscountCodeFreeShippingInput>;

// ── operations, recognized in the text ───────────────────────────────────────────────────────

interface Operation {
  name: 'discountCodeBasicCreate' | 'discountCodeFreeShippingCreate' | 'codeDiscountNodeByCode';
  kind: 'mutation' | 'query';
  argument: string;
  type: string;
  /** What the client reads from the answer, so it must be selected. */
  selects: RegExp[];
}

const CREATE_SELECTS = [/codeDiscountNode\s*\{[^}]*\bid\b/, /userErrors\s*\{[^}]*\bfield\b[^}]*\}/, /userErrors\s*\{[^}]*\bcode\b[^}]*\}/];
const OPERATIONS: Operation[] = [
  {
    name: 'discountCodeBasicCreate',
    kind: 'mutation',
    argument: 'basicCodeDiscount',
    type: 'DiscountCodeBasicInput!',
    selects: CREATE_SELECTS,
  },
  {
    name: 'discountCodeFreeShippingCreate',
    kind: 'mutation',
    argument: 'freeShippingCode',
    type: 'DiscountCodeFreeShippingInput!',
    selects: CREATE_SELECTS,
  },
  {
    name: 'codeDiscountNodeByCode',
    kind: 'query',
    argument: 'code',
    type: 'String!',
    selects: [
      /codeDiscountNodeByCode\s*\([^)]*\)\s*\{\s*[^{]*\bid\b/,
      /on DiscountCodeBasic\s*\{[^}]*\btitle\b/,
      /on DiscountCodeFreeShipping\s*\{[^}]*\btitle\b/,
    ],
  },
];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\!]/g, '\\$&');

/** The operation and the name of its variable, or why the text is not one the contract knows. */
function recognize(query: string): { operation: Operation; variable: string } | { error: string } {
  const text = query.replace(/\s+/g, ' ').trim();
  const named = OPERATIONS.filter((op) => new RegExp(`\\b${op.name}\\s*\\(`).test(text));
  if (named.length !== 1) return { error: `expected exactly one known root field, found ${named.length}` };
  const operation = named[0]!;
  if (!text.startsWith(operation.kind)) return { error: `${operation.name} is a ${operation.kind}` };
  const call = new RegExp(`\\b${operation.name}\\s*\\(\\s*${operation.argument}\\s*:\\s*\\$(\\w+)\\s*\\)`).exec(text);
  if (!call) return { error: `${operation.name} must take ${operation.argument} from a variable` };
  const variable = call[1]!;
  if (!new RegExp(`\\$${variable}\\s*:\\s*${escapeRegExp(operation.type)}`).test(text)) {
    return { error: `$${variable} must be declared as ${operation.type}` };
  }
  const missing = operation.selects.find((selection) => !selection.test(text));
  if (missing) return { error: `the selection must include ${missing.source}` };
  return { operation, variable };
}

// ── the business rules, answered as userErrors ───────────────────────────────────────────────

interface UserError {
  field: string[];
  code: string;
  message: string;
  extraInfo: null;
}

const userError = (field: string[], code: string, message: string): UserError => ({ field, code, message, extraInfo: null });
const count = (...values: unknown[]) => values.filter((value) => value !== undefined && value !== null).length;

function commonErrors(arg: string, input: BasicInput | FreeShippingInput): UserError[] {
  const errors: UserError[] = [];
  if (!input.title?.trim()) errors.push(userError([arg, 'title'], 'BLANK', "Title can't be blank"));
  else if (input.title.length > 255) errors.push(userError([arg, 'title'], 'TOO_LONG', 'Title is too long (maximum is 255 characters)'));
  if (!input.code) errors.push(userError([arg, 'code'], 'BLANK', "Code can't be blank"));
  else if (input.code.length > 255) errors.push(userError([arg, 'code'], 'TOO_LONG', 'Code is too long (maximum is 255 characters)'));
  else if (/[\r\n]/.test(input.code)) errors.push(userError([arg, 'code'], 'INVALID', 'Code cannot contain newline characters.'));
  if (!input.startsAt) errors.push(userError([arg, 'startsAt'], 'BLANK', "Starts at can't be blank"));
  if (input.context && input.customerSelection) {
    errors.push(userError([arg, 'context'], 'CONFLICT', 'Only one of context or customerSelection can be provided.'));
  } else if (!input.context && !input.customerSelection) {
    errors.push(userError([arg, 'context'], 'BLANK', "Context can't be blank"));
  } else if (input.context) {
    const { all, customers, customerSegments, markets } = input.context;
    if (count(all, customers, customerSegments, markets) !== 1) {
      errors.push(userError([arg, 'context'], 'INVALID', 'Context must select exactly one kind of buyer.'));
    } else if (customers && !customers.add?.length) {
      errors.push(userError([arg, 'context', 'customers', 'add'], 'BLANK', 'Customers must list at least one customer.'));
    }
  }
  if (input.usageLimit !== undefined && input.usageLimit !== null && input.usageLimit < 1) {
    errors.push(userError([arg, 'usageLimit'], 'GREATER_THAN_OR_EQUAL_TO', 'Usage limit must be greater than or equal to 1'));
  }
  if (input.startsAt && input.endsAt && Date.parse(input.endsAt) <= Date.parse(input.startsAt)) {
    errors.push(userError([arg, 'endsAt'], 'END_DATE_BEFORE_START_DATE', 'Ends at needs to be after starts_at'));
  }
  const minimum = input.minimumRequirement;
  if (minimum?.subtotal && minimum.quantity) {
    errors.push(userError([arg, 'minimumRequirement'], 'CONFLICT', 'Specify a minimum subtotal or a quantity, but not both.'));
  } else if (minimum?.subtotal && !(Number(minimum.subtotal.greaterThanOrEqualToSubtotal) > 0)) {
    errors.push(userError([arg, 'minimumRequirement', 'subtotal'], 'GREATER_THAN', 'Minimum subtotal must be greater than 0'));
  }
  return errors;
}

function customerGetsErrors(arg: string, gets: BasicInput['customerGets']): UserError[] {
  if (!gets?.value || !gets.items) return [userError([arg, 'customerGets'], 'BLANK', "Customer gets can't be blank")];
  const errors: UserError[] = [];
  const { percentage, discountAmount, discountOnQuantity } = gets.value;
  if (discountOnQuantity) {
    errors.push(
      userError(
        [arg, 'customerGets', 'value', 'discountOnQuantity'],
        'INVALID',
        'discountOnQuantity field is only permitted with bxgy discounts.',
      ),
    );
  } else if (count(percentage, discountAmount) !== 1) {
    errors.push(userError([arg, 'customerGets', 'value'], 'INVALID', 'Value must be exactly one of percentage or discountAmount.'));
  } else if (percentage !== undefined && !(percentage > 0 && percentage <= 1)) {
    errors.push(userError([arg, 'customerGets', 'value', 'percentage'], 'VALUE_OUTSIDE_RANGE', 'Percentage must be between 0 and 1.'));
  } else if (discountAmount && !(Number(discountAmount.amount) > 0)) {
    errors.push(userError([arg, 'customerGets', 'value', 'discountAmount', 'amount'], 'GREATER_THAN', 'Amount must be greater than 0'));
  }
  const { all, products, collections } = gets.items;
  if (count(all || undefined, products, collections) !== 1) {
    errors.push(userError([arg, 'customerGets', 'items'], 'INVALID', 'Items must be exactly one of all, products or collections.'));
  } else if (products && !products.productsToAdd?.length && !products.productVariantsToAdd?.length) {
    errors.push(userError([arg, 'customerGets', 'items', 'products'], 'BLANK', 'Products must list at least one product or variant.'));
  }
  return errors;
}

// ── the server ───────────────────────────────────────────────────────────────────────────────

class ContractError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new ContractError(413, { errors: 'Request entity too large' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!DOCTYPE html><html><body><h1>${status}</h1><p>There was a problem loading this website.</p></body></html>`);
}

const costExtension = (throttled = false) => ({
  cost: {
    requestedQueryCost: QUERY_COST,
    actualQueryCost: throttled ? null : QUERY_COST,
    throttleStatus: throttled ? THROTTLED_BUCKET : { ...THROTTLED_BUCKET, currentlyAvailable: 1990 },
  },
});

export async function startShopifyAdminServer(options: ShopifyServerOptions = {}): Promise<ShopifyAdminServer> {
  const accessToken = options.accessToken ?? 'shpat_contract_0123456789abcdef';
  const shopDomain = options.shopDomain ?? 'traviet.myshopify.com';
  const random = seededRandom(options.seed ?? 1);
  const queued: ShopifyFailure[] = [];
  const discounts = new Map<string, ShopifyDiscountRecord>();
  let requests = 0;
  let nextId = 1_000_001;

  const nextFailure = (): ShopifyFailure | undefined => {
    if (queued.length > 0) return queued.shift();
    if (!options.failRate || random() >= options.failRate) return undefined;
    const pool = options.afterWrite && random() < options.afterWrite ? AFTER_WRITE : BEFORE_WRITE;
    return pool[Math.floor(random() * pool.length)];
  };

  const create = (
    kind: ShopifyDiscountRecord['kind'],
    arg: string,
    input: BasicInput | FreeShippingInput,
    apiVersion: string,
  ): { codeDiscountNode: { id: string } | null; userErrors: UserError[] } => {
    const errors = commonErrors(arg, input);
    if (kind === 'basic') errors.push(...customerGetsErrors(arg, (input as BasicInput).customerGets));
    if (kind === 'free_shipping' && !(input as FreeShippingInput).destination) {
      errors.push(userError([arg, 'destination'], 'BLANK', "Destination can't be blank"));
    }
    // Codes are unique in a shop whatever their case: codeDiscountNodeByCode finds them that way too.
    if (input.code && discounts.has(input.code.toLowerCase())) {
      errors.push(userError([arg, 'code'], 'TAKEN', 'Code must be unique. Please try a different code.'));
    }
    if (errors.length > 0) return { codeDiscountNode: null, userErrors: errors };
    const gets = kind === 'basic' ? (input as BasicInput).customerGets : undefined;
    const value = gets?.value;
    const record: ShopifyDiscountRecord = {
      id: `gid://shopify/DiscountCodeNode/${nextId++}`,
      kind,
      code: input.code!,
      title: input.title!,
      value:
        value?.percentage !== undefined
          ? { percentage: value.percentage }
          : value?.discountAmount
            ? { amount: value.discountAmount.amount, appliesOnEachItem: value.discountAmount.appliesOnEachItem ?? false }
            : null,
      items: gets?.items ? (gets.items.all ? 'all' : { products: gets.items.products?.productsToAdd ?? [] }) : null,
      customers: input.context?.customers?.add ?? input.customerSelection?.customers?.add ?? [],
      usageLimit: input.usageLimit ?? null,
      appliesOncePerCustomer: input.appliesOncePerCustomer ?? false,
      startsAt: input.startsAt!,
      endsAt: input.endsAt ?? null,
      minimumSubtotal: input.minimumRequirement?.subtotal?.greaterThanOrEqualToSubtotal ?? null,
      destination: kind === 'free_shipping' && (input as FreeShippingInput).destination?.all ? 'all' : null,
      shopDomain,
      apiVersion,
    };
    discounts.set(record.code.toLowerCase(), record);
    return { codeDiscountNode: { id: record.id }, userErrors: [] };
  };

  /** The GraphQL answer to a contract-valid request (the write, when it is a mutation). */
  const execute = (operation: Operation, input: unknown, apiVersion: string): unknown => {
    const schema =
      operation.name === 'discountCodeBasicCreate'
        ? DiscountCodeBasicInput
        : operation.name === 'discountCodeFreeShippingCreate'
          ? DiscountCodeFreeShippingInput
          : z.string();
    const parsed = schema.safeParse(input);
    if (!parsed.success) {
      // What GraphQL variable coercion answers for a wrong type or a field the input type lacks.
      const issue = parsed.error.issues[0]!;
      return {
        errors: [
          {
            message: `Variable $${operation.argument} of type ${operation.type} was provided invalid value for ${issue.path.join('.') || 'input'} (${issue.message})`,
            extensions: { code: 'INVALID_VARIABLE', problems: [{ path: issue.path, explanation: issue.message }] },
          },
        ],
      };
    }
    if (operation.name === 'codeDiscountNodeByCode') {
      const found = discounts.get((parsed.data as string).toLowerCase());
      const node = found
        ? {
            id: found.id,
            codeDiscount: { __typename: found.kind === 'basic' ? 'DiscountCodeBasic' : 'DiscountCodeFreeShipping', title: found.title },
          }
        : null;
      return { data: { codeDiscountNodeByCode: node }, extensions: costExtension() };
    }
    const kind = operation.name === 'discountCodeBasicCreate' ? 'basic' : 'free_shipping';
    const payload = create(kind, operation.argument, parsed.data as BasicInput | FreeShippingInput, apiVersion);
    return { data: { [operation.name]: payload }, extensions: costExtension() };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requests += 1;
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const version = /^\/admin\/api\/([^/]+)\/graphql\.json$/.exec(path)?.[1];
    if (!version || !RELEASED_VERSION.test(version)) throw new ContractError(404, { errors: 'Not Found' });
    if (req.method !== 'POST') throw new ContractError(405, { errors: 'Method Not Allowed' });
    if (req.headers['x-shopify-access-token'] !== accessToken) {
      throw new ContractError(401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    }
    if (req.headers['x-rapport-shop-domain'] !== shopDomain) throw new ContractError(404, { errors: 'Not Found' });
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new ContractError(400, { errors: 'Bad Request' });
    let request: { query: string; variables?: Record<string, unknown> | undefined };
    try {
      request = z
        .strictObject({ query: z.string(), variables: z.record(z.string(), z.unknown()).optional(), operationName: z.string().optional() })
        .parse(JSON.parse(body));
    } catch {
      throw new ContractError(400, { errors: 'Bad Request' });
    }
    const recognized = recognize(request.query);
    if ('error' in recognized) {
      sendJson(res, 200, { errors: [{ message: `contract: ${recognized.error}`, extensions: { code: 'undefinedField' } }] });
      return;
    }
    const extra = Object.keys(request.variables ?? {}).filter((name) => name !== recognized.variable);
    if (extra.length > 0) {
      sendJson(res, 200, {
        errors: [{ message: `contract: undeclared variables ${extra.join(', ')}`, extensions: { code: 'variableNotDefined' } }],
      });
      return;
    }

    const failure = nextFailure();
    if (failure === 'throttled') {
      sendJson(res, 200, {
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: costExtension(true),
      });
      return;
    }
    if (failure === '429') {
      sendJson(
        res,
        429,
        { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' },
        { 'retry-after': '1.0' },
      );
      return;
    }
    if (failure === '502' || failure === '503') return sendHtml(res, Number(failure));

    const answer = execute(recognized.operation, request.variables?.[recognized.variable], version);
    if (failure === '502-after-write' || failure === '503-after-write') return sendHtml(res, Number(failure.slice(0, 3)));
    if (failure === 'reset-after-write') {
      res.socket?.destroy();
      return;
    }
    // timeout-after-write: the write stands and no answer ever comes; close() ends the connection.
    if (failure === 'timeout-after-write') return;
    sendJson(res, 200, answer);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof ContractError) sendJson(res, error.status, error.body);
      else sendJson(res, 500, { errors: 'Internal Server Error' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    accessToken,
    shopDomain,
    created: () => structuredClone([...discounts.values()]),
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
