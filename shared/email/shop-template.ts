import { Liquid, type Template } from 'liquidjs';
import * as z from 'zod';
import { EMAIL_LANGUAGES, type EmailLanguage, PHRASES } from './locales.ts';
import { oneLine } from './mime.ts';
import { type EmailTrigger, escapeHtml } from './render.ts';
import { EMAIL_CLASS } from './rules.ts';
import { htmlProblems, htmlToText } from './safe-html.ts';

/**
 * Emails the shop writes: a subject and a body per language, in Liquid (liquidjs), that replace the
 * built-in copy of a trigger, or make the message of a flow or a campaign. Exports:
 *
 *   ShopMessageSchema       the message as the API takes it: `{ format?: 'liquid', subject: {en?, vi?},
 *                           body: {en?, vi?} }`, one language at least, each with subject and body
 *   BrandSchema, Brand      the shop's logo, colours, footer note and postal address (PATCH /v1/shop)
 *   VariableSet             which variables a message may use: BASE_VARIABLES for every message,
 *                           triggerVariables(trigger) adds the trigger's facts, CAMPAIGN_VARIABLES
 *                           (and FLOW_VARIABLES) add the reward's; VARIABLES describes each
 *   validateShopMessage     every problem of a message, `{ field: 'body.vi', message }`; empty: valid
 *   brandProblems           what the brand lacks for this message (a marketing one needs the address)
 *   renderShopMessage       `{ subject, html, text, language }` in the shop's brand layout, with the
 *                           footer (address, loyalty link, unsubscribe for marketing) always added
 *   MessageValues           the values a message is rendered with: `{ customer: { first_name… }, … }`;
 *                           message-values.ts builds them from compose-email.ts's context:
 *                           `messageValuesOf(context)` (a trigger's, its facts included),
 *                           `baseMessageValues(context, reward?)` (a campaign's, with its gift)
 *
 * Safety, in layers: the Liquid engine has only the tags and filters listed below (no include,
 * render or layout — nothing reads a file; no `raw` filter — every `{{ }}` is HTML-escaped in a body);
 * a message is parsed when saved and every variable it reads must be in its set; the body's HTML
 * passes the allow-list of safe-html.ts when saved and again, rendered, before each send; parsing
 * and rendering have limits (a template's size, render time, memory).
 *
 * MJML is not taken from shops: mjml weighs megabytes and runs at build time only (scripts/
 * compile-emails.ts), and the brand layout here already makes a message fit an email client.
 */

export const SHOP_MESSAGE_FORMATS = ['liquid'] as const;
export const MAX_SUBJECT_CHARS = 200;
export const MAX_BODY_CHARS = 20_000;

const languages = (max: number) =>
  z.strictObject(
    Object.fromEntries(EMAIL_LANGUAGES.map((language) => [language, z.string().trim().min(1).max(max).optional()])) as Record<
      EmailLanguage,
      z.ZodOptional<z.ZodString>
    >,
  );

export const ShopMessageSchema = z
  .strictObject({
    format: z
      .enum(SHOP_MESSAGE_FORMATS, { error: 'liquid is the one format taken (MJML is compiled at build time only)' })
      .default('liquid'),
    subject: languages(MAX_SUBJECT_CHARS),
    body: languages(MAX_BODY_CHARS),
  })
  .superRefine((message, ctx) => {
    const written = EMAIL_LANGUAGES.filter((language) => message.subject[language] !== undefined || message.body[language] !== undefined);
    if (written.length === 0)
      ctx.addIssue({ code: 'custom', path: ['body'], message: `write at least one language (${EMAIL_LANGUAGES.join(', ')})` });
    for (const language of written) {
      if (message.subject[language] === undefined) {
        ctx.addIssue({ code: 'custom', path: ['subject', language], message: `a ${language} body needs a ${language} subject` });
      }
      if (message.body[language] === undefined) {
        ctx.addIssue({ code: 'custom', path: ['body', language], message: `a ${language} subject needs a ${language} body` });
      }
    }
  });

export type ShopMessage = z.output<typeof ShopMessageSchema>;
export type ShopMessageInput = z.input<typeof ShopMessageSchema>;

