import { escapeHtml } from '#shared/email/render.ts';
import { htmlPage, PAGE_HEADERS, pagePolicy } from '#shared/http/html-page.ts';
import type { HttpResult } from '#shared/http/http-handler.ts';
import { STOREFRONT_COPY } from '#shared/loyalty/storefront-copy.ts';
import type { ReferralLanding } from '#shared/use-cases/referrals.ts';

/**
 * A referral link's answer: a redirect to the shop carrying the code, or — for a shop that gave no
 * URL — a page showing the code to type at checkout. Never cached: a code could change hands on a
 * shop's erasure.
 */
const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1f2937;text-align:center}' +
  'code{display:inline-block;font-size:1.75rem;letter-spacing:.15em;padding:.5rem 1rem;border:2px dashed #9ca3af;border-radius:.5rem;margin:1rem 0}';

export function referralLanding(landing: ReferralLanding): HttpResult {
  if (landing.target)
    return {
      statusCode: 302,
      headers: { ...PAGE_HEADERS, location: landing.target, 'content-type': 'text/plain; charset=utf-8' },
      body: '',
    };
  const body =
    `<!doctype html><html lang="${landing.language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(landing.shopName)}</title><style>${STYLE}</style></head><body>` +
    `<h1>${escapeHtml(landing.shopName)}</h1><p>${escapeHtml(STOREFRONT_COPY[landing.language].referralLanding)}</p>` +
    `<code>${escapeHtml(landing.code)}</code></body></html>`;
  return htmlPage(body, pagePolicy(STYLE));
}
