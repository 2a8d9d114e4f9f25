import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/min';
import type { EventCustomer } from '#shared/domain/event.ts';

/** How a customer is named: an external id (namespaced by source), an email, a phone. */
export type IdentityKind = 'ext' | 'email' | 'phone';

/**
 * Identify: which keys name a customer, in the order they are trusted. An external id (the shop's
 * own customer id) beats an email, which beats a phone number.
 */

export interface IdentityRef {
  kind: IdentityKind;
  value: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(raw: string | undefined): string | undefined {
  const email = raw?.trim().toLowerCase();
  return email && EMAIL.test(email) ? email : undefined;
}

/** E.164, or undefined when the number cannot be read even with the shop's default country. */
export function normalizePhone(raw: string | undefined, defaultCountry?: string): string | undefined {
  if (!raw?.trim()) return undefined;
  const parsed = parsePhoneNumberFromString(raw, defaultCountry as CountryCode | undefined);
  return parsed?.isPossible() ? parsed.number : undefined;
}

/** The identity keys an event's customer carries, most trusted first. */
export function identityRefs(customer: EventCustomer, defaultCountry?: string): IdentityRef[] {
  const refs: IdentityRef[] = [];
  if (customer.externalId) refs.push({ kind: 'ext', value: customer.externalId });
  const email = normalizeEmail(customer.email);
  if (email) refs.push({ kind: 'email', value: email });
  const phone = normalizePhone(customer.phone, defaultCountry);
  if (phone) refs.push({ kind: 'phone', value: phone });
  return refs;
}

/** The region a bare national phone number is read in: the shop's locale (`vi-VN` → VN). */
export function regionOfLocale(locale: string | undefined): string | undefined {
  const region = locale?.split(/[-_]/)[1];
  return region && /^[A-Za-z]{2}$/.test(region) ? region.toUpperCase() : undefined;
}
