import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure, writeBatch } from '#shared/data/db.ts';
import { coPurchaseKey, runKey, segmentCountsKey, segmentMemberKey, segmentMembersPk } from '#shared/data/keys.ts';
import { table } from '#shared/data/table-definition.ts';
import { sameValue } from '#shared/domain/canonical.ts';

/**
 * Re-segmentation runs (shared/use-cases/resegment.ts) and what they leave for readers: the run
 * record with its progress and fitted model, per-segment membership items, the segment counts and
 * the shop's co-purchase statistics. Everything here is keyed under the shop (never scanned).
 */

export type RunStatus = 'queued' | 'fitting' | 'applying' | 'succeeded' | 'failed';

export interface RunRecord {
  runId: string;
  shopId: string;
  status: RunStatus;
  trigger: 'api' | 'schedule' | 'cli';
  requestedAt: string;
  /** The instant the run's analysis is as of: every date-derived number and once-only key uses it. */
  asOf: string;
  shards: number;
  startedAt?: string;
  fittedAt?: string;
  finishedAt?: string;
  /** The fitted model (RFM bins, CLV model, holdout check), set once by the fit step. */
  model?: Record<string, unknown>;
  /** Counters per GSI1 shard, each set once when its shard is done. */
  shardResults: Record<string, Record<string, unknown>>;
  /** Progress of shards still running, updated as pages complete (overwritten, never added to). */
  progress?: Record<string, number>;
  totals?: Record<string, unknown>;
  error?: string;
}

const RUN_KEEP_SECONDS = 90 * 24 * 3600;

/** Creates the run unless it exists (a scheduled run's id is its date, so a repeated schedule creates nothing). */
export async function createRunIfAbsent(db: Db, run: RunRecord): Promise<boolean> {
  try {
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: { ...runKey(run.shopId, run.runId), ...run, expiresAt: Math.floor(Date.parse(run.requestedAt) / 1000) + RUN_KEEP_SECONDS },
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Access pattern: a run by id. */
export async function getRun(db: Db, shopId: string, runId: string): Promise<RunRecord | undefined> {
  const { Item } = await db.client.send(new GetCommand({ TableName: db.table, Key: runKey(shopId, runId), ConsistentRead: true }));
  if (!Item) return undefined;
  const { PK: _pk, SK: _sk, expiresAt: _e, ...run } = Item;
  return run as RunRecord;
}

/** Access pattern: the shop's runs still going (queued, fitting, applying), among its recent runs. */
export async function activeRuns(db: Db, shopId: string): Promise<RunRecord[]> {
  const { Items } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :run)',
      FilterExpression: '#status IN (:queued, :fitting, :applying)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':pk': runKey(shopId, '').PK,
        ':run': 'RUN#',
        ':queued': 'queued',
        ':fitting': 'fitting',
        ':applying': 'applying',
      },
      ProjectionExpression: 'runId, #status, requestedAt',
      ConsistentRead: true,
    }),
  );
  return (Items ?? []) as RunRecord[];
}

