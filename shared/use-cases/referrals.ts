import * as z from 'zod';
import {
  getProfiles,
  getRedemptionRecord,
  loadProfile,
  movePointsOnce,
  putRedemptionRecord,
  putTimelineEntry,
  type TimelineEntry,
} from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { FRIEND_REWARD_KEY, profileKey, referrerRewardKey } from '#shared/data/keys.ts';
import { putLedgerEntry } from '#shared/data/ledger-repo.ts';
import { getOrder, getOrders, orderStateOf } from '#shared/data/order-repo.ts';
import { type Profile, profileOf, type RedemptionRecord, redemptionsToEvict } from '#shared/data/profile-item.ts';
import {
  claimReferralCode,
  decideReferralOnce,
  deleteReferralDue,
  type GivenReward,
  getReferral,
  getReferralCodeOwner,
  noteFriendReward,
  putReferralOnce,
  putReferralPointers,
  type Referral,
  referralsDuePage,
  referralsPage,
  takeReferralSlot,
} from '#shared/data/referral-repo.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { aggregateHistory } from '#shared/domain/history.ts';
import { type OrderState, refundedAmount } from '#shared/domain/order.ts';
import { REFERRAL_CODE_PATTERN, ReferralCodeSchema } from '#shared/domain/referral-code.ts';
import { resolveLocale } from '#shared/email/locales.ts';
import type { StorefrontLanguage } from '#shared/http/storefront-contract.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import type { LedgerEntryDraft } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import {
  decideApproval,
  decideAttribution,
  isSelfReferral,
  REJECTION_WORDS,
  type ReferralReward,
  type RejectionReason,
  referralCodeOf,
} from '#shared/loyalty/referrals.ts';
import { localDate } from '#shared/loyalty/rules.ts';
import type { CodeMessage } from '#shared/use-cases/create-reward-code.ts';
import { giveReward } from '#shared/use-cases/give-reward.ts';
import type { TriggerSink } from '#shared/use-cases/loyalty-effects.ts';
import { customerName } from '#shared/use-cases/profile-view.ts';
import { CustomerIdSchema } from '#shared/use-cases/read-customers.ts';
import { announce } from '#shared/use-cases/use-reward-codes.ts';

/**
 * Referrals on the table (rules: loyalty/referrals.ts). Three moments:
 * - a customer's code, derived and claimed on first use (`referralCodeFor`);
 * - an order carrying a code (the processor, after the order is applied: `attributeOrder`) — the
 *   friend's one referral is decided once (attributed, or rejected with its reason), the friend's
 *   reward given, both timelines told;
 * - the scheduled run (`approveDueReferrals`): each referral past its approval date is approved —
 *   the referrer's reward, once per friend — or rejected, from the order and the friend's orders as
 *   they are then.
 * Every write is idempotent or conditional, so redeliveries, crashes and a repeated run converge.
 */

const DAY = 86_400_000;
/** Attempts at a code of one's own when a derived one is another customer's (about one pair per million customers). */
const CODE_ATTEMPTS = 8;
const DUE_PAGE = 100;

export interface ReferralGifts {
  /** The key given codes are derived under (give-reward.ts), and the platform the shop's codes are made on. */
  codeKey: (shopId: string) => Promise<Buffer>;
  platform: (shopId: string) => Promise<'shopify' | 'woocommerce' | undefined>;
  /** The codes queue, for a code made on the shop's platform. */
  codes?: (message: CodeMessage) => Promise<void>;
}

export interface ReferralDeps {
  db: Db;
  now: () => Date;
  program: (shopId: string) => Promise<Program>;
  timeZone: (shopId: string) => Promise<string>;
  currency: (shopId: string) => Promise<string | undefined>;
  /** Needed only when a side's reward is a catalog reward; without it such a reward is not given (logged as `no_gifts`). */
  gifts?: ReferralGifts;
  triggers?: TriggerSink;
}

/** The customer's referral code: the first derived code nobody else holds, claimed for them on first use. */
export async function referralCodeFor(db: Db, shopId: string, customerId: string, now: Date): Promise<string> {
  for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
    const code = referralCodeOf(shopId, customerId, attempt);
    const owner = (await getReferralCodeOwner(db, code)) ?? (await claimReferralCode(db, shopId, code, customerId, now.toISOString()));
    if (owner?.shopId === shopId && owner.customerId === customerId) return code;
  }
  throw new Error('no free referral code after 8 attempts');
}