/** The languages a message is written in. */
export const messageLanguages = (message: ShopMessage): EmailLanguage[] =>
  EMAIL_LANGUAGES.filter((language) => message.body[language] !== undefined && message.subject[language] !== undefined);

const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb');

/** The shop's look in the emails it writes; every field optional but the address for marketing. */
export const BrandSchema = z.strictObject({
  /** Shown at the top instead of the shop's name; https only (a mail client blocks mixed content). */
  logoUrl: z
    .url({ protocol: /^https$/, error: 'an https URL' })
    .max(500)
    .optional(),
  /** Links and the shop's name; the layout's accent. */
  primaryColor: hexColor.optional(),
  /** Around the message card. */
  backgroundColor: hexColor.optional(),
  /**
   * The shop's postal address, in the footer of every email it writes. Anti-spam law (CAN-SPAM,
   * Vietnam's Decree 91/2020) wants a sender's address in marketing email: a shop-written marketing
   * message is refused without it (brandProblems) and never rendered without it.
   */
  address: z.string().trim().min(5).max(300).optional(),
  /** A line above the address, per language. */
  footer: languages(200).optional(),
});

export type Brand = z.output<typeof BrandSchema>;

// ——— Variables ———

/** What each variable holds, for the API docs and the console's editor. */
export const VARIABLES = {
  'customer.first_name': 'The customer\'s first name (empty when unknown: use | default: "there")',
  'customer.name': "The customer's full name (empty when unknown)",
  'customer.points': 'Their points balance, formatted (1,250 / 1.250)',
  'customer.tier': "Their tier's name in the email's language (empty without tiers)",
  'shop.name': "The shop's name",
  'shop.url': "The shop's storefront URL (empty when not set)",
  'links.loyalty_page': "The customer's own loyalty page",
  'links.shop': 'The storefront (empty when not set)',
  'links.unsubscribe': 'The one-click unsubscribe link (marketing email; the footer has it anyway)',
  'links.feedback': 'The feedback page for the order (feedback_request)',
  'bonus.points': 'The bonus points given, formatted with their unit (welcome, birthday)',
  'tier.shortfall': 'What is still needed to keep the tier, formatted (tier_down_warning)',
  'tier.downgrade_on': 'The day the tier falls (tier_down_warning)',
  'points.expiring': 'The points about to expire, with their unit (points_expiring)',
  'points.expires_on': 'The day they expire (points_expiring)',
  'points.returned': 'The points given back, with their unit (reward_failed; empty when none)',
  'order.number': 'The order the feedback is about (feedback_request)',
  'redemption.points_spent': 'The points spent, with their unit (redemption_receipt)',
  'milestone.points': 'The lifetime points reached, with their unit (points_milestone)',
  'reward.code': 'The code to type at checkout',
  'reward.name': "The reward's name in the email's language",
  'reward.value': 'What the code gives, in words (10% off, ₫50,000 off, free shipping)',
  'reward.expires_on': 'The last day the code is valid',
  'reward.min_order': 'The order subtotal the code needs (reward_issued; empty when none)',
} as const;

export type VariableName = keyof typeof VARIABLES;

/** The variables a message may read, and whether it is marketing (consent, unsubscribe, address). */
export interface VariableSet {
  marketing: boolean;
  names: readonly VariableName[];
}

export const BASE_VARIABLES: readonly VariableName[] = [
  'customer.first_name',
  'customer.name',
  'customer.points',
  'customer.tier',
  'shop.name',
  'shop.url',
  'links.loyalty_page',
  'links.shop',
];
const REWARD_VARIABLES: readonly VariableName[] = ['reward.code', 'reward.name', 'reward.value', 'reward.expires_on'];

