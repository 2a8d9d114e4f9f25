import { randomBytes } from 'node:crypto';
import {
  applyContactIfNewer,
  applyOrderSummaryIfNewer,
  claimIdentity,
  getIdentityOwner,
  getIdentityOwners,
  getProfile,
  type ProfileItem,
  putTimelineEntry,
} from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { orderSummaryAttribute } from '#shared/data/keys.ts';
import { applyOrderStateIfNewer, getOrder, type OrderItem, orderStateOf, recordRefundOnce, refundsOf } from '#shared/data/order-repo.ts';
import { contactOf, winningFields } from '#shared/domain/contact.ts';
import type { CanonicalEvent, EventCustomer } from '#shared/domain/event.ts';
import { identityRefs } from '#shared/domain/identity.ts';
import { type OrderSummary, orderVersion, summarize } from '#shared/domain/order.ts';

/**
 * The processor's use case: apply one canonical event to the single table so that, whatever the
 * duplication or order of deliveries, the table converges to the same state. There are no
 * transactions on this path (dynalite has none): every write is idempotent or conditional on a
 * version, and each step can be repeated after a crash at any point.
 */

export interface ProcessDeps {
  db: Db;
  now: () => Date;
  /** The region a phone number without a country code is read in: the shop's (vi-VN → VN). */
  phoneRegion: (shopId: string) => Promise<string | undefined>;
}

export interface ProcessResult {
  customerId?: string;
  /** What happened, for logs and tests: applied, duplicate, stale, waiting_for_order, unattributed. */
  outcome: string;
}

export async function processEvent(event: CanonicalEvent, deps: ProcessDeps): Promise<ProcessResult> {
  switch (event.type) {
    case 'order.upserted':
      return upsertOrder(event, deps);
    case 'refund.created':
      return recordRefund(event, deps);
    case 'customer.upserted':
      return upsertCustomer(event, deps);
    default:
      // Erasure and interactions arrive with the connectors (issue 3); the webhook does not accept them yet.
      throw new UnsupportedEventError(`event type ${event.type} is not processed yet`);
  }
}

export class UnsupportedEventError extends Error {
  override name = 'UnsupportedEventError';
}

const newCustomerId = () => `c_${randomBytes(10).toString('hex')}`;

/**
 * Identify: the customer an event's identities name, creating one when none is known. The most
 * trusted identity (external id, then email, then phone) decides; a new customer is created by
 * claiming that identity with a conditional write, so two concurrent first events for the same
 * person cannot create two customers — the loser of the claim adopts the winner's id.
 */
export async function resolveCustomer(customer: EventCustomer, shopId: string, deps: ProcessDeps) {
  const refs = identityRefs(customer, await deps.phoneRegion(shopId));
  const [primary, ...others] = refs;
  if (!primary) return undefined;
  const now = deps.now().toISOString();
  for (let attempt = 0; attempt < 4; attempt++) {
    const consistent = attempt > 0;
    const primaryOwner = await getIdentityOwner(deps.db, shopId, primary, consistent);
    if (primaryOwner) return primaryOwner;
    const otherOwners = await getIdentityOwners(deps.db, shopId, others, consistent);
    const known = otherOwners.find((owner) => owner !== undefined);
    const candidate = known ?? newCustomerId();
    const owner = await claimIdentity(deps.db, shopId, primary, candidate, now);
    if (owner !== candidate) continue; // someone else claimed it first: adopt theirs on the next read
    for (const [i, ref] of others.entries()) {
      if (otherOwners[i] === undefined) await claimIdentity(deps.db, shopId, ref, candidate, now);
    }
    return candidate;
  }
  throw new Error('identity resolution did not settle after 4 attempts');
}

/**
 * Contact details: last writer wins per field (domain/contact.ts). Identities for a new email or
 * phone are claimed for this customer when free; one already owned by another customer stays
 * with its owner (merging two customers is a separate, explicit operation).
 */
async function applyContact(
  shopId: string,
  customerId: string,
  customer: EventCustomer,
  at: string,
  profile: ProfileItem | undefined,
  deps: ProcessDeps,
): Promise<ProfileItem | undefined> {
  const region = await deps.phoneRegion(shopId);
  const incoming = contactOf(customer, region);
  const now = deps.now().toISOString();
  let current = profile;
  for (let attempt = 0; attempt < 5; attempt++) {
    const fields = winningFields(current ?? {}, incoming, at);
    const ext = customer.externalId;
    const newExt = ext && !(current?.externalIds as Set<string> | undefined)?.has(ext) ? ext : undefined;
    if (fields.length === 0 && !newExt && current) break;
    const written = await applyContactIfNewer(deps.db, shopId, customerId, incoming, fields, at, newExt, now);
    if (written) {
      current = written;
      for (const ref of identityRefs(customer, region)) {
        if ((ref.kind === 'email' && fields.includes('email')) || (ref.kind === 'phone' && fields.includes('phone'))) {
          await claimIdentity(deps.db, shopId, ref, customerId, now);
        }
      }
      break;
    }
    current = await getProfile(deps.db, shopId, customerId, true);
  }
  return current;
}

