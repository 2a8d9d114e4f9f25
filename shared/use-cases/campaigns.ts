import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { RFM_SEGMENT_NAMES } from '#shared/analytics/rfm.ts';
import { segmentIdOfRfm, segmentIdOfRule, segmentIdOfTier } from '#shared/analytics/segment-ids.ts';
import {
  type Campaign,
  type CampaignFields,
  type CampaignSummary,
  campaignPage,
  getCampaign,
  moveCampaignIfStatus,
  putCampaignIfAbsent,
  updateDraftIfRevision,
} from '#shared/data/campaign-repo.ts';
import { loadProfile } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import {
  type Audience,
  CAMPAIGN_MOVES,
  CampaignIdSchema,
  type CampaignMove,
  CreateCampaignSchema,
  canMove,
  newCampaignId,
  UpdateCampaignSchema,
  zonedTimeToInstant,
} from '#shared/domain/campaign.ts';
import { ConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { EMAIL_LANGUAGES } from '#shared/email/locales.ts';
import { baseMessageValues, type RewardFacts } from '#shared/email/message-values.ts';
import { buildMime } from '#shared/email/mime.ts';
import { CAMPAIGN_VARIABLES, renderShopMessage, type ShopMessage, ShopMessageNotSendableError } from '#shared/email/shop-template.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { composeBase } from '#shared/use-cases/compose-email.ts';
import { checkedMessage } from '#shared/use-cases/manage-email-templates.ts';
import { CustomerIdSchema } from '#shared/use-cases/read-customers.ts';
import type { CampaignMessage } from '#shared/use-cases/send-campaign.ts';

/**
 * The shop API of campaigns (functions/campaigns.ts): drafts created and changed, previewed for a
 * real customer, sent once to a test address, scheduled, cancelled; read with their progress and
 * results. Every bad input is a 400 naming its field; a move the campaign's status does not allow
 * is a 409 saying the status (shared/domain/campaign.ts has the moves).
 */

export interface CampaignDeps {
  db: Db;
  now: () => Date;
  program: (shopId: string) => Promise<Program>;
  masterKey: () => Promise<string>;
  publicUrl: string;
  /** The campaigns queue, after a delay (≤ 900 s). */
  enqueue: (messages: CampaignMessage[], delaySeconds?: number) => Promise<void>;
  /** One SES SendRawEmail (the test send). */
  sendRaw: (raw: Uint8Array, tags: Record<string, string>) => Promise<{ messageId: string }>;
}

const DAY_MS = 86_400_000;
/** How far ahead a campaign can be scheduled. */
const MAX_AHEAD_DAYS = 366;

const idOf = (value: string | undefined) => parseOrThrow(CampaignIdSchema, value, 'campaignId');

async function found(shop: ShopRecord, campaignId: string | undefined, db: Db, consistent = true): Promise<Campaign> {
  const campaign = await getCampaign(db, shop.shopId, idOf(campaignId), consistent);
  if (!campaign) throw new NotFoundError(`no campaign ${campaignId}`);
  return campaign;
}

/** The segments a campaign may go to: those GET /v1/segments lists. */
function checkAudience(audience: Audience, program: Program) {
  if (audience.kind !== 'segment') return;
  const known = new Set([
    ...RFM_SEGMENT_NAMES.map(segmentIdOfRfm),
    ...program.tiers.levels.map((level) => segmentIdOfTier(level.id)),
    ...program.analytics.segments.map((segment) => segmentIdOfRule(segment.id)),
  ]);
  if (!known.has(audience.segmentId))
    throw new ValidationError('audience.segmentId', `audience.segmentId: no segment ${audience.segmentId} (GET /v1/segments lists them)`);
}

function checkReward(rewardId: string | null | undefined, program: Program) {
  if (!rewardId) return;
  const reward = program.rewards.find((candidate) => candidate.id === rewardId);
  if (!reward) throw new ValidationError('rewardId', `rewardId: no reward ${rewardId} in the program's catalog`);
  if (!reward.active) throw new ValidationError('rewardId', `rewardId: the reward ${rewardId} is taken off the catalog`);
}

/** A scheduled time: in the future (a minute's slack for a clock), within a year. */
function sendAtOf(local: string, timezone: string, now: Date, field: string): Date {
  const at = zonedTimeToInstant(local, timezone);
  if (at.getTime() < now.getTime() - 60_000)
    throw new ValidationError(field, `${field}: ${local} in ${timezone} is in the past (send {"now": true} to send at once)`);
  if (at.getTime() > now.getTime() + MAX_AHEAD_DAYS * DAY_MS) throw new ValidationError(field, `${field}: more than a year ahead`);
  return at;
}

/** The campaign as the API shows it: its fields, progress and results (its message when read alone, not in the list). */
export function campaignView(campaign: CampaignSummary & { message?: Campaign['message'] }, shop: ShopRecord) {
  const { counts } = campaign;
  const parts = campaign.parts ?? 0;
  const fanout = Object.values(campaign.fanout);
  return {
    campaignId: campaign.campaignId,
    name: campaign.name,
    status: campaign.status,
    audience: campaign.audience,
    ...(campaign.message ? { message: campaign.message } : {}),
    rewardId: campaign.rewardId ?? null,
    scheduledAt: campaign.scheduledAt ?? null,
    timezone: campaign.timezone ?? shop.timezone,
    sendAt: campaign.sendAt ?? null,
    revision: campaign.revision,
    createdAt: campaign.createdAt,
    updatedAt: campaign.updatedAt,
    startedAt: campaign.startedAt ?? null,
    finishedAt: campaign.finishedAt ?? null,
    cancelledAt: campaign.cancelledAt ?? null,
    progress: {
      parts,
      partsDone: fanout.filter((part) => part.done).length,
      /** Customers put on the email queue (a page repeated after a crash counts again here, never in the results). */
      queued: fanout.reduce((sum, part) => sum + part.customers, 0),
    },
    results: {
      sent: counts.sent,
      skipped: counts.skipped,
      skippedTotal: Object.values(counts.skipped).reduce((sum, n) => sum + n, 0),
      bounced: counts.bounced,
      complained: counts.complained,
      unsubscribed: counts.unsubscribed,
      codesUsed: counts.codesUsed,
      attributedRevenue: { amount: counts.revenue, currency: shop.currency },
    },
  };
}

async function checkedFields(
  shop: ShopRecord,
  body: z.infer<typeof CreateCampaignSchema> | z.infer<typeof UpdateCampaignSchema>,
  deps: CampaignDeps,
) {
  const program = await deps.program(shop.shopId);
  if (body.audience) checkAudience(body.audience, program);
  checkReward(body.rewardId, program);
  if (body.scheduledAt) sendAtOf(body.scheduledAt, shop.timezone, deps.now(), 'scheduledAt');
  const message = body.message === undefined ? undefined : checkedMessage(body.message, CAMPAIGN_VARIABLES, shop.brand, 'message');
  return { message };
}

/** POST /v1/campaigns: a draft. */
export async function createCampaign(shop: ShopRecord, body: unknown, deps: CampaignDeps) {
  const input = parseOrThrow(CreateCampaignSchema, body);
  const { message } = await checkedFields(shop, input, deps);
  const now = deps.now();
  const fields: CampaignFields = {
    name: input.name,
    audience: input.audience,
    message: message as ShopMessage,
    ...(input.rewardId ? { rewardId: input.rewardId } : {}),
    ...(input.scheduledAt ? { scheduledAt: input.scheduledAt } : {}),
  };
  const campaign = await putCampaignIfAbsent(
    deps.db,
    shop.shopId,
    newCampaignId(now, randomBytes(4).toString('hex')),
    fields,
    now.toISOString(),
  );
  return campaignView(campaign, shop);
}

export const ListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(50).default(20),
  cursor: CampaignIdSchema.optional(),
});