const TRIGGER_EXTRAS: Readonly<Record<EmailTrigger, readonly VariableName[]>> = {
  welcome: ['bonus.points'],
  tier_up: [],
  tier_down_warning: ['tier.shortfall', 'tier.downgrade_on'],
  tier_down: [],
  birthday: ['bonus.points', ...REWARD_VARIABLES],
  win_back: REWARD_VARIABLES,
  points_expiring: ['points.expiring', 'points.expires_on'],
  feedback_request: ['links.feedback', 'order.number'],
  redemption_receipt: ['redemption.points_spent', 'reward.code'],
  points_milestone: ['milestone.points'],
  reward_issued: [...REWARD_VARIABLES, 'reward.min_order'],
  reward_failed: ['reward.code', 'reward.name', 'points.returned'],
  flow: REWARD_VARIABLES,
};

/** A built-in trigger's variables: the base set, the unsubscribe link if marketing, the trigger's facts. */
export function triggerVariables(trigger: EmailTrigger): VariableSet {
  const marketing = EMAIL_CLASS[trigger] !== 'transactional';
  return { marketing, names: [...BASE_VARIABLES, ...(marketing ? (['links.unsubscribe'] as const) : []), ...TRIGGER_EXTRAS[trigger]] };
}

/** A campaign's message: marketing, the base set and the reward it may give. */
export const CAMPAIGN_VARIABLES: VariableSet = { marketing: true, names: [...BASE_VARIABLES, 'links.unsubscribe', ...REWARD_VARIABLES] };
/** A segment flow's message: the same as a campaign's. */
export const FLOW_VARIABLES: VariableSet = CAMPAIGN_VARIABLES;

/** `{ customer: { first_name: 'Lan', points: '1.250' }, links: { … } }`; a missing value renders empty. */
export type MessageValues = Readonly<Record<string, Readonly<Record<string, string | undefined>> | undefined>>;

// ——— The engine ———

const TAGS = ['if', 'unless', 'case', 'assign', 'capture', 'comment'];
const FILTERS = [
  'default',
  'upcase',
  'downcase',
  'capitalize',
  'append',
  'prepend',
  'strip',
  'lstrip',
  'rstrip',
  'truncate',
  'truncatewords',
  'replace',
  'replace_first',
  'remove',
  'remove_first',
  'plus',
  'minus',
  'times',
  'round',
  'at_least',
  'at_most',
];
/** Documented with the variables: what a shop can write besides `{{ variable }}`. */
export const LIQUID_TAGS: readonly string[] = TAGS;
export const LIQUID_FILTERS: readonly string[] = FILTERS;

function engine(html: boolean): Liquid {
  const liquid = new Liquid({
    // Body output is HTML-escaped; a subject is text (mime.ts makes it one header line).
    ...(html ? { outputEscape: 'escape' as const } : {}),
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    // No file system: an include that slipped through would find nothing.
    templates: {},
    parseLimit: MAX_BODY_CHARS * 2,
    renderLimit: 200,
    memoryLimit: 1_000_000,
  });
  for (const tag of Object.keys(liquid.tags)) if (!TAGS.includes(tag)) delete liquid.tags[tag];
  for (const filter of Object.keys(liquid.filters)) if (!FILTERS.includes(filter)) delete liquid.filters[filter];
  return liquid;
}

const bodyEngine = engine(true);
const textEngine = engine(false);

/** Parsed templates by source; bounded (a container renders few distinct messages). */
const parsed = new Map<string, Template[]>();
function parseWith(liquid: Liquid, source: string): Template[] {
  const key = `${liquid === bodyEngine ? 'b' : 's'}:${source}`;
  let templates = parsed.get(key);
  if (!templates) {
    if (parsed.size >= 200) parsed.clear();
    templates = liquid.parse(source);
    parsed.set(key, templates);
  }
  return templates;
}

// ——— Validation ———

export interface MessageProblem {
  /** Inside the message: `subject.en`, `body.vi`. */
  field: string;
  message: string;
}

/** `{{ customer.first_name }}` for a message. */
const shown = (segments: readonly unknown[]): string =>
  `{{ ${segments.map((s) => (Array.isArray(s) ? `[${shown(s)}]` : String(s))).join('.')} }}`;

