import { BatchGetCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Db, isConditionFailure } from '#shared/data/db.ts';
import { orderKey } from '#shared/data/keys.ts';
import type { EventOrder, EventRefund } from '#shared/domain/event.ts';
import { type OrderState, orderVersion, type RefundRecord } from '#shared/domain/order.ts';
import { shippingAddressHash } from '#shared/loyalty/referrals.ts';

/**
 * The order item (PK SHOP#{shopId}#O#{orderId}, SK ORDER): the newest state of one order, the
 * refunds recorded against it (attributes r_{refundId}) and the customer it belongs to. Whichever
 * half arrives first creates the item; the other half finds it by order id.
 *
 * The state's discount codes are the attribute `discountCodes` (a list, absent when there are none):
 * on this item and not the profile, because only the order's own processing reads them. At most 20
 * codes of at most 100 characters (event.ts), so they add at most about 2 KB of ASCII codes to the
 * item (6 KB if every character took 3 bytes); a typical order's one code adds about 30 bytes.
 */

export type OrderItem = Record<string, unknown> & { seq?: number; ver?: string; customerId?: string; ov?: number };

const REFUND_PREFIX = 'r_';

export function orderStateOf(item: OrderItem): OrderState | undefined {
  if (typeof item.ver !== 'string') return undefined;
  const refunds: RefundRecord[] = [];
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(REFUND_PREFIX)) refunds.push(value as RefundRecord);
  }
  return {
    orderId: item.orderId as string,
    status: item.status as OrderState['status'],
    total: item.total as number,
    reportedRefunded: (item.reportedRefunded as number | undefined) ?? 0,
    createdAt: item.createdAt as string,
    lineItems: (item.lines as OrderState['lineItems'] | undefined) ?? [],
    ...(Array.isArray(item.discountCodes) && item.discountCodes.length > 0 ? { discountCodes: item.discountCodes as string[] } : {}),
    ...(typeof item.ref === 'string' ? { referralCode: item.ref } : {}),
    ...(typeof item.sh === 'string' ? { shippingHash: item.sh } : {}),
    refunds,
    seq: item.seq ?? 0,
  };
}

export function refundsOf(item: OrderItem): Array<RefundRecord & { refundId: string }> {
  return Object.entries(item)
    .filter(([name]) => name.startsWith(REFUND_PREFIX))
    .map(([name, value]) => ({ refundId: name.slice(REFUND_PREFIX.length), ...(value as RefundRecord) }));
}

/** Access pattern: get an order by id (refunds, duplicate detection). */
export async function getOrder(db: Db, shopId: string, orderId: string, consistent = false): Promise<OrderItem | undefined> {
  const { Item } = await db.client.send(
    new GetCommand({ TableName: db.table, Key: orderKey(shopId, orderId), ConsistentRead: consistent }),
  );
  return Item as OrderItem | undefined;
}

/** Access pattern: several orders by id (a customer's export), a hundred at a time. */
export async function getOrders(db: Db, shopId: string, orderIds: string[]): Promise<OrderItem[]> {
  const orders: OrderItem[] = [];
  for (let i = 0; i < orderIds.length; i += 100) {
    let keys: Record<string, unknown>[] = orderIds.slice(i, i + 100).map((orderId) => orderKey(shopId, orderId));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt > 8) throw new Error('batch read did not finish');
      const { Responses, UnprocessedKeys } = await db.client.send(new BatchGetCommand({ RequestItems: { [db.table]: { Keys: keys } } }));
      orders.push(...((Responses?.[db.table] ?? []) as OrderItem[]));
      keys = UnprocessedKeys?.[db.table]?.Keys ?? [];
    }
  }
  return orders;
}

async function updateOrReadBack(db: Db, shopId: string, orderId: string, update: UpdateCommand) {
  try {
    const { Attributes } = await db.client.send(update);
    return { changed: true, item: Attributes as OrderItem };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return { changed: false, item: (await getOrder(db, shopId, orderId, true)) as OrderItem };
  }
}

/**
 * Invariant: the item holds the newest state of the order. A stale or repeated state changes
 * nothing (versions compare as strings: zero-padded updatedAt, then a content hash). The first
 * customer an order is attributed to stays its customer.
 */
