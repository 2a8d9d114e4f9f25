import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '#shared/analytics/csv.ts';
import { AnalyticsDataError, AnalyticsUsageError } from '#shared/analytics/errors.ts';
import {
  parseRfmOrdersCsv,
  RFM_SEGMENT_NAMES,
  type RfmCustomer,
  rfmBins,
  rfmFromOrders,
  rfmScores,
  rfmSegmentOf,
  runRfmCommand,
  segmentSummary,
} from '#shared/analytics/rfm.ts';

const ORDERS_FILE = 'test/fixtures/rfm/rfm_data_orders.csv';
const orders = parseRfmOrdersCsv(readFileSync(ORDERS_FILE, 'utf8'));
const scores = rfmFromOrders(orders, '2006-12-31');

/**
 * rfm 0.3.0's own output for this data and date: `rfm_segment_summary(segments)` and the first
 * rows of `rfm_table_order(...)` / `rfm_segment(...)`, as printed in the package's vignette
 * "RFM - Introduction" (rsquaredacademy/rfm, docs/articles/rfm-introduction.html).
 */
const PUBLISHED_SUMMARY = {
  'About To Sleep': { customers: 102, orders: 283, revenue: 23449 },
  'At Risk': { customers: 28, orders: 216, revenue: 22227 },
  "Can't Lose Them": { customers: 47, orders: 274, revenue: 32446 },
  Champions: { customers: 35, orders: 316, revenue: 31646 },
  Lost: { customers: 148, orders: 393, revenue: 35324 },
  'Loyal Customers': { customers: 170, orders: 799, revenue: 76562 },
  'Need Attention': { customers: 10, orders: 57, revenue: 4562 },
  'New Customers': { customers: 104, orders: 329, revenue: 28837 },
  'Potential Loyalist': { customers: 342, orders: 2211, revenue: 204856 },
  Promising: { customers: 9, orders: 28, revenue: 4249 },
};

// customer, recency_days, transaction_count, amount, rfm_score, segment
const PUBLISHED_CUSTOMERS: [string, number, number, number, number, string][] = [
  ["Abbey O'Reilly", 205, 6, 472, 343, 'Potential Loyalist'],
  ['Add Senger', 140, 3, 340, 412, 'New Customers'],
  ['Aden Lesch', 194, 4, 405, 323, 'Loyal Customers'],
  ['Aden Murphy', 98, 7, 596, 544, 'Potential Loyalist'],
  ['Admiral Senger', 132, 5, 448, 433, 'Potential Loyalist'],
  ["Agness O'Keefe", 90, 9, 843, 555, 'Champions'],
  ['Aileen Barton', 84, 9, 763, 555, 'Champions'],
  ['Ailene Hermann', 281, 8, 699, 355, 'Potential Loyalist'],
  ['Aiyanna Bruen', 246, 4, 157, 321, 'About To Sleep'],
  ['Akeelah Walsh', 160, 7, 779, 445, 'Potential Loyalist'],
];

/** The textbook definition of a type-7 quantile, written independently of the engine's R transcription. */
function textbookQuantile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const fraction = position - below;
  const lo = sorted[below] as number;
  const hi = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return lo + fraction * (hi - lo);
}

