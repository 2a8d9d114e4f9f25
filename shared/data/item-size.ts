/**
 * The size DynamoDB bills an item at, by its documented rules: attribute names and strings in
 * UTF-8 bytes, numbers about one byte per two significant digits plus one, booleans and nulls one
 * byte, binary by length, lists and maps three bytes plus one per element plus their elements.
 * Used by the benches and tests that hold items under a size (a profile under 8 KB).
 */

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number') {
    const digits = String(Math.abs(value))
      .replace(/[.e+-]/g, '')
      .replace(/^0+/, '')
      .replace(/0+$/, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  if (typeof value === 'object') {
    return 3 + Object.entries(value).reduce((sum, [name, v]) => (v === undefined ? sum : sum + 1 + utf8(name) + valueSize(v)), 0);
  }
  return utf8(String(value));
}

/** The size of an item as the document client would store it (undefined attributes are left out). */
export function itemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, value]) => (value === undefined ? sum : sum + utf8(name) + valueSize(value)), 0);
}