export async function applyOrderStateIfNewer(db: Db, shopId: string, order: EventOrder, customerId: string | undefined) {
  const lines = order.lineItems.map((line) => Object.fromEntries(Object.entries(line).filter(([, v]) => v !== undefined)));
  const values: Record<string, unknown> = {
    ':shop': shopId,
    ':order': order.orderId,
    ':ver': orderVersion(order),
    ':status': order.status,
    ':currency': order.currency,
    ':total': order.total,
    ':reported': order.refunded ?? 0,
    ':created': order.createdAt,
    ':updated': order.updatedAt,
    ':lines': lines,
    ':test': order.test ?? false,
    ':one': 1,
  };
  let set =
    'shopId = :shop, orderId = :order, ver = :ver, #status = :status, currency = :currency, #total = :total, ' +
    // The first createdAt stays: a deletion (Shopify orders/delete, WooCommerce order.deleted) carries
    // no creation date and is stamped with the time it happened.
    'reportedRefunded = :reported, createdAt = if_not_exists(createdAt, :created), updatedAt = :updated, #lines = :lines, testOrder = :test';
  if (customerId) {
    set += ', customerId = if_not_exists(customerId, :customer)';
    values[':customer'] = customerId;
  }
  // The item holds the newest state whole: a state without codes takes away the codes of an older one.
  let remove = '';
  if (order.discountCodes?.length) {
    set += ', discountCodes = :codes';
    values[':codes'] = order.discountCodes;
  } else {
    remove = ' REMOVE discountCodes';
  }
  // The referral code a link left and the shipping address's hash (never the address), as the newest state has them.
  const shipping = order.shippingAddress ? shippingAddressHash(order.shippingAddress) : undefined;
  const gone: string[] = [];
  if (order.referralCode) {
    set += ', #ref = :ref';
    values[':ref'] = order.referralCode;
  } else gone.push('#ref');
  if (shipping) {
    set += ', sh = :sh';
    values[':sh'] = shipping;
  } else gone.push('sh');
  if (gone.length > 0) remove = remove ? `${remove}, ${gone.join(', ')}` : ` REMOVE ${gone.join(', ')}`;
  return updateOrReadBack(
    db,
    shopId,
    order.orderId,
    new UpdateCommand({
      TableName: db.table,
      Key: orderKey(shopId, order.orderId),
      UpdateExpression: `SET ${set}${remove} ADD seq :one, ov :one`,
      ConditionExpression: 'attribute_not_exists(ver) OR ver < :ver',
      ExpressionAttributeNames: { '#status': 'status', '#total': 'total', '#lines': 'lines', '#ref': 'ref' },
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    }),
  );
}

/**
 * Invariant: an order's first customer stays its customer. An order item made without one (a
 * deletion or a refund that came first) takes the customer of the first state that names one,
 * even a state too old to replace the stored one.
 */
export async function attachCustomerIfMissing(db: Db, shopId: string, orderId: string, customerId: string) {
  return updateOrReadBack(
    db,
    shopId,
    orderId,
    new UpdateCommand({
      TableName: db.table,
      Key: orderKey(shopId, orderId),
      UpdateExpression: 'SET customerId = :customer',
      ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(customerId)',
      ExpressionAttributeValues: { ':customer': customerId },
      ReturnValues: 'ALL_NEW',
    }),
  );
}

/** Invariant: a refund is recorded once, whether or not its order has arrived yet. */
export async function recordRefundOnce(db: Db, shopId: string, refund: EventRefund) {
  const record: RefundRecord = { amount: refund.amount, createdAt: refund.createdAt };
  return updateOrReadBack(
    db,
    shopId,
    refund.orderId,
    new UpdateCommand({
      TableName: db.table,
      Key: orderKey(shopId, refund.orderId),
      UpdateExpression: 'SET shopId = :shop, orderId = :order, #refund = :record ADD seq :one',
      ConditionExpression: 'attribute_not_exists(#refund)',
      ExpressionAttributeNames: { '#refund': `${REFUND_PREFIX}${refund.refundId}` },
      ExpressionAttributeValues: { ':shop': shopId, ':order': refund.orderId, ':record': record, ':one': 1 },
      ReturnValues: 'ALL_NEW',
    }),
  );
}
