import type { EventCustomer, EventOrder } from '#shared/domain/event.ts';

/**
 * Realistic order payloads for the benches: a Vietnamese shop (VND, integer đồng), customers with
 * an external id, an email and a phone, orders with a handful of line items — and one large
 * order of about 10 KB for the webhook.
 */

const PRODUCTS = [
  { sku: 'TEA-OOLONG-200', productId: 'p_1001', title: 'Trà Ô Long Cầu Đất 200g', price: 185_000, category: 'Tea' },
  { sku: 'TEA-SHAN-100', productId: 'p_1002', title: 'Trà Shan Tuyết cổ thụ Hà Giang 100g', price: 320_000, category: 'Tea' },
  { sku: 'COF-ROB-500', productId: 'p_2001', title: 'Cà phê Robusta Buôn Ma Thuột rang mộc 500g', price: 145_000, category: 'Coffee' },
  { sku: 'COF-ARA-250', productId: 'p_2002', title: 'Cà phê Arabica Cầu Đất honey process 250g', price: 210_000, category: 'Coffee' },
  { sku: 'CER-BAT-01', productId: 'p_3001', title: 'Bộ ấm chén gốm Bát Tràng men lam', price: 890_000, category: 'Ceramics' },
  { sku: 'SNK-DRY-MANGO', productId: 'p_4001', title: 'Xoài sấy dẻo Cam Ranh 250g', price: 75_000, category: 'Snacks' },
  { sku: 'SNK-CASHEW', productId: 'p_4002', title: 'Hạt điều rang muối Bình Phước 500g', price: 165_000, category: 'Snacks' },
  { sku: 'GFT-BOX-TET', productId: 'p_5001', title: 'Hộp quà Tết cao cấp An Khang', price: 1_250_000, category: 'Gifts' },
] as const;

const pick = (i: number) => PRODUCTS[i % PRODUCTS.length] as (typeof PRODUCTS)[number];

export function lineItems(count: number, seed = 0): EventOrder['lineItems'] {
  return Array.from({ length: count }, (_, i) => {
    const product = pick(seed + i);
    return { ...product, sku: count > PRODUCTS.length ? `${product.sku}-${i}` : product.sku, quantity: 1 + ((seed + i) % 3) };
  });
}

export function customer(n: number): EventCustomer {
  return {
    externalId: `generic:bench-${n}`,
    email: `khach.hang.${n}@example.vn`,
    // A Vietnamese mobile number as shops send it (national format); the processor reads it in the shop's region.
    phone: `09${String(10_000_000 + n).slice(-8)}`,
    firstName: 'Lan',
    lastName: `Nguyễn ${n}`,
    locale: 'vi-VN',
    country: 'VN',
    city: 'Hồ Chí Minh',
  };
}

export interface OrderOptions {
  orderId: string;
  /** When the order was placed; it is also its last update. */
  at: Date;
  lines?: number;
  seed?: number;
}

export function order({ orderId, at, lines = 3, seed = 0 }: OrderOptions): EventOrder {
  const lineItems_ = lineItems(lines, seed);
  const iso = at.toISOString();
  return {
    orderId,
    status: 'paid',
    currency: 'VND',
    total: lineItems_.reduce((sum, line) => sum + line.price * line.quantity, 0),
    createdAt: iso,
    updatedAt: iso,
    lineItems: lineItems_,
  };
}

/** The body a shop posts to POST /webhooks/generic/{shopId}: one canonical event without eventId (the webhook derives it). */
export function genericOrderBody(c: EventCustomer, o: EventOrder): string {
  return JSON.stringify({ type: 'order.upserted', occurredAt: o.updatedAt, customer: c, order: o });
}

/** A generic order delivery of at least `bytes` bytes (UTF-8), grown by adding line items. */
export function largeOrderBody(bytes = 10 * 1024): { body: string; lines: number } {
  for (let lines = 1; lines <= 500; lines++) {
    const body = genericOrderBody(customer(1), order({ orderId: 'ord-large-1', at: new Date(), lines }));
    if (Buffer.byteLength(body) >= bytes) return { body, lines };
  }
  throw new Error(`cannot build a ${bytes}-byte order within 500 line items`);
}
