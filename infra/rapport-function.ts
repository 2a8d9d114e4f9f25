import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { env, type FunctionSpec, type QueueName, type TableAction } from '#functions/triggers.ts';
import { table as tableDefinition } from '#shared/data/table-definition.ts';
import { rapportBundling } from './bundling.ts';

/** Trigger-table entries are relative to the repository root, whatever directory CDK runs from. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * The one Lambda function construct of the project: every runtime, bundling, logging and tracing
 * decision is made here once, and the binding helpers are the only way a function gets a
 * permission, so each grant is exactly what the trigger table lists and comes with its env var.
 */
export class RapportFunction extends NodejsFunction {
  readonly spec: FunctionSpec;

  constructor(scope: Construct, spec: FunctionSpec) {
    // Both must exist before super(), so they are the function's siblings rather than children.
    const logGroup = new LogGroup(scope, `${spec.name}Logs`, { retention: RetentionDays.ONE_MONTH });
    // An own role instead of the default one, whose managed AWSLambdaBasicExecutionRole may create and
    // write any log group of the account; this one may write to its own group only.
    const role = new Role(scope, `${spec.name}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Rapport ${spec.name} function`,
    });

    super(scope, spec.name, {
      entry: path.join(repoRoot, spec.entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: path.join(repoRoot, 'package-lock.json'),
      description: `Rapport ${spec.name} (${spec.entry})`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      role,
      logGroup,
      tracing: Tracing.ACTIVE,
      environment: { NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        // The installed esbuild: synth stays offline and needs no Docker.
        forceDockerBundling: false,
        ...rapportBundling,
        format: OutputFormat.ESM,
        mainFields: [...rapportBundling.mainFields],
        // NodejsFunction otherwise leaves `@aws-sdk/*` to the runtime (Node 18 and later); see bundling.ts.
        bundleAwsSDK: true,
        externalModules: [...rapportBundling.externalModules],
        ...(spec.bundleFiles?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  (spec.bundleFiles ?? []).map(
                    ({ from, to }) =>
                      `mkdir -p "${path.dirname(path.join(outputDir, to))}" && cp "${path.join(inputDir, from)}" "${path.join(outputDir, to)}"`,
                  ),
              },
            }
          : {}),
      },
    });
    this.spec = spec;
    logGroup.grantWrite(role);

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray statement added by active tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) has Resource "*": those actions support no resource-level permissions. Every other statement names its resource (infra tests assert this).',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned on purpose to nodejs22.x, the version the bundles target (esbuild target node22) and the test suites run on; moving to a newer runtime is a deliberate, tested upgrade rather than an automatic one.',
    });
  }

  /** Exactly the listed DynamoDB actions on the table (and on GSI1 when the function queries it). */
  bindTable(table: ITableV2, actions: readonly TableAction[], usesIndex = false): void {
    if (actions.length === 0) throw new Error(`${this.spec.name}: bindTable needs at least one action`);
    if (usesIndex && !actions.includes('dynamodb:Query')) {
      throw new Error(`${this.spec.name}: usesIndex without dynamodb:Query grants nothing usable on the index`);
    }
    const resources = [table.tableArn];
    if (usesIndex) resources.push(`${table.tableArn}/index/${tableDefinition.gsi1.name}`);
    this.addToRolePolicy(new PolicyStatement({ actions: [...actions], resources }));
    this.addEnvironment(env.tableName, table.tableName);
  }

  /** sqs:SendMessage also authorizes SendMessageBatch; IAM has no separate batch action. */
  bindQueueSender(name: QueueName, queue: IQueue): void {
    this.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
    this.addEnvironment(env.queueUrl(name), queue.queueUrl);
  }

  /** GetSecretValue only: no DescribeSecret, no listing. */
  bindSecret(secret: ISecret, envName: string): void {
    this.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
    this.addEnvironment(envName, secret.secretArn);
  }
}
