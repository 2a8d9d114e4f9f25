import { type SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';

/**
 * The one SES call an email costs: `SendRawEmail` (the v1 API, which the local SES emulator also
 * speaks) with the message from mime.ts. Errors come back sorted for the email consumer:
 * - SesThrottledError: SES is pacing us (sending rate or daily quota). Nothing was sent; return the
 *   message to the queue with a backoff (its visibility timeout) and try again.
 * - SesRejectedError: this message will never be accepted as it is (rejected content, an
 *   unverified MAIL FROM domain, an address SES will not take). Retrying is pointless; record the
 *   failure and move on.
 * - anything else is rethrown as is: a transient fault for the queue to redrive.
 *
 * The SDK retries throttling and 5xx answers on its own, and a retried call whose first answer was
 * lost can send the email twice; the client given here should be built with `maxAttempts: 1`, so
 * that the queue — with its once-per-send-id guard — owns every retry.
 */

export class SesThrottledError extends Error {
  override name = 'SesThrottledError';
  constructor(
    /** SES's error code (`Throttling`, …) or `HTTP 429`. */
    readonly code: string,
    /** `daily_quota` waits for the 24-hour quota to free up, far longer than a `rate` backoff. */
    readonly limit: 'rate' | 'daily_quota',
    message: string,
  ) {
    super(message);
  }
}

export class SesRejectedError extends Error {
  override name = 'SesRejectedError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'MaxSendingRateExceeded', 'TooManyRequestsException']);
const REJECTED = new Set([
  'MessageRejected',
  'MailFromDomainNotVerified',
  'MailFromDomainNotVerifiedException',
  // SES's answer to an address it cannot parse ("Illegal address", "Missing final '@domain'").
  'InvalidParameterValue',
]);

export interface SendRawOptions {
  /** The configuration set whose event destination publishes bounces, complaints and deliveries. */
  configurationSetName?: string;
  /** SES message tags (`send_id` → the send id), echoed in event-publishing records. */
  tags?: Readonly<Record<string, string>>;
}

interface AwsErrorShape {
  name?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The typed error for an SES failure, or the error itself when it is neither throttling nor a rejection. */
export function classifySesError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const { name, message, $metadata } = error as AwsErrorShape;
  const code = typeof name === 'string' ? name : '';
  const text = typeof message === 'string' ? message : code;
  if (THROTTLING.has(code) || $metadata?.httpStatusCode === 429) {
    return new SesThrottledError(code || 'HTTP 429', /daily message quota/i.test(text) ? 'daily_quota' : 'rate', text);
  }
  if (REJECTED.has(code)) return new SesRejectedError(code, text);
  return error;
}

/** Sends one raw message; answers SES's message id, which later feedback names as `mail.messageId`. */
export async function sendRawEmail(client: SESClient, raw: Uint8Array, opts: SendRawOptions = {}): Promise<{ messageId: string }> {
  const command = new SendRawEmailCommand({
    RawMessage: { Data: raw },
    ...(opts.configurationSetName ? { ConfigurationSetName: opts.configurationSetName } : {}),
    ...(opts.tags ? { Tags: Object.entries(opts.tags).map(([Name, Value]) => ({ Name, Value })) } : {}),
  });
  const answer = await client.send(command).catch((error: unknown) => {
    throw classifySesError(error);
  });
  if (!answer.MessageId) throw new Error('SES accepted the message without a MessageId');
  return { messageId: answer.MessageId };
}
