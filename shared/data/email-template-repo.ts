import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/data/db.ts';
import { EMAIL_TEMPLATE_PREFIX, emailTemplateKey } from '#shared/data/keys.ts';
import type { EmailTrigger } from '#shared/email/render.ts';
import { type ShopMessage, ShopMessageSchema } from '#shared/email/shop-template.ts';

/**
 * The shop's own copy of a built-in trigger's email: SHOP#{shopId} / EMAILTPL#{trigger}, one item
 * per trigger (at most 12), each under ~130 KB (two subjects of 200 characters and two bodies of
 * 20,000, at most 3 UTF-8 bytes a character). Separate items rather than a part of the program
 * document: a program is read on every event and its versions are kept whole, so 12 bodies of HTML
 * there would be read and copied with every change of a tier threshold. `revision` counts the saves.
 */

export interface StoredEmailTemplate {
  trigger: EmailTrigger;
  message: ShopMessage;
  revision: number;
  updatedAt: string;
}

function fromItem(item: Record<string, unknown>): StoredEmailTemplate {
  return {
    trigger: item.trigger as EmailTrigger,
    // Parsed again: a message saved under an older schema gets today's defaults.
    message: ShopMessageSchema.parse(item.message),
    revision: item.revision as number,
    updatedAt: item.updatedAt as string,
  };
}

/** Access pattern: the shop's copy of one trigger's email (the email stage, the preview). */
export async function getEmailTemplate(db: Db, shopId: string, trigger: EmailTrigger): Promise<StoredEmailTemplate | undefined> {
  const { Item } = await db.client.send(new GetCommand({ TableName: db.table, Key: emailTemplateKey(shopId, trigger) }));
  return Item ? fromItem(Item) : undefined;
}

/** Access pattern: every trigger the shop wrote its own copy for (at most 12 items; pages followed to the end). */
export async function listEmailTemplates(db: Db, shopId: string): Promise<StoredEmailTemplate[]> {
  const templates: StoredEmailTemplate[] = [];
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

/** Saves the shop's copy of a trigger's email (replacing the one before), one revision more. */
export async function putEmailTemplate(db: Db, shopId: string, trigger: EmailTrigger, message: ShopMessage, now: string) {
  const { Attributes } = await db.client.send(
    new UpdateCommand({
      TableName: db.table,
      Key: emailTemplateKey(shopId, trigger),
      UpdateExpression: 'SET #trigger = :trigger, #message = :message, updatedAt = :now, revision = if_not_exists(revision, :zero) + :one',
      ExpressionAttributeNames: { '#trigger': 'trigger', '#message': 'message' },
      ExpressionAttributeValues: { ':trigger': trigger, ':message': message, ':now': now, ':zero': 0, ':one': 1 },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return fromItem(Attributes ?? {});
}

/** Back to the built-in copy; whether there was a copy to remove. */
export async function deleteEmailTemplate(db: Db, shopId: string, trigger: EmailTrigger): Promise<boolean> {
  const { Attributes } = await db.client.send(
    new DeleteCommand({ TableName: db.table, Key: emailTemplateKey(shopId, trigger), ReturnValues: 'ALL_OLD' }),
  );
  return Attributes !== undefined;
}
