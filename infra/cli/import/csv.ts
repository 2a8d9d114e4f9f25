import { createHash } from 'node:crypto';
import { fail } from '#shared/connectors/types.ts';
import { type CanonicalEvent, CanonicalEventSchema, OrderStatusSchema } from '#shared/domain/event.ts';
import { normalizeEmail } from '#shared/domain/identity.ts';
import { parseMinorUnits } from '#shared/domain/money.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { CommandError } from '../command.ts';
import { converting, type ImportShop, type LineConverter } from './convert.ts';
import { instantIn } from './dates.ts';

/**
 * Order history as CSV: one paid order per row, named by the header (any column order, any case):
 *
 *   email,order_id,date,amount[,currency][,status][,updated_at]
 *
 * `amount` is in currency units as a decimal ("19.99", "1999000" for VND) and becomes minor units
 * exactly (shared/domain/money.ts); `currency`, when given, must be the shop's; `date` is an ISO
 * date or date-time, in the shop's time zone unless it names one; `status` defaults to paid;
 * `updated_at` (default: `date`) versions the row, so a later export with a newer `updated_at`
 * corrects an order imported before. The event id is `import:<shop>:<order_id>` (plus
 * `:<updated_at>` when that column exists): the same row always gives the same event.
 */

const REQUIRED = ['email', 'order_id', 'date', 'amount'] as const;
const OPTIONAL = ['currency', 'status', 'updated_at'] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

const EVENT_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** RFC 4180 fields of one line ("a ""quoted"" field", commas inside quotes); undefined when a quote is not closed. */
export function splitCsvLine(line: string, delimiter = ','): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote === -1) return undefined;
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      fields.push(value);
      if (i >= line.length) return fields;
      if (line[i] !== delimiter) return undefined;
      i++;
    } else {
      const end = line.indexOf(delimiter, i);
      if (end === -1) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
}

const normalizeHeader = (name: string) =>
  name
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

/** Comma, unless the header uses semicolons or tabs instead (spreadsheets in many locales export those). */
function delimiterOf(header: string): string {
  if (header.includes(',')) return ',';
  if (header.includes(';')) return ';';
  if (header.includes('\t')) return '\t';
  return ',';
}

export function csvConverter(headerLine: string, shop: ImportShop, warn: (line: string) => void): LineConverter {
  const delimiter = delimiterOf(headerLine);
  const names = (splitCsvLine(headerLine, delimiter) ?? []).map(normalizeHeader);
  const index = new Map<Column, number>();
  const unknown: string[] = [];
  for (const [i, name] of names.entries()) {
    if (!(REQUIRED as readonly string[]).includes(name) && !(OPTIONAL as readonly string[]).includes(name)) {
      if (name) unknown.push(name);
      continue;
    }
    if (index.has(name as Column)) throw new CommandError(`the CSV header names the column ${name} twice`);
    index.set(name as Column, i);
  }
  const missing = REQUIRED.filter((name) => !index.has(name));
  if (missing.length > 0) {
    throw new CommandError(
      `the CSV header must name the columns ${REQUIRED.join(', ')} (optional: ${OPTIONAL.join(', ')}); ` +
        `missing ${missing.join(', ')} in "${headerLine.slice(0, 200)}"`,
    );
  }
  if (unknown.length > 0) warn(`ignoring the CSV column(s) ${unknown.join(', ')}`);
  const versioned = index.has('updated_at');

  /**
   * (order_id, updated_at) → the line that had it first: a repeat is rejected, so the first row
   * wins on every run. About 100 bytes per order; everything else about the file is streamed.
   */
  const seen = new Map<string, number>();

  const read = (line: string, lineNumber: number) => {
    const fields = splitCsvLine(line, delimiter);
    if (!fields) fail('line', 'a quoted field is not closed (fields spanning several lines are not supported)');
    if (fields.length !== names.length) fail('line', `expected ${names.length} fields like the header, found ${fields.length}`);
    const cell = (column: Column) => {
      const i = index.get(column);
      return i === undefined ? '' : (fields[i] ?? '').trim();
    };

    const rawEmail = cell('email');
    if (!rawEmail) fail('email', 'missing');
    if (rawEmail.length > 320 || !normalizeEmail(rawEmail)) fail('email', 'not an email address');

    const orderId = cell('order_id');
    if (!orderId) fail('order_id', 'missing');
    if (orderId.length > 256) fail('order_id', 'longer than 256 characters');

    const createdAt = dateCell('date', cell('date'), shop.timezone, true) as string;
    const updatedAt = dateCell('updated_at', cell('updated_at'), shop.timezone, false) ?? createdAt;

    const rawAmount = cell('amount');
    if (!rawAmount) fail('amount', 'missing');
    const amount = parseMinorUnits(rawAmount, shop.currency);
    if (!amount.ok) fail('amount', amount.error.replaceAll(rawAmount, '…'));

    const currency = cell('currency').toUpperCase();
    if (currency && currency !== shop.currency) fail('currency', `not the shop currency (${shop.currency})`);

    const rawStatus = cell('status').toLowerCase() || 'paid';
    const status = OrderStatusSchema.safeParse(rawStatus);
    if (!status.success) fail('status', `must be one of ${OrderStatusSchema.options.join(', ')}`);

    const key = versioned ? `${orderId}\u0000${updatedAt}` : orderId;
    const first = seen.get(key);
    if (first !== undefined && first !== lineNumber) {
      fail('order_id', versioned ? 'repeats an earlier row with the same order_id and updated_at' : 'repeats an earlier row');
    }
    seen.set(key, lineNumber);

    return { orderId, email: rawEmail, createdAt, updatedAt, total: amount.minor, status: status.data };
  };

  return {
    convert: (line, lineNumber) =>
      converting(() => {
        const row = read(line, lineNumber);
        const draft: CanonicalEvent = {
          eventId: eventIdOf(shop.shopId, row.orderId, versioned ? row.updatedAt : undefined),
          shopId: shop.shopId,
          type: 'order.upserted',
          occurredAt: row.updatedAt,
          source: 'import',
          customer: { email: row.email },
          order: {
            orderId: row.orderId,
            status: row.status,
            currency: shop.currency,
            total: row.total,
            createdAt: row.createdAt,
            updatedAt: row.updatedAt,
            lineItems: [],
          },
        };
        return { kind: 'events', events: [parseOrThrow(CanonicalEventSchema, draft)] };
      }),
    skip: (line, lineNumber) => {
      converting(() => {
        read(line, lineNumber);
        return { kind: 'ignored', why: 'already sent' };
      });
    },
  };
}

function dateCell(column: string, value: string, timeZone: string, required: boolean): string | undefined {
  if (!value) return required ? fail(column, 'missing') : undefined;
  return instantIn(value, timeZone) ?? fail(column, 'not an ISO 8601 date (2024-03-01) or date-time (2024-03-01T14:30:00+07:00)');
}

/** `import:<shop>:<order_id>[:<updated_at>]`, or a hash of it when the order id has characters an event id cannot hold. */
function eventIdOf(shopId: string, orderId: string, updatedAt: string | undefined): string {
  const id = `import:${shopId}:${orderId}${updatedAt ? `:${updatedAt}` : ''}`;
  if (EVENT_ID.test(id)) return id;
  return `import:${shopId}:h:${createHash('sha256')
    .update(`${orderId}\u0000${updatedAt ?? ''}`)
    .digest('hex')
    .slice(0, 40)}`;
}
