import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type FeedbackItem, FeedbackMessageError, feedbackOfMessage, parseSnsFeedback } from '#shared/email/feedback.ts';

/** SES feedback as SNS delivers it (fixtures: test/fixtures/ses, see SOURCE.md). */

const FOLDER = new URL('../fixtures/ses/', import.meta.url);
const raw = (name: string) => readFileSync(new URL(name, FOLDER), 'utf8');
const json = (name: string) => JSON.parse(raw(name)) as Record<string, unknown>;

interface SnsEnvelope {
  Records: { Sns: { MessageId: string; Message: string } & Record<string, unknown> }[];
}

/** The Lambda SNS event of the AWS guide, carrying the given messages, one record each. */
function snsEvent(...messages: string[]): SnsEnvelope {
  const envelope = json('sns_event.json') as unknown as SnsEnvelope;
  const [template] = envelope.Records;
  return {
    Records: messages.map((Message, i) => ({ ...structuredClone(template!), Sns: { ...template!.Sns, MessageId: `sns-${i}`, Message } })),
  };
}

function itemsOf(message: string): FeedbackItem[] {
  const [record] = parseSnsFeedback(snsEvent(message));
  if (!record?.ok) throw new Error(`expected items, got ${JSON.stringify(record)}`);
  return record.items;
}

const CLASSIC_BOUNCE_WITH_DSN = '00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000';
const EXAMPLE_MESSAGE = 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000';

/** What each sample must give, read off the files by hand. */
const EXPECTED: Record<string, FeedbackItem[]> = {
  'notification_bounce_with_dsn.json': [
    {
      address: 'jane@example.com',
      kind: 'bounce',
      type: 'Bounce',
      permanent: true,
      suppress: true,
      subType: 'General',
      feedbackId: '00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000',
      at: '2016-01-27T14:59:38.237Z',
      messageId: CLASSIC_BOUNCE_WITH_DSN,
    },
  ],
  'notification_bounce_without_dsn.json': ['jane@example.com', 'richard@example.com'].map((address) => ({
    address,
    kind: 'bounce',
    type: 'Bounce',
    permanent: true,
    suppress: true,
    subType: 'General',
    feedbackId: '00000137860315fd-869464a4-8680-4114-98d3-716fe35851f9-000000',
    at: '2016-01-27T14:59:38.237Z',
    messageId: '00000137860315fd-34208509-5b74-41f3-95c5-22c1edc3c924-000000',
  })),
  'notification_complaint_with_feedback_report.json': [
    {
      address: 'richard@example.com',
      kind: 'complaint',
      type: 'Complaint',
      permanent: false,
      suppress: true,
      subType: 'abuse',
      feedbackId: '000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000',
      at: '2016-01-27T14:59:38.237Z',
      messageId: '000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000',
    },
  ],
  'notification_complaint_without_feedback_report.json': [
    {
      address: 'richard@example.com',
      kind: 'complaint',
      type: 'Complaint',
      permanent: false,
      suppress: true,
      feedbackId: '0000013786031775-fea503bc-7497-49e1-881b-a0379bb037d3-000000',
      at: '2016-01-27T14:59:38.237Z',
      messageId: '0000013786031775-163e3910-53eb-4c8e-a04a-f29debf88a84-000000',
    },
  ],
  'notification_delivery.json': [
    {
      address: 'jane@example.com',
      kind: 'delivery',
      type: 'Delivery',
      permanent: false,
      suppress: false,
      at: '2016-01-27T14:59:38.237Z',
      messageId: '0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000',
    },
  ],
  'event_bounce.json': [
    {
      address: 'recipient@example.com',
      kind: 'bounce',
      type: 'Bounce',
      permanent: true,
      suppress: true,
      subType: 'General',
      feedbackId: '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000',
      at: '2017-08-05T00:41:02.669Z',
      messageId: EXAMPLE_MESSAGE,
    },
  ],
  'event_complaint.json': [
    {
      address: 'recipient@example.com',
      kind: 'complaint',
      type: 'Complaint',
      permanent: false,
      suppress: true,
      subType: 'abuse',
      feedbackId: '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000',
      at: '2017-08-05T00:41:02.669Z',
      messageId: EXAMPLE_MESSAGE,
    },
  ],
  'event_delivery.json': [
    {
      address: 'recipient@example.com',
      kind: 'delivery',
      type: 'Delivery',
      permanent: false,
      suppress: false,
      at: '2016-10-19T23:21:04.133Z',
      messageId: EXAMPLE_MESSAGE,
    },
  ],
  'event_click.json': [other('Click', 'recipient@example.com', '2017-08-09T23:51:25.570Z')],
  'event_open.json': [other('Open', 'recipient@example.com', '2017-08-09T22:00:19.652Z')],
  'event_send.json': [other('Send', 'recipient@example.com', '2016-10-14T05:02:16.645Z')],
  // The AWS sample really names the sender as the destination of its rejected message.
  'event_reject.json': [other('Reject', 'sender@example.com', '2016-10-14T17:38:15.211Z')],
  'event_rendering_failure.json': [other('Rendering Failure', 'recipient@example.com', '2018-01-22T18:43:06.197Z')],
  'event_delivery_delay.json': [
    { ...other('DeliveryDelay', 'recipient@example.com', '2020-06-16T00:25:40.095Z'), subType: 'TransientCommunicationFailure' },
  ],
  'event_subscription.json': [
    {
      ...other('Subscription', 'recipient@example.com', '2022-01-12T01:00:17.910Z'),
      messageId: 'EXAMPLEe4bccb684-777bc8de-afa7-4970-92b0-f515137b1497-000000',
    },
  ],
};

