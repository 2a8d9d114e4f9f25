import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFeedbackToken, type FeedbackPayload, feedbackUrl, verifyFeedbackToken } from '#shared/email/feedback-link.ts';
import { feedbackKey, unsubscribeKey } from '#shared/email/keys.ts';
import { createUnsubscribeToken, verifyUnsubscribeToken } from '#shared/email/unsubscribe.ts';

const key = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
const payload: FeedbackPayload = {
  shopId: 'tra-sen',
  customerId: 'c_0123456789abcdef0123',
  orderId: 'shopify:5001',
  issuedAt: 1_767_225_600,
};

describe('feedback tokens', () => {
  it('round-trips the shop, the customer, the order and the time, and is URL-safe', () => {
    const token = createFeedbackToken(payload, key);
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(verifyFeedbackToken(token, key)).toEqual({ ok: true, payload });
  });

  it('round-trips any valid ids and times, with a string key as well as bytes', () => {
    const secret = 'a secret of enough length';
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,62}$/),
        fc.stringMatching(/^c_[0-9a-f]{20}$/),
        fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (shopId, customerId, orderId, issuedAt) => {
          const claims = { shopId, customerId, orderId, issuedAt };
          expect(verifyFeedbackToken(createFeedbackToken(claims, key), key)).toEqual({ ok: true, payload: claims });
          expect(verifyFeedbackToken(createFeedbackToken(claims, secret), secret)).toEqual({ ok: true, payload: claims });
        },
      ),
    );
  });

  it('carries ids only: no address can stand in for a customer or an order', () => {
    expect(() => createFeedbackToken({ ...payload, customerId: 'lan@example.vn' }, key)).toThrow();
    expect(() => createFeedbackToken({ ...payload, orderId: 'lan@example.vn' }, key)).toThrow();
    expect(() => createFeedbackToken({ ...payload, orderId: 'x'.repeat(65) }, key)).toThrow();
    const decoded = Buffer.from(createFeedbackToken(payload, key).split('.')[1]!, 'base64url').toString();
    expect(JSON.parse(decoded)).toEqual({ s: 'tra-sen', c: 'c_0123456789abcdef0123', o: 'shopify:5001', t: 1_767_225_600 });
  });

  it('refuses a key too short to be a secret', () => {
    expect(() => createFeedbackToken(payload, 'short')).toThrow(RangeError);
    expect(() => verifyFeedbackToken('v1.e30.x', 'short')).toThrow(RangeError);
  });

  it('fails when any single bit of the token is flipped', () => {
    const token = createFeedbackToken(payload, key);
    for (let i = 0; i < token.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = token.slice(0, i) + String.fromCharCode(token.charCodeAt(i) ^ (1 << bit)) + token.slice(i + 1);
        expect(verifyFeedbackToken(flipped, key).ok, `char ${i} bit ${bit}`).toBe(false);
      }
    }
  });

  it('fails a signature that decodes to the same bytes but is spelled differently', () => {
    const token = createFeedbackToken(payload, key);
    // 32 bytes in 43 base64url characters leave 2 spare bits in the last one: only one spelling verifies.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(token.at(-1)!) ^ 1]!;
    expect(Buffer.from(token.slice(-43, -1) + sibling, 'base64url')).toEqual(Buffer.from(token.slice(-43), 'base64url'));
    expect(verifyFeedbackToken(token.slice(0, -1) + sibling, key)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('fails a payload for another order swapped onto this token’s signature', () => {
    const mine = createFeedbackToken(payload, key).split('.');
    const theirs = createFeedbackToken({ ...payload, orderId: 'shopify:5002' }, key).split('.');
    expect(verifyFeedbackToken([mine[0], theirs[1], mine[2]].join('.'), key)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('fails under another key', () => {
    const other = Buffer.from(key);
    other[0]! ^= 1;
    expect(verifyFeedbackToken(createFeedbackToken(payload, key), other)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyFeedbackToken(createFeedbackToken(payload, feedbackKey('m'.repeat(32))), feedbackKey('n'.repeat(32)))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses an unsubscribe token signed with the very same key, and the other way round', () => {
    const unsubscribe = createUnsubscribeToken({ shopId: payload.shopId, customerId: payload.customerId, issuedAt: payload.issuedAt }, key);
    expect(verifyUnsubscribeToken(unsubscribe, key).ok).toBe(true);
    expect(verifyFeedbackToken(unsubscribe, key)).toEqual({ ok: false, reason: 'bad_signature' });
    // A feedback link must never unsubscribe anyone.
    expect(verifyUnsubscribeToken(createFeedbackToken(payload, key), key)).toEqual({ ok: false, reason: 'bad_signature' });
    // And in production the two are signed with different derived keys as well.
    const master = 'm'.repeat(32);
    const real = createUnsubscribeToken({ shopId: 'tra-sen', customerId: payload.customerId, issuedAt: 1 }, unsubscribeKey(master));
    expect(verifyFeedbackToken(real, feedbackKey(master)).ok).toBe(false);
  });

  it('fails garbage without throwing', () => {
    const garbage = [
      '',
      'v1',
      'v1..',
      'v2.e30.x',
      'null',
      '\u0000',
      '.'.repeat(5000),
      `v1.e30.${'A'.repeat(43)}`,
      `v1.${'A'.repeat(600)}.sig`,
      `v1.${Buffer.from('not json').toString('base64url')}.${'A'.repeat(43)}`,
    ];
    for (const token of [...garbage, undefined]) {
      expect(verifyFeedbackToken(token, key)).toEqual({ ok: false, reason: expect.stringMatching(/^(malformed|bad_signature)$/) });
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (token) => {
        expect(verifyFeedbackToken(token, key).ok).toBe(false);
      }),
    );
  });

  it('is malformed when a correctly signed payload is not a feedback payload', () => {
    // Signed with our tag and key, so only the payload check can refuse it.
    const sign = (claims: unknown) => {
      const encoded = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `v1.${encoded}.${createHmac('sha256', key).update(`rapport/feedback/v1.${encoded}`).digest('base64url')}`;
    };
    expect(verifyFeedbackToken(sign({ s: 'tra-sen', c: 'c_0123456789abcdef0123', o: 'a b', t: 1 }), key)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyFeedbackToken(sign({ s: 'tra-sen', c: 'c_0123456789abcdef0123', t: 1 }), key)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('feedbackUrl', () => {
  it('puts the token in the query of the feedback route, whatever the base URL ends with', () => {
    const token = createFeedbackToken(payload, key);
    expect(feedbackUrl('https://api.example.vn', token)).toBe(`https://api.example.vn/feedback?token=${token}`);
    expect(feedbackUrl('https://api.example.vn/prod/', token)).toBe(`https://api.example.vn/prod/feedback?token=${token}`);
  });

  it('can pre-select a score, and only a real one', () => {
    expect(feedbackUrl('http://127.0.0.1:3000', 'v1.a.b', { score: 0 })).toBe('http://127.0.0.1:3000/feedback?token=v1.a.b&score=0');
    expect(feedbackUrl('http://127.0.0.1:3000', 'v1.a.b', { score: 10 })).toMatch(/&score=10$/);
    expect(() => feedbackUrl('http://127.0.0.1:3000', 'v1.a.b', { score: 11 })).toThrow(RangeError);
    expect(() => feedbackUrl('http://127.0.0.1:3000', 'v1.a.b', { score: 2.5 })).toThrow(RangeError);
  });
});
