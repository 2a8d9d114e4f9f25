import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFeedbackToken } from '#shared/email/feedback-link.ts';
import { feedbackKey, unsubscribeKey } from '#shared/email/keys.ts';
import {
  createLoyaltyToken,
  LOYALTY_LINK_DAYS,
  type LoyaltyPayload,
  loyaltyKey,
  loyaltyPageUrl,
  verifyLoyaltyToken,
} from '#shared/email/loyalty-link.ts';
import { createUnsubscribeToken } from '#shared/email/unsubscribe.ts';

const key = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
const issuedAt = 1_767_225_600;
const payload: LoyaltyPayload = { shopId: 'tra-sen', customerId: 'c_0123456789abcdef0123', issuedAt };
const at = (seconds: number) => new Date(seconds * 1000);
const DAY = 86_400;

describe('loyalty link tokens', () => {
  it('round-trips the shop, the customer and the time, and is URL-safe', () => {
    const token = createLoyaltyToken(payload, key);
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(verifyLoyaltyToken(token, key, at(issuedAt))).toEqual({ ok: true, payload });
  });

  it('round-trips any valid ids and times, with a string key as well as bytes', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,62}$/),
        fc.stringMatching(/^c_[0-9a-f]{20}$/),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (shopId, customerId, t) => {
          const claims = { shopId, customerId, issuedAt: t };
          expect(verifyLoyaltyToken(createLoyaltyToken(claims, key), key, at(t))).toEqual({ ok: true, payload: claims });
          const secret = 'a secret of enough length';
          expect(verifyLoyaltyToken(createLoyaltyToken(claims, secret), secret, at(t))).toEqual({ ok: true, payload: claims });
        },
      ),
    );
  });

  it(`opens for ${LOYALTY_LINK_DAYS} days and not a second longer`, () => {
    const token = createLoyaltyToken(payload, key);
    const end = issuedAt + LOYALTY_LINK_DAYS * DAY;
    expect(verifyLoyaltyToken(token, key, at(end)).ok).toBe(true);
    expect(verifyLoyaltyToken(token, key, at(end + 1))).toEqual({ ok: false, reason: 'expired' });
    // A clock behind the signer's does not refuse a fresh link.
    expect(verifyLoyaltyToken(token, key, at(issuedAt - 120)).ok).toBe(true);
  });

  it('checks the signature before the age: a forged old token is a bad signature, not an expired one', () => {
    const other = Buffer.from(key);
    other[0]! ^= 1;
    const forged = createLoyaltyToken(payload, other);
    expect(verifyLoyaltyToken(forged, key, at(issuedAt + 365 * DAY))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('carries ids only: no address can stand in for a customer', () => {
    expect(() => createLoyaltyToken({ ...payload, customerId: 'lan@example.vn' }, key)).toThrow();
    expect(() => createLoyaltyToken({ ...payload, shopId: 'Trà Sen' }, key)).toThrow();
    const decoded = Buffer.from(createLoyaltyToken(payload, key).split('.')[1]!, 'base64url').toString();
    expect(JSON.parse(decoded)).toEqual({ s: 'tra-sen', c: 'c_0123456789abcdef0123', t: issuedAt });
  });

  it('fails when any single bit of the token is flipped', () => {
    const token = createLoyaltyToken(payload, key);
    for (let i = 0; i < token.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = token.slice(0, i) + String.fromCharCode(token.charCodeAt(i) ^ (1 << bit)) + token.slice(i + 1);
        expect(verifyLoyaltyToken(flipped, key, at(issuedAt)).ok, `char ${i} bit ${bit}`).toBe(false);
      }
    }
  });

  it('fails a payload for another customer swapped onto this token’s signature', () => {
    const mine = createLoyaltyToken(payload, key).split('.');
    const theirs = createLoyaltyToken({ ...payload, customerId: 'c_ffffffffffffffffffff' }, key).split('.');
    expect(verifyLoyaltyToken([mine[0], theirs[1], mine[2]].join('.'), key, at(issuedAt))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses feedback and unsubscribe tokens, even under the very same key', () => {
    const feedback = createFeedbackToken({ ...payload, orderId: 'shopify:1' }, key);
    expect(verifyLoyaltyToken(feedback, key, at(issuedAt))).toEqual({ ok: false, reason: 'bad_signature' });
    const unsubscribe = createUnsubscribeToken(payload, key);
    expect(verifyLoyaltyToken(unsubscribe, key, at(issuedAt))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('has a derived key of its own, distinct from the other email keys', () => {
    const master = 'm'.repeat(32);
    expect(loyaltyKey(master)).toHaveLength(32);
    expect(loyaltyKey(master).equals(feedbackKey(master))).toBe(false);
    expect(loyaltyKey(master).equals(unsubscribeKey(master))).toBe(false);
    expect(loyaltyKey(master).equals(loyaltyKey('n'.repeat(32)))).toBe(false);
    const token = createLoyaltyToken(payload, loyaltyKey(master));
    expect(verifyLoyaltyToken(token, loyaltyKey(master), at(issuedAt)).ok).toBe(true);
    expect(verifyLoyaltyToken(token, loyaltyKey('n'.repeat(32)), at(issuedAt))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('fails garbage without throwing, and a correctly signed non-payload is malformed', () => {
    for (const token of ['', 'v1', 'v1..', 'v2.e30.x', '.'.repeat(5000), `v1.e30.${'A'.repeat(43)}`, undefined]) {
      expect(verifyLoyaltyToken(token, key, at(issuedAt)).ok).toBe(false);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (token) => {
        expect(verifyLoyaltyToken(token, key, at(issuedAt)).ok).toBe(false);
      }),
    );
    const sign = (claims: unknown) => {
      const encoded = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `v1.${encoded}.${createHmac('sha256', key).update(`rapport/loyalty/v1.${encoded}`).digest('base64url')}`;
    };
    expect(verifyLoyaltyToken(sign({ s: 'tra-sen', c: 'lan@example.vn', t: 1 }), key, at(1))).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyLoyaltyToken(sign({ s: 'tra-sen', c: payload.customerId }), key, at(1))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a key too short to be a secret', () => {
    expect(() => createLoyaltyToken(payload, 'short')).toThrow(RangeError);
    expect(() => verifyLoyaltyToken('v1.e30.x', 'short', at(0))).toThrow(RangeError);
  });
});

describe('loyaltyPageUrl', () => {
  it('puts the token in the query of the shop’s page, whatever the base URL ends with', () => {
    const token = createLoyaltyToken(payload, key);
    expect(loyaltyPageUrl('https://api.example.vn', 'tra-sen', token)).toBe(`https://api.example.vn/l/tra-sen?t=${token}`);
    expect(loyaltyPageUrl('https://api.example.vn/prod/', 'tra-sen', token)).toBe(`https://api.example.vn/prod/l/tra-sen?t=${token}`);
  });
});
