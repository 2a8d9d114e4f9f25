import { countCampaign } from '#shared/data/campaign-repo.ts';
import { getProfile, putTimelineEntry } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { markEmailLogFeedback } from '#shared/data/email-log-repo.ts';
import { findSesMessage, markProfileSuppressed, type SesMessageRecord, suppressAddress } from '#shared/data/suppression-repo.ts';
import { type FeedbackErrorReason, type FeedbackItem, type FeedbackKind, parseSnsFeedback } from '#shared/email/feedback.ts';

/**
 * The feedback function's use case (DESIGN §2, §9): SES bounces, complaints, deliveries and other
 * events, as SNS delivers them. A permanent bounce or a complaint suppresses the address for every
 * shop; when the message is one we sent (recorded by the email function), the customer's profile
 * shows the suppression and the timeline shows what happened to the email.
 *
 * Every write is idempotent, so a notification SNS delivers twice, or a Lambda retry after a
 * DynamoDB error part-way through, leaves the same state. A record that cannot be read is skipped
 * and reported; it never stops the others.
 */

export interface SesFeedbackDeps {
  db: Db;
  /** Only for events whose own time is unreadable (the timeline is sorted by time). */
  now: () => Date;
}

export interface FeedbackOutcome {
  messageId: string;
  kind: FeedbackKind;
  status: string;
  suppressed: boolean;
  /** Present when the message is one of our sends, to a customer who still exists. */
  shopId?: string;
  customerId?: string;
}

export interface SesFeedbackResult {
  applied: FeedbackOutcome[];
  /** Records that are not SES feedback: the SNS message id (or index) and why; never their content. */
  skipped: Array<{ recordId: string; reason: FeedbackErrorReason }>;
}

/** The timeline's word for each SES event type; a type SES adds later is shown in snake case. */
const STATUS_OF_TYPE = new Map([
  ['Bounce', 'bounced'],
  ['Complaint', 'complained'],
  ['Delivery', 'delivered'],
  ['Send', 'sent'],
  ['Reject', 'rejected'],
  ['Open', 'opened'],
  ['Click', 'clicked'],
  ['DeliveryDelay', 'delayed'],
  ['Rendering Failure', 'rendering_failed'],
  ['Subscription', 'subscription_changed'],
]);

const statusOf = (type: string) =>
  STATUS_OF_TYPE.get(type) ??
  type
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_');

/**
 * The same fact always lands on the same timeline item. Bounces and complaints have SES's own
 * feedback id; other events are one per message and type (kind `other` covers several types, so
 * those are told apart by status).
 */
const entryIdOf = (item: FeedbackItem, status: string) =>
  `ses:${item.feedbackId ?? item.messageId}:${item.kind === 'other' ? status : item.kind}`;

const isoOf = (at: string, now: () => Date) => {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? now().toISOString() : new Date(ms).toISOString();
};

export async function applySesFeedback(event: unknown, deps: SesFeedbackDeps): Promise<SesFeedbackResult> {
  const result: SesFeedbackResult = { applied: [], skipped: [] };
  // One notification names one message; its recipients share the lookups.
  const sends = new Map<string, Promise<SesMessageRecord | undefined>>();
  const sendOf = (messageId: string) => {
    let send = sends.get(messageId);
    if (!send) {
      send = liveSend(messageId, deps.db);
      sends.set(messageId, send);
    }
    return send;
  };

  for (const record of parseSnsFeedback(event)) {
    if (!record.ok) {
      result.skipped.push({ recordId: record.recordId, reason: record.error.reason });
      continue;
    }
    for (const item of record.items) result.applied.push(await applyItem(item, await sendOf(item.messageId), deps));
  }
  return result;
}

/**
 * The send a message was, if its customer still exists: feedback for a shop erased since (SES
 * reports for up to weeks) must not leave timeline items behind in the erased shop's partitions.
 */
async function liveSend(messageId: string, db: Db): Promise<SesMessageRecord | undefined> {
  const send = await findSesMessage(db, messageId);
  return send && (await getProfile(db, send.shopId, send.customerId)) ? send : undefined;
}

async function applyItem(item: FeedbackItem, send: SesMessageRecord | undefined, deps: SesFeedbackDeps): Promise<FeedbackOutcome> {
  const at = isoOf(item.at, deps.now);
  const status = statusOf(item.type);
  // parseSnsFeedback only ever sets `suppress` on bounces and complaints.
  const suppression = item.suppress ? { kind: item.kind as 'bounce' | 'complaint', at, subType: item.subType } : undefined;
  if (suppression) await suppressAddress(deps.db, item.address, suppression);
  const outcome: FeedbackOutcome = { messageId: item.messageId, kind: item.kind, status, suppressed: item.suppress };
  if (!send) return outcome;

  if (suppression) {
    await markProfileSuppressed(deps.db, send.shopId, send.customerId, suppression);
    // The shop's send log shows it (its entry is keyed by the send's time, which the message record keeps).
    const sendId = send.sendId ?? item.sendId;
    const kind = item.kind === 'bounce' ? 'bounced' : 'complained';
    const marked = sendId ? await markEmailLogFeedback(deps.db, send.shopId, { at: send.at, sendId }, kind, at) : false;
    // A campaign's results count it once: when its log entry moved from sent (a repeat finds it moved).
    if (marked && send.campaignId) await countCampaign(deps.db, send.shopId, send.campaignId, kind);
  }
  await putTimelineEntry(deps.db, send.shopId, send.customerId, {
    at,
    entryId: entryIdOf(item, status),
    type: 'email',
    channel: 'email',
    source: 'ses',
    status,
    trigger: send.trigger,
    sendId: send.sendId ?? item.sendId,
    permanent: item.permanent,
    ...(item.subType === undefined ? {} : { subType: item.subType }),
  });
  return { ...outcome, shopId: send.shopId, customerId: send.customerId };
}
