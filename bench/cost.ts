import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handler as processorHandler } from '#functions/processor.ts';
import { functions, queues } from '#functions/triggers.ts';
import { ensureTable, isLoopbackEndpoint, startDynamo } from '#infra/local/emulators.ts';
import { lambdaContext } from '#infra/local/lambda.ts';
import { toRecord } from '#infra/local/sqs-poller.ts';
import { documentClient, resetClients, sqsClient } from '#shared/aws/clients.ts';
import { messageBodyOf } from '#shared/aws/event-queue.ts';
import { resetConfig } from '#shared/config.ts';
import { putShopIfAbsent } from '#shared/data/shop-repo.ts';
import { resetShopCache } from '#shared/deps.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';
import { aShop, orderEvent } from '#test/support/factories.ts';
import { repoRoot } from './bundling.ts';
import { customer, order } from './orders.ts';
import { silenceStdout } from './quiet.ts';
import type { BenchResult, Row } from './report.ts';
import { median, round } from './stats.ts';
import { benchWebhook } from './webhook.ts';

/**
 * What one million orders cost on AWS, without email: list prices, us-east-1, on-demand, free
 * tiers left out (they are per account, not per order). Per order: one HTTP API request, one
 * webhook invocation, one SendMessageBatch; per batch of the interactions queue: one processor
 * invocation, the event source mapping's ReceiveMessage and DeleteMessageBatch; and the DynamoDB
 * request units the ingest bench measured. Durations are measured here: the webhook's p50 (the
 * webhook bench's harness) and the real processor handler (functions/processor.ts) on dynalite,
 * started in process, in batches of the stack's batch size.
 */

export const COST_TARGET_USD_PER_MILLION_ORDERS = 5;
const MILLION = 1_000_000;
const SHOP_ID = 'bench-cost';
const CUSTOMERS = 40;
const ORDERS_PER_CUSTOMER = 10;

/**
 * List prices as published on 2026-12-03 (the date assumed for this figure), us-east-1. Re-read the
 * pages before quoting the figure elsewhere; a price change is a one-line edit here.
 */
export const PRICES = {
  asOf: '2026-12-03',
  region: 'us-east-1',
  /** https://aws.amazon.com/api-gateway/pricing/ — HTTP APIs, first 300 million requests a month; metered per 512 KB. */
  httpApiPerMillionRequests: 1.0,
  /** https://aws.amazon.com/lambda/pricing/ — requests, any architecture. */
  lambdaPerMillionRequests: 0.2,
  /** https://aws.amazon.com/lambda/pricing/ — Arm duration, first 7.5 billion GB-seconds a month; billed per 1 ms, rounded up per invocation. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** https://aws.amazon.com/sqs/pricing/ — standard queue, after the first million requests a month; every 64 KB chunk of a payload is a request. */
  sqsStandardPerMillionRequests: 0.4,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ — Standard table class, on-demand write request units (since the November 2024 cut). */
  dynamoWritePerMillionUnits: 0.625,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ — Standard table class, on-demand read request units. */
  dynamoReadPerMillionUnits: 0.125,
} as const;

const SQS_CHUNK_BYTES = 64 * 1024;
const HTTP_API_CHUNK_BYTES = 512 * 1024;

type Send = (command: unknown) => Promise<unknown>;

const fn = (name: string) => {
  const spec = functions.find((f) => f.name === name);
  if (!spec) throw new Error(`no function "${name}" in functions/triggers.ts`);
  return spec;
};

/** A figure of the ingest bench, under the first of `keys` present in results.json. */
function ingestFigure(ingest: Record<string, unknown>, keys: string[]): { key: string; value: number } {
  for (const key of keys) {
    const value = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], ingest);
    if (typeof value === 'number' && Number.isFinite(value)) return { key: `ingest.${key}`, value };
  }
  throw new Error(`bench/results.json has none of ${keys.map((k) => `ingest.${k}`).join(', ')}: run \`npm run bench -- ingest\` first`);
}

interface ProcessorRun {
  /** Median wall time of one invocation with a full batch of repeat orders. */
  repeatBatchMs: number;
  firstBatchMs: number;
  batches: number;
  orders: number;
  bodyBytesMean: number;
  bodyBytesMax: number;
  emailTriggersPerOrder: number;
}

