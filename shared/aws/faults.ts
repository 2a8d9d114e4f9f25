import { randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import { config } from '#shared/config.ts';
import { logger } from '#shared/observability.ts';

/**
 * Fault injection for the local runtime: with RAPPORT_FAULTS set, the AWS clients fail the ways AWS
 * calls fail, so the retries, redeliveries and idempotency the design relies on are exercised on one
 * laptop. config.ts refuses the setting anywhere but locally; unset or empty, no wrapper is installed.
 *
 * Grammar (items separated by commas, spaces around an item ignored, nothing else accepted):
 *
 *   RAPPORT_FAULTS = item *("," item)
 *   item           = rate                        a rate for every call of every service
 *                  / service "=" rate            e.g. dynamodb=0.1
 *                  / service "." operation "=" rate   e.g. ses.SendRawEmail=0.3
 *                  / "seed=" integer             0 to 4294967295; without it a random seed is chosen
 *   service        = "dynamodb" / "sqs" / "ses"
 *   operation      = an operation of that service's API, spelled as the SDK does (PutItem, SendMessageBatch)
 *   rate           = a decimal from 0 to 1: the share of calls that fail
 *
 * The most specific rate applies (service.Operation, then service, then the bare rate; else 0), each
 * at most once. `0.1`, `dynamodb=0.1,ses.SendRawEmail=0.3,sqs=0.05,seed=42` and `0.05,sqs=0` are valid.
 *
 * How a fault reaches the SDK: the wrapper replaces the client's `config.requestHandler` (the smithy
 * HTTP handler), so the SDK's own deserializers and retry strategy see exactly the status, headers
 * and body AWS would send, or the error Node's HTTP handler would throw. Every call draws one number
 * from a PRNG seeded by (seed, service); a call that fails draws one more to choose its kind among
 * those that make sense for it:
 *
 * - throttle: DynamoDB ProvisionedThroughputExceededException or ThrottlingException (400); SQS
 *   RequestThrottled (403, as its model says) or ThrottlingException (400); SES Throttling (400).
 *   Retried by the SDK after a throttling backoff (SES's client makes one attempt: the queue retries).
 * - server-error: InternalServerError (DynamoDB) or InternalFailure (SQS, SES), 500; ServiceUnavailable, 503.
 * - timeout-before: the request never reached the service; Node's TimeoutError (code ETIMEDOUT).
 * - timeout-after: the call took effect and its answer was lost; the same TimeoutError. The SDK
 *   retries it, so a non-idempotent write happens twice, as it can on AWS.
 * - condition-race: ConditionalCheckFailedException without performing the write, only on DynamoDB
 *   PutItem/UpdateItem/DeleteItem whose ConditionExpression tests a version for equality (see
 *   isOptimisticLock for why only there).
 * - rejected: SES MessageRejected (400, permanent), a small share of the faults of SES Send* calls.
 * - crash: after a write took effect (DynamoDB PutItem/UpdateItem/DeleteItem/BatchWriteItem/
 *   TransactWriteItems, SQS SendMessage*, DeleteMessage*, SES Send*), an InjectedCrash error that no
 *   retry strategy retries: the handler dies half way, as a Lambda that runs out of time does, and
 *   the queue redelivers its record.
 *
 * Every injected error says so: its message starts `injected fault:` and names the call, its number
 * and the seed. The seed is logged once (a warning, with the setting that replays it) and returned by
 * faultCounts(), with the calls and faults per service, operation and kind.
 */

export const FAULT_SERVICES = ['dynamodb', 'sqs', 'ses'] as const;
export type FaultService = (typeof FAULT_SERVICES)[number];

export const FAULT_KINDS = ['throttle', 'server-error', 'timeout-before', 'timeout-after', 'condition-race', 'rejected', 'crash'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultPlan {
  /** The setting as written, trimmed; with `,seed=N` once a random seed is pinned. */
  readonly setting: string;
  /** The seed of the setting; undefined when a random one is to be chosen. */
  readonly seed: number | undefined;
  /** Rates keyed `*` (every call), `service` or `service.Operation`. */
  readonly rates: Readonly<Record<string, number>>;
  /** Tests only: limit the kinds a fault is chosen among (a call none fits passes untouched). */
  readonly kinds?: readonly FaultKind[];
}

/** The setting is wrong; the message names the item and what is wrong with it. */
export class FaultSettingError extends Error {
  override readonly name = 'FaultSettingError';
}

/** What Node's HTTP handler throws when a request times out: the SDK retries it as transient. */
export class InjectedTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  readonly code = 'ETIMEDOUT';
}

/**
 * A consumer dying between two writes. Its name, code and missing status match nothing in
 * @smithy/core's service-error classification (throttling, transient, clock skew), so no SDK retries it.
 */
export class InjectedCrashError extends Error {
  override readonly name = 'InjectedCrash';
}

/** The operations of each API in the pinned SDK (3.1162), so that a misspelt operation is refused. */
const OPERATIONS: Record<FaultService, ReadonlySet<string>> = {
  dynamodb: words(`BatchExecuteStatement BatchGetItem BatchWriteItem CancelBulkOperation CreateBackup CreateGlobalTable
    CreateTable DeleteBackup DeleteItem DeleteResourcePolicy DeleteTable DescribeBackup DescribeBulkOperation
    DescribeContinuousBackups DescribeContributorInsights DescribeEndpoints DescribeExport DescribeGlobalTable
    DescribeGlobalTableSettings DescribeImport DescribeKinesisStreamingDestination DescribeLimits DescribeTable
    DescribeTableReplicaAutoScaling DescribeTimeToLive DisableKinesisStreamingDestination EnableKinesisStreamingDestination
    ExecuteStatement ExecuteTransaction ExportTableToPointInTime GetItem GetResourcePolicy ImportTable ListBackups
    ListBulkOperations ListContributorInsights ListExports ListGlobalTables ListImports ListTables ListTagsOfResource
    PutItem PutResourcePolicy Query RestoreTableFromBackup RestoreTableToPointInTime Scan SearchVectors StartBulkPutItems
    TagResource TransactGetItems TransactWriteItems UntagResource UpdateContinuousBackups UpdateContributorInsights
    UpdateGlobalTable UpdateGlobalTableSettings UpdateItem UpdateKinesisStreamingDestination UpdateTable
    UpdateTableReplicaAutoScaling UpdateTimeToLive`),
  sqs: words(`AddPermission CancelMessageMoveTask ChangeMessageVisibility ChangeMessageVisibilityBatch CreateQueue
    DeleteMessage DeleteMessageBatch DeleteQueue GetQueueAttributes GetQueueUrl ListDeadLetterSourceQueues
    ListMessageMoveTasks ListQueueTags ListQueues PurgeQueue ReceiveMessage RemovePermission SendMessage SendMessageBatch
    SetQueueAttributes StartMessageMoveTask TagQueue UntagQueue`),
  ses: words(`CloneReceiptRuleSet CreateConfigurationSet CreateConfigurationSetEventDestination
    CreateConfigurationSetTrackingOptions CreateCustomVerificationEmailTemplate CreateReceiptFilter CreateReceiptRule
    CreateReceiptRuleSet CreateTemplate DeleteConfigurationSet DeleteConfigurationSetEventDestination
    DeleteConfigurationSetTrackingOptions DeleteCustomVerificationEmailTemplate DeleteIdentity DeleteIdentityPolicy
    DeleteReceiptFilter DeleteReceiptRule DeleteReceiptRuleSet DeleteTemplate DeleteVerifiedEmailAddress
    DescribeActiveReceiptRuleSet DescribeConfigurationSet DescribeReceiptRule DescribeReceiptRuleSet
    GetAccountSendingEnabled GetCustomVerificationEmailTemplate GetIdentityDkimAttributes
    GetIdentityMailFromDomainAttributes GetIdentityNotificationAttributes GetIdentityPolicies
    GetIdentityVerificationAttributes GetSendQuota GetSendStatistics GetTemplate ListConfigurationSets
    ListCustomVerificationEmailTemplates ListIdentities ListIdentityPolicies ListReceiptFilters ListReceiptRuleSets
    ListTemplates ListVerifiedEmailAddresses PutConfigurationSetDeliveryOptions PutIdentityPolicy ReorderReceiptRuleSet
    SendBounce SendBulkTemplatedEmail SendCustomVerificationEmail SendEmail SendRawEmail SendTemplatedEmail
    SetActiveReceiptRuleSet SetIdentityDkimEnabled SetIdentityFeedbackForwardingEnabled
    SetIdentityHeadersInNotificationsEnabled SetIdentityMailFromDomain SetIdentityNotificationTopic SetReceiptRulePosition
    TestRenderTemplate UpdateAccountSendingEnabled UpdateConfigurationSetEventDestination
    UpdateConfigurationSetReputationMetricsEnabled UpdateConfigurationSetSendingEnabled
    UpdateConfigurationSetTrackingOptions UpdateCustomVerificationEmailTemplate UpdateReceiptRule UpdateTemplate
    VerifyDomainDkim VerifyDomainIdentity VerifyEmailAddress VerifyEmailIdentity`),
};

function words(text: string): ReadonlySet<string> {
  return new Set(text.split(/\s+/).filter(Boolean));
}

const MAX_SEED = 2 ** 32 - 1;

/** The setting parsed, or undefined when it is unset or blank. Throws FaultSettingError naming the bad item. */
export function parseFaults(text: string | undefined): FaultPlan | undefined {
  const setting = text?.trim();
  if (!setting) return undefined;
  const rates: Record<string, number> = {};
  let seed: number | undefined;
  const bad = (item: string, problem: string) => new FaultSettingError(`RAPPORT_FAULTS item '${item}': ${problem}`);
  setting.split(',').forEach((raw, index) => {
    const item = raw.trim();
    if (!item) throw new FaultSettingError(`RAPPORT_FAULTS item ${index + 1} is empty (items are separated by single commas)`);
    const equals = item.indexOf('=');
    const target = equals < 0 ? '*' : item.slice(0, equals).trim();
    const value = equals < 0 ? item : item.slice(equals + 1).trim();
    if (target === 'seed') {
      if (seed !== undefined) throw bad(item, 'the seed is given twice');
      if (!/^\d{1,10}$/.test(value) || Number(value) > MAX_SEED) throw bad(item, `the seed must be a whole number from 0 to ${MAX_SEED}`);
      seed = Number(value);
      return;
    }
    if (target !== '*') {
      const [service, operation, extra] = target.split('.');
      if (!isService(service)) throw bad(item, `unknown service '${service}' (one of ${FAULT_SERVICES.join(', ')}, or seed)`);
      if (extra !== undefined) throw bad(item, 'a target is service or service.Operation');
      if (operation !== undefined && !OPERATIONS[service].has(operation)) {
        throw bad(item, `'${operation}' is not an operation of ${service} (spelled as the SDK does, e.g. ${example(service)})`);
      }
    }
    if (!/^\d+(\.\d+)?$/.test(value) || Number(value) > 1) {
      throw bad(item, equals < 0 ? 'not a rate (a number from 0 to 1), target=rate or seed=N' : 'the rate must be a number from 0 to 1');
    }
    if (target in rates) throw bad(item, target === '*' ? 'the rate for every call is given twice' : `${target} is given twice`);
    rates[target] = Number(value);
  });
  return { setting, seed, rates };
}

function isService(name: string | undefined): name is FaultService {
  return (FAULT_SERVICES as readonly string[]).includes(name ?? '');
}

function example(service: FaultService): string {
  return { dynamodb: 'dynamodb.PutItem', sqs: 'sqs.SendMessage', ses: 'ses.SendRawEmail' }[service];
}

function rateFor(plan: FaultPlan, service: FaultService, operation: string): number {
  return plan.rates[`${service}.${operation}`] ?? plan.rates[service] ?? plan.rates['*'] ?? 0;
}

/** Whether any call of the service can fail under the plan; if none can, the client is left as it is. */
function touches(plan: FaultPlan, service: FaultService): boolean {
  return Object.entries(plan.rates).some(([target, rate]) => rate > 0 && (target === '*' || target.split('.')[0] === service));
}

/**
 * For a runtime that starts worker threads: fixes a random seed in the environment (appending
 * `,seed=N` to RAPPORT_FAULTS) before the threads copy it, so every thread draws from one seed and
 * the run can be replayed. Returns the seed, or undefined when faults are off.
 */
export function pinFaultSeed(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const plan = parseFaults(env.RAPPORT_FAULTS);
  if (!plan) return undefined;
  if (plan.seed !== undefined) return plan.seed;
  const seed = randomInt(MAX_SEED);
  env.RAPPORT_FAULTS = `${plan.setting},seed=${seed}`;
  return seed;
}

// ——— counters ———

export interface FaultCounts {
  /** The seed in use; undefined until a client is wrapped. */
  seed: number | undefined;
  /** The setting in use, with its seed: setting RAPPORT_FAULTS to it replays the decisions. */
  replay: string | undefined;
  calls: number;
  faults: number;
  byKind: Partial<Record<FaultKind, number>>;
  /** Keyed `service.Operation`. */
  byOperation: Record<string, { calls: number; faults: number; byKind: Partial<Record<FaultKind, number>> }>;
}

// ——— the injector ———

interface HandlerOutput {
  response: unknown;
}

/** The part of a smithy RequestHandler the wrapper uses and forwards. */
interface RequestHandlerLike {
  metadata?: { handlerProtocol: string };
  handle(request: unknown, options?: unknown): Promise<HandlerOutput>;
  destroy?(): void;
  updateHttpClientConfig?(key: string, value: unknown): void;
  httpHandlerConfigs?(): unknown;
}

/** Any SDK v3 client (DynamoDBDocumentClient shares its base client's config). */
export interface FaultableClient {
  config: { requestHandler: RequestHandlerLike };
}

/** The smithy HttpRequest fields read here. */
interface SdkRequest {
  headers: Record<string, string>;
  body?: unknown;
}

const WRAPPED = Symbol.for('rapport.faults');

interface Injector {
  plan: FaultPlan;
  seed: number;
  replay: string;
  next: Record<FaultService, () => number>;
  served: Record<FaultService, number>;
  counts: FaultCounts;
}

let active: Injector | undefined;

function injectorFor(plan: FaultPlan): Injector {
  if (active?.plan === plan) return active;
  const seed = plan.seed ?? randomInt(MAX_SEED);
  const replay = plan.seed === undefined ? `${plan.setting},seed=${seed}` : plan.setting;
  active = {
    plan,
    seed,
    replay,
    next: { dynamodb: prng(seed, 'dynamodb'), sqs: prng(seed, 'sqs'), ses: prng(seed, 'ses') },
    served: { dynamodb: 0, sqs: 0, ses: 0 },
    counts: { seed, replay, calls: 0, faults: 0, byKind: {}, byOperation: {} },
  };
  logger.warn('AWS calls fail on purpose (RAPPORT_FAULTS)', { faultSeed: seed, replayWith: `RAPPORT_FAULTS=${replay}` });
  return active;
}

/**
 * Installs fault injection on an SDK v3 client when the plan (by default the validated config's)
 * makes some call of the service fail; otherwise returns the client untouched. Idempotent.
 */
export function withFaults<C extends FaultableClient>(
  client: C,
  service: FaultService,
  plan: FaultPlan | undefined = config().RAPPORT_FAULTS,
): C {
  if (!plan || !touches(plan, service)) return client;
  const inner = client.config.requestHandler;
  if (WRAPPED in inner) return client;
  const injector = injectorFor(plan);
  const wrapper: RequestHandlerLike & { [WRAPPED]: true } = {
    [WRAPPED]: true,
    get metadata() {
      return inner.metadata;
    },
    handle: (request, options) => handleWithFaults(injector, service, inner, request as SdkRequest, options),
    destroy: () => inner.destroy?.(),
    updateHttpClientConfig: (key, value) => inner.updateHttpClientConfig?.(key, value),
    httpHandlerConfigs: () => inner.httpHandlerConfigs?.() ?? {},
  };
  client.config.requestHandler = wrapper;
  return client;
}

/** Calls and faults so far in this process (each worker thread keeps its own). */
export function faultCounts(): FaultCounts {
  return structuredClone(active?.counts ?? { seed: undefined, replay: undefined, calls: 0, faults: 0, byKind: {}, byOperation: {} });
}

/** One line for a report: `faults injected: 12 in 340 calls (throttle 5, ...); replay with RAPPORT_FAULTS=...`. */
export function faultSummary(): string {
  const counts = faultCounts();
  if (counts.replay === undefined) return 'faults injected: none (RAPPORT_FAULTS is off)';
  const kinds = FAULT_KINDS.filter((kind) => counts.byKind[kind]).map((kind) => `${kind} ${counts.byKind[kind]}`);
  return `faults injected: ${counts.faults} in ${counts.calls} calls${kinds.length ? ` (${kinds.join(', ')})` : ''}; replay with RAPPORT_FAULTS=${counts.replay}`;
}

/** Forgets the seed, the random streams and the counters: the next wrapped client starts afresh (tests, benchmarks). */
export function resetFaults(): void {
  active = undefined;
}

async function handleWithFaults(
  injector: Injector,
  service: FaultService,
  inner: RequestHandlerLike,
  request: SdkRequest,
  options: unknown,
): Promise<HandlerOutput> {
  const operation = operationOf(service, request);
  const call = ++injector.served[service];
  const stats = count(injector.counts, `${service}.${operation}`);
  const next = injector.next[service];
  const rate = rateFor(injector.plan, service, operation);
  if (next() >= rate) return inner.handle(request, options);
  const draw = next();
  const kinds = applicableKinds(service, operation, request).filter((kind) => !injector.plan.kinds || injector.plan.kinds.includes(kind));
  const chosen = choose(kinds, draw);
  if (!chosen) return inner.handle(request, options);
  const { kind, variant } = chosen;
  for (const tally of [injector.counts, stats]) {
    tally.faults++;
    tally.byKind[kind] = (tally.byKind[kind] ?? 0) + 1;
  }
  const where = `(${service}.${operation}, call ${call}, seed ${injector.seed})`;
  switch (kind) {
    case 'timeout-before':
      throw new InjectedTimeoutError(`injected fault: the request timed out before reaching the service ${where}`);
    case 'timeout-after':
      discard(await inner.handle(request, options));
      throw new InjectedTimeoutError(`injected fault: the call took effect, then its answer timed out ${where}`);
    case 'crash':
      discard(await inner.handle(request, options));
      throw new InjectedCrashError(`injected fault: the handler crashed after this write took effect ${where}`);
    default:
      return {
        response: errorResponse(
          service,
          kind,
          variant,
          `injected fault: ${ANSWERED[kind]} ${where}`,
          `injected-${injector.seed}-${service}-${call}`,
        ),
      };
  }
}

function count(counts: FaultCounts, key: string) {
  counts.calls++;
  counts.byOperation[key] ??= { calls: 0, faults: 0, byKind: {} };
  const stats = counts.byOperation[key];
  stats.calls++;
  return stats;
}

/** A lost answer still arrived on the socket: reading it to the end returns the connection to the pool. */
function discard(output: HandlerOutput): void {
  const body = (output.response as { body?: unknown } | undefined)?.body;
  if (body instanceof Readable) body.resume();
}

// ——— which call, which faults ———

/** awsJson1_0 (DynamoDB, SQS) names the operation in x-amz-target; awsQuery (SES) in the form body's Action. */
function operationOf(service: FaultService, request: SdkRequest): string {
  if (service !== 'ses') return request.headers['x-amz-target']?.split('.')[1] ?? 'Unknown';
  return /^Action=([A-Za-z]+)/.exec(bodyText(request.body, 64))?.[1] ?? 'Unknown';
}

function bodyText(body: unknown, limit = Number.POSITIVE_INFINITY): string {
  if (typeof body === 'string') return body.slice(0, limit);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, Math.min(body.byteLength, limit)).toString('utf8');
  return '';
}

