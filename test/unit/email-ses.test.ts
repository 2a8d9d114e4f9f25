import {
  AccountSendingPausedException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  SESClient,
  SESServiceException,
  SendRawEmailCommand,
} from '@aws-sdk/client-ses';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SesRejectedError, SesThrottledError, sendRawEmail } from '#shared/email/ses.ts';

const ses = mockClient(SESClient);
const client = new SESClient({ region: 'us-east-1' });
const raw = new TextEncoder().encode('From: a@b.vn\r\nTo: c@d.vn\r\nSubject: Hi\r\n\r\nHello\r\n');

/** An error as the SDK builds it from an SES query-protocol answer. */
const serviceError = (name: string, message: string, httpStatusCode = 400) =>
  new SESServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode } });

beforeEach(() => {
  ses.reset();
});

describe('sendRawEmail', () => {
  it('makes exactly one SendRawEmail call with the raw bytes and answers SES’s message id', async () => {
    ses.on(SendRawEmailCommand).resolves({ MessageId: '0100018e-abc' });
    await expect(sendRawEmail(client, raw)).resolves.toEqual({ messageId: '0100018e-abc' });
    expect(ses.calls()).toHaveLength(1);
    expect(ses.commandCalls(SendRawEmailCommand)[0]?.args[0].input).toEqual({ RawMessage: { Data: raw } });
  });

  it('passes the configuration set and message tags', async () => {
    ses.on(SendRawEmailCommand).resolves({ MessageId: 'm' });
    await sendRawEmail(client, raw, { configurationSetName: 'rapport', tags: { send_id: 's_0123', shop: 'tra-sen' } });
    expect(ses.commandCalls(SendRawEmailCommand)[0]?.args[0].input).toEqual({
      RawMessage: { Data: raw },
      ConfigurationSetName: 'rapport',
      Tags: [
        { Name: 'send_id', Value: 's_0123' },
        { Name: 'shop', Value: 'tra-sen' },
      ],
    });
  });

  it.each([
    ['Throttling', 'Maximum sending rate exceeded.', 400],
    ['ThrottlingException', 'Rate exceeded', 400],
    ['MaxSendingRateExceeded', 'Maximum sending rate exceeded.', 400],
    ['TooManyRequestsException', 'Too many requests', 429],
    ['SomethingNew', 'slow down', 429],
  ])('maps %s to SesThrottledError (rate), after one call', async (name, message, status) => {
    ses.on(SendRawEmailCommand).rejects(serviceError(name, message, status));
    const error = await sendRawEmail(client, raw).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SesThrottledError);
    expect(error).toMatchObject({ code: name, limit: 'rate', message });
    expect(ses.calls()).toHaveLength(1);
  });

  it('tells the daily quota apart from the sending rate', async () => {
    ses.on(SendRawEmailCommand).rejects(serviceError('Throttling', 'Daily message quota exceeded.'));
    await expect(sendRawEmail(client, raw)).rejects.toMatchObject({ name: 'SesThrottledError', code: 'Throttling', limit: 'daily_quota' });
  });

  it('maps a bare HTTP 429 with no error code', async () => {
    const error = Object.assign(new Error('429'), { name: '', $metadata: { httpStatusCode: 429 } });
    ses.on(SendRawEmailCommand).rejects(error);
    await expect(sendRawEmail(client, raw)).rejects.toMatchObject({ name: 'SesThrottledError', code: 'HTTP 429' });
  });

  it.each([
    ['MessageRejected', new MessageRejected({ message: 'Email address is not verified.', $metadata: {} })],
    [
      'MailFromDomainNotVerifiedException',
      new MailFromDomainNotVerifiedException({ message: 'MAIL FROM domain not verified', $metadata: {} }),
    ],
    ['MailFromDomainNotVerified', serviceError('MailFromDomainNotVerified', 'not verified')],
    ['InvalidParameterValue', serviceError('InvalidParameterValue', "Missing final '@domain'")],
  ])('maps %s to SesRejectedError, a permanent failure', async (code, rejection) => {
    ses.on(SendRawEmailCommand).rejects(rejection);
    const error = await sendRawEmail(client, raw).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SesRejectedError);
    expect(error).toMatchObject({ code, message: rejection.message });
    expect(ses.calls()).toHaveLength(1);
  });

  it('rethrows anything else as it is, for the queue to redrive', async () => {
    const paused = new AccountSendingPausedException({ message: 'paused', $metadata: {} });
    ses.on(SendRawEmailCommand).rejects(paused);
    await expect(sendRawEmail(client, raw)).rejects.toBe(paused);

    const serverError = serviceError('InternalFailure', 'boom', 500);
    ses.on(SendRawEmailCommand).rejects(serverError);
    await expect(sendRawEmail(client, raw)).rejects.toBe(serverError);

    const network = new Error('socket hang up');
    ses.on(SendRawEmailCommand).rejects(network);
    await expect(sendRawEmail(client, raw)).rejects.toBe(network);
  });

  it('refuses an answer without a message id', async () => {
    ses.on(SendRawEmailCommand).resolves({});
    await expect(sendRawEmail(client, raw)).rejects.toThrow(/without a MessageId/);
  });
});