describe('RFM — the reference run (rfm_data_orders, analysis date 2006-12-31)', () => {
  it('counts every customer and order once', () => {
    expect(scores).toHaveLength(995);
    expect(scores.reduce((sum, s) => sum + s.frequency, 0)).toBe(4906);
    const { segments } = segmentSummary(scores);
    const totals = Object.values(segments);
    expect(totals.reduce((sum, t) => sum + t.customers, 0)).toBe(995);
    expect(totals.reduce((sum, t) => sum + t.orders, 0)).toBe(4906);
    expect(totals.reduce((sum, t) => sum + t.revenue, 0)).toBe(orders.reduce((sum, o) => sum + o.revenue, 0));
  });

  it("reproduces rfm 0.3.0's published segment summary exactly", () => {
    expect(segmentSummary(scores)).toEqual({ segments: PUBLISHED_SUMMARY });
    // and lists the segments in the scheme's order
    expect(Object.keys(segmentSummary(scores).segments)).toEqual(RFM_SEGMENT_NAMES.filter((name) => name in PUBLISHED_SUMMARY));
  });

  it("reproduces rfm 0.3.0's published scores of the first customers", () => {
    for (const [customerId, recencyDays, frequency, monetary, rfmScore, segment] of PUBLISHED_CUSTOMERS) {
      const score = scores.find((s) => s.customerId === customerId);
      expect(score, customerId).toMatchObject({ recencyDays, frequency, monetary, segment });
      expect((score?.r ?? 0) * 100 + (score?.f ?? 0) * 10 + (score?.m ?? 0), customerId).toBe(rfmScore);
    }
  });

  it('uses quintile edges (+1) that an independent computation agrees with', () => {
    const measures = {
      recency: scores.map((s) => s.recencyDays),
      frequency: scores.map((s) => s.frequency),
      monetary: scores.map((s) => s.monetary),
    };
    for (const values of Object.values(measures)) {
      const bins = rfmBins(values);
      const edges = [0.2, 0.4, 0.6, 0.8].map((p) => textbookQuantile(values, p) + 1);
      for (const [i, edge] of edges.entries()) expect(bins.lower[i + 1]).toBeCloseTo(edge, 9);
      expect(bins.lower[0]).toBe(Math.min(...values));
      expect(bins.upper[4]).toBe(Math.max(...values) + 1);
    }
    // by hand: 995 customers, so the 20 % quantile sits at sorted position 198.8 (0-based), etc.
    expect(rfmBins(measures.frequency).lower).toEqual([1, 4, 5, 6, 8]);
    expect(rfmBins(measures.recency).lower.map((v) => Math.round(v * 10) / 10)).toEqual([1, 115, 181, 297.4, 482]);
    expect(rfmBins(measures.monetary).lower.map((v) => Math.round(v * 10) / 10)).toEqual([12, 255.8, 382, 506.4, 666]);
  });

  it('scores a few customers the way the bins say, checked by hand', () => {
    // frequency bins [1,4) [4,5) [5,6) [6,8) [8,15): 6 orders → 4, 3 orders → 1, 9 → 5
    // recency bins [1,115) [115,181) [181,297.4) [297.4,482) [482,977) reversed: 205 days → 3, 140 → 4, 84 → 5
    // monetary bins [12,255.8) [255.8,382) [382,506.4) [506.4,666) [666,1489): 472 → 3, 340 → 2, 763 → 5
    const get = (id: string) => scores.find((s) => s.customerId === id);
    expect(get("Abbey O'Reilly")).toMatchObject({ r: 3, f: 4, m: 3 });
    expect(get('Add Senger')).toMatchObject({ r: 4, f: 1, m: 2 });
    expect(get('Aileen Barton')).toMatchObject({ r: 5, f: 5, m: 5 });
  });
});

