/**
 * `GET /health` of the local runtime: is each emulator up, how deep is each queue and its
 * dead-letter queue, and when did each shop's last scheduled run happen. It is answered without
 * authentication, so it holds nothing secret or personal: no key, no message body, no shop name or
 * address; ids, counts and times only.
 *
 * Status, so that a supervisor restarts only what a restart can fix:
 * - 503 `down` when an emulator does not answer within the probe timeout (the runtime cannot work);
 * - 200 `degraded` when every emulator answers but a dead-letter queue holds messages (a restart
 *   would not bring them back: someone has to look at them);
 * - 200 `ok` otherwise.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, type QueueAttributeName, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { QueueName } from '#functions/triggers.ts';
import { runKey, shopDirectoryKey } from '#shared/data/keys.ts';
import { dynamoClient, type QueueUrls, sqsClientFor } from './emulators.ts';

export type Component = 'dynamodb' | 'sqs' | 'ses';

export interface HealthOptions {
  /** Where each emulator is probed: the runtime's own endpoints, unless a test points one elsewhere. */
  endpoints: Record<Component, string>;
  tableName: string;
  queues: Record<QueueName, QueueUrls>;
  /** Each probe's limit; a slower emulator counts as down. Default 1 s. */
  timeoutMs?: number;
  /** Shops whose last scheduled run is listed (one query each). Default 100. */
  maxShops?: number;
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  checkedAt: string;
  /** What made the status other than ok, one line each. */
  reasons: string[];
  components: Record<Component, { up: boolean; ms: number; error?: string }>;
  /** Absent when SQS does not answer. */
  queues?: Record<QueueName, QueueDepth & { deadLetter: QueueDepth }>;
  scheduledRuns: {
    shops: Array<{ shopId: string; lastRun: { runId: string; status: string; requestedAt: string; finishedAt?: string } | null }>;
    /** More shops exist than `maxShops`; the first ones by shop id are listed. */
    truncated: boolean;
    error?: string;
  };
}

export interface HealthCheck {
  check(): Promise<{ statusCode: 200 | 503; body: HealthReport }>;
  close(): void;
}

const DEPTH_ATTRIBUTES: QueueAttributeName[] = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
];

/** Messages visible, in flight and delayed, apart (infra/cli/queue.ts's queueDepth gives their sum). */
export async function readQueueDepth(
  sqs: Pick<SQSClient, 'send'>,
  url: string,
  options?: { abortSignal?: AbortSignal },
): Promise<QueueDepth> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: DEPTH_ATTRIBUTES }), options);
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/** Last runs are read this many shops at a time, so a hundred shops cost the table no burst of a hundred queries. */
const RUN_READS_IN_FLIGHT = 10;

