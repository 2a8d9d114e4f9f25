import * as z from 'zod';
import type { Db } from '#shared/data/db.ts';
import { type EmailLogEntry, emailLogMonths, emailLogPage } from '#shared/data/email-log-repo.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { CAMPAIGN_TRIGGER, TRIGGERS } from '#shared/email/rules.ts';
import { parseOrThrow } from '#shared/http/validate.ts';

/**
 * GET /v1/emails?trigger=&status=&limit=&cursor=: the shop's send log, newest first — every email
 * sent, every trigger skipped with its reason (no consent, the weekly cap, suppressed…), and sends
 * SES reported bounced or complained of. The last 90 days (email-log-repo.ts), read one month's
 * partition at a time; a filter is applied by DynamoDB, so a page may hold fewer entries than
 * `limit` and still name a cursor (each answer reads at most MAX_QUERIES × `limit` entries).
 */

export const EmailLogQuerySchema = z.object({
  trigger: z.enum([...TRIGGERS, CAMPAIGN_TRIGGER]).optional(),
  status: z.enum(['sent', 'skipped', 'bounced', 'complained']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(1024).optional(),
});

const MAX_QUERIES = 8;

/** Where the last answer stopped: a month's partition and the last key read in it (none: its start). */
const CursorSchema = z.object({ m: z.string().regex(/^\d{4}-\d{2}$/), k: z.string().max(300).optional() });

function decodeCursor(cursor: string, months: string[]) {
  try {
    const decoded = CursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (months.includes(decoded.m)) return decoded;
  } catch {
    // answered below, as any cursor this API did not give out
  }
  throw new ValidationError('cursor', 'cursor is not one this API gave out (or names entries older than 90 days)');
}

export async function readEmailLog(shop: ShopRecord, query: Record<string, string | undefined>, deps: { db: Db; now: () => Date }) {
  const { trigger, status, limit, cursor } = parseOrThrow(EmailLogQuerySchema, query, 'query');
  const months = emailLogMonths(deps.now());
  const start = cursor === undefined ? { m: months[0] as string } : decodeCursor(cursor, months);
  let month: string | undefined = start.m;
  let afterSk = start.k;
  const items: EmailLogEntry[] = [];
  for (let queries = 0; month !== undefined && items.length < limit && queries < MAX_QUERIES; queries++) {
    // Limit counts the items read, before the filter: never more than the page still needs, so the
    // position after the read is exactly where the next answer starts.
    const page = await emailLogPage(deps.db, shop.shopId, month, limit - items.length, afterSk, { trigger, status });
    items.push(...page.entries);
    afterSk = page.lastSk;
    if (afterSk === undefined) month = months[months.indexOf(month) + 1];
  }
  const next =
    month === undefined ? undefined : Buffer.from(JSON.stringify({ m: month, ...(afterSk ? { k: afterSk } : {}) })).toString('base64url');
  return { items, ...(next ? { cursor: next } : {}) };
}