function other(type: string, address: string, at: string): FeedbackItem {
  return { address, kind: 'other', type, permanent: false, suppress: false, at, messageId: EXAMPLE_MESSAGE };
}

describe('SES feedback from SNS', () => {
  const samples = readdirSync(FOLDER).filter((name) => name.endsWith('.json') && name !== 'sns_event.json');

  it('has an expectation for every sample in the fixtures folder', () => {
    expect(samples.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(samples)('reads %s: exactly the recipients and facts of the file', (name) => {
    expect(itemsOf(raw(name))).toEqual(EXPECTED[name]);
  });

  it('reads all samples delivered in one event, each record on its own', () => {
    const records = parseSnsFeedback(snsEvent(...samples.map(raw)));
    expect(records.map((record) => record.recordId)).toEqual(samples.map((_, i) => `sns-${i}`));
    expect(records.map((record) => (record.ok ? record.items : undefined))).toEqual(samples.map((name) => EXPECTED[name]));
  });

  it('gives a typed error for the guide’s own event, whose message is not JSON', () => {
    const records = parseSnsFeedback(json('sns_event.json'));
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record?.ok).toBe(false);
    if (record?.ok === false) {
      expect(record.recordId).toBe('95df01b4-ee98-5cb9-9903-4c221d41eb5e');
      expect(record.error).toBeInstanceOf(FeedbackMessageError);
      expect(record.error.reason).toBe('invalid_json');
    }
  });

  it('fails a malformed record alone; its neighbours still give their items', () => {
    const records = parseSnsFeedback(
      snsEvent(raw('event_bounce.json'), '{"notificationType":"Bounce",', raw('notification_delivery.json')),
    );
    expect(records.map((record) => record.ok)).toEqual([true, false, true]);
    expect(records[1]).toMatchObject({ recordId: 'sns-1', ok: false, error: { reason: 'invalid_json' } });
    expect(records[2]).toMatchObject({ ok: true, items: [{ address: 'jane@example.com', kind: 'delivery' }] });
  });

  it.each([
    ['null', 'null'],
    ['an array', '[1, 2]'],
    ['JSON without mail', '{"notificationType":"Bounce"}'],
    ['mail without a type', JSON.stringify({ mail: json('event_send.json').mail })],
  ])('calls %s not SES feedback, without throwing', (_, message) => {
    const result = feedbackOfMessage(message);
    expect(result).toBeInstanceOf(FeedbackMessageError);
    expect((result as FeedbackMessageError).reason).toBe('not_ses_feedback');
  });

  it('never throws on an event of the wrong shape', () => {
    for (const event of [undefined, null, 42, 'x', {}, { Records: 'no' }]) {
      const records = parseSnsFeedback(event);
      expect(records).toEqual([{ recordId: 'event', ok: false, error: expect.any(FeedbackMessageError) }]);
    }
    const records = parseSnsFeedback({ Records: [{ not: 'sns' }, { Sns: { Message: raw('event_open.json') } }] });
    expect(records.map((record) => [record.recordId, record.ok])).toEqual([
      ['0', false],
      ['1', true],
    ]);
  });

  it.each([
    ['Transient', 'MailboxFull'],
    ['Undetermined', 'Undetermined'],
  ])('does not suppress a %s bounce', (bounceType, bounceSubType) => {
    const message = json('notification_bounce_with_dsn.json');
    Object.assign(message.bounce as object, { bounceType, bounceSubType });
    expect(feedbackOfMessage(JSON.stringify(message))).toEqual([
      expect.objectContaining({ address: 'jane@example.com', kind: 'bounce', permanent: false, suppress: false, subType: bounceSubType }),
    ]);
  });

  it('suppresses every Permanent subtype, including SES’s own suppression list', () => {
    for (const bounceSubType of ['General', 'NoEmail', 'Suppressed', 'OnAccountSuppressionList']) {
      const message = json('event_bounce.json');
      Object.assign(message.bounce as object, { bounceSubType });
      expect(feedbackOfMessage(JSON.stringify(message))).toEqual([
        expect.objectContaining({ permanent: true, suppress: true, subType: bounceSubType }),
      ]);
    }
  });

  it('does not suppress on a feedback loop’s not-spam report', () => {
    const message = json('notification_complaint_with_feedback_report.json');
    Object.assign(message.complaint as object, { complaintFeedbackType: 'not-spam' });
    expect(feedbackOfMessage(JSON.stringify(message))).toEqual([
      expect.objectContaining({ address: 'richard@example.com', kind: 'complaint', suppress: false, subType: 'not-spam' }),
    ]);
  });

  it('refuses to guess who bounced when a bounce names no recipient', () => {
    const message = json('notification_bounce_with_dsn.json');
    Object.assign(message.bounce as object, { bouncedRecipients: [] });
    expect(feedbackOfMessage(JSON.stringify(message))).toMatchObject({ reason: 'missing_recipients' });
    const complaint = json('event_complaint.json');
    delete complaint.complaint;
    expect(feedbackOfMessage(JSON.stringify(complaint))).toMatchObject({ reason: 'missing_recipients' });
  });

  it('takes the send id from the mail headers, whatever the case of the header name', () => {
    for (const name of ['X-Rapport-Send-Id', 'X-Rapport-Send-ID', 'x-rapport-send-id']) {
      const message = json('notification_bounce_without_dsn.json');
      (message.mail as { headers: unknown[] }).headers.push({ name, value: 's_0123456789abcdef0123456789abcdef' });
      const items = feedbackOfMessage(JSON.stringify(message)) as FeedbackItem[];
      expect(items.map((item) => item.sendId)).toEqual(['s_0123456789abcdef0123456789abcdef', 's_0123456789abcdef0123456789abcdef']);
    }
  });

  it('tolerates unknown fields, unknown types and odd entries', () => {
    const bounce = json('notification_bounce_without_dsn.json');
    Object.assign(bounce, { somethingNew: { deep: [1, 2] } });
    Object.assign(bounce.bounce as object, {
      bouncedRecipients: [{ emailAddress: ' Jane@Example.com ' }, { emailAddress: 'jane@example.com' }, 'garbage', { status: '5.1.1' }],
      extra: true,
    });
    Object.assign(bounce.mail as object, { headers: 'not a list', destination: [1, 'jane@example.com'] });
    expect(feedbackOfMessage(JSON.stringify(bounce))).toEqual([expect.objectContaining({ address: 'jane@example.com', suppress: true })]);
    expect((feedbackOfMessage(JSON.stringify(bounce)) as FeedbackItem[])[0]).not.toHaveProperty('sendId');

    const future = json('event_open.json');
    future.eventType = 'Teleport';
    future.teleport = { timestamp: '2030-01-01T00:00:00.000Z', where: 'moon' };
    delete future.open;
    expect(feedbackOfMessage(JSON.stringify(future))).toEqual([
      { ...other('Teleport', 'recipient@example.com', '2030-01-01T00:00:00.000Z') },
    ]);
  });

  it('reads a display-name destination as its address', () => {
    const message = json('event_send.json');
    Object.assign(message.mail as object, { destination: ['"Nguyễn Văn An" <An@Example.vn>', 'an@example.vn'] });
    expect((feedbackOfMessage(JSON.stringify(message)) as FeedbackItem[]).map((item) => item.address)).toEqual(['an@example.vn']);
  });
});
