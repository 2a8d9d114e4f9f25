import { countCampaign } from '#shared/data/campaign-repo.ts';
import { putTimelineEntry } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import { deleteCodeDue, getRewardCode, moveCodeStatus, type RewardCode } from '#shared/data/reward-code-repo.ts';
import type { TriggerRecord, TriggerSink } from '#shared/use-cases/loyalty-effects.ts';

/** Letters and digits a person cannot confuse (no 0/O, 1/I/L): 31 of them, 10 a code, 31^10 ≈ 8·10^14 codes. */
const REWARD_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** `RW-XXXXX-XXXXX`, the i-th character drawn by `pick(i)` (any non-negative integer): a bought code's at random, a given one's from its key. */
export const rewardCodeFrom = (pick: (i: number) => number) => {
  const letters = Array.from({ length: 10 }, (_, i) => REWARD_CODE_ALPHABET[pick(i) % REWARD_CODE_ALPHABET.length]);
  return `RW-${letters.slice(0, 5).join('')}-${letters.slice(5).join('')}`;
};

/** Codes look like RW-XXXXX-XXXXX (rewardCodeFrom): any other discount code is the shop's own. */
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
    // A campaign's code (its gift key `campaign:<id>`): the campaign's results count the order, once —
    // only the delivery that moved the code does (a crash right after the move loses the count, never doubles it).
    const campaignId = moved && code.gift?.startsWith('campaign:') ? code.gift.slice('campaign:'.length) : undefined;
    if (campaignId) {
      await countCampaign(db, shopId, campaignId, 'codesUsed');
      await countCampaign(db, shopId, campaignId, 'revenue', order.net);
    }
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

/**
 * The customer's email with the code, once it is live (the email stage sends a key once): the email
 * a given code was made for (a win-back offer), else reward_issued.
 */
export async function announce(shopId: string, code: RewardCode, deps: { triggers?: TriggerSink }) {
  if (code.announce) {
    const { trigger: name, key, at, data } = code.announce;
    await deps.triggers?.([
      { shopId, customerId: code.customerId, key, trigger: name as TriggerRecord['trigger'], at, data, source: 'rewards' },
    ]);
    return;
  }
  await deps.triggers?.([codeTrigger(shopId, code, 'reward_issued', code.issuedAt, issuedData(code))]);
}

/** What the reward-issued email says of a code. */
export const issuedData = (code: RewardCode) => ({
  code: code.code,
  rewardId: code.rewardId,
  name: code.name,
  value: code.value,
  currency: code.currency,
  ...(code.minOrder ? { minOrder: code.minOrder } : {}),
  points: code.points,
  expiresAt: code.expiresAt,
});

export const codeTrigger = (
  shopId: string,
  code: RewardCode,
  name: 'reward_issued' | 'reward_failed',
  at: string,
  data: Record<string, unknown>,
): TriggerRecord => ({ shopId, customerId: code.customerId, key: `${name}:${code.code}`, trigger: name, at, data, source: 'rewards' });
