import { randomBytes } from 'node:crypto';
import {
  applyProfileChangeIfNewer,
  claimIdentity,
  getIdentityOwner,
  getIdentityOwners,
  getProfile,
  type ProfileItem,
  putTimelineEntry,
} from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { orderSummaryAttribute } from '#shared/data/keys.ts';
import { applyOrderStateIfNewer, orderStateOf, recordRefundOnce, refundsOf } from '#shared/data/order-repo.ts';
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

/** The contact part of a profile change: the fields this event's customer wins against `profile`. */
function contactChange(customer: EventCustomer | undefined, at: string, profile: ProfileItem | undefined, region: string | undefined) {
  if (!customer) return {};
  const values = contactOf(customer, region);
  const stamp = Date.parse(at);
  const fields = winningFields(profile ?? {}, values, stamp);
  const ext = customer.externalId;
  const externalId = ext && !(profile?.externalIds as Set<string> | undefined)?.has(ext) ? ext : undefined;
  return {
    ...(fields.length > 0 ? { contact: { values, fields, at: stamp } } : {}),
    ...(externalId ? { externalId } : {}),
  };
}

/**
 * Write a profile change — an order summary and/or contact fields — in one conditional update.
 * When a concurrent writer got there first the condition fails; re-read and recompute what still
 * wins, at most five times. Identities for an email or phone that changed are claimed for this
 * customer when free; one already owned by another customer stays with its owner (merging two
 * customers is a separate, explicit operation).
 */
async function changeProfile(
  shopId: string,
  customerId: string,
  summary: { orderId: string; value: OrderSummary } | undefined,
  customer: EventCustomer | undefined,
  at: string,
  profile: ProfileItem | undefined,
  deps: ProcessDeps,
): Promise<ProfileItem | undefined> {
  const region = customer ? await deps.phoneRegion(shopId) : undefined;
  const now = deps.now().toISOString();
  let current = profile;
  for (let attempt = 0; attempt < 5; attempt++) {
    const held = summary ? (current?.[orderSummaryAttribute(summary.orderId)] as OrderSummary | undefined) : undefined;
    const change = {
      ...(summary && !(held && held.q >= summary.value.q) ? { summary } : {}),
      ...contactChange(customer, at, current, region),
    };
    if (Object.keys(change).length === 0 && current) return current;
    const written = await applyProfileChangeIfNewer(deps.db, shopId, customerId, change, now);
    if (written) {
      // A new profile's identities were all claimed when the customer was resolved.
      for (const field of current ? (['email', 'phone'] as const) : []) {
        const value = change.contact?.fields.includes(field) ? change.contact.values[field] : undefined;
        if (value && value !== current?.[field]) await claimIdentity(deps.db, shopId, { kind: field, value }, customerId, now);
      }
      return written;
    }
    current = await getProfile(deps.db, shopId, customerId, true);
  }
  throw new Error('profile change did not settle after 5 attempts');
}

/**
 * Order events. The order state is written first, conditionally on its version; then the timeline
 * entry; then the profile (summary and contact at once). A repeat of a delivery whose profile
 * write already happened costs the failed conditional order write and two reads, nothing more;
 * a repeat after a crash half-way finds the profile behind the order item and finishes the work.
 */
async function upsertOrder(event: CanonicalEvent, deps: ProcessDeps): Promise<ProcessResult> {
  const order = event.order!;
  const { shopId } = event;
  const resolved = event.customer ? await resolveCustomer(event.customer, shopId, deps) : undefined;
  const profile = resolved ? await getProfile(deps.db, shopId, resolved) : undefined;
  const { item, changed } = await applyOrderStateIfNewer(deps.db, shopId, order, resolved);
  const customerId = item.customerId;
  if (!customerId) return { outcome: 'unattributed' };
  const ver = orderVersion(order);
  const outcome = changed ? 'applied' : item.ver === ver ? 'duplicate' : 'stale';

  // The order's first customer stays its customer: read that profile if it is not the one read above.
  const current = customerId === resolved ? profile : await getProfile(deps.db, shopId, customerId);
  const state = orderStateOf(item)!;
  const summary = summarize(state);
  const held = current?.[orderSummaryAttribute(order.orderId)] as OrderSummary | undefined;
  const profileBehind = !(held && held.q >= summary.q);

  if (outcome !== 'duplicate' || profileBehind) {
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
  }
  const contactAt = event.customer?.updatedAt ?? event.occurredAt;
  await changeProfile(shopId, customerId, { orderId: order.orderId, value: summary }, event.customer, contactAt, current, deps);
  return { customerId, outcome };
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
  const state = orderStateOf(item);
  if (!customerId || !state) return { outcome: 'waiting_for_order' };
  const profile = await getProfile(deps.db, shopId, customerId);
  const summary = summarize(state);
  const held = profile?.[orderSummaryAttribute(state.orderId)] as OrderSummary | undefined;
  if (changed || !(held && held.q >= summary.q)) {
    await putRefundEntry(shopId, customerId, refund, refund.currency, event.source, deps);
  }
  await changeProfile(shopId, customerId, { orderId: state.orderId, value: summary }, undefined, event.occurredAt, profile, deps);
  return { customerId, outcome: changed ? 'applied' : 'duplicate' };
}

async function upsertCustomer(event: CanonicalEvent, deps: ProcessDeps): Promise<ProcessResult> {
  const customer = event.customer!;
  const customerId = await resolveCustomer(customer, event.shopId, deps);
  if (!customerId) return { outcome: 'unattributed' };
  const profile = await getProfile(deps.db, event.shopId, customerId);
  await changeProfile(event.shopId, customerId, undefined, customer, customer.updatedAt ?? event.occurredAt, profile, deps);
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