/** GET /v1/campaigns: newest first, pages of ≤ 50, without the messages; `cursor` names the next page. */
export async function listCampaigns(shop: ShopRecord, query: Record<string, string | undefined>, deps: Pick<CampaignDeps, 'db'>) {
  const { limit, cursor } = parseOrThrow(ListQuerySchema, query, 'query');
  const page = await campaignPage(deps.db, shop.shopId, limit, cursor);
  return { items: page.campaigns.map((campaign) => campaignView(campaign, shop)), ...(page.last ? { cursor: page.last } : {}) };
}

/** GET /v1/campaigns/{campaignId}: with its message, progress and results. */
export async function readCampaign(shop: ShopRecord, campaignId: string | undefined, deps: Pick<CampaignDeps, 'db'>) {
  return campaignView(await found(shop, campaignId, deps.db, false), shop);
}

const refuseMove = (campaign: Campaign, move: CampaignMove): never => {
  throw new ConflictError(
    `the campaign is ${campaign.status}: only a ${CAMPAIGN_MOVES[move].from.join(' or ')} campaign can be ${move === 'cancel' ? 'cancelled' : `${move}d`}`,
  );
};

/** PATCH /v1/campaigns/{campaignId}: a draft's fields, planned from `revision` (409 when it changed or is no longer a draft). */
export async function updateCampaign(shop: ShopRecord, campaignId: string | undefined, body: unknown, deps: CampaignDeps) {
  const id = idOf(campaignId);
  const input = parseOrThrow(UpdateCampaignSchema, body);
  const { message } = await checkedFields(shop, input, deps);
  const fields: Partial<CampaignFields> = {
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.audience === undefined ? {} : { audience: input.audience }),
    ...(message === undefined ? {} : { message }),
    ...(input.rewardId === undefined ? {} : { rewardId: input.rewardId }),
    ...(input.scheduledAt === undefined ? {} : { scheduledAt: input.scheduledAt }),
  };
  const updated = await updateDraftIfRevision(deps.db, shop.shopId, id, input.revision, fields, deps.now().toISOString());
  if (updated) return campaignView(updated, shop);
  const campaign = await found(shop, id, deps.db);
  if (campaign.status !== 'draft') throw new ConflictError(`the campaign is ${campaign.status}: only a draft can be changed`);
  throw new ConflictError(`the campaign changed meanwhile (revision ${campaign.revision}, not ${input.revision}): read it again`);
}

