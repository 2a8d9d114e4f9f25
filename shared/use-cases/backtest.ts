import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { type BacktestRecord, createBacktest, getBacktest, updateBacktestUnlessFinished } from '#shared/data/backtest-repo.ts';
import { getProfiles, type ProfileItem } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { ledgerEntries } from '#shared/data/ledger-repo.ts';
import { getOrders, orderStateOf } from '#shared/data/order-repo.ts';
import { allOrderSummaries } from '#shared/data/profile-history.ts';
import { profileOf } from '#shared/data/profile-item.ts';
import { getRun, getSegmentCounts, shardKeysPage } from '#shared/data/run-repo.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { table } from '#shared/data/table-definition.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { valueSteps } from '#shared/domain/order.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import {
  Backtest,
  type BacktestCustomer,
  type BacktestMove,
  type BacktestOrder,
  type BacktestReport,
  reviewInstants,
} from '#shared/loyalty/backtest.ts';
import type { LedgerEntryDraft } from '#shared/loyalty/plan.ts';
import { type Program, ProgramSchema } from '#shared/loyalty/program.ts';

/**
 * Backtesting a proposed program on the shop's own history (loyalty/backtest.ts), read from the
 * table: one computation behind `rapport backtest` and POST /v1/program/backtests.
 *
 * The shop is read as the scheduled run reads it — the profiles of the 16 GSI1 shards side by side,
 * each customer's order summaries (open on the profile, folded in history pages) and ledger — and
 * reduced to compact columns: per order its value over time, per customer the points moves it made.
 * An order's lines are read (BatchGet by order id) only when a bonus rule on products or categories
 * needs them. Nothing is written but the job's own record.
 */

export interface BacktestDeps {
  db: Db;
  now: () => Date;
  program: (shopId: string) => Promise<Program>;
}

export interface BacktestProgress {
  customers: number;
  shardsDone: number;
  shards: number;
}

export const SHARDS = table.gsi1.shards;
/** Customers whose partitions are read at once within a shard's page. */
const READ_CONCURRENCY = 8;

/** Whether a bonus rule of either program reads an order's lines (products or categories). */
const needsLines = (...programs: Program[]) =>
  programs.some((program) => program.bonuses.some((bonus) => bonus.active && bonus.on.kind !== 'dates'));

const MOVE_KINDS = new Set(['redeem', 'adjust', 'activity', 'return', 'referral']);

/** A ledger entry as a move the backtest replays, or undefined for what the program itself decides (earn, clawback, first-order bonus, expiry). */
function moveOf(entry: LedgerEntryDraft): BacktestMove | undefined {
  const source = entry.source ?? {};
  if (entry.kind === 'bonus' && source.reason === 'birthday')
    return { kind: 'birthday', at: entry.at, points: entry.points, entryId: entry.entryId };
  if (!MOVE_KINDS.has(entry.kind)) return undefined;
  return {
    kind: entry.kind as BacktestMove['kind'],
    at: entry.at,
    points: entry.points,
    entryId: entry.entryId,
    ...(typeof source.activity === 'string' ? { activity: source.activity } : {}),
    ...(typeof source.code === 'string' ? { code: source.code } : {}),
  };
}

const customerIdOf = (profile: ProfileItem) => String(profile.PK).slice(String(profile.PK).lastIndexOf('#C#') + 3);

/** One customer's compact columns, and the live profile's tier and balance; nothing read for an erased customer (left out). */
async function readCustomer(db: Db, shopId: string, item: ProfileItem, lines: boolean, firstTier: string) {
  const customerId = customerIdOf(item);
  const profile = profileOf(item);
  if (profile.erasedAt !== undefined) return undefined;
  const [summaries, ledger] = await Promise.all([allOrderSummaries(db, shopId, customerId, item), ledgerEntries(db, shopId, customerId)]);
  const lineItems = lines
    ? new Map(
        (await getOrders(db, shopId, [...summaries.keys()])).map((order) => [String(order.orderId), orderStateOf(order)?.lineItems ?? []]),
      )
    : undefined;
  const orders: BacktestOrder[] = [];
  for (const [orderId, summary] of summaries) {
    orders.push({
      orderId,
      c: summary.c,
      total: summary.t,
      steps: valueSteps(summary),
      ...(summary.k ? { k: summary.k } : {}),
      ...(summary.p ? { p: summary.p } : {}),
      ...(lineItems?.has(orderId) ? { lines: lineItems.get(orderId) } : {}),
    });
  }
  const moves = ledger.map(moveOf).filter((move): move is BacktestMove => move !== undefined);
  const clv = profile.derived.clv;
  const customer: BacktestCustomer = {
    customerId,
    orders,
    moves,
    ...(profile.loyalty.tierOverride ? { tierOverride: profile.loyalty.tierOverride } : {}),
    ...(clv ? { clv: { expectedPurchases12m: clv.expectedPurchases12m, expectedValue12m: clv.expectedValue12m, pAlive: clv.pAlive } } : {}),
  };
  return { customer, actual: { tier: profile.loyalty.tier ?? firstTier, balance: profile.loyalty.balance } };
}

