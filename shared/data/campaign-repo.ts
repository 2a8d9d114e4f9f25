import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import { CAMPAIGN_PREFIX, campaignKey } from '#shared/data/keys.ts';
import { type Audience, CAMPAIGN_MOVES, type CampaignMove, type CampaignStatus } from '#shared/domain/campaign.ts';
import { type ShopMessage, ShopMessageSchema } from '#shared/email/shop-template.ts';

/**
 * Campaigns: SHOP#{shopId} / CAMPAIGN#{campaignId}, one item each. What it holds is bounded
 * whatever the audience's size: the message (≤ ~130 KB, as a trigger's own copy), the fan-out's
 * checkpoint per part (`fo`: ≤ 16 entries, a cursor and a count each) and counters (`n_*`, one per
 * outcome and skip reason — the reasons are a closed set). Names of the attributes stay here.
 */

export interface FanoutPart {
  /** Where the part's next page starts (a customer id, or a GSI1 key as JSON); absent: the start. */
  cursor?: string;
  done: boolean;
  /** Customers put on the email queue so far (a page repeated after a crash counts twice). */
  customers: number;
}

export interface CampaignCounts {
  sent: number;
  skipped: Record<string, number>;
  bounced: number;
  complained: number;
  unsubscribed: number;
  codesUsed: number;
  /** Net of the paid orders that carried one of the campaign's codes, in the shop's minor units. */
  revenue: number;
}

export interface Campaign {
  campaignId: string;
  name: string;
  audience: Audience;
  message: ShopMessage;
  rewardId?: string;
  /** The local date-time asked for, in `timezone` (the shop's when it was scheduled). */
  scheduledAt?: string;
  timezone?: string;
  /** The instant `scheduledAt` named when it was scheduled. */
  sendAt?: string;
  status: CampaignStatus;
  revision: number;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  cancelledAt?: string;
  /** Fan-out parts: 1 for a segment, one per GSI1 shard for everyone. */
  parts?: number;
  fanout: Record<string, FanoutPart>;
  counts: CampaignCounts;
}

const COUNT = { sent: 'n_sent', bounced: 'n_bounced', complained: 'n_complained', unsubscribed: 'n_unsub', codesUsed: 'n_codes' } as const;
const SKIP_PREFIX = 'n_skip_';
const REVENUE = 'n_revenue';

export type CampaignCounter = keyof typeof COUNT | { skipped: string } | 'revenue';

const counterAttribute = (counter: CampaignCounter) =>
  typeof counter === 'object'
    ? `${SKIP_PREFIX}${counter.skipped.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 48)}`
    : counter === 'revenue'
      ? REVENUE
      : COUNT[counter];

const num = (value: unknown) => (typeof value === 'number' ? value : 0);

/** A campaign as the list shows it: everything but its message. */
export type CampaignSummary = Omit<Campaign, 'message'>;

function summaryFromItem(item: Record<string, unknown>): CampaignSummary {
  const skipped: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) if (name.startsWith(SKIP_PREFIX)) skipped[name.slice(SKIP_PREFIX.length)] = num(value);
  const fanout: Record<string, FanoutPart> = {};
  for (const [part, value] of Object.entries((item.fo as Record<string, { c?: string; d?: boolean; n?: number }> | undefined) ?? {})) {
    fanout[part] = { ...(value.c ? { cursor: value.c } : {}), done: value.d === true, customers: num(value.n) };
  }
  const optional = (name: string) => (typeof item[name] === 'string' ? { [name]: item[name] as string } : {});
  return {
    campaignId: String(item.SK).slice(CAMPAIGN_PREFIX.length),
    name: item.name as string,
    audience: item.audience as Audience,
    ...optional('rewardId'),
    ...optional('scheduledAt'),
    ...optional('timezone'),
    ...optional('sendAt'),
    status: item.status as CampaignStatus,
    revision: num(item.revision),
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    ...optional('startedAt'),
    ...optional('finishedAt'),
    ...optional('cancelledAt'),
    ...(typeof item.parts === 'number' ? { parts: item.parts } : {}),
    fanout,
    counts: {
      sent: num(item[COUNT.sent]),
      skipped,
      bounced: num(item[COUNT.bounced]),
      complained: num(item[COUNT.complained]),
      unsubscribed: num(item[COUNT.unsubscribed]),
      codesUsed: num(item[COUNT.codesUsed]),
      revenue: num(item[REVENUE]),
    },
  };
}

function fromItem(item: Record<string, unknown>): Campaign {
  // Parsed again: a message saved under an older schema gets today's defaults.
  return { ...summaryFromItem(item), message: ShopMessageSchema.parse(item.message) };
}

export type CampaignFields = Pick<Campaign, 'name' | 'audience' | 'message'> & { rewardId?: string | null; scheduledAt?: string | null };

/** Access pattern: create a draft once (its id is new; a repeat of the same id is refused). */
export async function putCampaignIfAbsent(
  db: Db,
  shopId: string,
  campaignId: string,
  fields: CampaignFields,
  at: string,
): Promise<Campaign> {
  const item: Record<string, unknown> = {
    ...campaignKey(shopId, campaignId),
    name: fields.name,
    audience: fields.audience,
    message: fields.message,
    ...(fields.rewardId ? { rewardId: fields.rewardId } : {}),
    ...(fields.scheduledAt ? { scheduledAt: fields.scheduledAt } : {}),
    status: 'draft',
    revision: 1,
    createdAt: at,
    updatedAt: at,
  };
  await db.client.send(new PutCommand({ TableName: db.table, Item: item, ConditionExpression: 'attribute_not_exists(PK)' }));
  return fromItem(item);
}

