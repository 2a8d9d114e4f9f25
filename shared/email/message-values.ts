import { formatCount, formatDate, formatMoney, formatPercent } from './format.ts';
import { type EmailLanguage, localizedName, PHRASES, type RewardValueText, resolveLocale } from './locales.ts';
import { type EmailContext, TRIGGER_DATA } from './render.ts';
import type { MessageValues } from './shop-template.ts';

/**
 * The values a shop-written message is rendered with (shop-template.ts VARIABLES), from the same
 * context the built-in copy is rendered from (compose-email.ts): formatted for the customer's
 * language as the built-in copy formats them — "1.250 điểm", "15 tháng 3, 2026", "giảm 10%".
 * A message the shop did not write in that language is shown in one it has (`written`), and its
 * values follow it: an English text says "100 points", not "100 điểm".
 * A fact the trigger does not carry is left out, and renders empty.
 */

/** A reward code as an email gives it: the win-back's or the birthday's offer, a bought reward, a campaign's gift. */
export interface RewardFacts {
  code: string;
  value:
    | { kind: 'amount_off'; amount: number }
    | { kind: 'percent_off'; percent: number; maxAmount?: number | undefined }
    | { kind: 'free_shipping' }
    | { kind: 'free_product'; productId?: string };
  /** The code's currency; the shop's when absent. */
  currency?: string | undefined;
  expiresAt: string;
  /** The reward's names by locale. */
  name?: Record<string, string> | undefined;
  minOrder?: number | undefined;
  productTitle?: string | undefined;
}

interface Formatting {
  language: EmailLanguage;
  locale: string;
  timeZone: string;
  currency: string;
}

/** A plain date is a calendar day already: reading it in the shop's zone could move it a day. */
const dateText = (value: string, f: Formatting) => formatDate(value, f.locale, /^\d{4}-\d{2}-\d{2}$/.test(value) ? 'UTC' : f.timeZone);
const pointsText = (count: number, f: Formatting) => PHRASES[f.language].points(count, formatCount(count, f.locale));

/** `reward.*`: the code, its name, what it gives in words, its last day (and the order it needs). */
export function rewardValues(reward: RewardFacts, f: Formatting): Record<string, string | undefined> {
  const currency = reward.currency ?? f.currency;
  const money = (minor: number) => formatMoney(minor, currency, f.locale);
  const value = reward.value;
  const text: RewardValueText =
    value.kind === 'amount_off'
      ? { kind: 'amount_off', amount: money(value.amount) }
      : value.kind === 'percent_off'
        ? {
            kind: 'percent_off',
            percent: formatPercent(value.percent, f.locale),
            ...(value.maxAmount ? { cap: money(value.maxAmount) } : {}),
          }
        : value.kind === 'free_product'
          ? { kind: 'free_product', ...(reward.productTitle ? { product: reward.productTitle } : {}) }
          : { kind: 'free_shipping' };
  return {
    code: reward.code,
    name: reward.name ? localizedName(reward.name, f.language, f.locale, reward.code) : undefined,
    value: PHRASES[f.language].rewardValue(text).short,
    expires_on: dateText(reward.expiresAt, f),
    min_order: reward.minOrder ? money(reward.minOrder) : undefined,
  };
}

/** What every message is rendered from: an email's context without its trigger's own facts. */
export type MessageContext = Omit<EmailContext, 'trigger' | 'data' | 'recommendations'>;

/**
 * The values of the base set (customer, shop, links), and `reward` when the message gives a code:
 * what a campaign's message is rendered with.
 */
export function baseMessageValues(
  ctx: MessageContext,
  reward?: RewardFacts,
  written?: readonly EmailLanguage[],
): { language: EmailLanguage; values: MessageValues } {
  const f = formattingOf(ctx, written);
  return { language: f.language, values: baseValues(ctx, f, reward) };
}

/**
 * The customer's language (else the shop's) when the message is written in it, else the first
 * language it is written in; the shop's time zone and currency.
 */
