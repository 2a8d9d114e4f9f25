import * as z from 'zod';
import { spreadsheetCsvRecord } from '#shared/analytics/csv.ts';
import { RFM_SEGMENT_NAMES } from '#shared/analytics/rfm.ts';
import { SegmentIdSchema, segmentIdOfRfm, segmentIdOfRule, segmentIdOfTier } from '#shared/analytics/segment-ids.ts';
import { getProfiles } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { profileKey } from '#shared/data/keys.ts';
import { profileOf } from '#shared/data/profile-item.ts';
import { getSegmentCounts, segmentMembersPage } from '#shared/data/run-repo.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { currencyExponent, formatMinorUnits } from '#shared/domain/money.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { profileView } from '#shared/use-cases/profile-view.ts';

/**
 * GET /v1/segments and GET /v1/segments/{segmentId}/customers: customers per RFM segment, tier and
 * rule segment as of the shop's last finished run (tiers move on every order; these counts are the
 * run's snapshot). Segment ids: `rfm:champions`, `tier:gold`, `rule:{the shop's id}`.
 */

interface Deps {
  db: Db;
  program: (shopId: string) => Promise<Program>;
}

export async function listSegments(shop: ShopRecord, deps: Deps) {
  const [stored, program] = await Promise.all([getSegmentCounts(deps.db, shop.shopId), deps.program(shop.shopId)]);
  const counts = stored?.counts ?? {};
  const segments = [
    ...RFM_SEGMENT_NAMES.map((name) => ({ id: segmentIdOfRfm(name), kind: 'rfm', name })),
    ...program.tiers.levels.map((level) => ({ id: segmentIdOfTier(level.id), kind: 'tier', name: level.name.en ?? level.id })),
    ...program.analytics.segments.map((segment) => ({ id: segmentIdOfRule(segment.id), kind: 'rule', name: segment.name })),
  ].map((segment) => ({ ...segment, customers: counts[segment.id] ?? 0 }));
  return { asOf: stored?.asOf ?? null, runId: stored?.runId ?? null, segments };
}

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(1024).optional(),
});

/** A cursor this API gave out: the last member's customer id. */
function afterCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const after = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^c_[0-9a-f]{20}$/.test(after)) throw new ValidationError('cursor', 'cursor is not one this API gave out');
  return after;
}

export async function listSegmentCustomers(shop: ShopRecord, segmentId: unknown, query: Record<string, string | undefined>, deps: Deps) {
  // Decoded once already, by API Gateway (or the local adapter): `rfm%3Achampions` arrives as `rfm:champions`.
  const id = parseOrThrow(SegmentIdSchema, segmentId, 'segmentId');
  const { limit, cursor } = parseOrThrow(PageQuerySchema, query, 'query');
  const page = await segmentMembersPage(deps.db, shop.shopId, id, limit, afterCursor(cursor));
  return { segmentId: id, items: page.customers, ...(page.last ? { cursor: Buffer.from(page.last).toString('base64url') } : {}) };
}

/**
 * At most this many members per CSV answer: a row is well under 1 KB (contact fields are bounded
 * where they are accepted), so a page stays far below Lambda's 6 MB answer, and no more than one
 * page of profiles is held at once. A bigger segment is read as cursor pages of CSV.
 */
export const CSV_PAGE_MAX = 1000;
const PROFILES_PER_READ = 100;

export const CsvQuerySchema = z.object({
  format: z.literal('csv'),
  limit: z.coerce.number().int().min(1).max(CSV_PAGE_MAX).default(CSV_PAGE_MAX),
  cursor: z.string().max(1024).optional(),
});

/** Minor units as the currency writes them (`404.95`); as they are for a code without a known minor unit. */
const currencyUnits = (minor: number, currency: string) =>
  currencyExponent(currency) === undefined ? String(minor) : formatMinorUnits(minor, currency);

export const SEGMENT_CSV_COLUMNS = [
  'customer_id',
  'name',
  'email',
  'phone',
  'tier',
  'points',
  'rfm_segment',
  'clv_12m',
  'currency',
  'consent_email',
] as const;

/**
 * GET /v1/segments/{segmentId}/customers?format=csv: the members as an audience file (Klaviyo,
 * Zalo, Facebook): one row per member with contact details, tier, points balance, RFM segment, the
 * expected value of the next 12 months (in currency units) and email consent. Spreadsheet-safe
 * (spreadsheetCsvRecord: RFC 4180, formula cells guarded — a phone reads `'+8490…`).
 *
 * Paged like the JSON list: at most `limit` (≤ 1,000) rows per answer, read 100 members and their
 * profiles at a time; `cursor` names the next page. The first page (no cursor) starts with a UTF-8
 * byte order mark (Excel reads the file as UTF-8 then) and the header, later pages with neither, so
 * the pages in order concatenate into one file. Members erased since the run are left out.
 */
export async function segmentCustomersCsv(shop: ShopRecord, segmentId: unknown, query: Record<string, string | undefined>, deps: Deps) {
  const id = parseOrThrow(SegmentIdSchema, segmentId, 'segmentId');
  const { limit, cursor } = parseOrThrow(CsvQuerySchema, query, 'query');
  const chunks: string[] = cursor === undefined ? [`\uFEFF${spreadsheetCsvRecord(SEGMENT_CSV_COLUMNS)}`] : [];
  let after = afterCursor(cursor);
  let read = 0;
  let more = true;
  while (more && read < limit) {
    const page = await segmentMembersPage(deps.db, shop.shopId, id, Math.min(PROFILES_PER_READ, limit - read), after);
    read += page.customers.length;
    const keys = page.customers.map((member) => profileKey(shop.shopId, member.customerId));
    const byId = new Map((await getProfiles(deps.db, keys)).map((item) => [String(item.PK), profileOf(item)]));
    for (const key of keys) {
      const profile = byId.get(key.PK);
      if (!profile || profile.erasedAt !== undefined) continue;
      const view = profileView(profile, shop.currency);
      chunks.push(
        spreadsheetCsvRecord([
          view.customerId,
          view.name,
          view.email,
          view.phone,
          view.tier,
          view.points.balance,
          view.rfm?.segment,
          view.clv ? currencyUnits(view.clv.expectedValue12m, shop.currency) : null,
          shop.currency,
          view.consent.email,
        ]),
      );
    }
    after = page.last;
    more = page.last !== undefined;
  }
  return { segmentId: id, csv: chunks.join(''), ...(more && after ? { cursor: Buffer.from(after).toString('base64url') } : {}) };
}