/**
 * The real processor handler, in process, on dynalite (on its own thread, like the local runtime):
 * CUSTOMERS customers × ORDERS_PER_CUSTOMER orders, in batches of the interactions queue's batch
 * size as Lambda's event source mapping would hand them over. SQS is stubbed: the email triggers
 * the orders raise are counted, not sent (the figure is for orders without email).
 */
async function measureProcessor(batchSize: number): Promise<ProcessorRun> {
  const spec = fn('processor');
  const emulator = await startDynamo({ engine: 'dynalite', log: () => undefined });
  if (!isLoopbackEndpoint(emulator.endpoint)) throw new Error(`refusing to bench against ${emulator.endpoint}`);
  const savedEnv = { ...process.env };
  try {
    const table = `bench-cost-${randomUUID().slice(0, 8)}`;
    await ensureTable(emulator.endpoint, table);
    Object.assign(process.env, {
      TABLE_NAME: table,
      DYNAMODB_ENDPOINT: emulator.endpoint,
      EMAIL_QUEUE_URL: 'http://127.0.0.1:9/000000000000/rapport-bench-email',
      INTERACTIONS_QUEUE_URL: 'http://127.0.0.1:9/000000000000/rapport-bench-interactions',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
    });
    for (const name of ['SQS_ENDPOINT', 'SES_ENDPOINT']) delete process.env[name];
    resetConfig();
    resetClients();
    resetShopCache();
    await putShopIfAbsent({ client: documentClient(), table }, aShop(SHOP_ID));

    let emailTriggers = 0;
    (sqsClient() as unknown as { send: Send }).send = async (command) => {
      const input = (command as { input: { QueueUrl?: string; Entries?: unknown[] } }).input;
      // Any other SQS call would be a request per order this figure does not count.
      if (input.QueueUrl !== process.env.EMAIL_QUEUE_URL) throw new Error(`the processor sent to ${input.QueueUrl}, not counted here`);
      emailTriggers += input.Entries?.length ?? 1;
      return { Successful: [], Failed: [], $metadata: {} };
    };

    // Round k holds the k-th order of every customer, so a batch never holds two orders of one customer.
    const rounds: CanonicalEvent[][] = [];
    for (let k = 1; k <= ORDERS_PER_CUSTOMER; k++) {
      const at = new Date(Date.UTC(2026, 0, 5 + 7 * (k - 1), 9));
      rounds.push(
        Array.from({ length: CUSTOMERS }, (_, c) =>
          orderEvent(SHOP_ID, order({ orderId: `ord-${c}-${k}`, at, lines: 3, seed: k + c }), customer(c + 1)),
        ),
      );
    }
    const arn = `arn:aws:sqs:us-east-1:000000000000:rapport-bench-interactions`;
    const firstMs: number[] = [];
    const repeatMs: number[] = [];
    const bodyBytes: number[] = [];
    await silenceStdout(async () => {
      for (const [k, round_] of rounds.entries()) {
        for (let i = 0; i < round_.length; i += batchSize) {
          const records = round_.slice(i, i + batchSize).map((event) => {
            const body = messageBodyOf(event);
            bodyBytes.push(Buffer.byteLength(body));
            return toRecord({ MessageId: randomUUID(), ReceiptHandle: randomUUID(), Body: body }, arn, 'us-east-1');
          });
          const event: SQSEvent = { Records: records };
          const context = lambdaContext(spec, 'us-east-1', Date.now() + spec.timeoutSeconds * 1000);
          const start = process.hrtime.bigint();
          const result = (await processorHandler(event, context)) as SQSBatchResponse;
          const ms = Number(process.hrtime.bigint() - start) / 1e6;
          if (result.batchItemFailures.length > 0) throw new Error(`the processor failed ${result.batchItemFailures.length} record(s)`);
          (k === 0 ? firstMs : repeatMs).push(ms);
        }
      }
    });
    const orders = CUSTOMERS * ORDERS_PER_CUSTOMER;
    return {
      repeatBatchMs: median(repeatMs),
      firstBatchMs: median(firstMs),
      batches: firstMs.length + repeatMs.length,
      orders,
      bodyBytesMean: bodyBytes.reduce((s, b) => s + b, 0) / bodyBytes.length,
      bodyBytesMax: Math.max(...bodyBytes),
      emailTriggersPerOrder: emailTriggers / orders,
    };
  } finally {
    resetClients();
    resetShopCache();
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    resetConfig();
    await emulator.stop();
  }
}

