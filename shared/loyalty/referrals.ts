import { createHash } from 'node:crypto';
import * as z from 'zod';
import { normalizeReferralCode, REFERRAL_CODE_ALPHABET, REFERRAL_CODE_LENGTH } from '#shared/domain/referral-code.ts';

/**
 * Referrals: every customer has a code (and a link `/r/{code}`) to give friends; a friend's first
 * order carrying it — as a discount code, or as the `ref` the link left on the order — gives the
 * friend their reward at once and, once the order has stayed paid and unrefunded for the approval
 * period (the returns window), the referrer theirs. The program's `referrals` section says what each
 * gets and how many friends a month count for one referrer. The rules that decide are here, pure;
 * use-cases/referrals.ts applies them to the table.
 */

const Id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, up to 40 characters');

/** What a side of a referral gets: points, or a catalog reward given as a real code (worth no points). */
export const ReferralRewardSchema = z.union(
  [z.strictObject({ points: z.number().int().min(1).max(1_000_000) }), z.strictObject({ rewardId: Id })],
  { error: 'either {"points": <1 or more>} or {"rewardId": "<a reward of the catalog>"}' },
);

export const ReferralsSchema = z.strictObject({
  active: z.boolean(),
  /** The friend's reward, given when their first order carrying the code is seen paid. */
  friendReward: ReferralRewardSchema,
  /** The referrer's, given by the scheduled run once the approval period has passed. */
  referrerReward: ReferralRewardSchema,
  /** Days the friend's order must stay paid and unrefunded before the referrer is rewarded (the returns window). */
  approvalDays: z.number().int().min(0).max(365).default(14),
  /** At most this many friends a calendar month (the shop's time zone) count for one referrer; the rest are refused with `cap`. */
  monthlyCap: z.number().int().min(1).max(100).default(10),
});

export type ReferralReward = z.infer<typeof ReferralRewardSchema>;
export type Referrals = z.infer<typeof ReferralsSchema>;

/**
 * Programs saved before referrals existed: off, like the catalog and the activities — a shop's
 * referral rewards are its own decision. The rewards are only a starting point for the console.
 */
export const REFERRALS_OFF: Referrals = {
  active: false,
  friendReward: { points: 100 },
  referrerReward: { points: 200 },
  approvalDays: 14,
  monthlyCap: 10,
};

/** A new shop's referrals: on, points on both sides (no platform needed), the 14-day returns window. */
export const defaultReferrals = (): Referrals => ({ ...REFERRALS_OFF, active: true });

/**
 * A customer's referral code, derived from the shop, the customer and an attempt number: the same
 * code every time it is asked for (no write needed to know it), 8 characters of a 31-letter
 * alphabet (31^8 ≈ 8.5·10^11). Two customers of a shop may derive the same code — about one pair in a
 * million-customer shop —: the second takes the next attempt (use-cases/referrals.ts claims it).
 */
export function referralCodeOf(shopId: string, customerId: string, attempt: number): string {
  const digest = createHash('sha256')
    .update(`rapport/referral/v1.${JSON.stringify([shopId, customerId, attempt])}`)
    .digest();
  return Array.from(
    { length: REFERRAL_CODE_LENGTH },
    (_, i) => REFERRAL_CODE_ALPHABET[digest.readUInt32BE(i * 4) % REFERRAL_CODE_ALPHABET.length],
  ).join('');
}

/**
 * The `ref` a landing URL carries (`/?ref=K7MPQ2ZD`, `https://shop.example/products/x?utm_source=y&ref=…`):
 * what `/r/{code}` appends when it sends the friend to the shop.
 */
export function refOfUrl(url: string | undefined | null): string | undefined {
  if (!url) return undefined;
  try {
    return normalizeReferralCode(new URL(url, 'https://landing.invalid').searchParams.get('ref') ?? undefined);
  } catch {
    return undefined;
  }
}

/** Names of a note attribute (Shopify) or meta entry (WooCommerce) that a theme or plugin may set to the code. */
const REFERRAL_NOTE_NAMES: ReadonlySet<string> = new Set(['ref', 'referral_code', 'rapport_ref']);

/**
 * The referral code an order came with, as both platforms keep it: the `ref` of the page the buyer
 * landed on, else the value of a note or meta entry named `ref`, `referral_code` or `rapport_ref`.
 */
export function orderReferralCode(
  landing: unknown,
  notes: ReadonlyArray<{ name?: string | undefined; value: unknown }>,
): string | undefined {
  const fromLanding = typeof landing === 'string' ? refOfUrl(landing) : undefined;
  if (fromLanding) return fromLanding;
  const note = notes.find((entry) => entry.name && REFERRAL_NOTE_NAMES.has(entry.name.toLowerCase()));
  return typeof note?.value === 'string' ? normalizeReferralCode(note.value) : undefined;
}

/**
 * A shipping address reduced to a hash (no address stored): street line, postcode and country,
 * lower case, letters and digits only — "12 Lê Lợi" and "12 le loi" are one address. Undefined when
 * there is no street line to compare.
 */
