import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import { PROGRAM_VERSION_PREFIX, programKey, programVersionKey } from '#shared/data/keys.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import { flowsOf } from '#shared/loyalty/flows.ts';
import { type Program, ProgramSchema } from '#shared/loyalty/program.ts';

export interface StoredProgram {
  version: number;
  updatedAt: string;
  program: Program;
}

/**
 * A stored document as the current schema reads it: sections added since it was saved (the run's
 * `analytics`) get their defaults, here once, so no reader special-cases older documents. A program
 * saved before flows existed shows the one flow it runs, the built-in win-back (flowsOf).
 */
function current(stored: unknown): Program {
  const parsed = ProgramSchema.safeParse(stored);
  const program = parsed.success ? parsed.data : (stored as Program);
  return program.flows ? program : { ...program, flows: flowsOf(program) };
}

/** Access pattern: a shop's current loyalty program (absent until the shop first saves one). */
export async function getStoredProgram(db: Db, shopId: string): Promise<StoredProgram | undefined> {
  const { Item } = await db.client.send(new GetCommand({ TableName: db.table, Key: programKey(shopId), ConsistentRead: true }));
  return Item ? { version: Item.version as number, updatedAt: Item.updatedAt as string, program: current(Item.program) } : undefined;
}

/**
 * Invariant: versions follow one another; a program saved on top of a version that is no longer
 * current is refused (optimistic concurrency), so two editors cannot silently overwrite each other.
 */
export async function putProgramIfVersion(db: Db, shopId: string, basedOn: number, program: Program, now: string): Promise<StoredProgram> {
  const stored = { version: basedOn + 1, updatedAt: now, program };
  try {
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: { ...programKey(shopId), ...stored },
        ConditionExpression: basedOn === 0 ? 'attribute_not_exists(PK)' : 'version = :basedOn',
        ...(basedOn === 0 ? {} : { ExpressionAttributeValues: { ':basedOn': basedOn } }),
      }),
    );
    return stored;
  } catch (error) {
    if (isConditionFailure(error)) throw new ConflictError(`the program changed since version ${basedOn}: read it again and re-apply`);
    throw error;
  }
}

/**
 * The version a save replaces, kept as an item of its own (one item per saved version, each the
 * size of a program): written before the save, from the current document read for it. Its content
 * is final the moment it is current, so writing it is right whether the save then wins or loses,
 * and a repeat rewrites the same item.
 */
export async function keepProgramVersion(db: Db, shopId: string, replaced: StoredProgram): Promise<void> {
  await db.client.send(new PutCommand({ TableName: db.table, Item: { ...programVersionKey(shopId, replaced.version), ...replaced } }));
}

/** Access pattern: the replaced versions, newest first, a page at a time (without their documents). */
export async function listProgramVersions(db: Db, shopId: string, limit: number, beforeVersion?: number) {
  const { Items, LastEvaluatedKey } = await db.client.send(
    new QueryCommand({
      TableName: db.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': `SHOP#${shopId}`, ':prefix': PROGRAM_VERSION_PREFIX },
      ProjectionExpression: 'version, updatedAt',
      ScanIndexForward: false,
      Limit: limit,
      ...(beforeVersion !== undefined ? { ExclusiveStartKey: programVersionKey(shopId, beforeVersion) } : {}),
    }),
  );
  return {
    items: (Items ?? []).map((item) => ({ version: item.version as number, updatedAt: item.updatedAt as string })),
    more: LastEvaluatedKey !== undefined,
  };
}

/** Access pattern: one replaced version, whole. */
export async function getProgramVersion(db: Db, shopId: string, version: number): Promise<StoredProgram | undefined> {
  const { Item } = await db.client.send(new GetCommand({ TableName: db.table, Key: programVersionKey(shopId, version) }));
  return Item ? { version: Item.version as number, updatedAt: Item.updatedAt as string, program: current(Item.program) } : undefined;
}
