import { randomBytes } from 'node:crypto';
import { type ClvModel, fitClvModel, holdoutCheck, scoreClv } from '#shared/analytics/clv.ts';
import { CoPurchaseCounter } from '#shared/analytics/co-purchase.ts';
import { isoOfDay } from '#shared/analytics/numeric.ts';
import { type RfmBins, rfmBins, rfmScoreWith } from '#shared/analytics/rfm.ts';
import { segmentIdOfRfm, segmentIdOfRule, segmentIdOfTier } from '#shared/analytics/segment-ids.ts';
import { compileSegments, parseSegmentsDocument, segmentFacts } from '#shared/analytics/segments.ts';
import { summarizeTransactions, type Transaction } from '#shared/analytics/transactions.ts';
import { deleteListEntries, listChanges, putListEntries } from '#shared/data/customer-list-repo.ts';
import {
  getProfile,
  getProfiles,
  hasTimelineEntry,
  type ProfileItem,
  putTimelineEntries,
  setDerivedFields,
  type TimelineEntry,
} from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { getOrders } from '#shared/data/order-repo.ts';
import { allOrderSummaries } from '#shared/data/profile-history.ts';
import { type Derived, derivedAttributes, listedAttributes, type Profile, profileOf } from '#shared/data/profile-item.ts';
import {
  activeRuns,
  createRunIfAbsent,
  finishRun,
  getRun,
  markRunStarted,
  putCoPurchaseIfChanged,
  putSegmentCountsIfChanged,
  type RunRecord,
  recordShardResult,
  setRunModel,
  setShardProgress,
  shardKeysPage,
  writeMemberships,
} from '#shared/data/run-repo.ts';
import { getShop, type ShopRecord, shopErasedAt } from '#shared/data/shop-repo.ts';
import { table } from '#shared/data/table-definition.ts';
import { sameValue } from '#shared/domain/canonical.ts';
import { ConflictError, NotFoundError } from '#shared/domain/errors.ts';
import { aggregateHistory } from '#shared/domain/history.ts';
import type { OrderSummary } from '#shared/domain/order.ts';
import { counts, netOf } from '#shared/domain/order.ts';
import { type FlowMarks, flowsOf, planFlows, WIN_BACK_FLOW_ID } from '#shared/loyalty/flows.ts';
import type { TriggerDraft } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { tierDecisionOf } from '#shared/loyalty/review.ts';
import { type ClvFacts, clvFactsOf, isBirthday, localDate } from '#shared/loyalty/rules.ts';
import { type CodeMessage, type ExpiryCounters, expireRewardCodes } from '#shared/use-cases/create-reward-code.ts';
import { giveReward, offerOf } from '#shared/use-cases/give-reward.ts';
import { listedValuesOf } from '#shared/use-cases/list-customers.ts';
import { type TriggerSink, triggerEntry, triggerRecords } from '#shared/use-cases/loyalty-effects.ts';
import { profileView } from '#shared/use-cases/profile-view.ts';
import { approveDueReferrals, type ReferralCounters, type ReferralDeps } from '#shared/use-cases/referrals.ts';
import { reviewCustomerLoyalty } from '#shared/use-cases/review-loyalty.ts';
import { issuedData } from '#shared/use-cases/use-reward-codes.ts';

/**
 * The re-segmentation run (issue 5; DESIGN §2 "resegment fn"): for one shop, as of one instant,
 * score every customer — RFM, CLV, rule segments — review their loyalty (downgrades, expiry,
 * birthdays), find the win-back moments, and write only what changed.
 *
 * It is split so no Lambda invocation has to hold a big shop for long:
 *   1. fit   — one invocation reads every profile of the shop through GSI1 (16 shards in parallel,
 *              compact fields only) and fits what needs the whole shop: the RFM quintile bins, the
 *              BG/NBD + Gamma-Gamma model (with a holdout check), co-purchase statistics. The fit is
 *              stored on the run record; then one message per shard is queued.
 *   2. apply — one invocation per GSI1 shard scores its customers against the stored fit and writes
 *              the changes; when its time runs short it queues its own continuation (cursor and
 *              counters in the message). The shard's counters are set once on the run record; the
 *              write that completes the set of shards finishes the run.
 * Every step is idempotent under redelivery: the fit is set once, shard results once, and every
 * item the run writes has a deterministic key from (customer, run) or (customer, trigger, period).
 */

export const RUN_SHARDS = table.gsi1.shards;
const WEEKS_12_MONTHS = 52;
const DAY_S = 86_400;
const DAY_MS = DAY_S * 1000;
/** The holdout: fit on all but the last 26 weeks, compare predicted and actual purchases in them. */
const HOLDOUT_DAYS = 182;
/** A run requested within this long and not finished holds off another (an older one is presumed stuck). */
const ACTIVE_RUN_MS = 3_600_000;

export type RunMessage =
  | { shopId: string; runId: string; step: 'fit' }
  | { shopId: string; runId: string; step: 'apply'; shard: number; cursor?: Record<string, unknown>; partial?: ShardCounters };

