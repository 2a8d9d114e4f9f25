import { countCampaign } from '#shared/data/campaign-repo.ts';
import { applyProfileChangeIfNewer, loadProfile, putTimelineEntry } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import type { Profile } from '#shared/data/profile-item.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { CampaignIdSchema } from '#shared/domain/campaign.ts';
import { ConflictError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { unsubscribeKey } from '#shared/email/keys.ts';
import { type EmailLanguage, resolveLocale } from '#shared/email/locales.ts';
import { escapeHtml } from '#shared/email/render.ts';
import { type UnsubscribePayload, verifyUnsubscribeToken } from '#shared/email/unsubscribe.ts';
import { pagePolicy } from '#shared/http/html-page.ts';

/**
 * One-click unsubscribe (DESIGN §3 `GET|POST /unsubscribe?token=…`, RFC 8058). The link in every
 * email, and its List-Unsubscribe header, carry a token naming one customer of one shop.
 *
 * - GET shows a confirmation page and changes nothing: link scanners and mail previews follow
 *   every GET, and must not unsubscribe anyone.
 * - POST unsubscribes at once: a mail client's one-click (body `List-Unsubscribe=One-Click`) or the
 *   page's button. Consent is a last-writer-wins contact field (`consentEmail`, stamp
 *   `t_consentEmail`), so a shop's customer update stamped before the click cannot subscribe the
 *   customer again, and one stamped after it (they opted in again at the shop) can.
 * - Repeating either is harmless.
 */

export interface UnsubscribeDeps {
  db: Db;
  masterKey: () => Promise<string>;
  loadShop: (shopId: string) => Promise<ShopRecord | undefined>;
  now: () => Date;
}

/** How the customer unsubscribed: their mail client's button (RFC 8058) or our page's. */
export type UnsubscribeVia = 'one-click' | 'page';

export interface UnsubscribePage {
  shopId: string;
  customerId: string;
  language: EmailLanguage;
  /** A complete, self-contained HTML document (see PAGE_CONTENT_SECURITY_POLICY). */
  html: string;
}

/** GET: the confirmation page, in the customer's language, with a button that POSTs the token back. */
export async function unsubscribePage(token: string | undefined, deps: UnsubscribeDeps): Promise<UnsubscribePage> {
  const { payload, shop, profile } = await recipientOf(token, deps);
  const { language } = resolveLocale(profile.contact.locale, shop.locale);
  const copy = COPY[language];
  const html = pageOf(language, copy.confirmTitle(shop.name), [copy.confirmText(shop.name)], token as string);
  return { shopId: payload.shopId, customerId: payload.customerId, language, html };
}

/** POST: withdraw email consent now. `changed` is false when the customer had unsubscribed already. */
export async function unsubscribe(
  token: string | undefined,
  via: UnsubscribeVia,
  deps: UnsubscribeDeps,
  /** The campaign whose email the link was in (`?campaign=`): its results count the unsubscribe. */
  campaignId?: string,
): Promise<UnsubscribePage & { changed: boolean }> {
  const { payload, shop, profile } = await recipientOf(token, deps);
  const { shopId, customerId } = payload;
  const now = deps.now();
  const changed = profile.contact.consentEmail !== 'unsubscribed';
  await withdrawConsent(deps.db, shopId, customerId, profile, now);
  // Once per withdrawal: a repeat of the same link while unsubscribed adds nothing to the timeline.
  if (changed) {
    await putTimelineEntry(deps.db, shopId, customerId, {
      at: now.toISOString(),
      entryId: `unsubscribe:${payload.issuedAt}`,
      type: 'email',
      channel: 'email',
      source: 'customer',
      status: 'unsubscribed',
      via,
    });
    // Once, as the timeline entry: only the click that changed consent counts. The id is not signed,
    // but only names which of the shop's campaigns gets the count of a real withdrawal.
    if (campaignId && CampaignIdSchema.safeParse(campaignId).success) await countCampaign(deps.db, shopId, campaignId, 'unsubscribed');
  }
  const { language } = resolveLocale(profile.contact.locale, shop.locale);
  const copy = COPY[language];
  const html = pageOf(language, copy.doneTitle, [copy.doneText(shop.name), copy.resubscribe(shop.name)]);
  return { shopId, customerId, language, html, changed };
}

/**
 * The fields of a one-click or page POST body: `token` and RFC 8058's `List-Unsubscribe=One-Click`,
 * form-urlencoded or multipart/form-data (RFC 8058 allows both). Never throws: the body comes from
 * anyone.
 */
export function readUnsubscribeForm(body: string, contentType: string | undefined): { token?: string; oneClick: boolean } {
  const fields = new Map<string, string>();
  const boundary = /multipart\/form-data.*;\s*boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
  if (boundary) {
    for (const part of body.split(`--${boundary}`)) {
      const name = /content-disposition:\s*form-data;\s*name="([^"]*)"/i.exec(part)?.[1];
      const value = /\r?\n\r?\n([\s\S]*?)\r?\n$/.exec(part)?.[1];
      if (name !== undefined && value !== undefined && !fields.has(name)) fields.set(name, value.trim());
    }
  } else {
    for (const [name, value] of new URLSearchParams(body)) if (!fields.has(name)) fields.set(name, value.trim());
  }
  const token = fields.get('token');
  return { ...(token ? { token } : {}), oneClick: fields.get('List-Unsubscribe') === 'One-Click' };
}

