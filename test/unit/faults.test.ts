import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  DynamoDBServiceException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { MessageRejected, SESClient, SESServiceException, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { DeleteMessageCommand, RequestThrottled, SendMessageCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetClients } from '#shared/aws/clients.ts';
import { documentClient } from '#shared/aws/dynamodb.ts';
import {
  type FaultKind,
  type FaultPlan,
  type FaultService,
  faultCounts,
  faultSummary,
  parseFaults,
  pinFaultSeed,
  resetFaults,
  withFaults,
} from '#shared/aws/faults.ts';
import { sesClient } from '#shared/aws/ses.ts';
import { sqsClient } from '#shared/aws/sqs.ts';
import { config, resetConfig } from '#shared/config.ts';
import { logger } from '#shared/observability.ts';

/**
 * Fault injection, seen by real SDK clients: each client talks to a tiny AWS stand-in on 127.0.0.1
 * that counts the calls reaching it, so a test can tell a fault answered in place of the service
 * from one that happened after the service did the work.
 */

const credentials = { accessKeyId: 'unit', secretAccessKey: 'unit' };
const region = 'us-east-1';

/** A plan from the setting, optionally limited to some kinds (a code-only knob for tests). */
function plan(setting: string, kinds?: FaultKind[]): FaultPlan {
  const parsed = parseFaults(setting);
  if (!parsed) throw new Error(`no plan in '${setting}'`);
  return kinds ? { ...parsed, kinds } : parsed;
}

// ——— the AWS stand-in ———

let server: Server;
let endpoint: string;
const reached: Record<string, number> = {};

function answer(operation: string, body: string): { type: string; text: string } {
  switch (operation) {
    case 'DynamoDB_20120810.GetItem':
      return { type: 'application/x-amz-json-1.0', text: JSON.stringify({ Item: { PK: { S: 'k' }, n: { N: '1' } } }) };
    case 'AmazonSQS.SendMessage': {
      const { MessageBody } = JSON.parse(body) as { MessageBody: string };
      const md5 = createHash('md5').update(MessageBody).digest('hex');
      return { type: 'application/x-amz-json-1.0', text: JSON.stringify({ MessageId: 'm-1', MD5OfMessageBody: md5 }) };
    }
    case 'SES.SendRawEmail':
      return {
        type: 'text/xml',
        text:
          '<SendRawEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendRawEmailResult><MessageId>ses-1</MessageId>' +
          '</SendRawEmailResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></SendRawEmailResponse>',
      };
    default:
      return { type: 'application/x-amz-json-1.0', text: '{}' };
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const target = req.headers['x-amz-target'];
      const operation = typeof target === 'string' ? target : `SES.${/^Action=(\w+)/.exec(body)?.[1]}`;
      reached[operation] = (reached[operation] ?? 0) + 1;
      const { type, text } = answer(operation, body);
      res.writeHead(200, { 'content-type': type, 'x-amzn-requestid': 'r-1' }).end(text);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

const clients: { destroy(): void }[] = [];
const track = <C extends { destroy(): void }>(client: C): C => {
  clients.push(client);
  return client;
};

beforeEach(() => {
  resetFaults();
  for (const key of Object.keys(reached)) delete reached[key];
  vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
});

afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
  vi.restoreAllMocks();
});

function dynamo(faults: FaultPlan, maxAttempts = 1) {
  const base = withFaults(track(new DynamoDBClient({ endpoint, region, credentials, maxAttempts })), 'dynamodb', faults);
  return DynamoDBDocumentClient.from(base);
}
const sqs = (faults: FaultPlan, maxAttempts = 1) =>
  withFaults(track(new SQSClient({ endpoint, region, credentials, maxAttempts })), 'sqs', faults);
const ses = (faults: FaultPlan, maxAttempts = 1) =>
  withFaults(track(new SESClient({ endpoint, region, credentials, maxAttempts })), 'ses', faults);

const queueUrl = () => `${endpoint}/000000000000/q`;
const put = (condition?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> }) =>
  new PutCommand({
    TableName: 't',
    Item: { PK: 'k', pv: 2 },
    ...(condition && {
      ConditionExpression: condition.expression,
      ...(condition.names && { ExpressionAttributeNames: condition.names }),
      ...(condition.values && { ExpressionAttributeValues: condition.values }),
    }),
  });
