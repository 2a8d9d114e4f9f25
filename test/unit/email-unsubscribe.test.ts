import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createUnsubscribeToken, type UnsubscribePayload, verifyUnsubscribeToken } from '#shared/email/unsubscribe.ts';

const key = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
const payload: UnsubscribePayload = { shopId: 'tra-sen', customerId: 'c_0123456789abcdef0123', issuedAt: 1_767_225_600 };

describe('unsubscribe tokens', () => {
  it('round-trips the shop, the customer and the time, and is URL-safe', () => {
    const token = createUnsubscribeToken(payload, key);
    expect(token).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(verifyUnsubscribeToken(token, key)).toEqual({ ok: true, payload });
  });

  it('accepts a string key as well as bytes', () => {
    const secret = 'a per-shop secret of enough length';
    expect(verifyUnsubscribeToken(createUnsubscribeToken(payload, secret), secret)).toEqual({ ok: true, payload });
  });

  it('round-trips any valid ids and times', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,62}$/),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (shopId, customerId, issuedAt) => {
          const claims = { shopId, customerId, issuedAt };
          expect(verifyUnsubscribeToken(createUnsubscribeToken(claims, key), key)).toEqual({ ok: true, payload: claims });
        },
      ),
    );
  });

  it('carries no personal data: an email address cannot be a customer id', () => {
    expect(() => createUnsubscribeToken({ ...payload, customerId: 'an@example.vn' }, key)).toThrow();
    const token = createUnsubscribeToken(payload, key);
    const decoded = Buffer.from(token.split('.')[1]!, 'base64url').toString();
    expect(JSON.parse(decoded)).toEqual({ s: 'tra-sen', c: 'c_0123456789abcdef0123', t: 1_767_225_600 });
  });

  it('fails when any single bit of the token is flipped', () => {
    const token = createUnsubscribeToken(payload, key);
    let checked = 0;
    for (let i = 0; i < token.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = token.slice(0, i) + String.fromCharCode(token.charCodeAt(i) ^ (1 << bit)) + token.slice(i + 1);
        const result = verifyUnsubscribeToken(flipped, key);
        expect(result.ok, `char ${i} bit ${bit}`).toBe(false);
        checked++;
      }
    }
    expect(checked).toBe(token.length * 8);
  });

  it('fails a signature that decodes to the same bytes but is spelled differently', () => {
    const token = createUnsubscribeToken(payload, key);
    // 32 bytes in 43 base64url characters leave 2 spare bits in the last one: only one spelling verifies.
    const last = token.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(Buffer.from(token.slice(-43, -1) + sibling, 'base64url')).toEqual(Buffer.from(token.slice(-43), 'base64url'));
    expect(verifyUnsubscribeToken(token.slice(0, -1) + sibling, key)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('fails under another key', () => {
    const token = createUnsubscribeToken(payload, key);
    const other = Buffer.from(key);
    other[0]! ^= 1;
    expect(verifyUnsubscribeToken(token, other)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('fails a payload swapped onto another token’s signature', () => {
    const mine = createUnsubscribeToken(payload, key).split('.');
    const theirs = createUnsubscribeToken({ ...payload, customerId: 'c_ffffffffffffffffffff' }, key).split('.');
    expect(verifyUnsubscribeToken([mine[0], theirs[1], mine[2]].join('.'), key)).toEqual({ ok: false, reason: 'bad_signature' });
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
    ];
    for (const token of [...garbage, undefined]) {
      expect(verifyUnsubscribeToken(token, key)).toEqual({ ok: false, reason: expect.stringMatching(/^(malformed|bad_signature)$/) });
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (token) => {
        expect(verifyUnsubscribeToken(token, key).ok).toBe(false);
      }),
    );
  });

  it('refuses a key too short to be a secret', () => {
    expect(() => createUnsubscribeToken(payload, 'short')).toThrow(RangeError);
    expect(() => verifyUnsubscribeToken('v1.x.y', '')).toThrow(RangeError);
  });
});