/** Whose code this is (a link, an order); undefined for a code nobody holds. */
export async function referrerOf(db: Db, shopId: string, code: string): Promise<string | undefined> {
  if (!REFERRAL_CODE_PATTERN.test(code)) return undefined;
  const owner = await getReferralCodeOwner(db, code);
  // Another shop's code is no code here.
  return owner?.shopId === shopId ? owner.customerId : undefined;
}

/**
 * An order of `friendId` was applied: if it carries a referral code (the link's `ref` first, then any
 * discount code of the referral format) and the friend has no referral yet, decide it. Only an
 * order's state as delivered is read here (`status`), the rest from the order item.
 */
export async function attributeOrder(shopId: string, friendId: string, order: OrderState, deps: ReferralDeps): Promise<void> {
  const candidates: Array<{ code: string; via: Referral['via'] }> = [
    ...(order.referralCode ? [{ code: order.referralCode, via: 'link' as const }] : []),
    ...(order.discountCodes ?? [])
      .filter((code) => REFERRAL_CODE_PATTERN.test(code))
      .map((code) => ({ code, via: 'discount_code' as const })),
  ];
  if (candidates.length === 0) return;
  const existing = await getReferral(deps.db, shopId, friendId);
  if (existing) {
    // A redelivery, or a crash after the referral was written: finish what its first delivery began.
    if (existing.orderId === order.orderId) await completeAttribution(shopId, existing, order.status, deps);
    return;
  }
  const program = await deps.program(shopId);
  if (!program.referrals.active) return;
  let found: { code: string; via: Referral['via']; referrerId: string } | undefined;
  for (const candidate of candidates) {
    const referrerId = await referrerOf(deps.db, shopId, candidate.code);
    if (referrerId) {
      found = { ...candidate, referrerId };
      break;
    }
  }
  if (!found || order.status === 'pending') return;

  const [friend, referrer] = await Promise.all([
    loadProfile(deps.db, shopId, friendId, true),
    loadProfile(deps.db, shopId, found.referrerId, true),
  ]);
  if (!friend || !referrer) return;
  const timeZone = await deps.timeZone(shopId);
  const month = localDate(new Date(order.createdAt), timeZone).slice(0, 7);
  const shippingHashes = await recentShippingHashes(deps.db, shopId, referrer);
  const firstOrderAt = aggregateHistory(friend.history).firstOrderAt;
  let decision = decideAttribution({
    friend: { customerId: friendId, ...pick(friend) },
    referrer: { customerId: found.referrerId, ...pick(referrer), shippingHashes },
    order: { status: order.status, createdAt: order.createdAt, ...(order.shippingHash ? { shippingHash: order.shippingHash } : {}) },
    ...(firstOrderAt ? { friendEarlierOrderAt: firstOrderAt } : {}),
    // The places are taken below, atomically; here only the rules before the cap are read.
    referrerCountThisMonth: 0,
    program: program.referrals,
  });
  if (!decision) return;
  if (decision.status === 'attributed') {
    const slot = await takeReferralSlot(deps.db, shopId, found.referrerId, month, program.referrals.monthlyCap, friendId);
    if (slot === undefined) decision = { status: 'rejected', reason: 'cap' };
  }
  const at = deps.now().toISOString();
  const referral: Referral = {
    friendId,
    referrerId: found.referrerId,
    code: found.code,
    via: found.via,
    orderId: order.orderId,
    orderAt: order.createdAt,
    revenue: Math.max(0, order.total - refundedAmount(order)),
    status: decision.status,
    ...(decision.status === 'rejected' ? { reason: decision.reason, decidedAt: at } : {}),
    ...(decision.status === 'attributed'
      ? { dueAt: new Date(Date.parse(order.createdAt) + program.referrals.approvalDays * DAY).toISOString() }
      : {}),
    at,
  };
  const { referral: stood } = await putReferralOnce(deps.db, shopId, referral);
  await completeAttribution(shopId, stood, order.status, deps, friend);
}

const pick = (profile: Profile) => ({
  ...(profile.contact.email ? { email: profile.contact.email } : {}),
  ...(profile.contact.phone ? { phone: profile.contact.phone } : {}),
});