const WRITES: Record<FaultService, (operation: string) => boolean> = {
  dynamodb: (op) => ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'].includes(op),
  sqs: (op) => op.startsWith('SendMessage') || op.startsWith('DeleteMessage'),
  ses: (op) => op.startsWith('Send'),
};

/** Relative weights of the kinds a failing call chooses among. */
const WEIGHTS: Record<FaultKind, number> = {
  throttle: 30,
  'server-error': 20,
  'timeout-before': 15,
  'timeout-after': 15,
  'condition-race': 10,
  crash: 10,
  rejected: 5,
};

function applicableKinds(service: FaultService, operation: string, request: SdkRequest): FaultKind[] {
  const kinds: FaultKind[] = ['throttle', 'server-error', 'timeout-before', 'timeout-after'];
  const write = WRITES[service](operation);
  if (write) kinds.push('crash');
  if (service === 'ses' && write && operation !== 'SendBounce') kinds.push('rejected');
  if (service === 'dynamodb' && ['PutItem', 'UpdateItem', 'DeleteItem'].includes(operation) && isOptimisticLock(request.body)) {
    kinds.push('condition-race');
  }
  return kinds;
}

/** A kind by weight, and a variant (e.g. which throttling error) from where the draw fell inside it. */
function choose(kinds: FaultKind[], draw: number): { kind: FaultKind; variant: number } | undefined {
  const total = kinds.reduce((sum, kind) => sum + WEIGHTS[kind], 0);
  let at = draw * total;
  for (const kind of kinds) {
    if (at < WEIGHTS[kind]) return { kind, variant: at / WEIGHTS[kind] };
    at -= WEIGHTS[kind];
  }
  return undefined;
}

