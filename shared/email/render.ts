import * as z from 'zod';
import { currencyExponent } from '#shared/domain/money.ts';
import { RewardValueSchema } from '#shared/loyalty/rewards.ts';
import { formatCount, formatDate, formatMoney, formatPercent } from './format.ts';
import {
  type Copy,
  type EmailLanguage,
  localizedName,
  PHRASES,
  type Phrases,
  type RewardValueText,
  resolveLocale,
  type TierMetric,
} from './locales.ts';
import { EMAIL_CLASS, TRIGGERS } from './rules.ts';
import { TEMPLATES } from './templates.generated.ts';

/**
 * Emails as the customer reads them (DESIGN §6): subject, HTML and plain text, in the customer's
 * language, from templates compiled at build time (scripts/compile-emails.ts). At run time this is
 * a string fill — no mjml, nothing but zod and Intl — so it costs little in a Lambda bundle.
 *
 * Every value is HTML-escaped on the way in; a template placeholder without a value is an error,
 * never an empty element, and parts that can be absent (a coupon, the recommendations, the
 * progress to the next tier) sit in sections that disappear whole.
 */

/** The triggers and their class are defined once, with the rules of contact (rules.ts). */
export const EMAIL_TRIGGERS = TRIGGERS;
export type EmailTrigger = (typeof EMAIL_TRIGGERS)[number];

/** Sent whatever the customer's marketing consent: a receipt for something the customer did. */
export const TRANSACTIONAL_TRIGGERS: ReadonlySet<EmailTrigger> = new Set(TRIGGERS.filter((t) => EMAIL_CLASS[t] === 'transactional'));

/** Marketing email needs consent and carries an unsubscribe link (and the List-Unsubscribe headers). */
export const isMarketing = (trigger: EmailTrigger) => !TRANSACTIONAL_TRIGGERS.has(trigger);

export interface EmailContext {
  trigger: EmailTrigger;
  /** The customer's locale (vi-VN, en…); falls back to the shop's, then English. */
  locale: string | undefined;
  /**
   * `brand`: the postal address and footer note the shop set (PATCH /v1/shop {brand}), in the footer
   * of the built-in copy too — the address is what anti-spam law wants in marketing email. The logo
   * and colours dress only the emails the shop writes (shop-template.ts): the built-in copy keeps
   * Rapport's tested layout.
   */
  shop: {
    name: string;
    currency: string;
    locale?: string;
    timezone?: string;
    url?: string;
    brand?: { address?: string; footer?: Partial<Record<EmailLanguage, string>> };
  };
  customer: {
    firstName?: string;
    name?: string;
    tier?: { id: string; name: Record<string, string> };
    points: { balance: number; lifetime: number };
    /** What is left to reach the next tier, in the unit of the program's tier metric. */
    progress?: { nextTier: { name: Record<string, string> }; metric: TierMetric; remaining: number };
  };
  /** Trigger-specific facts, checked against TRIGGER_DATA[trigger]. */
  data: Record<string, unknown>;
  recommendations: Array<{ productId: string; title: string; url?: string; price?: number }>;
  /** Required for marketing triggers, where the footer links to it; unused in transactional email. */
  unsubscribeUrl?: string;
  /**
   * The customer's own link to the hosted loyalty page (shared/email/loyalty-link.ts): in the footer
   * of every email, and the main button of those about points, tier and rewards. Without it (a
   * sample rendered outside the email stage) those buttons go to the shop.
   */
  loyaltyUrl?: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  locale: EmailLanguage;
}

/** The context cannot make this email: a fact the trigger needs is missing or malformed. */
export class InvalidEmailContextError extends Error {
  override name = 'InvalidEmailContextError';
}

/** A template and the values given to it do not fit: a bug in a template or in this module. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

// Only http(s): a value placed in an href must not be able to run script (javascript:, data:).
const httpUrl = z.url({ protocol: /^https?$/ });
const positive = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** An ISO instant, or a plain calendar date (shown as that date wherever the shop is). */
const when = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);
const code = z.string().trim().min(1).max(64);
const coupon = z.object({ code, expiresOn: when.optional() });
/** A reward's names by locale, as the catalog held them when it was redeemed. */
const names = z.record(z.string(), z.string().trim().min(1).max(80)).refine((value) => Object.keys(value).length > 0, 'no name');
const currency = z
  .string()
  .regex(/^[A-Z]{3}$/)
  .refine((value) => currencyExponent(value) !== undefined, 'an ISO 4217 currency with a minor unit');

