import { randomBytes } from 'node:crypto';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import { leaseKey } from '#shared/data/keys.ts';

/**
 * A short lease on a named piece of a shop's work, for the few steps that must not interleave and
 * that no single conditional write can cover. Acquired with a conditional put (free, or expired),
 * released by its holder; a holder that crashes loses it when it expires. Keep the work inside short.
 */
const LEASE_MS = 5_000;
const WAIT_MS = 15_000;

export async function withLease<T>(db: Db, shopId: string, name: string, work: () => Promise<T>): Promise<T> {
  const token = randomBytes(8).toString('hex');
  const key = leaseKey(shopId, name);
  const deadline = Date.now() + WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      await db.client.send(
        new PutCommand({
          TableName: db.table,
          Item: { ...key, holder: token, leaseUntil: Date.now() + LEASE_MS, expiresAt: Math.floor(Date.now() / 1000) + 3600 },
          ConditionExpression: 'attribute_not_exists(PK) OR leaseUntil < :now',
          ExpressionAttributeValues: { ':now': Date.now() },
        }),
      );
      break;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (Date.now() > deadline) throw new Error(`lease ${name} of shop ${shopId} not acquired in ${WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10 * Math.min(attempt + 1, 8)));
    }
  }
  try {
    return await work();
  } finally {
    await db.client
      .send(
        new DeleteCommand({
          TableName: db.table,
          Key: key,
          ConditionExpression: 'holder = :token',
          ExpressionAttributeValues: { ':token': token },
        }),
      )
      .catch((error) => {
        if (!isConditionFailure(error)) throw error;
      });
  }
}