describe('RFM — the scheme', () => {
  it('tests segments in order, first match wins', () => {
    expect(rfmSegmentOf(5, 5, 5)).toBe('Champions');
    expect(rfmSegmentOf(5, 5, 4)).toBe('Potential Loyalist');
    expect(rfmSegmentOf(3, 2, 3)).toBe('Loyal Customers');
    expect(rfmSegmentOf(3, 1, 5)).toBe('Promising');
    expect(rfmSegmentOf(5, 1, 1)).toBe('New Customers');
    expect(rfmSegmentOf(2, 3, 5)).toBe("Can't Lose Them");
    expect(rfmSegmentOf(1, 5, 5)).toBe('At Risk');
    expect(rfmSegmentOf(1, 3, 3)).toBe('Need Attention');
    expect(rfmSegmentOf(2, 1, 1)).toBe('About To Sleep');
    expect(rfmSegmentOf(1, 1, 1)).toBe('Lost');
    expect(rfmSegmentOf(2, 5, 1)).toBe('Others');
  });

  it('puts equal values in one bin: ties never split', () => {
    const customers = Array.from({ length: 10 }, (_, i) => ({
      customerId: `c${i}`,
      recencyDays: 30,
      frequency: i < 5 ? 1 : 2,
      monetary: 100,
    }));
    const result = rfmScores(customers);
    expect(new Set(result.map((s) => s.r))).toEqual(new Set([5]));
    expect(new Set(result.filter((s) => s.frequency === 1).map((s) => s.f)).size).toBe(1);
    expect(new Set(result.filter((s) => s.frequency === 2).map((s) => s.f)).size).toBe(1);
    expect(new Set(result.map((s) => s.m))).toEqual(new Set([1]));
  });

  it('leaves out orders after the analysis date', () => {
    const result = rfmFromOrders(
      [
        { customerId: 'a', date: '2026-01-10', revenue: 10 },
        { customerId: 'a', date: '2026-02-10', revenue: 20 },
        { customerId: 'b', date: '2026-03-10', revenue: 5 },
      ],
      '2026-01-31',
    );
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ customerId: 'a', recencyDays: 21, frequency: 1, monetary: 10 });
  });

  it('scores the same whatever order the orders come in', () => {
    const sample = orders.slice(0, 600);
    const expected = rfmFromOrders(sample, '2006-12-31');
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: sample.length, maxLength: sample.length }), (keys) => {
        const shuffled = sample.map((order, i) => ({ order, key: keys[i] as number })).sort((a, b) => a.key - b.key);
        expect(
          rfmFromOrders(
            shuffled.map((entry) => entry.order),
            '2006-12-31',
          ),
        ).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  });

  it('scores the same whatever order the customers come in (any measures)', () => {
    const customer = fc.record({
      recencyDays: fc.integer({ min: 0, max: 400 }),
      frequency: fc.integer({ min: 1, max: 12 }),
      monetary: fc.double({ min: 0.01, max: 5000, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(customer, { minLength: 1, maxLength: 60 }), fc.integer(), (measures, seed) => {
        const customers: RfmCustomer[] = measures.map((m, i) => ({ customerId: `c${String(i).padStart(3, '0')}`, ...m }));
        const shuffled = [...customers].sort(
          (a, b) => ((a.customerId.charCodeAt(3) * seed) % 7) - ((b.customerId.charCodeAt(3) * seed) % 7),
        );
        const scored = rfmScores(customers);
        expect(rfmScores(shuffled)).toEqual(scored);
        for (const s of scored) {
          for (const value of [s.r, s.f, s.m]) expect(value >= 1 && value <= 5).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('rapport rfm', () => {
  it('prints the segment summary and writes the scores', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rapport-rfm-')), 'scores.csv');
    const result = await runRfmCommand(['--orders', ORDERS_FILE, '--analysis-date', '2006-12-31', '--out', out]);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ segments: PUBLISHED_SUMMARY });
    const [header, ...rows] = parseCsv(readFileSync(out, 'utf8'));
    expect(header).toEqual([
      'customer_id',
      'recency_days',
      'frequency',
      'monetary',
      'recency_score',
      'frequency_score',
      'monetary_score',
      'rfm_score',
      'segment',
    ]);
    expect(rows).toHaveLength(995);
    expect(rows.find((row) => row[0] === "Agness O'Keefe")).toEqual([
      "Agness O'Keefe",
      '90',
      '9',
      '843',
      '5',
      '5',
      '5',
      '555',
      'Champions',
    ]);
  });

  it('refuses a missing or malformed option, and a file without the columns', async () => {
    await expect(runRfmCommand(['--analysis-date', '2006-12-31'])).rejects.toThrow(AnalyticsUsageError);
    await expect(runRfmCommand(['--orders', ORDERS_FILE, '--analysis-date', '31/12/2006'])).rejects.toThrow(AnalyticsUsageError);
    await expect(runRfmCommand(['--orders', ORDERS_FILE, '--analysis-date', '2006-12-31', '--bogus'])).rejects.toThrow(AnalyticsUsageError);
    await expect(runRfmCommand(['--orders', 'test/fixtures/cdnow/SOURCE.md', '--analysis-date', '2006-12-31'])).rejects.toThrow(
      AnalyticsDataError,
    );
    await expect(runRfmCommand(['--orders', 'no/such/file.csv', '--analysis-date', '2006-12-31'])).rejects.toThrow(AnalyticsDataError);
  });
});
