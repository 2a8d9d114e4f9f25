import type { BacktestReport } from '../../shared/loyalty/backtest.ts';

/**
 * What the console reads from the HTTP API (README "HTTP API"; DESIGN §3). Only the fields the
 * pages show are named; answers may carry more. Money is integer minor units of its currency.
 */

export interface Money {
  amount: number;
  currency: string;
}

export type Platform = 'shopify' | 'woocommerce' | 'generic';
export const PLATFORMS: readonly Platform[] = ['shopify', 'woocommerce', 'generic'];

/** GET /v1/shop. */
export interface Shop {
  shopId: string;
  name: string;
  url?: string | null;
  currency: string;
  locale: string;
  timezone: string;
  createdAt?: string;
  settings?: { ignoreTestOrders: boolean };
  secrets?: Partial<Record<Platform, boolean>>;
  webhooks?: Partial<Record<Platform, string>>;
  /** The emails' brand (PATCH /v1/shop {brand}); null until set. */
  brand?: Brand | null;
}

/** shared/email/shop-template.ts BrandSchema: every field optional. */
export interface Brand {
  logoUrl?: string;
  primaryColor?: string;
  backgroundColor?: string;
  address?: string;
  footer?: { en?: string; vi?: string };
}

/** One row of GET /v1/customers?limit=&cursor=&sort=&q=. */
export interface CustomerRow {
  customerId: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  tier: string | null;
  pointsBalance: number;
  totalSpent: Money;
  orderCount: number;
  lastOrderAt: string | null;
  clv: number | null;
  rfmSegment: string | null;
}

export interface Page<T> {
  items: T[];
  cursor?: string;
}

/** GET /v1/customers/{customerId}. */
export interface Profile {
  customerId: string;
  email: string | null;
  phone: string | null;
  name: string | null;
  locale: string | null;
  birthday: string | null;
  country: string | null;
  city: string | null;
  consent: { email: 'subscribed' | 'unsubscribed' | 'suppressed' };
  orderCount: number;
  totalSpent: Money;
  refunded: Money;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  tier: string | null;
  points: { balance: number; lifetime: number };
  rfm: { r: number; f: number; m: number; segment: string } | null;
  clv: { pAlive: number | null; expectedPurchases12m: number; expectedValue12m: number; model: string } | null;
  segments: string[];
  feedback?: { nps: number | null; csat: number | null };
  erasedAt?: string;
  createdAt: string;
}

export interface TimelineEntry {
  at: string;
  type: string;
  channel: string;
  source: string;
  [field: string]: unknown;
}

export interface LedgerEntry {
  entryId: string;
  kind: string;
  points: number;
  at: string;
  source: Record<string, string | number>;
  writtenOff?: number;
}

/** GET /v1/customers/{customerId}/export. */
export interface CustomerExport {
  profile: Profile;
  pointsLedger: LedgerEntry[];
}

export interface TierLevel {
  id: string;
  name: Record<string, string>;
  /** Absent on a level that qualifies on a rule of its own (`qualifies`). */
  threshold?: number;
  /** The level's own rule over spend, orders, points, predictedValue12m and pAlive (shared/loyalty/tier-expression.ts). */
  qualifies?: string;
  earnMultiplier: number;
}

/** An activity of the program (shared/loyalty/activities.ts). */
export interface ActivityRule {
  activity: string;
  points: number;
  limit?: { count: number; per: 'ever' | 'day' | 'month' | 'year' };
  tiers?: string[];
  active: boolean;
  name?: Record<string, string>;
}

/** A bonus rule of the program (shared/loyalty/bonuses.ts). */
export interface BonusRule {
  id: string;
  name?: Record<string, string>;
  multiplier: number;
  on: { kind: 'products'; ids: string[] } | { kind: 'categories'; names: string[] } | { kind: 'dates'; from: string; to: string };
  tiers?: string[];
  active: boolean;
}

/** The program document (shared/loyalty/program.ts): the fields the form edits are typed, the rest kept as is. */
/** A flow on segment entry (shared/loyalty/flows.ts FlowSchema). */
export interface FlowRule {
  id: string;
  name: string;
  segments: string[];
  delayDays: number;
  rewardId?: string;
  once: { every: 'ever' | 'days' | 'month' | 'year'; days?: number };
  active: boolean;
  pAliveBelow?: number;
  copy?: 'flow' | 'win_back';
  message?: { format?: 'liquid'; subject: Partial<Record<'en' | 'vi', string>>; body: Partial<Record<'en' | 'vi', string>> };
}