/** A catalog reward's code an email gives (give-reward.ts offerOf): the win-back's and the birthday's offers. */
const offer = z.object({
  code,
  value: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('amount_off'), amount: positive }),
    z.object({ kind: z.literal('percent_off'), percent: z.number().min(0).max(100), maxAmount: positive.optional() }),
    z.object({ kind: z.literal('free_shipping') }),
    z.object({ kind: z.literal('free_product'), productId: z.string() }),
  ]),
  currency: currency.optional(),
  expiresAt: when,
});

/** What each trigger needs in `data`; other keys (the timeline entry's own) are ignored. */
export const TRIGGER_DATA = {
  welcome: z.object({ bonus: positive.optional() }),
  tier_up: z.object({}),
  tier_down_warning: z.object({
    /** In the unit of the tier metric: minor units of spend, orders or points; absent when the metric alone cannot keep the tier (a rule that needs a prediction). */
    shortfall: positive.optional(),
    /** The tier metric; defaults to the metric of the customer's progress. */
    shortfallMetric: z.enum(['spend', 'orders', 'points']).optional(),
    downgradeOn: when,
  }),
  tier_down: z.object({}),
  /** The bonus points, the program's birthday reward's code, or both. */
  birthday: z
    .object({ bonus: z.number().int().min(0).optional(), offer: offer.optional() })
    .refine((data) => (data.bonus ?? 0) > 0 || data.offer !== undefined, 'a birthday email gives points or a code'),
  /** `offer`: a catalog reward's code the win-back gives (program `offers.winBack`); else a derived coupon, or none. */
  win_back: z.object({ coupon: coupon.optional(), offer: offer.optional() }),
  points_expiring: z.object({ points: positive, expiresOn: when }),
  /** A flow on segment entry (shared/loyalty/flows.ts) in its built-in copy; `offer`: the flow's reward's code. */
  flow: z.object({ flowId: z.string().min(1), offer: offer.optional() }),
  feedback_request: z.object({ feedbackUrl: httpUrl, orderNumber: z.string().trim().min(1).max(64).optional() }),
  redemption_receipt: z.object({
    pointsSpent: positive,
    /** The balance right after the redemption; defaults to the customer's current balance. */
    balance: z.number().int().min(0).optional(),
    redeemedAt: when.optional(),
    coupon: coupon.optional(),
  }),
  points_milestone: z.object({ milestone: positive }),
  reward_issued: z.object({
    code,
    name: names,
    /** Amounts in minor units of `currency`. */
    value: RewardValueSchema,
    /** The code's currency (the shop's when it was redeemed); defaults to the shop's. */
    currency: currency.optional(),
    /** The order subtotal the code needs, in minor units of `currency`. */
    minOrder: positive.optional(),
    /** The points the reward cost: none for a code given away (an offer). */
    points: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    expiresAt: when,
    /** The free product's title, when the shop's catalogue knows it. */
    productTitle: z.string().trim().min(1).max(200).optional(),
  }),
  /** `points`: given back to the customer; none for a code that cost none. */
  reward_failed: z.object({ code, name: names, points: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }),
} satisfies Record<EmailTrigger, z.ZodType>;

type Data<T extends EmailTrigger> = z.infer<(typeof TRIGGER_DATA)[T]>;

/** The values the templates read; the same object makes the plain-text part. */
interface View {
  lang: EmailLanguage;
  subject: string;
  preheader: string;
  shopName: string;
  shopUrl: string | null;
  greeting: string;
  headline: string;
  paragraphs: Array<{ text: string }>;
  highlight: { value: string; caption: string } | null;
  details: Array<{ label: string; value: string }> | null;
  coupon: { label: string; code: string; note: string | null } | null;
  cta: { label: string; url: string } | null;
  /** The shop, as a plain link under the button, when the button goes to the loyalty page. */
  secondary: { label: string; url: string } | null;
  status: { tierLabel: string; tier: string | null; pointsLabel: string; points: string; progress: string | null };
  recommendations: { heading: string; items: Array<{ title: string; price: string | null; url: string | null; view: string }> } | null;
  footer: {
    text: string;
    /** The shop's footer note in the email's language, and its postal address (brand). */
    note: string | null;
    address: string | null;
    loyalty: { label: string; url: string } | null;
    unsubscribe: { label: string; url: string } | null;
  };
}

