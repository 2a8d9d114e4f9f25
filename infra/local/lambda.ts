/**
 * What the local runtime borrows from Lambda: the invocation context, the function timeout, and a
 * count of invocations in flight (which `Runtime.idle()` needs, since queues alone cannot tell).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context, SQSEvent } from 'aws-lambda';
import type { FunctionSpec } from '#functions/triggers.ts';

/** Any handler as loaded from a module; narrowed by the trigger that calls it. */
export type AnyHandler = (event: never, context: Context) => unknown;
export type SqsHandler = (event: SQSEvent, context: Context) => unknown;
export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => unknown;

export type LocalFunction = Pick<FunctionSpec, 'name' | 'timeoutSeconds' | 'memoryMb'>;

export const localAccountId = '000000000000';

export class FunctionTimeoutError extends Error {
  override name = 'FunctionTimeoutError';
}

/**
 * Invocations in flight, and how many ever started (so a snapshot can tell if one came and went).
 * The counters live in shared memory, so a consumer running on a worker thread counts in the same
 * place as the HTTP adapter on the main thread, and `idle()` reads both at once.
 */
export class Activity {
  readonly buffer: SharedArrayBuffer;
  private readonly counters: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(12)) {
    this.buffer = buffer;
    this.counters = new Int32Array(buffer, 0, 3);
  }

  /** HTTP requests being answered now (any thread may read it: the pollers give way to them). */
  get requests(): number {
    return Atomics.load(this.counters, 2);
  }

  /** An HTTP request's work: counted as activity, and as a request in flight while it runs. */
  async trackRequest<T>(work: () => Promise<T>): Promise<T> {
    Atomics.add(this.counters, 2, 1);
    try {
      return await this.track(work);
    } finally {
      Atomics.sub(this.counters, 2, 1);
    }
  }

  get running(): number {
    return Atomics.load(this.counters, 0);
  }

  get started(): number {
    return Atomics.load(this.counters, 1);
  }

  async track<T>(work: () => Promise<T>): Promise<T> {
    Atomics.add(this.counters, 0, 1);
    Atomics.add(this.counters, 1, 1);
    try {
      return await work();
    } finally {
      Atomics.sub(this.counters, 0, 1);
    }
  }
}

export function lambdaContext(fn: LocalFunction, region: string, deadline: number): Context {
  const requestId = randomUUID();
  const unsupported = () => {
    throw new Error('callback-style completion is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${localAccountId}:function:${fn.name}`,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/**
 * Calls a handler as Lambda would: with a fresh context, failing after the function's timeout. A
 * timed-out handler cannot be stopped in-process; it goes on in the background, still counted as
 * in flight, and its result is ignored, as Lambda's would be.
 */
export async function invoke<E>(
  fn: LocalFunction,
  handler: (event: E, context: Context) => unknown,
  event: E,
  opts: { region: string; activity?: Activity },
): Promise<unknown> {
  const timeoutMs = fn.timeoutSeconds * 1000;
  const context = lambdaContext(fn, opts.region, Date.now() + timeoutMs);
  const run = async () => handler(event, context);
  const running = opts.activity ? opts.activity.track(run) : run();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new FunctionTimeoutError(`${fn.name} timed out after ${fn.timeoutSeconds} seconds`)), timeoutMs);
  });
  try {
    return await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
    // A late rejection of a timed-out handler must not become an unhandled rejection.
    running.catch(() => undefined);
  }
}

/** An error as one log line plus its stack frames; never the event, which may hold personal data. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return `non-error thrown (${typeof err})`;
  const frames = (err.stack ?? '')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .slice(0, 8);
  return [`${err.name}: ${err.message}`, ...frames].join('\n');
}
