import * as z from 'zod';
import { loadProfile } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import { EMAIL_LANGUAGES, resolveLocale } from '#shared/email/locales.ts';
import { messageValuesOf } from '#shared/email/message-values.ts';
import { EMAIL_TRIGGERS, type EmailTrigger } from '#shared/email/render.ts';
import { messageLanguages, renderShopMessage, type ShopMessage, triggerVariables } from '#shared/email/shop-template.ts';
import { renderTriggerEmail, type TriggerEmail } from '#shared/email/trigger-email.ts';
import { parseOrThrow } from '#shared/http/validate.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { defaultRewards, priceOf } from '#shared/loyalty/rewards.ts';
import { composeEmail, type StoredCoPurchase } from '#shared/use-cases/compose-email.ts';
import { checkedMessage } from '#shared/use-cases/manage-email-templates.ts';
import { CustomerIdSchema } from '#shared/use-cases/read-customers.ts';

/**
 * GET /v1/emails/preview?customerId=&trigger=: the email this customer would get for this trigger,
 * rendered by the same code as the email function (the shop's own copy when it wrote one in the
 * customer's language); POST /v1/emails/preview: a copy being written, for the same customer. The trigger's facts are examples where the
 * trigger carries its own (a shortfall, an expiry date) — the customer's name, language, tier,
 * points, progress and recommendations are theirs.
 */

export const QuerySchema = z.object({
  customerId: CustomerIdSchema,
  trigger: z.enum(EMAIL_TRIGGERS),
  format: z.enum(['html', 'text', 'json']).default('html'),
  /** The language to show; the customer's by default. */
  language: z.enum(EMAIL_LANGUAGES).optional(),
  /** `builtin`: the built-in copy even where the shop wrote its own (the console's editor shows what a blank language sends). */
  copy: z.enum(['current', 'builtin']).default('current'),
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
    case 'flow': {
      // A flow's email with a reward's code, so every variable of its set shows a value.
      const { code, value, currency, expiresAt } = exampleReward(shop, program, now);
      return { flowId: 'preview', offer: { code, value, currency, expiresAt } };
    }
    default:
      return {};
  }
}

export interface PreviewDeps {
  db: Db;
  /** The shop's own copy of a trigger's email, if it wrote one (data/email-template-repo.ts). */
  shopCopy: (shopId: string, trigger: EmailTrigger) => Promise<ShopMessage | undefined>;
  program: (shopId: string) => Promise<Program>;
  masterKey: () => Promise<string>;
  coPurchase: (shopId: string) => Promise<StoredCoPurchase | undefined>;
  publicUrl: string;
  now: () => Date;
}

/** The context the email function would render this customer's email from, the trigger's facts as examples. */
async function previewContext(shop: ShopRecord, customerId: string, trigger: EmailTrigger, deps: PreviewDeps) {
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
  return context;
}

/** GET /v1/emails/preview: the email as it would go out now — the shop's own copy in the customer's language, else the built-in one. */
export async function previewEmail(shop: ShopRecord, query: Record<string, string | undefined>, deps: PreviewDeps) {
  const { customerId, trigger, format, language, copy } = parseOrThrow(QuerySchema, query, 'query');
  const [context, shopCopy] = await Promise.all([
    previewContext(shop, customerId, trigger, deps),
    copy === 'builtin' ? undefined : deps.shopCopy(shop.shopId, trigger),
  ]);
  return { format, rendered: renderTriggerEmail(language ? { ...context, locale: language } : context, shopCopy, shop.brand) };
}

export const DraftPreviewSchema = z.strictObject({
  customerId: CustomerIdSchema,
  trigger: z.enum(EMAIL_TRIGGERS),
  /** The message being written, as PUT /v1/emails/templates/{trigger} takes it (not saved). */
  message: z.unknown(),
  /** The language to show; the customer's by default (a message without it shows the language it has). */
  language: z.enum(EMAIL_LANGUAGES).optional(),
});

/**
 * POST /v1/emails/preview: a message being written, checked as a save checks it (400 naming the
 * field), rendered for a real customer in the shop's brand. Nothing is saved.
 */
export async function previewDraft(shop: ShopRecord, body: unknown, deps: PreviewDeps): Promise<TriggerEmail> {
  const { customerId, trigger, message: draft, language } = parseOrThrow(DraftPreviewSchema, body);
  const variables = triggerVariables(trigger);
  const message = checkedMessage(draft, variables, shop.brand, `templates.${trigger}`);
  const context = await previewContext(shop, customerId, trigger, deps);
  // The language asked for (else the customer's) if the draft has it, else one it has; its values written in that one.
  const asked = language && language !== resolveLocale(context.locale, shop.locale).language ? { ...context, locale: language } : context;
  const values = messageValuesOf(asked, messageLanguages(message));
  const rendered = renderShopMessage(message, values.language, values.values, shop.brand, variables);
  return { subject: rendered.subject, html: rendered.html, text: rendered.text, locale: rendered.language, copy: 'shop' };
}