/** The CLV model's holdout check from the shop's last run, beside the projection. */
async function holdoutOf(db: Db, shopId: string): Promise<BacktestReport['projection']['holdout']> {
  const counts = await getSegmentCounts(db, shopId);
  const run = counts ? await getRun(db, shopId, counts.runId) : undefined;
  const holdout = (run?.model as { holdout?: { meanAbsoluteError: number; predictedPurchases: number; actualPurchases: number } | null })
    ?.holdout;
  if (!holdout) return null;
  const { meanAbsoluteError, predictedPurchases, actualPurchases } = holdout;
  const relativeError =
    actualPurchases > 0 ? Math.round((Math.abs(predictedPurchases - actualPurchases) / actualPurchases) * 10_000) / 10_000 : null;
  return { meanAbsoluteError, predictedPurchases, actualPurchases, relativeError };
}

/** The earliest instant a review can matter: the run's daily instants are generated from here. */
const HISTORY_FROM = Date.UTC(2000, 0, 1);

/**
 * The backtest of `proposed` against the shop's program in force, as of `asOf`: every customer of
 * the shop through both. `onProgress` hears of every page read. Erased customers are left out.
 */
export async function backtestShop(
  shop: Pick<ShopRecord, 'shopId' | 'currency' | 'timezone'>,
  proposed: Program,
  asOf: Date,
  deps: BacktestDeps,
  onProgress?: (progress: BacktestProgress) => void | Promise<void>,
): Promise<BacktestReport> {
  const current = await deps.program(shop.shopId);
  const timeZone = shop.timezone ?? 'UTC';
  const backtest = new Backtest(
    { current, proposed },
    { asOf, timeZone, currency: shop.currency, reviews: reviewInstants(HISTORY_FROM, asOf.getTime(), timeZone) },
  );
  const lines = needsLines(current, proposed);
  const firstTier = current.tiers.levels[0]?.id as string;
  const progress: BacktestProgress = { customers: 0, shardsDone: 0, shards: SHARDS };
  await Promise.all(
    Array.from({ length: SHARDS }, async (_, shard) => {
      let cursor: Record<string, unknown> | undefined;
      do {
        const page = await shardKeysPage(deps.db, shop.shopId, shard, 100, cursor);
        const items = await getProfiles(deps.db, page.keys);
        for (let i = 0; i < items.length; i += READ_CONCURRENCY) {
          const read = await Promise.all(
            items.slice(i, i + READ_CONCURRENCY).map((item) => readCustomer(deps.db, shop.shopId, item, lines, firstTier)),
          );
          for (const one of read) if (one) backtest.add(one.customer, one.actual);
        }
        progress.customers += items.length;
        cursor = page.cursor;
        if (cursor) await onProgress?.({ ...progress });
      } while (cursor);
      progress.shardsDone++;
      await onProgress?.({ ...progress });
    }),
  );
  return backtest.report(await holdoutOf(deps.db, shop.shopId));
}

/* ---------------- the job behind POST /v1/program/backtests ---------------- */

export const BacktestRequestSchema = z.strictObject({
  /** The proposed program document (as PUT /v1/program takes it). */
  program: z.unknown(),
  /** The instant the backtest is as of; absent: now. */
  asOf: z.iso.datetime({ offset: true }).optional(),
});

export const BacktestIdSchema = z.string().regex(/^b_[0-9]{14}_[0-9a-f]{6}$/, 'a backtest id such as b_20261204153000_ab12cd');

export type BacktestMessage = { shopId: string; backtestId: string; step: 'backtest' };

