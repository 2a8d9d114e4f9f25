import { messageValuesOf } from './message-values.ts';
import { type EmailContext, type RenderedEmail, renderEmail } from './render.ts';
import {
  type Brand,
  messageLanguages,
  renderShopMessage,
  type ShopMessage,
  ShopMessageNotSendableError,
  triggerVariables,
} from './shop-template.ts';

/**
 * A built-in trigger's email as the customer gets it: the shop's own copy when it wrote one in the
 * customer's language, else the built-in copy (the default, in every language).
 *
 * The built-in copy is rendered first in every case: it is what checks the trigger's facts, so an
 * email the built-in copy could not make (a birthday that gives nothing, a marketing email without
 * its unsubscribe link) is not sent in the shop's words either. When the shop's copy cannot be sent
 * as it stands — its brand lost the postal address a marketing email needs, or it fails to render —
 * the built-in copy goes instead, and `fallback` says why (the email stage logs it).
 */

export interface TriggerEmail extends RenderedEmail {
  copy: 'shop' | 'builtin';
  fallback?: ShopMessageNotSendableError['reason'];
}

export function renderTriggerEmail(ctx: EmailContext, shopCopy: ShopMessage | undefined, brand: Brand | undefined): TriggerEmail {
  const builtin = renderEmail(ctx);
  if (!shopCopy) return { ...builtin, copy: 'builtin' };
  const { language, values } = messageValuesOf(ctx);
  if (!messageLanguages(shopCopy).includes(language)) return { ...builtin, copy: 'builtin' };
  try {
    const shop = renderShopMessage(shopCopy, language, values, brand, triggerVariables(ctx.trigger));
    return { subject: shop.subject, html: shop.html, text: shop.text, locale: shop.language, copy: 'shop' };
  } catch (error) {
    if (error instanceof ShopMessageNotSendableError) return { ...builtin, copy: 'builtin', fallback: error.reason };
    throw error;
  }
}
