import * as z from 'zod';
import type { Db } from '#shared/data/db.ts';
import { getRewardCode } from '#shared/data/reward-code-repo.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { normalizeCoupon, verifyCoupon } from '#shared/email/coupon.ts';
import { couponKey } from '#shared/email/keys.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import { CustomerIdSchema } from '#shared/use-cases/read-customers.ts';

/**
 * GET /v1/coupons/{code}: what a checkout asks before it honours a code. Two kinds:
 * - a reward's code (`RW-XXXXX-XXXXX`, redeem-reward.ts): read from its item — valid while issued and
 *   not expired, with its value, minimum order, expiry and holder (`?customerId=` checks the holder);
 * - a segment offer's coupon (`RP-…`, `?customerId=&offer=`): is this the customer's code for that
 *   offer? Derived, never stored (shared/email/coupon.ts), so checking one costs no read; the offer
 *   of a win-back email is its trigger key, `flow:win-back:YYYY-MM`.
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

/** A reward's code as people type it: any case, with or without its dashes. */
const REWARD_CODE_TYPED = /^RW-?([A-Z2-9]{5})-?([A-Z2-9]{5})$/;

export function rewardCodeOf(given: string): string | undefined {
  const match = REWARD_CODE_TYPED.exec(given.trim().toUpperCase().replaceAll(' ', ''));
  return match ? `RW-${match[1]}-${match[2]}` : undefined;
}

export const RewardCodeQuerySchema = z.object({ customerId: CustomerIdSchema.optional() });

/** A reward's code: 404 when Rapport never issued it; `valid` when a checkout may take it now (for `customerId`, when given). */
export async function checkRewardCode(
  shop: ShopRecord,
  code: string,
  query: Record<string, string | undefined>,
  deps: { db: Db; now: () => Date },
) {
  const { customerId } = parseOrThrow(RewardCodeQuerySchema, { customerId: query.customerId }, 'query');
  const found = await getRewardCode(deps.db, shop.shopId, code);
  if (!found) throw new NotFoundError(`no reward code ${code}`);
  const expired = Date.parse(found.expiresAt) <= deps.now().getTime();
  const holder = customerId === undefined || customerId === found.customerId;
  return {
    code: found.code,
    kind: 'reward' as const,
    valid: found.status === 'issued' && !expired && holder,
    status: expired && found.status === 'issued' ? ('expired' as const) : found.status,
    customerId: found.customerId,
    rewardId: found.rewardId,
    value: found.value,
    ...(found.minOrder ? { minOrder: found.minOrder } : {}),
    currency: found.currency,
    expiresAt: found.expiresAt,
    ...(found.usedOrderId ? { usedOrderId: found.usedOrderId } : {}),
  };
}