const usd = (value: number) => round(value, 4);

/** `freshIngest`: the ingest figures of this run, if it ran; otherwise those in bench/results.json. */
export async function benchCost(freshIngest?: Record<string, unknown>): Promise<BenchResult> {
  const stored = () => JSON.parse(readFileSync(join(repoRoot, 'bench', 'results.json'), 'utf8')) as Record<string, unknown>;
  const ingest = (freshIngest ?? stored().ingest ?? {}) as Record<string, unknown>;
  // A typical repeat order (mean of orders 2–10, default program, 3 lines); older figures as fallbacks.
  const wcu = ingestFigure(ingest, ['wcuPerTypicalOrder', 'wcuPerRepeatOrder', 'repeatOrders.wcuMax', 'wcuPerNewOrder']);
  const rcu = ingestFigure(ingest, ['rcuPerTypicalOrder', 'rcuPerRepeatOrder', 'repeatOrders.rcuMax', 'rcuPerNewOrder']);

  const webhookSpec = fn('webhook');
  const processorSpec = fn('processor');
  const { batchSize } = queues.interactions;

  const webhook = await benchWebhook({ iterations: 2_000, warmup: 300 });
  const webhookP50Ms = webhook.figures.p50Ms as number;
  const processor = await measureProcessor(batchSize);

  const gbSeconds = (billedMs: number, memoryMb: number) => (billedMs / 1000) * (memoryMb / 1024);
  // Lambda bills each invocation's duration rounded up to the next millisecond.
  const webhookBilledMs = Math.ceil(webhookP50Ms);
  const processorInvocations = MILLION / batchSize;
  const processorBilledMs = Math.ceil(processor.repeatBatchMs);

  // A webhook request carries one order; its events go out in one SendMessageBatch (sqs-batch.ts),
  // billed per 64 KB chunk of the payload. The event source mapping receives a batch with one
  // ReceiveMessage and deletes the records that succeeded with one DeleteMessageBatch.
  const sendRequestsPerOrder = Math.ceil(processor.bodyBytesMax / SQS_CHUNK_BYTES);
  const sqsRequests = MILLION * sendRequestsPerOrder + 2 * processorInvocations;
  // The ~10 KB webhook body of the webhook bench is far below one 512 KB metering unit.
  const apiRequests = MILLION * Math.ceil((webhook.figures.bodyBytes as number) / HTTP_API_CHUNK_BYTES);

  const breakdown = {
    apiGateway: usd((apiRequests / MILLION) * PRICES.httpApiPerMillionRequests),
    webhookLambda: usd(
      PRICES.lambdaPerMillionRequests + MILLION * gbSeconds(webhookBilledMs, webhookSpec.memoryMb) * PRICES.lambdaArmPerGbSecond,
    ),
    processorLambda: usd(
      (processorInvocations / MILLION) * PRICES.lambdaPerMillionRequests +
        processorInvocations * gbSeconds(processorBilledMs, processorSpec.memoryMb) * PRICES.lambdaArmPerGbSecond,
    ),
    sqs: usd((sqsRequests / MILLION) * PRICES.sqsStandardPerMillionRequests),
    dynamodbWrites: usd(wcu.value * PRICES.dynamoWritePerMillionUnits),
    dynamodbReads: usd(rcu.value * PRICES.dynamoReadPerMillionUnits),
  };
  const total = usd(Object.values(breakdown).reduce((sum, v) => sum + v, 0));

  // The same orders arriving one at a time (a batching window that closes on one record): the
  // upper bound of the queue's share, since the figure assumes full batches.
  const perOrderMs = processor.repeatBatchMs / batchSize;
  const oneByOne = usd(
    total -
      breakdown.processorLambda -
      breakdown.sqs +
      PRICES.lambdaPerMillionRequests +
      MILLION * gbSeconds(Math.ceil(perOrderMs), processorSpec.memoryMb) * PRICES.lambdaArmPerGbSecond +
      ((MILLION * (sendRequestsPerOrder + 2)) / MILLION) * PRICES.sqsStandardPerMillionRequests,
  );

  const rows: Row[] = [
    {
      key: 'cost.usdPerMillionOrders',
      label: `list prices ${PRICES.region} as of ${PRICES.asOf}, no email; ${Object.entries(breakdown)
        .map(([name, value]) => `${name} $${value}`)
        .join(', ')}`,
      value: total,
      unit: 'USD',
      target: { op: '<=', value: COST_TARGET_USD_PER_MILLION_ORDERS },
    },
    ...Object.entries(breakdown).map(([name, value]) => ({
      key: `cost.breakdown.${name}`,
      label: {
        apiGateway: `${apiRequests.toLocaleString('en-US')} HTTP API requests`,
        webhookLambda: `1M invocations × ${webhookBilledMs} ms billed (p50 ${webhookP50Ms} ms) × ${webhookSpec.memoryMb} MB`,
        processorLambda: `${processorInvocations.toLocaleString('en-US')} invocations of ${batchSize} × ${processorBilledMs} ms billed × ${processorSpec.memoryMb} MB`,
        sqs: `${sqsRequests.toLocaleString('en-US')} requests: ${sendRequestsPerOrder} send per order, 1 receive + 1 delete per batch of ${batchSize}`,
        dynamodbWrites: `${wcu.value} WRU per order (${wcu.key}, GSI writes included)`,
        dynamodbReads: `${rcu.value} RRU per order (${rcu.key})`,
      }[name] as string,
      value,
      unit: 'USD',
    })),
    {
      key: 'cost.oneOrderPerBatch',
      label: 'the same orders if every processor invocation got a single record (low, even traffic)',
      value: oneByOne,
      unit: 'USD',
    },
  ];

  return {
    figures: {
      usdPerMillionOrders: total,
      breakdown,
      oneOrderPerBatch: oneByOne,
      prices: PRICES,
      inputs: {
        wcuPerOrder: wcu,
        rcuPerOrder: rcu,
        webhook: { p50Ms: webhookP50Ms, billedMs: webhookBilledMs, memoryMb: webhookSpec.memoryMb, bodyBytes: webhook.figures.bodyBytes },
        processor: {
          batchSize,
          batchMs: round(processor.repeatBatchMs, 2),
          perOrderMs: round(perOrderMs, 2),
          billedMsPerBatch: processorBilledMs,
          firstOrderBatchMs: round(processor.firstBatchMs, 2),
          memoryMb: processorSpec.memoryMb,
          batches: processor.batches,
          orders: processor.orders,
          messageBytesMean: Math.round(processor.bodyBytesMean),
          messageBytesMax: processor.bodyBytesMax,
          // Left out of the figure (orders without email); each would add an SQS send, a receive and
          // delete share, an email invocation share and SES.
          emailTriggersPerOrder: round(processor.emailTriggersPerOrder, 3),
        },
        sqsRequestsPerOrder: round(sqsRequests / MILLION, 3),
      },
      method:
        'list prices × counts per order: HTTP API 1 request; webhook 1 invocation × ceil(p50) ms × memory; processor 1 invocation per full batch × ceil(median batch ms on dynalite) × memory; SQS 1 send + (receive + delete) per batch; DynamoDB request units from the ingest bench',
      notCounted: [
        'free tiers (per account); the shop and program reads (cached 30 s per container); cold starts, whose init Lambda bills since August 2025 but which are few per million',
        'DynamoDB latency: dynalite answers over loopback on another thread; in-region DynamoDB adds a few ms per call, and the processor makes ~5 calls per repeat order in sequence',
        'Lambda CPU: measured on a full core; at 512 MB (webhook) Lambda gives ~0.3 vCPU and at 1,024 MB ~0.6 vCPU, so CPU-bound milliseconds stretch',
        'CloudWatch Logs ingestion (a JSON line per request and per event, plus START/END/REPORT), X-Ray traces (active tracing, sampled), idle long polling of the event source mapping, storage and backups',
      ],
    },
    rows,
    notes: [
      `cost: DynamoDB per order from ${wcu.key} = ${wcu.value} WRU and ${rcu.key} = ${rcu.value} RRU (bench/results.json)`,
      `cost: the processor ran ${processor.orders} orders in ${processor.batches} batches of ${batchSize} on dynalite: ${round(processor.repeatBatchMs, 1)} ms per batch of repeat orders (first orders ${round(processor.firstBatchMs, 1)} ms); ${round(processor.emailTriggersPerOrder, 2)} email triggers per order, not counted`,
    ],
  };
}
