import {
  type CodeRequest,
  type CodeResult,
  createShopifyCode,
  createWooCommerceCode,
  type ShopifyCredentials,
  type WooCredentials,
} from '#shared/connectors/discount-codes.ts';
import {
  getRedemptionRecord,
  loadProfile,
  movePointsOnce,
  putRedemptionRecord,
  putTimelineEntry,
  type TimelineEntry,
} from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { codeReturnKey } from '#shared/data/keys.ts';
import { putLedgerEntry } from '#shared/data/ledger-repo.ts';
import { type Profile, profileOf, type RedemptionRecord, redemptionsToEvict } from '#shared/data/profile-item.ts';
import { deleteCodeDue, getRewardCode, listCodesDue, moveCodeStatus, type RewardCode } from '#shared/data/reward-code-repo.ts';
import type { PlatformCredentials } from '#shared/data/shop-credentials.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import type { LedgerEntryDraft } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import type { TriggerSink } from '#shared/use-cases/loyalty-effects.ts';
import { announce, codeTrigger } from '#shared/use-cases/use-reward-codes.ts';

/**
 * The platform step of a reward (issue 13): a code redeemed by a shop on Shopify or WooCommerce is
 * created there by the codes queue's consumer, one message per code. The code item is the state
 * machine — `pending` until the platform answers, then `issued` (the customer is emailed the code),
 * or `failed` when the platform refuses for good (the points come back and the customer is told).
 * Temporary failures (throttling, 5xx, timeouts) are tried again with backoff, as new delayed
 * messages, MAX_ATTEMPTS times over about an hour; then they count as a refusal.
 *
 * Every step is idempotent, so SQS's at-least-once delivery and a crash anywhere are harmless: the
 * status moves only from the status expected (one consumer wins), the platform call recognizes a
 * code it already created (connectors/discount-codes.ts), and the points come back once per code
 * under their own key (`return/{code}`), whoever returns them — the platform's refusal here, or the
 * scheduled run for a code that expired unused (expireRewardCodes below).
 */

export interface CodeMessage {
  shopId: string;
  code: string;
  /** Attempts made so far (a retry's message carries it). */
  attempt?: number;
}

export interface CodeDeps {
  db: Db;
  now: () => Date;
  shop: (shopId: string) => Promise<ShopRecord | undefined>;
  /** The shop's platform credentials, unsealed; undefined when the shop gave none (or removed them). */
  credentials: (shop: ShopRecord) => Promise<PlatformCredentials | undefined>;
  /** The code message again, after a delay (the backoff of a temporary failure). */
  requeue: (message: CodeMessage, delaySeconds: number) => Promise<void>;
  triggers?: TriggerSink;
  /** Seconds before attempt `attempt + 1` (1-based attempts made); the backoff table by default. */
  backoffSeconds?: (attempt: number) => number;
  /** The platform calls; the connectors by default, replaced in unit tests. */
  platforms?: {
    shopify: (creds: ShopifyCredentials, request: CodeRequest) => Promise<CodeResult>;
    woocommerce: (creds: WooCredentials, request: CodeRequest) => Promise<CodeResult>;
  };
}

/** 9 attempts: the delays between them add up to about an hour (SQS delays stop at 15 minutes). */
export const MAX_ATTEMPTS = 9;
const BACKOFF_SECONDS = [10, 30, 60, 120, 300, 600, 900, 900];

export type CodeOutcome = 'issued' | 'retry' | 'failed' | 'done';

