import type { ListedValues } from '#shared/data/customer-list-repo.ts';
import { REDEMPTIONS_ON_PROFILE, redemptionAttribute } from '#shared/data/keys.ts';
import { historyOf } from '#shared/data/profile-history.ts';
import { CONTACT_FIELDS, type Contact } from '#shared/domain/contact.ts';
import type { OrderHistory } from '#shared/domain/history.ts';
import type { FlowMarks } from '#shared/loyalty/flows.ts';
import type { LoyaltyState, Outbox, TierBase } from '#shared/loyalty/plan.ts';
import type { TierOverride } from '#shared/loyalty/rules.ts';

/**
 * The customer profile item (`SHOP#{shopId}#C#{customerId}` / `PROFILE`) and the typed value use
 * cases work with. Every storage abbreviation of the profile lives here (and the order history's in
 * profile-history.ts): `pv` version, `bf` first-order bonus, `wl` welcomed, `ob` loyalty outbox,
 * `tb` tier base (the last tier decision that was not an event), `wb` last win-back period (before
 * flows; read as the win-back flow's last month), `fl` flow marks (flows.ts: per flow, the day it
 * last fired and the day a delayed send is due; one small entry per flow of the program), `sm`
 * segment memberships, `em` marketing emails sent in the last week, `lk` what the customer lists
 * name them under (`l` last order, `s` spent, `v` 12-month value, `q` search tokens), `lc_{channel}`
 * last contact, `t_{field}` stamps, `rd_{key}` redemptions (and staff adjustments, `rd_adjust/{key}`,
 * reward redemptions, `rd_reward/{key}`, points given back for a code, `rd_return/{code}`),
 * `rl_{rewardId}` a limited reward's count in its period, `al_{activity}` a limited activity's
 * (activity awards' keys are `rd_activity/{key}`), `pk_{rewardId}` the period a tier perk was
 * last given in (written by the scheduled run, use-cases/resegment.ts).
 */

type Item = Record<string, unknown>;

export interface RedemptionRecord {
  points: number;
  at: string;
  reason?: string;
  entryId: string;
  /** A reward bought with the points: which, how many steps, and the code chosen for it (before any platform call). */
  reward?: { rewardId: string; steps: number; code: string };
  /** An activity the points were awarded for, and the shop's reference to it (a review id, say). */
  activity?: { activity: string; reference?: string };
}

/** A customer's redemptions of one limited reward in the limit's current period (`ever`, `2026`, `2026-12`). */
export interface RewardLimitCount {
  period: string;
  count: number;
  /** As stored, `{period}#{count}`: a string, so the conditional update compares it as it was read. */
  stored: string;
}

const limitCountOf = (stored: string): RewardLimitCount => {
  const at = stored.lastIndexOf('#');
  return { period: stored.slice(0, at), count: Number(stored.slice(at + 1)) || 0, stored };
};

export const storedLimitCount = (period: string, count: number) => `${period}#${count}`;

export interface Derived {
  rfm: { r: number; f: number; m: number; segment: string } | null;
  clv: { pAlive: number | null; expectedPurchases12m: number; expectedValue12m: number; model: string } | null;
  segments: string[];
  /** Every segment the customer is in as the last run saw it (RFM, tier, rules). */
  memberships: string[];
}

export interface Profile {
  shopId: string;
  customerId: string;
  /** Optimistic version: every planned change is conditional on it. */
  version: number;
  createdAt: string | undefined;
  contact: Contact;
  /** The last-writer-wins fields (contact, last contact per channel, NPS, CSAT, data request) and their stamps (epoch ms). */
  stamped: { values: Record<string, string | number>; stamps: Record<string, number> };
  externalIds: string[];
  lastContact: Record<string, string>;
  feedback: { nps?: number; npsAt?: number; csat?: number; csatAt?: number };
  suppressed: boolean;
  dataRequestedAt?: string;
  erasedAt?: string;
  loyalty: LoyaltyState;
  history: OrderHistory;
  derived: Partial<Derived> & { winBackPeriod?: string; flowMarks?: FlowMarks };
  redemptions: Record<string, RedemptionRecord>;
  /** Per limited reward, its redemptions in the current period (`rl_{rewardId}`, one small map per reward of the catalog). */
  rewardLimits: Record<string, RewardLimitCount>;
  /** Per limited activity, its awards in the current period (`al_{activity}`), counted like the rewards'. */
  activityLimits: Record<string, RewardLimitCount>;
  /** When marketing emails went out in about the last week (the weekly cap). */
  recentMarketingEmails: string[];
  /** What the customer lists hold this customer under, as the last run wrote them (customer-list-repo.ts). */
  listed?: ListedValues;
}