const sendRaw = () => new SendRawEmailCommand({ RawMessage: { Data: new TextEncoder().encode('Subject: hi\r\n\r\nhello\r\n') } });

async function failure(
  call: Promise<unknown>,
): Promise<Error & { code?: string; $metadata?: { httpStatusCode?: number; attempts?: number } }> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('the call succeeded');
  return outcome;
}

/** Runs calls until every name wanted was seen (the kind's variant is drawn), answering the errors seen by name. */
async function errorsByName(call: () => Promise<unknown>, wanted: string[], limit = 60): Promise<Map<string, Error>> {
  const seen = new Map<string, Error>();
  for (let i = 0; i < limit && wanted.some((name) => !seen.has(name)); i++) {
    const error = await failure(call());
    seen.set(error.name, error);
  }
  return seen;
}

// ——— a bare handler: decisions without the SDK ———

interface BareCall {
  service: FaultService;
  headers: Record<string, string>;
  body: string;
}

const bare = {
  get: { service: 'dynamodb', headers: { 'x-amz-target': 'DynamoDB_20120810.GetItem' }, body: '{}' },
  put: { service: 'dynamodb', headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem' }, body: '{}' },
  send: { service: 'sqs', headers: { 'x-amz-target': 'AmazonSQS.SendMessage' }, body: '{}' },
  receive: { service: 'sqs', headers: { 'x-amz-target': 'AmazonSQS.ReceiveMessage' }, body: '{}' },
  email: { service: 'ses', headers: {}, body: 'Action=SendRawEmail&Version=2010-12-01' },
} satisfies Record<string, BareCall>;

/** What each call came to through the wrapper alone: `ok`, a thrown error's name, or the status and code answered. */
async function outcomes(faults: FaultPlan, calls: BareCall[]): Promise<string[]> {
  const handlers = new Map<FaultService, { handle(request: unknown): Promise<{ response: unknown }> }>();
  const result: string[] = [];
  for (const call of calls) {
    let handler = handlers.get(call.service);
    if (!handler) {
      const client = { config: { requestHandler: { handle: async () => ({ response: { statusCode: 200, headers: {} } }) } } };
      handler = withFaults(client, call.service, faults).config.requestHandler;
      handlers.set(call.service, handler);
    }
    try {
      const { response } = await handler.handle({ headers: call.headers, body: call.body });
      const { statusCode, headers } = response as { statusCode: number; headers: Record<string, string> };
      result.push(statusCode === 200 ? 'ok' : `${statusCode} ${headers['x-amzn-query-error'] ?? ''}`.trim());
    } catch (error) {
      result.push((error as Error).name);
    }
  }
  return result;
}

/** A seed under which, at the rate, the first dynamodb call fails and the second does not. */
async function seedFailingOnceThenNot(rate: number): Promise<number> {
  for (let seed = 1; seed < 1000; seed++) {
    resetFaults();
    const [first, second] = await outcomes(plan(`dynamodb=${rate},seed=${seed}`, ['throttle']), [bare.get, bare.get]);
    if (first !== 'ok' && second === 'ok') {
      resetFaults();
      return seed;
    }
  }
  throw new Error('no such seed below 1000');
}

// ——— the setting ———

describe('parseFaults', () => {
  it('reads a rate for everything, per service and per operation, and a seed', () => {
    expect(parseFaults('0.1')).toEqual({ setting: '0.1', seed: undefined, rates: { '*': 0.1 } });
    expect(parseFaults(' dynamodb=0.1, ses.SendRawEmail=0.3,sqs=0.05 ,seed=42 ')).toEqual({
      setting: 'dynamodb=0.1, ses.SendRawEmail=0.3,sqs=0.05 ,seed=42',
      seed: 42,
      rates: { dynamodb: 0.1, 'ses.SendRawEmail': 0.3, sqs: 0.05 },
    });
    expect(parseFaults('0.05,sqs=0,dynamodb.TransactWriteItems=1,seed=0')?.rates).toEqual({
      '*': 0.05,
      sqs: 0,
      'dynamodb.TransactWriteItems': 1,
    });
  });

  it('is off when unset or blank', () => {
    expect(parseFaults(undefined)).toBeUndefined();
    expect(parseFaults('')).toBeUndefined();
    expect(parseFaults('  ')).toBeUndefined();
  });

  it.each([
    ['dynamo=0.1', /item 'dynamo=0.1': unknown service 'dynamo'/],
    ['ses.SendRawEmails=0.3', /item 'ses.SendRawEmails=0.3': 'SendRawEmails' is not an operation of ses/],
    ['sqs.sendMessage=0.3', /'sendMessage' is not an operation of sqs/],
    ['dynamodb.PutItem.x=0.1', /item 'dynamodb.PutItem.x=0.1': a target is service or service.Operation/],
    ['sqs=1.5', /item 'sqs=1.5': the rate must be a number from 0 to 1/],
    ['sqs=-0.1', /item 'sqs=-0.1': the rate must be a number from 0 to 1/],
    ['sqs=', /item 'sqs=': the rate must be/],
    ['sqs=10%', /item 'sqs=10%': the rate must be/],
    ['often', /item 'often': not a rate/],
    ['0.1,0.2', /item '0.2': the rate for every call is given twice/],
    ['sqs=0.1,sqs=0.2', /item 'sqs=0.2': sqs is given twice/],
    ['seed=abc', /item 'seed=abc': the seed must be a whole number from 0 to 4294967295/],
    ['seed=4294967296', /item 'seed=4294967296': the seed must be/],
    ['seed=-1', /item 'seed=-1': the seed must be/],
    ['seed=1,seed=2', /item 'seed=2': the seed is given twice/],
    ['sqs=0.1,,ses=0.1', /item 2 is empty/],
    ['sqs=0.1,', /item 2 is empty/],
  ])('refuses %s, naming the item', (setting, message) => {
    expect(() => parseFaults(setting)).toThrow(message);
  });
});

describe('RAPPORT_FAULTS in the config', () => {
  const local = { TABLE_NAME: 't', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000', AWS_LAMBDA_FUNCTION_NAME: undefined };

  afterEach(() => {
    vi.unstubAllEnvs();
    resetConfig();
  });

  /** The config read from this environment; an undefined value removes the variable. */
  function configWith(env: Record<string, string | undefined>) {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    resetConfig();
    return config();
  }

  it('is parsed when the functions run against the emulators', () => {
    expect(configWith({ ...local, RAPPORT_FAULTS: 'dynamodb=0.2,seed=9' }).RAPPORT_FAULTS).toMatchObject({
      seed: 9,
      rates: { dynamodb: 0.2 },
    });
    expect(configWith({ ...local, RAPPORT_FAULTS: '' }).RAPPORT_FAULTS).toBeUndefined();
  });

  it('names the bad item of a wrong setting', () => {
    expect(() => configWith({ ...local, RAPPORT_FAULTS: 'dynamodb=2' })).toThrow(/RAPPORT_FAULTS item 'dynamodb=2': the rate must be/);
  });

  it('is refused without an emulator endpoint, and on Lambda whatever the endpoint', () => {
    expect(() => configWith({ ...local, DYNAMODB_ENDPOINT: undefined, RAPPORT_FAULTS: '0.1' })).toThrow(
      /RAPPORT_FAULTS needs DYNAMODB_ENDPOINT/,
    );
    expect(() => configWith({ ...local, AWS_LAMBDA_FUNCTION_NAME: 'rapport-processor', RAPPORT_FAULTS: '0.1' })).toThrow(
      /RAPPORT_FAULTS is refused on AWS Lambda/,
    );
  });
});

// ——— installing ———

describe('withFaults', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetConfig();
    resetClients();
  });

  function localEnv(faults?: string) {
    const env = { TABLE_NAME: 't', DYNAMODB_ENDPOINT: endpoint, SQS_ENDPOINT: endpoint, SES_ENDPOINT: endpoint, AWS_REGION: region };
    for (const [name, value] of Object.entries({ ...env, AWS_ACCESS_KEY_ID: 'unit', AWS_SECRET_ACCESS_KEY: 'unit' }))
      vi.stubEnv(name, value);
    if (faults === undefined) delete process.env.RAPPORT_FAULTS;
    else vi.stubEnv('RAPPORT_FAULTS', faults);
    resetConfig();
    resetClients();
  }

  it('is installed by the client factories for the services the config names', async () => {
    localEnv('dynamodb.DescribeLimits=1,seed=4');
    await documentClient().send(new GetCommand({ TableName: 't', Key: { PK: 'k' } }));
    await sqsClient().send(new DeleteMessageCommand({ QueueUrl: queueUrl(), ReceiptHandle: 'r' }));
    await sesClient().send(sendRaw());
    expect(faultCounts()).toMatchObject({ seed: 4, calls: 1, faults: 0, byOperation: { 'dynamodb.GetItem': { calls: 1 } } });
  });

  it('leaves the client untouched when faults are off or spare its service', () => {
    localEnv(undefined);
    const client = track(new SQSClient({ endpoint, region, credentials }));
    const handler = client.config.requestHandler;
    expect(withFaults(client, 'sqs').config.requestHandler).toBe(handler);
    expect(withFaults(client, 'sqs', plan('dynamodb=0.5,sqs=0')).config.requestHandler).toBe(handler);
    expect(withFaults(client, 'sqs', plan('0')).config.requestHandler).toBe(handler);
    expect(faultCounts().seed).toBeUndefined();
  });

  it('pins a random seed in the environment for threads to share', () => {
    const env: NodeJS.ProcessEnv = { RAPPORT_FAULTS: 'sqs=0.1' };
    const seed = pinFaultSeed(env);
    expect(env.RAPPORT_FAULTS).toBe(`sqs=0.1,seed=${seed}`);
    expect(pinFaultSeed(env)).toBe(seed);
    expect(pinFaultSeed({ RAPPORT_FAULTS: 'seed=3,0.2' })).toBe(3);
    expect(pinFaultSeed({})).toBeUndefined();
  });

  it('wraps once, and logs the seed once per setting', async () => {
    const faults = plan('0.5');
    const client = withFaults(track(new SQSClient({ endpoint, region, credentials })), 'sqs', faults);
    const wrapped = client.config.requestHandler;
    expect(withFaults(client, 'sqs', faults).config.requestHandler).toBe(wrapped);
    withFaults(track(new SESClient({ endpoint, region, credentials })), 'ses', faults);
    const { seed, replay } = faultCounts();
    expect(seed).toEqual(expect.any(Number));
    expect(replay).toBe(`0.5,seed=${seed}`);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('RAPPORT_FAULTS'), {
      faultSeed: seed,
      replayWith: `RAPPORT_FAULTS=0.5,seed=${seed}`,
    });
  });
});

