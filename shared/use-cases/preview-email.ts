import * as z from 'zod';
import { loadProfile } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { EMAIL_TRIGGERS, renderEmail } from '#shared/email/render.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { defaultRewards, priceOf } from '#shared/loyalty/rewards.ts';
import { composeEmail, type StoredCoPurchase } from '#shared/use-cases/compose-email.ts';
import { CustomerIdSchema } from '#shared/use-cases/read-customers.ts';

/**
 * GET /v1/emails/preview?customerId=&trigger=: the email this customer would get for this trigger,
 * rendered by the same code as the email function. The trigger's facts are examples where the
 * trigger carries its own (a shortfall, an expiry date) — the customer's name, language, tier,
 * points, progress and recommendations are theirs.
 */

export const QuerySchema = z.object({
  customerId: CustomerIdSchema,
  trigger: z.enum(EMAIL_TRIGGERS),
  format: z.enum(['html', 'text', 'json']).default('html'),
});

const DAY_MS = 86_400_000;

/** The reward a preview shows: the catalog's first on offer, else the first of a new shop's catalog. */
function exampleReward(shop: ShopRecord, program: Program, now: Date) {
  const reward = program.rewards.find((r) => r.active) ?? defaultRewards(program.points.pointValue)[0];
  if (!reward) throw new Error('the default catalog has rewards');
  const price = priceOf(reward, reward.cost.kind === 'per' ? reward.cost.minSteps : 1);
  return {
    // The shape of a real code (redeem-reward.ts) with an L, a letter real codes leave out: never a live one.
    code: 'RW-PREVW-SAMPL',
    rewardId: reward.id,
    name: reward.name,
    value: price.value,
    currency: shop.currency,
    ...(reward.minOrder ? { minOrder: reward.minOrder } : {}),
    points: price.points,
    expiresAt: new Date(now.getTime() + reward.validityDays * DAY_MS).toISOString(),
  };
}

function exampleData(trigger: string, shop: ShopRecord, program: Program, now: Date): Record<string, unknown> {
  switch (trigger) {
    case 'welcome':
      return { bonus: program.points.firstOrderBonus };
    case 'tier_down_warning':
      return { shortfall: 1, downgradeOn: new Date(now.getTime() + program.tiers.downgrade.warningDays * DAY_MS).toISOString() };
    case 'birthday':
      return { bonus: Math.max(1, program.points.birthdayBonus) };
    case 'points_expiring':
      return { points: 100, expiresOn: new Date(now.getTime() + program.points.reminderDays * DAY_MS).toISOString() };
    case 'feedback_request':
      return { orderId: 'preview' };
    case 'redemption_receipt':
      return { points: 100 };
    case 'points_milestone':
      return { milestone: program.points.milestones[0] ?? 500 };
    case 'reward_issued':
      return exampleReward(shop, program, now);
    case 'reward_failed': {
      const { code, name, points } = exampleReward(shop, program, now);
      return { code, name, points };
    }
    default:
      return {};
  }
}

export interface PreviewDeps {
  db: Db;
  program: (shopId: string) => Promise<Program>;
  masterKey: () => Promise<string>;
  coPurchase: (shopId: string) => Promise<StoredCoPurchase | undefined>;
  publicUrl: string;
  now: () => Date;
}

export async function previewEmail(shop: ShopRecord, query: Record<string, string | undefined>, deps: PreviewDeps) {
  const { customerId, trigger, format } = parseOrThrow(QuerySchema, query, 'query');
  const [profile, program, coPurchase, masterKey] = await Promise.all([
    loadProfile(deps.db, shop.shopId, customerId),
    deps.program(shop.shopId),
    deps.coPurchase(shop.shopId),
    deps.masterKey(),
  ]);
  if (!profile) throw new NotFoundError(`no customer ${customerId}`);
  const now = deps.now();
  const { context } = composeEmail({
    record: {
      shopId: shop.shopId,
      customerId,
      key: `${trigger}:preview`,
      trigger,
      at: now.toISOString(),
      data: exampleData(trigger, shop, program, now),
    },
    shop,
    program,
    profile,
    ...(coPurchase ? { coPurchase } : {}),
    masterKey,
    publicUrl: deps.publicUrl,
    now,
  });
  return { format, rendered: renderEmail(context) };
}