/** Every problem of a parsed message (ShopMessageSchema), first the Liquid, then the variables, then the HTML. */
export function validateShopMessage(message: ShopMessage, variables: VariableSet): MessageProblem[] {
  const problems: MessageProblem[] = [];
  const allowed = new Set<string>(variables.names);
  for (const part of ['subject', 'body'] as const) {
    for (const language of EMAIL_LANGUAGES) {
      const source = message[part][language];
      if (source === undefined) continue;
      const field = `${part}.${language}`;
      const liquid = part === 'body' ? bodyEngine : textEngine;
      let templates: Template[];
      try {
        templates = parseWith(liquid, source);
      } catch (error) {
        problems.push({ field, message: `Liquid: ${(error as Error).message}` });
        continue;
      }
      const seen = new Set<string>();
      for (const segments of liquid.globalVariableSegmentsSync(templates)) {
        const name = segments.join('.');
        if (seen.has(name)) continue;
        seen.add(name);
        if (segments.some((segment) => typeof segment !== 'string')) {
          problems.push({ field, message: `a variable name cannot be computed: ${shown(segments)}` });
        } else if (!allowed.has(name)) {
          problems.push({ field, message: `unknown variable {{ ${name} }}` });
        }
      }
      if (part === 'body') {
        for (const problem of htmlProblems(source, { template: true })) {
          problems.push({ field, message: `${problem.message} (line ${problem.line})` });
        }
      }
    }
  }
  return problems;
}

/** What the brand must hold before this message can be saved (a marketing one needs the postal address). */
export function brandProblems(brand: Brand | undefined, variables: VariableSet): MessageProblem[] {
  return variables.marketing && !brand?.address
    ? [
        {
          field: 'brand.address',
          message: "a marketing email needs the shop's postal address in its footer: set brand.address (PATCH /v1/shop) first",
        },
      ]
    : [];
}

// ——— Rendering ———

/** The message cannot be sent as it stands (the brand lost its address, a value it needs is missing). */
export class ShopMessageNotSendableError extends Error {
  override name = 'ShopMessageNotSendableError';
  constructor(
    readonly reason: 'no_postal_address' | 'no_unsubscribe_link' | 'unsafe_html' | 'template_error' | 'empty_subject',
    message: string,
  ) {
    super(message);
  }
}

export interface RenderedShopMessage {
  subject: string;
  html: string;
  text: string;
  /** The language written: the one asked for if the message has it, else the first it has. */
  language: EmailLanguage;
}