const backtestIdOf = (now: Date) =>
  `b_${now
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}_${randomBytes(3).toString('hex')}`;

/** Parses a request body: the program as PUT /v1/program validates it (400 naming `program.…`), asOf not in the future. */
export function parseBacktestRequest(body: unknown, now: Date): { program: Program; asOf: Date } {
  const request = parseOrThrow(BacktestRequestSchema, body);
  if (request.program === undefined) throw new ValidationError('program', 'program: the proposed program document is required');
  const program = parseOrThrow(ProgramSchema, request.program, 'program');
  const asOf = request.asOf ? new Date(request.asOf) : now;
  if (asOf.getTime() > now.getTime())
    throw new ValidationError('asOf', 'asOf: a backtest replays what happened; it cannot be in the future');
  return { program, asOf };
}

/** POST /v1/program/backtests: the job recorded and queued; 202 with its id. */
export async function requestBacktest(
  shop: ShopRecord,
  body: unknown,
  deps: Pick<BacktestDeps, 'db' | 'now'> & { enqueue: (messages: BacktestMessage[]) => Promise<void> },
) {
  const now = deps.now();
  const { program, asOf } = parseBacktestRequest(body, now);
  const record: BacktestRecord = {
    backtestId: backtestIdOf(now),
    shopId: shop.shopId,
    status: 'queued',
    requestedAt: now.toISOString(),
    asOf: asOf.toISOString(),
    program,
    progress: { customers: 0, shardsDone: 0, shards: SHARDS },
  };
  await createBacktest(deps.db, record);
  await deps.enqueue([{ shopId: shop.shopId, backtestId: record.backtestId, step: 'backtest' }]);
  return {
    backtestId: record.backtestId,
    status: record.status,
    asOf: record.asOf,
    location: `/v1/program/backtests/${record.backtestId}`,
  };
}

/** How often a running job writes its progress (one small update). */
const PROGRESS_EVERY_MS = 1000;

/**
 * The queued job (the runs queue consumer): the whole backtest in one invocation, its progress on
 * the record as it goes, then the report. A redelivery of a finished job does nothing; one of a job
 * cut short starts it again (it writes nothing but its record).
 */
export async function runBacktestJob(
  message: BacktestMessage,
  deps: BacktestDeps & { loadShop: (shopId: string) => Promise<ShopRecord | undefined> },
) {
  const record = await getBacktest(deps.db, message.shopId, message.backtestId);
  const shop = await deps.loadShop(message.shopId);
  if (!record || record.status === 'succeeded' || record.status === 'failed') return 'done';
  if (!shop) return 'dropped';
  const { db } = deps;
  await updateBacktestUnlessFinished(db, shop.shopId, record.backtestId, { status: 'running', startedAt: deps.now().toISOString() });
  let written = 0;
  try {
    const report = await backtestShop(shop, record.program, new Date(record.asOf), deps, async (progress) => {
      if (Date.now() - written < PROGRESS_EVERY_MS && progress.shardsDone < progress.shards) return;
      written = Date.now();
      await updateBacktestUnlessFinished(db, shop.shopId, record.backtestId, { progress });
    });
    await updateBacktestUnlessFinished(db, shop.shopId, record.backtestId, {
      status: 'succeeded',
      finishedAt: deps.now().toISOString(),
      progress: { customers: report.customers, shardsDone: SHARDS, shards: SHARDS },
      report,
    });
    return 'succeeded';
  } catch (error) {
    // Recorded as failed for the shop (no internals in it), the cause handed to the log; a
    // redelivery then finds it finished rather than trying a broken job again.
    await updateBacktestUnlessFinished(db, shop.shopId, record.backtestId, {
      status: 'failed',
      finishedAt: deps.now().toISOString(),
      error: 'the backtest failed; the operator can see why in the function log',
    });
    return { failed: error as Error };
  }
}

/** GET /v1/program/backtests/{backtestId}: status, progress and, once done, the report. */
export async function readBacktest(shop: ShopRecord, backtestId: unknown, db: Db) {
  const id = parseOrThrow(BacktestIdSchema, backtestId, 'backtestId');
  const record = await getBacktest(db, shop.shopId, id);
  if (!record) throw new NotFoundError(`no backtest ${id}`);
  const { program: _program, shopId: _shop, ...shown } = record;
  return shown;
}