/* ---------- the customer a token names ---------- */

async function recipientOf(token: string | undefined, deps: UnsubscribeDeps) {
  if (!token) throw new ValidationError('token', 'token: the unsubscribe link has no token');
  const verified = verifyUnsubscribeToken(token, unsubscribeKey(await deps.masterKey()));
  if (!verified.ok) throw new ValidationError('token', 'token: not a valid unsubscribe link');
  const payload: UnsubscribePayload = verified.payload;
  const shop = await deps.loadShop(payload.shopId);
  if (!shop) throw new NotFoundError('this unsubscribe link is for a shop that no longer exists');
  const profile = await loadProfile(deps.db, payload.shopId, payload.customerId);
  if (!profile) throw new NotFoundError('this unsubscribe link is for a customer that no longer exists');
  return { payload, shop, profile };
}

/** Concurrent processor writes move the profile version; a few re-reads always get through. */
const MAX_ATTEMPTS = 5;

async function withdrawConsent(db: Db, shopId: string, customerId: string, read: Profile, now: Date): Promise<void> {
  let profile: Profile | undefined = read;
  for (let attempt = 0; attempt < MAX_ATTEMPTS && profile; attempt++) {
    // The click is the newest word on consent: a stored stamp later than now is a shop's clock skew,
    // not a later decision, so the withdrawal is stamped just after it.
    const stored = profile.stamped.stamps.consentEmail;
    const at = Math.max(now.getTime(), stored === undefined ? 0 : stored + 1);
    const written = await applyProfileChangeIfNewer(
      db,
      shopId,
      customerId,
      {
        stamped: { values: { consentEmail: 'unsubscribed' }, fields: ['consentEmail'], at },
        version: profile.version,
      },
      now.toISOString(),
    );
    if (written) return;
    profile = await loadProfile(db, shopId, customerId, true);
  }
  if (!profile) throw new NotFoundError('this unsubscribe link is for a customer that no longer exists');
  throw new ConflictError('the customer record is busy; please try again');
}

/* ---------- the pages ---------- */

interface PageCopy {
  confirmTitle: (shop: string) => string;
  confirmText: (shop: string) => string;
  button: string;
  doneTitle: string;
  doneText: (shop: string) => string;
  resubscribe: (shop: string) => string;
}

/** What the customer reads (DESIGN §6: Vietnamese and English); redemption receipts are transactional and still sent. */
const COPY: Readonly<Record<EmailLanguage, PageCopy>> = {
  en: {
    confirmTitle: (shop) => `Unsubscribe from ${shop} emails?`,
    confirmText: (shop) =>
      `You will stop receiving emails from the ${shop} rewards program. Receipts for points you redeem will still be sent.`,
    button: 'Unsubscribe',
    doneTitle: 'You are unsubscribed',
    doneText: (shop) => `You will no longer receive emails from the ${shop} rewards program. Your points and tier stay as they are.`,
    resubscribe: (shop) => `Changed your mind? You can subscribe again in your ${shop} account.`,
  },
  vi: {
    confirmTitle: (shop) => `Hủy đăng ký nhận email từ ${shop}?`,
    confirmText: (shop) =>
      `Bạn sẽ không còn nhận email từ chương trình thành viên của ${shop}. Biên nhận khi bạn đổi điểm vẫn sẽ được gửi đến bạn.`,
    button: 'Hủy đăng ký',
    doneTitle: 'Bạn đã hủy đăng ký thành công',
    doneText: (shop) =>
      `Bạn sẽ không còn nhận email từ chương trình thành viên của ${shop}. Điểm và hạng thành viên của bạn vẫn được giữ nguyên.`,
    resubscribe: (shop) => `Nếu đổi ý, bạn có thể đăng ký nhận email trở lại trong tài khoản của bạn tại ${shop}.`,
  },
};

const STYLE = [
  'body{margin:0;background:#f4f4f5;color:#18181b;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
  'main{max-width:30rem;margin:10vh auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08)}',
  'h1{font-size:1.4rem;line-height:1.3;margin:0 0 1rem}',
  'p{margin:0 0 1rem;color:#3f3f46}',
  'main>:last-child{margin-bottom:0}',
  'button{font:inherit;font-weight:600;color:#fff;background:#18181b;border:0;border-radius:8px;padding:.75rem 1.5rem;cursor:pointer}',
  'button:focus-visible{outline:3px solid #a1a1aa;outline-offset:2px}',
].join('');

/**
 * For the response's Content-Security-Policy header: the page loads nothing, runs no script, may
 * only post its form back to us, and cannot be framed (no clickjacking of the button).
 */
export const PAGE_CONTENT_SECURITY_POLICY = pagePolicy(STYLE);

/** A form without `action` posts back to the page's own URL, token in the query; the hidden field is for clients that drop it. */
function pageOf(language: EmailLanguage, title: string, paragraphs: string[], token?: string): string {
  const form =
    token === undefined
      ? ''
      : `<form method="post"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">${escapeHtml(COPY[language].button)}</button></form>`;
  return [
    '<!doctype html>',
    `<html lang="${language}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">',
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>`,
    `<body><main><h1>${escapeHtml(title)}</h1>${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}${form}</main></body>`,
    '</html>',
  ].join('\n');
}
