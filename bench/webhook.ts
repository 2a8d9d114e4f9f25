import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handler } from '#functions/webhook.ts';
import { lambdaContext } from '#infra/local/lambda.ts';
import { documentClient, resetClients, sqsClient } from '#shared/aws/clients.ts';
import { enqueueEvents } from '#shared/aws/event-queue.ts';
import { masterKey as loadMasterKey, resetSecrets } from '#shared/aws/secrets.ts';
import { resetConfig } from '#shared/config.ts';
import { shopKey } from '#shared/data/keys.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { loadShop, resetShopCache } from '#shared/deps.ts';
import { encryptSecret } from '#shared/domain/crypto.ts';
import { signGeneric } from '#shared/domain/signature.ts';
import { receiveWebhook } from '#shared/use-cases/receive-webhook.ts';
import { largeOrderBody } from './orders.ts';
import { silenceStdout } from './quiet.ts';
import type { BenchResult } from './report.ts';
import { elapsedMs, mean, percentile, round } from './stats.ts';

/**
 * The webhook function's own cost: the real middy handler of functions/webhook.ts (logger
 * middleware, error mapper, signature check, zod validation, normalization, the log line) called
 * in process with a signed ~10 KB generic order. Only I/O is stubbed: the shop read (the document
 * client answers from memory; the handler's 30 s shop cache keeps it at one read anyway) and the
 * SQS SendMessageBatch (answers success at once). The per-request JSON log line is formatted but
 * not written, so a terminal's speed does not count.
 */

export const WEBHOOK_P99_TARGET_MS = 5;
const SHOP_ID = 'bench-webhook';

type Send = (command: unknown) => Promise<unknown>;

export interface WebhookOptions {
  iterations?: number;
  warmup?: number;
}

