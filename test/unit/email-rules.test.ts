import { describe, expect, it } from 'vitest';
import { EMAIL_TRIGGERS, isMarketing } from '#shared/email/render.ts';
import {
  type ContactFacts,
  decideContact,
  EMAIL_CLASS,
  marketingInLastWeek,
  sendId,
  TRIGGERS,
  type Trigger,
  WEEK_MS,
} from '#shared/email/rules.ts';

const now = new Date('2026-03-10T12:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

const facts = (overrides: Partial<ContactFacts> = {}): ContactFacts => ({
  trigger: 'birthday',
  consent: 'subscribed',
  hasAddress: true,
  source: 'shopify',
  marketingSentAt: [],
  maxMarketingPerWeek: 2,
  now,
  ...overrides,
});

const MARKETING = TRIGGERS.filter((trigger) => EMAIL_CLASS[trigger] === 'marketing');

describe('classification', () => {
  it('calls only the answers to a redemption transactional: the receipt, the reward code, the code that failed', () => {
    expect(TRIGGERS.filter((trigger) => EMAIL_CLASS[trigger] === 'transactional')).toEqual([
      'redemption_receipt',
      'reward_issued',
      'reward_failed',
    ]);
    expect(MARKETING).toEqual([
      'welcome',
      'tier_up',
      'tier_down_warning',
      'tier_down',
      'birthday',
      'win_back',
      'points_expiring',
      'points_milestone',
      'feedback_request',
      'flow',
    ]);
  });

  it('agrees with the renderer on the triggers and on which are marketing (one list should own both)', () => {
    expect([...TRIGGERS].sort()).toEqual([...EMAIL_TRIGGERS].sort());
    for (const trigger of TRIGGERS) expect(isMarketing(trigger), trigger).toBe(EMAIL_CLASS[trigger] === 'marketing');
  });
});

describe('decideContact', () => {
  it('sends marketing to a subscribed customer under the cap', () => {
    for (const trigger of MARKETING) expect(decideContact(facts({ trigger }))).toEqual({ send: true });
  });

  it.each([
    [undefined, 'no_consent'],
    ['unsubscribed', 'unsubscribed'],
    ['suppressed', 'suppressed'],
  ] as const)('sends no marketing when consent is %s', (consent, reason) => {
    for (const trigger of MARKETING) expect(decideContact(facts({ trigger, consent }))).toEqual({ send: false, reason });
  });

  it('sends the receipt without marketing consent, but never to a suppressed address', () => {
    const receipt = (overrides: Partial<ContactFacts>) => decideContact(facts({ trigger: 'redemption_receipt', ...overrides }));
    expect(receipt({ consent: undefined })).toEqual({ send: true });
    expect(receipt({ consent: 'unsubscribed' })).toEqual({ send: true });
    expect(receipt({ marketingSentAt: [ago(1), ago(2), ago(3)] })).toEqual({ send: true });
    expect(receipt({ consent: 'suppressed' })).toEqual({ send: false, reason: 'suppressed' });
    expect(receipt({ hasAddress: false })).toEqual({ send: false, reason: 'no_address' });
  });

  it('never emails because of an imported (historical) event, whatever the trigger', () => {
    for (const trigger of TRIGGERS) {
      expect(decideContact(facts({ trigger, source: 'import' }))).toEqual({ send: false, reason: 'historical' });
    }
    for (const source of ['shopify', 'woocommerce', 'generic', 'api', undefined] as const) {
      expect(decideContact(facts({ source }))).toEqual({ send: true });
    }
  });

  it('never writes to an erased customer', () => {
    for (const trigger of TRIGGERS) {
      expect(decideContact(facts({ trigger, erased: true }))).toEqual({ send: false, reason: 'erased' });
    }
  });

  it('needs an address', () => {
    expect(decideContact(facts({ hasAddress: false }))).toEqual({ send: false, reason: 'no_address' });
  });

  it('gives the first reason in its documented order', () => {
    const worst = facts({ erased: true, source: 'import', hasAddress: false, consent: 'suppressed', marketingSentAt: [ago(1), ago(2)] });
    const order: [Partial<ContactFacts>, string][] = [
      [{}, 'erased'],
      [{ erased: false }, 'historical'],
      [{ erased: false, source: 'api' }, 'no_address'],
      [{ erased: false, source: 'api', hasAddress: true }, 'suppressed'],
      [{ erased: false, source: 'api', hasAddress: true, consent: undefined }, 'no_consent'],
      [{ erased: false, source: 'api', hasAddress: true, consent: 'subscribed' }, 'frequency_cap'],
    ];
    for (const [fix, reason] of order) expect(decideContact({ ...worst, ...fix })).toEqual({ send: false, reason });
  });

  it('caps marketing at maxMarketingPerWeek in the last 7 days', () => {
    expect(decideContact(facts({ marketingSentAt: [ago(60_000)] }))).toEqual({ send: true });
    expect(decideContact(facts({ marketingSentAt: [ago(60_000), ago(3 * 86_400_000)] }))).toEqual({ send: false, reason: 'frequency_cap' });
    expect(decideContact(facts({ maxMarketingPerWeek: 0 }))).toEqual({ send: false, reason: 'frequency_cap' });
    expect(decideContact(facts({ maxMarketingPerWeek: 14, marketingSentAt: Array.from({ length: 13 }, (_, i) => ago(i * 1000)) }))).toEqual(
      {
        send: true,
      },
    );
  });

  it('lets an email sent exactly 7 days ago fall out of the window, and one a millisecond later count', () => {
    const oneRecent = ago(86_400_000);
    expect(decideContact(facts({ marketingSentAt: [oneRecent, ago(WEEK_MS)] }))).toEqual({ send: true });
    expect(decideContact(facts({ marketingSentAt: [oneRecent, ago(WEEK_MS - 1)] }))).toEqual({ send: false, reason: 'frequency_cap' });
    expect(decideContact(facts({ marketingSentAt: [oneRecent, ago(WEEK_MS + 1)] }))).toEqual({ send: true });
    // Epoch milliseconds work the same.
    expect(marketingInLastWeek([now.getTime() - WEEK_MS, now.getTime() - WEEK_MS + 1], now)).toBe(1);
  });

  it('counts a send stamped in the future, ignores unreadable stamps', () => {
    expect(marketingInLastWeek([new Date(now.getTime() + 60_000).toISOString(), 'not a date', Number.NaN], now)).toBe(1);
  });
});

describe('sendId', () => {
  it('is deterministic per (shop, customer, trigger key) and safe in headers', () => {
    const id = sendId('tra-sen', 'c_0123456789abcdef0123', 'birthday:2026');
    expect(id).toBe(sendId('tra-sen', 'c_0123456789abcdef0123', 'birthday:2026'));
    expect(id).toMatch(/^s_[0-9a-f]{32}$/);
  });

  it('differs when any part differs, even when the parts concatenate alike', () => {
    const ids = new Set([
      sendId('tra-sen', 'c_1', 'birthday:2026'),
      sendId('tra-sen', 'c_1', 'birthday:2027'),
      sendId('tra-sen', 'c_2', 'birthday:2026'),
      sendId('tra-sen-2', 'c_1', 'birthday:2026'),
      sendId('a', 'bc', 'd'),
      sendId('ab', 'c', 'd'),
      sendId('a', 'b', 'cd'),
    ]);
    expect(ids.size).toBe(7);
  });

  it('gives each trigger of one customer its own id', () => {
    const ids = TRIGGERS.map((trigger: Trigger) => sendId('tra-sen', 'c_1', `${trigger}:2026-03`));
    expect(new Set(ids).size).toBe(TRIGGERS.length);
  });
});
