import * as z from 'zod';
import { FaultSettingError, parseFaults } from '#shared/aws/faults.ts';

/**
 * One validated configuration per container. This is the single place where an emulator endpoint
 * replaces AWS: the local runtime sets the *_ENDPOINT variables, CDK never does.
 */
const ConfigSchema = z
  .object({
    TABLE_NAME: z.string().min(1),
    INTERACTIONS_QUEUE_URL: z.string().optional(),
    RUNS_QUEUE_URL: z.string().optional(),
    EMAIL_QUEUE_URL: z.string().optional(),
    CODES_QUEUE_URL: z.string().optional(),
    CAMPAIGNS_QUEUE_URL: z.string().optional(),
    /**
     * Customers of a campaign put on the email queue per second at most (shared/use-cases/
     * send-campaign.ts): below the account's SES rate (the email queue's pacing, functions/
     * triggers.ts), so a campaign leaves room for the triggered emails that share the queue.
     */
    RAPPORT_CAMPAIGN_RATE: z.coerce.number().positive().max(100_000).default(10),
    /**
     * Seconds between attempts at creating a reward code on a shop's platform, in place of the
     * backoff (10 s growing to 15 min): for tests and demos of a failing platform.
     */
    RAPPORT_CODE_RETRY_SECONDS: z.coerce.number().int().min(0).max(900).optional(),
    /** Where the hosted loyalty page loads the storefront widget from (on AWS: the console's distribution). */
    RAPPORT_WIDGET_URL: z.url().optional(),
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
    /**
     * Locally only: make AWS calls fail the ways they fail on AWS (grammar in shared/aws/faults.ts).
     * Parsed here so a wrong setting stops the runtime at start with the item that is wrong.
     */
    RAPPORT_FAULTS: z
      .string()
      .optional()
      .transform((text, ctx) => {
        try {
          return parseFaults(text);
        } catch (error) {
          if (!(error instanceof FaultSettingError)) throw error;
          ctx.addIssue({ code: 'custom', message: error.message });
          return z.NEVER;
        }
      }),
    /** Set by Lambda itself: the one sign that no setting meant for a laptop may apply. */
    AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
  })
  .superRefine((settings, ctx) => {
    // Faults on the deployed functions would be an outage. CDK never sets DYNAMODB_ENDPOINT and Lambda
    // always sets AWS_LAMBDA_FUNCTION_NAME, so either one refuses the setting there.
    if (!settings.RAPPORT_FAULTS) return;
    if (settings.AWS_LAMBDA_FUNCTION_NAME) {
      ctx.addIssue({
        code: 'custom',
        path: ['RAPPORT_FAULTS'],
        message: 'RAPPORT_FAULTS is refused on AWS Lambda: faults are for the local runtime only',
      });
    } else if (!settings.DYNAMODB_ENDPOINT) {
      ctx.addIssue({
        code: 'custom',
        path: ['RAPPORT_FAULTS'],
        message:
          'RAPPORT_FAULTS needs DYNAMODB_ENDPOINT (set by the local runtime): faults are refused unless the functions run against the emulators',
      });
    }
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
