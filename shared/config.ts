import * as z from 'zod';

/**
 * One validated configuration per container. This is the single place where an emulator endpoint
 * replaces AWS: the local runtime sets the *_ENDPOINT variables, CDK never does.
 */
const ConfigSchema = z.object({
  TABLE_NAME: z.string().min(1),
  INTERACTIONS_QUEUE_URL: z.string().optional(),
  RUNS_QUEUE_URL: z.string().optional(),
  EMAIL_QUEUE_URL: z.string().optional(),
  /** The public base URL of the API (unsubscribe and feedback links in emails). */
  PUBLIC_API_URL: z.url().optional(),
  /** The SES configuration set whose events reach the feedback function (AWS only). */
  SES_CONFIGURATION_SET: z.string().optional(),
  AWS_REGION: z.string().default('us-east-1'),
  DYNAMODB_ENDPOINT: z.url().optional(),
  SQS_ENDPOINT: z.url().optional(),
  SES_ENDPOINT: z.url().optional(),
  /** On AWS: the Secrets Manager secrets holding {"masterKey"} and {"adminKey"}. */
  RAPPORT_SECRET_ARN: z.string().optional(),
  RAPPORT_ADMIN_SECRET_ARN: z.string().optional(),
  /** Locally: the secrets themselves (the runtime generates and keeps them under RAPPORT_DATA_DIR). */
  RAPPORT_MASTER_KEY: z.string().min(32).optional(),
  RAPPORT_ADMIN_KEY: z.string().min(8).optional(),
});

export type Config = z.infer<typeof ConfigSchema>;

let cached: Config | undefined;

export function config(): Config {
  cached ??= ConfigSchema.parse(process.env);
  return cached;
}

/** For tests and the local runtime, which set the environment after modules are loaded. */
export function resetConfig(): void {
  cached = undefined;
}
