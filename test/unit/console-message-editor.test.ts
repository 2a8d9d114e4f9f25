import { describe, expect, it } from 'vitest';
import { CAMPAIGN_VARIABLES, FLOW_VARIABLES, VARIABLES } from '#shared/email/shop-template.ts';
import { vi } from '../../console/src/i18n/vi.ts';
import { messageFieldErrors, messageForApi, SHOP_MESSAGE_VARIABLES } from '../../console/src/message.ts';

/** The console's email editor, its pure parts: the 400's fields at their inputs, the message sent, the words for every variable. */

describe('the message editor', () => {
  it('places every field a 400 names at its input, the prefix taken off, a field outside the message kept whole', () => {
    // As console/src/api.ts's ApiError holds a 400 (that module needs the DOM; this test runs without it).
    const error = {
      status: 400,
      message: 'templates.win_back.body.vi: unknown variable {{ customer.password }}; …',
      fields: [
        { field: 'templates.win_back.body.vi', message: 'unknown variable {{ customer.password }}' },
        { field: 'templates.win_back.body.vi', message: 'the element <script> is not allowed (line 1)' },
        { field: 'templates.win_back.subject.en', message: 'unknown variable {{ customer.email }}' },
        { field: 'brand.address', message: 'a marketing email needs the postal address' },
      ],
    };
    expect(messageFieldErrors(error, 'templates.win_back')).toEqual({
      'body.vi': 'unknown variable {{ customer.password }}; the element <script> is not allowed (line 1)',
      'subject.en': 'unknown variable {{ customer.email }}',
      'brand.address': 'a marketing email needs the postal address',
    });
    // An older server names one field, its message starting with it.
    const one = {
      status: 400,
      message: 'templates.welcome.body.en: unknown variable {{ reward.code }}',
      field: 'templates.welcome.body.en',
    };
    expect(messageFieldErrors(one, 'templates.welcome')).toEqual({ 'body.en': 'unknown variable {{ reward.code }}' });
    expect(messageFieldErrors({ status: 409, message: 'stale' }, 'templates.welcome')).toEqual({});
    expect(messageFieldErrors(null, 'templates.welcome')).toEqual({});
  });

  it('sends only the languages written, each with its subject and body', () => {
    expect(messageForApi({ subject: { vi: 'Chào', en: ' ' }, body: { vi: '<p>x</p>', en: '' } })).toEqual({
      subject: { vi: 'Chào' },
      body: { vi: '<p>x</p>' },
    });
    // A language half written is sent whole, so the server names the half missing.
    expect(messageForApi({ subject: { en: 'Hi' }, body: {} })).toEqual({ subject: { en: 'Hi' }, body: { en: '' } });
  });

  it('says in Vietnamese what every variable holds', () => {
    expect(Object.keys(vi.messageEditor.descriptions).sort()).toEqual(Object.keys(VARIABLES).sort());
  });

  it("offers a campaign's and a flow's message exactly the variables the server lets them use", () => {
    expect([...SHOP_MESSAGE_VARIABLES]).toEqual([...CAMPAIGN_VARIABLES.names]);
    expect([...SHOP_MESSAGE_VARIABLES]).toEqual([...FLOW_VARIABLES.names]);
  });
});
