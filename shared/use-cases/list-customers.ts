import * as z from 'zod';
import {
  customerIdOfEntry,
  customerListPage,
  customerSearchPage,
  type ListedValues,
  sortValueOf,
} from '#shared/data/customer-list-repo.ts';
import { getIdentityOwner, getProfiles } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { profileKey } from '#shared/data/keys.ts';
import { type Profile, profileOf } from '#shared/data/profile-item.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { aggregateHistory } from '#shared/domain/history.ts';
import { normalizeEmail, normalizePhone, regionOfLocale } from '#shared/domain/identity.ts';
import type { Money } from '#shared/domain/profile.ts';
import { lookupWordOf, matchesSearch, searchQueryOf, searchTokensOf } from '#shared/domain/search.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { profileView } from '#shared/use-cases/profile-view.ts';

/**
 * GET /v1/customers?sort=&q=&limit=&cursor=: a page of the shop's customers for the console —
 * newest order first (`sort=lastOrderAt`, the default), largest total spent (`totalSpent`) or
 * largest 12-month value (`clv`) first, or found by the start of a name, email or phone (`q`).
 *
 * From the lists the scheduled run keeps (customer-list-repo.ts): one Query for the page's
 * positions, one BatchGetItem for the rows, which are the profiles as they are now. The positions
 * are as of the last run (daily, or POST /v1/runs): a customer created since is not listed yet, and
 * one who ordered since is at the place the run saw. A `q` that is a whole email address or phone
 * number is also looked up exactly (the identity item the processor writes), so a customer
 * created a minute ago is found by it at once.
 */

export const CustomerListQuerySchema = z
  .object({
    sort: z.enum(['lastOrderAt', 'totalSpent', 'clv']).optional(),
    q: z.string().trim().min(1).max(100).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(1024).optional(),
  })
  .refine((query) => query.sort === undefined || query.q === undefined, {
    path: ['sort'],
    message: 'sort does not apply to a search (q): customers found come in the order of the name, email or phone that matched',
  });

/** The entry that stands for the exact match (`=#{customerId}`): not a list entry. */
const EXACT = '=#';

/** Where the last answer stopped: the list read (`s`: a sort, or the search word) and its last key. */
const CursorSchema = z.object({ s: z.string().max(100), k: z.string().max(400) });

function decodeCursor(cursor: string | undefined, list: string): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const decoded = CursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (decoded.s === list) return decoded.k;
  } catch {
    // answered below, as any cursor this API did not give out
  }
  throw new ValidationError('cursor', 'cursor is not one this API gave out for this sort or search');
}

const encodeCursor = (list: string, lastSk: string | undefined) =>
  lastSk === undefined ? {} : { cursor: Buffer.from(JSON.stringify({ s: list, k: lastSk })).toString('base64url') };

/** What the lists hold a customer under (none when erased): the run computes it, from the profile and the value it just scored. */
export function listedValuesOf(profile: Profile, clv: number | undefined): ListedValues | undefined {
  if (profile.erasedAt !== undefined) return undefined;
  const totals = aggregateHistory(profile.history);
  return {
    ...(totals.lastOrderAt ? { lastOrderAt: totals.lastOrderAt } : {}),
    totalSpent: totals.totalSpent,
    ...(clv === undefined ? {} : { clv }),
    tokens: searchTokensOf(profile.contact),
  };
}

/** A row of the list: the profile's fields a table shows. */
function customerRow(profile: Profile, currency: string) {
  const view = profileView(profile, currency);
  return {
    customerId: view.customerId,
    name: view.name,
    email: view.email,
    phone: view.phone,
    tier: view.tier,
    points: view.points.balance,
    orderCount: view.orderCount,
    totalSpent: view.totalSpent,
    lastOrderAt: view.lastOrderAt,
    rfmSegment: view.rfm?.segment ?? null,
    clv: view.clv ? ({ amount: view.clv.expectedValue12m, currency } satisfies Money) : null,
    consent: view.consent,
    createdAt: view.createdAt,
  };
}

export type CustomerRow = ReturnType<typeof customerRow>;

