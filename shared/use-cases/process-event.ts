import { randomBytes } from 'node:crypto';
import {
  anyErased,
  applyProfileChangeIfNewer,
  claimIdentity,
  getIdentityOwner,
  getIdentityOwners,
  getProfile,
  hasTimelineEntry,
  type ProfileItem,
  putTimelineEntry,
  type TimelineEntry,
  timelineItem,
} from '#shared/data/customer-repo.ts';
import { type Db, writeBatch } from '#shared/data/db.ts';
import { withLease } from '#shared/data/lease-repo.ts';
import { applyOrderStateIfNewer, attachCustomerIfMissing, orderStateOf, recordRefundOnce, refundsOf } from '#shared/data/order-repo.ts';
import { eraseCustomerData, eraseShopData } from '#shared/data/privacy-repo.ts';
import {
  foldedOrders,
  foldedSummaryOf,
  historyOf,
  historyPageItem,
  isLegacyProfile,
  migrateProfile,
} from '#shared/data/profile-history.ts';
import { lastContactField, type Profile, profileOf } from '#shared/data/profile-item.ts';
import { markShopErased, shopErasedAt } from '#shared/data/shop-repo.ts';
import { contactOf, winningFields } from '#shared/domain/contact.ts';
import type { CanonicalEvent, EventCustomer, EventOrder } from '#shared/domain/event.ts';
import { type Held, movesFirstOrLast, type OrderHistory } from '#shared/domain/history.ts';
import { identityRefs } from '#shared/domain/identity.ts';
import { counts, netOf, type OrderSummary, orderVersion, summarize, type ValueFacts, valueFactsOf } from '#shared/domain/order.ts';
import { flowsOf, tierFlowFirings } from '#shared/loyalty/flows.ts';
import { type LoyaltyPlan, planOrderChange, summaryToPlan, type TriggerDraft } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { clvFactsOf, localDate } from '#shared/loyalty/rules.ts';
import { ActivityNotEarnedError, awardActivityOnce } from '#shared/use-cases/award-activity.ts';
import { hasEffects, type Outbox, rewriteLostOutbox, type TriggerSink, writeOutbox } from '#shared/use-cases/loyalty-effects.ts';
import { attributeOrder, type ReferralGifts } from '#shared/use-cases/referrals.ts';
import { markCodesUsed } from '#shared/use-cases/use-reward-codes.ts';

/**
 * The processor's use case: apply one canonical event to the single table so that, whatever the
 * duplication or order of deliveries, the table converges to the same state. There are no
 * transactions on this path (dynalite has none): every write is idempotent or conditional on a
 * version, and each step can be repeated after a crash at any point.
 */

export interface ProcessDeps {
  db: Db;
  now: () => Date;
  /** The shop's loyalty program (the saved one or the defaults). */
  program: (shopId: string) => Promise<Program>;
  /** The region a phone number without a country code is read in: the shop's (vi-VN → VN). */
  phoneRegion: (shopId: string) => Promise<string | undefined>;
  /** Where triggers go after the timeline (the email queue); none in tests that do not mail. */
  triggers?: TriggerSink;
  /**
   * Whether the shop was ever created (deps.ts shopExists); an event for one that was not is dropped.
   * Tests that apply events to shops they never created leave it out. The shop's erasure is read from
   * the table at every event whatever this says.
   */
  shopExists?: (shopId: string) => Promise<boolean>;
  /**
   * The shop's time zone (IANA), for the periods of activity limits and the dates of bonus rules;
   * UTC when absent (tests of shops in UTC).
   */
  timeZone?: (shopId: string) => Promise<string | undefined>;
  /**
   * The program read afresh, for an interaction's activity: its award or refusal is final for the
   * interaction, so it is judged on the program the shop saved, as the activities route judges it,
   * not on a cached copy of the last 30 s. `program` when absent.
   */
  freshProgram?: (shopId: string) => Promise<Program>;
  /** The shop's currency, for a referral reward given as a catalog code. */
  currency?: (shopId: string) => Promise<string | undefined>;
  /** How a referral's catalog reward is made (a friend's); without it only points rewards are given. */
  referralGifts?: ReferralGifts;
}

export interface ProcessResult {
  customerId?: string;
  /**
   * What happened, for logs and tests: applied, duplicate, stale, waiting_for_order, unattributed;
   * unknown_shop when the event was dropped because its shop is erased or never existed.
   */
  outcome: string;
}

