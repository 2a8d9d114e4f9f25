import { readCsvTable } from './csv.ts';
import { AnalyticsDataError } from './errors.ts';
import { dayNumber, isoDay } from './numeric.ts';

/**
 * From transactions to the per-customer summary the CLV models read, exactly as the published
 * CDNOW analyses (Fader, Hardie & Lee 2005; lifetimes' summary_data_from_transaction_data):
 * purchases on the same day are one purchase (their amounts added); in the calibration period
 * (up to and including its last day) frequency x = purchase days − 1, recency tₓ = last − first
 * purchase, T = calibration end − first purchase, both in the time unit (days / 7 for weeks), and
 * monetary = the mean amount of the repeat purchase days (the first purchase is excluded, as the
 * Gamma-Gamma model requires). Purchase days after the calibration end, up to the observation
 * end, are the holdout.
 */

export interface Transaction {
  customerId: string;
  /** Days since 1970-01-01 (see numeric.ts dayNumber / isoDay). */
  day: number;
  amount: number;
}

export type TimeUnit = 'week' | 'day';
export const UNIT_DAYS: Record<TimeUnit, number> = { week: 7, day: 1 };

export interface ClvCustomer {
  customerId: string;
  /** x: repeat purchase days in the calibration period. */
  frequency: number;
  /** tₓ, in units. */
  recency: number;
  /** T, in units. */
  T: number;
  /** Mean repeat-day amount; 0 when frequency is 0. */
  monetary: number;
  /** The first purchase day's amount (used by the historical fallback for one-time buyers). */
  firstAmount: number;
  /** Purchase days after the calibration end, up to the observation end. */
  holdoutPurchases: number;
}

export interface TransactionSummary {
  /** Customers whose first purchase is in the calibration period, sorted by id. */
  customers: ClvCustomer[];
  /** Customers whose first purchase came after the calibration end: not in the model. */
  acquiredAfterCalibration: number;
  calibrationEndDay: number;
  /** The last transaction day seen (the end of the holdout period when past the calibration end). */
  lastDay: number;
  unit: TimeUnit;
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Summarizes transactions per customer. Days and same-day amounts are sorted before they are
 * added, so the result — to the last bit — does not depend on the input order.
 */
export function summarizeTransactions(
  transactions: Iterable<Transaction>,
  options: { calibrationEndDay: number; unit: TimeUnit },
): TransactionSummary {
  const { calibrationEndDay, unit } = options;
  const unitDays = UNIT_DAYS[unit];
  const byCustomer = new Map<string, { days: number[]; amounts: number[] }>();
  let lastDay = Number.NEGATIVE_INFINITY;
  for (const t of transactions) {
    let entry = byCustomer.get(t.customerId);
    if (!entry) {
      entry = { days: [], amounts: [] };
      byCustomer.set(t.customerId, entry);
    }
    entry.days.push(t.day);
    entry.amounts.push(t.amount);
    if (t.day > lastDay) lastDay = t.day;
  }
  const customers: ClvCustomer[] = [];
  let acquiredAfterCalibration = 0;
  for (const customerId of [...byCustomer.keys()].sort(byId)) {
    const { days, amounts } = byCustomer.get(customerId) as { days: number[]; amounts: number[] };
    const order = days
      .map((_, i) => i)
      .sort((i, j) => (days[i] as number) - (days[j] as number) || (amounts[i] as number) - (amounts[j] as number));
    // purchase days with their total amounts, in day order
    const purchaseDays: number[] = [];
    const dayTotals: number[] = [];
    for (const i of order) {
      const day = days[i] as number;
      if (purchaseDays[purchaseDays.length - 1] === day)
        dayTotals[dayTotals.length - 1] = (dayTotals[dayTotals.length - 1] as number) + (amounts[i] as number);
      else {
        purchaseDays.push(day);
        dayTotals.push(amounts[i] as number);
      }
    }
    const first = purchaseDays[0] as number;
    if (first > calibrationEndDay) {
      acquiredAfterCalibration++;
      continue;
    }
    let calibrationDays = 0;
    let last = first;
    let repeatTotal = 0;
    let holdoutPurchases = 0;
    for (let k = 0; k < purchaseDays.length; k++) {
      const day = purchaseDays[k] as number;
      if (day <= calibrationEndDay) {
        calibrationDays++;
        last = day;
        if (k > 0) repeatTotal += dayTotals[k] as number;
      } else {
        holdoutPurchases++;
      }
    }
    const frequency = calibrationDays - 1;
    customers.push({
      customerId,
      frequency,
      recency: (last - first) / unitDays,
      T: (calibrationEndDay - first) / unitDays,
      monetary: frequency > 0 ? repeatTotal / frequency : 0,
      firstAmount: dayTotals[0] as number,
      holdoutPurchases,
    });
  }
  return { customers, acquiredAfterCalibration, calibrationEndDay, lastDay, unit };
}

/**
 * CDNOW's text files: whitespace-separated master id, sample id, yyyymmdd, CDs, dollars
 * (CDNOW_sample) or id, yyyymmdd, CDs, dollars (CDNOW_master, with a header line). The customer
 * is the sample id when there is one, as in the published analyses (it numbers the 2,357 sampled
 * customers 1…2357), else the id.
 */
export function parseCdnow(text: string): Transaction[] {
  const transactions: Transaction[] = [];
  const lines = text.split(/\r?\n/);
  for (let k = 0; k < lines.length; k++) {
    const fields = (lines[k] as string).trim().split(/\s+/);
    if (fields.length === 1 && fields[0] === '') continue;
    if (fields.length !== 4 && fields.length !== 5)
      throw new AnalyticsDataError(`line ${k + 1}: expected 4 or 5 fields, found ${fields.length}`);
    const [id, date, , dollars] = fields.length === 5 ? fields.slice(1) : fields;
    if (!/^\d{8}$/.test(date as string)) {
      if (k === 0) continue; // CDNOW_master's header
      throw new AnalyticsDataError(`line ${k + 1}: date "${date}" is not yyyymmdd`);
    }
    const d = date as string;
    const day = dayNumber(Number(d.slice(0, 4)), Number(d.slice(4, 6)), Number(d.slice(6, 8)));
    const amount = Number(dollars);
    if (!Number.isFinite(amount)) throw new AnalyticsDataError(`line ${k + 1}: amount "${dollars}" is not a number`);
    transactions.push({ customerId: id as string, day, amount });
  }
  return transactions;
}

/** The csv format: header customer_id,date,amount; ISO dates, amounts in currency units. */
export function parseTransactionsCsv(text: string): Transaction[] {
  const { rows } = readCsvTable(text, ['customer_id', 'date', 'amount']);
  return rows.map((row, k) => {
    const day = isoDay(row.date ?? '');
    const amount = Number(row.amount);
    if (!row.customer_id) throw new AnalyticsDataError(`row ${k + 2}: empty customer_id`);
    if (Number.isNaN(day)) throw new AnalyticsDataError(`row ${k + 2}: date "${row.date}" is not a YYYY-MM-DD date`);
    if (row.amount === '' || !Number.isFinite(amount)) throw new AnalyticsDataError(`row ${k + 2}: amount "${row.amount}" is not a number`);
    return { customerId: row.customer_id, day, amount };
  });
}