export interface RunDeps {
  db: Db;
  program: (shopId: string) => Promise<Program>;
  timezone: (shopId: string) => Promise<string>;
  now: () => Date;
  /** Queues follow-up steps (the runs queue on AWS and locally; run them in process in the CLI). */
  enqueue: (messages: RunMessage[]) => Promise<void>;
  /** Time left in this invocation; the apply step hands over to a continuation when it runs short. */
  remainingMs?: () => number;
  /** Customers scored concurrently within a page. */
  concurrency?: number;
  /** The email stage (see loyalty-effects.ts): win-back and feedback requests go there after the timeline. */
  triggers?: TriggerSink;
  /** The codes queue: given codes to create on the shop's platform, and pending ones whose message was lost. */
  requeueCode?: (message: CodeMessage, delaySeconds: number) => Promise<void>;
  /**
   * The key given codes are derived under (give-reward.ts), and the platform the shop's codes are made
   * on. Without them the run gives no codes: the win-back email carries a derived coupon, perks wait.
   */
  gifts?: { codeKey: (shopId: string) => Promise<Buffer>; platform: (shopId: string) => Promise<'shopify' | 'woocommerce' | undefined> };
}

export interface ShardCounters {
  customers: number;
  scored: number;
  profilesWritten: number;
  timelineWritten: number;
  membershipsWritten: number;
  /** Customer list and search entries written or deleted (customer-list-repo.ts). */
  listEntriesWritten: number;
  triggers: number;
  loyaltyWrites: number;
  downgrades: number;
  /** Tiers lifted by the run: a rule met on the run's own predictions, or rules lowered since the last event. */
  upgrades: number;
  warnings: number;
  pointsExpired: number;
  birthdays: number;
  /** Codes given: win-back offers and tier perks. */
  codesGiven: number;
  byModel: Record<string, number>;
  segments: Record<string, number>;
}

const emptyCounters = (): ShardCounters => ({
  customers: 0,
  scored: 0,
  profilesWritten: 0,
  timelineWritten: 0,
  membershipsWritten: 0,
  listEntriesWritten: 0,
  triggers: 0,
  loyaltyWrites: 0,
  downgrades: 0,
  upgrades: 0,
  warnings: 0,
  pointsExpired: 0,
  birthdays: 0,
  codesGiven: 0,
  byModel: {},
  segments: {},
});

/* ---------------- starting a run ---------------- */

const runIdOf = (now: Date) =>
  `r_${now
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}_${randomBytes(3).toString('hex')}`;

/**
 * POST /v1/runs: a run now. Refused (409) while another run of the shop started in the last hour is
 * still going — two runs at once would only do the same work twice.
 */
export async function requestRun(
  shop: ShopRecord,
  trigger: 'api' | 'cli',
  deps: Pick<RunDeps, 'db' | 'now' | 'enqueue'>,
): Promise<RunRecord> {
  const now = deps.now();
  const going = (await activeRuns(deps.db, shop.shopId)).find((run) => Date.parse(run.requestedAt) > now.getTime() - ACTIVE_RUN_MS);
  if (going) throw new ConflictError(`run ${going.runId} is still going (${going.status}); follow it at /v1/runs/${going.runId}`);
  const run: RunRecord = {
    runId: runIdOf(now),
    shopId: shop.shopId,
    status: 'queued',
    trigger,
    requestedAt: now.toISOString(),
    asOf: now.toISOString(),
    shards: RUN_SHARDS,
    shardResults: {},
    progress: {},
  };
  await createRunIfAbsent(deps.db, run);
  await deps.enqueue([{ shopId: shop.shopId, runId: run.runId, step: 'fit' }]);
  return run;
}

/**
 * The daily schedule's run: its id is the shop's local date, so a schedule delivered twice (or
 * retried) is the same run, and its `asOf` is the moment it was first created.
 */
export async function scheduledRun(shopId: string, deps: RunDeps): Promise<RunRecord | undefined> {
  // A schedule can outlive its shop (erased by shop/redact): nothing to run, nothing to record.
  if (!(await getShop(deps.db, shopId))) return undefined;
  const now = deps.now();
  const runId = `d_${localDate(now, await deps.timezone(shopId)).replaceAll('-', '')}`;
  const created = await createRunIfAbsent(deps.db, {
    runId,
    shopId,
    status: 'queued',
    trigger: 'schedule',
    requestedAt: now.toISOString(),
    asOf: now.toISOString(),
    shards: RUN_SHARDS,
    shardResults: {},
    progress: {},
  });
  const run = await getRun(deps.db, shopId, runId);
  if (!run || run.status === 'succeeded') return run;
  if (created || run.status === 'queued') await deps.enqueue([{ shopId, runId, step: 'fit' }]);
  return run;
}

/** GET /v1/runs/{runId}. */
export async function readRun(shop: ShopRecord, runId: string, db: Db) {
  const run = await getRun(db, shop.shopId, runId);
  if (!run) throw new NotFoundError(`no run ${runId}`);
  const shardsDone = Object.keys(run.shardResults ?? {}).length;
  const read = Object.values(run.progress ?? {}).reduce((sum, n) => sum + n, 0);
  const customers = (run.model?.customers as number | undefined) ?? null;
  return {
    ...run,
    progress: { shardsDone, shards: run.shards, customersRead: read, customers },
  };
}

/* ---------------- reading the shop ---------------- */

/**
 * Every profile of the shop with every order summary (the open ones, and the history pages of the
 * customers whose history folded), page by page from the 16 GSI1 shards read side by side.
 */