export async function createRewardCode(message: CodeMessage, deps: CodeDeps): Promise<CodeOutcome> {
  const { shopId } = message;
  const code = await getRewardCode(deps.db, shopId, message.code, true);
  // Issued, used or returned already (a redelivery), or never written (not ours to create).
  if (!code) return 'done';
  if (code.status === 'failed') {
    await finishRefusal(shopId, code, code.failure ?? 'refused', deps);
    return 'done';
  }
  if (code.status !== 'pending') return 'done';

  const shop = await deps.shop(shopId);
  const creds = shop ? await deps.credentials(shop) : undefined;
  if (!shop || !creds || creds.kind !== code.platform) {
    return refuse(shopId, code, shop ? `no ${code.platform} credentials` : 'shop gone', deps);
  }
  const profile = await loadProfile(deps.db, shopId, code.customerId, true);
  const request = codeRequest(code, profile);
  const platforms = deps.platforms ?? { shopify: createShopifyCode, woocommerce: createWooCommerceCode };
  const result =
    creds.kind === 'shopify'
      ? await platforms.shopify({ domain: creds.domain, adminAccessToken: creds.accessToken }, request)
      : await platforms.woocommerce(creds, request);

  if (result.ok) {
    if (await moveCodeStatus(deps.db, shopId, code.code, ['pending'], 'issued', { platformId: result.platformId })) {
      await deleteCodeDue(deps.db, shopId, 'P', code);
      await announce(shopId, { ...code, status: 'issued' }, deps);
    }
    return 'issued';
  }
  const attempt = (message.attempt ?? 0) + 1;
  if (result.retryable && attempt < MAX_ATTEMPTS) {
    const backoff = deps.backoffSeconds?.(attempt) ?? (BACKOFF_SECONDS[Math.min(attempt - 1, BACKOFF_SECONDS.length - 1)] as number);
    const asked = result.retryAfterMs === undefined ? 0 : Math.ceil(result.retryAfterMs / 1000);
    await deps.requeue({ shopId, code: code.code, attempt }, deps.backoffSeconds ? backoff : Math.max(backoff, asked));
    return 'retry';
  }
  return refuse(shopId, code, result.retryable ? `gave up after ${attempt} attempts: ${result.reason}` : result.reason, deps);
}

/** What the platform is asked for: the reward as redeemed, for this customer only, valid until the code's expiry. */
function codeRequest(code: RewardCode, profile: Profile | undefined): CodeRequest {
  const platformCustomerId = profile?.externalIds.find((id) => id.startsWith(`${code.platform}:`))?.slice(code.platform.length + 1);
  const email = profile?.contact.email;
  return {
    code: code.code,
    title: `Rapport: ${code.name.en ?? Object.values(code.name)[0] ?? code.rewardId} (${code.customerId})`,
    value: code.value,
    currency: code.currency,
    ...(code.minOrder ? { minOrder: code.minOrder } : {}),
    startsAt: code.issuedAt,
    endsAt: code.expiresAt,
    customer: { ...(email ? { email } : {}), ...(platformCustomerId ? { platformCustomerId } : {}) },
  };
}

async function refuse(shopId: string, code: RewardCode, reason: string, deps: RefuseDeps): Promise<CodeOutcome> {
  // Only the consumer that moves the code to failed goes on; a redelivery finishes what it left.
  await moveCodeStatus(deps.db, shopId, code.code, ['pending'], 'failed', {
    failure: reason.slice(0, 200),
    returnedAt: deps.now().toISOString(),
  });
  const now = await getRewardCode(deps.db, shopId, code.code, true);
  if (now?.status !== 'failed') return 'done';
  await finishRefusal(shopId, now, reason, deps);
  return 'failed';
}

type RefuseDeps = Pick<CodeDeps, 'db' | 'now' | 'triggers'>;

async function finishRefusal(shopId: string, code: RewardCode, reason: string, deps: RefuseDeps) {
  const at = code.returnedAt ?? deps.now().toISOString();
  await returnPoints(shopId, code, at, 'refused by the platform', deps);
  await deleteCodeDue(deps.db, shopId, 'E', code);
  await deleteCodeDue(deps.db, shopId, 'P', code);
  await deps.triggers?.([
    codeTrigger(shopId, code, 'reward_failed', at, { name: code.name, points: code.points, code: code.code, reason: reason.slice(0, 200) }),
  ]);
}

/**
 * The code's points back on the balance, once per code (key `return/{code}`, held like a
 * redemption's): a ledger entry of kind `return` and a timeline entry. Lifetime points do not move
 * (they count what the program awarded). A code worth no points (an offer) returns nothing.
 */