// ——— decisions ———

describe('decisions', () => {
  const mix = Array.from({ length: 300 }, (_, i) => [bare.get, bare.put, bare.send, bare.receive, bare.email][i % 5] as BareCall);

  it('are the same for the same seed, and differ for another', async () => {
    const first = await outcomes(plan('0.3,seed=42'), mix);
    resetFaults();
    const again = await outcomes(plan('0.3,seed=42'), mix);
    resetFaults();
    const other = await outcomes(plan('0.3,seed=43'), mix);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    const failed = first.filter((outcome) => outcome !== 'ok').length;
    expect(failed).toBeGreaterThan(300 * 0.2);
    expect(failed).toBeLessThan(300 * 0.4);
  });

  it('follow the most specific rate', async () => {
    const result = await outcomes(plan('1,dynamodb=0,dynamodb.PutItem=1,seed=5'), [bare.get, bare.put, bare.send]);
    expect(result[0]).toBe('ok');
    expect(result[1]).not.toBe('ok');
    expect(result[2]).not.toBe('ok');
  });

  it('draw per service, so one service’s traffic does not move another’s faults', async () => {
    const gets = Array.from({ length: 50 }, () => bare.get);
    const alone = await outcomes(plan('0.3,seed=8'), gets);
    resetFaults();
    const interleaved = await outcomes(
      plan('0.3,seed=8'),
      gets.flatMap((get) => [get, bare.send]),
    );
    expect(interleaved.filter((_, i) => i % 2 === 0)).toEqual(alone);
  });

  it('are counted by service, operation and kind', async () => {
    const result = await outcomes(plan('0.3,seed=42'), mix);
    const counts = faultCounts();
    expect(counts.calls).toBe(300);
    expect(counts.faults).toBe(result.filter((outcome) => outcome !== 'ok').length);
    expect(counts.byOperation['dynamodb.GetItem']?.calls).toBe(60);
    expect(counts.byOperation['ses.SendRawEmail']?.calls).toBe(60);
    expect(Object.values(counts.byKind).reduce((sum, n) => sum + (n ?? 0), 0)).toBe(counts.faults);
    expect(counts.byKind['condition-race']).toBeUndefined();
    expect(counts.byOperation['dynamodb.GetItem']?.byKind.crash).toBeUndefined();
    expect(counts.byOperation['sqs.ReceiveMessage']?.byKind.crash).toBeUndefined();
    expect(faultSummary()).toMatch(
      new RegExp(`^faults injected: ${counts.faults} in 300 calls \\(throttle \\d+, .*\\); replay with RAPPORT_FAULTS=0.3,seed=42$`),
    );
  });
});