const httpUrl = (value: string | undefined) => (value && /^https?:\/\//i.test(value) ? value : undefined);

/**
 * One message in one language, in the shop's brand layout. The footer is the layout's, whatever
 * the body says: the shop's name and postal address, the loyalty page, and for marketing the
 * unsubscribe link (the List-Unsubscribe header is mime.ts's, from the same URL).
 */
export function renderShopMessage(
  message: ShopMessage,
  language: EmailLanguage,
  values: MessageValues,
  brand: Brand | undefined,
  variables: VariableSet,
): RenderedShopMessage {
  const written = messageLanguages(message);
  const lang = written.includes(language) ? language : written[0];
  if (!lang) throw new ShopMessageNotSendableError('template_error', 'the message has no language');
  const unsubscribe = httpUrl(values.links?.unsubscribe);
  if (variables.marketing) {
    if (!brand?.address) throw new ShopMessageNotSendableError('no_postal_address', 'a marketing email needs the shop postal address');
    if (!unsubscribe) throw new ShopMessageNotSendableError('no_unsubscribe_link', 'a marketing email needs its unsubscribe link');
  }
  // Only the variables of the set reach the template, whatever the caller passed.
  const scope: Record<string, Record<string, string>> = {};
  for (const name of variables.names) {
    const [group = '', key = ''] = name.split('.');
    const value = values[group]?.[key];
    if (value !== undefined) scope[group] = { ...scope[group], [key]: value };
  }
  let subject: string;
  let body: string;
  try {
    subject = oneLine(String(textEngine.renderSync(parseWith(textEngine, message.subject[lang] ?? ''), scope)));
    body = String(bodyEngine.renderSync(parseWith(bodyEngine, message.body[lang] ?? ''), scope));
  } catch (error) {
    throw new ShopMessageNotSendableError('template_error', `the template failed: ${(error as Error).message}`);
  }
  if (subject === '') throw new ShopMessageNotSendableError('empty_subject', 'the subject renders empty');
  const unsafe = htmlProblems(body, { template: false })[0];
  if (unsafe) throw new ShopMessageNotSendableError('unsafe_html', `the rendered body is not safe: ${unsafe.message}`);

  const phrases = PHRASES[lang];
  const shopName = values.shop?.name?.trim() || '';
  const footer = {
    note: brand?.footer?.[lang] ?? (variables.marketing ? phrases.footer.marketing(shopName) : phrases.footer.transactional(shopName)),
    address: brand?.address,
    loyalty: httpUrl(values.links?.loyalty_page),
    unsubscribe: variables.marketing ? unsubscribe : undefined,
  };
  const html = layout({ lang, subject, body, brand, shopName, shopUrl: httpUrl(values.shop?.url), footer, phrases });
  const text = [
    shopName,
    htmlToText(body),
    [
      '--',
      footer.note,
      footer.address,
      footer.loyalty ? `${phrases.footer.loyalty}: ${footer.loyalty}` : undefined,
      footer.unsubscribe ? `${phrases.footer.unsubscribe}: ${footer.unsubscribe}` : undefined,
    ]
      .filter(Boolean)
      .join('\n'),
  ]
    .filter(Boolean)
    .join('\n\n');
  return { subject, html, text: `${text}\n`, language: lang };
}

const FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

interface LayoutInput {
  lang: EmailLanguage;
  subject: string;
  body: string;
  brand: Brand | undefined;
  shopName: string;
  shopUrl: string | undefined;
  footer: { note: string; address: string | undefined; loyalty: string | undefined; unsubscribe: string | undefined };
  phrases: (typeof PHRASES)[EmailLanguage];
}

/**
 * The brand layout: a 600px card on the brand's background, the logo (or the shop's name) on top,
 * the shop's body, and the footer. Tables and inline styles, as email clients need; every value
 * placed here is escaped, and the body is the shop's checked markup.
 */
function layout({ lang, subject, body, brand, shopName, shopUrl, footer, phrases }: LayoutInput): string {
  const primary = brand?.primaryColor ?? '#0f766e';
  const background = brand?.backgroundColor ?? '#f4f1ec';
  const mark = brand?.logoUrl
    ? `<img src="${escapeHtml(brand.logoUrl)}" alt="${escapeHtml(shopName)}" height="48" style="display:block;max-height:48px;border:0">`
    : `<span style="font-size:20px;font-weight:700;color:${primary}">${escapeHtml(shopName)}</span>`;
  const header = shopUrl ? `<a href="${escapeHtml(shopUrl)}" style="text-decoration:none;color:${primary}">${mark}</a>` : mark;
  const lines = [
    escapeHtml(footer.note),
    ...(footer.address ? [footer.address.split('\n').map(escapeHtml).join('<br>')] : []),
    ...(footer.loyalty
      ? [`<a href="${escapeHtml(footer.loyalty)}" style="color:${primary};font-weight:600">${escapeHtml(phrases.footer.loyalty)}</a>`]
      : []),
    ...(footer.unsubscribe
      ? [
          `<a href="${escapeHtml(footer.unsubscribe)}" style="color:#6b7280;text-decoration:underline">${escapeHtml(phrases.footer.unsubscribe)}</a>`,
        ]
      : []),
  ];
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(subject)}</title>
<style>a { color: ${primary}; } p { margin: 0 0 14px; }</style>
</head>
<body style="margin:0;padding:0;background-color:${background}">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:${background}">
<tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:#ffffff;border-radius:14px">
<tr><td align="center" style="padding:28px 40px 12px;font-family:${FONT}">${header}</td></tr>
<tr><td style="padding:12px 40px 32px;font-family:${FONT};font-size:16px;line-height:1.6;color:#1f2937">
${body}
</td></tr>
</table>
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px">
<tr><td align="center" style="padding:20px 40px 36px;font-family:${FONT};font-size:13px;line-height:1.5;color:#6b7280">${lines.join('<br>')}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
}