export async function processEvent(event: CanonicalEvent, deps: ProcessDeps): Promise<ProcessResult> {
  // The shop's own erasure goes through whatever the marker says: it is what the marker announces.
  if (event.type !== 'shop.erased' && !(await shopTakesEvents(event.shopId, deps))) return { outcome: 'unknown_shop' };
  switch (event.type) {
    case 'order.upserted':
      return upsertOrder(event, deps);
    case 'refund.created':
      return recordRefund(event, deps);
    case 'customer.upserted':
      return upsertCustomer(event, deps);
    case 'interaction.logged':
    case 'feedback.submitted':
      return logInteraction(event, deps);
    case 'customer.erased':
      return eraseCustomer(event, deps);
    case 'customer.data_requested':
      return recordDataRequest(event, deps);
    case 'shop.erased':
      return eraseShop(event, deps);
  }
}

/**
 * The check at the start of every event, before its first read or write of the shop's data: an event
 * for a shop that is erased (its marker stands) or was never created is dropped, never applied. The
 * marker is read strongly consistent, and it is durable before anything of the shop is deleted
 * (webhook, then eraseShop below), so an event that reaches this check after the deletion began —
 * however long ago it was accepted — finds the marker and writes nothing: no profile, identity,
 * order or timeline entry of an erased shop comes back. 1 read unit an event. What this cannot catch:
 * an event that passed the check before any marker existed and is still writing when the deletion
 * goes past its customer (a window of one event's processing, under the function's timeout).
 */
async function shopTakesEvents(shopId: string, deps: ProcessDeps): Promise<boolean> {
  const [erasedAt, exists] = await Promise.all([shopErasedAt(deps.db, shopId, deps.now()), deps.shopExists?.(shopId) ?? true]);
  return erasedAt === undefined && exists;
}

/** Attempts at a profile change before the event goes back to the queue (concurrent writers of one busy customer). */
const PROFILE_ATTEMPTS = 24;

const newCustomerId = () => `c_${randomBytes(10).toString('hex')}`;

/**
 * Identify: the customer an event's identities name, creating one when none is known. The most
 * trusted identity (external id, then email, then phone) decides. The common case, a known
 * customer, is one read. Creating a customer, or giving a known one identities nobody holds yet, is
 * serialized per shop under a short lease: otherwise two first events naming one person by different
 * identities (`{email}` and `{externalId, email}`) could each create a customer. Identities already
 * held by another customer stay with it (merging two customers is a separate, explicit operation).
 *
 * `claimedAll`: every identity of the event is now held, by this customer or another, as read under
 * the lease — so the new profile's check for identities a crash left unclaimed (claimFreeIdentities)
 * has nothing to find and is skipped.
 */
async function resolveCustomer(
  customer: EventCustomer,
  shopId: string,
  deps: ProcessDeps,
): Promise<{ customerId: string; claimedAll: boolean } | undefined> {
  if (customer.customerId) return { customerId: customer.customerId, claimedAll: false };
  const refs = identityRefs(customer, await deps.phoneRegion(shopId));
  const [primary] = refs;
  if (!primary) return undefined;
  const known = await getIdentityOwner(deps.db, shopId, primary);
  if (known) return { customerId: known, claimedAll: false };
  return withLease(deps.db, shopId, 'identities', async () => {
    const owners = await getIdentityOwners(deps.db, shopId, refs, true);
    const owner = owners.find((candidate) => candidate !== undefined);
    // Nobody holds these details: unless they were erased this week, they are a new customer.
    if (!owner && (await anyErased(deps.db, shopId, refs, deps.now()))) return undefined;
    const customerId = owner ?? newCustomerId();
    const now = deps.now().toISOString();
    for (const [i, ref] of refs.entries()) if (owners[i] === undefined) await claimIdentity(deps.db, shopId, ref, customerId, now);
    return { customerId, claimedAll: true };
  });
}

async function claimFreeIdentities(
  shopId: string,
  customerId: string,
  customer: EventCustomer,
  region: string | undefined,
  deps: ProcessDeps,
) {
  const refs = identityRefs(customer, region ?? (await deps.phoneRegion(shopId)));
  const owners = await getIdentityOwners(deps.db, shopId, refs, true);
  const now = deps.now().toISOString();
  for (const [i, ref] of refs.entries()) if (owners[i] === undefined) await claimIdentity(deps.db, shopId, ref, customerId, now);
}

