import { table } from '#shared/data/table-definition.ts';

/**
 * Pure key builders, one per entity. Every key of the single table is made here and nowhere else;
 * ACCESS_PATTERNS.md (beside this file) lists which function reads each one.
 */

import type { IdentityKind } from '#shared/domain/identity.ts';

export type { IdentityKind };

export const shopKey = (shopId: string) => ({ PK: `SHOP#${shopId}`, SK: 'SHOP' });

/** The shop's loyalty program, versioned (shared/loyalty/program.ts). */
export const programKey = (shopId: string) => ({ PK: `SHOP#${shopId}`, SK: 'PROGRAM' });

/** A version of the program that a later save replaced, kept for the history (8 digits: they sort). */
export const PROGRAM_VERSION_PREFIX = 'PROGRAM#V#';
export const programVersionKey = (shopId: string, version: number) => ({
  PK: `SHOP#${shopId}`,
  SK: `${PROGRAM_VERSION_PREFIX}${String(version).padStart(8, '0')}`,
});

export const customerPk = (shopId: string, customerId: string) => `SHOP#${shopId}#C#${customerId}`;

export const profileKey = (shopId: string, customerId: string) => ({ PK: customerPk(shopId, customerId), SK: 'PROFILE' });

/**
 * Order state lives under the order's own id rather than the customer's partition (DESIGN §5
 * sketches `C#…/ORDER#…`): a refund names only its order, and may arrive before the order does,
 * so the half that comes first must be findable by order id alone. See ACCESS_PATTERNS.md.
 */
export const orderKey = (shopId: string, orderId: string) => ({ PK: `SHOP#${shopId}#O#${orderId}`, SK: 'ORDER' });

export const timelineSk = (occurredAt: string, eventId: string) => `T#${occurredAt}#${eventId}`;

export const timelineKey = (shopId: string, customerId: string, occurredAt: string, eventId: string) => ({
  PK: customerPk(shopId, customerId),
  SK: timelineSk(occurredAt, eventId),
});

/** A points ledger entry: append-only, keyed by when it happened and its deterministic id. */
export const ledgerKey = (shopId: string, customerId: string, at: string, entryId: string) => ({
  PK: customerPk(shopId, customerId),
  SK: `PTS#${at}#${entryId}`,
});

export const identityKey = (shopId: string, kind: IdentityKind, value: string) => ({
  PK: `SHOP#${shopId}#ID#${kind}#${value}`,
  SK: 'ID',
});

/**
 * An erased identity, for a week: a late redelivery of an old event must not create a new customer
 * from details the shop asked us to forget. Keyed by a hash, so the tombstone holds no PII.
 */
export const tombstoneKey = (shopId: string, identityHash: string) => ({ PK: `SHOP#${shopId}#ID#erased#${identityHash}`, SK: 'ID' });

/** A short lease on a shop's serialized work (data/lease-repo.ts), e.g. creating customers' identities. */
export const leaseKey = (shopId: string, name: string) => ({ PK: `SHOP#${shopId}#LEASE#${name}`, SK: 'LEASE' });

/** A webhook delivery already accepted (Shopify's X-Shopify-Webhook-Id), kept 72 hours. */
export const deliveryKey = (shopId: string, deliveryId: string) => ({ PK: `SHOP#${shopId}#DLV#${deliveryId}`, SK: 'DLV' });

/** Write sharding of the per-shop listing index: a stable shard per customer. */
export function profileIndexKeys(shopId: string, customerId: string) {
  let hash = 0;
  for (const ch of customerId) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const shard = hash % table.gsi1.shards;
  return { GSI1PK: `SHOP#${shopId}#S#${shard}`, GSI1SK: customerId };
}

/**
 * Profiles written before histories were bounded held one summary per order, each a top-level
 * attribute `o_{orderId}`; data/profile-history.ts reads and migrates them.
 */
export const LEGACY_ORDER_SUMMARY_PREFIX = 'o_';

/** A page of folded order summaries (domain/history.ts), in the customer's partition. */
export const historyPageKey = (shopId: string, customerId: string, pageId: string) => ({
  PK: customerPk(shopId, customerId),
  SK: `${HISTORY_PAGE_PREFIX}${pageId}`,
});
export const HISTORY_PAGE_PREFIX = 'H#';

/**
 * A redemption, recorded on the profile under its Idempotency-Key so a repeat finds the first
 * answer. The profile keeps the newest REDEMPTIONS_ON_PROFILE of them; every one is also kept as an
 * item of its own (redemptionKey), written after the profile, for repeats that come later.
 */
export const REDEMPTION_PREFIX = 'rd_';
export const redemptionAttribute = (key: string) => `${REDEMPTION_PREFIX}${key}`;
export const REDEMPTIONS_ON_PROFILE = 16;
export const redemptionKey = (shopId: string, customerId: string, key: string) => ({
  PK: customerPk(shopId, customerId),
  SK: `RDM#${key}`,
});

