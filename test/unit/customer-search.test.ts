import { describe, expect, it } from 'vitest';
import { listChanges, listEntryKeys, sortValueOf } from '#shared/data/customer-list-repo.ts';
import { foldText, lookupWordOf, matchesSearch, searchQueryOf, searchTokensOf, TOKENS_MAX } from '#shared/domain/search.ts';

/** The customer search's normal form and the list entries' keys, without a database. */

describe('search tokens', () => {
  it('fold case, accents and đ, so Vietnamese names are found as typed without them', () => {
    expect(foldText('  Nguyễn   Thị ĐOAN  ')).toBe('nguyen thi doan');
    expect(searchTokensOf({ firstName: 'Đức Minh', lastName: 'Trần-Lê', email: 'Minh@Example.VN', phone: '+84901234567' })).toEqual([
      'duc',
      'minh',
      'tran',
      'le',
      'minh@example.vn',
      '84901234567',
      '901234567',
    ]);
  });

  it('are distinct and bounded', () => {
    const many = searchTokensOf({ firstName: 'a b c d e f g h i j k', lastName: 'a', email: `${'x'.repeat(200)}@example.com` });
    expect(many).toHaveLength(TOKENS_MAX);
    expect(new Set(many).size).toBe(many.length);
    expect(searchTokensOf({ email: `${'x'.repeat(200)}@example.com` })[0]).toHaveLength(64);
    expect(searchTokensOf({})).toEqual([]);
  });
});

describe('a typed query', () => {
  it('is a phone number as its digits, an email start as one word, else words', () => {
    expect(searchQueryOf('+84 (90) 123-45')).toEqual({ kind: 'phone', digits: '849012345' });
    expect(searchQueryOf('0901')).toEqual({ kind: 'phone', digits: '901' });
    expect(searchQueryOf('000')).toEqual({ kind: 'text', words: ['000'] });
    expect(searchQueryOf('lan.ng@Ex')).toEqual({ kind: 'text', words: ['lan.ng@ex'] });
    expect(searchQueryOf('Nguyễn  thị')).toEqual({ kind: 'text', words: ['nguyen', 'thi'] });
    expect(searchQueryOf('12')).toEqual({ kind: 'text', words: ['12'] });
    expect(searchQueryOf(' , ')).toBeUndefined();
  });

  it('looks up its longest word and needs every word to start a token', () => {
    const query = searchQueryOf('th nguyen') as NonNullable<ReturnType<typeof searchQueryOf>>;
    expect(lookupWordOf(query)).toBe('nguyen');
    expect(matchesSearch(['hoa', 'nguyen', 'thi'], query)).toBe(true);
    expect(matchesSearch(['lan', 'nguyen'], query)).toBe(false);
  });
});

describe('list entries', () => {
  const listed = { lastOrderAt: '2026-05-01T10:00:00.000Z', totalSpent: 1_234_567, clv: 987_654, tokens: ['lan', 'lan@example.com', '_x'] };

  it('sort in the order of their values, and rarely move for a small drift of the 12-month value', () => {
    expect(sortValueOf('totalSpent', listed)).toBe('0000000001234567');
    expect(sortValueOf('clv', listed)).toBe('0000000000988000');
    expect(sortValueOf('clv', { ...listed, clv: 987_999 })).toBe(sortValueOf('clv', listed));
    expect(sortValueOf('clv', { ...listed, clv: undefined }) < sortValueOf('clv', { ...listed, clv: 0 })).toBe(true);
    expect(sortValueOf('lastOrderAt', { ...listed, lastOrderAt: undefined }) < sortValueOf('lastOrderAt', listed)).toBe(true);
  });

  it('are written and deleted only where they change', () => {
    expect(listEntryKeys('s', 'c_1', listed).map((key) => `${key.PK} ${key.SK}`)).toEqual([
      'SHOP#s#LIST#lastOrderAt 2026-05-01T10:00:00.000Z#c_1',
      'SHOP#s#LIST#totalSpent 0000000001234567#c_1',
      'SHOP#s#LIST#clv 0000000000988000#c_1',
      'SHOP#s#FIND#l lan#c_1',
      'SHOP#s#FIND#l lan@example.com#c_1',
      'SHOP#s#FIND#_ _x#c_1',
    ]);
    expect(listChanges('s', 'c_1', listed, { ...listed, clv: 987_700 })).toEqual({ puts: [], deletes: [] });
    const moved = listChanges('s', 'c_1', listed, { ...listed, totalSpent: 2_000_000, tokens: ['lan'] });
    expect(moved.puts.map((key) => key.SK)).toEqual(['0000000002000000#c_1']);
    expect(moved.deletes.map((key) => key.SK)).toEqual(['0000000001234567#c_1', 'lan@example.com#c_1', '_x#c_1']);
    expect(listChanges('s', 'c_1', listed, undefined).deletes).toHaveLength(6);
  });
});
