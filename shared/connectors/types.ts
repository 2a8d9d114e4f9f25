import { createHash } from 'node:crypto';
import * as z from 'zod';
import { parseJsonExact } from '#shared/connectors/safe-json.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import {
  type CanonicalEvent,
  CanonicalEventSchema,
  type EventCustomer,
  MAX_DISCOUNT_CODE_LENGTH,
  MAX_DISCOUNT_CODES,
  normalizeDiscountCode,
} from '#shared/domain/event.ts';
import { currencyExponent, type MinorUnitOptions, parseMinorUnits } from '#shared/domain/money.ts';
import { parseOrThrow } from '#shared/http/validate.ts';

/**
 * The connector contract: a sender's topic and raw body in, canonical events out (DESIGN §4), as
 * pure functions — no I/O, no clock (the delivery's arrival time comes in the context). Below the
 * types are the few readers every connector shares, so that ids, instants, money and text are read
 * one way whatever the source.
 */

export interface ConnectorContext {
  shopId: string;
  /** The shop's ISO 4217 currency: every amount in an event is in it. */
  currency: string;
  /** Shop setting, default true. */
  ignoreTestOrders: boolean;
  /** When the delivery arrived (for deletes that carry no timestamp). */
  receivedAt: Date;
  /** X-Shopify-Webhook-Id / X-WC-Webhook-Delivery-ID. */
  deliveryId?: string;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
}

export type NormalizeResult =
  /** `ignored` counts what was dropped on purpose: test orders, checkout drafts. */
  | { kind: 'events'; events: CanonicalEvent[]; ignored: number }
  /** Answered 200 and ignored. */
  | { kind: 'unknown_topic' }
  /** Answered 400 naming the field. */
  | { kind: 'invalid'; field: string; message: string };

export type Normalizer = (topic: string, rawBody: string, ctx: ConnectorContext) => NormalizeResult;

/** What a connector builds before validation; the canonical schema has the last word. */
export type EventDraft = z.input<typeof CanonicalEventSchema>;

/**
 * Runs a normalizer body: a ValidationError (a field the sender got wrong) becomes `invalid`.
 * Anything else is a bug and propagates — turning it into a 400 would hide it.
 */
export function normalizing(run: () => NormalizeResult): NormalizeResult {
  try {
    return run();
  } catch (error) {
    if (error instanceof ValidationError) return { kind: 'invalid', field: error.field, message: error.message };
    throw error;
  }
}

export function fail(field: string, message: string): never {
  throw new ValidationError(field, `${field}: ${message}`);
}

/** The body as JSON with big integers exact (see safe-json.ts). */
export function parseBody(rawBody: string): unknown {
  const parsed = parseJsonExact(rawBody);
  if (!parsed.ok) fail('body', 'not valid JSON');
  return parsed.value;
}

/** Validates a source shape; a failure names the source's own field (`line_items[2].quantity`). */
export function read<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  return parseOrThrow(schema, value, prefix);
}

/** Every event passes the canonical schema before it leaves a connector. */
export function finish(drafts: EventDraft[], ignored: number): NormalizeResult {
  const events = drafts.map((draft, i) => parseOrThrow(CanonicalEventSchema, draft, drafts.length > 1 ? `[${i}]` : ''));
  return { kind: 'events', events, ignored };
}

/** The shop's currency must have a minor unit, or no amount can be read. */
export function assertShopCurrency(currency: string): void {
  if (currencyExponent(currency) === undefined)
    fail('currency', `the shop currency ${currency} is not an ISO 4217 currency with a minor unit`);
}

// ── ids ───────────────────────────────────────────────────────────────────────────────────────

/**
 * A source's numeric id, as a string: a small number, a big one (kept exact by safe-json) or a
 * string of digits all read the same. Leading zeros are dropped so "007" and 7 are one id.
 */
export const SourceIdSchema = z
  .union([
    z.string().regex(/^\d{1,30}$/, 'a numeric id'),
    z.number().int('a numeric id').min(0, 'a numeric id').max(Number.MAX_SAFE_INTEGER),
  ])
  .transform((value) => (typeof value === 'number' ? String(value) : value.replace(/^0+(?=\d)/, '')));