/** A re-segmentation run: under the shop's partition (DESIGN §5). */
export const runKey = (shopId: string, runId: string) => ({ PK: `SHOP#${shopId}`, SK: `RUN#${runId}` });

/** The shop's co-purchase statistics, written by the run when they change. */
export const coPurchaseKey = (shopId: string) => ({ PK: `SHOP#${shopId}`, SK: 'COPURCHASE' });

/** Customers per segment (RFM segments, tiers, rule segments) as of the last run. */
export const segmentCountsKey = (shopId: string) => ({ PK: `SHOP#${shopId}`, SK: 'SEGMENTS' });

/** The members of one segment, one item per customer, sorted by customer id. */
export const segmentMembersPk = (shopId: string, segmentId: string) => `SHOP#${shopId}#SEG#${segmentId}`;
export const segmentMemberKey = (shopId: string, segmentId: string, customerId: string) => ({
  PK: segmentMembersPk(shopId, segmentId),
  SK: customerId,
});

/** The shop directory: one item per shop with its time zone, for the local scheduler and operators. */
export const shopDirectoryKey = (shopId: string) => ({ PK: 'SHOPS', SK: shopId });

/** An email send (or skip) for one (customer, trigger, period): its send id makes it once only. */
export const emailSendKey = (shopId: string, customerId: string, sendId: string) => ({
  PK: customerPk(shopId, customerId),
  SK: `EMAIL#${sendId}`,
});

/** An SES message id → the send it was (for SES feedback, which names only the message and the address). */
export const sesMessageKey = (messageId: string) => ({ PK: `SESMSG#${messageId}`, SK: 'SESMSG' });

/**
 * A shop's erasure marker: written when its shop/redact is accepted (before the answer) and again by
 * the processor before it deletes anything of the shop. From then on every route treats the shop as
 * one that never existed, the processor drops its events, and its id cannot be taken by a new shop.
 * It holds the shop id (in its key) and two times, nothing personal. It lives outside the shop's own
 * partitions (`SHOP#{shopId}…`), so the erasure that empties them leaves it standing.
 */
export const shopErasureKey = (shopId: string) => ({ PK: `ERASEDSHOP#${shopId}`, SK: 'ERASEDSHOP' });

/** An address that must never be mailed again (permanent bounce, complaint), by SHA-256 of the lower-cased address: no PII stored. */
export const suppressionKey = (addressHash: string) => ({ PK: `SUPPRESSED#${addressHash}`, SK: 'SUPPRESSED' });

/**
 * The shop's activity: one entry per change made through the shop API (settings, secrets, key
 * rotation, points adjustments), newest last in key order, kept a year by TTL. Under the shop's own
 * partition, so the shop's erasure removes it with the rest. No secret and no personal data in it.
 */
export const SHOP_ACTIVITY_PREFIX = 'ACT#';
export const shopActivityKey = (shopId: string, at: string, entryId: string) => ({
  PK: `SHOP#${shopId}`,
  SK: `${SHOP_ACTIVITY_PREFIX}${at}#${entryId}`,
});

/**
 * A staff points adjustment's Idempotency-Key, as held beside the redemptions' keys (`rd_…` on the
 * profile, `RDM#…` items): `/` is not allowed in a key, so an adjustment's key never collides with a
 * redemption's.
 */
export const adjustmentIdempotencyKey = (key: string) => `adjust/${key}`;

/** A reward redemption's Idempotency-Key, held beside the others the same way (`reward/…`). */
export const rewardIdempotencyKey = (key: string) => `reward/${key}`;

/** An activity award's Idempotency-Key, held beside the others the same way (`activity/…`). */
export const activityIdempotencyKey = (key: string) => `activity/${key}`;

/**
 * A reward's code, by the code itself: who holds it, what it is worth, its status (pending on the
 * platform, issued, used, returned, failed). Orders carrying the code find it here (issue 13).
 */
export const rewardCodeKey = (shopId: string, code: string) => ({ PK: `SHOP#${shopId}#CODE#${code}`, SK: 'CODE' });

/** A customer's codes, newest first: a pointer per code under the customer (the storefront's list). */
export const customerCodeKey = (shopId: string, customerId: string, issuedAt: string, code: string) => ({
  PK: customerPk(shopId, customerId),
  SK: `CODE#${issuedAt}#${code}`,
});

/**
 * A live code on one of the shop's two due lists (`SHOP#{shopId}#CODEDUE`): `E#{expiresAt}#{code}`
 * while it may still be used (the run returns it once past its expiry), `P#{issuedAt}#{code}` while
 * it waits on its platform (the run sends it again if its message seems lost). Each entry is deleted
 * when the code leaves that state, so the lists hold live codes only.
 */
export const codeDueKey = (shopId: string, list: 'E' | 'P', at: string, code: string) => ({
  PK: `SHOP#${shopId}#CODEDUE`,
  SK: `${list}#${at}#${code}`,
});

/** Points given back for a code (refused by the platform, or expired unused), held beside the redemptions' keys. */
export const codeReturnKey = (code: string) => `return/${code}`;