export interface Program {
  activities?: ActivityRule[];
  flows?: FlowRule[];
  bonuses?: BonusRule[];
  tiers: { metric: 'spend' | 'orders' | 'points'; levels: TierLevel[]; [key: string]: unknown };
  points: { earn: { points: number; per: number }; firstOrderBonus: number; pointValue: number; [key: string]: unknown };
  email: { fromAddress: string; fromName: string; replyTo?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface ProgramDocument {
  version: number;
  updatedAt: string;
  program: Program;
}

export interface DiffLine {
  path: string;
  change: 'added' | 'removed' | 'changed';
  from?: unknown;
  to?: unknown;
}

/** GET /v1/loyalty/liability. */
export interface Liability {
  shopId: string;
  customers: number;
  customersWithPoints: number;
  points: { outstanding: number; pending: number; spendable: number };
  pointValue: Money;
  value: Money;
}

export interface Segment {
  id: string;
  kind: 'rfm' | 'tier' | 'rule';
  name: string;
  customers: number;
  /** Not in today's answer; shown when the API adds it. */
  revenue?: Money;
}

/**
 * A condition of a rule segment (shared/analytics/segments.ts): a text field compared with `value`
 * or listed `values`, a number field with `value` or `min`/`max`, topCategories with `contains`.
 */
export interface SegmentCondition {
  field: string;
  op: string;
  value?: string | number | null;
  values?: string[];
  min?: number | null;
  max?: number | null;
}

export type SegmentRule = SegmentCondition | { all: SegmentRule[] } | { any: SegmentRule[] } | { not: SegmentRule };

/** One of the program's rule segments (`analytics.segments`): listed by GET /v1/segments as `rule:{id}`. */
export interface RuleSegment {
  id: string;
  name: string;
  rule: SegmentRule;
}

/** GET /v1/segments. */
export interface Segments {
  asOf: string | null;
  runId: string | null;
  segments: Segment[];
}

export interface SegmentMember {
  customerId: string;
  since: string;
}

export interface HoldoutBucket {
  frequency: string;
  customers: number;
  predicted: number;
  actual: number;
}

export interface Holdout {
  from: string;
  to: string;
  length: number;
  customers: number;
  predictedPurchases: number;
  actualPurchases: number;
  meanAbsoluteError: number;
  byFrequency: HoldoutBucket[];
}

interface FitStats {
  logLikelihood: number;
  converged: boolean;
}

export type ClvFit =
  | {
      model: 'bgnbd-gg';
      bgnbd: FitStats & { params: { r: number; alpha: number; a: number; b: number } };
      gammaGamma: FitStats & { params: { p: number; q: number; v: number }; customers: number };
      customers: number;
      repeatCustomers: number;
    }
  | {
      model: 'historical';
      reason: string;
      repeatRate: number;
      meanT: number;
      meanSpend: number;
      customers: number;
      repeatCustomers: number;
    };

/** The run's `model` (shared/use-cases/resegment.ts RunModel). */
export interface RunModel {
  asOf: string;
  analysisDate: string;
  customers: number;
  buyers: number;
  rfm: Record<string, unknown> | null;
  clv: { unit: 'week'; horizon: number; fit: ClvFit } | null;
  holdout: Holdout | null;
  coPurchase: { baskets: number; products: number; pairs: number };
}

export type RunStatus = 'queued' | 'fitting' | 'applying' | 'succeeded' | 'failed';

/** GET /v1/runs/{runId}. */
export interface Run {
  runId: string;
  status: RunStatus;
  trigger: string;
  requestedAt: string;
  asOf: string;
  startedAt?: string;
  finishedAt?: string;
  progress: { shardsDone: number; shards: number; customersRead: number; customers: number | null };
  totals?: Record<string, unknown>;
  model?: RunModel;
  error?: string;
}

/** One row of GET /v1/emails (the send log). */
export interface EmailLogRow {
  sendId?: string;
  customerId: string;
  trigger: string;
  status: string;
  reason?: string;
  at: string;
  [key: string]: unknown;
}

/**
 * A backtest's report is the engine's own type (shared/loyalty/backtest.ts BacktestReport, the
 * `report` of GET /v1/program/backtests/{id}): only its type comes here, so a field the engine adds
 * or renames reaches the console's type-check instead of drifting from a copy.
 */
export type { BacktestReport, ProgramOutcome, TierMove } from '../../shared/loyalty/backtest.ts';

/** A backtest job (GET /v1/program/backtests/{id}; shared/http/api-docs/backtests.ts). */
export interface Backtest {
  backtestId: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  requestedAt: string;
  asOf: string;
  progress: { customers: number; shardsDone: number; shards: number };
  report?: BacktestReport;
  error?: string;
}

/**
 * GET /v1/referrals answers the engine's own types (shared/use-cases/referrals.ts ReferralView,
 * ReferrerSummary): only the types come here, so a field the API adds or renames reaches the
 * console's type-check instead of drifting from a copy.
 */
export type { ReferralView, ReferrerSummary } from '../../shared/use-cases/referrals.ts';
