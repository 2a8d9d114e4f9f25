import type { Profile } from '#shared/data/profile-item.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { sha256Hex } from '#shared/domain/crypto.ts';
import { purchasedProducts } from '#shared/domain/history.ts';
import { couponCode } from '#shared/email/coupon.ts';
import { createFeedbackToken, feedbackUrl } from '#shared/email/feedback-link.ts';
import { couponKey, feedbackKey, unsubscribeKey } from '#shared/email/keys.ts';
import { createLoyaltyToken, loyaltyKey, loyaltyPageUrl } from '#shared/email/loyalty-link.ts';
import type { MessageContext } from '#shared/email/message-values.ts';
import { type CatalogueProduct, type CoPurchaseStats, recommendProducts } from '#shared/email/recommend.ts';
import { type EmailContext, type EmailTrigger, isMarketing } from '#shared/email/render.ts';
import { createUnsubscribeToken } from '#shared/email/unsubscribe.ts';
import { tierFactsOf } from '#shared/loyalty/plan.ts';
import type { Program } from '#shared/loyalty/program.ts';
import { clvFactsOf, shortfallTo, tierIndex } from '#shared/loyalty/rules.ts';
import type { TriggerRecord } from '#shared/use-cases/loyalty-effects.ts';
import { profileView } from '#shared/use-cases/profile-view.ts';

/**
 * From a trigger record and what the table holds to the renderer's context (shared/email/render.ts):
 * who the customer is, their tier and points and how far the next tier is, the trigger's facts,
 * products they are likely to want, the unsubscribe link, the link to their loyalty page, a coupon
 * for segment offers. Pure, so the email function and the preview route show exactly the same email.
 */

export interface StoredCoPurchase extends CoPurchaseStats {
  products?: Record<string, CatalogueProduct>;
}

export interface ComposeInput {
  record: Pick<TriggerRecord, 'shopId' | 'customerId' | 'key' | 'at' | 'data'> & { trigger: EmailTrigger };
  shop: ShopRecord;
  program: Program;
  profile: Profile;
  coPurchase?: StoredCoPurchase;
  masterKey: string;
  /** The public API base URL, for the unsubscribe, feedback and loyalty page links. */
  publicUrl: string;
  now: Date;
}

export interface Composed {
  context: EmailContext;
  unsubscribeUrl?: string;
  /** The token of the unsubscribe link, also the subject of the mailto: unsubscribe. */
  unsubscribeToken?: string;
}

const positive = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined);

/** The customer's tier and the distance to the next one, in the program's tier metric. */
function loyaltyOf(
  profile: Profile,
  program: Program,
  tierId: string | undefined,
  now: Date,
): Pick<EmailContext['customer'], 'tier' | 'progress'> {
  const levels = program.tiers.levels;
  const level = levels.find((l) => l.id === tierId);
  const next = levels[tierIndex(program, tierId) + 1];
  let progress: EmailContext['customer']['progress'];
  if (next) {
    const remaining = shortfallTo(next, tierFactsOf(profile.history, program, now, clvFactsOf(profile.derived.clv)), program);
    // A rule the metric alone cannot meet (it needs a prediction) has no distance to show.
    if (remaining !== undefined && remaining > 0) progress = { nextTier: { name: next.name }, metric: program.tiers.metric, remaining };
  }
  return { ...(level ? { tier: { id: level.id, name: level.name } } : {}), ...(progress ? { progress } : {}) };
}

