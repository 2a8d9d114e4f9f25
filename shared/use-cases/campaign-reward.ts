import type { Campaign } from '#shared/data/campaign-repo.ts';
import type { Db } from '#shared/data/db.ts';
import type { RewardFacts } from '#shared/email/message-values.ts';
import type { Program } from '#shared/loyalty/program.ts';
import type { CodeMessage } from '#shared/use-cases/create-reward-code.ts';
import { giveReward, offerOf } from '#shared/use-cases/give-reward.ts';

/**
 * A campaign's reward: a real code of the catalog reward it names, given to each recipient at the
 * moment their email is made (after consent, suppression and the cap allowed it, so nobody who is
 * not written to holds a code). The gift's key is `campaign:<id>` (give-reward.ts): the code is
 * derived from it, so a repeated send step gives the same one code.
 *
 * A shop whose codes live on Shopify or WooCommerce gets the code `pending` there (the codes queue
 * creates it, usually within seconds) and the email goes at once with it; if the platform refuses
 * the code for good, the customer holds a code that does not work (no points were spent on it).
 */

export interface CampaignGifts {
  codeKey: (shopId: string) => Promise<Buffer>;
  platform: (shopId: string) => Promise<'shopify' | 'woocommerce' | undefined>;
  codes?: (message: CodeMessage) => Promise<void>;
}

/** The campaign's reward left the catalog (or was taken off it) after the campaign was saved: the email is not sent without it. */
export class CampaignRewardUnavailableError extends Error {
  override name = 'CampaignRewardUnavailableError';
}

export async function campaignReward(
  input: { shopId: string; customerId: string; campaign: Campaign; program: Program; currency: string; at: string },
  db: Db,
  gifts: CampaignGifts | undefined,
): Promise<RewardFacts | undefined> {
  const { campaign } = input;
  if (!campaign.rewardId) return undefined;
  const reward = input.program.rewards.find((candidate) => candidate.id === campaign.rewardId && candidate.active);
  if (!reward || !gifts) throw new CampaignRewardUnavailableError(`the reward ${campaign.rewardId} is not in the catalog`);
  const platform = await gifts.platform(input.shopId);
  const { code } = await giveReward(
    {
      shopId: input.shopId,
      currency: input.currency,
      customerId: input.customerId,
      reward,
      gift: `campaign:${campaign.campaignId}`,
      at: input.at,
      codeKey: await gifts.codeKey(input.shopId),
      ...(platform ? { platform } : {}),
    },
    { db, ...(gifts.codes ? { codes: gifts.codes } : {}) },
  );
  return offerOf(code) as RewardFacts;
}
