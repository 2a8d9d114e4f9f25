import { describe, expect, it } from 'vitest';
import { ValidationError } from '#shared/domain/errors.ts';
import { couponCode } from '#shared/email/coupon.ts';
import { couponKey } from '#shared/email/keys.ts';
import { checkCoupon } from '#shared/use-cases/verify-coupon.ts';
import { aShop } from '#test/support/factories.ts';

const MASTER = 'unit-master-key-0123456789abcdef0123456789';
const shop = aShop('coupon-shop');
const customerId = 'c_0123456789abcdef0123';
const deps = { masterKey: async () => MASTER };

describe('GET /v1/coupons/{code}', () => {
  const code = couponCode({ shopId: shop.shopId, customerId, offer: 'win_back:2026-11' }, couponKey(MASTER, shop.shopId));

  it("accepts the customer's code for the offer, however it is typed", async () => {
    expect(await checkCoupon(shop, code, { customerId, offer: 'win_back:2026-11' }, deps)).toMatchObject({ valid: true, code });
    const typed = code.toLowerCase().replaceAll('-', ' ');
    expect((await checkCoupon(shop, typed, { customerId, offer: 'win_back:2026-11' }, deps)).valid).toBe(true);
  });

  it("refuses another customer's, another offer's, another shop's and a made-up code", async () => {
    expect((await checkCoupon(shop, code, { customerId: 'c_ffffffffffffffffffff', offer: 'win_back:2026-11' }, deps)).valid).toBe(false);
    expect((await checkCoupon(shop, code, { customerId, offer: 'win_back:2026-12' }, deps)).valid).toBe(false);
    expect((await checkCoupon(aShop('other-shop'), code, { customerId, offer: 'win_back:2026-11' }, deps)).valid).toBe(false);
    expect((await checkCoupon(shop, 'SUMMER-SALE', { customerId, offer: 'win_back:2026-11' }, deps)).valid).toBe(false);
  });

  it('takes the code as given (API Gateway decoded it once) and refuses one no person could type, naming code', async () => {
    const query = { customerId, offer: 'win_back:2026-11' };
    for (const code of ['%', '%25', '%ZZ', 'RP-ABCD/EFGH', 'x'.repeat(65)]) {
      await expect(checkCoupon(shop, code, query, deps)).rejects.toMatchObject({ field: 'code' });
    }
  });

  it('names the missing field', async () => {
    await expect(checkCoupon(shop, code, { offer: 'win_back:2026-11' }, deps)).rejects.toBeInstanceOf(ValidationError);
    await expect(checkCoupon(shop, code, { customerId }, deps)).rejects.toThrow(/offer/);
  });
});
