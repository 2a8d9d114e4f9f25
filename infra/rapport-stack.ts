import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
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
  readonly topics: Record<TopicName, Topic>;
  readonly configurationSet: ConfigurationSet;

  constructor(scope: Construct, id: string, props?: StackProps) {
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
    const alarmAction = new SnsAction(this.alarmTopic);

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
      const alarm = new Alarm(this, `${name}DeadLetterAlarm`, {
        alarmDescription: `Messages on the ${name} dead-letter queue: they failed ${spec.maxReceiveCount} times; inspect, fix, then redrive.`,
        metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: Stats.MAXIMUM,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(alarmAction);
      alarm.addOkAction(alarmAction);
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