/** Subject, HTML and plain text of one email, in the customer's language. */
export function renderEmail(ctx: EmailContext): RenderedEmail {
  const view = viewOf(ctx);
  return { subject: view.subject, html: fillTemplate(TEMPLATES[ctx.trigger], view), text: textOf(view), locale: view.lang };
}

function viewOf(ctx: EmailContext): View {
  const { language, locale } = resolveLocale(ctx.locale, ctx.shop.locale);
  const phrases = PHRASES[language];
  const timeZone = ctx.shop.timezone ?? 'UTC';
  const shop = ctx.shop.name.trim();
  const name = (ctx.customer.firstName ?? ctx.customer.name)?.trim() || undefined;
  const points = (count: number) => phrases.points(count, formatCount(count, locale));
  // A plain date is a calendar day already: reading it in the shop's zone could move it a day.
  const date = (value: string) => formatDate(value, locale, /^\d{4}-\d{2}-\d{2}$/.test(value) ? 'UTC' : timeZone);
  const tier = ctx.customer.tier ? localizedName(ctx.customer.tier.name, language, locale, ctx.customer.tier.id) : undefined;
  const more = (metric: TierMetric, count: number) =>
    phrases.more(metric, count, metric === 'spend' ? formatMoney(count, ctx.shop.currency, locale) : formatCount(count, locale));
  const url = (value: string | undefined, what: string) => (value === undefined ? null : checked(httpUrl, value, what));
  const money = (minor: number, code = ctx.shop.currency) => formatMoney(minor, code, locale);
  /** A reward's value as the copy phrases it, amounts in the code's currency. */
  const valueText = (value: Data<'reward_issued'>['value'], currency: string, productTitle?: string): RewardValueText =>
    value.kind === 'amount_off'
      ? { kind: 'amount_off', amount: money(value.amount, currency) }
      : value.kind === 'percent_off'
        ? {
            kind: 'percent_off',
            percent: formatPercent(value.percent, locale),
            ...(value.maxAmount ? { cap: money(value.maxAmount, currency) } : {}),
          }
        : value.kind === 'free_product'
          ? { kind: 'free_product', ...(productTitle ? { product: productTitle } : {}) }
          : { kind: 'free_shipping' };
  /** What a given reward's code gives, in the sentence of the birthday's, win-back's and flows' copy. */
  const offerText = (offer: NonNullable<Data<'win_back'>['offer']>) =>
    phrases.rewardValue(valueText(offer.value, offer.currency ?? ctx.shop.currency)).long.replace(/\.$/, '');

  const needsTier = () => {
    if (tier === undefined) throw new InvalidEmailContextError(`a ${ctx.trigger} email needs the customer's tier`);
    return tier;
  };
  let copy: Copy;
  let coupon: Data<'win_back'>['coupon'];
  let ctaUrl = url(ctx.shop.url, 'shop.url');
  // A receipt shows the balance right after the redemption, and the status under it must agree.
  let balance = ctx.customer.points.balance;
  switch (ctx.trigger) {
    case 'welcome': {
      const { bonus } = dataOf(ctx, 'welcome');
      copy = phrases.triggers.welcome({ shop, ...(bonus ? { bonus: points(bonus) } : {}) });
      break;
    }
    case 'tier_up':
    case 'tier_down':
      dataOf(ctx, ctx.trigger);
      copy = phrases.triggers[ctx.trigger]({ shop, tier: needsTier() });
      break;
    case 'tier_down_warning': {
      const data = dataOf(ctx, 'tier_down_warning');
      const metric = data.shortfallMetric ?? ctx.customer.progress?.metric;
      if (data.shortfall !== undefined && !metric)
        throw new InvalidEmailContextError('a tier_down_warning email needs the shortfall metric');
      copy = phrases.triggers.tier_down_warning({
        shop,
        tier: needsTier(),
        ...(data.shortfall !== undefined && metric ? { more: more(metric, data.shortfall) } : {}),
        date: date(data.downgradeOn),
      });
      break;
    }
    case 'birthday': {
      const data = dataOf(ctx, 'birthday');
      const gift = data.offer;
      if (gift) coupon = { code: gift.code, expiresOn: gift.expiresAt };
      copy = phrases.triggers.birthday({
        shop,
        ...(name ? { name } : {}),
        ...((data.bonus ?? 0) > 0 ? { bonus: points(data.bonus as number) } : {}),
        ...(gift ? { offer: offerText(gift) } : {}),
      });
      break;
    }
    case 'win_back': {
      const data = dataOf(ctx, 'win_back');
      const offer = data.offer;
      coupon = offer ? { code: offer.code, expiresOn: offer.expiresAt } : data.coupon;
      copy = phrases.triggers.win_back({
        shop,
        ...(balance > 0 ? { balance: points(balance) } : {}),
        coupon: coupon !== undefined,
        ...(offer ? { offer: offerText(offer) } : {}),
      });
      break;
    }
    case 'flow': {
      const data = dataOf(ctx, 'flow');
      const offer = data.offer;
      if (offer) coupon = { code: offer.code, expiresOn: offer.expiresAt };
      copy = phrases.triggers.flow({
        shop,
        ...(name ? { name } : {}),
        ...(balance > 0 ? { balance: points(balance) } : {}),
        ...(offer ? { offer: offerText(offer) } : {}),
      });
      break;
    }
    case 'points_expiring': {
      const data = dataOf(ctx, 'points_expiring');
      copy = phrases.triggers.points_expiring({ shop, points: points(data.points), date: date(data.expiresOn), count: data.points });
      break;
    }
    case 'feedback_request': {
      const data = dataOf(ctx, 'feedback_request');
      ctaUrl = data.feedbackUrl;
      copy = phrases.triggers.feedback_request({ shop, ...(data.orderNumber ? { orderNumber: data.orderNumber } : {}) });
      break;
    }
    case 'redemption_receipt': {
      const data = dataOf(ctx, 'redemption_receipt');
      coupon = data.coupon;
      balance = data.balance ?? balance;
      copy = phrases.triggers.redemption_receipt({
        shop,
        spent: points(data.pointsSpent),
        balance: points(balance),
        ...(data.redeemedAt ? { date: date(data.redeemedAt) } : {}),
      });
      break;
    }
    case 'points_milestone':
      copy = phrases.triggers.points_milestone({ shop, milestone: points(dataOf(ctx, 'points_milestone').milestone) });
      break;
    case 'reward_issued': {
      const data = dataOf(ctx, 'reward_issued');
      const currency = data.currency ?? ctx.shop.currency;
      const value = valueText(data.value, currency, data.productTitle);
      const expires = date(data.expiresAt);
      coupon = { code: data.code, expiresOn: data.expiresAt };
      copy = phrases.triggers.reward_issued({
        shop,
        reward: localizedName(data.name, language, locale, data.code),
        value,
        code: data.code,
        date: expires,
        ...(data.points > 0 ? { points: points(data.points) } : {}),
        ...(data.minOrder ? { minOrder: money(data.minOrder, currency) } : {}),
      });
      break;
    }
    case 'reward_failed': {
      const data = dataOf(ctx, 'reward_failed');
      copy = phrases.triggers.reward_failed({
        shop,
        reward: localizedName(data.name, language, locale, data.code),
        ...(data.points > 0 ? { points: points(data.points) } : {}),
        code: data.code,
      });
      break;
    }
  }

  const marketing = isMarketing(ctx.trigger);
  const unsubscribeUrl = marketing ? url(ctx.unsubscribeUrl, 'unsubscribeUrl') : null;
  if (marketing && !unsubscribeUrl) throw new InvalidEmailContextError(`a ${ctx.trigger} email is marketing and needs an unsubscribeUrl`);
  const progress = ctx.customer.progress;
  const loyaltyUrl = url(ctx.loyaltyUrl, 'loyaltyUrl');
  const loyaltyCta = copy.loyaltyCta !== undefined && loyaltyUrl ? { label: copy.loyaltyCta, url: loyaltyUrl } : null;
  const shopCta = ctaUrl ? { label: copy.cta, url: ctaUrl } : null;
  return {
    lang: language,
    subject: copy.subject,
    preheader: copy.preheader,
    shopName: shop,
    shopUrl: url(ctx.shop.url, 'shop.url'),
    greeting: phrases.greeting(name),
    headline: copy.headline,
    paragraphs: copy.paragraphs.map((text) => ({ text })),
    highlight: copy.highlight ?? null,
    details: copy.details ?? null,
    coupon: coupon
      ? {
          label: phrases.coupon.label,
          code: coupon.code,
          note: coupon.expiresOn ? phrases.coupon.validUntil(date(coupon.expiresOn)) : null,
        }
      : null,
    cta: loyaltyCta ?? shopCta,
    secondary: loyaltyCta ? shopCta : null,
    status: {
      tierLabel: phrases.status.tier,
      tier: tier ?? null,
      pointsLabel: phrases.status.points,
      points: points(balance),
      progress:
        progress && progress.remaining > 0
          ? phrases.progress(more(progress.metric, progress.remaining), localizedName(progress.nextTier.name, language, locale, '?'))
          : null,
    },
    recommendations: recommendationsOf(ctx, phrases, locale, url),
    footer: {
      text: marketing ? phrases.footer.marketing(shop) : phrases.footer.transactional(shop),
      note: ctx.shop.brand?.footer?.[language]?.trim() || null,
      address: ctx.shop.brand?.address?.trim() || null,
      loyalty: loyaltyUrl ? { label: phrases.footer.loyalty, url: loyaltyUrl } : null,
      unsubscribe: unsubscribeUrl ? { label: phrases.footer.unsubscribe, url: unsubscribeUrl } : null,
    },
  };
}

