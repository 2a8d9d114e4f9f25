import { type Campaign, checkpointFanout, getCampaign, moveCampaignIfStatus } from '#shared/data/campaign-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { segmentMembersPage, shardKeysPage } from '#shared/data/run-repo.ts';
import { table } from '#shared/data/table-definition.ts';
import { CAMPAIGN_TRIGGER } from '#shared/email/rules.ts';
import type { TriggerRecord } from '#shared/use-cases/loyalty-effects.ts';

/**
 * Sending a campaign (the campaigns queue, functions/send-campaign.ts), in two kinds of step:
 *
 *   start  — `{shopId, campaignId, step: 'start'}`, queued when the campaign is scheduled with a
 *            delay of at most 15 minutes (SQS's limit): until the campaign's time, the step queues
 *            itself again for the time left; at its time, it moves the campaign scheduled → sending
 *            (once: a conditional write) and queues one fan-out step per part of the audience.
 *   fanout — `{shopId, campaignId, step: 'fanout', part}`: the part's customers a page (100) at a
 *            time onto the email queue as trigger records `campaign:<id>`, the part's checkpoint
 *            on the campaign after each page; paced to the sending rate (a step that is ahead
 *            queues its continuation with the delay), handing over before the invocation's time
 *            runs out. The part that finds every part done moves the campaign sending → sent.
 *
 * A segment is one part (its members' partition, by customer id); everyone is one part per GSI1
 * shard (16), every profile of the shop (the email stage sends only to those subscribed then).
 *
 * Crash-safe and at least once: every step starts from the checkpoint on the campaign, so a step
 * redelivered after a crash repeats at most the page it was on; the email stage sends each customer
 * at most once per campaign (the send id of (shop, customer, `campaign:<id>`)), so a repeated page
 * sends nobody twice. A cancelled campaign stops at the next page (checkpoints only move while it
 * is sending), and the email stage skips what is already queued (`campaign_cancelled`).
 */

export type CampaignMessage =
  | { shopId: string; campaignId: string; step: 'start' }
  | { shopId: string; campaignId: string; step: 'fanout'; part: number };

export interface SendCampaignDeps {
  db: Db;
  now: () => Date;
  /** The campaigns queue, after `delaySeconds` (≤ 900). */
  enqueue: (messages: CampaignMessage[], delaySeconds?: number) => Promise<void>;
  /** The email queue. */
  triggers: (records: TriggerRecord[]) => Promise<void>;
  /** Customers put on the email queue per second at most (the account's SES rate, less room for triggers). */
  ratePerSecond: number;
  /** Time left in this invocation. */
  remainingMs?: () => number;
}

export const PAGE_SIZE = 100;
export const MAX_DELAY_SECONDS = 900;
/** A fan-out step hands over when less than this is left of its invocation. */
const HANDOVER_MS = 20_000;

export const partsOf = (campaign: Pick<Campaign, 'audience'>) => (campaign.audience.kind === 'segment' ? 1 : table.gsi1.shards);

/** The email stage's record for one customer of the campaign. */
export const campaignRecord = (
  shopId: string,
  campaign: Pick<Campaign, 'campaignId' | 'startedAt'>,
  customerId: string,
  at: string,
): TriggerRecord => ({
  shopId,
  customerId,
  key: `${CAMPAIGN_TRIGGER}:${campaign.campaignId}`,
  trigger: CAMPAIGN_TRIGGER,
  at: campaign.startedAt ?? at,
  data: { campaignId: campaign.campaignId },
});

export type StepOutcome =
  | { status: 'waiting'; delaySeconds: number }
  | { status: 'started'; parts: number }
  | { status: 'paused'; customers: number; delaySeconds: number }
  | { status: 'part_done'; customers: number; finished: boolean }
  | { status: 'ignored'; reason: string };

export async function campaignStep(message: CampaignMessage, deps: SendCampaignDeps): Promise<StepOutcome> {
  const campaign = await getCampaign(deps.db, message.shopId, message.campaignId, true);
  if (!campaign) return { status: 'ignored', reason: 'no_campaign' };
  return message.step === 'start' ? start(message.shopId, campaign, deps) : fanout(message.shopId, campaign, message.part, deps);
}

