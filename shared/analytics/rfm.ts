import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CsvFormatError, formatCsv, readCsvTable } from './csv.ts';
import { AnalyticsDataError, AnalyticsUsageError } from './errors.ts';
import { innerProbabilities, isoDay, quantileType7 } from './numeric.ts';

/**
 * RFM scores and segments, the default scheme of DESIGN §6: the published one of the R package
 * rfm 0.3.0 (rfm_table_order + rfm_segment), so a shop can reproduce its numbers in R.
 *
 * Per customer with at least one order up to the analysis date: recency = days from the last
 * order to the analysis date, frequency = number of orders, monetary = total revenue. Each is
 * scored 1–5 by bins whose edges are the 20/40/60/80 % quantiles (R type 7) plus one — rfm's
 * `bins()` adds 1 to each quantile — with lower = (min, edges), upper = (edges, max + 1) and a
 * value v in bin i when lower[i] ≤ v < upper[i]. Recency scores are reversed (5 = most recent).
 */

export const RFM_SEGMENTS = [
  { name: 'Champions', r: [5, 5], f: [5, 5], m: [5, 5] },
  { name: 'Potential Loyalist', r: [3, 5], f: [3, 5], m: [2, 5] },
  { name: 'Loyal Customers', r: [2, 4], f: [2, 4], m: [2, 4] },
  { name: 'Promising', r: [3, 4], f: [1, 3], m: [3, 5] },
  { name: 'New Customers', r: [4, 5], f: [1, 3], m: [1, 5] },
  { name: "Can't Lose Them", r: [1, 2], f: [3, 4], m: [4, 5] },
  { name: 'At Risk', r: [1, 2], f: [2, 5], m: [4, 5] },
  { name: 'Need Attention', r: [1, 3], f: [3, 5], m: [3, 5] },
  { name: 'About To Sleep', r: [2, 3], f: [1, 3], m: [1, 4] },
  { name: 'Lost', r: [1, 1], f: [1, 5], m: [1, 5] },
] as const satisfies readonly { name: string; r: readonly [number, number]; f: readonly [number, number]; m: readonly [number, number] }[];

export type RfmSegment = (typeof RFM_SEGMENTS)[number]['name'] | 'Others';

/** Segment names in the order they are tested, then Others: index i of a segment column. */
export const RFM_SEGMENT_NAMES: readonly RfmSegment[] = [...RFM_SEGMENTS.map((segment) => segment.name), 'Others'];

const within = (score: number, [lo, hi]: readonly [number, number]) => score >= lo && score <= hi;

/** Segment index for every (r, f, m) in 1..5, at (r - 1) * 25 + (f - 1) * 5 + (m - 1): first match wins. */
const SEGMENT_OF_SCORE: Uint8Array = (() => {
  const table = new Uint8Array(125);
  for (let r = 1; r <= 5; r++) {
    for (let f = 1; f <= 5; f++) {
      for (let m = 1; m <= 5; m++) {
        const index = RFM_SEGMENTS.findIndex((s) => within(r, s.r) && within(f, s.f) && within(m, s.m));
        table[(r - 1) * 25 + (f - 1) * 5 + (m - 1)] = index === -1 ? RFM_SEGMENTS.length : index;
      }
    }
  }
  return table;
})();

export function rfmSegmentOf(r: number, f: number, m: number): RfmSegment {
  return RFM_SEGMENT_NAMES[SEGMENT_OF_SCORE[(r - 1) * 25 + (f - 1) * 5 + (m - 1)] as number] as RfmSegment;
}

export interface RfmBins {
  /** lower[i] ≤ v < upper[i] is bin i + 1 (before recency's reversal). */
  lower: number[];
  upper: number[];
}

/** The bins of rfm's `bins()`, `bins_lower()` and `bins_upper()` for one measure, in R's arithmetic. */
export function rfmBins(values: ArrayLike<number>, bins = 5): RfmBins {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return { lower: [], upper: [] };
  const edges = innerProbabilities(bins).map((p) => quantileType7(sorted, p) + 1);
  return { lower: [sorted[0] as number, ...edges], upper: [...edges, (sorted[sorted.length - 1] as number) + 1] };
}

/** The bin (1-based) of v: as R assigns scores in a loop, the last bin whose range holds v. */
function binOf(bins: RfmBins, v: number): number {
  for (let i = bins.lower.length - 1; i >= 0; i--) {
    if (v >= (bins.lower[i] as number) && v < (bins.upper[i] as number)) return i + 1;
  }
  return 0;
}

/**
 * One customer's scores against bins computed over the whole shop (rfmBins of each measure): the
 * same numbers rfmScoreColumns gives, so a run can fit the bins once and score shard by shard.
 */
