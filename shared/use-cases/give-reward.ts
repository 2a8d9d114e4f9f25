import { createHmac } from 'node:crypto';
import type { Db } from '#shared/data/db.ts';
import { putRewardCode, type RewardCode } from '#shared/data/reward-code-repo.ts';
import type { Reward } from '#shared/loyalty/rewards.ts';
import type { CodeMessage } from '#shared/use-cases/create-reward-code.ts';
import { issuedData, rewardCodeFrom } from '#shared/use-cases/use-reward-codes.ts';

/**
 * Rewards given, not bought (issue 13): the win-back and birthday emails' offers and the tiers'
 * perks are codes of catalog rewards, worth no points, created on the shop's platform like any
 * other code (the codes queue) or Rapport's own. Each gift has a key — `flow:win-back:2026-12`,
 * `perk:free-shipping:2026-12` — and its code is derived from the key under the shop's coupon key,
 * so a run repeated after a crash gives the same code (one item, one platform call), and nobody
 * without the key can guess it.
 */

const DAY = 86_400_000;

/** `RW-XXXXX-XXXXX` from an HMAC of the customer and the gift's key, in the alphabet of bought codes. */
export function giftCode(codeKey: Buffer, customerId: string, gift: string): string {
  const digest = createHmac('sha256', codeKey)
    .update(`rapport/gift/v1.${JSON.stringify([customerId, gift])}`)
    .digest();
  return rewardCodeFrom((i) => digest.readUInt32BE(i * 2));
}

export interface GiftInput {
  shopId: string;
  currency: string;
  customerId: string;
  reward: Reward;
  gift: string;
  at: string;
  codeKey: Buffer;
  /** The platform the shop's codes are made on; none: Rapport's own, valid at once. */
  platform?: 'shopify' | 'woocommerce';
  /** The email to send once the code is live (the consumer sends it for a pending code), made with the code; absent: reward_issued. */
  announce?: (code: RewardCode) => RewardCode['announce'];
}

/**
 * The gift's code, written once: `issued` at once for Rapport's own codes (the caller sends its email
 * with the code), `pending` for a platform's, sent to the codes queue, whose consumer sends the
 * email once the platform has it. `created` says whether this call wrote it (a repeat did not).
 */
export async function giveReward(
  input: GiftInput,
  deps: { db: Db; codes?: (message: CodeMessage) => Promise<void> },
): Promise<{ code: RewardCode; created: boolean }> {
  const { reward } = input;
  const code: RewardCode = {
    code: giftCode(input.codeKey, input.customerId, input.gift),
    customerId: input.customerId,
    rewardId: reward.id,
    name: reward.name,
    value: reward.value,
    ...(reward.minOrder ? { minOrder: reward.minOrder } : {}),
    currency: input.currency,
    points: 0,
    key: `gift/${input.gift}`,
    issuedAt: input.at,
    expiresAt: new Date(Date.parse(input.at) + reward.validityDays * DAY).toISOString(),
    status: input.platform ? 'pending' : 'issued',
    platform: input.platform ?? 'generic',
    gift: input.gift,
  };
  if (input.announce) code.announce = input.announce(code);
  const created = await putRewardCode(deps.db, input.shopId, code);
  if (code.status === 'pending') {
    if (!deps.codes) throw new Error('a pending code needs the codes queue');
    await deps.codes({ shopId: input.shopId, code: code.code });
  }
  return { code, created };
}

/** What an email carrying a given code shows of it: what the reward-issued email shows, but the points (none were spent). */
export const offerOf = (code: RewardCode) => {
  const { points: _spent, ...offer } = issuedData(code);
  return offer;
};
