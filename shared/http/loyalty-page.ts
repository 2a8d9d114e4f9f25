import { escapeHtml } from '#shared/email/render.ts';
import { PAGE_HEADERS } from '#shared/http/html-page.ts';
import type { HttpResult } from '#shared/http/http-handler.ts';
import type { StorefrontLanguage } from '#shared/http/storefront-contract.ts';
import { STOREFRONT_COPY } from '#shared/loyalty/storefront-copy.ts';

/**
 * The hosted loyalty page (`GET /l/{shopId}?t=…`), where every email's loyalty link lands: the shop's
 * name, a line when the link no longer holds, and the storefront widget in page mode, which does the
 * rest through the storefront API with the link's token (`X-Rapport-Link`). Unlike the other public
 * pages (html-page.ts) it runs one script, the widget's, from one URL the policy names exactly.
 */

export interface LoyaltyPageModel {
  shopId: string;
  shopName: string;
  language: StorefrontLanguage;
  /** The token, when it holds: the widget sends it; absent, the widget shows the program only. */
  link?: string;
  /** Why the token in the URL was not used. */
  notice?: 'expired' | 'invalid';
}

export interface LoyaltyPageSettings {
  /** The API's public base URL: the widget's `api` and the page's only connect-src. */
  publicUrl: string;
  /** Where the widget script is served (RAPPORT_WIDGET_URL, else `${publicUrl}/widget/rapport-loyalty.js`). */
  widgetUrl: string;
}

const STYLE = [
  'body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f6f6f4;color:#1d1d1b;line-height:1.5}',
  'main{max-width:44rem;margin:0 auto;padding:2rem 1rem 4rem}',
  'h1{font-size:1.5rem;margin:0 0 1rem}',
  '.notice{background:#fff4e0;border:1px solid #f0c36d;border-radius:.5rem;padding:.75rem 1rem;margin:0 0 1.5rem}',
].join('');

/** A CSP source for a URL: its origin and path (CSP matches no query), with `'`/`;`/`,`/spaces impossible in a parsed URL's href. */
const sourceOf = (url: URL) => `${url.origin}${url.pathname}`;

/**
 * What the page may do: run the widget's script and nothing else; call the storefront API only;
 * styles inline, because the widget puts its stylesheet in its shadow root as a style element (and
 * Preact may set style attributes): the page shows no content of anyone but the shop's escaped name,
 * so inline styles open nothing a script could not; never framed, no base, no forms.
 */
export function loyaltyPagePolicy(settings: LoyaltyPageSettings): string {
  const api = new URL(settings.publicUrl);
  const apiBase = `${api.origin}${api.pathname.replace(/\/+$/, '')}`;
  return [
    "default-src 'none'",
    `script-src ${sourceOf(new URL(settings.widgetUrl))}`,
    // No hash beside it: a hash or nonce in style-src turns 'unsafe-inline' off.
    "style-src 'unsafe-inline'",
    `connect-src ${apiBase}/v1/storefront/`,
    'img-src https: data:',
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function loyaltyPage(model: LoyaltyPageModel, settings: LoyaltyPageSettings): HttpResult {
  const copy = STOREFRONT_COPY[model.language].page;
  const attribute = (name: string, value: string | undefined) => (value === undefined ? '' : ` ${name}="${escapeHtml(value)}"`);
  const notice = model.notice ? `<p class="notice" role="status">${escapeHtml(copy[model.notice])}</p>` : '';
  const body = [
    '<!doctype html>',
    `<html lang="${model.language}"><head><meta charset="utf-8">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(copy.title(model.shopName))}</title><style>${STYLE}</style></head>`,
    `<body><main><h1>${escapeHtml(copy.heading(model.shopName))}</h1>${notice}`,
    `<rapport-loyalty mode="page"${attribute('shop', model.shopId)}${attribute('link', model.link)}${attribute('api', settings.publicUrl.replace(/\/+$/, ''))}${attribute('lang', model.language)}></rapport-loyalty>`,
    `<noscript><p>${escapeHtml(copy.noScript)}</p></noscript>`,
    `</main><script src="${escapeHtml(settings.widgetUrl)}" defer></script></body></html>`,
  ].join('\n');
  return {
    statusCode: 200,
    headers: { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': loyaltyPagePolicy(settings) },
    body,
  };
}