function recommendationsOf(
  ctx: EmailContext,
  phrases: Phrases,
  locale: string,
  url: (value: string | undefined, what: string) => string | null,
): View['recommendations'] {
  const items = ctx.recommendations
    .filter((product) => product.title.trim() !== '')
    .map((product) => ({
      title: product.title.trim(),
      price: product.price === undefined ? null : formatMoney(product.price, ctx.shop.currency, locale),
      url: url(product.url, `the url of product ${product.productId}`),
      view: phrases.recommendations.view,
    }));
  return items.length > 0 ? { heading: phrases.recommendations.heading, items } : null;
}

function dataOf<T extends EmailTrigger>(ctx: EmailContext, trigger: T): Data<T> {
  return checked(TRIGGER_DATA[trigger], ctx.data, `the data of a ${trigger} email`) as Data<T>;
}

function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidEmailContextError(`${what} is invalid: ${z.prettifyError(result.error)}`);
  return result.data;
}

const linkText = (link: { label: string; url: string } | null) => (link ? `${link.label}: ${link.url}` : null);

/** The plain-text part: the same words as the HTML, in reading order. */
function textOf(view: View): string {
  const blocks: string[] = [view.shopName, view.headline, view.greeting, ...view.paragraphs.map((p) => p.text)];
  if (view.highlight) blocks.push(`${view.highlight.value} — ${view.highlight.caption}`);
  if (view.coupon) blocks.push([`${view.coupon.label}: ${view.coupon.code}`, view.coupon.note].filter(Boolean).join('\n'));
  if (view.details) blocks.push(view.details.map((row) => `${row.label}: ${row.value}`).join('\n'));
  if (view.cta) blocks.push([linkText(view.cta), linkText(view.secondary)].filter(Boolean).join('\n'));
  const { status } = view;
  blocks.push(
    [status.tier ? `${status.tierLabel}: ${status.tier}` : null, `${status.pointsLabel}: ${status.points}`, status.progress]
      .filter(Boolean)
      .join('\n'),
  );
  if (view.recommendations) {
    const lines = view.recommendations.items.map((item) =>
      [`- ${item.title}`, item.price ? ` (${item.price})` : '', item.url ? `\n  ${item.url}` : ''].join(''),
    );
    blocks.push([view.recommendations.heading, ...lines].join('\n'));
  }
  const { footer } = view;
  blocks.push(
    ['--', footer.note, footer.text, footer.address, linkText(footer.loyalty), linkText(footer.unsubscribe)].filter(Boolean).join('\n'),
  );
  return `${blocks.join('\n\n')}\n`;
}

