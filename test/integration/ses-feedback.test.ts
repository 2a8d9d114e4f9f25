import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProfile, getTimelinePage } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { findSesMessage, isSuppressed, recordSesMessage } from '#shared/data/suppression-repo.ts';
import { parseSnsFeedback } from '#shared/email/feedback.ts';
import { processEvent } from '#shared/use-cases/process-event.ts';
import { applySesFeedback } from '#shared/use-cases/ses-feedback.ts';
import { processDepsFor, startTestDb } from '#test/support/dynamo.ts';
import { aCustomer, orderEvent } from '#test/support/factories.ts';
import { profileView } from '#test/support/profile.ts';

/** SES feedback (test/fixtures/ses, Amazon's own samples) through the feedback use case, on the emulated table. */

let db: Db;
let stop: () => Promise<void>;
const NOW = new Date('2026-03-10T00:00:00Z');
const deps = () => ({ db, now: () => NOW });

beforeAll(async () => {
  ({ db, stop } = await startTestDb());
});
afterAll(async () => stop());

const FOLDER = new URL('../fixtures/ses/', import.meta.url);
const SAMPLES = readdirSync(FOLDER).filter((name) => /^(notification|event)_.*\.json$/.test(name));

interface SesSample {
  mail: { messageId: string; destination: string[] };
  bounce?: { bounceType: string; bouncedRecipients: Array<{ emailAddress: string }> };
  [field: string]: unknown;
}

/**
 * A sample with its addresses and message id made its own: the suppression list and the message
 * records are global, and Amazon's samples share both (recipient@example.com, one message id).
 */
function sample(name: string, tag: string): SesSample {
  const message = JSON.parse(readFileSync(new URL(name, FOLDER), 'utf8').replaceAll('@example.com', `@${tag}.example.test`)) as SesSample;
  message.mail.messageId = `${tag}-${message.mail.messageId}`;
  return message;
}

const snsEvent = (...messages: Array<SesSample | string>) => ({
  Records: messages.map((message, i) => ({
    EventSource: 'aws:sns',
    Sns: { MessageId: `sns-${i}`, Type: 'Notification', Message: typeof message === 'string' ? message : JSON.stringify(message) },
  })),
});

let tagN = 0;
const newTag = (name: string) => `${name.replace(/\.json$/, '').replaceAll('_', '-')}-${tagN++}`;

async function customerWithSend(messageId: string, trigger = 'win_back') {
  const shopId = `ses-${process.pid}-${tagN++}`;
  const { customerId } = await processEvent(orderEvent(shopId, {}, aCustomer({ acceptsEmailMarketing: true })), processDepsFor(db));
  await recordSesMessage(db, messageId, {
    shopId,
    customerId: customerId!,
    sendId: `send-${tagN}`,
    trigger,
    at: '2026-03-09T10:00:00.000Z',
  });
  return { shopId, customerId: customerId! };
}

const sesEntries = async (shopId: string, customerId: string) =>
  (await getTimelinePage(db, shopId, customerId, 100)).items.filter((item) => item.source === 'ses');

describe('every SES sample', () => {
  it.each(SAMPLES)('%s: suppresses exactly the addresses that permanently bounced or complained', async (name) => {
    const message = sample(name, newTag(name));
    const [record] = parseSnsFeedback(snsEvent(message));
    if (!record?.ok) throw new Error(`${name} should be readable`);

    const result = await applySesFeedback(snsEvent(message), deps());

    expect(result.skipped).toEqual([]);
    expect(result.applied).toHaveLength(record.items.length);
    for (const item of record.items) expect(await isSuppressed(db, item.address)).toBe(item.suppress);
    // Whoever else the message went to is not suppressed by someone's bounce.
    const named = new Set(record.items.map((item) => item.address));
    for (const address of message.mail.destination.filter((a) => !named.has(a))) expect(await isSuppressed(db, address)).toBe(false);
  });

  it('suppresses every recipient a notification names, in any letter case', async () => {
    const message = sample('notification_bounce_without_dsn.json', newTag('several'));
    await applySesFeedback(snsEvent(message), deps());
    const recipients = message.bounce?.bouncedRecipients.map((r) => r.emailAddress) ?? [];
    expect(recipients.length).toBeGreaterThan(1);
    for (const address of recipients) {
      expect(await isSuppressed(db, address)).toBe(true);
      expect(await isSuppressed(db, ` ${address.toUpperCase()} `)).toBe(true);
    }
  });

  it('does not suppress on a transient bounce, but shows it on the timeline', async () => {
    const message = sample('notification_bounce_with_dsn.json', newTag('transient'));
    message.bounce = { ...(message.bounce as NonNullable<SesSample['bounce']>), bounceType: 'Transient' };
    const { shopId, customerId } = await customerWithSend(message.mail.messageId);

    await applySesFeedback(snsEvent(message), deps());

    const address = message.bounce.bouncedRecipients[0]?.emailAddress as string;
    expect(await isSuppressed(db, address)).toBe(false);
    expect(profileView((await getProfile(db, shopId, customerId, true))!, 'VND').consent.email).toBe('subscribed');
    expect(await sesEntries(shopId, customerId)).toMatchObject([
      { type: 'email', status: 'bounced', permanent: false, subType: 'General' },
    ]);
  });
});