/** Records the fit once: a redelivered fit step finds it and goes on to the shards. */
export async function setRunModel(db: Db, shopId: string, runId: string, model: Record<string, unknown>, at: string): Promise<void> {
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: runKey(shopId, runId),
        UpdateExpression: 'SET #model = :model, #status = :applying, fittedAt = :at',
        ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(#model)',
        ExpressionAttributeNames: { '#model': 'model', '#status': 'status' },
        ExpressionAttributeValues: { ':model': model, ':applying': 'applying', ':at': at },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export async function markRunStarted(db: Db, shopId: string, runId: string, at: string): Promise<void> {
  await db.client
    .send(
      new UpdateCommand({
        TableName: db.table,
        Key: runKey(shopId, runId),
        UpdateExpression: 'SET #status = :fitting, startedAt = if_not_exists(startedAt, :at)',
        ConditionExpression: '#status = :queued OR #status = :fitting',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':fitting': 'fitting', ':queued': 'queued', ':at': at },
      }),
    )
    .catch((error) => {
      if (!isConditionFailure(error)) throw error;
    });
}

/** How far a shard has got (customers read), for progress; one small update per page. */
export async function setShardProgress(db: Db, shopId: string, runId: string, shard: number, customers: number): Promise<void> {
  await db.client.send(
    new UpdateCommand({
      TableName: db.table,
      Key: runKey(shopId, runId),
      UpdateExpression: 'SET progress.#s = :n',
      ExpressionAttributeNames: { '#s': String(shard) },
      ExpressionAttributeValues: { ':n': customers },
    }),
  );
}

/**
 * A shard's counters, set once (a redelivered shard message finds them). Returns the run after the
 * write, so the caller whose write completes the set of shards finishes the run.
 */
export async function recordShardResult(
  db: Db,
  shopId: string,
  runId: string,
  shard: number,
  result: Record<string, unknown>,
): Promise<RunRecord | undefined> {
  try {
    const { Attributes } = await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: runKey(shopId, runId),
        UpdateExpression: 'SET shardResults.#s = :result',
        ConditionExpression: 'attribute_not_exists(shardResults.#s)',
        ExpressionAttributeNames: { '#s': String(shard) },
        ExpressionAttributeValues: { ':result': result },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as RunRecord;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

export async function finishRun(
  db: Db,
  shopId: string,
  runId: string,
  status: 'succeeded' | 'failed',
  fields: Record<string, unknown>,
): Promise<void> {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':status': status, ':done': 'succeeded' };
  const sets = ['#status = :status'];
  Object.entries(fields).forEach(([name, value], i) => {
    names[`#f${i}`] = name;
    values[`:f${i}`] = value;
    sets.push(`#f${i} = :f${i}`);
  });
  await db.client
    .send(
      new UpdateCommand({
        TableName: db.table,
        Key: runKey(shopId, runId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: '#status <> :done',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    )
    .catch((error) => {
      if (!isConditionFailure(error)) throw error;
    });
}

/* ---------- what the run leaves for readers ---------- */

/** An item of the shop's partition, read whole (co-purchase statistics, segment counts). */
async function getShopItem(db: Db, key: { PK: string; SK: string }) {
  const { Item } = await db.client.send(new GetCommand({ TableName: db.table, Key: key }));
  return Item;
}

/** Writes the item only when its content differs from what is stored: an unchanged run writes nothing. Returns whether it wrote. */
async function putShopItemIfChanged(
  db: Db,
  key: { PK: string; SK: string },
  content: Record<string, unknown>,
  meta: Record<string, unknown>,
) {
  const stored = await getShopItem(db, key);
  if (stored && sameValue(stored.content, content)) return false;
  await db.client.send(new PutCommand({ TableName: db.table, Item: { ...key, content, ...meta } }));
  return true;
}

export const getCoPurchase = async (db: Db, shopId: string) => (await getShopItem(db, coPurchaseKey(shopId)))?.content;
export const putCoPurchaseIfChanged = (db: Db, shopId: string, content: Record<string, unknown>, meta: Record<string, unknown>) =>
  putShopItemIfChanged(db, coPurchaseKey(shopId), content, meta);

export async function getSegmentCounts(db: Db, shopId: string) {
  const item = await getShopItem(db, segmentCountsKey(shopId));
  return item ? { counts: item.content as Record<string, number>, runId: item.runId as string, asOf: item.asOf as string } : undefined;
}
export const putSegmentCountsIfChanged = (db: Db, shopId: string, counts: Record<string, number>, meta: Record<string, unknown>) =>
  putShopItemIfChanged(db, segmentCountsKey(shopId), counts, meta);

/**
 * Segment membership: SHOP#{shopId}#SEG#{segmentId} / {customerId}, written when a customer enters
 * a segment and deleted when they leave (so a run writes only changes). Batched 25 at a time.
 */
export async function writeMemberships(
  db: Db,
  shopId: string,
  changes: Array<{ segmentId: string; customerId: string; member: boolean; since: string }>,
): Promise<void> {
  await writeBatch(
    db,
    changes.map((change) => {
      const key = segmentMemberKey(shopId, change.segmentId, change.customerId);
      return change.member ? { PutRequest: { Item: { ...key, since: change.since } } } : { DeleteRequest: { Key: key } };
    }),
  );
}

/** Access pattern: the customers of a segment, by customer id, a page at a time. */
export async function segmentMembersPage(db: Db, shopId: string, segmentId: string, limit: number, after?: string) {
  const pk = segmentMembersPk(shopId, segmentId);
  const { Items, LastEvaluatedKey } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      Limit: limit,
      ...(after ? { ExclusiveStartKey: { PK: pk, SK: after } } : {}),
    }),
  );
  return {
    customers: (Items ?? []).map((item) => ({ customerId: item.SK as string, since: item.since as string })),
    last: LastEvaluatedKey?.SK as string | undefined,
  };
}

/** Access pattern: one page of a GSI1 shard's profile keys (the run reads shards in parallel, page by page). */
export async function shardKeysPage(db: Db, shopId: string, shard: number, limit: number, cursor?: Record<string, unknown>) {
  const { Items, LastEvaluatedKey } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      IndexName: table.gsi1.name,
      KeyConditionExpression: `${table.gsi1.partitionKey} = :pk`,
      ExpressionAttributeValues: { ':pk': `SHOP#${shopId}#S#${shard}` },
      Limit: limit,
      ...(cursor ? { ExclusiveStartKey: cursor } : {}),
    }),
  );
  return { keys: (Items ?? []).map((item) => ({ PK: item.PK as string, SK: item.SK as string })), cursor: LastEvaluatedKey };
}
