/**
 * JSON that keeps big integers exact. Shopify ids exceed 2^53 (820982911946154508), and plain
 * JSON.parse rounds them to the nearest double (820982911946154500) — a different order. Node 20's
 * reviver has no access to the source text, so a small scanner first turns every integer literal
 * beyond Number.MAX_SAFE_INTEGER that stands outside a string into a JSON string of the same
 * digits; JSON.parse then does all the real parsing. Connectors read ids with String(value), so an
 * id comes out the same whether the sender wrote 7, 820982911946154508 or "820982911946154508".
 */

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; error: string };

/** Any run of 16 digits may be an unsafe integer; text without one needs no scanning. */
const MAYBE_UNSAFE = /\d{16}/;
const MAX_SAFE = String(Number.MAX_SAFE_INTEGER);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const ZERO = 0x30;
const NINE = 0x39;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

const isDigit = (code: number) => code >= ZERO && code <= NINE;

export function parseJsonExact(text: string): JsonParseResult {
  try {
    return { ok: true, value: JSON.parse(quoteUnsafeIntegers(text)) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : 'not valid JSON' };
  }
}

/**
 * The same JSON text with every unsafe integer literal outside strings quoted. Only literals of
 * JSON's own integer grammar (-?(0|[1-9][0-9]*), no fraction, no exponent) are touched, so text
 * that was not valid JSON does not become valid by this step; everything else is copied verbatim.
 */
export function quoteUnsafeIntegers(text: string): string {
  if (!MAYBE_UNSAFE.test(text)) return text;
  const parts: string[] = [];
  let copiedUpTo = 0;
  let i = 0;
  const length = text.length;
  while (i < length) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      i = endOfString(text, i);
      continue;
    }
    if (code !== MINUS && !isDigit(code)) {
      i++;
      continue;
    }
    const start = i;
    if (code === MINUS) i++;
    const digitsStart = i;
    while (i < length && isDigit(text.charCodeAt(i))) i++;
    const digits = text.slice(digitsStart, i);
    const next = i < length ? text.charCodeAt(i) : -1;
    const integerOnly = next !== DOT && next !== LOWER_E && next !== UPPER_E;
    if (integerOnly && isUnsafe(digits)) {
      parts.push(text.slice(copiedUpTo, start), '"', text.slice(start, i), '"');
      copiedUpTo = i;
    }
    // A fraction or exponent is skipped whole, so its digits are never taken for an integer.
    if (next === DOT) {
      i++;
      while (i < length && isDigit(text.charCodeAt(i))) i++;
    }
    const marker = i < length ? text.charCodeAt(i) : -1;
    if (marker === LOWER_E || marker === UPPER_E) {
      i++;
      const sign = i < length ? text.charCodeAt(i) : -1;
      if (sign === PLUS || sign === MINUS) i++;
      while (i < length && isDigit(text.charCodeAt(i))) i++;
    }
  }
  if (copiedUpTo === 0) return text;
  parts.push(text.slice(copiedUpTo));
  return parts.join('');
}

/** The index just past the string that opens at `open` (or the end of the text when it never closes). */
function endOfString(text: string, open: number): number {
  let i = open + 1;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === BACKSLASH) i += 2;
    else if (code === QUOTE) return i + 1;
    else i++;
  }
  return i;
}

/** A JSON integer literal's digits (no leading zeros but a lone 0) whose value is beyond 2^53 − 1. */
function isUnsafe(digits: string): boolean {
  if (digits.length === 0 || (digits.length > 1 && digits.charCodeAt(0) === ZERO)) return false;
  return digits.length > MAX_SAFE.length || (digits.length === MAX_SAFE.length && digits > MAX_SAFE);
}
