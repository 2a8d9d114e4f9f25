import { LAST_CONTACT_PREFIX } from '#shared/data/keys.ts';
import { historyOf } from '#shared/data/profile-history.ts';
import { CONTACT_FIELDS } from '#shared/domain/contact.ts';
import { type Aggregates, aggregateHistory, emptyTotals } from '#shared/domain/history.ts';
import type { OrderSummary } from '#shared/domain/order.ts';

/**
 * The profile as the API shows it (DESIGN §3), computed from the stored item. Aggregates come from
 * the bounded order history (domain/history.ts): the folded totals plus the recent summaries.
 */

export interface Money {
  amount: number;
  currency: string;
}

export type { Aggregates };

/** The aggregates of a set of order summaries (as if none were folded): the oracle's view. */
export const aggregate = (summaries: Iterable<OrderSummary>): Aggregates =>
  aggregateHistory({ open: Object.fromEntries([...summaries].map((summary, i) => [String(i), summary])), base: emptyTotals() });

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
  const totals = aggregateHistory(historyOf(item));
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