/**
 * Bring the profile's summary of an order up to the order item. `changed` says whether this
 * delivery changed the order item; when it did not (a duplicate or a stale state), the profile is
 * read first so that a repeat costs a read, not a write, unless an earlier attempt crashed
 * between the order write and the profile write.
 */
async function syncSummary(shopId: string, customerId: string, item: OrderItem, changed: boolean, deps: ProcessDeps) {
  const state = orderStateOf(item);
  if (!state) return undefined;
  const summary = summarize(state);
  const now = deps.now().toISOString();
  if (!changed) {
    const profile = await getProfile(deps.db, shopId, customerId);
    const held = profile?.[orderSummaryAttribute(state.orderId)] as OrderSummary | undefined;
    if (profile && held && held.q >= summary.q) return profile;
  }
  return (
    (await applyOrderSummaryIfNewer(deps.db, shopId, customerId, state.orderId, summary, now)) ??
    (await getProfile(deps.db, shopId, customerId, true))
  );
}

async function upsertOrder(event: CanonicalEvent, deps: ProcessDeps): Promise<ProcessResult> {
  const order = event.order!;
  const { shopId } = event;
  const existing = await getOrder(deps.db, shopId, order.orderId);
  const ver = orderVersion(order);
  const isNewer = !existing?.ver || existing.ver < ver;
  let customerId = existing?.customerId;
  if (!customerId && event.customer) customerId = await resolveCustomer(event.customer, shopId, deps);

  let item = existing as OrderItem;
  let changed = false;
  if (isNewer || (customerId && !existing?.customerId)) {
    ({ item, changed } = await applyOrderStateIfNewer(deps.db, shopId, order, customerId));
  }
  customerId = item.customerId;
  if (!customerId) return { outcome: 'unattributed' };

  await putTimelineEntry(deps.db, shopId, customerId, {
    at: event.occurredAt,
    entryId: event.eventId,
    type: 'order',
    channel: 'web',
    source: event.source,
    orderId: order.orderId,
    status: order.status,
    total: { amount: order.total, currency: order.currency },
  });
  // A refund that arrived before its order had no customer to be shown to: show it now.
  if (changed && item.ov === 1) {
    for (const refund of refundsOf(item)) await putRefundEntry(shopId, customerId, refund, order.currency, event.source, deps);
  }

  let profile = await syncSummary(shopId, customerId, item, changed, deps);
  if (event.customer) {
    profile = await applyContact(shopId, customerId, event.customer, event.customer.updatedAt ?? event.occurredAt, profile, deps);
  }
  return { customerId, outcome: changed ? 'applied' : existing?.ver === ver ? 'duplicate' : 'stale' };
}

function putRefundEntry(
  shopId: string,
  customerId: string,
  refund: { refundId: string; amount: number; createdAt: string },
  currency: string | undefined,
  source: string,
  deps: ProcessDeps,
) {
  return putTimelineEntry(deps.db, shopId, customerId, {
    at: refund.createdAt,
    entryId: `refund:${refund.refundId}`,
    type: 'refund',
    channel: 'web',
    source,
    refundId: refund.refundId,
    amount: { amount: refund.amount, currency },
  });
}

async function recordRefund(event: CanonicalEvent, deps: ProcessDeps): Promise<ProcessResult> {
  const refund = event.refund!;
  const { shopId } = event;
  const { item, changed } = await recordRefundOnce(deps.db, shopId, refund);
  const customerId = item.customerId;
  if (!customerId || !item.ver) return { outcome: 'waiting_for_order' };
  await putRefundEntry(shopId, customerId, refund, refund.currency, event.source, deps);
  await syncSummary(shopId, customerId, item, changed, deps);
  return { customerId, outcome: changed ? 'applied' : 'duplicate' };
}

async function upsertCustomer(event: CanonicalEvent, deps: ProcessDeps): Promise<ProcessResult> {
  const customer = event.customer!;
  const customerId = await resolveCustomer(customer, event.shopId, deps);
  if (!customerId) return { outcome: 'unattributed' };
  const at = customer.updatedAt ?? event.occurredAt;
  const profile = await getProfile(deps.db, event.shopId, customerId);
  await applyContact(event.shopId, customerId, customer, at, profile, deps);
  await putTimelineEntry(deps.db, event.shopId, customerId, {
    at: event.occurredAt,
    entryId: event.eventId,
    type: 'customer',
    channel: 'web',
    source: event.source,
    // Which fields the source sent, never their values: the timeline carries no contact details.
    fields: Object.keys(contactOf(customer, await deps.phoneRegion(event.shopId))).sort(),
  });
  return { customerId, outcome: 'applied' };
}