function dataFor(input: ComposeInput): Record<string, unknown> {
  const { record, shop, program, coPurchase, masterKey, publicUrl, now } = input;
  const data = record.data;
  switch (record.trigger) {
    case 'welcome':
      return positive(data.bonus) ? { bonus: data.bonus } : {};
    case 'tier_down_warning':
      return { shortfall: data.shortfall, shortfallMetric: program.tiers.metric, downgradeOn: data.downgradeOn };
    case 'birthday':
      return { bonus: data.bonus, ...(data.offer ? { offer: data.offer } : {}) };
    case 'win_back': {
      // The program's win-back reward, as the run gave it (give-reward.ts): a real code of the catalog.
      if (data.offer) return { offer: data.offer };
      // Else a code for this customer and this month's offer, which the shop can check offline (coupon.ts).
      const offer = record.key;
      return {
        coupon: { code: couponCode({ shopId: shop.shopId, customerId: record.customerId, offer }, couponKey(masterKey, shop.shopId)) },
      };
    }
    case 'flow':
      return { flowId: data.flowId, ...(data.offer ? { offer: data.offer } : {}) };
    case 'points_expiring':
      return { points: data.points, expiresOn: data.expiresOn };
    case 'feedback_request': {
      // The link names the order; an id outside the token's alphabet travels as its hash.
      const raw = String(data.orderId);
      const orderId = /^[A-Za-z0-9_.:-]{1,64}$/.test(raw) ? raw : `h:${sha256Hex(raw).slice(0, 32)}`;
      const token = createFeedbackToken(
        { shopId: shop.shopId, customerId: record.customerId, orderId, issuedAt: Math.floor(now.getTime() / 1000) },
        feedbackKey(masterKey),
      );
      return { feedbackUrl: feedbackUrl(publicUrl, token), orderNumber: String(data.orderId).slice(0, 64) };
    }
    case 'redemption_receipt':
      return { pointsSpent: data.points, ...(typeof data.balance === 'number' ? { balance: data.balance } : {}), redeemedAt: record.at };
    case 'points_milestone':
      return { milestone: data.milestone };
    case 'reward_issued': {
      // The code record's facts as they are; the free product's title when the shop's catalogue knows it.
      const value = data.value as { kind?: unknown; productId?: unknown } | undefined;
      const product =
        value?.kind === 'free_product' && typeof value.productId === 'string' ? coPurchase?.products?.[value.productId] : undefined;
      return {
        code: data.code,
        name: data.name,
        value: data.value,
        currency: data.currency,
        minOrder: data.minOrder,
        points: data.points,
        expiresAt: data.expiresAt,
        ...(product?.title ? { productTitle: product.title } : {}),
      };
    }
    case 'reward_failed':
      return { code: data.code, name: data.name, points: data.points };
    default:
      return {};
  }
}

export function composeEmail(input: ComposeInput): Composed {
  const { record, profile, shop } = input;
  const view = profileView(profile, shop.currency);
  // The tier the email is about: the one a tier change moved to; for a warning, the tier still held
  // (its `to` is the tier it would fall to); else the customer's now.
  const moved = record.trigger === 'tier_up' || record.trigger === 'tier_down';
  const held = record.trigger === 'tier_down_warning' ? record.data.tier : undefined;
  const tierId = moved && typeof record.data.to === 'string' ? record.data.to : typeof held === 'string' ? held : (view.tier ?? undefined);
  const purchased = purchasedProducts(profile.history);
  const recommendations = input.coPurchase
    ? recommendProducts({ purchased, stats: input.coPurchase, catalogue: input.coPurchase.products ?? {}, limit: 3 })
    : [];
  const base = composeBase(input, isMarketing(record.trigger), tierId);
  const context: EmailContext = { trigger: record.trigger, ...base.context, data: dataFor(input), recommendations };
  return { context, ...(base.unsubscribeUrl ? { unsubscribeUrl: base.unsubscribeUrl, unsubscribeToken: base.unsubscribeToken } : {}) };
}

/** What every email says of its customer and shop, and its links: the unsubscribe link for marketing, the loyalty page always. */
export function composeBase(
  input: Omit<ComposeInput, 'record' | 'coPurchase'> & { record: Pick<TriggerRecord, 'customerId'> },
  marketing: boolean,
  tierId: string | undefined,
): { context: MessageContext; unsubscribeUrl?: string; unsubscribeToken?: string } {
  const { record, shop, program, profile, masterKey, publicUrl, now } = input;
  const view = profileView(profile, shop.currency);
  const issuedAt = Math.floor(now.getTime() / 1000);
  let unsubscribeUrl: string | undefined;
  let unsubscribeToken: string | undefined;
  if (marketing) {
    unsubscribeToken = createUnsubscribeToken({ shopId: shop.shopId, customerId: record.customerId, issuedAt }, unsubscribeKey(masterKey));
    unsubscribeUrl = `${publicUrl}/unsubscribe?token=${encodeURIComponent(unsubscribeToken)}`;
  }
  // Every email opens the customer's own loyalty page; the token names ids only (it ends up in mail logs).
  const loyaltyToken = createLoyaltyToken({ shopId: shop.shopId, customerId: record.customerId, issuedAt }, loyaltyKey(masterKey));
  const context: MessageContext = {
    locale: view.locale ?? undefined,
    shop: {
      name: shop.name,
      currency: shop.currency,
      locale: shop.locale,
      timezone: shop.timezone,
      ...(shop.url ? { url: shop.url } : {}),
      // The built-in copy's footer reads the brand's address and note (render.ts); the rest of it dresses only shop-written copy.
      ...(shop.brand ? { brand: shop.brand } : {}),
    },
    customer: {
      ...(view.firstName ? { firstName: view.firstName } : {}),
      ...(view.name ? { name: view.name } : {}),
      points: view.points,
      ...loyaltyOf(profile, program, tierId, now),
    },
    ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
    loyaltyUrl: loyaltyPageUrl(publicUrl, shop.shopId, loyaltyToken),
  };
  return { context, ...(unsubscribeUrl ? { unsubscribeUrl, unsubscribeToken } : {}) };
}