/**
 * The last-writer-wins part of a profile change: contact details from the event's customer and any
 * `extra` fields (last contact per channel, latest NPS/CSAT), keeping those that beat `profile`.
 */
function stampedChange(
  customer: EventCustomer | undefined,
  extra: Record<string, string | number>,
  at: string,
  profile: Profile | undefined,
  region: string | undefined,
) {
  const values: Record<string, string | number> = {
    ...(customer ? (contactOf(customer, region) as Record<string, string>) : {}),
    ...extra,
  };
  const stamp = Date.parse(at);
  const fields = winningFields(profile?.stamped ?? { values: {}, stamps: {} }, values, stamp);
  const ext = customer?.externalId;
  const externalId = ext && !profile?.externalIds.includes(ext) ? ext : undefined;
  return {
    ...(fields.length > 0 ? { stamped: { values, fields, at: stamp } } : {}),
    ...(externalId ? { externalId } : {}),
  };
}

interface ChangeRequest {
  /** The order's summary as its item gives it, and what the change tells of its value over time. */
  summary?: { orderId: string; value: OrderSummary; facts: ValueFacts; lineItems: EventOrder['lineItems'] };
  customer?: EventCustomer;
  extra?: Record<string, string | number>;
  /** The stamp of the last-writer-wins fields, and the time loyalty effects are dated. */
  at: string;
  /** The event's source, carried to the triggers (imported history never mails anyone). */
  source?: string;
  /** This event brought the order's first state: no profile can hold it yet, so no history page is read. */
  firstState?: boolean;
  /** Timeline entries of the event, written with the history page (one batch) before the profile. */
  entries?: TimelineEntry[];
  /** resolveCustomer has just claimed every free identity of `customer` for this customer (its `claimedAll`). */
  identitiesClaimed?: boolean;
}

/**
 * Write a profile change — an order summary with its loyalty effects, and/or last-writer-wins
 * fields — in one update conditional on the profile version it was planned from. When a concurrent
 * writer got there first, re-read and re-plan (PROFILE_ATTEMPTS times at most, with jittered backoff). Identities for an email or
 * phone that changed are claimed for this customer when free; one already owned by another customer
 * stays with its owner (merging two customers is a separate, explicit operation).
 */