async function forEachShopProfile(
  db: Db,
  shopId: string,
  visit: (profile: Profile, summaries: Map<string, OrderSummary>) => void,
): Promise<void> {
  await Promise.all(
    Array.from({ length: RUN_SHARDS }, async (_, shard) => {
      let cursor: Record<string, unknown> | undefined;
      do {
        const page = await shardKeysPage(db, shopId, shard, 100, cursor);
        for (const profile of await getProfiles(db, page.keys)) {
          visit(profileOf(profile), await allOrderSummaries(db, shopId, customerIdOf(profile), profile));
        }
        cursor = page.cursor;
      } while (cursor);
    }),
  );
}

const customerIdOf = (profile: ProfileItem) => String(profile.PK).slice(String(profile.PK).lastIndexOf('#C#') + 3);

interface Purchases {
  /** Paid, counted orders up to the analysis day: (day, net amount), and product ids. */
  days: number[];
  amounts: number[];
  products: string[][];
  orderIds: string[];
}

function purchasesOf(summaries: Map<string, OrderSummary>, analysisDay: number): Purchases {
  const out: Purchases = { days: [], amounts: [], products: [], orderIds: [] };
  for (const [orderId, summary] of summaries) {
    if (!counts(summary)) continue;
    const day = Math.floor(summary.c / DAY_S);
    if (day > analysisDay) continue;
    out.days.push(day);
    out.amounts.push(netOf(summary));
    out.products.push(summary.p ?? []);
    out.orderIds.push(orderId);
  }
  return out;
}

function rfmMeasures(p: Purchases, analysisDay: number) {
  let last = Number.NEGATIVE_INFINITY;
  let monetary = 0;
  for (const day of p.days) last = Math.max(last, day);
  for (const amount of [...p.amounts].sort((a, b) => a - b)) monetary += amount;
  return { recencyDays: analysisDay - last, frequency: p.days.length, monetary };
}

const transactionsOf = (customerId: string, p: Purchases): Transaction[] =>
  p.days.map((day, i) => ({ customerId, day, amount: p.amounts[i] as number }));

/* ---------------- step 1: fit ---------------- */

export interface RunModel {
  asOf: string;
  analysisDate: string;
  customers: number;
  buyers: number;
  rfm: { recency: RfmBins; frequency: RfmBins; monetary: RfmBins } | null;
  clv: { unit: 'week'; horizon: number; fit: ClvModel } | null;
  holdout: ReturnType<typeof holdoutCheck> | null;
  coPurchase: { baskets: number; products: number; pairs: number };
  /** Reward codes the run returned (expired unused), refused (still pending at expiry) or sent to their platform again. */
  rewardCodes?: ExpiryCounters;
  /** Referrals past their approval date the run approved (the referrer rewarded) or rejected. */
  referrals?: ReferralCounters;
}

const utcDay = (iso: string) => Math.floor(Date.parse(iso) / DAY_MS);

/** The run's wiring of referral rewards: the gifts' key and platform, the codes queue. */
export const runReferralDeps = (deps: RunDeps): ReferralDeps => ({
  db: deps.db,
  now: deps.now,
  program: deps.program,
  timeZone: deps.timezone,
  currency: (shopId) => shopCurrency(deps, shopId),
  ...(deps.gifts
    ? {
        gifts: {
          ...deps.gifts,
          ...(deps.requeueCode
            ? { codes: (message: CodeMessage) => (deps.requeueCode as NonNullable<RunDeps['requeueCode']>)(message, 0) }
            : {}),
        },
      }
    : {}),
  ...(deps.triggers ? { triggers: deps.triggers } : {}),
});

export async function fitStep(shopId: string, runId: string, deps: RunDeps): Promise<RunModel | undefined> {
  const run = await getRun(deps.db, shopId, runId);
  if (!run || run.status === 'succeeded' || run.status === 'failed') return undefined;
  let model = run.model as RunModel | undefined;
  if (!model) {
    await markRunStarted(deps.db, shopId, runId, deps.now().toISOString());
    // Codes first (idempotent, so a retry of this step repeats it harmlessly): points they give back
    // are on the balances the apply step reviews.
    const rewardCodes = await expireRewardCodes(shopId, await deps.program(shopId), deps.now(), {
      db: deps.db,
      now: deps.now,
      ...(deps.triggers ? { triggers: deps.triggers } : {}),
      ...(deps.requeueCode ? { requeue: deps.requeueCode } : {}),
    });
    // Referrals past their approval period: the referrer's reward, once per friend (idempotent, as the codes' step).
    const referrals = await approveDueReferrals(shopId, runReferralDeps(deps));
    model = { ...(await fitShop(shopId, run.asOf, deps)), rewardCodes, referrals };
    // Plain JSON: DynamoDB stores no undefined, and the apply step reads back exactly this.
    await setRunModel(deps.db, shopId, runId, JSON.parse(JSON.stringify(model)), deps.now().toISOString());
    model = (await getRun(deps.db, shopId, runId))?.model as RunModel | undefined;
  }
  const done = new Set(Object.keys(run.shardResults ?? {}));
  await deps.enqueue(
    Array.from({ length: RUN_SHARDS }, (_, shard) => shard)
      .filter((shard) => !done.has(String(shard)))
      .map((shard) => ({ shopId, runId, step: 'apply' as const, shard })),
  );
  return model;
}