export function rfmScoreWith(
  bins: { recency: RfmBins; frequency: RfmBins; monetary: RfmBins },
  recencyDays: number,
  frequency: number,
  monetary: number,
): { r: number; f: number; m: number; segment: RfmSegment } {
  const r = 6 - binOf(bins.recency, recencyDays);
  const f = binOf(bins.frequency, frequency);
  const m = binOf(bins.monetary, monetary);
  return { r, f, m, segment: rfmSegmentOf(r, f, m) };
}

export interface RfmColumns {
  r: Uint8Array;
  f: Uint8Array;
  m: Uint8Array;
  /** Index into RFM_SEGMENT_NAMES. */
  segment: Uint8Array;
  bins: { recency: RfmBins; frequency: RfmBins; monetary: RfmBins };
}

/**
 * Scores and segments for columns of measures (one entry per customer): the fast path for a
 * whole shop, in typed arrays. Every score depends only on the multiset of values, never on
 * their order.
 */
export function rfmScoreColumns(recencyDays: ArrayLike<number>, frequency: ArrayLike<number>, monetary: ArrayLike<number>): RfmColumns {
  const n = recencyDays.length;
  if (frequency.length !== n || monetary.length !== n) throw new RangeError('the three RFM columns must have one entry per customer');
  const bins = { recency: rfmBins(recencyDays), frequency: rfmBins(frequency), monetary: rfmBins(monetary) };
  const r = new Uint8Array(n);
  const f = new Uint8Array(n);
  const m = new Uint8Array(n);
  const segment = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const ri = 6 - binOf(bins.recency, recencyDays[i] as number);
    const fi = binOf(bins.frequency, frequency[i] as number);
    const mi = binOf(bins.monetary, monetary[i] as number);
    r[i] = ri;
    f[i] = fi;
    m[i] = mi;
    segment[i] = SEGMENT_OF_SCORE[(ri - 1) * 25 + (fi - 1) * 5 + (mi - 1)] as number;
  }
  return { r, f, m, segment, bins };
}

export interface RfmCustomer {
  customerId: string;
  recencyDays: number;
  frequency: number;
  monetary: number;
}

export interface RfmScore extends RfmCustomer {
  r: number;
  f: number;
  m: number;
  segment: RfmSegment;
}

const byCustomerId = (a: { customerId: string }, b: { customerId: string }) =>
  a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0;

/** Scores and segment per customer, sorted by customer id (code-unit order, the same on every machine). */
export function rfmScores(customers: readonly RfmCustomer[]): RfmScore[] {
  const sorted = [...customers].sort(byCustomerId);
  const columns = rfmScoreColumns(
    sorted.map((c) => c.recencyDays),
    sorted.map((c) => c.frequency),
    sorted.map((c) => c.monetary),
  );
  return sorted.map((c, i) => ({
    customerId: c.customerId,
    recencyDays: c.recencyDays,
    frequency: c.frequency,
    monetary: c.monetary,
    r: columns.r[i] as number,
    f: columns.f[i] as number,
    m: columns.m[i] as number,
    segment: RFM_SEGMENT_NAMES[columns.segment[i] as number] as RfmSegment,
  }));
}

export interface RfmOrder {
  customerId: string;
  /** 'YYYY-MM-DD' */
  date: string;
  revenue: number;
}

/**
 * The measures per customer from their orders at the analysis date, then the scores. Orders
 * after the analysis date are not known yet at that date and are left out. A customer's revenue
 * is summed smallest first, so the total (in floating point) is the same in any input order.
 */
export function rfmFromOrders(orders: readonly RfmOrder[], analysisDate: string): RfmScore[] {
  const analysisDay = isoDay(analysisDate);
  if (Number.isNaN(analysisDay)) throw new RangeError(`analysis date "${analysisDate}" is not a YYYY-MM-DD date`);
  const byCustomer = new Map<string, { last: number; revenues: number[] }>();
  for (const order of orders) {
    const day = isoDay(order.date);
    if (Number.isNaN(day)) throw new RangeError(`order date "${order.date}" of customer "${order.customerId}" is not a YYYY-MM-DD date`);
    if (day > analysisDay) continue;
    const entry = byCustomer.get(order.customerId);
    if (entry) {
      entry.last = Math.max(entry.last, day);
      entry.revenues.push(order.revenue);
    } else {
      byCustomer.set(order.customerId, { last: day, revenues: [order.revenue] });
    }
  }
  const customers: RfmCustomer[] = [];
  for (const [customerId, { last, revenues }] of byCustomer) {
    revenues.sort((a, b) => a - b);
    let monetary = 0;
    for (const revenue of revenues) monetary += revenue;
    customers.push({ customerId, recencyDays: analysisDay - last, frequency: revenues.length, monetary });
  }
  return rfmScores(customers);
}

