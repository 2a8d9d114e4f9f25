import * as z from 'zod';
import { SegmentIdSchema } from '#shared/analytics/segment-ids.ts';
import { ShopMessageSchema } from '#shared/email/shop-template.ts';

/**
 * Flows on segment entry: the shop attaches a message to entering a segment — an RFM segment
 * (`rfm:at-risk`), a tier (`tier:gold`) or one of its rule segments (`rule:vip`) — sent at once or
 * some days later, with a catalog reward's code if it likes, at most once per period per customer.
 * Part of the program document: validated, versioned and diffed with it (flows are few and small,
 * so they live where the rest of the rules live; the limits below keep the document far under the
 * table's 400 KB item).
 *
 * Who fires when is decided by the scheduled run (planFlows, pure, here): it compares the segments a
 * customer was in at the last run with those it is in now — and, for a tier an order climbs to, by
 * the processor at once (tierFlowFirings), dated as the run dates it. Entering any of a flow's segments fires
 * it — at once (the run's own email batch) or, with a delay, on the first run on or after the due
 * day, if the customer is still in one of the flow's segments then. The marks that make this
 * converge live on the profile (`fl`, one small entry per flow: the day it last fired and the day
 * it is due), and the email stage sends each `flow:<id>:<period>` key at most once.
 *
 * The built-in win-back is one such flow (`win-back`): entering At Risk, Can't Lose Them or About
 * To Sleep, or P(alive) falling below the shop's threshold, once a calendar month, with the
 * built-in win-back copy and the program's win-back reward. A program saved before flows existed
 * reads as having exactly that flow, made from its `offers.winBack` and `analytics.winBackPAliveBelow`.
 */

const Id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, up to 40 characters');

export const FlowOnceSchema = z.discriminatedUnion('every', [
  /** Once in the customer's life (as long as the flow keeps its id). */
  z.strictObject({ every: z.literal('ever') }),
  /** Again only when at least this many days have passed since it last fired. */
  z.strictObject({ every: z.literal('days'), days: z.number().int().min(1).max(3650) }),
  /** Once per calendar month, or year, in the shop's time zone. */
  z.strictObject({ every: z.literal('month') }),
  z.strictObject({ every: z.literal('year') }),
]);

/** Which built-in copy goes out where the shop wrote none in the customer's language. */
export const FLOW_COPIES = ['flow', 'win_back'] as const;

export const FlowSchema = z.strictObject({
  id: Id,
  name: z.string().trim().min(1).max(80),
  /** Entering any of these fires the flow (several: the win-back's three RFM segments). */
  segments: z.array(SegmentIdSchema).min(1).max(10),
  /** Days after entering; 0: in the run that sees the customer enter. */
  delayDays: z.number().int().min(0).max(365).default(0),
  /** A catalog reward given free with the email (a real code, as the win-back's offer). */
  rewardId: Id.optional(),
  once: FlowOnceSchema,
  /** A flow switched off stays in the document, fires nothing, and its pending sends are dropped. */
  active: z.boolean().default(true),
  /** Also fires when the customer's P(alive) falls below this (the win-back's threshold); absent: segments only. */
  pAliveBelow: z.number().gt(0).max(1).optional(),
  copy: z.enum(FLOW_COPIES).default('flow'),
  /** The shop's own subject and body per language (shop-template.ts, FLOW_VARIABLES); absent: the built-in copy. */
  message: ShopMessageSchema.optional(),
});

export type Flow = z.infer<typeof FlowSchema>;
export type FlowOnce = z.infer<typeof FlowOnceSchema>;

export const MAX_FLOWS = 20;
/** The flows' share of the program document, as JSON (messages included). */
export const MAX_FLOWS_BYTES = 100_000;

export const WIN_BACK_FLOW_ID = 'win-back';
export const WIN_BACK_SEGMENTS = ['rfm:at-risk', 'rfm:can-t-lose-them', 'rfm:about-to-sleep'];

/** The built-in win-back as a flow: today's behaviour, from the program's own win-back settings. */
export function winBackFlow(settings: { rewardId?: string | undefined; pAliveBelow: number }): Flow {
  return {
    id: WIN_BACK_FLOW_ID,
    name: 'Win-back',
    segments: [...WIN_BACK_SEGMENTS],
    delayDays: 0,
    ...(settings.rewardId ? { rewardId: settings.rewardId } : {}),
    once: { every: 'month' },
    active: true,
    ...(settings.pAliveBelow > 0 ? { pAliveBelow: settings.pAliveBelow } : {}),
    copy: 'win_back',
  };
}

/** The flows a program runs: its own, or — saved before flows existed — the built-in win-back. */
export function flowsOf(program: {
  flows?: Flow[] | undefined;
  offers: { winBack?: string | undefined };
  analytics: { winBackPAliveBelow: number };
}): Flow[] {
  return program.flows ?? [winBackFlow({ rewardId: program.offers.winBack, pAliveBelow: program.analytics.winBackPAliveBelow })];
}

/* ---------------- who fires when ---------------- */

/** A flow's marks on one profile: the local day it last fired, the day a delayed send is due. */
export interface FlowMark {
  last?: string;
  due?: string;
}
export type FlowMarks = Record<string, FlowMark>;