async function changeProfile(
  shopId: string,
  customerId: string,
  request: ChangeRequest,
  profile: ProfileItem | undefined,
  deps: ProcessDeps,
): Promise<ProfileItem | undefined> {
  const { summary, customer, extra = {}, at } = request;
  const region = customer ? await deps.phoneRegion(shopId) : undefined;
  const program = summary ? await deps.program(shopId) : undefined;
  // The bonus rules read the order's lines, and a dates rule the shop's calendar.
  const earn = summary ? { lineItems: summary.lineItems, timeZone: (await deps.timeZone?.(shopId)) ?? 'UTC' } : undefined;
  const now = deps.now().toISOString();
  let current = profile;
  // The event's timeline entries and a page the plan folds go in one batch before the profile write.
  let entries = request.entries ?? [];
  const writeBefore = async (page: Record<string, OrderSummary> | undefined) => {
    const items = [
      ...entries.map((entry) => timelineItem(shopId, customerId, entry)),
      ...(page ? [historyPageItem(shopId, customerId, page)] : []),
    ];
    if (items.length > 0)
      await writeBatch(
        deps.db,
        items.map((Item) => ({ PutRequest: { Item } })),
      );
    entries = [];
  };
  let checkedOutbox: string | undefined;
  for (let attempt = 0; attempt < PROFILE_ATTEMPTS; attempt++) {
    if (isLegacyProfile(current)) {
      await migrateProfile(deps.db, shopId, customerId, current as ProfileItem, deps.now());
      current = await getProfile(deps.db, shopId, customerId, true);
      continue;
    }
    const known = current ? profileOf(current) : undefined;
    const history = known?.history ?? historyOf(undefined);
    const held = summary
      ? await heldFor(shopId, customerId, history, summary.orderId, attempt === 0 && request.firstState, deps)
      : undefined;
    const next = summary && summaryToPlan(held, summary.value, summary.facts);
    const plan =
      summary && next && program
        ? planOrderChange(known?.loyalty, history, held, summary.orderId, next, program, at, earn, clvFactsOf(known?.derived.clv))
        : undefined;
    const stamped = stampedChange(customer, extra, at, known, region);
    if (!plan && Object.keys(stamped).length === 0 && current) {
      await writeBefore(undefined);
      if (summary) await rewriteLostOutbox(shopId, customerId, known?.loyalty.outbox, deps);
      return current;
    }
    // A customer who subscribes before any order is welcomed then, once (the first counted order welcomes the others).
    const subscribes =
      !plan &&
      !known?.loyalty.welcomedAt &&
      stamped.stamped?.fields.includes('consentEmail') &&
      stamped.stamped.values.consentEmail === 'subscribed';
    const welcome = subscribes ? [{ key: 'welcome', trigger: 'welcome' as const, at, data: { bonus: 0 } }] : [];
    const outbox: Outbox | undefined = plan
      ? {
          ledger: plan.ledger,
          triggers: [...plan.triggers, ...(program ? await tierFlows(plan, known, program, shopId, deps) : [])],
          ...(plan.tierChange ? { tier: { ...plan.tierChange, at } } : {}),
          ...(request.source ? { source: request.source } : {}),
        }
      : subscribes
        ? { ledger: [], triggers: welcome, ...(request.source ? { source: request.source } : {}) }
        : undefined;
    const change = {
      ...(plan ? { history: plan.history } : {}),
      ...(plan && outbox
        ? {
            loyalty: {
              // The outbox is recorded only when there is something to write: a profile under 1 KB costs one write unit.
              sets: { ...plan.sets, ...(hasEffects(outbox) ? { outbox } : {}) },
              balanceDelta: plan.balanceDelta,
              lifetimeDelta: plan.lifetimeDelta,
            },
          }
        : {}),
      ...(subscribes && outbox ? { loyalty: { sets: { welcomedAt: at, outbox }, balanceDelta: 0, lifetimeDelta: 0 } } : {}),
      ...stamped,
      version: known?.version ?? 0,
    };
    // The outbox this write replaces must be written first: if a crash cut it short and this
    // customer's next event comes before its redelivery, the redelivery would no longer find it.
    const replaced = known?.loyalty.outbox;
    if (outbox && hasEffects(outbox) && replaced && hasEffects(replaced) && JSON.stringify(replaced) !== checkedOutbox) {
      await rewriteLostOutbox(shopId, customerId, replaced, deps);
      checkedOutbox = JSON.stringify(replaced);
    }
    // The folded summary goes to its page before the profile lets go of it.
    await writeBefore(plan?.page);
    const written = await applyProfileChangeIfNewer(deps.db, shopId, customerId, change, now);
    if (written) {
      // A new profile's identities were claimed when the customer was resolved — unless a crash came
      // between two claims: the redelivery resolves by the first one and would never claim the rest
      // (the customer then not found by email, and the next email-only event making a second one).
      // Once per new customer resolved by an identity already held (the redelivery's path): one read
      // of its identities, a claim for any still free. Not when resolveCustomer has just claimed them.
      if (!current && request.customer && !request.identitiesClaimed)
        await claimFreeIdentities(shopId, customerId, request.customer, region, deps);
      for (const field of current ? (['email', 'phone'] as const) : []) {
        const value = change.stamped?.fields.includes(field) ? change.stamped.values[field] : undefined;
        if (typeof value === 'string' && value !== known?.contact[field]) {
          await claimIdentity(deps.db, shopId, { kind: field, value }, customerId, now);
        }
      }
      if (outbox && hasEffects(outbox)) await writeOutbox(shopId, customerId, outbox, deps);
      return written;
    }
    // Another writer got there first (a busy customer's orders race each other): wait a little,
    // with jitter so the racers spread out, then plan again from what is there now.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));
    current = await getProfile(deps.db, shopId, customerId, true);
  }
  throw new Error(`profile change did not settle after ${PROFILE_ATTEMPTS} attempts`);
}

/**
 * What the profile holds for an order: its open summary, else its folded one, read from that
 * order's own pages (only when the history has folded and the order may be among them); the other
 * folded summaries only when this one is the first or last order, whose dates the totals then recompute.
 */