/**
 * The attributes that hold an item's version: the profile's `pv` (customer-repo, profile-history),
 * the order's `ver` (order-repo) and the program's `version` (program-repo).
 */
const VERSION_ATTRIBUTES = ['pv', 'ver', 'version'];

/**
 * Whether a write is guarded by an optimistic lock: its condition tests a version attribute for
 * equality with a value the caller read (`pv = :pv`, `#v = :basedOn`). Only there is a forged
 * ConditionalCheckFailedException honest. DynamoDB answers it when the condition is false at the time
 * of the write, and a caller of an optimistic lock knows only that someone may have written since it
 * read: it reads again and retries (or tells its own caller to), which is exactly what a real race
 * between two consumers makes it do. Everywhere else the failure is a statement about the stored item
 * that the caller acts on, and a spurious one is a lie AWS never tells: `attribute_not_exists(PK)`
 * says the item exists already (a create would be skipped as a duplicate), `pointsBalance >= :needed`
 * says the balance is too small (a customer would be refused points they have), `ver < :ver` says a
 * newer order state is stored (the newer one would be dropped). An absent version
 * (`attribute_not_exists(pv)`) is such an existence guard too, and is left alone.
 */
function isOptimisticLock(body: unknown): boolean {
  let input: { ConditionExpression?: unknown; ExpressionAttributeNames?: Record<string, string> };
  try {
    input = JSON.parse(bodyText(body));
  } catch {
    return false;
  }
  if (typeof input.ConditionExpression !== 'string') return false;
  const names = input.ExpressionAttributeNames ?? {};
  const condition = input.ConditionExpression.replace(/#[A-Za-z0-9_]+/g, (name) => names[name] ?? name);
  return VERSION_ATTRIBUTES.some((attribute) =>
    new RegExp(`(^|[\\s(])${attribute}\\s*=\\s*:[A-Za-z0-9_]+|:[A-Za-z0-9_]+\\s*=\\s*${attribute}($|[\\s)])`).test(condition),
  );
}

// ——— what the service answers ———

interface ErrorShape {
  status: number;
  code: string;
  /** awsJson `__type`. */
  type?: string;
  /** awsQuery `<Type>` and SQS's x-amzn-query-error. */
  fault: 'Sender' | 'Receiver';
}

const DYNAMODB = 'com.amazonaws.dynamodb.v20120810';

/** The message's first words for the kinds the service answers itself. */
const ANSWERED: Partial<Record<FaultKind, string>> = {
  throttle: 'the service throttled the call',
  'server-error': 'the service failed',
  'condition-race': 'a concurrent writer changed the version first',
  rejected: 'the service rejected the message',
};

const ERRORS: Record<FaultService, Partial<Record<FaultKind, ErrorShape[]>>> = {
  dynamodb: {
    throttle: [
      {
        status: 400,
        code: 'ProvisionedThroughputExceededException',
        type: `${DYNAMODB}#ProvisionedThroughputExceededException`,
        fault: 'Sender',
      },
      { status: 400, code: 'ThrottlingException', type: `${DYNAMODB}#ThrottlingException`, fault: 'Sender' },
    ],
    'server-error': [
      { status: 500, code: 'InternalServerError', type: `${DYNAMODB}#InternalServerError`, fault: 'Receiver' },
      { status: 503, code: 'ServiceUnavailable', type: `${DYNAMODB}#ServiceUnavailable`, fault: 'Receiver' },
    ],
    'condition-race': [
      { status: 400, code: 'ConditionalCheckFailedException', type: `${DYNAMODB}#ConditionalCheckFailedException`, fault: 'Sender' },
    ],
  },
  sqs: {
    throttle: [
      { status: 403, code: 'RequestThrottled', type: 'com.amazonaws.sqs#RequestThrottled', fault: 'Sender' },
      { status: 400, code: 'ThrottlingException', type: 'com.amazon.coral.availability#ThrottlingException', fault: 'Sender' },
    ],
    'server-error': [
      { status: 500, code: 'InternalFailure', type: 'com.amazon.coral.service#InternalFailure', fault: 'Receiver' },
      { status: 503, code: 'ServiceUnavailable', type: 'com.amazon.coral.availability#ServiceUnavailable', fault: 'Receiver' },
    ],
  },
  ses: {
    throttle: [{ status: 400, code: 'Throttling', fault: 'Sender' }],
    'server-error': [
      { status: 500, code: 'InternalFailure', fault: 'Receiver' },
      { status: 503, code: 'ServiceUnavailable', fault: 'Receiver' },
    ],
    rejected: [{ status: 400, code: 'MessageRejected', fault: 'Sender' }],
  },
};

/** The raw HTTP answer the service gives for the error, in its protocol; a Readable body, as Node's handler gives. */
function errorResponse(service: FaultService, kind: FaultKind, variant: number, message: string, requestId: string) {
  const shapes = ERRORS[service][kind] ?? [];
  const shape = shapes[Math.min(shapes.length - 1, Math.floor(variant * shapes.length))];
  if (!shape) throw new Error(`no ${kind} answer for ${service}`);
  const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
  let body: string;
  if (service === 'ses') {
    headers['content-type'] = 'text/xml';
    body =
      `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>${shape.fault}</Type>` +
      `<Code>${shape.code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  } else {
    headers['content-type'] = 'application/x-amz-json-1.0';
    // SQS speaks JSON in query-compatible mode: the error code its query API used rides in a header.
    if (service === 'sqs') headers['x-amzn-query-error'] = `${shape.code};${shape.fault}`;
    body = JSON.stringify({ __type: shape.type, message });
  }
  const bytes = Buffer.from(body);
  headers['content-length'] = String(bytes.byteLength);
  return { statusCode: shape.status, headers, body: Readable.from([bytes]) };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ——— the random streams ———

/** mulberry32 over a seed mixed with the service's name: one independent, replayable stream per service. */
function prng(seed: number, service: FaultService): () => number {
  let state = seed >>> 0;
  for (const char of service) state = Math.imul(state ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