// ── instants ──────────────────────────────────────────────────────────────────────────────────

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;
const EARLIEST = Date.UTC(1000, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * ISO 8601 date-time → `YYYY-MM-DDTHH:mm:ss.sssZ`, or undefined. The calendar is checked (no
 * 30 February: Date.parse would roll it into March). Without a zone designator the text is read
 * as UTC only when `zoneless` says so — WooCommerce's `*_gmt` fields are UTC written without one —
 * and refused otherwise, because guessing the server's zone would shift every date.
 */
export function parseInstant(text: string, zoneless: 'utc' | 'refuse'): string | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const zulu = m[8];
  const sign = m[9];
  if (!zulu && !sign && zoneless === 'refuse') return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (sign) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const at = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  if (at < EARLIEST || at > LATEST) return undefined;
  return new Date(at).toISOString();
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const instant = (zoneless: 'utc' | 'refuse') =>
  z.string().transform((value, ctx) => {
    const iso = parseInstant(value, zoneless);
    if (iso) return iso;
    ctx.addIssue({ code: 'custom', message: zoneless === 'utc' ? 'not an ISO 8601 date-time' : 'not an ISO 8601 date-time with a zone' });
    return z.NEVER;
  });

/** A date-time that names its zone (Shopify's). */
export const InstantSchema = instant('refuse');
/** A date-time that is UTC, with or without a designator (WooCommerce's `*_gmt`). */
export const UtcInstantSchema = instant('utc');

// ── money ─────────────────────────────────────────────────────────────────────────────────────

/** An amount (decimal string, or a number as WooCommerce sometimes sends) → minor units of `currency`. */
export function amountSchema(currency: string, options: MinorUnitOptions = {}) {
  return z.union([z.string(), z.number()], 'a decimal amount').transform((value, ctx) => {
    const parsed = parseMinorUnits(value, currency, options);
    if (parsed.ok) return parsed.minor;
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  });
}

export const RawAmountSchema = z.union([z.string(), z.number()], 'a decimal amount');

/** Reads an amount outside a schema (its currency known only at run time), naming `field` on failure. */
export function minorUnitsAt(field: string, value: unknown, currency: string, options: MinorUnitOptions = {}): number {
  const parsed = parseMinorUnits(value, currency, options);
  if (!parsed.ok) fail(field, parsed.error);
  return parsed.minor;
}

export function addMinorUnits(field: string, a: number, b: number): number {
  const sum = a + b;
  if (!Number.isSafeInteger(sum)) fail(field, 'the amounts add up to more than can be counted exactly');
  return sum;
}

// ── text ──────────────────────────────────────────────────────────────────────────────────────

/** Optional text: null, missing and blank all mean "not given"; anything but a string is refused. */
export const TextSchema = z
  .string()
  .nullish()
  .transform((value) => {
    const trimmed = value?.trim();
    return trimmed ? trimmed : undefined;
  });

/**
 * Free text the canonical schema bounds (names, titles, cities) is cut to fit: a 600-character
 * product title is still that product. Identifiers (email, phone, sku) are never cut — a cut
 * identifier names someone else — they are left out instead when too long.
 */
export const clip = (value: string | undefined, max: number) => (value === undefined ? undefined : [...value].slice(0, max).join(''));
export const within = (value: string | undefined, max: number) => (value !== undefined && value.length <= max ? value : undefined);

/** `{ [key]: value }` when there is a value, `{}` otherwise: absent fields stay absent, not undefined. */
export const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

/**
 * Where an order is shipped, only for the hash that tells a referrer ordering for themselves
 * (loyalty/referrals.ts shippingAddressHash): undefined without a street line.
 */
export function shippingAddressOf(line1: string | undefined, postcode: string | undefined, country: string | undefined) {
  return line1
    ? { line1: line1.slice(0, 300), ...optional('postcode', within(postcode, 40)), ...optional('country', within(country, 60)) }
    : undefined;
}

export const countryCode = (value: string | undefined) => (value && /^[A-Za-z]{2}$/.test(value) ? value.toUpperCase() : undefined);

/** A customer from what a source gave, or undefined when it names nobody (no id, email or phone). */
export function customerOf(fields: {
  externalId?: string;
  email?: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
  locale?: string;
  country?: string;
  city?: string;
  acceptsEmailMarketing?: boolean;
  updatedAt?: string;
}): EventCustomer | undefined {
  const customer = {
    externalId: fields.externalId,
    email: within(fields.email, 320),
    phone: within(fields.phone, 40),
    firstName: clip(fields.firstName, 200),
    lastName: clip(fields.lastName, 200),
    locale: within(fields.locale, 35),
    country: countryCode(fields.country),
    city: clip(fields.city, 200),
    acceptsEmailMarketing: fields.acceptsEmailMarketing,
    updatedAt: fields.updatedAt,
  };
  if (!customer.externalId && !customer.email && !customer.phone) return undefined;
  return Object.fromEntries(Object.entries(customer).filter(([, value]) => value !== undefined)) as EventCustomer;
}

/**
 * The discount codes of an order body (Shopify discount_codes[].code, WooCommerce
 * coupon_lines[].code), in the canonical event's form: trimmed and upper-cased by the schema's own
 * normalizeDiscountCode, blanks skipped, duplicates dropped, first occurrence first. A code over 100
 * characters is left out — an identifier is never cut, and no reward code comes near that length —
 * and past the first 20 codes the rest are left out: refusing a real order for its codes would lose
 * the order. Undefined when none remain, so the field stays absent.
 */
export function discountCodesOf(codes: Iterable<string | undefined>): string[] | undefined {
  const kept = new Set<string>();
  for (const code of codes) {
    if (kept.size === MAX_DISCOUNT_CODES) break;
    const normalized = code === undefined ? '' : normalizeDiscountCode(code);
    if (normalized.length > 0 && normalized.length <= MAX_DISCOUNT_CODE_LENGTH) kept.add(normalized);
  }
  return kept.size > 0 ? [...kept] : undefined;
}

// ── event ids ─────────────────────────────────────────────────────────────────────────────────

const EVENT_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * `parts` joined by ":" when that fits the canonical eventId charset and length; otherwise a hash
 * of the same parts, so an odd delivery id still gives one stable id and never an invalid one.
 */
export function eventIdOf(prefix: string, ...parts: string[]): string {
  const id = [prefix, ...parts].join(':');
  return EVENT_ID.test(id) ? id : `${prefix}:h:${digest(id).slice(0, 40)}`;
}

/** A short, stable fingerprint of a normalized value (same content, same fingerprint). */
export function fingerprint(value: unknown): string {
  return digest(JSON.stringify(value)).slice(0, 10);
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

/** The first valid instant among the candidates, else the arrival time. */
export function firstInstant(ctx: ConnectorContext, ...candidates: (string | undefined)[]): string {
  return candidates.find((value) => value !== undefined) ?? ctx.receivedAt.toISOString();
}