export interface SegmentTotals {
  customers: number;
  orders: number;
  revenue: number;
}

/** rfm_segment_summary: customers, orders and revenue per segment present, in the scheme's order. */
export function segmentSummary(scores: readonly RfmScore[]): { segments: Partial<Record<RfmSegment, SegmentTotals>> } {
  const totals = new Map<RfmSegment, { customers: number; orders: number; revenues: number[] }>();
  for (const score of scores) {
    const entry = totals.get(score.segment) ?? { customers: 0, orders: 0, revenues: [] };
    entry.customers++;
    entry.orders += score.frequency;
    entry.revenues.push(score.monetary);
    totals.set(score.segment, entry);
  }
  const segments: Partial<Record<RfmSegment, SegmentTotals>> = {};
  for (const name of RFM_SEGMENT_NAMES) {
    const entry = totals.get(name);
    if (!entry) continue;
    let revenue = 0;
    for (const value of entry.revenues.sort((a, b) => a - b)) revenue += value;
    segments[name] = { customers: entry.customers, orders: entry.orders, revenue };
  }
  return { segments };
}

const RFM_USAGE = 'usage: rapport rfm --orders <file.csv> --analysis-date <YYYY-MM-DD> [--out scores.csv]';

/** Reads orders (customer_id, order_date, revenue — the reference file's columns) from CSV text. */
export function parseRfmOrdersCsv(text: string): RfmOrder[] {
  const { rows } = readCsvTable(text, ['customer_id', 'order_date', 'revenue']);
  return rows.map((row, k) => {
    const revenue = Number(row.revenue);
    const customerId = row.customer_id ?? '';
    if (customerId === '') throw new AnalyticsDataError(`row ${k + 2}: empty customer_id`);
    if (row.revenue === '' || !Number.isFinite(revenue))
      throw new AnalyticsDataError(`row ${k + 2}: revenue "${row.revenue}" is not a number`);
    if (Number.isNaN(isoDay(row.order_date ?? '')))
      throw new AnalyticsDataError(`row ${k + 2}: order_date "${row.order_date}" is not a YYYY-MM-DD date`);
    return { customerId, date: row.order_date as string, revenue };
  });
}

/**
 * `rapport rfm --orders <file.csv> --analysis-date <YYYY-MM-DD> [--out scores.csv]` (DESIGN §8):
 * prints `{"segments": {"<name>": {"customers", "orders", "revenue"}}}`; --out writes one row per
 * customer with the measures, the three scores and the segment. Throws AnalyticsUsageError for
 * bad arguments (exit 2) and AnalyticsDataError for an unreadable file (exit 1).
 */
export async function runRfmCommand(argv: string[]): Promise<{ stdout: string; exitCode: number }> {
  let values: { orders?: string; 'analysis-date'?: string; out?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { orders: { type: 'string' }, 'analysis-date': { type: 'string' }, out: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new AnalyticsUsageError(`${(error as Error).message}\n${RFM_USAGE}`);
  }
  if (!values.orders) throw new AnalyticsUsageError(`--orders is required\n${RFM_USAGE}`);
  const analysisDate = values['analysis-date'];
  if (!analysisDate || Number.isNaN(isoDay(analysisDate)) || analysisDate.length !== 10) {
    throw new AnalyticsUsageError(`--analysis-date must be a YYYY-MM-DD date\n${RFM_USAGE}`);
  }
  let text: string;
  try {
    text = await readFile(values.orders, 'utf8');
  } catch (error) {
    throw new AnalyticsDataError(`cannot read ${values.orders}: ${(error as Error).message}`);
  }
  let orders: RfmOrder[];
  try {
    orders = parseRfmOrdersCsv(text);
  } catch (error) {
    if (error instanceof CsvFormatError) throw new AnalyticsDataError(`${values.orders}: ${error.message}`);
    if (error instanceof AnalyticsDataError) throw new AnalyticsDataError(`${values.orders}: ${error.message}`);
    throw error;
  }
  const scores = rfmFromOrders(orders, analysisDate);
  if (values.out) {
    const csv = formatCsv(
      [
        'customer_id',
        'recency_days',
        'frequency',
        'monetary',
        'recency_score',
        'frequency_score',
        'monetary_score',
        'rfm_score',
        'segment',
      ],
      scores.map((s) => [s.customerId, s.recencyDays, s.frequency, s.monetary, s.r, s.f, s.m, s.r * 100 + s.f * 10 + s.m, s.segment]),
    );
    await writeFile(values.out, csv);
  }
  return { stdout: `${JSON.stringify(segmentSummary(scores), null, 2)}\n`, exitCode: 0 };
}