/** The profile attribute counting a customer's redemptions of a limited reward in the current period. */
export const rewardLimitAttribute = (rewardId: string) => `rl_${rewardId}`;

/** The profile attribute counting a customer's awards of a limited activity in the current period. */
export const activityLimitAttribute = (activity: string) => `al_${activity}`;

/** The customer lists the scheduled run keeps (shared/data/customer-list-repo.ts). */
export type CustomerListSort = 'lastOrderAt' | 'totalSpent' | 'clv';
export const customerListPk = (shopId: string, sort: CustomerListSort) => `SHOP#${shopId}#LIST#${sort}`;

/**
 * The search tokens' partitions: one per first character of the token (a–z, 0–9, and `_` for any
 * other), so a prefix query reads one partition and the run's writes spread over 37.
 */
export const customerSearchPk = (shopId: string, bucket: string) => `SHOP#${shopId}#FIND#${bucket}`;

/** The shop's email send log, one partition per month (UTC) of the send's time. */
export const emailLogPk = (shopId: string, month: string) => `SHOP#${shopId}#EMAILLOG#${month}`;
export const emailLogKey = (shopId: string, at: string, sendId: string) => ({
  PK: emailLogPk(shopId, at.slice(0, 7)),
  SK: `${at}#${sendId}`,
});

/**
 * A shop's own copy of one built-in trigger's email (shared/email/shop-template.ts): one item per
 * trigger, so the set is bounded by the triggers (12) and each item by a message's size limits.
 */
export const EMAIL_TEMPLATE_PREFIX = 'EMAILTPL#';
export const emailTemplateKey = (shopId: string, trigger: string) => ({ PK: `SHOP#${shopId}`, SK: `${EMAIL_TEMPLATE_PREFIX}${trigger}` });

/** A program backtest job (use-cases/backtest.ts): under the shop's partition, like runs. */
export const backtestKey = (shopId: string, backtestId: string) => ({ PK: `SHOP#${shopId}`, SK: `BACKTEST#${backtestId}` });

/**
 * A referral code, by the code itself: its shop and customer (an identity-style item, first claim
 * wins), so a link `/r/{code}` — which names no shop — and an order carrying the code find the
 * referrer with one read. Outside the shop's partitions, so the customer's pointer to it
 * (referralCodePointerKey) lets a shop's erasure find and delete it.
 */
export const referralCodeKey = (code: string) => ({ PK: `REFCODE#${code}`, SK: 'REFCODE' });

/** The customer's own code, in their partition: what the shop's erasure deletes the code item by. */
export const referralCodePointerKey = (shopId: string, customerId: string) => ({ PK: customerPk(shopId, customerId), SK: 'REFCODE' });

/** A friend's one referral ever, in the friend's partition: who referred them, for which order, its status. */
export const referralKey = (shopId: string, friendId: string) => ({ PK: customerPk(shopId, friendId), SK: 'REFERRED' });

/** A referrer's friends, newest first: a pointer per referral naming them, in the referrer's partition. */
export const REFERRER_FRIEND_PREFIX = 'REFERRAL#';
export const referrerFriendKey = (shopId: string, referrerId: string, at: string, friendId: string) => ({
  PK: customerPk(shopId, referrerId),
  SK: `${REFERRER_FRIEND_PREFIX}${at}#${friendId}`,
});

/**
 * One of a referrer's places in a month (the program's monthly cap): `REFSLOT#{yyyy-mm}#{nn}`, put
 * once by the friend that takes it, so concurrent friends never take more places than the cap.
 */
export const referralSlotKey = (shopId: string, referrerId: string, month: string, slot: number) => ({
  PK: customerPk(shopId, referrerId),
  SK: `REFSLOT#${month}#${String(slot).padStart(3, '0')}`,
});

/** The shop's referrals, newest first (GET /v1/referrals): a pointer per friend's referral. */
export const referralListKey = (shopId: string, at: string, friendId: string) => ({ PK: `SHOP#${shopId}#REFS`, SK: `${at}#${friendId}` });

/** Referrals waiting for their approval date (the scheduled run), deleted once decided. */
export const referralDueKey = (shopId: string, dueAt: string, friendId: string) => ({
  PK: `SHOP#${shopId}#REFDUE`,
  SK: `${dueAt}#${friendId}`,
});

/** The referrer's reward for one friend, held beside the redemptions' keys (`referral/…`): once per friend. */
export const referrerRewardKey = (friendId: string) => `referral/${friendId}`;

/** The friend's reward: one per friend ever, held the same way. */
export const FRIEND_REWARD_KEY = 'referral/friend';

/**
 * A campaign (shared/domain/campaign.ts): under the shop's partition, its id sorting by creation
 * time, so the shop's campaigns read newest first. Counters, not lists: its size never follows the
 * audience's.
 */
export const CAMPAIGN_PREFIX = 'CAMPAIGN#';
export const campaignKey = (shopId: string, campaignId: string) => ({ PK: `SHOP#${shopId}`, SK: `${CAMPAIGN_PREFIX}${campaignId}` });
