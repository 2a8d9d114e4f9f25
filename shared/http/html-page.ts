import { createHash } from 'node:crypto';
import type { HttpResult } from '#shared/http/http-handler.ts';

/**
 * The public pages behind email links (unsubscribe, feedback): self-contained HTML, one inline
 * style pinned by its hash, no script, a form that may only post back to us, never framed.
 */
export function pagePolicy(style: string): string {
  return [
    "default-src 'none'",
    `style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** Never cached, never leaking the link's token in a Referer, never sniffed into something else. */
export const PAGE_HEADERS = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' } as const;

export const htmlPage = (body: string, policy: string): HttpResult => ({
  statusCode: 200,
  headers: { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': policy },
  body,
});