// ——— The template filler: a strict subset of Mustache ———
//
//   {{name}} / {{a.b}}     the value, HTML-escaped; missing, null or empty is an error
//   {{#name}}…{{/name}}    once per item of a non-empty list, once for any other truthy value
//                          (an object's keys come into scope); nothing for null, false, '' or []
//   {{^name}}…{{/name}}    only when {{#name}} would render nothing
//
// There is no unescaped form: templates never take markup from data.

type Node = string | { kind: 'value'; name: string } | { kind: 'section' | 'inverted'; name: string; children: Node[] };

const TAG = /\{\{\s*([#^/]?)\s*([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*\}\}/g;

function parse(source: string): Node[] {
  const root: Node[] = [];
  const open: Array<{ name: string; children: Node[] }> = [{ name: '', children: root }];
  let at = 0;
  if (source.includes('{{{')) throw new TemplateError('{{{…}}} (unescaped output) is not supported');
  const text = (chunk: string) => {
    if (chunk.includes('{{') || chunk.includes('}}')) throw new TemplateError(`malformed tag near "${chunk.slice(0, 60)}"`);
    if (chunk) open.at(-1)?.children.push(chunk);
  };
  for (const match of source.matchAll(TAG)) {
    text(source.slice(at, match.index));
    at = match.index + match[0].length;
    const [, sigil, name = ''] = match;
    const current = open.at(-1)!;
    if (sigil === '/') {
      if (open.length === 1 || current.name !== name) throw new TemplateError(`{{/${name}}} closes ${current.name || 'nothing'}`);
      open.pop();
    } else if (sigil === '#' || sigil === '^') {
      const section = { kind: sigil === '#' ? ('section' as const) : ('inverted' as const), name, children: [] };
      current.children.push(section);
      open.push(section);
    } else current.children.push({ kind: 'value', name });
  }
  text(source.slice(at));
  if (open.length > 1) throw new TemplateError(`{{#${open.at(-1)?.name}}} is never closed`);
  return root;
}

const parsed = new Map<string, Node[]>();

/** Fills a template with values from `view`, escaping every one. Exported for tests. */
export function fillTemplate(source: string, view: object): string {
  let nodes = parsed.get(source);
  if (!nodes) {
    nodes = parse(source);
    parsed.set(source, nodes);
  }
  return fill(nodes, [view]);
}

/** The innermost scope that has the name's first segment decides, as in Mustache. */
function lookup(scopes: readonly unknown[], name: string): unknown {
  const [head = '', ...rest] = name.split('.');
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i];
    if (scope !== null && typeof scope === 'object' && Object.hasOwn(scope, head)) {
      return rest.reduce<unknown>(
        (value, key) =>
          value !== null && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined,
        (scope as Record<string, unknown>)[head],
      );
    }
  }
  throw new TemplateError(`{{${name}}} is not in the view`);
}

const present = (value: unknown) =>
  !(value === null || value === undefined || value === false || value === '' || (Array.isArray(value) && value.length === 0));

function fill(nodes: readonly Node[], scopes: readonly unknown[]): string {
  let out = '';
  for (const node of nodes) {
    if (typeof node === 'string') out += node;
    else if (node.kind === 'value') {
      const value = lookup(scopes, node.name);
      if (typeof value === 'number' && Number.isFinite(value)) out += escapeHtml(String(value));
      else if (typeof value === 'string' && value.trim() !== '') out += escapeHtml(value);
      else throw new TemplateError(`{{${node.name}}} has no text to show (${value === '' ? 'empty' : typeof value})`);
    } else {
      const value = lookup(scopes, node.name);
      if (node.kind === 'inverted') {
        if (!present(value)) out += fill(node.children, scopes);
      } else if (Array.isArray(value)) {
        for (const item of value) out += fill(node.children, [...scopes, item]);
      } else if (present(value)) {
        out += fill(node.children, typeof value === 'object' ? [...scopes, value] : scopes);
      }
    }
  }
  return out;
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text → HTML text or attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}