/** Access pattern: one campaign (consistent for the steps that move it; the email stage reads it cached). */
export async function getCampaign(db: Db, shopId: string, campaignId: string, consistent = false): Promise<Campaign | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: campaignKey(shopId, campaignId), ConsistentRead: consistent }),
  );
  return Item ? fromItem(Item) : undefined;
}

/**
 * Access pattern: the shop's campaigns, newest first, a page at a time; answered without their
 * messages (the read still costs the items' size: ≤ 50 a page). `after`: the last id of the page before.
 */
export async function campaignPage(db: Db, shopId: string, limit: number, after?: string) {
  const { Items, LastEvaluatedKey } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': `SHOP#${shopId}`, ':prefix': CAMPAIGN_PREFIX },
      ScanIndexForward: false,
      Limit: limit,
      ...(after ? { ExclusiveStartKey: campaignKey(shopId, after) } : {}),
    }),
  );
  return {
    campaigns: (Items ?? []).map(summaryFromItem),
    last: LastEvaluatedKey ? String(LastEvaluatedKey.SK).slice(CAMPAIGN_PREFIX.length) : undefined,
  };
}

type CampaignUpdate = Pick<
  UpdateCommandInput,
  'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
>;

/** One conditional update of a campaign: the campaign after it, or undefined when its condition failed. */
async function updateCampaignIf(db: Db, shopId: string, campaignId: string, update: CampaignUpdate): Promise<Campaign | undefined> {
  try {
    const { Attributes } = await db.client.send(
      new UpdateCommand({ TableName: db.table, Key: campaignKey(shopId, campaignId), ...update, ReturnValues: 'ALL_NEW' }),
    );
    return Attributes ? fromItem(Attributes) : undefined;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Access pattern: change a draft, planned from the revision read: update if `status = draft AND
 * revision = :read`. Answers the campaign after the change, or undefined when the condition failed
 * (the caller reads it again to say why: not a draft any more, or changed meanwhile).
 */
export async function updateDraftIfRevision(
  db: Db,
  shopId: string,
  campaignId: string,
  revision: number,
  fields: Partial<CampaignFields>,
  at: string,
): Promise<Campaign | undefined> {
  const set: string[] = ['revision = :next', 'updatedAt = :at'];
  const remove: string[] = [];
  const values: Record<string, unknown> = { ':next': revision + 1, ':at': at, ':read': revision, ':draft': 'draft' };
  const names: Record<string, string> = { '#status': 'status' };
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    if (value === null) remove.push(`#${field}`);
    else {
      set.push(`#${field} = :${field}`);
      values[`:${field}`] = value;
    }
  }
  return updateCampaignIf(db, shopId, campaignId, {
    UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
    ConditionExpression: '#status = :draft AND revision = :read',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
}

/**
 * Access pattern: move a campaign only from the statuses its move allows (update if `#status IN
 * (:from…)`), setting `set` with it, so one request, one scheduled start or one fan-out wins.
 * Answers the campaign after the move, or undefined when it was not in a status to make it.
 */
export async function moveCampaignIfStatus(
  db: Db,
  shopId: string,
  campaignId: string,
  move: CampaignMove,
  set: Record<string, unknown>,
): Promise<Campaign | undefined> {
  const { from, to } = CAMPAIGN_MOVES[move];
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':to': to };
  from.forEach((status, i) => {
    values[`:from${i}`] = status;
  });
  const assignments = ['#status = :to', 'revision = revision + :one'];
  values[':one'] = 1;
  for (const [field, value] of Object.entries(set)) {
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    assignments.push(`#${field} = :${field}`);
  }
  return updateCampaignIf(db, shopId, campaignId, {
    UpdateExpression: `SET ${assignments.join(', ')}`,
    ConditionExpression: `#status IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
}

/**
 * Access pattern: a fan-out part's checkpoint, after its page is on the email queue: the cursor of
 * the next page, whether the part is done, the customers added. Only while the campaign is sending
 * (a cancelled one keeps where it stopped). Answers the campaign after, or undefined when it was
 * not sending any more. Two copies of one part (a redelivered step) may each write: the later
 * cursor may be the earlier page, which only repeats a page the email stage then sends nobody twice.
 */
export async function checkpointFanout(
  db: Db,
  shopId: string,
  campaignId: string,
  part: number,
  checkpoint: { cursor?: string; done: boolean; customers: number },
): Promise<Campaign | undefined> {
  return updateCampaignIf(db, shopId, campaignId, {
    UpdateExpression: 'SET fo.#part = :value',
    ConditionExpression: '#status = :sending',
    ExpressionAttributeNames: { '#part': String(part), '#status': 'status' },
    ExpressionAttributeValues: {
      ':sending': 'sending',
      ':value': { ...(checkpoint.cursor ? { c: checkpoint.cursor } : {}), d: checkpoint.done, n: checkpoint.customers },
    },
  });
}

/**
 * Access pattern: count an outcome (ADD on one counter; only while the campaign exists, so a count
 * arriving after the shop's erasure creates no stub). Counted after the send record that makes the
 * outcome final: a crash between the two leaves one outcome uncounted, never counted twice.
 */
export async function countCampaign(db: Db, shopId: string, campaignId: string, counter: CampaignCounter, by = 1): Promise<void> {
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: campaignKey(shopId, campaignId),
        UpdateExpression: 'ADD #counter :by',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: { '#counter': counterAttribute(counter) },
        ExpressionAttributeValues: { ':by': by },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