export interface FlowFiring {
  flow: Flow;
  /** `flow:<id>:<period>`: the email stage sends it once, the reward's code is derived from it. */
  key: string;
  /** What made it fire: the segments entered, `pAlive<0.3`. */
  reasons: string[];
  /**
   * The local day of entering it is dated from, when that day is known (a tier, entered with an
   * order): the trigger is dated at that instant, as the processor's, even on the run's own day.
   */
  on?: string;
}

const DAY_MS = 86_400_000;
const daysBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);
export const addDays = (day: string, days: number) => new Date(Date.parse(day) + days * DAY_MS).toISOString().slice(0, 10);

/** The period a firing on `today` falls in, or undefined when the flow already fired in it. */
export function flowPeriod(once: FlowOnce, last: string | undefined, today: string): string | undefined {
  switch (once.every) {
    case 'ever':
      return last === undefined ? 'ever' : undefined;
    case 'month':
      return last?.slice(0, 7) === today.slice(0, 7) ? undefined : today.slice(0, 7);
    case 'year':
      return last?.slice(0, 4) === today.slice(0, 4) ? undefined : today.slice(0, 4);
    case 'days':
      return last !== undefined && daysBetween(last, today) < once.days ? undefined : today;
  }
}

export interface FlowFacts {
  /** The shop's local date of the run. */
  today: string;
  /**
   * The local day a segment was entered, where it is known to be earlier than the run: a tier, on the
   * day the order reached it (tierSince). A flow fired on entering it is dated from that day, so the
   * processor's firing (tierFlowFirings) and the run's have the same key.
   */
  enteredOn?: Readonly<Record<string, string>>;
  /** Segment ids the customer is in now, and those it entered since the last run. */
  memberships: readonly string[];
  entered: readonly string[];
  /** P(alive) at the last run and now (null/undefined: no model). */
  pAliveBefore?: number | null | undefined;
  pAlive?: number | null | undefined;
}

/**
 * Which flows fire for one customer in one run, and the marks to keep. Pure and deterministic: the
 * same profile and run give the same firings and keys, so a repeated run step changes nothing.
 * Marks of flows the program no longer has are dropped; a pending send of a flow switched off too.
 */
export function planFlows(flows: readonly Flow[], marks: FlowMarks, facts: FlowFacts): { firings: FlowFiring[]; marks: FlowMarks } {
  const next: FlowMarks = {};
  const firings: FlowFiring[] = [];
  const held = new Set(facts.memberships);
  const entered = new Set(facts.entered);
  for (const flow of flows) {
    const mark: FlowMark = { ...marks[flow.id] };
    if (!flow.active) delete mark.due;
    else {
      const reasons = flow.segments.filter((segment) => entered.has(segment));
      const below = (p: number | null | undefined) => flow.pAliveBelow !== undefined && typeof p === 'number' && p < flow.pAliveBelow;
      if (below(facts.pAlive) && !below(facts.pAliveBefore)) reasons.push(`pAlive<${flow.pAliveBelow}`);
      let fire: string[] | undefined;
      if (mark.due !== undefined && mark.due <= facts.today) {
        // Due now: still a reason to write (in one of the segments, or P(alive) still low)?
        const still = flow.segments.filter((segment) => held.has(segment));
        if (below(facts.pAlive)) still.push(`pAlive<${flow.pAliveBelow}`);
        delete mark.due;
        if (still.length > 0) fire = still;
      }
      if (reasons.length > 0) {
        if (flow.delayDays === 0) fire = reasons;
        // Entered again while a send is pending: the pending one stands (no later due day).
        else if (mark.due === undefined && flowPeriod(flow.once, mark.last, addDays(facts.today, flow.delayDays)))
          mark.due = addDays(facts.today, flow.delayDays);
      }
      // Fired on entering, every reason a segment entered on a known day: dated from that day.
      const days = fire === reasons ? reasons.map((reason) => facts.enteredOn?.[reason]) : [];
      const dated = days.length > 0 && days.every((d) => d !== undefined);
      const day = dated ? (days.sort()[0] as string) : facts.today;
      const period = fire ? flowPeriod(flow.once, mark.last, day) : undefined;
      if (fire && period !== undefined) {
        firings.push({ flow, key: `flow:${flow.id}:${period}`, reasons: fire, ...(dated ? { on: day } : {}) });
        mark.last = day > (mark.last ?? '') ? day : (mark.last as string);
      }
    }
    if (mark.last !== undefined || mark.due !== undefined) next[flow.id] = mark;
  }
  return { firings, marks: next };
}

/**
 * The flows an order's tier climb fires at once, in the processor (the run would otherwise fire
 * them at its next pass): active flows on `tier:<to>` with no delay and no reward (a reward's code
 * is given by the run, which has the codes' key), allowed by the marks the last run left. Keyed and
 * dated as the run keys them (planFlows with `enteredOn`), so whichever comes second is the same
 * email, which the email stage sends once.
 */
export function tierFlowFirings(flows: readonly Flow[], marks: FlowMarks, tier: string, sinceDay: string): FlowFiring[] {
  const segment = `tier:${tier}`;
  return flows.flatMap((flow) => {
    if (!flow.active || flow.delayDays > 0 || flow.rewardId !== undefined || !flow.segments.includes(segment)) return [];
    const period = flowPeriod(flow.once, marks[flow.id]?.last, sinceDay);
    return period === undefined ? [] : [{ flow, key: `flow:${flow.id}:${period}`, reasons: [segment], on: sinceDay }];
  });
}
