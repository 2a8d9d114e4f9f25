import type { ShopRecord } from '#shared/data/shop-repo.ts';
import type { CanonicalEvent, EventCustomer, EventOrder } from '#shared/domain/event.ts';

/** Small factories for canonical events; overrides win. */
let counter = 0;
const nextId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export function aCustomer(overrides: Partial<EventCustomer> = {}): EventCustomer {
  return { externalId: 'generic:1001', email: 'Lan.Nguyen@Example.com', firstName: 'Lan', lastName: 'Nguyen', ...overrides };
}

export function anOrder(overrides: Partial<EventOrder> = {}): EventOrder {
  return {
    orderId: '5001',
    status: 'paid',
    currency: 'VND',
    total: 1_999_000,
    createdAt: '2026-03-01T10:00:00.000Z',
    updatedAt: '2026-03-01T10:00:00.000Z',
    lineItems: [{ sku: 'TEA-1', productId: 'p1', title: 'Oolong tea', quantity: 2, price: 999_500, category: 'Tea' }],
    ...overrides,
  };
}

export function orderEvent(
  shopId: string,
  order: Partial<EventOrder> = {},
  customer: EventCustomer | undefined = aCustomer(),
  extra: Partial<CanonicalEvent> = {},
): CanonicalEvent {
  const full = anOrder(order);
  return {
    eventId: nextId('evt'),
    shopId,
    type: 'order.upserted',
    occurredAt: full.updatedAt,
    source: 'generic',
    ...(customer ? { customer } : {}),
    order: full,
    ...extra,
  };
}

export function refundEvent(
  shopId: string,
  orderId: string,
  refundId: string,
  amount: number,
  createdAt = '2026-03-05T00:00:00.000Z',
): CanonicalEvent {
  return {
    eventId: `refund-${refundId}`,
    shopId,
    type: 'refund.created',
    occurredAt: createdAt,
    source: 'generic',
    refund: { refundId, orderId, amount, currency: 'VND', createdAt },
  };
}

export function aShop(shopId: string, overrides: Partial<ShopRecord> = {}): ShopRecord {
  return {
    shopId,
    name: 'Trà Việt',
    currency: 'VND',
    timezone: 'Asia/Ho_Chi_Minh',
    locale: 'vi-VN',
    apiKeyHashes: [],
    secrets: {},
    settings: { ignoreTestOrders: true },
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}
