import * as z from 'zod';
import { getCustomerRecordsPage, getIdentityOwner, getProfile } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { profileOf } from '#shared/data/profile-item.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { safeEqual, sha256Hex, shopIdOfApiKey } from '#shared/domain/crypto.ts';
import { NotFoundError, UnauthorizedError, ValidationError } from '#shared/domain/errors.ts';
import { normalizeEmail, normalizePhone, regionOfLocale } from '#shared/domain/identity.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import type { LedgerEntryDraft } from '#shared/loyalty/plan.ts';
import { profileView } from '#shared/use-cases/profile-view.ts';

export interface ReadDeps {
  db: Db;
  /** The shop, undefined when it never existed or is erased; `fresh`: not from a cache (deps.ts). */
  loadShop: (shopId: string, options?: { fresh?: boolean }) => Promise<ShopRecord | undefined>;
}

/**
 * The shop a Bearer API key belongs to; the key itself is compared by hash, in constant time. The key
 * of an erased shop is refused from the moment its erasure was accepted, with the answer a key of a
 * shop that never existed gets: `loadShop` (deps.ts) knows no erased shop, whatever it has cached.
 * The hashes are those of the record read afresh (strongly consistent), never a cached copy: a key
 * replaced through POST /v1/shop/api-keys is refused by every container from that answer on. The
 * price: 1 read unit per request beside the erasure marker's, read in parallel with it.
 */
export async function authenticateShop(token: string | undefined, deps: Pick<ReadDeps, 'loadShop'>): Promise<ShopRecord> {
  const shopId = token ? shopIdOfApiKey(token) : undefined;
  const shop = shopId ? await deps.loadShop(shopId, { fresh: true }) : undefined;
  const hash = token ? sha256Hex(token) : '';
  if (!shop?.apiKeyHashes.some((known) => safeEqual(known, hash))) {
    throw new UnauthorizedError('a valid shop API key is required (Authorization: Bearer rk_…)');
  }
  return shop;
}

export const CustomerIdSchema = z.string().regex(/^c_[0-9a-f]{20}$/, 'a customer id such as c_0123456789abcdef0123');

export async function getCustomer(shop: ShopRecord, customerId: unknown, deps: ReadDeps) {
  const id = parseOrThrow(CustomerIdSchema, customerId, 'customerId');
  const item = await getProfile(deps.db, shop.shopId, id);
  if (!item) throw new NotFoundError(`no customer ${id}`);
  return profileView(profileOf(item), shop.currency);
}

export const LookupSchema = z
  .object({
    email: z.string().max(320).optional(),
    phone: z.string().max(40).optional(),
    externalId: z.string().min(1).max(256).optional(),
  })
  .refine((q) => [q.email, q.phone, q.externalId].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of email, phone or externalId',
  });

export async function findCustomers(shop: ShopRecord, query: Record<string, string | undefined>, deps: ReadDeps) {
  const lookup = parseOrThrow(LookupSchema, query, 'query');
  let ref: { kind: 'ext' | 'email' | 'phone'; value: string };
  if (lookup.externalId !== undefined) ref = { kind: 'ext', value: lookup.externalId };
  else if (lookup.email !== undefined) {
    const email = normalizeEmail(lookup.email);
    if (!email) throw new ValidationError('email', 'email is not an email address');
    ref = { kind: 'email', value: email };
  } else {
    const phone = normalizePhone(lookup.phone, regionOfLocale(shop.locale));
    if (!phone) throw new ValidationError('phone', 'phone is not a phone number');
    ref = { kind: 'phone', value: phone };
  }
  const customerId = await getIdentityOwner(deps.db, shop.shopId, ref);
  const item = customerId ? await getProfile(deps.db, shop.shopId, customerId) : undefined;
  return { items: item ? [profileView(profileOf(item), shop.currency)] : [] };
}

export const TimelineQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(1024).optional(),
});

export async function getTimeline(shop: ShopRecord, customerId: unknown, query: Record<string, string | undefined>, deps: ReadDeps) {
  return recordsPage(shop, customerId, query, deps, 'T#', ({ PK: _pk, SK: _sk, entryId: _id, ...entry }) => entry);
}

/** GET /v1/customers/{customerId}/ledger: the points ledger, newest first, a page at a time (the export holds all of it). */
export async function getLedger(shop: ShopRecord, customerId: unknown, query: Record<string, string | undefined>, deps: ReadDeps) {
  return recordsPage(shop, customerId, query, deps, 'PTS#', ({ PK: _pk, SK: _sk, ...entry }) => entry as unknown as LedgerEntryDraft);
}

/** A page of a customer's timeline or ledger; the cursor is the last sort key read, so it must carry the same prefix. */
async function recordsPage<T>(
  shop: ShopRecord,
  customerId: unknown,
  query: Record<string, string | undefined>,
  deps: ReadDeps,
  prefix: 'T#' | 'PTS#',
  view: (item: Record<string, unknown>) => T,
) {
  const id = parseOrThrow(CustomerIdSchema, customerId, 'customerId');
  const { limit, cursor } = parseOrThrow(TimelineQuerySchema, query, 'query');
  let afterSk: string | undefined;
  if (cursor) {
    afterSk = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!afterSk.startsWith(prefix)) throw new ValidationError('cursor', 'cursor is not one this API gave out');
  }
  const profile = await getProfile(deps.db, shop.shopId, id);
  if (!profile) throw new NotFoundError(`no customer ${id}`);
  const page = await getCustomerRecordsPage(deps.db, shop.shopId, id, prefix, limit, afterSk);
  return { items: page.items.map(view), ...(page.lastSk ? { cursor: Buffer.from(page.lastSk).toString('base64url') } : {}) };
}