export const ScheduleSchema = z.strictObject({ now: z.literal(true).optional() }).default({});

/**
 * POST /v1/campaigns/{campaignId}/schedule: draft → scheduled, at its `scheduledAt` in the shop's
 * time zone as it is now, or at once with `{"now": true}`. The start step is queued with the delay
 * left (≤ 15 minutes; it queues itself again until the time comes).
 */
export async function scheduleCampaign(shop: ShopRecord, campaignId: string | undefined, body: unknown, deps: CampaignDeps) {
  const campaign = await found(shop, campaignId, deps.db);
  const { now: sendNow } = parseOrThrow(ScheduleSchema, body ?? {});
  if (!canMove('schedule', campaign.status)) refuseMove(campaign, 'schedule');
  const now = deps.now();
  if (!sendNow && !campaign.scheduledAt)
    throw new ValidationError('scheduledAt', 'scheduledAt: set it on the draft first, or send {"now": true}');
  const program = await deps.program(shop.shopId);
  // The catalog and the segments may have changed since the draft was saved.
  checkAudience(campaign.audience, program);
  checkReward(campaign.rewardId, program);
  const sendAt = sendNow || !campaign.scheduledAt ? now : sendAtOf(campaign.scheduledAt, shop.timezone, now, 'scheduledAt');
  const moved = await moveCampaignIfStatus(deps.db, shop.shopId, campaign.campaignId, 'schedule', {
    sendAt: sendAt.toISOString(),
    timezone: shop.timezone,
    updatedAt: now.toISOString(),
  });
  if (!moved) refuseMove(await found(shop, campaign.campaignId, deps.db), 'schedule');
  const delaySeconds = Math.max(0, Math.min(900, Math.ceil((sendAt.getTime() - now.getTime()) / 1000)));
  await deps.enqueue([{ shopId: shop.shopId, campaignId: campaign.campaignId, step: 'start' }], delaySeconds);
  return campaignView(moved as Campaign, shop);
}

/** POST /v1/campaigns/{campaignId}/cancel: a draft, scheduled or sending campaign stops (nothing more is queued; what is queued is skipped). */
export async function cancelCampaign(shop: ShopRecord, campaignId: string | undefined, deps: Pick<CampaignDeps, 'db' | 'now'>) {
  const campaign = await found(shop, campaignId, deps.db);
  if (!canMove('cancel', campaign.status)) refuseMove(campaign, 'cancel');
  const at = deps.now().toISOString();
  const moved = await moveCampaignIfStatus(deps.db, shop.shopId, campaign.campaignId, 'cancel', { cancelledAt: at, updatedAt: at });
  if (!moved) refuseMove(await found(shop, campaign.campaignId, deps.db), 'cancel');
  return campaignView(moved as Campaign, shop);
}

export const PreviewSchema = z.strictObject({
  customerId: CustomerIdSchema,
  language: z.enum(EMAIL_LANGUAGES).optional(),
  /** A message being written (not saved), checked as a save checks it; absent: the campaign's. */
  message: z.unknown().optional(),
});

