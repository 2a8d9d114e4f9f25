import { getProfile, getTimelinePage } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { ledgerEntries } from '#shared/data/ledger-repo.ts';
import { getOrders } from '#shared/data/order-repo.ts';
import { allOrderSummaries } from '#shared/data/profile-history.ts';
import { profileOf } from '#shared/data/profile-item.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { CanonicalEvent } from '#shared/domain/event.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { profileView } from '#shared/use-cases/profile-view.ts';
import { CustomerIdSchema } from '#shared/use-cases/read-customers.ts';

/**
 * A customer's data, whole: GET /v1/customers/{customerId}/export answers a data request
 * (Shopify's customers/data_request is recorded on the timeline; the shop fetches the export here).
 * DELETE /v1/customers/{customerId} erases, through the queue like every other change.
 */

const EXPORT_TIMELINE_LIMIT = 10_000;

export async function exportCustomer(shop: ShopRecord, customerId: unknown, db: Db) {
  const id = parseOrThrow(CustomerIdSchema, customerId, 'customerId');
  const item = await getProfile(db, shop.shopId, id, true);
  if (!item) throw new NotFoundError(`no customer ${id}`);
  const timeline: Record<string, unknown>[] = [];
  let after: string | undefined;
  do {
    const page = await getTimelinePage(db, shop.shopId, id, 100, after);
    timeline.push(...page.items.map(({ PK: _pk, SK: _sk, entryId: _e, ...entry }) => entry));
    after = page.lastSk;
  } while (after && timeline.length < EXPORT_TIMELINE_LIMIT);
  const orderIds = [...(await allOrderSummaries(db, shop.shopId, id, item)).keys()];
  const orders = (await getOrders(db, shop.shopId, orderIds)).map(({ PK: _pk, SK: _sk, ver: _v, seq: _s, ov: _o, ...order }) => order);
  const ledger = await ledgerEntries(db, shop.shopId, id);
  return {
    exportedAt: new Date().toISOString(),
    profile: profileView(profileOf(item), shop.currency),
    orders,
    pointsLedger: ledger,
    timeline,
  };
}

export async function requestErasure(
  shop: ShopRecord,
  customerId: unknown,
  deps: { db: Db; enqueue: (events: CanonicalEvent[]) => Promise<void>; now: () => Date },
) {
  const id = parseOrThrow(CustomerIdSchema, customerId, 'customerId');
  if (!(await getProfile(deps.db, shop.shopId, id))) throw new NotFoundError(`no customer ${id}`);
  const occurredAt = deps.now().toISOString();
  await deps.enqueue([
    {
      eventId: `api:erase:${id}:${Date.parse(occurredAt)}`,
      shopId: shop.shopId,
      type: 'customer.erased',
      occurredAt,
      source: 'api',
      customer: { customerId: id },
    },
  ]);
  return { accepted: 1 };
}