describe('feedback on one of our sends', () => {
  it('marks the profile suppressed and writes one timeline entry, however often SNS delivers it', async () => {
    const message = sample('notification_bounce_with_dsn.json', newTag('known'));
    const { shopId, customerId } = await customerWithSend(message.mail.messageId);
    expect(await findSesMessage(db, message.mail.messageId)).toMatchObject({ shopId, customerId, trigger: 'win_back' });

    const first = await applySesFeedback(snsEvent(message), deps());
    await applySesFeedback(snsEvent(message, message), deps());

    expect(first.applied).toEqual([
      { messageId: message.mail.messageId, kind: 'bounce', status: 'bounced', suppressed: true, shopId, customerId },
    ]);
    const profile = (await getProfile(db, shopId, customerId, true))!;
    expect(profile.suppressed).toMatchObject({ kind: 'bounce', at: '2016-01-27T14:59:38.237Z' });
    expect(profileView(profile, 'VND').consent.email).toBe('suppressed');
    const entries = await sesEntries(shopId, customerId);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      at: '2016-01-27T14:59:38.237Z',
      type: 'email',
      channel: 'email',
      source: 'ses',
      status: 'bounced',
      trigger: 'win_back',
      sendId: expect.stringMatching(/^send-/),
      permanent: true,
      subType: 'General',
    });
    // The timeline holds no address.
    expect(JSON.stringify(entries)).not.toContain('@');
  });

  it('logs a complaint, a delivery and an open on the same send, each once', async () => {
    const tag = newTag('events');
    const events = ['event_complaint.json', 'event_delivery.json', 'event_open.json'].map((name) => {
      const message = sample(name, tag);
      message.mail.messageId = `${tag}-message`;
      return message;
    });
    const { shopId, customerId } = await customerWithSend(`${tag}-message`, 'birthday');

    await applySesFeedback(snsEvent(...events), deps());
    await applySesFeedback(snsEvent(...events.reverse()), deps());

    const statuses = (await sesEntries(shopId, customerId)).map((entry) => entry.status).sort();
    expect(statuses).toEqual(['complained', 'delivered', 'opened']);
    expect(profileView((await getProfile(db, shopId, customerId, true))!, 'VND').consent.email).toBe('suppressed');
  });

  it('writes nothing under a customer who is gone (their shop erased), and still suppresses the address', async () => {
    const message = sample('event_bounce.json', newTag('gone'));
    await recordSesMessage(db, message.mail.messageId, {
      shopId: 'gone-shop',
      customerId: 'c_00000000000000000000',
      sendId: 'send-gone',
      trigger: 'welcome',
      at: '2026-03-09T10:00:00.000Z',
    });
    const result = await applySesFeedback(snsEvent(message), deps());
    expect(result.applied).toEqual([{ messageId: message.mail.messageId, kind: 'bounce', status: 'bounced', suppressed: true }]);
    expect(await getProfile(db, 'gone-shop', 'c_00000000000000000000', true)).toBeUndefined();
    expect(await sesEntries('gone-shop', 'c_00000000000000000000')).toEqual([]);
    expect(await isSuppressed(db, message.mail.destination[0] as string)).toBe(true);
  });
});

describe('unreadable records', () => {
  it('skips a record that is not SES feedback and still applies the good ones around it', async () => {
    const bounce = sample('event_bounce.json', newTag('good-1'));
    const complaint = sample('notification_complaint_with_feedback_report.json', newTag('good-2'));
    const envelope = JSON.parse(readFileSync(new URL('sns_event.json', FOLDER), 'utf8')) as { Records: unknown[] };
    const event = snsEvent(bounce, 'not json at all', complaint, '{"notificationType":"Bounce","mail":{}}');
    event.Records.splice(2, 0, ...(envelope.Records as typeof event.Records), { nonsense: true } as never);

    const result = await applySesFeedback(event, deps());

    expect(result.skipped.map((s) => s.reason).sort()).toEqual(['invalid_json', 'invalid_json', 'not_ses_feedback', 'not_ses_feedback']);
    expect(JSON.stringify(result.skipped)).not.toContain('@');
    expect(await isSuppressed(db, bounce.mail.destination[0] as string)).toBe(true);
    expect(result.applied.filter((item) => item.suppressed)).toHaveLength(2);
  });

  it('reports an event without records instead of throwing', async () => {
    expect(await applySesFeedback({ hello: 'world' }, deps())).toEqual({
      applied: [],
      skipped: [{ recordId: 'event', reason: 'not_ses_feedback' }],
    });
  });
});