/** A code of the campaign's reward as the preview shows it: the shape of a real one with an L, which real codes leave out. */
function exampleReward(rewardId: string | undefined, program: Program, currency: string, now: Date): RewardFacts | undefined {
  const reward = rewardId ? program.rewards.find((candidate) => candidate.id === rewardId) : undefined;
  if (!reward) return undefined;
  return {
    code: 'RW-PREVW-SAMPL',
    value: reward.value,
    currency,
    name: reward.name,
    ...(reward.minOrder ? { minOrder: reward.minOrder } : {}),
    expiresAt: new Date(now.getTime() + reward.validityDays * DAY_MS).toISOString(),
  } as RewardFacts;
}

/** The campaign's email for one customer, as the email stage makes it (the reward's code an example). */
async function renderFor(shop: ShopRecord, campaign: Campaign, body: unknown, deps: CampaignDeps, unsubscribeUrl?: string) {
  const input = parseOrThrow(PreviewSchema, body);
  const message = input.message === undefined ? campaign.message : checkedMessage(input.message, CAMPAIGN_VARIABLES, shop.brand, 'message');
  const [profile, program, masterKey] = await Promise.all([
    loadProfile(deps.db, shop.shopId, input.customerId),
    deps.program(shop.shopId),
    deps.masterKey(),
  ]);
  if (!profile || profile.erasedAt !== undefined) throw new NotFoundError(`no customer ${input.customerId}`);
  const now = deps.now();
  const base = composeBase(
    { record: { customerId: input.customerId }, shop, program, profile, masterKey, publicUrl: deps.publicUrl, now },
    true,
    profile.loyalty.tier,
  );
  const context = unsubscribeUrl ? { ...base.context, unsubscribeUrl } : base.context;
  const { language, values } = baseMessageValues(context, exampleReward(campaign.rewardId, program, shop.currency, now));
  let rendered: ReturnType<typeof renderShopMessage>;
  try {
    rendered = renderShopMessage(message, input.language ?? language, values, shop.brand, CAMPAIGN_VARIABLES);
  } catch (error) {
    // Saved when it could be sent; the brand has changed since (its postal address removed, say).
    if (error instanceof ShopMessageNotSendableError)
      throw new ValidationError(error.reason === 'no_postal_address' ? 'brand.address' : 'message', error.message);
    throw error;
  }
  return { rendered, program, unsubscribeUrl: context.unsubscribeUrl };
}

/** POST /v1/campaigns/{campaignId}/preview: `{customerId, language?, message?}` → the subject, HTML and text that customer would get. */
export async function previewCampaign(shop: ShopRecord, campaignId: string | undefined, body: unknown, deps: CampaignDeps) {
  const campaign = await found(shop, campaignId, deps.db, false);
  const { rendered } = await renderFor(shop, campaign, body, deps);
  return { subject: rendered.subject, html: rendered.html, text: rendered.text, locale: rendered.language };
}

export const TestSendSchema = PreviewSchema.extend({ email: z.email().max(254) });

/**
 * POST /v1/campaigns/{campaignId}/test: `{email, customerId, language?, message?}` → the email as
 * that customer would get it, sent once to `email`, subject marked [Test]. Not counted, not
 * recorded, not capped: a send to staff. Its unsubscribe link is inert (it names no customer), so
 * a click on it cannot unsubscribe the customer it was made for.
 */
export async function testCampaign(shop: ShopRecord, campaignId: string | undefined, body: unknown, deps: CampaignDeps) {
  const campaign = await found(shop, campaignId, deps.db, false);
  const { email, ...preview } = parseOrThrow(TestSendSchema, body);
  const inert = `${deps.publicUrl}/unsubscribe?token=test`;
  const { rendered, program } = await renderFor(shop, campaign, preview, deps, inert);
  const testId = `t_${randomBytes(16).toString('hex')}`;
  const raw = await buildMime({
    from: { name: program.email.fromName, address: program.email.fromAddress },
    ...(program.email.replyTo ? { replyTo: program.email.replyTo } : {}),
    to: email,
    subject: `[Test] ${rendered.subject}`,
    html: rendered.html,
    text: rendered.text,
    sendId: testId,
    unsubscribe: { url: inert },
    date: deps.now(),
  });
  const { messageId } = await deps.sendRaw(raw, { shop: shop.shopId, send_id: testId, trigger: 'campaign_test' });
  return { sent: true as const, messageId, subject: `[Test] ${rendered.subject}`, locale: rendered.language };
}