async function heldFor(
  shopId: string,
  customerId: string,
  history: OrderHistory,
  orderId: string,
  firstState: boolean | undefined,
  deps: ProcessDeps,
): Promise<Held | undefined> {
  const open = history.open[orderId];
  if (open) return { where: 'open', summary: open };
  if (firstState) return undefined;
  const summary = await foldedSummaryOf(deps.db, shopId, customerId, history, orderId);
  if (!summary) return undefined;
  const others = movesFirstOrLast(history, summary)
    ? [...(await foldedOrders(deps.db, shopId, customerId, history)).entries()].filter(([id]) => id !== orderId).map(([, s]) => s)
    : [];
  return { where: 'folded', summary, others };
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
  const identified = event.customer ? await resolveCustomer(event.customer, shopId, deps) : undefined;
  const resolved = identified?.customerId;
  const profile = resolved ? await getProfile(deps.db, shopId, resolved) : undefined;
  let { item, changed } = await applyOrderStateIfNewer(deps.db, shopId, order, resolved);
  if (!changed && !item.customerId && resolved) item = (await attachCustomerIfMissing(deps.db, shopId, order.orderId, resolved)).item;
  const customerId = item.customerId;
  if (!customerId) return { outcome: 'unattributed' };
  const ver = orderVersion(order);
  const outcome = changed ? 'applied' : item.ver === ver ? 'duplicate' : 'stale';

  // The order's first customer stays its customer: read that profile if it is not the one read above.
  const current = customerId === resolved ? profile : await getProfile(deps.db, shopId, customerId);
  const state = orderStateOf(item)!;
  const summary = summarize(state);
  // A stale state changes nothing of the order but when it had which value (withValueSteps).
  const stale =
    outcome === 'stale'
      ? { status: order.status, total: order.total, reportedRefunded: order.refunded ?? 0, updatedAt: order.updatedAt }
      : undefined;
  const facts = valueFactsOf(state, stateUpdatedAt(item), stale);
  const held = historyOf(current).open[order.orderId];
  const profileBehind = !(held && held.q >= summary.q);

  const entries: TimelineEntry[] = [];
  if (outcome !== 'duplicate' || profileBehind) {
    entries.push({
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
    if (changed && item.ov === 1) for (const refund of refundsOf(item)) entries.push(refundEntry(refund, order.currency, event.source));
  }
  const at = event.customer?.updatedAt ?? event.occurredAt;
  await changeProfile(
    shopId,
    customerId,
    {
      summary: { orderId: order.orderId, value: summary, facts, lineItems: state.lineItems },
      customer: event.customer,
      at,
      source: event.source,
      firstState: changed && item.ov === 1,
      entries,
      identitiesClaimed: customerId === resolved && identified?.claimedAll,
    },
    current,
    deps,
  );
  // Rapport's reward codes the order carries are used once it is paid (every delivery tries: idempotent).
  if (state.discountCodes) {
    const paid = counts(summary);
    await markCodesUsed(deps.db, shopId, {
      orderId: order.orderId,
      discountCodes: state.discountCodes,
      net: netOf(summary),
      at: state.createdAt,
      paid,
    });
  }
  // A referral code on the order (the link's ref, or a discount code): the friend's referral is
  // decided once, on the state as delivered — every delivery tries, each step idempotent.
  if (state.referralCode || state.discountCodes) {
    await attributeOrder(shopId, customerId, { ...state, status: order.status }, referralDeps(deps));
  }
  return { customerId, outcome };
}

export const referralDeps = (deps: ProcessDeps) => ({
  db: deps.db,
  now: deps.now,
  program: deps.program,
  timeZone: async (shopId: string) => (await deps.timeZone?.(shopId)) ?? 'UTC',
  currency: async (shopId: string) => deps.currency?.(shopId),
  ...(deps.referralGifts ? { gifts: deps.referralGifts } : {}),
  ...(deps.triggers ? { triggers: deps.triggers } : {}),
});

/** When the order item's newest state was stamped by its source. */
const stateUpdatedAt = (item: Record<string, unknown>) => (typeof item.updatedAt === 'string' ? item.updatedAt : undefined);

const refundEntry = (
  refund: { refundId: string; amount: number; createdAt: string },
  currency: string | undefined,
  source: string,
): TimelineEntry => ({
  at: refund.createdAt,
  entryId: `refund:${refund.refundId}`,
  type: 'refund',
  channel: 'web',
  source,
  refundId: refund.refundId,
  amount: { amount: refund.amount, currency },
});

async function recordRefund(event: CanonicalEvent, deps: ProcessDeps): Promise<ProcessResult> {
  const refund = event.refund!;
  const { shopId } = event;
  const { item, changed } = await recordRefundOnce(deps.db, shopId, refund);
  const customerId = item.customerId;
  const state = orderStateOf(item);
  if (!customerId || !state) return { outcome: 'waiting_for_order' };
  const profile = await getProfile(deps.db, shopId, customerId);
  const summary = summarize(state);
  const held = historyOf(profile).open[state.orderId];
  const entries = changed || !(held && held.q >= summary.q) ? [refundEntry(refund, refund.currency, event.source)] : [];
  await changeProfile(
    shopId,
    customerId,
    {
      summary: { orderId: state.orderId, value: summary, facts: valueFactsOf(state, stateUpdatedAt(item)), lineItems: state.lineItems },
      at: event.occurredAt,
      source: event.source,
      entries,
    },
    profile,
    deps,
  );
  return { customerId, outcome: changed ? 'applied' : 'duplicate' };
}

async function upsertCustomer(event: CanonicalEvent, deps: ProcessDeps): Promise<ProcessResult> {
  const customer = event.customer!;
  const identified = await resolveCustomer(customer, event.shopId, deps);
  if (!identified) return { outcome: 'unattributed' };
  const { customerId } = identified;
  const profile = await getProfile(deps.db, event.shopId, customerId);
  await changeProfile(
    event.shopId,
    customerId,
    { customer, at: customer.updatedAt ?? event.occurredAt, source: event.source, identitiesClaimed: identified.claimedAll },
    profile,
    deps,
  );
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

/**
 * A touch on any channel, or a feedback answer: a timeline entry, the last contact on that channel
 * and (for feedback) the latest NPS / CSAT, each last-writer-wins by the time it happened.
 */
async function logInteraction(event: CanonicalEvent, deps: ProcessDeps): Promise<ProcessResult> {
  const { shopId } = event;
  const interaction = event.interaction!;
  const identified = await resolveCustomer(event.customer!, shopId, deps);
  if (!identified) return { outcome: 'unattributed' };
  const { customerId } = identified;
  await putTimelineEntry(deps.db, shopId, customerId, {
    at: event.occurredAt,
    entryId: event.eventId,
    type: event.type === 'feedback.submitted' ? 'feedback' : 'interaction',
    source: event.source,
    ...interaction,
  });
  const extra: Record<string, string | number> = { [lastContactField(interaction.channel)]: event.occurredAt };
  if (interaction.nps !== undefined) extra.nps = interaction.nps;
  if (interaction.csat !== undefined) extra.csat = interaction.csat;
  const profile = await getProfile(deps.db, shopId, customerId);
  await changeProfile(
    shopId,
    customerId,
    { customer: event.customer, extra, at: event.occurredAt, identitiesClaimed: identified.claimedAll },
    profile,
    deps,
  );
  if (interaction.activity) await awardInteractionActivity(event, customerId, deps);
  return { customerId, outcome: 'applied' };
}

/**
 * An interaction's activity (a feedback answer's `survey`, or one the interactions API carried),
 * awarded through the route's own code (award-activity.ts) with the event's id as the key, so a
 * redelivery awards nothing more. One the program refuses does not fail the interaction: the
 * refusal and its reason go on the timeline, dated by the interaction, and a redelivery finding
 * that entry does not try again (the refusal stands, as the route's 409 does for its key).
 */
async function awardInteractionActivity(event: CanonicalEvent, customerId: string, deps: ProcessDeps) {
  const interaction = event.interaction!;
  const activity = interaction.activity!;
  const refusalId = `activity-refused:${event.eventId}`;
  if (await hasTimelineEntry(deps.db, event.shopId, customerId, event.occurredAt, refusalId)) return;
  const shop = { shopId: event.shopId, timezone: (await deps.timeZone?.(event.shopId)) ?? 'UTC' };
  const request = { activity, ...(interaction.reference ? { reference: interaction.reference } : {}) };
  try {
    const awardDeps = { db: deps.db, now: deps.now, program: deps.freshProgram ?? deps.program };
    await awardActivityOnce(shop, customerId, request, event.eventId, { channel: interaction.channel, source: event.source }, awardDeps);
  } catch (error) {
    if (!(error instanceof ActivityNotEarnedError)) throw error;
    await putTimelineEntry(deps.db, event.shopId, customerId, {
      at: event.occurredAt,
      entryId: refusalId,
      type: 'activity_refused',
      channel: interaction.channel,
      source: event.source,
      activity,
      ...(interaction.reference ? { reference: interaction.reference } : {}),
      reason: error.message,
    });
  }
}

/** The customers an event's identities already name (never creates one). */
async function existingCustomers(event: CanonicalEvent, deps: ProcessDeps): Promise<string[]> {
  const customer = event.customer!;
  if (customer.customerId) return [customer.customerId];
  const refs = identityRefs(customer, await deps.phoneRegion(event.shopId));
  const owners = await getIdentityOwners(deps.db, event.shopId, refs, true);
  return [...new Set(owners.filter((owner): owner is string => owner !== undefined))];
}

/**
 * Erasure (Shopify customers/redact and customers/delete, WooCommerce customer.deleted, the API):
 * the customer's contact details, identities and free-text notes go; aggregates, which hold no
 * personal data, stay. The per-field stamps stay too, so a late redelivery of an older event
 * cannot bring an erased detail back.
 */
async function eraseCustomer(event: CanonicalEvent, deps: ProcessDeps): Promise<ProcessResult> {
  const customers = await existingCustomers(event, deps);
  for (const customerId of customers) {
    await eraseCustomerData(deps.db, event.shopId, customerId, deps.now().toISOString());
    await putTimelineEntry(deps.db, event.shopId, customerId, {
      at: event.occurredAt,
      entryId: event.eventId,
      type: 'privacy',
      channel: 'web',
      source: event.source,
      action: 'erased',
    });
  }
  return { customerId: customers[0], outcome: customers.length > 0 ? 'erased' : 'unknown_customer' };
}

/** A data request (Shopify customers/data_request): recorded; the export is served by the API. */
async function recordDataRequest(event: CanonicalEvent, deps: ProcessDeps): Promise<ProcessResult> {
  const customers = await existingCustomers(event, deps);
  for (const customerId of customers) {
    await putTimelineEntry(deps.db, event.shopId, customerId, {
      at: event.occurredAt,
      entryId: event.eventId,
      type: 'privacy',
      channel: 'web',
      source: event.source,
      action: 'data_requested',
      ...(event.requestId ? { requestId: event.requestId } : {}),
    });
    const profile = await getProfile(deps.db, event.shopId, customerId);
    await changeProfile(event.shopId, customerId, { extra: { dataRequestedAt: event.occurredAt }, at: event.occurredAt }, profile, deps);
  }
  return { customerId: customers[0], outcome: customers.length > 0 ? 'recorded' : 'unknown_customer' };
}

/**
 * Shopify shop/redact: everything the shop's customers left here, and the shop itself. The marker goes
 * first (the webhook wrote it already unless this event came another way; a repeat keeps the first
 * time): an event checked after it is dropped, so nothing written behind the deletion survives it.
 * Repeating the whole event (a second shop/redact, a redelivery) deletes nothing more and is harmless.
 */
async function eraseShop(event: CanonicalEvent, deps: ProcessDeps): Promise<ProcessResult> {
  await markShopErased(deps.db, event.shopId, deps.now());
  const erased = await eraseShopData(deps.db, event.shopId);
  return { outcome: `erased ${erased} items` };
}

/**
 * Flows on entering the tier an order climbs to (shared/loyalty/flows.ts tierFlowFirings): sent with
 * the order's other triggers, dated at the instant the tier was reached, so the run that later sees
 * the customer in the tier makes the same trigger and the email stage sends it once.
 */
async function tierFlows(
  plan: LoyaltyPlan,
  known: Profile | undefined,
  program: Program,
  shopId: string,
  deps: Pick<ProcessDeps, 'timeZone'>,
): Promise<TriggerDraft[]> {
  const since = plan.sets.tierSince;
  if (!plan.triggers.some((trigger) => trigger.trigger === 'tier_up') || !plan.sets.tier || !since) return [];
  const day = localDate(new Date(since), (await deps.timeZone?.(shopId)) ?? 'UTC');
  return tierFlowFirings(flowsOf(program), known?.derived.flowMarks ?? {}, plan.sets.tier, day).map((firing) => ({
    key: firing.key,
    trigger: firing.flow.copy,
    at: since,
    data: { flowId: firing.flow.id, reasons: firing.reasons },
  }));
}