const LAST_CONTACT = 'lc_';
const STAMP = 't_';

/** The attribute holding the time (epoch ms) of the event a last-writer-wins field's value came from. */
export const stampAttribute = (field: string) => `${STAMP}${field}`;
const REDEMPTION = 'rd_';
const REWARD_LIMIT = 'rl_';
const ACTIVITY_LIMIT = 'al_';

/** Last-writer-wins field names as stored: contact fields by name, last contact per channel `lc_{channel}`. */
export const lastContactField = (channel: string) => `${LAST_CONTACT}${channel}`;

/** The stored names of the loyalty attributes a profile change may set. */
const LOYALTY_ATTRIBUTES: Record<keyof LoyaltyChange, string> = {
  tier: 'tier',
  tierSince: 'tierSince',
  tierOverride: 'tierOverride',
  tierBase: 'tb',
  firstOrderBonus: 'bf',
  welcomedAt: 'wl',
  outbox: 'ob',
};

/** Loyalty attributes to set in one profile change (balance and lifetime move by deltas). */
export type LoyaltyChange = Partial<Pick<LoyaltyState, 'tier' | 'tierSince' | 'tierBase' | 'firstOrderBonus' | 'welcomedAt' | 'outbox'>> & {
  /** null removes the override. */
  tierOverride?: TierOverride | null;
};

/** The stored attribute names and values of a loyalty change. */
export const loyaltyAttributes = (change: LoyaltyChange): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(change)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [LOYALTY_ATTRIBUTES[name as keyof LoyaltyChange], value]),
  );

/** The stored attributes of the scheduled run's derived fields. */
export const derivedAttributes = (derived: Partial<Derived> & { winBackPeriod?: string; flowMarks?: FlowMarks }): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries({
      rfm: derived.rfm,
      clv: derived.clv,
      segments: derived.segments,
      sm: derived.memberships,
      wb: derived.winBackPeriod,
      fl: derived.flowMarks && storedFlowMarks(derived.flowMarks),
    }).filter(([, value]) => value !== undefined),
  );

/** Flow marks as stored (`fl`): per flow id, `l` the local day it last fired, `d` the day a delayed send is due. */
type StoredFlowMarks = Record<string, { l?: string; d?: string }>;

const storedFlowMarks = (marks: FlowMarks): StoredFlowMarks =>
  Object.fromEntries(
    Object.entries(marks).map(([id, mark]) => [id, { ...(mark.last ? { l: mark.last } : {}), ...(mark.due ? { d: mark.due } : {}) }]),
  );

const flowMarksOf = (stored: unknown): FlowMarks =>
  Object.fromEntries(
    Object.entries(stored as StoredFlowMarks).map(([id, mark]) => [
      id,
      { ...(str(mark.l) ? { last: mark.l } : {}), ...(str(mark.d) ? { due: mark.d } : {}) },
    ]),
  );

/** Shop and customer ids, from the profile's key (SHOP#{shopId}#C#{customerId}). */
function idsOf(item: Item) {
  const match = /^SHOP#(.+)#C#([^#]+)$/.exec(String(item.PK));
  return { shopId: match?.[1] ?? '', customerId: match?.[2] ?? '' };
}

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
const num = (value: unknown) => (typeof value === 'number' ? value : undefined);