async function returnPoints(shopId: string, code: RewardCode, at: string, why: string, deps: Pick<CodeDeps, 'db'>) {
  if (code.points <= 0) return;
  const key = codeReturnKey(code.code);
  const entryId = `return:${code.code}`;
  const profile = await loadProfile(deps.db, shopId, code.customerId, true);
  if (!profile) return;
  let record = profile.redemptions[key] ?? (await getRedemptionRecord(deps.db, shopId, code.customerId, key));
  let balance: number;
  if (record) {
    balance = profile.loyalty.balance;
  } else {
    record = { points: code.points, at, entryId, reason: why };
    const written = await movePointsOnce(
      deps.db,
      shopId,
      code.customerId,
      key,
      record,
      { delta: code.points },
      redemptionsToEvict(profile),
    );
    if (written) balance = profileOf(written).loyalty.balance;
    else {
      // Another consumer returned them first (its record is there now), or the customer was erased.
      const after = await loadProfile(deps.db, shopId, code.customerId, true);
      if (!after?.redemptions[key]) return;
      record = after.redemptions[key];
      balance = after.loyalty.balance;
    }
  }
  const entry: LedgerEntryDraft & { balanceAfter: number } = {
    entryId: record.entryId,
    kind: 'return',
    points: record.points,
    at: record.at,
    source: { code: code.code, rewardId: code.rewardId, reason: record.reason ?? why },
    balanceAfter: balance,
  };
  await putLedgerEntry(deps.db, shopId, code.customerId, entry);
  await putRedemptionRecord(deps.db, shopId, code.customerId, key, record as RedemptionRecord);
  const timeline: TimelineEntry = {
    at: record.at,
    entryId: record.entryId,
    type: 'reward',
    channel: 'web',
    source: 'rewards',
    rewardId: code.rewardId,
    code: code.code,
    status: code.status === 'failed' ? 'failed' : 'returned',
    points: record.points,
    reason: record.reason ?? why,
  };
  await putTimelineEntry(deps.db, shopId, code.customerId, timeline);
}

/** Codes looked at per page of a due list. */
const DUE_PAGE = 100;
/** A pending code untouched this long lost its message (a crash before the send): it is sent again. */
const PENDING_STALE_MS = 15 * 60_000;

export interface ExpiryCounters {
  /** Codes past their expiry, never used: returned. */
  expired: number;
  /** …of which gave points back (`points.returnUnusedRewardCodes`). */
  pointsReturned: number;
  /** Pending codes sent to their platform again (their message seemed lost). */
  resent: number;
  /** Pending codes still unanswered at their expiry: refused, points back. */
  refused: number;
}

/**
 * The scheduled run's part (issue 13 item 3). Codes past their expiry and never used become
 * `returned` — with their points when the program says so (`points.returnUnusedRewardCodes`, on by
 * default) — and leave the due list; a code still pending at its expiry is refused (points back).
 * Pending codes older than 15 minutes lost their message (a crash between writing the code and
 * sending it) and are sent again. Reads only the due entries it acts on, a page at a time.
 */
export async function expireRewardCodes(
  shopId: string,
  program: Program,
  now: Date,
  deps: RefuseDeps & { requeue?: (message: CodeMessage, delaySeconds: number) => Promise<void> },
): Promise<ExpiryCounters> {
  const counters: ExpiryCounters = { expired: 0, pointsReturned: 0, resent: 0, refused: 0 };
  const at = now.toISOString();
  const returns = program.points.returnUnusedRewardCodes;
  await eachDue(deps.db, shopId, 'E', at, async (code) => {
    if (code.status === 'pending') {
      if ((await refuse(shopId, code, 'expired before the platform created it', deps)) === 'failed') counters.refused++;
      return;
    }
    if (code.status === 'issued') await moveCodeStatus(deps.db, shopId, code.code, ['issued'], 'returned', { returnedAt: at });
    const current = code.status === 'issued' ? await getRewardCode(deps.db, shopId, code.code, true) : code;
    if (current?.status === 'returned') {
      if (returns) await returnPoints(shopId, current, current.returnedAt ?? at, 'expired unused', deps);
      counters.expired++;
      if (returns && current.points > 0) counters.pointsReturned++;
    }
    if (current) await deleteCodeDue(deps.db, shopId, 'E', current);
  });
  const requeue = deps.requeue;
  if (requeue) {
    await eachDue(deps.db, shopId, 'P', new Date(now.getTime() - PENDING_STALE_MS).toISOString(), async (code) => {
      if (code.status !== 'pending') return deleteCodeDue(deps.db, shopId, 'P', code);
      await requeue({ shopId, code: code.code }, 0);
      counters.resent++;
    });
  }
  return counters;
}

async function eachDue(db: Db, shopId: string, list: 'E' | 'P', before: string, act: (code: RewardCode) => Promise<void>) {
  let after: string | undefined;
  do {
    const page = await listCodesDue(db, shopId, list, before, DUE_PAGE, after);
    for (const name of page.codes) {
      const code = await getRewardCode(db, shopId, name, true);
      if (code) await act(code);
    }
    after = page.last;
  } while (after);
}
