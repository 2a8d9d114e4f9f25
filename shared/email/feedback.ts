import * as z from 'zod';
import { normalizeEmail } from '#shared/domain/identity.ts';

/**
 * SES feedback as SNS delivers it to Lambda (DESIGN §2 "feedback fn", §9): each SNS record's
 * `Message` is a JSON string, either a classic notification (`notificationType`: Bounce, Complaint,
 * Delivery) or an event-publishing record of a configuration set (`eventType`: Bounce, Complaint,
 * Delivery, Send, Reject, Open, Click, DeliveryDelay, Rendering Failure, Subscription, …).
 *
 * Invariants:
 * - one item per recipient the notification is about (one notification can name several), each
 *   address once;
 * - a Permanent bounce or a complaint suppresses the address; a Transient or Undetermined bounce,
 *   a delivery and every other event do not. Suppression is only ever decided from an explicit
 *   recipient list, never guessed from `mail.destination`;
 * - unknown fields are ignored and unknown types become kind `other`; a record that cannot be read
 *   is a typed error for that record alone — parsing never throws, so one bad record never fails
 *   its neighbours.
 */

export type FeedbackKind = 'bounce' | 'complaint' | 'delivery' | 'other';

export interface FeedbackItem {
  /** Lower-cased, as identities store it. */
  address: string;
  kind: FeedbackKind;
  /** SES's own name for the event: `Bounce`, `Open`, `Rendering Failure`, … */
  type: string;
  /** A Permanent bounce: the address does not exist or will never accept mail from us. */
  permanent: boolean;
  /** Never email this address again. */
  suppress: boolean;
  /** `bounceSubType` (General, NoEmail, Suppressed, …), the complaint's feedback type (abuse, …), a delay's `delayType`. */
  subType?: string;
  feedbackId?: string;
  /** When it happened (ISO 8601): the event's own time (bounce, open, click, …), else the send time. */
  at: string;
  /** SES's message id (the SendRawEmail answer), the same for every recipient of one message. */
  messageId: string;
  /** Our send id, from the `X-Rapport-Send-Id` header when SES includes the original headers. */
  sendId?: string;
}

export type FeedbackErrorReason = 'invalid_json' | 'not_ses_feedback' | 'missing_recipients';