// ——— what each kind looks like to the SDK ———

describe('DynamoDB faults, as the SDK reads them', () => {
  it('throttles with ProvisionedThroughputExceededException and ThrottlingException, saying it was injected', async () => {
    const client = dynamo(plan('dynamodb=1,seed=7', ['throttle']));
    const seen = await errorsByName(
      () => client.send(new GetCommand({ TableName: 't', Key: { PK: 'k' } })),
      ['ProvisionedThroughputExceededException', 'ThrottlingException'],
    );
    expect(seen.get('ProvisionedThroughputExceededException')).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(seen.get('ThrottlingException')).toBeInstanceOf(ThrottlingException);
    for (const error of seen.values()) {
      expect(error.message).toMatch(/^injected fault: the service throttled the call \(dynamodb\.GetItem, call \d+, seed 7\)$/);
      expect(error).toMatchObject({ $metadata: { httpStatusCode: 400 } });
    }
    expect(reached['DynamoDB_20120810.GetItem']).toBeUndefined();
  });

  it('answers InternalServerError (500) and ServiceUnavailable (503)', async () => {
    const client = dynamo(plan('dynamodb=1,seed=7', ['server-error']));
    const seen = await errorsByName(() => client.send(put()), ['InternalServerError', 'ServiceUnavailable']);
    expect(seen.get('InternalServerError')).toBeInstanceOf(InternalServerError);
    expect(seen.get('ServiceUnavailable')).toBeInstanceOf(DynamoDBServiceException);
    expect(seen.get('ServiceUnavailable')).toMatchObject({ $metadata: { httpStatusCode: 503 } });
    expect(reached['DynamoDB_20120810.PutItem']).toBeUndefined();
  });

  it('times out before the service is reached with the TimeoutError Node’s handler throws', async () => {
    const error = await failure(dynamo(plan('dynamodb=1,seed=3', ['timeout-before'])).send(put()));
    expect(error).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(error.message).toBe('injected fault: the request timed out before reaching the service (dynamodb.PutItem, call 1, seed 3)');
    expect(reached['DynamoDB_20120810.PutItem']).toBeUndefined();
  });

  it('races only writes whose condition tests a version for equality, and does not perform them', async () => {
    const client = dynamo(plan('dynamodb=1,seed=7', ['condition-race']));
    const locks = [
      put({ expression: 'pv = :pv', values: { ':pv': 1 } }),
      put({ expression: '#v = :basedOn', names: { '#v': 'version' }, values: { ':basedOn': 3 } }),
      put({
        expression: '(attribute_not_exists(#t0) OR #t0 < :at) AND pv = :pv',
        names: { '#t0': 't_email' },
        values: { ':at': 1, ':pv': 1 },
      }),
      new UpdateCommand({
        TableName: 't',
        Key: { PK: 'k' },
        UpdateExpression: 'SET n = :n',
        ConditionExpression: ':ver = ver',
        ExpressionAttributeValues: { ':n': 1, ':ver': 'a' },
      }),
    ];
    for (const command of locks) {
      const error = await failure(client.send(command as PutCommand));
      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      expect(error.message).toMatch(
        /^injected fault: a concurrent writer changed the version first \(dynamodb\.(Put|Update)Item, call \d+, seed 7\)$/,
      );
    }
    expect(reached['DynamoDB_20120810.PutItem']).toBeUndefined();
    expect(reached['DynamoDB_20120810.UpdateItem']).toBeUndefined();

    const guards = [
      put(),
      put({ expression: 'attribute_not_exists(PK)' }),
      put({ expression: 'attribute_exists(PK) AND attribute_not_exists(pv)' }),
      put({ expression: 'attribute_not_exists(ver) OR ver < :ver', values: { ':ver': 'b' } }),
      put({ expression: 'pointsBalance >= :needed', values: { ':needed': 10 } }),
      put({ expression: 'pv <= :pv', values: { ':pv': 1 } }),
      put({ expression: 'pv <> :pv', values: { ':pv': 1 } }),
      put({ expression: 'holder = :token', values: { ':token': 'x' } }),
    ];
    for (const command of guards) await client.send(command);
    expect(reached['DynamoDB_20120810.PutItem']).toBe(guards.length);
    expect(faultCounts().byKind).toEqual({ 'condition-race': locks.length });
  });
});