export function shippingAddressHash(address: {
  line1?: string | null;
  postcode?: string | null;
  country?: string | null;
}): string | undefined {
  const fold = (value: string | null | undefined) =>
    (value ?? '')
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .replace(/đ/gi, 'd')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
  const line = fold(address.line1);
  if (!line) return undefined;
  return createHash('sha256')
    .update(`rapport/address/v1.${line}|${fold(address.postcode)}|${fold(address.country)}`)
    .digest('hex')
    .slice(0, 32);
}

/** Why a referral gives the referrer nothing; each shown on both customers' timelines. */
export type RejectionReason = 'self' | 'not_first_order' | 'cap' | 'cancelled' | 'refunded' | 'inactive';

export const REJECTION_WORDS: Readonly<Record<RejectionReason, string>> = {
  self: 'the friend is the referrer (same customer, email, phone or shipping address)',
  not_first_order: 'not the friend’s first order',
  cap: 'the referrer’s friends this month reached the monthly cap',
  cancelled: 'the order was cancelled',
  refunded: 'the order was refunded',
  inactive: 'referrals were turned off in the program',
};

/** Profiles keep order times to the second (domain/history.ts): compare at that precision. */
const earlier = (a: string, b: string) => Math.floor(Date.parse(a) / 1000) < Math.floor(Date.parse(b) / 1000);

/** The friend is the referrer: the same customer, email or phone, or an order shipped where the referrer's recent orders went. */
export function isSelfReferral(
  friend: { customerId: string; email?: string; phone?: string },
  referrer: { customerId: string; email?: string; phone?: string; shippingHashes: string[] },
  shippingHash: string | undefined,
): boolean {
  const same = (a: string | undefined, b: string | undefined) => a !== undefined && a === b;
  return (
    friend.customerId === referrer.customerId ||
    same(friend.email, referrer.email) ||
    same(friend.phone, referrer.phone) ||
    (shippingHash !== undefined && referrer.shippingHashes.includes(shippingHash))
  );
}

/** What is known of each side when an order carrying a code is seen. */
export interface AttributionFacts {
  friend: { customerId: string; email?: string; phone?: string };
  referrer: { customerId: string; email?: string; phone?: string; shippingHashes: string[] };
  order: { status: string; shippingHash?: string; createdAt: string };
  /** The friend's earliest order known now, other than this one (its creation). */
  friendEarlierOrderAt?: string;
  /** Friends of the referrer counted in the order's month so far. */
  referrerCountThisMonth: number;
  program: Referrals;
}

/**
 * The decision on an order carrying a code, when the friend has no referral yet: attributed (the
 * friend's reward, the referrer's after approval), or rejected with the first reason that applies.
 * A pending order decides nothing yet (its paid state will come). Pure.
 */
export function decideAttribution(
  facts: AttributionFacts,
): { status: 'attributed' } | { status: 'rejected'; reason: RejectionReason } | undefined {
  const { friend, referrer, order } = facts;
  if (order.status === 'pending') return undefined;
  if (isSelfReferral(friend, referrer, order.shippingHash)) return { status: 'rejected', reason: 'self' };
  if (facts.friendEarlierOrderAt !== undefined && earlier(facts.friendEarlierOrderAt, order.createdAt)) {
    return { status: 'rejected', reason: 'not_first_order' };
  }
  if (order.status === 'cancelled') return { status: 'rejected', reason: 'cancelled' };
  if (facts.referrerCountThisMonth >= facts.program.monthlyCap) return { status: 'rejected', reason: 'cap' };
  return { status: 'attributed' };
}

/** What the run knows of an attributed referral once it is due. */
export interface ApprovalFacts {
  /** The order item now: its status and the refunded amount; undefined when it is gone. */
  order?: { status: string; refunded: number; total: number; createdAt: string };
  /** The friend's first counted order now (profile.firstOrderAt), if any. */
  friendFirstOrderAt?: string | null;
  /** isSelfReferral from the profiles as they are now (the referrer's own orders may have arrived since). */
  self: boolean;
  active: boolean;
}

/**
 * The referrer's reward is approved only for an order still paid and never refunded — a partial
 * refund counts — that is still the friend's first (an earlier order may have arrived late).
 */
export function decideApproval(facts: ApprovalFacts): { status: 'approved' } | { status: 'rejected'; reason: RejectionReason } {
  const { order } = facts;
  if (!facts.active) return { status: 'rejected', reason: 'inactive' };
  if (facts.self) return { status: 'rejected', reason: 'self' };
  if (!order || order.status === 'cancelled') return { status: 'rejected', reason: 'cancelled' };
  if (order.status === 'refunded' || order.status === 'partially_refunded' || order.refunded > 0)
    return { status: 'rejected', reason: 'refunded' };
  if (order.status !== 'paid') return { status: 'rejected', reason: 'cancelled' };
  const first = facts.friendFirstOrderAt;
  if (first && earlier(first, order.createdAt)) return { status: 'rejected', reason: 'not_first_order' };
  return { status: 'approved' };
}
