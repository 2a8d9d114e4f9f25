import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { resetClients } from '#shared/aws/clients.ts';
import { resetSecrets } from '#shared/aws/secrets.ts';
import { resetConfig } from '#shared/config.ts';
import { resetShopCache } from '#shared/deps.ts';

/**
 * A function's real handler, loaded as infra/local/runtime.ts loads it — the environment set, the
 * cached configuration, clients, secrets and shops reset — and API Gateway's events for it.
 */

export type HttpFunction = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export async function loadHttpFunction(
  entry: string,
  env: Record<string, string>,
): Promise<{ handler: HttpFunction; restore: () => void }> {
  const saved = { ...process.env };
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', ...env });
  resetConfig();
  resetClients();
  resetSecrets();
  resetShopCache();
  const handler = (await import(/* @vite-ignore */ entry)).handler as HttpFunction;
  return {
    handler,
    restore: () => {
      resetClients();
      process.env = saved;
      resetConfig();
      resetSecrets();
    },
  };
}

export const lambdaContext = (functionName: string) =>
  ({ functionName, awsRequestId: 'test', getRemainingTimeInMillis: () => 10_000 }) as unknown as Context;

/** A payload format 2.0 event for `method path?query`, with a form or JSON body sent base64 as API Gateway does. */
export function apiRequest(
  method: 'GET' | 'POST',
  path: string,
  query: Record<string, string>,
  body: { text: string; contentType: string } | undefined,
  at: Date,
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: { host: '127.0.0.1', ...(body ? { 'content-type': body.contentType } : {}) },
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'test',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: at.toISOString(),
      timeEpoch: at.getTime(),
    },
    ...(body ? { body: Buffer.from(body.text).toString('base64') } : {}),
    isBase64Encoded: body !== undefined,
  };
}