/** Where the referrer's recent orders (the profile's open ones, at most 6) were shipped: one BatchGetItem. */
async function recentShippingHashes(db: Db, shopId: string, referrer: Profile): Promise<string[]> {
  const ids = Object.keys(referrer.history.open);
  if (ids.length === 0) return [];
  const orders = await getOrders(db, shopId, ids);
  return orders.flatMap((item) => (typeof item.sh === 'string' ? [item.sh] : []));
}

/**
 * Everything after the referral is written, each step idempotent: the list pointers (and the due
 * entry), both timelines, and — for an attributed referral whose order was seen paid — the friend's reward.
 */
async function completeAttribution(
  shopId: string,
  referral: Referral,
  deliveredStatus: string,
  deps: ReferralDeps,
  /** The friend's profile when the caller has just read it (consistently), so the reward does not read it again. */
  friend?: Profile,
) {
  await putReferralPointers(deps.db, shopId, referral);
  // The decision at the order's instant: a referral the run decided later (approved, or rejected with
  // its `dueAt` kept) was attributed first; only one without a due day was rejected on arrival.
  const first = referral.dueAt ? 'attributed' : 'rejected';
  await tellBoth(shopId, referral, first, referral.orderAt, deps, first === 'rejected' ? referral.reason : undefined);
  const paid = deliveredStatus === 'paid' || deliveredStatus === 'partially_refunded' || deliveredStatus === 'refunded';
  if (referral.status === 'attributed' && paid && !referral.friendReward) {
    const program = await deps.program(shopId);
    const given = await giveSide(
      shopId,
      referral,
      'friend',
      program.referrals.friendReward,
      program,
      deps,
      friend ? { profile: friend } : undefined,
    );
    if (given) {
      await noteFriendReward(deps.db, shopId, referral.friendId, given);
      await putTimelineEntry(
        deps.db,
        shopId,
        referral.friendId,
        timelineOf(referral, 'friend', 'friend_rewarded', referral.orderAt, { reward: given }),
      );
    }
  }
}

type Decision = 'attributed' | 'rejected' | 'approved';

function timelineOf(
  referral: Referral,
  role: 'friend' | 'referrer',
  decision: Decision | 'friend_rewarded',
  at: string,
  more: Record<string, unknown> = {},
): TimelineEntry {
  return {
    at,
    entryId: `referral:${referral.friendId}:${decision}`,
    type: 'referral',
    channel: 'web',
    source: 'referrals',
    role,
    decision,
    // The other customer, by id only: the timeline carries no contact details.
    ...(role === 'friend' ? { referrerId: referral.referrerId } : { friendId: referral.friendId }),
    orderId: referral.orderId,
    code: referral.code,
    ...more,
  };
}

async function tellBoth(
  shopId: string,
  referral: Referral,
  decision: Decision,
  at: string,
  deps: ReferralDeps,
  reason?: RejectionReason,
  more: Record<string, unknown> = {},
) {
  const why = reason ? { reason, reasonText: REJECTION_WORDS[reason] } : {};
  await putTimelineEntry(deps.db, shopId, referral.friendId, timelineOf(referral, 'friend', decision, at, { ...why, ...more }));
  await putTimelineEntry(deps.db, shopId, referral.referrerId, timelineOf(referral, 'referrer', decision, at, { ...why, ...more }));
}

/**
 * One side's reward, once: points in the redemption's conditional update under a key of their own
 * (the friend's `referral/friend`, one ever; the referrer's `referral/{friendId}`, one per friend),
 * then the ledger entry; or a catalog reward's code, derived from the same key (give-reward.ts).
 */