interface Deps {
  db: Db;
}

export async function listCustomers(shop: ShopRecord, query: Record<string, string | undefined>, deps: Deps) {
  const { sort, q, limit, cursor } = parseOrThrow(CustomerListQuerySchema, query, 'query');
  if (q !== undefined) return searchCustomers(shop, q, limit, cursor, deps);
  const by = sort ?? 'lastOrderAt';
  const page = await customerListPage(deps.db, shop.shopId, by, limit, decodeCursor(cursor, by));
  // An entry the profile does not name (left behind by a run cut short) is not the customer's place.
  const rows = await rowsOf(
    shop,
    page.entries,
    deps.db,
    (listed, entry) => listed !== undefined && `${sortValueOf(by, listed)}#${customerIdOfEntry(entry)}` === entry,
  );
  return { items: rows, ...encodeCursor(by, page.lastSk) };
}

async function searchCustomers(shop: ShopRecord, q: string, limit: number, cursor: string | undefined, deps: Deps) {
  const query = searchQueryOf(q);
  if (!query) throw new ValidationError('query.q', 'query.q: type part of a name, an email address or a phone number');
  const word = lookupWordOf(query);
  const after = decodeCursor(cursor, `q:${word}`);
  const [page, exact] = await Promise.all([
    customerSearchPage(deps.db, shop.shopId, word, limit, after),
    after === undefined ? exactMatch(shop, q, deps.db) : Promise.resolve(undefined),
  ]);
  const entries = [...(exact ? [`${EXACT}${exact}`] : []), ...page.entries];
  // Each customer once over all the pages: at the first of their tokens the word starts (a customer
  // found by `an` through both "an" and "an@example.com" is shown at "an"), and by the exact match
  // only when no entry of theirs can show them.
  const canonical = (listed: ListedValues | undefined) =>
    listed && matchesSearch(listed.tokens, query) ? listed.tokens.filter((token) => token.startsWith(word)).sort()[0] : undefined;
  const rows = await rowsOf(shop, entries, deps.db, (listed, entry) =>
    entry.startsWith(EXACT) ? canonical(listed) === undefined : canonical(listed) === entry.slice(0, entry.lastIndexOf('#')),
  );
  return { items: rows, ...encodeCursor(`q:${word}`, page.lastSk) };
}

/** The customer a whole email address or phone number names now (the processor's identity item): found before any run lists them. */
async function exactMatch(shop: ShopRecord, q: string, db: Db): Promise<string | undefined> {
  const email = q.includes('@') ? normalizeEmail(q) : undefined;
  const phone = !email && /^\+?[\d\s().-]{8,}$/.test(q) ? normalizePhone(q, regionOfLocale(shop.locale)) : undefined;
  if (email) return getIdentityOwner(db, shop.shopId, { kind: 'email', value: email });
  if (phone) return getIdentityOwner(db, shop.shopId, { kind: 'phone', value: phone });
  return undefined;
}

/**
 * The rows of these entries (`{value}#{customerId}`), in their order, each customer once: the
 * profiles in one BatchGetItem, an erased one or one whose entry `holds` rejects (given what the
 * profile is listed under) left out.
 */
async function rowsOf(shop: ShopRecord, entries: string[], db: Db, holds: (listed: ListedValues | undefined, entry: string) => boolean) {
  const ids = [...new Set(entries.map(customerIdOfEntry))];
  const profiles = new Map(
    (
      await getProfiles(
        db,
        ids.map((id) => profileKey(shop.shopId, id)),
      )
    ).map((item) => [String(item.PK), profileOf(item)]),
  );
  const seen = new Set<string>();
  const rows: CustomerRow[] = [];
  for (const entry of entries) {
    const customerId = customerIdOfEntry(entry);
    const profile = profiles.get(profileKey(shop.shopId, customerId).PK);
    if (!profile || profile.erasedAt !== undefined || seen.has(customerId) || !holds(profile.listed, entry)) continue;
    seen.add(customerId);
    rows.push(customerRow(profile, shop.currency));
  }
  return rows;
}
