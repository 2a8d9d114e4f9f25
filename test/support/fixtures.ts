import { readFileSync } from 'node:fs';
import { parseJsonExact } from '#shared/connectors/safe-json.ts';

/**
 * Real payloads, by source and name (see each folder's SOURCE.md). `raw` is the body as sent;
 * `body` is a fresh parse of it on every call — big integers as exact digit strings, as the
 * connectors read them — so a test may change it, or structuredClone it, and JSON.stringify it
 * back into a body without rounding an id.
 */

const FIXTURES = {
  shopify: [
    'customers_create',
    'customers_data_request',
    'customers_delete',
    'customers_redact',
    'customers_update',
    'orders_create',
    'orders_delete',
    'orders_paid',
    'refunds_create',
    'shop_redact',
  ],
  woocommerce: ['customer', 'order', 'order_refund', 'order_updated'],
} as const;

export type FixtureSource = keyof typeof FIXTURES;
export type FixtureName<S extends FixtureSource> = (typeof FIXTURES)[S][number];
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

export interface Fixture {
  raw: string;
  body: JsonObject;
}

export const fixtureNames = <S extends FixtureSource>(source: S): readonly FixtureName<S>[] => FIXTURES[source];

const cache = new Map<string, string>();

export function loadFixture<S extends FixtureSource>(source: S, name: FixtureName<S>): Fixture {
  const path = new URL(`../fixtures/${source}/${name}.json`, import.meta.url);
  let raw = cache.get(path.href);
  if (raw === undefined) {
    raw = readFileSync(path, 'utf8');
    cache.set(path.href, raw);
  }
  const parsed = parseJsonExact(raw);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    throw new Error(`fixture ${source}/${name} is not a JSON object`);
  }
  return { raw, body: parsed.value as JsonObject };
}