/** Reads the shop once and fits what needs all of it. Pure apart from the reads; independent of read order. */
export async function fitShop(shopId: string, asOf: string, deps: Pick<RunDeps, 'db'>): Promise<RunModel> {
  const analysisDay = utcDay(asOf);
  const recency: number[] = [];
  const frequency: number[] = [];
  const monetary: number[] = [];
  const transactions: Transaction[] = [];
  const coPurchase = new CoPurchaseCounter();
  const orderOfProduct = new Map<string, string>();
  let customers = 0;
  await forEachShopProfile(deps.db, shopId, (profile, summaries) => {
    customers++;
    const purchases = purchasesOf(summaries, analysisDay);
    if (purchases.days.length === 0) return;
    const m = rfmMeasures(purchases, analysisDay);
    recency.push(m.recencyDays);
    frequency.push(m.frequency);
    monetary.push(m.monetary);
    const customerId = profile.customerId;
    transactions.push(...transactionsOf(customerId, purchases));
    purchases.products.forEach((products, i) => {
      coPurchase.add(products);
      for (const product of products) {
        const orderId = purchases.orderIds[i] as string;
        // the smallest order id holding the product: the same whatever order the shards answer in
        const known = orderOfProduct.get(product);
        if (known === undefined || orderId < known) orderOfProduct.set(product, orderId);
      }
    });
  });

  const summary = summarizeTransactions(transactions, { calibrationEndDay: analysisDay, unit: 'week' });
  const fit = summary.customers.length > 0 ? fitClvModel(summary.customers) : null;
  let holdout: RunModel['holdout'] = null;
  const calibrationEnd = analysisDay - HOLDOUT_DAYS;
  const earlier = summarizeTransactions(transactions, { calibrationEndDay: calibrationEnd, unit: 'week' });
  if (earlier.customers.length > 0) {
    holdout = holdoutCheck(fitClvModel(earlier.customers), earlier.customers, {
      ...earlier,
      lastDay: Math.min(earlier.lastDay, analysisDay),
    });
  }

  const stats = coPurchase.stats();
  const catalogue = await productCatalogue(deps.db, shopId, stats, orderOfProduct);
  await putCoPurchaseIfChanged(deps.db, shopId, { ...stats, products: catalogue }, { asOf });

  return {
    asOf,
    analysisDate: isoOfDay(analysisDay),
    customers,
    buyers: recency.length,
    rfm: recency.length > 0 ? { recency: rfmBins(recency), frequency: rfmBins(frequency), monetary: rfmBins(monetary) } : null,
    clv: fit ? { unit: 'week', horizon: WEEKS_12_MONTHS, fit } : null,
    holdout,
    coPurchase: {
      baskets: stats.baskets,
      products: stats.bestSellers.length,
      pairs: Object.values(stats.related).reduce((sum, list) => sum + list.length, 0),
    },
  };
}