export class FeedbackMessageError extends Error {
  override name = 'FeedbackMessageError';
  constructor(
    readonly reason: FeedbackErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export type FeedbackRecord =
  | { recordId: string; ok: true; items: FeedbackItem[] }
  | { recordId: string; ok: false; error: FeedbackMessageError };

/** A list that keeps its readable entries and drops the rest, instead of failing as a whole. */
const tolerantList = <T extends z.ZodType>(item: T) =>
  z
    .array(z.unknown())
    .catch([])
    .transform((values) =>
      values.flatMap((value) => {
        const parsed = item.safeParse(value);
        return parsed.success ? [parsed.data] : [];
      }),
    );

const optionalText = z.string().optional().catch(undefined);
const Recipient = z.object({ emailAddress: z.string() });

const MailSchema = z.object({
  messageId: z.string(),
  timestamp: z.string(),
  destination: tolerantList(z.string()),
  headers: tolerantList(z.object({ name: z.string(), value: z.string() })),
});

const SesMessageSchema = z.object({
  notificationType: z.string().optional(),
  eventType: z.string().optional(),
  mail: MailSchema,
  bounce: z
    .object({
      bounceType: optionalText,
      bounceSubType: optionalText,
      bouncedRecipients: z.array(z.unknown()).optional(),
      timestamp: optionalText,
      feedbackId: optionalText,
    })
    .optional()
    .catch(undefined),
  complaint: z
    .object({
      complainedRecipients: z.array(z.unknown()).optional(),
      complaintFeedbackType: optionalText,
      complaintSubType: z.string().nullish().catch(undefined),
      timestamp: optionalText,
      feedbackId: optionalText,
    })
    .optional()
    .catch(undefined),
  delivery: z
    .object({ recipients: z.array(z.unknown()).optional(), timestamp: optionalText })
    .optional()
    .catch(undefined),
  deliveryDelay: z
    .object({ delayedRecipients: z.array(z.unknown()).optional(), delayType: optionalText })
    .optional()
    .catch(undefined),
});

type SesMessage = z.output<typeof SesMessageSchema>;

/** `"Jane Doe" <jane@example.com>` or `jane@example.com` → `jane@example.com`. */
export function bareAddress(value: string): string | undefined {
  const bracketed = /<([^<>]*)>\s*$/.exec(value)?.[1] ?? value;
  const address = bracketed.trim();
  if (!address) return undefined;
  return normalizeEmail(address) ?? address.toLowerCase();
}

function addressesOf(list: readonly unknown[] | undefined, pick: (entry: unknown) => string | undefined): string[] {
  const addresses = (list ?? []).flatMap((entry) => {
    const raw = pick(entry);
    const address = raw === undefined ? undefined : bareAddress(raw);
    return address ? [address] : [];
  });
  return [...new Set(addresses)];
}

const recipientAddress = (entry: unknown) => {
  const parsed = Recipient.safeParse(entry);
  return parsed.success ? parsed.data.emailAddress : undefined;
};
const plainAddress = (entry: unknown) => (typeof entry === 'string' ? entry : undefined);

/**
 * The time of an event of any type: event records carry it in the object named after the type
 * (`open`, `click`, `deliveryDelay`, `subscription`, …), whose name need not be known here.
 */
function eventTimestamp(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  for (const [key, value] of Object.entries(message)) {
    if (key === 'mail' || typeof value !== 'object' || value === null) continue;
    const timestamp: unknown = (value as { timestamp?: unknown }).timestamp;
    if (typeof timestamp === 'string') return timestamp;
  }
  return undefined;
}

/** The send id header, whatever case SES or a relay gave its name. */
function sendIdOf(mail: SesMessage['mail']): string | undefined {
  return mail.headers.find((header) => header.name.toLowerCase() === 'x-rapport-send-id')?.value.trim() || undefined;
}

/**
 * The items of one SES notification or event record, already JSON-parsed. Returns an error (never
 * throws) for something that is not SES feedback, or for a bounce or complaint that names no
 * recipient — that one must not be dropped silently, since it should have suppressed someone.
 */
export function feedbackOfSesMessage(message: unknown): FeedbackItem[] | FeedbackMessageError {
  const parsed = SesMessageSchema.safeParse(message);
  const type = parsed.success ? (parsed.data.notificationType ?? parsed.data.eventType) : undefined;
  if (!parsed.success || type === undefined) {
    return new FeedbackMessageError('not_ses_feedback', 'the message is not an SES notification or event record');
  }
  const ses = parsed.data;
  const common = { type, messageId: ses.mail.messageId, ...optional('sendId', sendIdOf(ses.mail)) };
  const missing = () => new FeedbackMessageError('missing_recipients', `an SES ${type} without recipients`);

  switch (type) {
    case 'Bounce': {
      const bounce = ses.bounce;
      const addresses = addressesOf(bounce?.bouncedRecipients, recipientAddress);
      if (!bounce || addresses.length === 0) return missing();
      const permanent = bounce.bounceType === 'Permanent';
      return addresses.map((address) => ({
        address,
        kind: 'bounce',
        ...common,
        permanent,
        suppress: permanent,
        ...optional('subType', bounce.bounceSubType),
        ...optional('feedbackId', bounce.feedbackId),
        at: bounce.timestamp ?? ses.mail.timestamp,
      }));
    }
    case 'Complaint': {
      const complaint = ses.complaint;
      const addresses = addressesOf(complaint?.complainedRecipients, recipientAddress);
      if (!complaint || addresses.length === 0) return missing();
      const subType = complaint.complaintFeedbackType ?? complaint.complaintSubType ?? undefined;
      // A feedback loop's "not-spam" report withdraws a spam verdict; it is no reason to stop writing.
      const suppress = complaint.complaintFeedbackType !== 'not-spam';
      return addresses.map((address) => ({
        address,
        kind: 'complaint',
        ...common,
        permanent: false,
        suppress,
        ...optional('subType', subType),
        ...optional('feedbackId', complaint.feedbackId),
        at: complaint.timestamp ?? ses.mail.timestamp,
      }));
    }
    case 'Delivery': {
      const addresses = addressesOf(ses.delivery?.recipients, plainAddress);
      return (addresses.length > 0 ? addresses : addressesOf(ses.mail.destination, plainAddress)).map((address) => ({
        address,
        kind: 'delivery',
        ...common,
        permanent: false,
        suppress: false,
        at: ses.delivery?.timestamp ?? ses.mail.timestamp,
      }));
    }
    default: {
      // Send, Reject, Open, Click, DeliveryDelay, Rendering Failure, Subscription and whatever SES
      // adds next: on the timeline, never a suppression. A delay names its own recipients.
      const delayed = addressesOf(ses.deliveryDelay?.delayedRecipients, recipientAddress);
      const addresses = delayed.length > 0 ? delayed : addressesOf(ses.mail.destination, plainAddress);
      return addresses.map((address) => ({
        address,
        kind: 'other',
        ...common,
        permanent: false,
        suppress: false,
        ...optional('subType', ses.deliveryDelay?.delayType),
        at: eventTimestamp(message) ?? ses.mail.timestamp,
      }));
    }
  }
}

/** The items of one SNS `Message` string. */
export function feedbackOfMessage(message: string): FeedbackItem[] | FeedbackMessageError {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return new FeedbackMessageError('invalid_json', 'the SNS message is not JSON');
  }
  return feedbackOfSesMessage(json);
}

const SnsEventSchema = z.object({
  Records: z.array(
    z.unknown().transform((record) => {
      const parsed = z.object({ Sns: z.object({ MessageId: z.string().optional(), Message: z.string() }) }).safeParse(record);
      return parsed.success ? parsed.data.Sns : undefined;
    }),
  ),
});

/**
 * Every record of an SNS event (`Records[].Sns.Message`), each read on its own: a record whose
 * message is not JSON, not SES feedback or not even an SNS record is an error in its place, and the
 * others still give their items. `recordId` is SNS's message id (the record's index if absent); an
 * event with no `Records` list at all is one error, `event`.
 */
export function parseSnsFeedback(event: unknown): FeedbackRecord[] {
  const parsed = SnsEventSchema.safeParse(event);
  if (!parsed.success) {
    return [{ recordId: 'event', ok: false, error: new FeedbackMessageError('not_ses_feedback', 'the event has no SNS records') }];
  }
  return parsed.data.Records.map((sns, index) => {
    const recordId = sns?.MessageId ?? String(index);
    const result = sns
      ? feedbackOfMessage(sns.Message)
      : new FeedbackMessageError('not_ses_feedback', 'the record is not an SNS notification');
    return result instanceof FeedbackMessageError ? { recordId, ok: false, error: result } : { recordId, ok: true, items: result };
  });
}

/** `{ [key]: value }` when there is a value, `{}` otherwise: optional properties stay absent, not undefined. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
