import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import { EMAIL_TEMPLATE_PREFIX, emailTemplateKey } from '#shared/data/keys.ts';
import { ConflictError, NotFoundError } from '#shared/domain/errors.ts';
import type { EmailTrigger } from '#shared/email/render.ts';
import { type ShopMessage, ShopMessageSchema } from '#shared/email/shop-template.ts';

/**
 * The shop's own copy of a built-in trigger's email: SHOP#{shopId} / EMAILTPL#{trigger}, one item
 * per trigger (at most 12), each under ~130 KB (two subjects of 200 characters and two bodies of
 * 20,000, at most 3 UTF-8 bytes a character). Separate items rather than a part of the program
 * document: a program is read on every event and its versions are kept whole, so 12 bodies of HTML
 * there would be read and copied with every change of a tier threshold.
 *
 * `revision` counts the saves and the removals of the trigger's copy: going back to the built-in
 * copy removes the message and keeps the item with its revision, so a revision names one state of
 * the copy for good — an editor opened at revision 3 cannot save over a copy removed and written
 * again since (which would be revision 3 again if a removal deleted the item). The items stay
 * bounded: one per trigger, whatever the history.
 */

export interface StoredEmailTemplate {
  trigger: EmailTrigger;
  message: ShopMessage;
  revision: number;
  updatedAt: string;
}

/** A trigger's item as stored: its copy, or none (removed, back to the built-in copy), and its revision. */
export interface EmailTemplateState {
  trigger: EmailTrigger;
  message: ShopMessage | undefined;
  revision: number;
  updatedAt: string;
}

function fromItem(item: Record<string, unknown>): EmailTemplateState {
  return {
    trigger: item.trigger as EmailTrigger,
    // Parsed again: a message saved under an older schema gets today's defaults.
    message: item.message === undefined ? undefined : ShopMessageSchema.parse(item.message),
    revision: item.revision as number,
    updatedAt: item.updatedAt as string,
  };
}

const withMessage = (state: EmailTemplateState | undefined): StoredEmailTemplate | undefined =>
  state?.message ? { ...state, message: state.message } : undefined;

/**
 * `consistent`: after a refused write, to say what the copy is at now (a replica may not have the
 * write that refused it yet). The email stage and the preview read eventually: the stage keeps a
 * copy 30 s anyway, and a consistent read of an item this size costs twice the capacity.
 */
async function readState(db: Db, shopId: string, trigger: EmailTrigger, consistent = false): Promise<EmailTemplateState | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: emailTemplateKey(shopId, trigger), ConsistentRead: consistent }),
  );
  return Item ? fromItem(Item) : undefined;
}

/** Access pattern: the shop's copy of one trigger's email (the email stage, the preview); undefined: the built-in copy. */
export async function getEmailTemplate(db: Db, shopId: string, trigger: EmailTrigger): Promise<StoredEmailTemplate | undefined> {
  return withMessage(await readState(db, shopId, trigger));
}

/** Access pattern: every trigger the shop ever wrote a copy for, removed ones with no message (at most 12 items; pages followed to the end). */
export async function listEmailTemplates(db: Db, shopId: string): Promise<EmailTemplateState[]> {
  const templates: EmailTemplateState[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': `SHOP#${shopId}`, ':prefix': EMAIL_TEMPLATE_PREFIX },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    templates.push(...(page.Items ?? []).map(fromItem));
    start = page.LastEvaluatedKey;
  } while (start);
  return templates;
}

/** `revision = :expected`, or no item yet for 0; nothing when no revision is expected. */
function revisionCondition(expected: number | undefined) {
  if (expected === undefined) return { condition: undefined, values: {} };
  if (expected === 0) return { condition: 'attribute_not_exists(revision)', values: {} };
  return { condition: 'revision = :expected', values: { ':expected': expected } };
}

const staleRevision = (trigger: EmailTrigger, expected: number, now: EmailTemplateState | undefined) =>
  new ConflictError(
    `the ${trigger} email is at revision ${now?.revision ?? 0}, not ${expected}: someone saved or removed it since; read it again (GET /v1/emails/templates) and re-apply`,
  );

/**
 * Invariant: a copy is saved over the revision its editor read, or not at all (optimistic
 * concurrency: two people editing one email cannot silently overwrite each other). `expected`:
 * the revision read (0: never written); undefined saves over whatever is there. One revision more.
 */
export async function putEmailTemplateIfRevision(
  db: Db,
  shopId: string,
  trigger: EmailTrigger,
  message: ShopMessage,
  now: string,
  expected: number | undefined,
): Promise<StoredEmailTemplate> {
  const { condition, values } = revisionCondition(expected);
  try {
    const { Attributes } = await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: emailTemplateKey(shopId, trigger),
        UpdateExpression:
          'SET #trigger = :trigger, #message = :message, updatedAt = :now, revision = if_not_exists(revision, :zero) + :one',
        ...(condition ? { ConditionExpression: condition } : {}),
        ExpressionAttributeNames: { '#trigger': 'trigger', '#message': 'message' },
        ExpressionAttributeValues: { ':trigger': trigger, ':message': message, ':now': now, ':zero': 0, ':one': 1, ...values },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { ...fromItem(Attributes ?? {}), message };
  } catch (error) {
    if (expected !== undefined && isConditionFailure(error))
      throw staleRevision(trigger, expected, await readState(db, shopId, trigger, true));
    throw error;
  }
}

/**
 * Invariant: only a copy there is removed, and only at the revision its editor read when one is
 * given. Back to the built-in copy: the message goes, the item and its revision (one more) stay.
 * NotFoundError when there is no copy; ConflictError when it is at another revision.
 */
export async function removeEmailTemplateIfRevision(
  db: Db,
  shopId: string,
  trigger: EmailTrigger,
  now: string,
  expected: number | undefined,
): Promise<EmailTemplateState> {
  const { condition, values } = revisionCondition(expected);
  try {
    const { Attributes } = await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: emailTemplateKey(shopId, trigger),
        UpdateExpression: 'SET updatedAt = :now, revision = revision + :one REMOVE #message',
        ConditionExpression: ['attribute_exists(#message)', condition].filter(Boolean).join(' AND '),
        ExpressionAttributeNames: { '#message': 'message' },
        ExpressionAttributeValues: { ':now': now, ':one': 1, ...values },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return fromItem(Attributes ?? {});
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const current = await readState(db, shopId, trigger, true);
    if (expected !== undefined && (current?.revision ?? 0) !== expected) throw staleRevision(trigger, expected, current);
    throw new NotFoundError(`no copy of the ${trigger} email to remove`);
  }
}