/** The typed profile of a stored item. */
export function profileOf(item: Item): Profile {
  const contact: Contact = {};
  for (const field of CONTACT_FIELDS) {
    const value = str(item[field]);
    if (value !== undefined) contact[field] = value;
  }
  const values: Record<string, string | number> = {};
  const stamps: Record<string, number> = {};
  const lastContact: Record<string, string> = {};
  const redemptions: Record<string, RedemptionRecord> = {};
  const rewardLimits: Record<string, RewardLimitCount> = {};
  const activityLimits: Record<string, RewardLimitCount> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(STAMP) && typeof value === 'number') stamps[name.slice(STAMP.length)] = value;
    else if (name.startsWith(LAST_CONTACT) && typeof value === 'string') lastContact[name.slice(LAST_CONTACT.length)] = value;
    else if (name.startsWith(REDEMPTION)) redemptions[name.slice(REDEMPTION.length)] = value as RedemptionRecord;
    else if (name.startsWith(REWARD_LIMIT) && typeof value === 'string')
      rewardLimits[name.slice(REWARD_LIMIT.length)] = limitCountOf(value);
    else if (name.startsWith(ACTIVITY_LIMIT) && typeof value === 'string')
      activityLimits[name.slice(ACTIVITY_LIMIT.length)] = limitCountOf(value);
    if (typeof value === 'string' || typeof value === 'number') values[name] = value;
  }
  const nps = num(item.nps);
  const csat = num(item.csat);
  const npsAt = num(item[stampAttribute('nps')]);
  const csatAt = num(item[stampAttribute('csat')]);
  return {
    ...idsOf(item),
    version: num(item.pv) ?? 0,
    createdAt: str(item.createdAt),
    contact,
    stamped: { values, stamps },
    externalIds: [...((item.externalIds as Set<string> | undefined) ?? [])].sort(),
    lastContact,
    feedback: {
      ...(nps === undefined ? {} : { nps }),
      ...(npsAt === undefined ? {} : { npsAt }),
      ...(csat === undefined ? {} : { csat }),
      ...(csatAt === undefined ? {} : { csatAt }),
    },
    suppressed: Boolean(item.suppressed),
    ...(str(item.dataRequestedAt) ? { dataRequestedAt: str(item.dataRequestedAt) } : {}),
    ...(str(item.erasedAt) ? { erasedAt: str(item.erasedAt) } : {}),
    loyalty: {
      balance: num(item.pointsBalance) ?? 0,
      lifetime: num(item.pointsLifetime) ?? 0,
      ...(str(item.tier) ? { tier: str(item.tier) } : {}),
      ...(str(item.tierSince) ? { tierSince: str(item.tierSince) } : {}),
      ...(item.tierOverride ? { tierOverride: item.tierOverride as TierOverride } : {}),
      ...(item.tb ? { tierBase: item.tb as TierBase } : {}),
      ...(item.bf ? { firstOrderBonus: item.bf as LoyaltyState['firstOrderBonus'] } : {}),
      ...(str(item.wl) ? { welcomedAt: str(item.wl) } : {}),
      ...(item.ob ? { outbox: item.ob as Outbox } : {}),
    },
    history: historyOf(item),
    derived: {
      ...(item.rfm !== undefined ? { rfm: item.rfm as Derived['rfm'] } : {}),
      ...(item.clv !== undefined ? { clv: item.clv as Derived['clv'] } : {}),
      ...(item.segments !== undefined ? { segments: item.segments as string[] } : {}),
      ...(item.sm !== undefined ? { memberships: item.sm as string[] } : {}),
      ...(str(item.wb) ? { winBackPeriod: str(item.wb) } : {}),
      ...(item.fl ? { flowMarks: flowMarksOf(item.fl) } : {}),
    },
    redemptions,
    rewardLimits,
    activityLimits,
    recentMarketingEmails: (item.em as string[] | undefined) ?? [],
    ...listedField(item.lk),
  };
}

interface StoredListed {
  l?: string;
  s?: number;
  v?: number;
  q?: string[];
}

const listedOf = (stored: StoredListed): ListedValues | undefined =>
  stored.s === undefined
    ? undefined
    : {
        ...(stored.l === undefined ? {} : { lastOrderAt: stored.l }),
        totalSpent: stored.s,
        ...(stored.v === undefined ? {} : { clv: stored.v }),
        tokens: stored.q ?? [],
      };

function listedField(stored: unknown): { listed?: ListedValues } {
  const listed = listedOfStored(stored);
  return listed ? { listed } : {};
}

/** The stored attribute of what the customer lists name the customer under (an empty map: listed nowhere). */
export const listedAttributes = (values: ListedValues | undefined): { lk: StoredListed } => ({
  lk: values
    ? {
        ...(values.lastOrderAt === undefined ? {} : { l: values.lastOrderAt }),
        s: values.totalSpent,
        ...(values.clv === undefined ? {} : { v: values.clv }),
        q: values.tokens,
      }
    : {},
});

/** The attribute erasure removes (with the contact details) and reads back, to delete the entries it names. */
export const LISTED_ATTRIBUTE = 'lk';
export const listedOfStored = (stored: unknown) => (stored ? listedOf(stored as StoredListed) : undefined);

/** The stored attribute of the marketing emails sent in the last week. */
export const recentEmailsAttributes = (sentAt: string[]) => ({ em: sentAt });

/**
 * The redemption attributes a profile lets go of before it holds one more: it keeps the newest
 * REDEMPTIONS_ON_PROFILE (every one is also kept as an item of its own).
 */
export function redemptionsToEvict(profile: Profile): string[] {
  const held = Object.entries(profile.redemptions).sort(([a, x], [b, y]) => String(x.at).localeCompare(String(y.at)) || a.localeCompare(b));
  return held.slice(0, Math.max(0, held.length - (REDEMPTIONS_ON_PROFILE - 1))).map(([key]) => redemptionAttribute(key));
}

/** The typed profile, or undefined when there is no item. */
export const profileOrUndefined = (item: Item | undefined) => (item ? profileOf(item) : undefined);
