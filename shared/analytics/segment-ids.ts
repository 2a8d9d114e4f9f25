import * as z from 'zod';

/**
 * The ids segments go by in memberships, counts, the API and flows: `rfm:<slug of the RFM segment>`
 * (`rfm:can-t-lose-them`), `tier:<tier id>`, `rule:<the shop's rule segment id>`.
 */

const rfmSlug = (segment: string) =>
  segment
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

export const segmentIdOfRfm = (segment: string) => `rfm:${rfmSlug(segment)}`;
export const segmentIdOfTier = (tier: string) => `tier:${tier}`;
export const segmentIdOfRule = (id: string) => `rule:${id}`;

/** A segment id as the API and the program take it (the shape above; which ones exist is the program's to say). */
export const SegmentIdSchema = z
  .string()
  .regex(/^(rfm|tier|rule):[a-z0-9][a-z0-9_-]{0,63}$/, 'a segment id such as rfm:champions, tier:gold or rule:vip');