describe('SQS faults, as the SDK reads them', () => {
  it('throttles with RequestThrottled and ThrottlingException', async () => {
    const client = sqs(plan('sqs=1,seed=7', ['throttle']));
    const seen = await errorsByName(
      () => client.send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: 'hello' })),
      ['RequestThrottled', 'ThrottlingException'],
    );
    expect(seen.get('RequestThrottled')).toBeInstanceOf(RequestThrottled);
    expect(seen.get('ThrottlingException')).toBeInstanceOf(SQSServiceException);
    for (const error of seen.values())
      expect(error.message).toMatch(/^injected fault: the service throttled the call \(sqs\.SendMessage, call \d+, seed 7\)$/);
    expect(reached['AmazonSQS.SendMessage']).toBeUndefined();
  });

  it('answers InternalFailure (500) and ServiceUnavailable (503)', async () => {
    const client = sqs(plan('sqs=1,seed=7', ['server-error']));
    const seen = await errorsByName(
      () => client.send(new DeleteMessageCommand({ QueueUrl: queueUrl(), ReceiptHandle: 'r' })),
      ['InternalFailure', 'ServiceUnavailable'],
    );
    expect(seen.get('InternalFailure')).toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(seen.get('ServiceUnavailable')).toMatchObject({ $metadata: { httpStatusCode: 503 } });
    for (const error of seen.values()) expect(error).toBeInstanceOf(SQSServiceException);
  });
});