async function start(shopId: string, campaign: Campaign, deps: SendCampaignDeps): Promise<StepOutcome> {
  const now = deps.now();
  let current: Campaign | undefined = campaign;
  if (campaign.status === 'scheduled') {
    const dueMs = Date.parse(campaign.sendAt ?? '') - now.getTime();
    if (dueMs > 1000) {
      const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.ceil(dueMs / 1000));
      await deps.enqueue([{ shopId, campaignId: campaign.campaignId, step: 'start' }], delaySeconds);
      return { status: 'waiting', delaySeconds };
    }
    const parts = partsOf(campaign);
    current = await moveCampaignIfStatus(deps.db, shopId, campaign.campaignId, 'start', { startedAt: now.toISOString(), parts, fo: {} });
    current ??= await getCampaign(deps.db, shopId, campaign.campaignId, true);
  }
  // Sending already (this step again, after a crash between the move and the queueing below): the
  // parts are queued again; each goes on from its checkpoint.
  if (current?.status !== 'sending') return { status: 'ignored', reason: current?.status ?? 'no_campaign' };
  const parts = current.parts ?? partsOf(current);
  const open = Array.from({ length: parts }, (_, part) => part).filter((part) => !current.fanout[String(part)]?.done);
  await deps.enqueue(open.map((part) => ({ shopId, campaignId: current.campaignId, step: 'fanout', part })));
  return { status: 'started', parts: open.length };
}

/** One page of the part's customers: their ids and where the next page starts. */
async function pageOf(shopId: string, campaign: Campaign, part: number, cursor: string | undefined, db: Db) {
  if (campaign.audience.kind === 'segment') {
    const page = await segmentMembersPage(db, shopId, campaign.audience.segmentId, PAGE_SIZE, cursor);
    return { customerIds: page.customers.map((member) => member.customerId), next: page.last };
  }
  const page = await shardKeysPage(db, shopId, part, PAGE_SIZE, cursor ? (JSON.parse(cursor) as Record<string, unknown>) : undefined);
  return {
    // GSI1 holds profiles only; their partition key ends with the customer id.
    customerIds: page.keys.map((key) => key.PK.slice(key.PK.lastIndexOf('#C#') + 3)),
    next: page.cursor ? JSON.stringify(page.cursor) : undefined,
  };
}

async function fanout(shopId: string, campaign: Campaign, part: number, deps: SendCampaignDeps): Promise<StepOutcome> {
  if (campaign.status !== 'sending') return { status: 'ignored', reason: campaign.status };
  const checkpoint = campaign.fanout[String(part)] ?? { done: false, customers: 0 };
  if (checkpoint.done) return { status: 'ignored', reason: 'part_done' };
  const began = Date.now();
  let cursor = checkpoint.cursor;
  let customers = checkpoint.customers;
  let queued = 0;
  const at = deps.now().toISOString();
  for (;;) {
    const page = await pageOf(shopId, campaign, part, cursor, deps.db);
    if (page.customerIds.length > 0) await deps.triggers(page.customerIds.map((id) => campaignRecord(shopId, campaign, id, at)));
    queued += page.customerIds.length;
    customers += page.customerIds.length;
    const done = page.next === undefined;
    const after = await checkpointFanout(deps.db, shopId, campaign.campaignId, part, {
      ...(page.next ? { cursor: page.next } : {}),
      done,
      customers,
    });
    if (!after) return { status: 'ignored', reason: 'not_sending' };
    if (done) {
      const parts = after.parts ?? partsOf(after);
      const finished = Array.from({ length: parts }, (_, p) => after.fanout[String(p)]?.done === true).every(Boolean);
      if (finished) await moveCampaignIfStatus(deps.db, shopId, campaign.campaignId, 'finish', { finishedAt: deps.now().toISOString() });
      return { status: 'part_done', customers, finished };
    }
    cursor = page.next;
    // Paced: `queued` customers should have taken queued / rate seconds. Ahead by more than a
    // second, or short of time, the part goes on in a continuation (from this checkpoint).
    const aheadMs = (queued / deps.ratePerSecond) * 1000 - (Date.now() - began);
    const short = (deps.remainingMs?.() ?? Number.POSITIVE_INFINITY) < HANDOVER_MS;
    if (aheadMs > 1000 || short) {
      const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(aheadMs / 1000)));
      await deps.enqueue([{ shopId, campaignId: campaign.campaignId, step: 'fanout', part }], delaySeconds);
      return { status: 'paused', customers, delaySeconds };
    }
  }
}