async function giveSide(
  shopId: string,
  referral: Referral,
  side: 'friend' | 'referrer',
  reward: ReferralReward,
  program: Program,
  deps: ReferralDeps,
  /**
   * The side's profile when the caller has just read it (consistently), and with `record` the reward's
   * record under the key as the caller found it (undefined: none) — neither is read again.
   */
  known?: { profile: Profile; record?: RedemptionRecord | undefined },
): Promise<GivenReward | undefined> {
  const customerId = side === 'friend' ? referral.friendId : referral.referrerId;
  const key = side === 'friend' ? FRIEND_REWARD_KEY : referrerRewardKey(referral.friendId);
  const at = side === 'friend' ? referral.orderAt : (referral.dueAt ?? referral.orderAt);
  if ('rewardId' in reward) {
    const catalog = program.rewards.find((candidate) => candidate.id === reward.rewardId);
    const currency = await deps.currency(shopId);
    if (!catalog || !deps.gifts || !currency) return undefined;
    const platform = await deps.gifts.platform(shopId);
    const { code, created } = await giveReward(
      {
        shopId,
        currency,
        customerId,
        reward: catalog,
        gift: `${key}`,
        at,
        codeKey: await deps.gifts.codeKey(shopId),
        ...(platform ? { platform } : {}),
      },
      { db: deps.db, ...(deps.gifts.codes ? { codes: deps.gifts.codes } : {}) },
    );
    if (created && code.status === 'issued') await announce(shopId, code, deps);
    return { rewardId: catalog.id, code: code.code };
  }
  const entryId = `${key}:${customerId}`.replace(/\//g, ':');
  const profile = known?.profile ?? (await loadProfile(deps.db, shopId, customerId, true));
  if (!profile) return undefined;
  let record = known && 'record' in known ? known.record : await rewardRecordOf(deps.db, shopId, profile, key);
  let balance = profile.loyalty.balance;
  if (!record) {
    const fresh: RedemptionRecord = {
      points: reward.points,
      at,
      entryId,
      reason: side === 'friend' ? 'referred by a friend' : 'referred a friend',
    };
    // The program awards these points, so they count toward lifetime points as an activity's do.
    const written = await movePointsOnce(
      deps.db,
      shopId,
      customerId,
      key,
      fresh,
      { delta: reward.points, lifetimeDelta: reward.points },
      redemptionsToEvict(profile),
    );
    if (written) {
      record = fresh;
      balance = profileOf(written).loyalty.balance;
    } else {
      const after = await loadProfile(deps.db, shopId, customerId, true);
      record = after?.redemptions[key];
      if (!record || !after) return undefined;
      balance = after.loyalty.balance;
    }
  }
  const entry: LedgerEntryDraft & { balanceAfter: number } = {
    entryId: record.entryId,
    kind: 'referral',
    points: record.points,
    at: record.at,
    source: { role: side, friendId: referral.friendId, referrerId: referral.referrerId, orderId: referral.orderId },
    balanceAfter: balance,
  };
  await putLedgerEntry(deps.db, shopId, customerId, entry);
  await putRedemptionRecord(deps.db, shopId, customerId, key, record);
  return { points: record.points };
}

/** The record of a reward given under `key`: on the profile, or evicted to its own item. */
async function rewardRecordOf(db: Db, shopId: string, profile: Profile, key: string): Promise<RedemptionRecord | undefined> {
  return profile.redemptions[key] ?? (await getRedemptionRecord(db, shopId, profile.customerId, key));
}

export interface ReferralCounters {
  approved: number;
  rejected: number;
}

/**
 * The scheduled run's step: every referral whose approval date has passed is decided from what is
 * true now — the order still paid and never refunded, still the friend's first — and the referrer
 * rewarded once per friend. A page of 100 due entries at a time; each decided referral leaves the list.
 */
export async function approveDueReferrals(shopId: string, deps: ReferralDeps): Promise<ReferralCounters> {
  const counters: ReferralCounters = { approved: 0, rejected: 0 };
  const now = deps.now();
  const program = await deps.program(shopId);
  let after: string | undefined;
  do {
    const page = await referralsDuePage(deps.db, shopId, now.toISOString(), DUE_PAGE, after);
    for (const due of page.friendIds) {
      const outcome = await approveOne(shopId, due.friendId, program, deps);
      if (outcome) counters[outcome]++;
      await deleteReferralDue(deps.db, shopId, due.dueAt, due.friendId);
    }
    after = page.last;
  } while (after);
  return counters;
}

async function approveOne(
  shopId: string,
  friendId: string,
  program: Program,
  deps: ReferralDeps,
): Promise<keyof ReferralCounters | undefined> {
  const referral = await getReferral(deps.db, shopId, friendId);
  if (!referral) return undefined;
  const at = referral.dueAt ?? referral.orderAt;
  if (referral.status !== 'attributed') {
    // Decided by an earlier run that stopped before its timelines: tell them again (idempotent).
    await tellBoth(
      shopId,
      referral,
      referral.status,
      at,
      deps,
      referral.reason,
      referral.referrerReward ? { reward: referral.referrerReward } : {},
    );
    return undefined;
  }
  const item = await getOrder(deps.db, shopId, referral.orderId, true);
  const state = item ? orderStateOf(item) : undefined;
  const friend = await loadProfile(deps.db, shopId, friendId, true);
  const revenue = state ? Math.max(0, state.total - refundedAmount(state)) : 0;
  // A reward already given under its key (a run that stopped after it) stands: the decision was made then.
  const referrerProfile = await loadProfile(deps.db, shopId, referral.referrerId, true);
  const given = referrerProfile ? await rewardRecordOf(deps.db, shopId, referrerProfile, referrerRewardKey(friendId)) : undefined;
  const decision = given
    ? ({ status: 'approved' } as const)
    : decideApproval({
        ...(state
          ? { order: { status: state.status, refunded: refundedAmount(state), total: state.total, createdAt: state.createdAt } }
          : {}),
        friendFirstOrderAt: friend ? aggregateHistory(friend.history).firstOrderAt : null,
        self:
          !friend ||
          !referrerProfile ||
          isSelfReferral(
            { customerId: friendId, ...pick(friend) },
            {
              customerId: referral.referrerId,
              ...pick(referrerProfile),
              shippingHashes: await recentShippingHashes(deps.db, shopId, referrerProfile),
            },
            state?.shippingHash,
          ),
        active: program.referrals.active,
      });
  if (decision.status === 'rejected') {
    await decideReferralOnce(deps.db, shopId, friendId, { status: 'rejected', reason: decision.reason, revenue, decidedAt: at });
    await tellBoth(shopId, { ...referral, revenue }, 'rejected', at, deps, decision.reason);
    return 'rejected';
  }
  // The referrer's profile and record were just read: giveSide does not read them again.
  const reward = await giveSide(
    shopId,
    referral,
    'referrer',
    program.referrals.referrerReward,
    program,
    deps,
    referrerProfile ? { profile: referrerProfile, record: given } : undefined,
  );
  await decideReferralOnce(deps.db, shopId, friendId, {
    status: 'approved',
    revenue,
    decidedAt: at,
    ...(reward ? { referrerReward: reward } : {}),
  });
  await tellBoth(shopId, { ...referral, revenue }, 'approved', at, deps, undefined, reward ? { reward } : { reward: 'none' });
  return 'approved';
}

/* ---------------- GET /v1/referrals ---------------- */

export const ReferralsQuerySchema = z.object({
  /** One referrer's friends only. */
  referrer: CustomerIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** Where the last page stopped (opaque). */
  cursor: z.string().max(400).optional(),
});

/** A referral as the API shows it: both customers by id and name, the money as an amount in the shop's currency. */
export interface ReferralView {
  friend: { customerId: string; name: string | null };
  referrer: { customerId: string; name: string | null };
  code: string;
  via: Referral['via'];
  orderId: string;
  orderAt: string;
  revenue: { amount: number; currency: string };
  status: Referral['status'];
  reason?: RejectionReason;
  dueAt?: string;
  decidedAt?: string;
  friendReward?: GivenReward;
  referrerReward?: GivenReward;
}

/** The page's referrers, each with their friends on it: how many, by status, and the revenue of those not rejected. */
export interface ReferrerSummary {
  customerId: string;
  name: string | null;
  friends: number;
  attributed: number;
  approved: number;
  rejected: number;
  revenue: { amount: number; currency: string };
}

const encodeCursor = (sk: string) => Buffer.from(sk).toString('base64url');
function decodeCursor(cursor: string, referrer: string | undefined): string {
  const sk = Buffer.from(cursor, 'base64url').toString('utf8');
  // A shop-wide cursor is `{orderAt}#{friendId}`, a referrer's `REFERRAL#{orderAt}#{friendId}`.
  const shape = referrer ? /^REFERRAL#\d{4}-\d{2}-\d{2}T[\d:.]+Z#c_[0-9a-f]{20}$/ : /^\d{4}-\d{2}-\d{2}T[\d:.]+Z#c_[0-9a-f]{20}$/;
  if (!shape.test(sk)) throw new ValidationError('cursor', 'cursor is not one this API gave out (for this referrer)');
  return sk;
}

/**
 * GET /v1/referrals?referrer=&limit=&cursor=: the shop's referrals newest first (by the order's
 * creation), or one referrer's friends; each with both customers' names, the order, its revenue,
 * the status and its reason, and each side's reward; `referrers` sums the page by referrer. One
 * Query, one BatchGetItem of the referrals and one of the profiles: bounded by `limit` (≤ 100).
 */
export async function readReferrals(
  shop: Pick<ShopRecord, 'shopId' | 'currency'>,
  query: Record<string, string | undefined>,
  deps: { db: Db },
) {
  const { referrer, limit, cursor } = parseOrThrow(ReferralsQuerySchema, query, 'query');
  const page = await referralsPage(deps.db, shop.shopId, {
    ...(referrer ? { referrerId: referrer } : {}),
    limit,
    ...(cursor ? { cursor: decodeCursor(cursor, referrer) } : {}),
  });
  const ids = [...new Set(page.items.flatMap((item) => [item.friendId, item.referrerId]))];
  const profiles = await getProfiles(
    deps.db,
    ids.map((id) => profileKey(shop.shopId, id)),
  );
  const names = new Map(
    profiles.map((item) => {
      const profile = profileOf(item);
      return [profile.customerId, customerName(profile)];
    }),
  );
  const money = (amount: number) => ({ amount, currency: shop.currency });
  const items: ReferralView[] = page.items.map((item) => ({
    friend: { customerId: item.friendId, name: names.get(item.friendId) ?? null },
    referrer: { customerId: item.referrerId, name: names.get(item.referrerId) ?? null },
    code: item.code,
    via: item.via,
    orderId: item.orderId,
    orderAt: item.orderAt,
    revenue: money(item.revenue),
    status: item.status,
    ...(item.reason ? { reason: item.reason } : {}),
    ...(item.dueAt ? { dueAt: item.dueAt } : {}),
    ...(item.decidedAt ? { decidedAt: item.decidedAt } : {}),
    ...(item.friendReward ? { friendReward: item.friendReward } : {}),
    ...(item.referrerReward ? { referrerReward: item.referrerReward } : {}),
  }));
  const referrers = new Map<string, ReferrerSummary>();
  for (const item of items) {
    const id = item.referrer.customerId;
    const summary = referrers.get(id) ?? {
      customerId: id,
      name: item.referrer.name,
      friends: 0,
      attributed: 0,
      approved: 0,
      rejected: 0,
      revenue: money(0),
    };
    summary.friends++;
    summary[item.status]++;
    if (item.status !== 'rejected') summary.revenue.amount += item.revenue.amount;
    referrers.set(id, summary);
  }
  return { items, referrers: [...referrers.values()], ...(page.cursor ? { cursor: encodeCursor(page.cursor) } : {}) };
}

/* ---------------- GET /r/{code} ---------------- */

export interface ReferralLanding {
  code: string;
  shopName: string;
  /** The shop's language: the friend is nobody's customer yet. */
  language: StorefrontLanguage;
  /** The shop's storefront with `ref={code}`, which the order's landing page then carries; absent when the shop gave no URL. */
  target?: string;
}

/**
 * A friend follows a referral link: the code's shop, and where to send them — the shop's URL
 * (PATCH /v1/shop `url`) with `ref={code}` added, so the order they place in that visit carries it
 * (Shopify keeps the landing page as `landing_site`; WooCommerce's order attribution as
 * `_wc_order_attribution_session_entry`). One read of the code, the shop's from its cache.
 */
export async function followReferralLink(
  codeParam: string | undefined,
  deps: { db: Db; loadShop: (shopId: string) => Promise<ShopRecord | undefined> },
): Promise<ReferralLanding> {
  const code = parseOrThrow(ReferralCodeSchema, codeParam ?? '', 'code');
  const owner = await getReferralCodeOwner(deps.db, code);
  const shop = owner ? await deps.loadShop(owner.shopId) : undefined;
  if (!shop) throw new NotFoundError(`no referral code ${code}`);
  const landing = { code, shopName: shop.name, language: resolveLocale(shop.locale).language };
  if (!shop.url) return landing;
  const target = new URL(shop.url);
  target.searchParams.set('ref', code);
  return { ...landing, target: target.toString() };
}
