import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  Alarm,
  type AlarmProps,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  type Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { FilterPattern, LogGroup, MetricFilter, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { ConfigurationSet, EmailSendingEvent, EventDestination } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { env, type FunctionSpec, functions, type QueueName, queues, type TopicName } from '#functions/triggers.ts';
import { scheduleEnv } from '#shared/aws/scheduler.ts';
import { table as tableDefinition } from '#shared/data/table-definition.ts';
import { builtConsoleDir, ConsoleHosting, consoleCors, WIDGET_KEY_PREFIX } from './console-hosting.ts';
import { RapportFunction } from './rapport-function.ts';

/**
 * AWS recommends a source-queue visibility timeout of at least six times the consumer's timeout
 * plus its batching window, so a message is not redelivered while Lambda still retries the batch.
 */
export function visibilityTimeoutSeconds(queue: QueueName): number {
  const consumers = functions.filter((fn) => fn.consumes === queue);
  if (consumers.length === 0) throw new Error(`queue "${queue}" has no consumer in functions/triggers.ts`);
  const longest = Math.max(...consumers.map((fn) => fn.timeoutSeconds));
  return 6 * longest + queues[queue].maxBatchingWindowSeconds;
}

/** Enough for shops' webhook bursts; a runaway client hits 429 before it costs table capacity. */
const apiThrottle = { rateLimit: 200, burstLimit: 400 };

/** The age alarm of the interactions queue: an event older than `seconds`, `minutes` minutes in a row. */
export const EVENT_AGE_ALARM = { seconds: 300, minutes: 5 };

/** Rapport's own metrics: counted by the log metric filters below (no handler publishes metrics itself yet). */
export const METRIC_NAMESPACE = 'Rapport';

const emailLine = { fn: 'email', message: 'email', field: 'status' } as const;
const feedbackLine = { fn: 'sesFeedback', message: 'SES feedback applied', field: 'kind' } as const;
/**
 * Email outcomes, counted from the log line each one already writes (functions/email.ts logs
 * `email` with the send's status; functions/ses-feedback.ts logs `SES feedback applied` with its kind).
 */
export const emailOutcomes = [
  { ...emailLine, value: 'sent', metricName: 'EmailsSent', label: 'sent' },
  { ...emailLine, value: 'skipped', metricName: 'EmailsSkipped', label: 'skipped (consent, cap, suppressed…)' },
  { ...emailLine, value: 'requeued', metricName: 'EmailsRequeued', label: 'requeued (SES throttling)' },
  { ...feedbackLine, value: 'bounce', metricName: 'EmailBounces', label: 'bounces' },
  { ...feedbackLine, value: 'complaint', metricName: 'EmailComplaints', label: 'complaints' },
] as const;

export interface RapportStackProps extends StackProps {
  /** The built console to deploy (default console/dist); the infra tests pass a small one of their own. */
  readonly consoleDir?: string;
  /** The built storefront widget to deploy (default widget/dist); the infra tests pass a small one of their own. */
  readonly widgetDir?: string;
}

export interface QueuePair {
  queue: Queue;
  deadLetterQueue: Queue;
}

/** Everything Rapport runs on, derived from the trigger table: add a function or queue there, not here. */
export class RapportStack extends Stack {
  readonly table: TableV2;
  readonly queues: Record<QueueName, QueuePair>;
  readonly functions: Record<string, RapportFunction>;
  readonly api: HttpApi;
  readonly deploymentSecret: Secret;
  readonly adminKeySecret: Secret;
  readonly alarmTopic: Topic;
  readonly dashboard: Dashboard;
  readonly topics: Record<TopicName, Topic>;
  readonly configurationSet: ConfigurationSet;
  readonly consoleHosting: ConsoleHosting;

  constructor(scope: Construct, id: string, props?: RapportStackProps) {
    super(scope, id, props);

    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: tableDefinition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey, type: AttributeType.STRING },
      globalSecondaryIndexes: [
        {
          indexName: tableDefinition.gsi1.name,
          partitionKey: { name: tableDefinition.gsi1.partitionKey, type: AttributeType.STRING },
          sortKey: { name: tableDefinition.gsi1.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        },
      ],
      timeToLiveAttribute: tableDefinition.ttlAttribute,
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The AWS managed key gives KMS encryption with CloudTrail visibility and needs no kms:*
      // grants in the function roles (DynamoDB uses it on their behalf).
      encryption: TableEncryptionV2.awsManagedKey(),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.alarmTopic = new Topic(this, 'AlarmTopic', { displayName: 'Rapport alarms', enforceSSL: true });
    // enforceSSL gives the topic a resource policy, which replaces the default one; CloudWatch
    // alarms of this account must still be able to publish.
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );

    // One generated value per secret is all CloudFormation can generate, hence two secrets.
    this.deploymentSecret = new Secret(this, 'DeploymentSecret', {
      description: "Rapport master key: encrypts the shops' webhook secrets stored in the table",
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'masterKey',
        passwordLength: 64,
        excludePunctuation: true,
      },
      // The table is retained, and its encrypted shop secrets are unreadable without this key.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.adminKeySecret = new Secret(this, 'AdminKeySecret', {
      description: 'Rapport admin key: the bearer token of POST /admin/shops',
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'adminKey',
        passwordLength: 40,
        excludePunctuation: true,
      },
    });
    Validations.of(this.deploymentSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The master key encrypts stored shop secrets; rotating it needs a re-encryption run, not a Secrets Manager rotation Lambda, so it is rotated by an operator procedure.',
    });
    Validations.of(this.adminKeySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The admin key is a static bearer token handed to the operator; it is rotated by updating the secret value, and functions read it on every cold start.',
    });

    this.queues = {} as Record<QueueName, QueuePair>;
    for (const [name, spec] of Object.entries(queues) as [QueueName, (typeof queues)[QueueName]][]) {
      const deadLetterQueue = new Queue(this, `${name}DeadLetterQueue`, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      const queue = new Queue(this, `${name}Queue`, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(name)),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: spec.maxReceiveCount },
      });
      this.queues[name] = { queue, deadLetterQueue };
    }

    // Daily re-segmentation runs: one EventBridge Scheduler schedule per shop (created with the
    // shop, in its time zone: shared/aws/scheduler.ts), in this group, sending to the runs queue
    // with this role — the only thing the role may do.
    const runScheduleGroup = new CfnScheduleGroup(this, 'RunScheduleGroup', { name: `${this.stackName}-runs` });
    const runScheduleRole = new Role(this, 'RunScheduleRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: "EventBridge Scheduler sends shops' daily run messages to the runs queue",
    });
    runScheduleRole.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queues.runs.queue.queueArn] }));

    // SES feedback (bounces, complaints, deliveries) through a configuration set to an SNS topic.
    // The notifications name recipients, so the topic is encrypted with a key SES may use.
    const feedbackKey = new Key(this, 'SesFeedbackKey', {
      description: 'Encrypts the SES feedback topic (notifications name recipients)',
      enableKeyRotation: true,
    });
    feedbackKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    const sesFeedbackTopic = new Topic(this, 'SesFeedbackTopic', {
      displayName: 'Rapport SES feedback',
      enforceSSL: true,
      masterKey: feedbackKey,
    });
    sesFeedbackTopic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('ses.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [sesFeedbackTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.topics = { sesFeedback: sesFeedbackTopic };
    this.configurationSet = new ConfigurationSet(this, 'EmailConfigurationSet', {});
    this.configurationSet.addEventDestination('Feedback', {
      destination: EventDestination.snsTopic(sesFeedbackTopic),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT, EmailSendingEvent.DELIVERY, EmailSendingEvent.REJECT],
    });

    this.functions = {};
    for (const spec of functions) this.functions[spec.name] = this.createFunction(spec);
    for (const spec of functions.filter((f) => f.createsRunSchedules)) {
      const fn = this.fn(spec.name);
      fn.addEnvironment(scheduleEnv.group, runScheduleGroup.ref);
      fn.addEnvironment(scheduleEnv.roleArn, runScheduleRole.roleArn);
      fn.addEnvironment(scheduleEnv.queueArn, this.queues.runs.queue.queueArn);
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['scheduler:CreateSchedule'],
          resources: [this.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${runScheduleGroup.ref}/*` })],
        }),
      );
      Validations.of(fn.role as Role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${runScheduleGroup.node.id}>/*]`,
        reason:
          'Each shop gets its own schedule, named run-{shopId} when the shop is created; the grant is CreateSchedule only, only in the runs schedule group.',
      });
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [runScheduleRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      );
    }

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.ONE_MONTH });
    this.api = new HttpApi(this, 'Api', {
      apiName: 'rapport',
      description: 'Rapport webhooks, shop API, admin and unsubscribe endpoints',
      createDefaultStage: false,
      corsPreflight: consoleCors,
    });
    const stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: apiThrottle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // routeKey rather than the raw path and no query string: lookups carry e-mail addresses
        // and phone numbers in the query, which must not reach the logs.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            responseLength: '$context.responseLength',
          }),
        ),
      },
    });
    for (const spec of functions) {
      if (!spec.routes?.length) continue;
      const integration = new HttpLambdaIntegration(`${spec.name}Integration`, this.fn(spec.name));
      for (const route of spec.routes) {
        this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration });
      }
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Every route authenticates inside its function: webhooks by the HMAC signature of the raw body (which an authorizer cannot see), the shop API by a bearer key checked against its stored hash, /admin by the admin key, /unsubscribe by its HMAC-signed token.',
    });

    // Links in emails (unsubscribe, feedback): a custom domain from `cdk deploy -c publicUrl=https://…`,
    // else the API's own URL. Built from the API id, so the functions depend on the API, not its routes.
    const publicUrl =
      (this.node.tryGetContext('publicUrl') as string | undefined)?.replace(/\/$/, '') ??
      `https://${this.api.apiId}.execute-api.${this.region}.${this.urlSuffix}`;
    for (const spec of functions.filter((f) => f.needsPublicUrl)) this.fn(spec.name).addEnvironment(env.publicUrl, publicUrl);
    new CfnOutput(this, 'ApiUrl', { value: stage.url, description: 'Base URL of the Rapport HTTP API' });

    this.consoleHosting = new ConsoleHosting(this, 'Console', {
      consoleDir: props?.consoleDir ?? builtConsoleDir,
      widgetDir: props?.widgetDir,
      apiUrl: this.api.apiEndpoint,
    });
    new CfnOutput(this, 'ConsoleUrl', {
      value: this.consoleHosting.url,
      description: 'The merchant console: sign in with a shop API key',
    });
    // The hosted loyalty page loads the widget from the console's distribution, where it is served on AWS.
    const widgetUrl = `${this.consoleHosting.url}/${WIDGET_KEY_PREFIX}rapport-loyalty.js`;
    this.fn('storefront').addEnvironment('RAPPORT_WIDGET_URL', widgetUrl);
    new CfnOutput(this, 'WidgetUrl', {
      value: widgetUrl,
      description: "The storefront widget's script, for the shop's pages (docs/STOREFRONT.md)",
    });
    new CfnOutput(this, 'SesConfigurationSet', {
      value: this.configurationSet.configurationSetName,
      description: 'Every email is sent with this configuration set; its events reach the SES feedback function',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarmTopic.topicArn,
      description: 'Subscribe the on-call address to this topic',
    });
    new CfnOutput(this, 'AdminKeySecretArn', {
      value: this.adminKeySecret.secretArn,
      description: 'The admin key (JSON field adminKey) for POST /admin/shops',
    });
    // The CLI finds a deployment through the variables the functions read (infra/cli/target.ts);
    // these outputs are where an operator copies them from. Each dead-letter queue is found through
    // its queue's redrive policy, so it needs no output of its own.
    for (const name of Object.keys(queues) as QueueName[]) {
      new CfnOutput(this, `${name[0]?.toUpperCase()}${name.slice(1)}QueueUrl`, {
        value: this.queues[name].queue.queueUrl,
        description: `The ${name} queue: export as ${env.queueUrl(name)} for \`rapport\` (rapport dlq)`,
      });
    }

    this.dashboard = this.monitor();
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.dashboard.dashboardName}`,
      description: 'Queues, dead letters, functions, table, API and email on one page',
    });
  }

  /**
   * What an operator watches: alarms to the alarm topic, and one dashboard. Alarms fire on what
   * needs a person (a dead letter, events waiting, a crashed invocation); the dashboard shows the
   * rest for diagnosis.
   */
  private monitor(): Dashboard {
    const alarmAction = new SnsAction(this.alarmTopic);
    const alarm = (id: string, props: AlarmProps) => {
      const created = new Alarm(this, id, { treatMissingData: TreatMissingData.NOT_BREACHING, ...props });
      created.addAlarmAction(alarmAction);
      created.addOkAction(alarmAction);
    };
    const minute = Duration.minutes(1);
    const queueNames = Object.keys(queues) as QueueName[];

    for (const name of queueNames) {
      alarm(`${name}DeadLetterAlarm`, {
        alarmDescription: `Messages on the ${name} dead-letter queue: they failed ${queues[name].maxReceiveCount} times. \`rapport dlq show --queue ${name}\` shows them (ids only), fix the cause, then \`rapport dlq redrive --queue ${name}\`.`,
        metric: this.queues[name].deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: Stats.MAXIMUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }

    // SQS leaves a message out of this metric after its third receive, two visibility timeouts (about
    // 6 minutes) after it arrived: one failing event cannot keep the age over 5 minutes for 5 minutes
    // running, a stopped, throttled or overwhelmed processor can. A large `rapport import` fires it
    // too: live webhooks then wait behind the backfill (its --max-rate is the remedy).
    alarm('interactionsOldestMessageAlarm', {
      alarmDescription: `Events have waited over ${EVENT_AGE_ALARM.seconds / 60} minutes on the interactions queue for ${EVENT_AGE_ALARM.minutes} minutes: the processor is failing, throttled or behind. Check its errors and throttles and the table's throttles on the dashboard.`,
      metric: this.queues.interactions.queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: Stats.MAXIMUM }),
      threshold: EVENT_AGE_ALARM.seconds,
      evaluationPeriods: EVENT_AGE_ALARM.minutes,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    // HTTP functions answer 500 for anything unmapped and queue consumers report failed records
    // instead of throwing, so an invocation error is a crash, a timeout or an out-of-memory: a bug.
    for (const spec of functions) {
      alarm(`${spec.name}ErrorsAlarm`, {
        alarmDescription: `Rapport ${spec.name} (${spec.entry}) invocations failed: an uncaught error, a timeout or out of memory. Read the function's log group.`,
        metric: this.fn(spec.name).metricErrors({ period: Duration.minutes(5), statistic: Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }

    const perQueue = (metricOf: (pair: QueuePair) => Metric) => queueNames.map((name) => metricOf(this.queues[name]).with({ label: name }));
    const perFunction = (metricOf: (fn: RapportFunction) => Metric) =>
      functions.map((spec) => metricOf(this.fn(spec.name)).with({ label: spec.name }));
    const sum = { period: minute, statistic: Stats.SUM };

    // Each DynamoDB operation reports its own series, only while something happens: added with
    // FILL, so that one operation's silence does not blank the total (a plain + would).
    const operations = [...new Set(functions.flatMap((spec) => spec.tableActions))].map((action) => action.replace('dynamodb:', ''));
    const overOperations = (metricName: string, label: string) => {
      // Ids are unique per graph: the metric's name is part of them.
      const id = (i: number) => `${metricName.toLowerCase()}${i}`;
      return new MathExpression({
        expression: operations.map((_, i) => `FILL(${id(i)}, 0)`).join(' + '),
        usingMetrics: Object.fromEntries(
          operations.map((operation, i) => [
            id(i),
            this.table.metric(metricName, { ...sum, dimensionsMap: { TableName: this.table.tableName, Operation: operation } }),
          ]),
        ),
        label,
        period: minute,
      });
    };

    const email = emailOutcomes.map((outcome) =>
      new MetricFilter(this, `${outcome.metricName}Filter`, {
        logGroup: this.fn(outcome.fn).logGroup,
        metricNamespace: METRIC_NAMESPACE,
        metricName: outcome.metricName,
        metricValue: '1',
        filterPattern: FilterPattern.all(
          FilterPattern.stringValue('$.message', '=', outcome.message),
          FilterPattern.stringValue(`$.${outcome.field}`, '=', outcome.value),
        ),
      }).metric({ ...sum, label: outcome.label }),
    );

    const dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${this.stackName}-operations`,
      defaultInterval: Duration.hours(3),
    });
    const graph = (title: string, left: IMetric[], unit?: string) =>
      new GraphWidget({ title, left, width: 12, height: 6, leftYAxis: { min: 0, ...(unit ? { label: unit, showUnits: false } : {}) } });
    dashboard.addWidgets(
      new TextWidget({
        width: 24,
        height: 3,
        markdown: [
          '## Rapport operations',
          "Alarms go to the alarm topic (output AlarmTopicArn). **Dead letters**: `rapport dlq show --queue <name>` (ids, never personal data), fix the cause, `rapport dlq redrive --queue <name>`. **Events waiting**: the processor is failing, throttled or behind: its errors and throttles, and the table's throttles, are below. **Function errors**: a crash, timeout or out-of-memory; read the function's log group.",
        ].join('\n\n'),
      }),
    );
    dashboard.addWidgets(
      graph(
        'Age of the oldest message, per queue',
        perQueue((pair) => pair.queue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: Stats.MAXIMUM })),
        'seconds',
      ),
      graph(
        'Dead letters, per dead-letter queue',
        perQueue((pair) => pair.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: Stats.MAXIMUM })),
        'messages',
      ),
    );
    dashboard.addWidgets(
      graph(
        'Lambda errors, per function',
        perFunction((fn) => fn.metricErrors(sum)),
        'invocations',
      ),
      graph(
        'Lambda throttles, per function',
        perFunction((fn) => fn.metricThrottles(sum)),
        'invocations',
      ),
    );
    dashboard.addWidgets(
      graph(
        'DynamoDB: throttled requests, user errors, system errors',
        [
          overOperations('ThrottledRequests', 'throttled requests'),
          // UserErrors has no table dimension: it counts the whole account and region.
          this.table.metricUserErrors({ ...sum, label: 'user errors (account-wide)' }),
          overOperations('SystemErrors', 'system errors'),
        ],
        'requests',
      ),
      graph(
        'API: 4xx and 5xx answers',
        [this.api.metricClientError({ ...sum, label: '4xx' }), this.api.metricServerError({ ...sum, label: '5xx' })],
        'requests',
      ),
    );
    dashboard.addWidgets(
      graph(
        'API latency',
        [
          this.api.metricLatency({ period: minute, statistic: Stats.percentile(50), label: 'p50' }),
          this.api.metricLatency({ period: minute, statistic: Stats.percentile(99), label: 'p99' }),
          this.api.metricIntegrationLatency({ period: minute, statistic: Stats.percentile(99), label: 'p99 in the functions' }),
        ],
        'milliseconds',
      ),
      graph('Email: sent, skipped, requeued, bounces, complaints', email, 'emails'),
    );
    return dashboard;
  }

  private fn(name: string): RapportFunction {
    const fn = this.functions[name];
    if (!fn) throw new Error(`no function "${name}"`);
    return fn;
  }

  private createFunction(spec: FunctionSpec): RapportFunction {
    const fn = new RapportFunction(this, spec);
    if (spec.tableActions.length > 0) fn.bindTable(this.table, spec.tableActions, spec.usesIndex);
    for (const name of spec.sendsTo ?? []) fn.bindQueueSender(name, this.queues[name].queue);
    const secrets = { master: this.deploymentSecret, admin: this.adminKeySecret };
    for (const name of spec.secrets ?? []) fn.bindSecret(secrets[name], env.secretArn[name]);
    if (spec.consumes) {
      const queue = queues[spec.consumes];
      fn.addEventSource(
        new SqsEventSource(this.queues[spec.consumes].queue, {
          batchSize: queue.batchSize,
          maxBatchingWindow: Duration.seconds(queue.maxBatchingWindowSeconds),
          reportBatchItemFailures: true,
          ...(queue.maxConcurrency ? { maxConcurrency: queue.maxConcurrency } : {}),
        }),
      );
    }
    if (spec.subscribes) this.topics[spec.subscribes].addSubscription(new LambdaSubscription(fn));
    if (spec.sendsEmail) {
      // Any identity of this account: each shop sends from its own verified address or domain.
      const identities = this.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' });
      const configurationSet = this.formatArn({
        service: 'ses',
        resource: 'configuration-set',
        resourceName: this.configurationSet.configurationSetName,
      });
      fn.addToRolePolicy(new PolicyStatement({ actions: ['ses:SendRawEmail'], resources: [identities, configurationSet] }));
      fn.addEnvironment(env.sesConfigurationSet, this.configurationSet.configurationSetName);
      Validations.of(fn.role as Role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]',
        reason:
          "Shops send from their own verified SES identities, added after deployment; the grant is SendRawEmail only, from this account's identities, with this stack's configuration set.",
      });
    }
    return fn;
  }
}
