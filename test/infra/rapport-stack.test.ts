import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { env, type FunctionSpec, functions, type QueueName, queues } from '#functions/triggers.ts';
import { consoleContentSecurityPolicy } from '#infra/console-hosting.ts';
import { repoRoot } from '#infra/rapport-function.ts';
import { EVENT_AGE_ALARM, emailOutcomes, METRIC_NAMESPACE, RapportStack } from '#infra/rapport-stack.ts';
import { table as tableDefinition } from '#shared/data/table-definition.ts';

// Expectations come from the trigger table and the table definition; the stack object is used
// only to find which logical id belongs to which construct.

// biome-ignore lint/suspicious/noExplicitAny: template JSON is untyped; the assertions below check its shape.
type Cfn = Record<string, any>;
type Resource = { Type: string; Properties: Cfn; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

let app: App;
let stack: RapportStack;
let assembly: CloudAssembly;
let template: Template;
let resources: Record<string, Resource>;

/**
 * A console build of a few bytes, shaped as `npm run build:console` writes it (config.json `{}` for
 * the local runtime included): the stack is tested without building the real console, which
 * `npm run test:infra` does not do, and against files whose names the tests know.
 */
const fakeConsole = mkdtempSync(path.join(tmpdir(), 'rapport-console-'));
const fakeConsoleFiles: Record<string, string> = {
  'index.html': '<!doctype html><script type="module" src="/assets/index-Ab12Cd34.js"></script>',
  'assets/index-Ab12Cd34.js': 'console.log("rapport");',
  'favicon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  'config.json': '{}',
};
/** The storefront widget's one file, as `npm run build:widget` writes it. */
const fakeWidget = mkdtempSync(path.join(tmpdir(), 'rapport-widget-'));
const fakeWidgetScript = 'customElements.define("rapport-loyalty", class extends HTMLElement {});';

beforeAll(() => {
  for (const [name, text] of Object.entries(fakeConsoleFiles)) {
    mkdirSync(path.dirname(path.join(fakeConsole, name)), { recursive: true });
    writeFileSync(path.join(fakeConsole, name), text);
  }
  writeFileSync(path.join(fakeWidget, 'rapport-loyalty.js'), fakeWidgetScript);
  app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'rapport-infra-')) });
  stack = new RapportStack(app, 'Rapport', { consoleDir: fakeConsole, widgetDir: fakeWidget });
  assembly = app.synth();
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

afterAll(() => {
  rmSync(assembly.directory, { recursive: true, force: true });
  rmSync(fakeConsole, { recursive: true, force: true });
  rmSync(fakeWidget, { recursive: true, force: true });
});

const logicalId = (construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const ref = (construct: IConstruct) => ({ Ref: logicalId(construct) });
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const consumers = (queue: QueueName) => functions.filter((fn) => fn.consumes === queue);
const routeCount = functions.reduce((n, fn) => n + (fn.routes?.length ?? 0), 0);

function statementsOf(spec: FunctionSpec): Statement[] {
  const fn = resources[logicalId(stack.functions[spec.name]!)]!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const role = resources[roleId]!;
  expect(role.Properties.ManagedPolicyArns, `${spec.name} role has managed policies`).toBeUndefined();
  expect(role.Properties.Policies, `${spec.name} role has inline policies`).toBeUndefined();
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: { Ref?: string }) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statements: Statement[]) => statements.flatMap((s) => asArray(s.Action));
const withAction = (statements: Statement[], action: string) => statements.filter((s) => asArray(s.Action).includes(action));

