import type { Language } from './i18n/index.ts';

/**
 * A message the shop writes, as the console's editor (components/message-editor.tsx) holds it and
 * the API takes it (ShopMessageSchema), and how a 400 about it is read: no DOM here, so the unit
 * tests read it too.
 */

export const MESSAGE_LANGUAGES: readonly Language[] = ['vi', 'en'];

/**
 * The variables a campaign's or a segment flow's message may use, in the order the editor shows them
 * (shared/email/shop-template.ts CAMPAIGN_VARIABLES, which FLOW_VARIABLES is).
 */
export const SHOP_MESSAGE_VARIABLES = [
  'customer.first_name',
  'customer.name',
  'customer.points',
  'customer.tier',
  'shop.name',
  'shop.url',
  'links.loyalty_page',
  'links.shop',
  'links.unsubscribe',
  'reward.code',
  'reward.name',
  'reward.value',
  'reward.expires_on',
] as const;

/** A message as the API takes it (ShopMessageSchema): one language at least, each with subject and body. */
export interface EditorMessage {
  subject: Partial<Record<Language, string>>;
  body: Partial<Record<Language, string>>;
}

/** The refusals of a 400 by field: `{ 'body.vi': '…', 'brand.address': '…' }`, the prefix taken off the message's own. */
export function messageFieldErrors(error: unknown, fieldPrefix: string): Record<string, string> {
  // An ApiError (api.ts), read by its shape: that module needs the DOM, this one does not.
  const refusal = error as
    | { status?: number; field?: string; message?: string; fields?: ReadonlyArray<{ field: string; message: string }> }
    | null
    | undefined;
  if (refusal?.status !== 400) return {};
  const fields = refusal.fields ?? (refusal.field ? [{ field: refusal.field, message: refusal.message ?? '' }] : []);
  const errors: Record<string, string> = {};
  for (const { field, message } of fields) {
    const name = field.startsWith(`${fieldPrefix}.`) ? field.slice(fieldPrefix.length + 1) : field;
    const text = message.replace(`${field}: `, '');
    errors[name] = errors[name] ? `${errors[name]}; ${text}` : text;
  }
  return errors;
}

/** True when a language has neither subject nor body. */
export const blank = (message: EditorMessage, language: Language) => !message.subject[language]?.trim() && !message.body[language]?.trim();

/** The message as the API wants it: languages left blank are left out. */
export function messageForApi(message: EditorMessage): EditorMessage {
  const out: EditorMessage = { subject: {}, body: {} };
  for (const language of MESSAGE_LANGUAGES) {
    if (blank(message, language)) continue;
    out.subject[language] = message.subject[language] ?? '';
    out.body[language] = message.body[language] ?? '';
  }
  return out;
}