function formattingOf(ctx: MessageContext, written?: readonly EmailLanguage[]): Formatting {
  const customer = resolveLocale(ctx.locale, ctx.shop.locale);
  const shown = !written?.length || written.includes(customer.language) ? customer : resolveLocale(written[0]);
  return { ...shown, timeZone: ctx.shop.timezone ?? 'UTC', currency: ctx.shop.currency };
}

function baseValues(ctx: MessageContext, f: Formatting, reward?: RewardFacts): Record<string, Record<string, string | undefined>> {
  const { language, locale } = f;
  const tier = ctx.customer.tier ? localizedName(ctx.customer.tier.name, language, locale, ctx.customer.tier.id) : undefined;
  const values: Record<string, Record<string, string | undefined>> = {
    customer: {
      first_name: ctx.customer.firstName?.trim() || undefined,
      name: ctx.customer.name?.trim() || undefined,
      points: formatCount(ctx.customer.points.balance, locale),
      tier,
    },
    shop: { name: ctx.shop.name.trim(), url: ctx.shop.url },
    links: { loyalty_page: ctx.loyaltyUrl, shop: ctx.shop.url, unsubscribe: ctx.unsubscribeUrl },
  };
  if (reward) values.reward = rewardValues(reward, f);
  return values;
}

/** Every value of the base set (customer, shop, links) and of the trigger's facts (a flow's or a win-back's code among them). */
export function messageValuesOf(ctx: EmailContext, written?: readonly EmailLanguage[]): { language: EmailLanguage; values: MessageValues } {
  const f = formattingOf(ctx, written);
  const { language, locale } = f;
  const values = baseValues(ctx, f);
  const parsed = TRIGGER_DATA[ctx.trigger].safeParse(ctx.data);
  // Facts that do not parse stay out (they render empty); the built-in renderer refuses such a context anyway.
  const data = (parsed.success ? parsed.data : {}) as Record<string, unknown>;
  const points = (count: unknown) => (typeof count === 'number' && count > 0 ? pointsText(count, f) : undefined);
  const date = (value: unknown) => (typeof value === 'string' ? dateText(value, f) : undefined);
  switch (ctx.trigger) {
    case 'welcome':
      values.bonus = { points: points(data.bonus) };
      break;
    case 'birthday':
    case 'flow':
    case 'win_back': {
      if (ctx.trigger === 'birthday') values.bonus = { points: points(data.bonus) };
      const offer = data.offer as RewardFacts | undefined;
      const coupon = data.coupon as { code: string } | undefined;
      if (offer) values.reward = rewardValues(offer, f);
      else if (coupon) values.reward = { code: coupon.code };
      break;
    }
    case 'tier_down_warning': {
      const metric = (data.shortfallMetric as string | undefined) ?? ctx.customer.progress?.metric ?? 'points';
      const shortfall = typeof data.shortfall === 'number' ? data.shortfall : undefined;
      const formatted = (count: number) => (metric === 'spend' ? formatMoney(count, f.currency, locale) : formatCount(count, locale));
      values.tier = {
        shortfall:
          shortfall === undefined
            ? undefined
            : PHRASES[language].more(metric as 'spend' | 'orders' | 'points', shortfall, formatted(shortfall)),
        downgrade_on: date(data.downgradeOn),
      };
      break;
    }
    case 'points_expiring':
      values.points = { expiring: points(data.points), expires_on: date(data.expiresOn) };
      break;
    case 'feedback_request':
      values.links = { ...values.links, feedback: data.feedbackUrl as string | undefined };
      values.order = { number: data.orderNumber as string | undefined };
      break;
    case 'redemption_receipt':
      values.redemption = { points_spent: points(data.pointsSpent) };
      if (data.coupon) values.reward = { code: (data.coupon as { code: string }).code };
      break;
    case 'points_milestone':
      values.milestone = { points: points(data.milestone) };
      break;
    case 'reward_issued':
      values.reward = rewardValues(data as unknown as RewardFacts, f);
      break;
    case 'reward_failed':
      values.reward = {
        code: data.code as string,
        name: localizedName(data.name as Record<string, string>, language, locale, data.code as string),
      };
      values.points = { returned: points(data.points) };
      break;
    default:
      break;
  }
  return { language, values };
}
