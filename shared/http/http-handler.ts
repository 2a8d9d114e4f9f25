import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ConflictError, NotFoundError, PayloadTooLargeError, UnauthorizedError, ValidationError } from '#shared/domain/errors.ts';
import { logger } from '#shared/observability.ts';

export type HttpResult = APIGatewayProxyStructuredResultV2;

export function json(statusCode: number, body: unknown): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The one table from domain errors to HTTP: status and error code. */
export const STATUS_OF: Array<[new (...args: never[]) => Error, number, string]> = [
  [ValidationError, 400, 'invalid_request'],
  [UnauthorizedError, 401, 'unauthorized'],
  [NotFoundError, 404, 'not_found'],
  [ConflictError, 409, 'conflict'],
  [PayloadTooLargeError, 413, 'payload_too_large'],
];

export function errorResponse(error: unknown): HttpResult {
  for (const [type, statusCode, code] of STATUS_OF) {
    if (error instanceof type) {
      const field = error instanceof ValidationError ? { field: error.field, fields: error.fields } : {};
      return json(statusCode, { error: { code, message: error.message, ...field } });
    }
  }
  logger.error('unhandled error', {
    error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
  });
  return json(500, { error: { code: 'internal', message: 'Internal error' } });
}

/** Last in the chain: every error becomes the contract's error body; nothing internal leaks. */
const errorMapper = (): middy.MiddlewareObj<APIGatewayProxyEventV2, HttpResult> => ({
  onError: async (request) => {
    request.response = errorResponse(request.error);
  },
});

/** The one way an HTTP function is made: logger context, the handler, the error mapper. */
export function httpHandler(fn: (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResult>) {
  return middy<APIGatewayProxyEventV2, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(errorMapper())
    .handler(fn);
}

/** The request body as bytes (signatures are computed over the exact bytes the sender sent). */
export function rawBody(event: APIGatewayProxyEventV2): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

export function bearerToken(event: APIGatewayProxyEventV2): string | undefined {
  const header = event.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}
