import * as z from 'zod';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { normalizeCoupon, verifyCoupon } from '#shared/email/coupon.ts';
import { couponKey } from '#shared/email/keys.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { CustomerIdSchema } from '#shared/use-cases/read-customers.ts';

/**
 * GET /v1/coupons/{code}?customerId=&offer=: is this the customer's code for that offer? Codes are
 * derived, never stored (shared/email/coupon.ts), so checking one costs no read; the offer of a
 * win-back email is its trigger key, `win_back:YYYY-MM`.
 */

/**
 * What a person can type for a code: letters, digits, spaces, `-` and `_` (normalizeCoupon drops the
 * spaces and dashes). The value arrives decoded once — API Gateway decodes path parameters before the
 * integration sees them, and so does the local adapter — so it is never decoded again here; an escape
 * that could not be decoded reaches us as sent (`%…`) and is refused by this pattern.
 */
export const CodeSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9 _-]+$/, 'a coupon code such as RP-ABCD-EFGH-JKLM');

export const QuerySchema = z.object({
  customerId: CustomerIdSchema,
  offer: z.string().trim().min(1).max(200),
});

export async function checkCoupon(
  shop: ShopRecord,
  code: unknown,
  query: Record<string, string | undefined>,
  deps: { masterKey: () => Promise<string> },
) {
  const { customerId, offer } = parseOrThrow(QuerySchema, query, 'query');
  const given = parseOrThrow(CodeSchema, code, 'code');
  const normalized = normalizeCoupon(given);
  const valid =
    normalized !== undefined &&
    verifyCoupon(normalized, { shopId: shop.shopId, customerId, offer }, couponKey(await deps.masterKey(), shop.shopId));
  return { code: normalized ?? given, customerId, offer, valid };
}
