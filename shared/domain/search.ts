import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/**
 * Finding a customer by what a shop's staff type: the start of a name, an email address or a phone
 * number. Everything is compared in one normal form — lower case, accents and the Vietnamese đ
 * folded (`Nguyễn` → `nguyen`), so `nguyen`, `Nguyễn` and `NGUYEN` find the same people — and a
 * customer is found by the prefix of any of their tokens: each word of the name, the whole email
 * address, and the phone number as E.164 digits and as the national number (`84901234567`,
 * `901234567`); a typed number's leading zeros (a trunk 0: `0901…`) are dropped, so it finds the
 * national number.
 */

/** At most this many tokens per customer, each at most TOKEN_MAX characters: a customer's search entries are bounded. */
export const TOKENS_MAX = 8;
export const TOKEN_MAX = 64;

/** Lower case, accents off, đ → d, runs of spaces as one. */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

const words = (text: string | undefined) => (text ? foldText(text).split(/[\s,.'"()-]+/u) : []);

export interface SearchableContact {
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
}

/** The phone number's digit forms a person may type (from E.164: `+84901234567`), without the trunk 0 (see searchQueryOf). */
function phoneTokens(phone: string | undefined): string[] {
  if (!phone) return [];
  const national = parsePhoneNumberFromString(phone)?.nationalNumber;
  return [phone.replace(/\D/g, ''), ...(national ? [national] : [])];
}

/** A customer's search tokens: distinct, non-empty, at most TOKENS_MAX of at most TOKEN_MAX characters. */
export function searchTokensOf(contact: SearchableContact): string[] {
  const tokens = [
    ...words(contact.firstName),
    ...words(contact.lastName),
    ...(contact.email ? [foldText(contact.email)] : []),
    ...phoneTokens(contact.phone),
  ]
    .map((token) => token.slice(0, TOKEN_MAX))
    .filter((token) => token.length > 0);
  return [...new Set(tokens)].slice(0, TOKENS_MAX);
}

export type SearchQuery = { kind: 'phone'; digits: string } | { kind: 'text'; words: string[] };

/**
 * What was typed, in the tokens' normal form: a phone number (digits, spaces, dots, dashes,
 * brackets and a leading + — at least 3 digits) as its digits; an email address (or its start, with
 * the @) as one word; anything else as its words, split as names are.
 */
export function searchQueryOf(typed: string): SearchQuery | undefined {
  if (/^\+?[\d\s().-]+$/.test(typed.trim()) && typed.replace(/\D/g, '').length >= 3) {
    // No token starts with 0 (E.164 digits never do; national numbers are kept without the trunk 0).
    const digits = typed.replace(/\D/g, '').replace(/^0+/, '');
    if (digits.length > 0) return { kind: 'phone', digits: digits.slice(0, TOKEN_MAX) };
  }
  const typedWords = (typed.includes('@') ? [foldText(typed).replace(/\s/g, '')] : words(typed))
    .map((word) => word.slice(0, TOKEN_MAX))
    .filter((word) => word.length > 0);
  return typedWords.length > 0 ? { kind: 'text', words: typedWords } : undefined;
}

/** The word to look up in the index: the longest (the fewest customers share it); the others filter. */
export const lookupWordOf = (query: SearchQuery) =>
  query.kind === 'phone' ? query.digits : ([...query.words].sort((a, b) => b.length - a.length)[0] as string);

/** Whether a customer's tokens match every word typed (each word the prefix of some token). */
export function matchesSearch(tokens: readonly string[], query: SearchQuery): boolean {
  const typed = query.kind === 'phone' ? [query.digits] : query.words;
  return typed.every((word) => tokens.some((token) => token.startsWith(word)));
}
