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