describe('SES faults, as the SDK reads them', () => {
  it('throttles with Throttling, and rejects a small share with MessageRejected', async () => {
    const throttled = await failure(ses(plan('ses=1,seed=7', ['throttle'])).send(sendRaw()));
    expect(throttled).toBeInstanceOf(SESServiceException);
    expect(throttled).toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } });
    expect(throttled.message).toBe('injected fault: the service throttled the call (ses.SendRawEmail, call 1, seed 7)');

    resetFaults();
    const rejected = await failure(ses(plan('ses=1,seed=7', ['rejected'])).send(sendRaw()));
    expect(rejected).toBeInstanceOf(MessageRejected);
    expect(reached['SES.SendRawEmail']).toBeUndefined();

    resetFaults();
    const client = ses(plan('ses.SendRawEmail=1,seed=7'));
    for (let i = 0; i < 200; i++) await client.send(sendRaw()).catch(() => undefined);
    const { byKind } = faultCounts();
    expect(byKind.rejected).toBeGreaterThan(0);
    expect(byKind.rejected).toBeLessThan(200 * 0.15);
    expect(byKind['condition-race']).toBeUndefined();
  });

  it('answers InternalFailure (500) and ServiceUnavailable (503)', async () => {
    const client = ses(plan('ses=1,seed=7', ['server-error']));
    const seen = await errorsByName(() => client.send(sendRaw()), ['InternalFailure', 'ServiceUnavailable']);
    expect(seen.get('InternalFailure')).toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(seen.get('ServiceUnavailable')).toMatchObject({ $metadata: { httpStatusCode: 503 } });
  });
});

