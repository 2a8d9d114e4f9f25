import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import { profileKey, sesMessageKey, suppressionKey } from '#shared/data/keys.ts';
import { sha256Hex } from '#shared/domain/crypto.ts';

/**
 * Who must never be mailed again, and which customer an SES message went to (DESIGN §2 "feedback
 * fn", §6 "never to a suppressed address"). SES feedback names only a message id and an address:
 * the message record leads back to the shop and customer, the suppression list is by address.
 */

export type SuppressionKind = 'bounce' | 'complaint';

export interface Suppression {
  kind: SuppressionKind;
  /** SES's bounce subtype or complaint feedback type (General, NoEmail, abuse, …). */
  subType?: string;
  /** When SES reported it (ISO 8601). */
  at: string;
}

/** The address as identities store it, hashed: the suppression list holds no address. */
const addressHash = (address: string) => sha256Hex(address.trim().toLowerCase());

/**
 * Suppress an address for every shop: it bounced or complained on our sending identity, and mail to
 * it hurts every shop's deliverability alike. Idempotent (a redelivered notification writes the same).
 */
export async function suppressAddress(db: Db, address: string, suppression: Suppression): Promise<void> {
  await db.client.send(
    new PutCommand({
      TableName: db.table,
      Item: { ...suppressionKey(addressHash(address)), kind: suppression.kind, subType: suppression.subType, at: suppression.at },
    }),
  );
}

/** Access pattern: may this address be mailed at all? (the email function, before every send) */
export async function isSuppressed(db: Db, address: string): Promise<boolean> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: suppressionKey(addressHash(address)), ProjectionExpression: 'PK' }),
  );
  return Item !== undefined;
}

export interface SesMessageRecord {
  shopId: string;
  customerId: string;
  sendId: string;
  trigger: string;
  /** When SES accepted the message (ISO 8601). */
  at: string;
  /** A campaign's email: the campaign, whose results count its bounces and complaints. */
  campaignId?: string;
}

/** SES reports bounces within minutes and complaints within days; a month covers both. */
const SES_MESSAGE_TTL_SECONDS = 30 * 24 * 3600;

/** Remember which send an SES message id was, right after SES accepted it (kept 30 days). */
export async function recordSesMessage(db: Db, messageId: string, record: SesMessageRecord): Promise<void> {
  const { shopId, customerId, sendId, trigger, at, campaignId } = record;
  await db.client.send(
    new PutCommand({
      TableName: db.table,
      Item: {
        ...sesMessageKey(messageId),
        shopId,
        customerId,
        sendId,
        trigger,
        at,
        ...(campaignId ? { campaignId } : {}),
        expiresAt: Math.floor(Date.parse(at) / 1000) + SES_MESSAGE_TTL_SECONDS,
      },
    }),
  );
}

/** Access pattern: the send an SES message id was (SES feedback → shop and customer). */
export async function findSesMessage(db: Db, messageId: string): Promise<SesMessageRecord | undefined> {
  const { Item } = await db.client.send(new GetCommand({ TableName: db.table, Key: sesMessageKey(messageId) }));
  if (!Item) return undefined;
  const { shopId, customerId, sendId, trigger, at, campaignId } = Item as SesMessageRecord;
  return { shopId, customerId, sendId, trigger, at, ...(campaignId ? { campaignId } : {}) };
}

/**
 * Show the suppression on the profile (`consent.email` becomes `suppressed`). Outside the profile
 * version `pv`, like the run's derived fields: no plan reads it, so it must not make a concurrent
 * processor write retry. Only on an existing profile: one deleted meanwhile (its shop erased) is not brought back as a stub.
 */
export async function markProfileSuppressed(
  db: Db,
  shopId: string,
  customerId: string,
  suppression: Pick<Suppression, 'kind' | 'at'>,
): Promise<void> {
  try {
    await db.client.send(
      new UpdateCommand({
        TableName: db.table,
        Key: profileKey(shopId, customerId),
        UpdateExpression: 'SET suppressed = :s',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':s': { kind: suppression.kind, at: suppression.at } },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
