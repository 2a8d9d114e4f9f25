import * as z from 'zod';
import { RFM_SEGMENT_NAMES } from '#shared/analytics/rfm.ts';
import type { Db } from '#shared/data/db.ts';
import { getSegmentCounts, segmentMembersPage } from '#shared/data/run-repo.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { segmentIdOfRfm, segmentIdOfRule, segmentIdOfTier } from '#shared/use-cases/resegment.ts';

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

export const SegmentIdSchema = z
  .string()
  .regex(/^(rfm|tier|rule):[a-z0-9][a-z0-9_-]{0,63}$/, 'a segment id such as rfm:champions, tier:gold or rule:vip');

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(1024).optional(),
});

export async function listSegmentCustomers(shop: ShopRecord, segmentId: unknown, query: Record<string, string | undefined>, deps: Deps) {
  // Decoded once already, by API Gateway (or the local adapter): `rfm%3Achampions` arrives as `rfm:champions`.
  const id = parseOrThrow(SegmentIdSchema, segmentId, 'segmentId');
  const { limit, cursor } = parseOrThrow(PageQuerySchema, query, 'query');
  let after: string | undefined;
  if (cursor) {
    after = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!/^c_[0-9a-f]{20}$/.test(after)) throw new ValidationError('cursor', 'cursor is not one this API gave out');
  }
  const page = await segmentMembersPage(deps.db, shop.shopId, id, limit, after);
  return { segmentId: id, items: page.customers, ...(page.last ? { cursor: Buffer.from(page.last).toString('base64url') } : {}) };
}
