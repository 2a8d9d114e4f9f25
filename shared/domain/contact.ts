import type { EventCustomer } from '#shared/domain/event.ts';
import { normalizeEmail, normalizePhone } from '#shared/domain/identity.ts';

/**
 * Contact details converge field by field: each field keeps the value from the newest event that
 * carried it (last writer wins per field, ties broken by the larger value). Whatever order the
 * deliveries arrive in, the profile ends up the same. A field an event does not carry is left as is.
 */

export const CONTACT_FIELDS = [
  'email',
  'phone',
  'firstName',
  'lastName',
  'locale',
  'birthday',
  'country',
  'city',
  'gender',
  'consentEmail',
] as const;

export type ContactField = (typeof CONTACT_FIELDS)[number];
export type Contact = Partial<Record<ContactField, string>>;

export function contactOf(customer: EventCustomer, defaultCountry?: string): Contact {
  const contact: Contact = {
    email: normalizeEmail(customer.email),
    phone: normalizePhone(customer.phone, defaultCountry),
    firstName: customer.firstName?.trim() || undefined,
    lastName: customer.lastName?.trim() || undefined,
    locale: customer.locale,
    birthday: customer.birthday,
    country: customer.country?.toUpperCase(),
    city: customer.city?.trim() || undefined,
    gender: customer.gender,
    consentEmail: customer.acceptsEmailMarketing === undefined ? undefined : customer.acceptsEmailMarketing ? 'subscribed' : 'unsubscribed',
  };
  for (const field of CONTACT_FIELDS) if (contact[field] === undefined) delete contact[field];
  return contact;
}

/**
 * The fields of `incoming` (stamped `at`, epoch ms) that beat what `stored` holds. Any profile
 * field kept last-writer-wins uses this rule: contact details, last contact per channel, the
 * latest NPS and CSAT answers.
 */
export function winningFields<F extends string>(
  stored: { values: Record<string, unknown>; stamps: Record<string, number> },
  incoming: Partial<Record<F, string | number>>,
  at: number,
): F[] {
  return (Object.keys(incoming) as F[]).filter((field) => {
    const value = incoming[field];
    if (value === undefined) return false;
    const storedAt = stored.stamps[field];
    if (typeof storedAt !== 'number') return true;
    if (at !== storedAt) return at > storedAt;
    // Same instant: the larger value wins, and a value erased at that instant stays erased.
    return stored.values[field] !== undefined && String(value) > String(stored.values[field]);
  });
}