export function startHealthCheck(opts: HealthOptions): HealthCheck {
  const timeoutMs = opts.timeoutMs ?? 1_000;
  const maxShops = opts.maxShops ?? 100;
  // Clients of their own, each request tried once: the runtime's clients retry with backoff, which
  // would turn a dead emulator into a slow answer instead of a 503.
  const dynamodb = dynamoClient(opts.endpoints.dynamodb, { maxAttempts: 1 });
  const documents = DynamoDBDocumentClient.from(dynamodb);
  const sqs = sqsClientFor(opts.endpoints.sqs, { maxAttempts: 1 });
  const limit = () => ({ abortSignal: AbortSignal.timeout(timeoutMs) });
  const depth = (url: string) => readQueueDepth(sqs, url, limit());

  const readQueues = async () => {
    const entries = await Promise.all(
      (Object.entries(opts.queues) as Array<[QueueName, QueueUrls]>).map(async ([name, urls]) => {
        const [main, deadLetter] = await Promise.all([depth(urls.url), depth(urls.dlqUrl)]);
        return [name, { ...main, deadLetter }] as const;
      }),
    );
    return Object.fromEntries(entries) as NonNullable<HealthReport['queues']>;
  };

  const pingSes = async () => {
    // The mail viewer's page: any HTTP answer means the emulator is there. Its body is not read (it lists sent mail).
    const res = await fetch(opts.endpoints.ses, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    if (res.status >= 500) throw new Error(`HTTP ${res.status}`);
  };

  /**
   * The shop directory (SHOPS, sorted by shop id), at most maxShops of it, then each shop's newest
   * run whose id is a date (`d_YYYYMMDD`: the scheduled runs; API and CLI runs are `r_…`).
   */
  const readScheduledRuns = async (): Promise<HealthReport['scheduledRuns']> => {
    const { Items = [] } = await documents.send(
      new QueryCommand({
        TableName: opts.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': shopDirectoryKey('').PK },
        ProjectionExpression: 'SK',
        Limit: maxShops + 1,
      }),
      limit(),
    );
    const shopIds = Items.slice(0, maxShops).map((item) => String(item.SK));
    const shops: HealthReport['scheduledRuns']['shops'] = [];
    for (let i = 0; i < shopIds.length; i += RUN_READS_IN_FLIGHT) {
      shops.push(
        ...(await Promise.all(
          shopIds.slice(i, i + RUN_READS_IN_FLIGHT).map(async (shopId) => {
            const { Items: runs = [] } = await documents.send(
              new QueryCommand({
                TableName: opts.tableName,
                KeyConditionExpression: 'PK = :pk AND begins_with(SK, :scheduled)',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':pk': runKey(shopId, '').PK, ':scheduled': 'RUN#d_' },
                ProjectionExpression: 'runId, #status, requestedAt, finishedAt',
                ScanIndexForward: false,
                Limit: 1,
              }),
              limit(),
            );
            const run = runs[0];
            return {
              shopId,
              lastRun: run
                ? {
                    runId: String(run.runId),
                    status: String(run.status),
                    requestedAt: String(run.requestedAt),
                    ...(typeof run.finishedAt === 'string' && { finishedAt: run.finishedAt }),
                  }
                : null,
            };
          }),
        )),
      );
    }
    return { shops, truncated: Items.length > maxShops };
  };

  return {
    async check() {
      const [dynamo, queues, ses, runs] = await Promise.all([
        timed(() => dynamodb.send(new DescribeTableCommand({ TableName: opts.tableName }), limit())),
        timed(readQueues),
        timed(pingSes),
        timed(readScheduledRuns),
      ]);
      const components = { dynamodb: dynamo.state, sqs: queues.state, ses: ses.state };
      const reasons = (Object.entries(components) as Array<[Component, { up: boolean; error?: string }]>)
        .filter(([, state]) => !state.up)
        .map(([name, state]) => `${name} is down (${state.error})`);
      const down = reasons.length > 0;
      for (const [name, depths] of Object.entries(queues.value ?? {})) {
        const dead = depths.deadLetter.visible + depths.deadLetter.inFlight + depths.deadLetter.delayed;
        if (dead > 0) reasons.push(`${dead} message(s) in the ${name} dead-letter queue`);
      }
      const body: HealthReport = {
        status: down ? 'down' : reasons.length > 0 ? 'degraded' : 'ok',
        checkedAt: new Date().toISOString(),
        reasons,
        components,
        ...(queues.value && { queues: queues.value }),
        scheduledRuns: runs.value ?? { shops: [], truncated: false, error: runs.state.error },
      };
      return { statusCode: down ? 503 : 200, body };
    },
    close() {
      // The document client's destroy() leaves the client it wraps open.
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}

/** The work's value, or its failure as a short code (never a message, which could quote a request). */
async function timed<T>(work: () => Promise<T>): Promise<{ value?: T; state: { up: boolean; ms: number; error?: string } }> {
  const start = performance.now();
  const ms = () => Math.round(performance.now() - start);
  try {
    const value = await work();
    return { value, state: { up: true, ms: ms() } };
  } catch (err) {
    return { state: { up: false, ms: ms(), error: errorCode(err) } };
  }
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } };
  // fetch wraps the socket's error (ECONNREFUSED) in a TypeError named only "fetch failed".
  for (const candidate of [e.cause?.code, e.code, e.name]) {
    if (typeof candidate === 'string' && /^[\w.-]{1,64}$/.test(candidate) && candidate !== 'Error' && candidate !== 'TypeError')
      return candidate;
  }
  return 'unreachable';
}