describe('HTTP API', () => {
  it('has exactly one route per trigger-table route, each integrated with its function', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route');
    expect(routes).toHaveLength(routeCount);
    for (const spec of functions) {
      for (const route of spec.routes ?? []) {
        const routeKey = `${route.method} ${route.path}`;
        const matching = routes.filter(([, r]) => r.Properties.RouteKey === routeKey);
        expect(matching, routeKey).toHaveLength(1);
        const target = matching[0]![1].Properties.Target['Fn::Join'][1][1].Ref as string;
        const integration = resources[target]!;
        expect(integration.Type).toBe('AWS::ApiGatewayV2::Integration');
        expect(integration.Properties).toMatchObject({
          IntegrationType: 'AWS_PROXY',
          PayloadFormatVersion: '2.0',
          IntegrationUri: arnOf(stack.functions[spec.name]!),
        });
      }
    }
  });

  it('lets API Gateway invoke exactly the routed functions', () => {
    const routed = new Set(functions.filter((fn) => fn.routes?.length).map((fn) => logicalId(stack.functions[fn.name]!)));
    const invoked = new Set(
      ofType('AWS::Lambda::Permission')
        .filter(([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com')
        .map(([, p]) => p.Properties.FunctionName['Fn::GetAtt'][0] as string),
    );
    expect(invoked).toEqual(routed);
  });

  it('has one auto-deployed $default stage with access logs and throttling, and outputs its URL', () => {
    const stages = ofType('AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    const stage = stages[0]![1].Properties;
    expect(stage).toMatchObject({ StageName: '$default', AutoDeploy: true });
    expect(stage.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(stage.DefaultRouteSettings.ThrottlingBurstLimit).toBeGreaterThan(0);
    const logGroupId = stage.AccessLogSettings.DestinationArn['Fn::GetAtt'][0] as string;
    expect(resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    expect(stage.AccessLogSettings.Format).toContain('$context.requestId');
    // Customer lookups put e-mail addresses and phone numbers in the query string.
    expect(stage.AccessLogSettings.Format).not.toMatch(/querystring|\$context\.path/i);
    template.hasOutput('ApiUrl', {});
  });
});

describe('functions', () => {
  it('deploys exactly the functions of the trigger table, and the console deployment’s', () => {
    const deployer = logicalId(stack.consoleHosting.deploymentRole);
    const all = ofType('AWS::Lambda::Function');
    expect(all).toHaveLength(functions.length + 1);
    expect(all.filter(([, fn]) => fn.Properties.Role['Fn::GetAtt'][0] === deployer)).toHaveLength(1);
  });

  it.each(functions.map((fn) => [fn.name, fn] as const))('%s: Node 22 on arm64, traced, sized, own log group', (_, spec) => {
    const fn = resources[logicalId(stack.functions[spec.name]!)]!.Properties;
    expect(fn).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      MemorySize: spec.memoryMb,
      Timeout: spec.timeoutSeconds,
    });
    expect(fn.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    const logGroup = resources[fn.LoggingConfig.LogGroup.Ref as string]!;
    expect(logGroup).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
  });

  it.each(functions.map((fn) => [fn.name, fn] as const))('%s: an ESM, source-mapped bundle with the AWS SDK inside', (_, spec) => {
    const fn = resources[logicalId(stack.functions[spec.name]!)]!.Properties;
    const hash = (fn.Code.S3Key as string).replace(/\.zip$/, '');
    const manifest = JSON.parse(readFileSync(path.join(assembly.directory, 'Rapport.assets.json'), 'utf8'));
    const dir = path.join(assembly.directory, manifest.files[hash].source.path as string);
    const code = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
    expect(code.startsWith('import { createRequire')).toBe(true);
    const map = JSON.parse(readFileSync(path.join(dir, 'index.mjs.map'), 'utf8'));
    const sources: string[] = map.sources;
    expect(sources.some((s) => s.endsWith(spec.entry))).toBe(true);
    // Bundled, not left to the runtime's unbundled copy (infra/bundling.ts says why)...
    expect(sources.some((s) => s.includes('node_modules/@aws-sdk/'))).toBe(true);
    // ...and nothing imported from a package: only Node's built-ins stay outside the bundle.
    const imported = [...code.matchAll(/(?:^|[;}\s])import\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+)["']/g)].map((m) => m[1] as string);
    expect(imported.filter((name) => !name.startsWith('node:') && !builtinModules.includes(name))).toEqual([]);
    // Stack frames are mapped from the mappings alone; the sources' text is not shipped.
    expect(map.sourcesContent).toBeUndefined();
    // Files the function reads beside its bundle (the API reference's Swagger UI) are there, byte for byte.
    for (const { from, to } of spec.bundleFiles ?? []) {
      expect(readFileSync(path.join(dir, to)).equals(readFileSync(path.join(repoRoot, from))), `${spec.name}: ${to}`).toBe(true);
    }
  });
});

describe('IAM', () => {
  it.each(functions.map((fn) => [fn.name, fn] as const))('%s: grants exactly what the trigger table lists', (_, spec) => {
    const statements = statementsOf(spec);
    const fn = stack.functions[spec.name]!;
    const variables = resources[logicalId(fn)]!.Properties.Environment.Variables as Record<string, unknown>;

    const dynamo = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(new Set(actionsOf(dynamo))).toEqual(new Set(spec.tableActions));
    const tableResources = [arnOf(stack.table)];
    if (spec.usesIndex) {
      tableResources.push({ 'Fn::Join': ['', [arnOf(stack.table), `/index/${tableDefinition.gsi1.name}`]] } as never);
    }
    for (const s of dynamo) expect(asArray(s.Resource)).toEqual(tableResources);
    if (spec.tableActions.length > 0) expect(variables[env.tableName]).toEqual(ref(stack.table));
    else expect(variables[env.tableName]).toBeUndefined();

    const sends = withAction(statements, 'sqs:SendMessage');
    const sendsTo = spec.sendsTo ?? [];
    expect(sends.flatMap((s) => asArray(s.Resource))).toEqual(sendsTo.map((q) => arnOf(stack.queues[q].queue)));
    for (const q of Object.keys(queues) as QueueName[]) {
      expect(variables[env.queueUrl(q)]).toEqual(sendsTo.includes(q) ? ref(stack.queues[q].queue) : undefined);
    }

    const secretReads = withAction(statements, 'secretsmanager:GetSecretValue');
    const wanted = spec.secrets ?? [];
    const secretOf = { master: stack.deploymentSecret, admin: stack.adminKeySecret };
    expect(secretReads.flatMap((s) => asArray(s.Resource))).toEqual(wanted.map((name) => ref(secretOf[name])));
    for (const name of ['master', 'admin'] as const) {
      expect(variables[env.secretArn[name]]).toEqual(wanted.includes(name) ? ref(secretOf[name]) : undefined);
    }

    const consumed = spec.consumes ? stack.queues[spec.consumes].queue : undefined;
    const receives = withAction(statements, 'sqs:ReceiveMessage');
    expect(receives.flatMap((s) => asArray(s.Resource))).toEqual(consumed ? [arnOf(consumed)] : []);

    const expected = new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      ...spec.tableActions,
      ...(sendsTo.length ? ['sqs:SendMessage'] : []),
      ...(spec.secrets?.length ? ['secretsmanager:GetSecretValue'] : []),
      ...(spec.createsRunSchedules ? ['scheduler:CreateSchedule', 'iam:PassRole'] : []),
      ...(spec.sendsEmail ? ['ses:SendRawEmail'] : []),
      ...(consumed
        ? ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']
        : []),
    ]);
    expect(new Set(actionsOf(statements))).toEqual(expected);
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  it('has no wildcard action in any IAM policy, and Resource "*" only for X-Ray (the console deployment’s aside)', () => {
    // BucketDeployment writes that role's grants itself; "console on AWS" checks them.
    const deployer = logicalId(stack.consoleHosting.deploymentRole);
    const documents = [
      ...ofType('AWS::IAM::Policy')
        .filter(([, p]) => !p.Properties.Roles.some((r: { Ref?: string }) => r.Ref === deployer))
        .map(([, p]) => p.Properties.PolicyDocument),
      ...ofType('AWS::IAM::ManagedPolicy').map(([, p]) => p.Properties.PolicyDocument),
      ...ofType('AWS::IAM::Role').flatMap(([, r]) => (r.Properties.Policies ?? []).map((p: Cfn) => p.PolicyDocument)),
    ];
    const statements: Statement[] = documents.flatMap((d) => d.Statement);
    expect(statements.length).toBeGreaterThan(0);
    expect(actionsOf(statements).filter((a) => a.includes('*'))).toEqual([]);
    for (const s of statements.filter((s) => asArray(s.Resource).includes('*'))) {
      expect(asArray(s.Action).every((a) => a.startsWith('xray:'))).toBe(true);
    }
  });
});

describe('email', () => {
  it('paces the email function by the event source maximum concurrency', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => JSON.stringify(m.Properties.EventSourceArn) === JSON.stringify(arnOf(stack.queues.email.queue)),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]![1].Properties.ScalingConfig).toEqual({ MaximumConcurrency: queues.email.maxConcurrency });
  });

  it('sends SES feedback through an encrypted topic to the feedback function, from the configuration set every email uses', () => {
    const topic = resources[logicalId(stack.topics.sesFeedback)]!;
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    const subscriptions = ofType('AWS::SNS::Subscription').filter(
      ([, sub]) => JSON.stringify(sub.Properties.TopicArn) === JSON.stringify(ref(stack.topics.sesFeedback)),
    );
    expect(subscriptions.map(([, sub]) => sub.Properties.Endpoint)).toEqual([arnOf(stack.functions.sesFeedback!)]);
    const destinations = ofType('AWS::SES::ConfigurationSetEventDestination');
    expect(destinations).toHaveLength(1);
    expect(destinations[0]![1].Properties.EventDestination.MatchingEventTypes).toEqual(expect.arrayContaining(['bounce', 'complaint']));
    for (const spec of functions.filter((f) => f.sendsEmail)) {
      const variables = resources[logicalId(stack.functions[spec.name]!)]!.Properties.Environment.Variables as Record<string, unknown>;
      expect(variables[env.sesConfigurationSet]).toEqual(ref(stack.configurationSet));
      expect(JSON.stringify(variables[env.publicUrl])).toContain(logicalId(stack.api));
    }
  });
});

describe('daily runs', () => {
  it('lets only the schedule creators create schedules, in the runs group, passing a role that may only send to the runs queue', () => {
    const [[groupId, group]] = ofType('AWS::Scheduler::ScheduleGroup') as [[string, Resource]];
    expect(group.Properties.Name).toEqual(expect.stringContaining('-runs'));
    const roles = ofType('AWS::IAM::Role').filter(([, r]) =>
      r.Properties.AssumeRolePolicyDocument.Statement.some((st: Cfn) => st.Principal?.Service === 'scheduler.amazonaws.com'),
    );
    expect(roles).toHaveLength(1);
    const [roleId] = roles[0] as [string, Resource];
    const rolePolicies = ofType('AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: { Ref?: string }) => r.Ref === roleId));
    const roleStatements = rolePolicies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
    expect(roleStatements).toEqual([expect.objectContaining({ Action: 'sqs:SendMessage', Resource: arnOf(stack.queues.runs.queue) })]);

    for (const spec of functions) {
      const statements = statementsOf(spec);
      const creates = withAction(statements, 'scheduler:CreateSchedule');
      const passes = withAction(statements, 'iam:PassRole');
      if (!spec.createsRunSchedules) {
        expect(creates.length + passes.length, spec.name).toBe(0);
        continue;
      }
      expect(JSON.stringify(creates[0]?.Resource)).toContain(groupId);
      expect(passes[0]?.Resource).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
      const variables = resources[logicalId(stack.functions[spec.name]!)]!.Properties.Environment.Variables as Record<string, unknown>;
      expect(variables).toMatchObject({ RUN_SCHEDULE_GROUP: { Ref: groupId }, RUNS_QUEUE_ARN: arnOf(stack.queues.runs.queue) });
    }
  });
});

describe('queues', () => {
  it('has a queue and a dead-letter queue per trigger-table queue, and nothing else', () => {
    expect(ofType('AWS::SQS::Queue')).toHaveLength(2 * Object.keys(queues).length);
  });

  it.each(Object.entries(queues) as [QueueName, (typeof queues)[QueueName]][])('%s: DLQ, SSE, TLS-only, visibility', (name, spec) => {
    const { queue, deadLetterQueue } = stack.queues[name];
    const q = resources[logicalId(queue)]!.Properties;
    const dlq = resources[logicalId(deadLetterQueue)]!.Properties;
    expect(q.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(deadLetterQueue), maxReceiveCount: spec.maxReceiveCount });
    expect(q.SqsManagedSseEnabled).toBe(true);
    expect(dlq.SqsManagedSseEnabled).toBe(true);
    expect(dlq.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(consumers(name).length).toBeGreaterThan(0);
    for (const consumer of consumers(name)) expect(q.VisibilityTimeout).toBeGreaterThanOrEqual(6 * consumer.timeoutSeconds);

    for (const target of [queue, deadLetterQueue]) {
      const policies = ofType('AWS::SQS::QueuePolicy').filter(([, p]) =>
        p.Properties.Queues.some((r: unknown) => JSON.stringify(r) === JSON.stringify(ref(target))),
      );
      const statements: Cfn[] = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('feeds each consumer through an event source mapping that reports partial batch failures', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    const consuming = functions.filter((fn) => fn.consumes);
    expect(mappings).toHaveLength(consuming.length);
    for (const spec of consuming) {
      const queue = queues[spec.consumes!];
      const matching = mappings.filter(
        ([, m]) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify(ref(stack.functions[spec.name]!)),
      );
      expect(matching, spec.name).toHaveLength(1);
      expect(matching[0]![1].Properties).toMatchObject({
        EventSourceArn: arnOf(stack.queues[spec.consumes!].queue),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: queue.batchSize,
        MaximumBatchingWindowInSeconds: queue.maxBatchingWindowSeconds,
      });
    }
  });

  it('alarms on every dead-letter queue as soon as one message lands there', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    const topicRef = ref(stack.alarmTopic);
    for (const name of Object.keys(queues) as QueueName[]) {
      const dlqName = { 'Fn::GetAtt': [logicalId(stack.queues[name].deadLetterQueue), 'QueueName'] };
      const matching = alarms.filter(([, a]) =>
        (a.Properties.Dimensions ?? []).some((d: { Value: unknown }) => JSON.stringify(d.Value) === JSON.stringify(dlqName)),
      );
      expect(matching, name).toHaveLength(1);
      expect(matching[0]![1].Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Period: 60,
        EvaluationPeriods: 1,
        AlarmActions: [topicRef],
        OKActions: [topicRef],
      });
    }
    const topicPolicy = ofType('AWS::SNS::TopicPolicy').find(
      ([, p]) => JSON.stringify(p.Properties.Topics) === JSON.stringify([topicRef]),
    )![1].Properties.PolicyDocument.Statement;
    expect(topicPolicy).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(topicPolicy).toContainEqual(
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
    );
  });
});

describe('monitoring', () => {
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const dimension = (alarm: Cfn, name: string) => (alarm.Dimensions ?? []).find((d: { Name: string }) => d.Name === name)?.Value as unknown;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

  /**
   * The dashboard's widgets, parsed from its body; each CloudFormation token in it (a queue's name,
   * a function's Ref) becomes the JSON text of that token, so it can be compared with `ref()`.
   */
  function widgets(): Array<{ type: string; properties: Cfn }> {
    const dashboards = ofType('AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const parts = dashboards[0]![1].Properties.DashboardBody['Fn::Join'][1] as unknown[];
    const text = parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(JSON.stringify(part)).slice(1, -1))).join('');
    return JSON.parse(text).widgets;
  }
  const graph = (title: string) => {
    const found = widgets().filter((w) => w.properties.title === title);
    expect(found, title).toHaveLength(1);
    return found[0]!.properties.metrics as unknown[][];
  };
  /** Each plain metric of a graph (math expressions left out): namespace, metric name, then dimension names and values. */
  const series = (title: string) =>
    graph(title)
      .filter((m) => typeof m[0] === 'string')
      .map((m) => m.filter((part) => typeof part === 'string') as string[]);
  const token = (value: unknown) => JSON.stringify(value);
  const queueName = (construct: IConstruct) => token({ 'Fn::GetAtt': [logicalId(construct), 'QueueName'] });

  it('has one dashboard: a note on what to do, then queues, dead letters, functions, table, API and email', () => {
    const all = widgets();
    expect(all[0]).toMatchObject({ type: 'text' });
    expect(all[0]!.properties.markdown).toContain('rapport dlq redrive');
    expect(all.slice(1).map((w) => w.properties.title)).toEqual([
      'Age of the oldest message, per queue',
      'Dead letters, per dead-letter queue',
      'Lambda errors, per function',
      'Lambda throttles, per function',
      'DynamoDB: throttled requests, user errors, system errors',
      'API: 4xx and 5xx answers',
      'API latency',
      'Email: sent, skipped, requeued, bounces, complaints',
    ]);
    template.hasOutput('DashboardUrl', {});
  });

  it('graphs every queue’s oldest message and every dead-letter queue’s depth', () => {
    const names = Object.keys(queues) as QueueName[];
    expect(series('Age of the oldest message, per queue')).toEqual(
      names.map((name) => ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', queueName(stack.queues[name].queue)]),
    );
    expect(series('Dead letters, per dead-letter queue')).toEqual(
      names.map((name) => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queueName(stack.queues[name].deadLetterQueue)]),
    );
  });

  it('graphs errors and throttles of every function', () => {
    for (const [title, metric] of [
      ['Lambda errors, per function', 'Errors'],
      ['Lambda throttles, per function', 'Throttles'],
    ] as const) {
      expect(series(title)).toEqual(
        functions.map((spec) => ['AWS/Lambda', metric, 'FunctionName', token(ref(stack.functions[spec.name]!))]),
      );
    }
  });

  it('graphs the table’s throttled requests and system errors over every operation the functions call, and user errors', () => {
    const metrics = graph('DynamoDB: throttled requests, user errors, system errors');
    const expressions = metrics.filter((m) => typeof m[0] === 'object').map((m) => m[0] as { expression: string; label: string });
    expect(expressions.map((e) => e.label)).toEqual(['throttled requests', 'system errors']);
    for (const e of expressions) expect(e.expression).toMatch(/^FILL\(\w+, 0\)( \+ FILL\(\w+, 0\))*$/);
    const operations = new Set(functions.flatMap((spec) => spec.tableActions.map((action) => action.replace('dynamodb:', ''))));
    const table = token(ref(stack.table));
    const dimensionsOf = (m: string[]) =>
      Object.fromEntries(Array.from({ length: (m.length - 2) / 2 }, (_, i) => [m[2 + 2 * i], m[3 + 2 * i]]));
    for (const name of ['ThrottledRequests', 'SystemErrors']) {
      const inputs = series('DynamoDB: throttled requests, user errors, system errors').filter((m) => m[1] === name);
      expect(inputs.every((m) => m[0] === 'AWS/DynamoDB' && dimensionsOf(m).TableName === table)).toBe(true);
      expect(new Set(inputs.map((m) => dimensionsOf(m).Operation))).toEqual(operations);
    }
    expect(series('DynamoDB: throttled requests, user errors, system errors')).toContainEqual(['AWS/DynamoDB', 'UserErrors']);
  });

  it('graphs the API’s 4xx, 5xx and latency', () => {
    const api = token(ref(stack.api));
    expect(series('API: 4xx and 5xx answers')).toEqual([
      ['AWS/ApiGateway', '4xx', 'ApiId', api],
      ['AWS/ApiGateway', '5xx', 'ApiId', api],
    ]);
    expect(series('API latency').map((m) => m[1])).toEqual(['Latency', 'Latency', 'IntegrationLatency']);
  });

  it('counts email outcomes from the lines the email and SES feedback functions log, and graphs them', () => {
    const filters = ofType('AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
    expect(filters).toHaveLength(emailOutcomes.length);
    for (const outcome of emailOutcomes) {
      const logGroup = resources[logicalId(stack.functions[outcome.fn]!)]!.Properties.LoggingConfig.LogGroup;
      const filter = filters.find((f) => f.MetricTransformations[0].MetricName === outcome.metricName);
      expect(filter, outcome.metricName).toMatchObject({
        LogGroupName: logGroup,
        FilterPattern: `{ ($.message = "${outcome.message}") && ($.${outcome.field} = "${outcome.value}") }`,
        MetricTransformations: [{ MetricNamespace: METRIC_NAMESPACE, MetricValue: '1' }],
      });
    }
    expect(series('Email: sent, skipped, requeued, bounces, complaints')).toEqual(
      emailOutcomes.map((outcome) => [METRIC_NAMESPACE, outcome.metricName]),
    );
  });

  it('alarms when events wait on the interactions queue for minutes', () => {
    const age = alarms().filter((a) => a.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(age).toHaveLength(1);
    expect(dimension(age[0]!, 'QueueName')).toEqual({ 'Fn::GetAtt': [logicalId(stack.queues.interactions.queue), 'QueueName'] });
    expect(age[0]).toMatchObject({
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Period: 60,
      Threshold: EVENT_AGE_ALARM.seconds,
      EvaluationPeriods: EVENT_AGE_ALARM.minutes,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    // One failing event counts until its third receive, 2 visibility timeouts after it arrived; the
    // alarm needs an age over the threshold in every one of its periods, which ends later than that.
    const visibility = resources[logicalId(stack.queues.interactions.queue)]!.Properties.VisibilityTimeout as number;
    expect(EVENT_AGE_ALARM.seconds + 60 * (EVENT_AGE_ALARM.minutes - 1)).toBeGreaterThan(2 * visibility);
  });

  it('alarms on the first failed invocation of any function', () => {
    for (const spec of functions) {
      const matching = alarms().filter(
        (a) => a.Namespace === 'AWS/Lambda' && same(dimension(a, 'FunctionName'), ref(stack.functions[spec.name]!)),
      );
      expect(matching, spec.name).toHaveLength(1);
      expect(matching[0]).toMatchObject({
        MetricName: 'Errors',
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('sends every alarm, and its return to OK, to the alarm topic; missing data is not a breach', () => {
    expect(alarms()).toHaveLength(Object.keys(queues).length + 1 + functions.length);
    for (const alarm of alarms()) {
      expect(alarm.AlarmActions).toEqual([ref(stack.alarmTopic)]);
      expect(alarm.OKActions).toEqual([ref(stack.alarmTopic)]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
      expect(alarm.AlarmDescription.length).toBeGreaterThan(40);
    }
  });

  it('outputs each queue’s URL under the variable the CLI reads', () => {
    for (const name of Object.keys(queues) as QueueName[]) {
      const id = `${name[0]!.toUpperCase()}${name.slice(1)}QueueUrl`;
      const output = template.toJSON().Outputs[id];
      expect(output, id).toMatchObject({ Value: ref(stack.queues[name].queue) });
      expect(output.Description).toContain(env.queueUrl(name));
    }
  });
});

describe('table', () => {
  it('matches shared/data/table-definition.ts and is protected', () => {
    const tables = ofType('AWS::DynamoDB::GlobalTable');
    expect(tables).toHaveLength(1);
    const [, table] = tables[0]!;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    const t = table.Properties;
    expect(t.KeySchema).toEqual([
      { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
      { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
    ]);
    const { gsi1 } = tableDefinition;
    expect(new Set(t.AttributeDefinitions)).toEqual(
      new Set(
        [tableDefinition.partitionKey, tableDefinition.sortKey, gsi1.partitionKey, gsi1.sortKey].map((name) => ({
          AttributeName: name,
          AttributeType: 'S',
        })),
      ),
    );
    expect(t.AttributeDefinitions).toHaveLength(4);
    expect(t.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: gsi1.name,
        KeySchema: [
          { AttributeName: gsi1.partitionKey, KeyType: 'HASH' },
          { AttributeName: gsi1.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
    expect(t.TimeToLiveSpecification).toEqual({ AttributeName: tableDefinition.ttlAttribute, Enabled: true });
    expect(t.BillingMode).toBe('PAY_PER_REQUEST');
    expect(t.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(t.Replicas).toHaveLength(1);
    expect(t.Replicas[0]).toMatchObject({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });
});

describe('secrets', () => {
  it('generates the master key and the admin key, and keeps the master key with the table', () => {
    const secret = resources[logicalId(stack.deploymentSecret)]!;
    expect(secret.DeletionPolicy).toBe('Retain');
    expect(secret.Properties.GenerateSecretString).toMatchObject({ SecretStringTemplate: '{}', GenerateStringKey: 'masterKey' });
    expect(secret.Properties.GenerateSecretString.PasswordLength).toBeGreaterThanOrEqual(48);
    const admin = resources[logicalId(stack.adminKeySecret)]!;
    expect(admin.Properties.GenerateSecretString).toMatchObject({
      SecretStringTemplate: '{}',
      GenerateStringKey: 'adminKey',
      PasswordLength: 40,
    });
  });
});

describe('console on AWS', () => {
  const API_URL = 'https://api.example';
  const distributionId = () => logicalId(stack.consoleHosting.distribution);
  const distribution = (): Cfn => resources[distributionId()]!.Properties.DistributionConfig;
  const behaviors = (): Cfn[] => [distribution().DefaultCacheBehavior, ...distribution().CacheBehaviors];
  const headersOf = (behavior: Cfn): Cfn => resources[behavior.ResponseHeadersPolicyId.Ref]!.Properties.ResponseHeadersPolicyConfig;
  const apiEndpoint = () => ({ 'Fn::GetAtt': [logicalId(stack.api), 'ApiEndpoint'] });
  /** A value as text, each token in it the API's endpoint (written API_URL): any other token fails. */
  const text = (value: string | Cfn): string =>
    typeof value === 'string'
      ? value
      : (value['Fn::Join'][1] as unknown[])
          .map((part) => {
            if (typeof part === 'string') return part;
            expect(part).toEqual(apiEndpoint());
            return API_URL;
          })
          .join('');
  /** The console's deployment, or the widget's (under its key prefix): there are these two only. */
  const deployment = (of: 'console' | 'widget' = 'console'): Cfn => {
    const found = ofType('Custom::CDKBucketDeployment');
    expect(found).toHaveLength(2);
    const [one] = found.filter(([, d]) => (d.Properties.DestinationBucketKeyPrefix === 'widget/') === (of === 'widget'));
    return one![1].Properties;
  };
  const assetDir = (objectKey: string): string => {
    const manifest = JSON.parse(readFileSync(path.join(assembly.directory, 'Rapport.assets.json'), 'utf8'));
    return path.join(assembly.directory, manifest.files[objectKey.replace(/\.zip$/, '')].source.path as string);
  };

  it('keeps the build in a private, encrypted, TLS-only bucket that only the distribution reads, through Origin Access Control', () => {
    const bucketId = logicalId(stack.consoleHosting.bucket);
    const bucket = resources[bucketId]!.Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    expect(bucket.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);

    const policies = ofType('AWS::S3::BucketPolicy').filter(([, p]) => p.Properties.Bucket.Ref === bucketId);
    expect(policies).toHaveLength(1);
    const statements = policies[0]![1].Properties.PolicyDocument.Statement as Cfn[];
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    // ListBucket makes S3 answer a missing file 404 rather than 403.
    expect(allows[0]).toMatchObject({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: ['s3:GetObject', 's3:ListBucket'] });
    expect(JSON.stringify(allows[0]!.Condition.StringEquals['AWS:SourceArn'])).toContain(JSON.stringify({ Ref: distributionId() }));

    const origins = distribution().Origins as Cfn[];
    expect(origins).toHaveLength(1);
    expect(origins[0]!.DomainName).toEqual({ 'Fn::GetAtt': [bucketId, 'RegionalDomainName'] });
    expect(origins[0]!.S3OriginConfig.OriginAccessIdentity).toBe('');
    expect(resources[origins[0]!.OriginAccessControlId['Fn::GetAtt'][0] as string]).toMatchObject({
      Type: 'AWS::CloudFront::OriginAccessControl',
      Properties: {
        OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
      },
    });
  });

  it('answers over HTTPS only, index.html at the root, with the security headers on every response', () => {
    expect(distribution().DefaultRootObject).toBe('index.html');
    for (const behavior of behaviors()) {
      expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
      expect(behavior.AllowedMethods).toEqual(['GET', 'HEAD']);
      const security = headersOf(behavior).SecurityHeadersConfig;
      expect(security).toMatchObject({
        StrictTransportSecurity: { IncludeSubdomains: true, Override: true },
        ContentTypeOptions: { Override: true },
        FrameOptions: { FrameOption: 'DENY', Override: true },
        ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
        ContentSecurityPolicy: { Override: true },
      });
      expect(security.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(365 * 24 * 3600);
      expect(text(security.ContentSecurityPolicy.ContentSecurityPolicy)).toBe(consoleContentSecurityPolicy(API_URL));
    }
  });

  it('lets the page run its own scripts only and call only its own origin and the API', () => {
    const csp = text(headersOf(distribution().DefaultCacheBehavior).SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy);
    const directives = Object.fromEntries(
      csp.split('; ').map((directive) => {
        const [name, ...sources] = directive.split(' ');
        return [name, sources.join(' ')];
      }),
    );
    expect(directives).toMatchObject({
      'default-src': "'self'",
      'script-src': "'self'",
      'connect-src': `'self' ${API_URL}`,
      'frame-ancestors': "'none'",
      'object-src': "'none'",
    });
  });

  it('caches the hashed assets for a year and has browsers ask again for the rest; a deployment invalidates index.html and config.json', () => {
    const cacheControl = (behavior: Cfn) => headersOf(behavior).CustomHeadersConfig.Items.filter((h: Cfn) => h.Header === 'Cache-Control');
    const additional = distribution().CacheBehaviors as Cfn[];
    expect(additional.map((b) => b.PathPattern)).toEqual(['/assets/*', '/widget/*']);
    expect(cacheControl(additional[0]!)).toEqual([
      { Header: 'Cache-Control', Value: 'public, max-age=31536000, immutable', Override: true },
    ]);
    expect(cacheControl(distribution().DefaultCacheBehavior)).toEqual([{ Header: 'Cache-Control', Value: 'no-cache', Override: true }]);
    expect(deployment()).toMatchObject({ DistributionId: { Ref: distributionId() }, DistributionPaths: ['/index.html', '/config.json'] });
  });

  it("rewrites the app's routes to index.html and leaves files alone, so a missing one stays a 404", () => {
    const functionId = logicalId(stack.consoleHosting.spaRewrite);
    expect(distribution().DefaultCacheBehavior.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
    ]);
    expect(distribution().CacheBehaviors[0].FunctionAssociations).toBeUndefined();
    expect(distribution().CustomErrorResponses).toBeUndefined();
    const fn = resources[functionId]!.Properties;
    expect(fn.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    // The deployed code itself, run on the request shape CloudFront gives it.
    const handler = new Function(`${fn.FunctionCode}\nreturn handler;`)() as (event: { request: { uri: string } }) => { uri: string };
    const rewrite = (uri: string) => handler({ request: { uri } }).uri;
    for (const route of ['/', '/customers', '/customers/c_01J9ZK3', '/segments/champions/', '/runs/r_1']) {
      expect(rewrite(route), route).toBe('/index.html');
    }
    for (const file of ['/config.json', '/favicon.svg', '/assets/index-Ab12Cd34.js', '/missing.png'])
      expect(rewrite(file), file).toBe(file);
  });

  it('deploys the build, pruning what it no longer has, with a generated /config.json naming the API', () => {
    const props = deployment();
    expect(props).toMatchObject({ DestinationBucketName: ref(stack.consoleHosting.bucket), Prune: true, RetainOnDelete: false });
    // The widget's files are the widget deployment's: the console's sync leaves them alone.
    expect(props.DestinationBucketKeyPrefix).toBeUndefined();
    expect(props.Exclude).toEqual(['widget/*']);
    const [build, config] = props.SourceObjectKeys as [string, string];
    // The build as it is, less its config.json (`{}`, for the local runtime).
    expect(readdirSync(assetDir(build), { recursive: true }).sort()).toEqual([
      'assets',
      'assets/index-Ab12Cd34.js',
      'favicon.svg',
      'index.html',
    ]);
    expect(readFileSync(path.join(assetDir(build), 'index.html'), 'utf8')).toBe(fakeConsoleFiles['index.html']);
    expect(readdirSync(assetDir(config))).toEqual(['config.json']);
    const markers = props.SourceMarkers[1] as Record<string, unknown>;
    expect(Object.values(markers)).toEqual([apiEndpoint()]);
    let json = readFileSync(path.join(assetDir(config), 'config.json'), 'utf8');
    for (const marker of Object.keys(markers)) json = json.replaceAll(marker, API_URL);
    expect(JSON.parse(json)).toEqual({ apiUrl: API_URL });
  });

  it('lets the deployment write only the console bucket; its only unscoped grant is the invalidation', () => {
    const roleId = logicalId(stack.consoleHosting.deploymentRole);
    expect(resources[roleId]!.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: { Ref?: string }) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
    const bucketArn = arnOf(stack.consoleHosting.bucket);
    const writes = statements.filter((s) => asArray(s.Action).some((a) => /^s3:(Put|Delete|Abort)/.test(a)));
    expect(writes.length).toBeGreaterThan(0);
    for (const s of writes) expect(s.Resource).toEqual([bucketArn, { 'Fn::Join': ['', [bucketArn, '/*']] }]);
    const unscoped = statements.filter((s) => asArray(s.Resource).includes('*'));
    expect(unscoped.flatMap((s) => asArray(s.Action)).sort()).toEqual(['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation']);
  });

  it('lets the console call the API from its origin (CORS), with the headers it sends and reads, no credentials', () => {
    // Any origin, not the distribution's: the distribution names the API in its CSP, so the API
    // cannot name the distribution (infra/console-hosting.ts, consoleCors, says why that is safe).
    expect(resources[logicalId(stack.api)]!.Properties.CorsConfiguration).toEqual({
      AllowOrigins: ['*'],
      AllowCredentials: false,
      AllowHeaders: [
        'authorization',
        'content-type',
        'idempotency-key',
        'if-match',
        'x-rapport-customer',
        'x-rapport-link',
        'x-rapport-shop',
      ],
      AllowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      ExposeHeaders: ['x-next-cursor', 'etag'],
      MaxAge: 86400,
    });
  });

  it('serves the storefront widget at /widget/*, deployed under that prefix alone, usable from any origin', () => {
    const props = deployment('widget');
    expect(props).toMatchObject({
      DestinationBucketName: ref(stack.consoleHosting.bucket),
      DestinationBucketKeyPrefix: 'widget/',
      Prune: true,
      RetainOnDelete: false,
      DistributionId: { Ref: distributionId() },
      DistributionPaths: ['/widget/*'],
    });
    expect(props.Exclude).toBeUndefined();
    const [build] = props.SourceObjectKeys as [string];
    expect(readdirSync(assetDir(build))).toEqual(['rapport-loyalty.js']);
    expect(readFileSync(path.join(assetDir(build), 'rapport-loyalty.js'), 'utf8')).toBe(fakeWidgetScript);

    const widget = (distribution().CacheBehaviors as Cfn[]).find((b) => b.PathPattern === '/widget/*')!;
    expect(widget.FunctionAssociations).toBeUndefined();
    const headers = headersOf(widget);
    expect(headers.CorsConfig).toEqual({
      AccessControlAllowOrigins: { Items: ['*'] },
      AccessControlAllowMethods: { Items: ['GET', 'HEAD'] },
      AccessControlAllowHeaders: { Items: ['*'] },
      AccessControlAllowCredentials: false,
      OriginOverride: true,
    });
    expect(headers.CustomHeadersConfig.Items).toEqual([
      { Header: 'Cache-Control', Value: 'public, max-age=3600', Override: true },
      { Header: 'Cross-Origin-Resource-Policy', Value: 'cross-origin', Override: true },
    ]);
  });

  it('outputs ConsoleUrl, the distribution’s HTTPS address', () => {
    expect(template.toJSON().Outputs.ConsoleUrl.Value).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId(), 'DomainName'] }]],
    });
  });

  it('has the hosted loyalty page load the widget from the distribution, and outputs its address for shops', () => {
    const widgetUrl = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId(), 'DomainName'] }, '/widget/rapport-loyalty.js']] };
    const resources = template.toJSON().Resources as Record<string, Cfn>;
    const variables = resources[logicalId(stack.functions.storefront!)]!.Properties.Environment.Variables as Record<string, unknown>;
    expect(variables.RAPPORT_WIDGET_URL).toEqual(widgetUrl);
    expect(template.toJSON().Outputs.WidgetUrl.Value).toEqual(widgetUrl);
  });

  it('refuses to synthesize without a built console or widget, and says how to build them', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'rapport-unbuilt-'));
    try {
      const unbundled = new App({ outdir: empty, context: { 'aws:cdk:bundling-stacks': [] } });
      expect(() => new RapportStack(unbundled, 'Unbuilt', { consoleDir: path.join(empty, 'dist') })).toThrow(/npm run build:console/);
      const noWidget = { consoleDir: fakeConsole, widgetDir: path.join(empty, 'dist') };
      expect(() => new RapportStack(unbundled, 'UnbuiltWidget', noWidget)).toThrow(/npm run build:widget/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
