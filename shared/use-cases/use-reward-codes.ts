import { putTimelineEntry } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { deleteCodeDue, getRewardCode, moveCodeStatus } from '#shared/data/reward-code-repo.ts';

/** Codes look like RW-XXXXX-XXXXX (redeem-reward.ts newRewardCode): any other discount code is the shop's own. */
export const REWARD_CODE_PATTERN = /^RW-[A-Z2-9]{5}-[A-Z2-9]{5}$/;

/**
 * A paid order carried codes: each of Rapport's live codes among them is marked used, credited with
 * the order's net (the reward's attributed revenue), and shown on the customer's timeline. Only a
 * paid order uses a code (a pending one may never be paid); a cancellation later does not give the
 * code back — the platform consumed it at checkout. Idempotent: a code moves to used once.
 */
export async function markCodesUsed(
  db: Db,
  shopId: string,
  order: { orderId: string; discountCodes?: string[]; net: number; at: string; paid: boolean },
): Promise<string[]> {
  if (!order.paid) return [];
  const ours = (order.discountCodes ?? []).filter((code) => REWARD_CODE_PATTERN.test(code));
  const used: string[] = [];
  for (const candidate of ours) {
    const code = await getRewardCode(db, shopId, candidate, true);
    if (!code) continue;
    const moved = await moveCodeStatus(db, shopId, code.code, ['pending', 'issued'], 'used', {
      usedOrderId: order.orderId,
      usedAt: order.at,
      revenue: order.net,
    });
    // Moved now, or by an earlier delivery of this same order: finish the (idempotent) rest.
    if (!moved && !(code.status === 'used' && code.usedOrderId === order.orderId)) continue;
    await deleteCodeDue(db, shopId, 'E', code);
    await deleteCodeDue(db, shopId, 'P', code);
    await putTimelineEntry(db, shopId, code.customerId, {
      at: order.at,
      entryId: `reward-used:${code.code}`,
      type: 'reward',
      channel: 'web',
      source: 'rewards',
      rewardId: code.rewardId,
      code: code.code,
      status: 'used',
      orderId: order.orderId,
      revenue: order.net,
    });
    used.push(code.code);
  }
  return used;
}
