import { LAST_CONTACT_PREFIX, ORDER_SUMMARY_PREFIX } from '#shared/data/keys.ts';
import { CONTACT_FIELDS } from '#shared/domain/contact.ts';
import { counts, netOf, type OrderSummary } from '#shared/domain/order.ts';

/**
 * The profile as the API shows it (DESIGN §3), computed from the stored item. Aggregates are
 * derived from the order summaries on every read, never stored beside them, so they cannot drift.
 */

export interface Money {
  amount: number;
  currency: string;
}

export interface Aggregates {
  orderCount: number;
  totalSpent: number;
  refunded: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  spendByMonth: Record<string, number>;
  topCategories: string[];
}

export function orderSummaries(item: Record<string, unknown>): Map<string, OrderSummary> {
  const summaries = new Map<string, OrderSummary>();
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(ORDER_SUMMARY_PREFIX)) summaries.set(name.slice(ORDER_SUMMARY_PREFIX.length), value as OrderSummary);
  }
  return summaries;
}

const isoOfSeconds = (seconds: number) => new Date(seconds * 1000).toISOString();

export function aggregate(summaries: Iterable<OrderSummary>): Aggregates {
  let orderCount = 0;
  let totalSpent = 0;
  let refunded = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  const spendByMonth: Record<string, number> = {};
  const byCategory = new Map<string, number>();
  for (const summary of summaries) {
    if (summary.s !== 'cancelled' && summary.s !== 'pending') refunded += summary.r;
    if (!counts(summary)) continue;
    orderCount++;
    totalSpent += netOf(summary);
    first = Math.min(first, summary.c);
    last = Math.max(last, summary.c);
    const month = isoOfSeconds(summary.c).slice(0, 7);
    spendByMonth[month] = (spendByMonth[month] ?? 0) + netOf(summary);
    for (const [category, amount] of Object.entries(summary.k ?? {})) {
      byCategory.set(category, (byCategory.get(category) ?? 0) + amount);
    }
  }
  const topCategories = [...byCategory.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 5)
    .map(([category]) => category);
  return {
    orderCount,
    totalSpent,
    refunded,
    firstOrderAt: orderCount > 0 ? isoOfSeconds(first) : null,
    lastOrderAt: orderCount > 0 ? isoOfSeconds(last) : null,
    spendByMonth,
    topCategories,
  };
}

/** When a last-writer-wins field was last set (its stamp), as ISO time. */
function stampOf(item: Record<string, unknown>, field: string): string | null {
  const stamp = item[`t_${field}`];
  return typeof stamp === 'number' ? new Date(stamp).toISOString() : null;
}

/** The last contact per channel: `{ "phone": "2026-03-01T10:00:00.000Z", ... }`. */
function lastContactOf(item: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(item)
      .filter(([name]) => name.startsWith(LAST_CONTACT_PREFIX))
      .map(([name, value]) => [name.slice(LAST_CONTACT_PREFIX.length), value as string]),
  );
}

/** Shop and customer ids, read from the profile's key (SHOP#{shopId}#C#{customerId}). */
function idsOf(item: Record<string, unknown>) {
  const match = /^SHOP#(.+)#C#([^#]+)$/.exec(String(item.PK));
  return { shopId: match?.[1] ?? '', customerId: match?.[2] ?? '' };
}

export function profileView(item: Record<string, unknown>, currency: string) {
  const totals = aggregate(orderSummaries(item).values());
  const contact = Object.fromEntries(CONTACT_FIELDS.map((field) => [field, (item[field] as string | undefined) ?? null]));
  const name = [contact.firstName, contact.lastName].filter(Boolean).join(' ') || null;
  return {
    ...idsOf(item),
    email: contact.email,
    phone: contact.phone,
    name,
    firstName: contact.firstName,
    lastName: contact.lastName,
    locale: contact.locale,
    birthday: contact.birthday,
    gender: contact.gender,
    country: contact.country,
    city: contact.city,
    externalIds: [...((item.externalIds as Set<string> | undefined) ?? [])].sort(),
    consent: { email: item.suppressed ? 'suppressed' : (contact.consentEmail ?? 'unsubscribed') },
    orderCount: totals.orderCount,
    totalSpent: { amount: totals.totalSpent, currency } satisfies Money,
    refunded: { amount: totals.refunded, currency } satisfies Money,
    firstOrderAt: totals.firstOrderAt,
    lastOrderAt: totals.lastOrderAt,
    spendByMonth: totals.spendByMonth,
    topCategories: totals.topCategories,
    tier: (item.tier as string | undefined) ?? null,
    points: { balance: (item.pointsBalance as number | undefined) ?? 0, lifetime: (item.pointsLifetime as number | undefined) ?? 0 },
    rfm: item.rfm ?? null,
    clv: item.clv ?? null,
    segments: (item.segments as string[] | undefined) ?? [],
    lastContact: lastContactOf(item),
    feedback: {
      nps: (item.nps as number | undefined) ?? null,
      npsAt: stampOf(item, 'nps'),
      csat: (item.csat as number | undefined) ?? null,
      csatAt: stampOf(item, 'csat'),
    },
    ...(item.dataRequestedAt ? { dataRequestedAt: item.dataRequestedAt as string } : {}),
    ...(item.erasedAt ? { erasedAt: item.erasedAt as string } : {}),
    createdAt: item.createdAt as string,
  };
}

export type ProfileView = ReturnType<typeof profileView>;