export async function benchWebhook(opts: WebhookOptions = {}): Promise<BenchResult> {
  const iterations = Math.max(2_000, opts.iterations ?? 5_000);
  const warmup = opts.warmup ?? 500;

  const savedEnv = { ...process.env };
  const masterKey = randomBytes(32).toString('hex');
  Object.assign(process.env, {
    TABLE_NAME: 'rapport-bench',
    INTERACTIONS_QUEUE_URL: 'http://127.0.0.1:9/000000000000/rapport-bench-interactions',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    RAPPORT_MASTER_KEY: masterKey,
    RAPPORT_ADMIN_KEY: 'bench-admin-key',
  });
  for (const name of ['DYNAMODB_ENDPOINT', 'SQS_ENDPOINT', 'SES_ENDPOINT', 'RAPPORT_SECRET_ARN', 'RAPPORT_ADMIN_SECRET_ARN'])
    delete process.env[name];
  resetConfig();
  resetClients();
  resetSecrets();
  resetShopCache();

  try {
    const secret = randomBytes(24).toString('hex');
    const shop: ShopRecord = {
      shopId: SHOP_ID,
      name: 'Bench Tea House',
      currency: 'VND',
      timezone: 'Asia/Ho_Chi_Minh',
      locale: 'vi-VN',
      apiKeyHashes: [],
      secrets: { generic: encryptSecret(masterKey, secret, `${SHOP_ID}:generic`) },
      settings: { ignoreTestOrders: true },
      createdAt: new Date().toISOString(),
    };
    let shopReads = 0;
    let enqueued = 0;
    (documentClient() as unknown as { send: Send }).send = async (command) => {
      if (!(command instanceof GetCommand)) throw new Error(`the webhook bench does not expect ${command?.constructor.name}`);
      shopReads++;
      return { Item: { ...shopKey(SHOP_ID), ...shop }, $metadata: {} };
    };
    (sqsClient() as unknown as { send: Send }).send = async (command) => {
      enqueued += (command as { input: { Entries: unknown[] } }).input.Entries.length;
      return { Successful: [], Failed: [], $metadata: {} };
    };

    const { body, lines } = largeOrderBody(10 * 1024);
    const bodyBytes = Buffer.byteLength(body);
    const signature = signGeneric(secret, body, Math.floor(Date.now() / 1000));
    const headers = {
      'content-type': 'application/json',
      'content-length': String(bodyBytes),
      'user-agent': 'rapport-bench',
      'x-rapport-signature': signature,
    };
    const event = (): APIGatewayProxyEventV2 => ({
      version: '2.0',
      routeKey: 'POST /webhooks/generic/{shopId}',
      rawPath: `/webhooks/generic/${SHOP_ID}`,
      rawQueryString: '',
      headers: { ...headers },
      pathParameters: { shopId: SHOP_ID },
      requestContext: {
        accountId: '000000000000',
        apiId: 'bench',
        domainName: 'bench.local',
        domainPrefix: 'bench',
        http: {
          method: 'POST',
          path: `/webhooks/generic/${SHOP_ID}`,
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'rapport-bench',
        },
        requestId: randomBytes(8).toString('hex'),
        routeKey: 'POST /webhooks/generic/{shopId}',
        stage: '$default',
        time: new Date().toUTCString(),
        timeEpoch: Date.now(),
      },
      body,
      isBase64Encoded: false,
    });
    const fn = { name: 'webhook', timeoutSeconds: 10, memoryMb: 512 };

    const handlerTimes: number[] = [];
    await silenceStdout(async () => {
      for (let i = 0; i < warmup + iterations; i++) {
        // Lambda builds the event and context before the handler runs: so does the bench.
        const ev = event();
        const context = lambdaContext(fn, 'us-east-1', Date.now() + 10_000);
        const start = process.hrtime.bigint();
        const result = (await handler(ev, context)) as APIGatewayProxyStructuredResultV2;
        const ms = elapsedMs(start);
        if (result.statusCode !== 202) throw new Error(`the webhook answered ${result.statusCode}: ${result.body}`);
        if (i >= warmup) handlerTimes.push(ms);
      }
    });
    if (enqueued !== warmup + iterations) throw new Error(`expected ${warmup + iterations} events on the queue, got ${enqueued}`);

    // The use case alone, without middy and the logger: where the time goes.
    const deps = {
      loadShop,
      markShopErased: async () => {},
      masterKey: loadMasterKey,
      enqueue: enqueueEvents,
      wasDelivered: async () => false,
      markDelivered: async () => {},
    };
    const useCaseTimes: number[] = [];
    for (let i = 0; i < warmup + iterations; i++) {
      const command = { source: 'generic' as const, shopId: SHOP_ID, headers, body: Buffer.from(body, 'utf8'), now: new Date() };
      const start = process.hrtime.bigint();
      await receiveWebhook(command, deps);
      if (i >= warmup) useCaseTimes.push(elapsedMs(start));
    }

    const p50 = round(percentile(handlerTimes, 50));
    const p99 = round(percentile(handlerTimes, 99));
    return {
      figures: {
        p50Ms: p50,
        p99Ms: p99,
        meanMs: round(mean(handlerTimes)),
        maxMs: round(Math.max(...handlerTimes)),
        useCaseP50Ms: round(percentile(useCaseTimes, 50)),
        useCaseP99Ms: round(percentile(useCaseTimes, 99)),
        iterations,
        warmup,
        bodyBytes,
        lineItems: lines,
        shopReads,
        method: 'functions/webhook.ts handler (middy) in process; shop read and SQS send stubbed; nearest-rank percentiles',
      },
      rows: [
        {
          key: 'webhook.p50Ms',
          label: `real middy handler, ${(bodyBytes / 1024).toFixed(1)} KB order (${lines} lines), ${iterations.toLocaleString('en-US')} calls`,
          value: p50,
          unit: 'ms',
        },
        {
          key: 'webhook.p99Ms',
          label: `use case alone (no middy/logger): p50 ${round(percentile(useCaseTimes, 50))} ms, p99 ${round(percentile(useCaseTimes, 99))} ms`,
          value: p99,
          unit: 'ms',
          target: { op: '<=', value: WEBHOOK_P99_TARGET_MS },
        },
      ],
    };
  } finally {
    resetClients();
    resetShopCache();
    resetSecrets();
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    resetConfig();
  }
}
