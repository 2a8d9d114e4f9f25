import type { Profile } from '#shared/data/profile-item.ts';
import { CONTACT_FIELDS } from '#shared/domain/contact.ts';
import { aggregateHistory } from '#shared/domain/history.ts';
import type { Money } from '#shared/domain/profile.ts';

/** A customer's name as the API shows it: first and last name, or null when neither is known. */
export const customerName = (profile: Profile): string | null =>
  [profile.contact.firstName, profile.contact.lastName].filter(Boolean).join(' ') || null;

/**
 * The profile as the API shows it (DESIGN §3). Aggregates come from the bounded order history
 * (domain/history.ts): the folded totals plus the recent summaries.
 */
export function profileView(profile: Profile, currency: string) {
  const totals = aggregateHistory(profile.history);
  const contact = Object.fromEntries(CONTACT_FIELDS.map((field) => [field, profile.contact[field] ?? null]));
  const iso = (stamp: number | undefined) => (stamp === undefined ? null : new Date(stamp).toISOString());
  return {
    shopId: profile.shopId,
    customerId: profile.customerId,
    email: contact.email,
    phone: contact.phone,
    name: customerName(profile),
    firstName: contact.firstName,
    lastName: contact.lastName,
    locale: contact.locale,
    birthday: contact.birthday,
    gender: contact.gender,
    country: contact.country,
    city: contact.city,
    externalIds: profile.externalIds,
    consent: { email: profile.suppressed ? 'suppressed' : (contact.consentEmail ?? 'unsubscribed') },
    orderCount: totals.orderCount,
    totalSpent: { amount: totals.totalSpent, currency } satisfies Money,
    refunded: { amount: totals.refunded, currency } satisfies Money,
    firstOrderAt: totals.firstOrderAt,
    lastOrderAt: totals.lastOrderAt,
    spendByMonth: totals.spendByMonth,
    topCategories: totals.topCategories,
    tier: profile.loyalty.tier ?? null,
    points: { balance: profile.loyalty.balance, lifetime: profile.loyalty.lifetime },
    rfm: profile.derived.rfm ?? null,
    clv: profile.derived.clv ?? null,
    segments: profile.derived.segments ?? [],
    lastContact: profile.lastContact,
    feedback: {
      nps: profile.feedback.nps ?? null,
      npsAt: iso(profile.feedback.npsAt),
      csat: profile.feedback.csat ?? null,
      csatAt: iso(profile.feedback.csatAt),
    },
    ...(profile.dataRequestedAt ? { dataRequestedAt: profile.dataRequestedAt } : {}),
    ...(profile.erasedAt ? { erasedAt: profile.erasedAt } : {}),
    createdAt: profile.createdAt as string,
  };
}

export type ProfileView = ReturnType<typeof profileView>;