/** Titles and prices of the products the statistics name, from one order line each (for emails). */
async function productCatalogue(
  db: Db,
  shopId: string,
  stats: ReturnType<CoPurchaseCounter['stats']>,
  orderOfProduct: Map<string, string>,
): Promise<Record<string, { title: string; price: number }>> {
  const wanted = new Set([...stats.bestSellers.map((b) => b.productId), ...Object.keys(stats.related)]);
  for (const list of Object.values(stats.related)) for (const r of list) wanted.add(r.productId);
  const orderIds = [...new Set([...wanted].flatMap((product) => orderOfProduct.get(product) ?? []))].sort();
  const catalogue: Record<string, { title: string; price: number }> = {};
  for (const order of await getOrders(db, shopId, orderIds)) {
    for (const line of (order.lines as Array<{ productId?: string; sku?: string; title: string; price: number }> | undefined) ?? []) {
      const id = line.productId ?? line.sku;
      if (id && wanted.has(id) && !catalogue[id]) catalogue[id] = { title: line.title, price: line.price };
    }
  }
  return Object.fromEntries(Object.entries(catalogue).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/* ---------------- step 2: apply, one shard ---------------- */

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export type { Derived };

/** A customer's derived fields against the run's fit. Pure; `summaries`: every order summary (default: those on the profile). */
export function deriveCustomer(
  profile: Profile,
  model: RunModel,
  compiled: ReturnType<typeof compileSegments>,
  shop: { currency: string },
  summaries: Map<string, OrderSummary>,
): Derived {
  const analysisDay = utcDay(model.asOf);
  const purchases = purchasesOf(summaries, analysisDay);
  let rfm: Derived['rfm'] = null;
  let clv: Derived['clv'] = null;
  if (purchases.days.length > 0 && model.rfm) {
    const m = rfmMeasures(purchases, analysisDay);
    rfm = rfmScoreWith(model.rfm, m.recencyDays, m.frequency, m.monetary);
  }
  if (purchases.days.length > 0 && model.clv) {
    const [input] = summarizeTransactions(transactionsOf('c', purchases), { calibrationEndDay: analysisDay, unit: 'week' }).customers;
    if (input) {
      const score = scoreClv(model.clv.fit, input, { horizon: model.clv.horizon });
      // A number the model cannot give (a series that does not converge at extreme parameters) is
      // left out rather than stored as NaN; the profile says no model produced it.
      if ([score.expectedPurchases, score.clv, score.pAlive ?? 0].every(Number.isFinite)) {
        clv = {
          pAlive: score.pAlive === null ? null : round(score.pAlive, 4),
          expectedPurchases12m: round(score.expectedPurchases, 3),
          expectedValue12m: Math.round(score.clv),
          model: model.clv.fit.model,
        };
      }
    }
  }
  const view = profileView(profile, shop.currency);
  const facts = segmentFacts({ ...view, rfm, clv }, new Date(model.asOf));
  const segments = compiled(facts);
  const memberships = [
    ...(rfm ? [segmentIdOfRfm(rfm.segment)] : []),
    ...(profile.loyalty.tier !== undefined ? [segmentIdOfTier(profile.loyalty.tier)] : []),
    ...segments.map(segmentIdOfRule),
  ].sort();
  return { rfm, clv, segments, memberships };
}

/** Could the loyalty review change anything for this customer today? Pure, conservative: false only when surely not. */
export function mayNeedLoyaltyReview(profile: Profile, program: Program, now: Date, today: string, clv?: ClvFacts): boolean {
  if (profile.contact.birthday !== undefined && isBirthday(profile.contact.birthday, today)) return true;
  const judged = { ...profile, clv: clv ?? clvFactsOf(profile.derived.clv) };
  if ((tierDecisionOf(judged, program, now)?.decision.action ?? 'keep') !== 'keep') return true;
  const balance = profile.loyalty.balance;
  const expiry = program.points.expiry;
  if (balance > 0 && expiry.kind !== 'none') {
    // Nothing can expire (or be reminded of) before `months` after the oldest possible credit, nor,
    // under inactivity, before `months` after the last paid order (an earning, so activity).
    const horizon = new Date(now.getTime() + (program.points.reminderDays + 1) * DAY_MS);
    horizon.setUTCMonth(horizon.getUTCMonth() - expiry.months);
    const created = Date.parse(String(profile.createdAt));
    if (!(created > horizon.getTime())) {
      if (expiry.kind === 'fixedTerm') return true;
      const lastOrderAt = aggregateHistory(profile.history).lastOrderAt;
      if (!(lastOrderAt && Date.parse(lastOrderAt) > horizon.getTime())) return true;
    }
  }
  return false;
}

export async function applyStep(message: Extract<RunMessage, { step: 'apply' }>, deps: RunDeps): Promise<ShardCounters | undefined> {
  const { shopId, runId, shard } = message;
  const run = await getRun(deps.db, shopId, runId);
  if (!run?.model || run.status !== 'applying' || run.shardResults?.[String(shard)]) return undefined;
  const model = run.model as unknown as RunModel;
  const program = await deps.program(shopId);
  const settings = program.analytics;
  const compiled = compileSegments(parseSegmentsDocument({ segments: settings.segments }));
  const names = new Map(settings.segments.map((s) => [segmentIdOfRule(s.id), s.name]));
  const shop = { currency: (await shopCurrency(deps, shopId)) ?? 'USD' };
  const asOf = new Date(model.asOf);
  const timeZone = await deps.timezone(shopId);
  const today = localDate(asOf, timeZone);
  const counters = message.partial ?? emptyCounters();
  const concurrency = deps.concurrency ?? 8;
  const gifts = deps.gifts ? { codeKey: await deps.gifts.codeKey(shopId), platform: await deps.gifts.platform(shopId) } : undefined;
  let cursor = message.cursor;
  do {
    const page = await shardKeysPage(deps.db, shopId, shard, 100, cursor);
    const profiles = await getProfiles(deps.db, page.keys);
    const planned: Array<Awaited<ReturnType<typeof applyCustomer>>> = [];
    const context = {
      model,
      compiled,
      names,
      program,
      settings,
      shop,
      asOf,
      today,
      timeZone,
      runId,
      shopId,
      ...(gifts ? { gifts } : {}),
    };
    for (let i = 0; i < profiles.length; i += concurrency) {
      planned.push(
        ...(await Promise.all(profiles.slice(i, i + concurrency).map((profile) => applyCustomer(profile, context, counters, deps)))),
      );
    }
    const entries = planned.flatMap((p) => p.timeline.map((entry) => ({ customerId: p.customerId, entry })));
    await putTimelineEntries(deps.db, shopId, entries);
    counters.timelineWritten += entries.length;
    const memberships = planned.flatMap((p) => p.memberships);
    // The customer lists: a customer's new entries, then the profile naming them, then the entries
    // it no longer names — so the profile names every entry it has (customer-list-repo.ts). An
    // erasure between the two takes the profile's entries with it; the new ones go here.
    const listPuts = planned.flatMap((p) => p.list.puts);
    await Promise.all([writeMemberships(deps.db, shopId, memberships), putListEntries(deps.db, listPuts)]);
    counters.membershipsWritten += memberships.length;
    // The emails before the profiles that record them (flow marks): a crash between the two repeats the
    // same keys on the retry, which the email stage sends once, rather than losing them.
    const records = planned.flatMap((p) => triggerRecords(shopId, p.customerId, p.triggers));
    if (records.length > 0) await deps.triggers?.(records);
    const updates = planned.filter((p) => p.update);
    const listDeletes = planned.flatMap((p) => p.list.deletes);
    for (let i = 0; i < updates.length; i += concurrency) {
      await Promise.all(
        updates.slice(i, i + concurrency).map(async (p) => {
          const unlessErased = p.list.puts.length > 0;
          const wrote = await setDerivedFields(deps.db, shopId, p.customerId, p.update as Record<string, unknown>, { unlessErased });
          if (!wrote && unlessErased) listDeletes.push(...p.list.puts);
        }),
      );
    }
    await deleteListEntries(deps.db, listDeletes);
    counters.profilesWritten += updates.length;
    counters.listEntriesWritten += listPuts.length + listDeletes.length;
    cursor = page.cursor;
    await setShardProgress(deps.db, shopId, runId, shard, counters.customers);
    if (cursor && deps.remainingMs && deps.remainingMs() < 60_000) {
      await deps.enqueue([{ shopId, runId, step: 'apply', shard, cursor, partial: counters }]);
      return undefined;
    }
  } while (cursor);

  const after = await recordShardResult(deps.db, shopId, runId, shard, JSON.parse(JSON.stringify(counters)));
  if (after && Object.keys(after.shardResults ?? {}).length >= after.shards) await finishShopRun(after, deps);
  return counters;
}

async function shopCurrency(deps: RunDeps, shopId: string): Promise<string | undefined> {
  return (await getShop(deps.db, shopId))?.currency;
}

interface ApplyContext {
  model: RunModel;
  compiled: ReturnType<typeof compileSegments>;
  names: Map<string, string>;
  program: Program;
  settings: Program['analytics'];
  shop: { currency: string };
  asOf: Date;
  today: string;
  timeZone: string;
  runId: string;
  shopId: string;
  gifts?: { codeKey: Buffer; platform: 'shopify' | 'woocommerce' | undefined };
}

/**
 * One customer: the loyalty review (which writes its own effects), then what the run must write —
 * timeline entries (segment changes, a win-back trigger), membership changes and the derived
 * fields. The page writes them in that order: a crash after the entries and before the profile is
 * repaired by the retry, which rewrites the same entries (their ids hold the run id or the period).
 */
async function applyCustomer(read: ProfileItem, ctx: ApplyContext, counters: ShardCounters, deps: RunDeps) {
  const customerId = customerIdOf(read);
  let item = read;
  let profile = profileOf(read);
  // The review changes no order, so the summaries read now are the ones the derived fields need.
  const summaries = await allOrderSummaries(deps.db, ctx.shopId, customerId, item);
  let derived = deriveCustomer(profile, ctx.model, ctx.compiled, ctx.shop, summaries);
  // Tier rules read this run's predictions, not the last run's.
  const clv = clvFactsOf(derived.clv);
  // Loyalty first (a tier move changes the tier the segments see), then the derived fields.
  if (profile.erasedAt === undefined && mayNeedLoyaltyReview(profile, ctx.program, ctx.asOf, ctx.today, clv)) {
    const review = await reviewCustomerLoyalty(ctx.shopId, customerId, {
      db: deps.db,
      program: async () => ctx.program,
      now: () => ctx.asOf,
      clv,
      timezone: deps.timezone,
      ...(deps.triggers ? { triggers: deps.triggers } : {}),
      ...(ctx.gifts ? { gifts: { currency: ctx.shop.currency, ...ctx.gifts, ...codesSender(deps) } } : {}),
    });
    counters.loyaltyWrites += review.writes;
    if (review.tier === 'downgrade') counters.downgrades++;
    if (review.tier === 'upgrade') counters.upgrades++;
    if (review.tier === 'warn') counters.warnings++;
    counters.pointsExpired += review.expired;
    if (review.birthdayBonus > 0) counters.birthdays++;
    if (review.writes > 0) {
      item = (await getProfile(deps.db, ctx.shopId, customerId, true)) ?? read;
      profile = profileOf(item);
      derived = deriveCustomer(profile, ctx.model, ctx.compiled, ctx.shop, summaries);
    }
  }

  counters.customers++;
  if (derived.rfm) counters.scored++;
  const modelName = derived.clv?.model ?? 'none';
  counters.byModel[modelName] = (counters.byModel[modelName] ?? 0) + 1;
  for (const id of derived.memberships) counters.segments[id] = (counters.segments[id] ?? 0) + 1;

  const at = ctx.model.asOf;
  const before = new Set(profile.derived.memberships ?? []);
  const after = new Set(derived.memberships);
  const entered = derived.memberships.filter((id) => !before.has(id));
  const left = [...before].filter((id) => !after.has(id)).sort();
  const erased = profile.erasedAt !== undefined;

  // Segment changes on the timeline (tiers have their own entries, written when the tier changes).
  const timeline: TimelineEntry[] = [];
  const triggers: TriggerDraft[] = [];
  for (const [ids, change] of [
    [entered, 'entered'],
    [left, 'left'],
  ] as const) {
    for (const id of ids) {
      if (id.startsWith('tier:')) continue;
      timeline.push({
        at,
        entryId: `segment:${id}:${change}:${ctx.runId}`,
        type: 'segment',
        channel: 'web',
        source: 'rapport',
        segment: id,
        name: ctx.names.get(id) ?? (id.startsWith('rfm:') ? (derived.rfm?.segment ?? profile.derived.rfm?.segment) : id),
        change,
      });
    }
  }

  // Flows on segment entry (shared/loyalty/flows.ts), the built-in win-back among them: entering a
  // flow's segment (or P(alive) falling below its threshold) fires it now or marks it due; once per period.
  const storedMarks = profile.derived.flowMarks ?? {};
  const marks: FlowMarks = { ...storedMarks };
  // A profile the win-back marked before flows existed: its month is the win-back flow's last firing.
  if (profile.derived.winBackPeriod && !marks[WIN_BACK_FLOW_ID]) marks[WIN_BACK_FLOW_ID] = { last: `${profile.derived.winBackPeriod}-01` };
  const pAlive = derived.clv?.pAlive;
  // A tier is entered on the order that reaches it: flows on it are dated from that day, as the processor dates them.
  const tierSince = profile.loyalty.tier !== undefined ? profile.loyalty.tierSince : undefined;
  const enteredOn =
    tierSince && profile.loyalty.tier ? { [segmentIdOfTier(profile.loyalty.tier)]: localDate(new Date(tierSince), ctx.timeZone) } : {};
  // An erased customer is written to no more: no firing, and the marks stay as they were.
  const flows = erased
    ? { firings: [], marks: storedMarks }
    : planFlows(flowsOf(ctx.program), marks, {
        today: ctx.today,
        memberships: derived.memberships,
        entered,
        enteredOn,
        pAliveBefore: profile.derived.clv?.pAlive,
        pAlive,
      });
  for (const firing of flows.firings) {
    const draft: TriggerDraft = {
      key: firing.key,
      trigger: firing.flow.copy,
      // Fired on entering a tier (`on`, its day): at the instant it was reached, as the processor dates it.
      at: firing.on !== undefined && tierSince ? tierSince : at,
      data: { flowId: firing.flow.id, reasons: firing.reasons, rfmSegment: derived.rfm?.segment ?? null, pAlive: pAlive ?? null },
    };
    // The flow's reward: a real code, given with the email (once live on the platform), derived from the key.
    const reward = ctx.program.rewards.find((candidate) => candidate.id === firing.flow.rewardId);
    let sendNow = true;
    if (reward && ctx.gifts) {
      const base = draft.data;
      const { code, created } = await giveReward(
        {
          ...giftBase(ctx, customerId),
          reward,
          gift: draft.key,
          at,
          announce: (given) => ({ trigger: draft.trigger, key: draft.key, at: draft.at, data: { ...base, offer: offerOf(given) } }),
        },
        { db: deps.db, ...codesSender(deps) },
      );
      draft.data = { ...base, offer: offerOf(code) };
      // A platform's code is announced by the codes consumer, with this email, once it exists there.
      sendNow = code.status === 'issued';
      if (created) counters.codesGiven++;
    }
    timeline.push(triggerEntry(draft));
    if (sendNow) triggers.push(draft);
    counters.triggers++;
  }
  const marksMoved = !sameValue(storedMarks, flows.marks);

  // The tier's perks: a code of each once per calendar month or year, marked on the profile (`pk_{rewardId}`).
  const perkMarks: Record<string, string> = {};
  const perkPeriod = (every: 'month' | 'year') => (every === 'year' ? ctx.today.slice(0, 4) : ctx.today.slice(0, 7));
  const due = (at: ProfileItem, tier: string | undefined) =>
    (ctx.program.tiers.levels.find((candidate) => candidate.id === tier)?.perks ?? []).filter(
      (perk) => at[perkAttribute(perk.rewardId)] !== perkPeriod(perk.every),
    );
  // Once a month at most a perk is due: then the profile is read afresh, so the tier is the one the
  // review just left (another copy of this step may have moved it) and a perk given meanwhile is seen.
  const fresh =
    ctx.gifts && !erased && due(item, profile.loyalty.tier).length > 0
      ? await getProfile(deps.db, ctx.shopId, customerId, true)
      : undefined;
  const level = fresh ? ctx.program.tiers.levels.find((candidate) => candidate.id === profileOf(fresh).loyalty.tier) : undefined;
  if (fresh && level) {
    for (const perk of due(fresh, level.id)) {
      const reward = ctx.program.rewards.find((candidate) => candidate.id === perk.rewardId);
      if (!reward) continue;
      const gift = `perk:${reward.id}:${perkPeriod(perk.every)}`;
      const { code, created } = await giveReward({ ...giftBase(ctx, customerId), reward, gift, at }, { db: deps.db, ...codesSender(deps) });
      timeline.push({
        at,
        entryId: `gift:${gift}`,
        type: 'reward',
        channel: 'web',
        source: 'rapport',
        rewardId: reward.id,
        code: code.code,
        gift: `perk of ${level.id}`,
        points: 0,
      });
      if (code.status === 'issued')
        triggers.push({ key: `reward_issued:${code.code}`, trigger: 'reward_issued', at, data: issuedData(code) });
      perkMarks[perkAttribute(perk.rewardId)] = perkPeriod(perk.every);
      if (created) counters.codesGiven++;
    }
  }
  const perksMoved = Object.keys(perkMarks).length > 0;

  // Where the console's lists hold the customer: rewritten only when a position or a token moves.
  const listed = listedValuesOf(profile, derived.clv?.expectedValue12m);
  const list = listChanges(ctx.shopId, customerId, profile.listed, listed);
  const listMoved = list.puts.length + list.deletes.length > 0;

  const changed =
    !sameValue(profile.derived.rfm, derived.rfm) ||
    !sameValue(profile.derived.clv, derived.clv) ||
    !sameValue(profile.derived.segments, derived.segments) ||
    !sameValue(profile.derived.memberships, derived.memberships);
  // The post-purchase feedback request, N days after each paid order; due for a week, sent once by the email stage.
  if (!erased) {
    for (const [orderId, summary] of summaries) {
      if (!counts(summary)) continue;
      const due = summary.c * 1000 + ctx.program.email.feedbackDelayDays * DAY_MS;
      if (due > ctx.asOf.getTime() || due <= ctx.asOf.getTime() - 7 * DAY_MS) continue;
      const draft: TriggerDraft = {
        key: `feedback_request:${orderId}`,
        trigger: 'feedback_request',
        at: new Date(due).toISOString(),
        data: { orderId },
      };
      triggers.push(draft);
      if (!(await hasTimelineEntry(deps.db, ctx.shopId, customerId, draft.at, `trigger:${draft.key}`))) {
        timeline.push(triggerEntry(draft));
        counters.triggers++;
      }
    }
  }

  return {
    customerId,
    timeline,
    triggers,
    memberships: [
      ...entered.map((segmentId) => ({ segmentId, customerId, member: true, since: at })),
      ...left.map((segmentId) => ({ segmentId, customerId, member: false, since: at })),
    ],
    list,
    update:
      changed || marksMoved || listMoved || perksMoved
        ? {
            ...(changed || marksMoved
              ? { ...derivedAttributes({ ...derived, ...(marksMoved ? { flowMarks: flows.marks } : {}) }), analyzedAt: at }
              : {}),
            ...(listMoved ? listedAttributes(listed) : {}),
            ...perkMarks,
          }
        : undefined,
  };
}

/* ---------------- finishing ---------------- */

export function sumCounters(results: Iterable<Record<string, unknown>>): ShardCounters {
  const total = emptyCounters();
  for (const result of results) {
    const c = result as unknown as ShardCounters;
    for (const key of Object.keys(total) as (keyof ShardCounters)[]) {
      if (key === 'byModel' || key === 'segments') {
        for (const [name, n] of Object.entries(c[key] ?? {})) total[key][name] = (total[key][name] ?? 0) + n;
      } else total[key] += (c[key] as number | undefined) ?? 0;
    }
  }
  return total;
}

async function finishShopRun(run: RunRecord, deps: RunDeps): Promise<void> {
  const totals = sumCounters(Object.values(run.shardResults));
  const segmentCounts = Object.fromEntries(Object.entries(totals.segments).sort(([a], [b]) => (a < b ? -1 : 1)));
  const wroteCounts = await putSegmentCountsIfChanged(deps.db, run.shopId, segmentCounts, { runId: run.runId, asOf: run.asOf });
  const writes =
    totals.profilesWritten +
    totals.timelineWritten +
    totals.membershipsWritten +
    totals.listEntriesWritten +
    totals.loyaltyWrites +
    (wroteCounts ? 1 : 0);
  await finishRun(deps.db, run.shopId, run.runId, 'succeeded', {
    finishedAt: deps.now().toISOString(),
    totals: { ...totals, segmentCountsWritten: wroteCounts, itemsWritten: writes },
  });
}

/**
 * Runs one queued step (the resegment function's body). A step of a shop erased meanwhile
 * (shop/redact) is dropped: it cannot succeed, retrying it would only fill the dead-letter queue, and
 * recording its failure would write under a shop whose items are being deleted.
 */
export async function runStep(message: RunMessage, deps: RunDeps): Promise<'dropped' | undefined> {
  const [shop, erasedAt] = await Promise.all([getShop(deps.db, message.shopId), shopErasedAt(deps.db, message.shopId, deps.now())]);
  if (!shop || erasedAt !== undefined) return 'dropped';
  if (message.step === 'fit') await fitStep(message.shopId, message.runId, deps);
  else await applyStep(message, deps);
}

/** A whole run in this process (the CLI): fit, then the shards side by side; returns the finished run. */
export async function runToCompletion(
  shop: ShopRecord,
  deps: Omit<RunDeps, 'enqueue'>,
  onProgress?: (run: RunRecord) => void,
  onStart?: (runId: string) => void,
): Promise<RunRecord> {
  const pending: RunMessage[] = [];
  const local: RunDeps = { ...deps, enqueue: async (messages) => void pending.push(...messages) };
  const run = await requestRun(shop, 'cli', local);
  onStart?.(run.runId);
  while (pending.length > 0) {
    const batch = pending.splice(0, pending.length);
    await Promise.all(batch.map((message) => runStep(message, local)));
    const current = await getRun(deps.db, shop.shopId, run.runId);
    if (current) onProgress?.(current);
  }
  const finished = await getRun(deps.db, shop.shopId, run.runId);
  if (!finished) throw new ConflictError(`run ${run.runId} disappeared`);
  return finished;
}

/** The profile attribute marking the period a tier perk was last given in. */
const perkAttribute = (rewardId: string) => `pk_${rewardId}`;

const giftBase = (ctx: ApplyContext, customerId: string) => ({
  shopId: ctx.shopId,
  currency: ctx.shop.currency,
  customerId,
  codeKey: (ctx.gifts as NonNullable<ApplyContext['gifts']>).codeKey,
  ...(ctx.gifts?.platform ? { platform: ctx.gifts.platform } : {}),
});

const codesSender = (deps: RunDeps) =>
  deps.requeueCode ? { codes: (message: CodeMessage) => (deps.requeueCode as NonNullable<RunDeps['requeueCode']>)(message, 0) } : {};