// ——— retries ———

describe('what the SDK retries', () => {
  it('retries a throttle, and the call then succeeds', async () => {
    const seed = await seedFailingOnceThenNot(0.5);
    const client = dynamo(plan(`dynamodb=0.5,seed=${seed}`, ['throttle']), 3);
    const output = await client.send(put());
    expect(output.$metadata.attempts).toBe(2);
    expect(reached['DynamoDB_20120810.PutItem']).toBe(1);
    expect(faultCounts()).toMatchObject({ calls: 2, faults: 1, byKind: { throttle: 1 } });
  });

  it('retries a timeout after the write took effect, so the write happens twice', async () => {
    const seed = await seedFailingOnceThenNot(0.5);
    const client = dynamo(plan(`dynamodb=0.5,seed=${seed}`, ['timeout-after']), 3);
    const output = await client.send(put());
    expect(output.$metadata.attempts).toBe(2);
    expect(reached['DynamoDB_20120810.PutItem']).toBe(2);
  });

  it('retries a timeout before the service, which then sees the write once', async () => {
    const seed = await seedFailingOnceThenNot(0.5);
    const output = await dynamo(plan(`dynamodb=0.5,seed=${seed}`, ['timeout-before']), 3).send(put());
    expect(output.$metadata.attempts).toBe(2);
    expect(reached['DynamoDB_20120810.PutItem']).toBe(1);
  });

  it('does not retry a crash: the write happened once and the caller fails', async () => {
    const client = dynamo(plan('dynamodb=1,seed=11', ['crash']), 3);
    const error = await failure(client.send(put()));
    expect(error.name).toBe('InjectedCrash');
    expect(error.message).toBe('injected fault: the handler crashed after this write took effect (dynamodb.PutItem, call 1, seed 11)');
    expect(error.$metadata?.attempts).toBe(1);
    expect(reached['DynamoDB_20120810.PutItem']).toBe(1);

    const crashing = sqs(plan('sqs=1,seed=11', ['crash']), 3);
    expect((await failure(crashing.send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: 'x' })))).name).toBe('InjectedCrash');
    expect(reached['AmazonSQS.SendMessage']).toBe(1);
  });

  it('never crashes a read', async () => {
    const client = dynamo(plan('dynamodb=1,seed=11', ['crash']), 3);
    await expect(client.send(new GetCommand({ TableName: 't', Key: { PK: 'k' } }))).resolves.toMatchObject({ Item: { PK: 'k' } });
    expect(faultCounts()).toMatchObject({ calls: 1, faults: 0 });
  });

  it('does not retry a race: the caller re-reads, as for a real one', async () => {
    const error = await failure(
      dynamo(plan('dynamodb=1,seed=11', ['condition-race']), 3).send(put({ expression: 'pv = :pv', values: { ':pv': 1 } })),
    );
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect(error.$metadata?.attempts).toBe(1);
  });
});
