import { createHash } from 'node:crypto';
import * as z from 'zod';
import { loadProfile } from '#shared/data/customer-repo.ts';
import type { Db } from '#shared/data/db.ts';
import type { ShopRecord } from '#shared/data/shop-repo.ts';
import { NotFoundError, PayloadTooLargeError, ValidationError } from '#shared/domain/errors.ts';
import { type CanonicalEvent, CanonicalEventSchema } from '#shared/domain/event.ts';
import { type FeedbackPayload, verifyFeedbackToken } from '#shared/email/feedback-link.ts';
import { feedbackKey } from '#shared/email/keys.ts';
import { type EmailLanguage, resolveLocale } from '#shared/email/locales.ts';
import { escapeHtml } from '#shared/email/render.ts';
import { pagePolicy } from '#shared/http/html-page.ts';
import { parseJson, parseOrThrow } from '#shared/http/validate.ts';

/**
 * The answer to a post-purchase feedback request (DESIGN §3 `GET|POST /feedback?token=…`, §6). The
 * email links here with a token naming one order of one customer (shared/email/feedback-link.ts).
 *
 * - GET shows the question (NPS 0–10 and an optional comment) in the customer's language and records
 *   nothing: link scanners and mail previews follow every GET. A `score` in the query (the email may
 *   link each number) is only pre-selected.
 * - POST turns the answer into one canonical `feedback.submitted` event on the interactions queue, so
 *   it reaches the timeline and the profile the way every other interaction does. Its eventId is a
 *   hash of the token: one link, one eventId, however often the form is sent.
 * - The answer is the program's `survey` activity: the event carries it, and the processor awards it
 *   under the eventId, so once per link however often the form is sent or the event redelivered
 *   (a program without an active `survey` records why nothing was earned on the timeline).
 */

export interface FeedbackDeps {
  db: Db;
  masterKey: () => Promise<string>;
  loadShop: (shopId: string) => Promise<ShopRecord | undefined>;
  enqueue: (events: CanonicalEvent[]) => Promise<void>;
  now: () => Date;
}

export interface FeedbackPage {
  shopId: string;
  customerId: string;
  language: EmailLanguage;
  /** A complete, self-contained HTML document (see FEEDBACK_PAGE_CONTENT_SECURITY_POLICY). */
  html: string;
}

const SCORE_MESSAGE = 'a whole number from 0 to 10';

/** Form fields arrive as text; a JSON body may send a number. Blank is missing, not zero. */
const ScoreSchema = z.preprocess(
  (value) => (typeof value === 'string' && /^\s*\d{1,2}\s*$/.test(value) ? Number(value) : value),
  z.int({ error: SCORE_MESSAGE }).min(0, { error: SCORE_MESSAGE }).max(10, { error: SCORE_MESSAGE }),
);

export const FeedbackAnswerSchema = z.object({
  score: ScoreSchema,
  comment: z.preprocess(
    // Browsers send a textarea's line breaks as CRLF: count them as the customer typed them.
    (value) => (typeof value === 'string' ? value.replace(/\r\n?/g, '\n').trim() || undefined : (value ?? undefined)),
    z.string({ error: 'text' }).max(2000, { error: 'at most 2000 characters' }).optional(),
  ),
});

export type FeedbackAnswer = z.infer<typeof FeedbackAnswerSchema>;

/** One link, one answer: the token itself (not its issue time or the answer) decides the id. */
export const feedbackEventId = (token: string) => `feedback:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;

/** GET: the question, with `preselect` chosen when it is a valid score (an invalid one is ignored: the page still works). */
export async function feedbackPage(token: string | undefined, preselect: string | undefined, deps: FeedbackDeps): Promise<FeedbackPage> {
  const link = await verified(token, deps);
  const { payload } = link;
  const { shop, language } = await recipientOf(payload, deps);
  const score = ScoreSchema.safeParse(preselect);
  const html = questionPage(language, shop.name, link.token, score.success ? score.data : undefined);
  return { shopId: payload.shopId, customerId: payload.customerId, language, html };
}

/** POST: the answer as one `feedback.submitted` event on the queue, and a thank-you page. */
export async function submitFeedback(
  token: string | undefined,
  body: unknown,
  deps: FeedbackDeps,
): Promise<FeedbackPage & { event: CanonicalEvent }> {
  const link = await verified(token, deps);
  const { payload } = link;
  const answer = parseOrThrow(FeedbackAnswerSchema, body);
  const { shop, language } = await recipientOf(payload, deps);
  const event = CanonicalEventSchema.parse({
    eventId: feedbackEventId(link.token),
    shopId: payload.shopId,
    type: 'feedback.submitted',
    occurredAt: deps.now().toISOString(),
    // The schema has no `email` source and no order field on an interaction: the answer comes through
    // our own API surface, and the order it is about travels in the summary.
    source: 'api',
    customer: { customerId: payload.customerId },
    interaction: {
      channel: 'email',
      nps: answer.score,
      ...(answer.comment === undefined ? {} : { comment: answer.comment }),
      summary: `order:${payload.orderId}`,
      activity: 'survey',
      reference: `order:${payload.orderId}`,
    },
  });
  await deps.enqueue([event]);
  const copy = COPY[language];
  const html = pageOf(
    language,
    copy.thanksTitle,
    `<h1>${escapeHtml(copy.thanksTitle)}</h1><p>${escapeHtml(copy.thanksText(shop.name))}</p>`,
  );
  return { shopId: payload.shopId, customerId: payload.customerId, language, html, event };
}

/** Bodies bigger than the contract allows are refused before they are read (DESIGN §3: 413 over 256 KB). */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * The fields of a POST body: JSON (`application/json`) or, as the page sends it, form-urlencoded.
 * `token` may come in the body too, for clients that drop the query string of a form's action.
 */
export function readFeedbackForm(body: Buffer, contentType: string | undefined): { token?: string; answer: Record<string, unknown> } {
  if (body.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(`body is over ${MAX_BODY_BYTES} bytes`);
  let fields: Record<string, unknown>;
  if (/^application\/([\w.+-]+\+)?json\b/i.test(contentType ?? '')) {
    const parsed = parseJson(body);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ValidationError('body', 'body: a JSON object');
    fields = parsed as Record<string, unknown>;
  } else {
    fields = {};
    for (const [name, value] of new URLSearchParams(body.toString('utf8'))) if (!Object.hasOwn(fields, name)) fields[name] = value;
  }
  const { token, ...answer } = fields;
  return { ...(typeof token === 'string' && token ? { token } : {}), answer };
}

/* ---------- the customer a token names ---------- */

async function verified(token: string | undefined, deps: FeedbackDeps): Promise<{ token: string; payload: FeedbackPayload }> {
  if (!token) throw new ValidationError('token', 'token: the feedback link has no token');
  const result = verifyFeedbackToken(token, feedbackKey(await deps.masterKey()));
  if (!result.ok) throw new ValidationError('token', 'token: not a valid feedback link');
  return { token, payload: result.payload };
}

async function recipientOf(payload: FeedbackPayload, deps: FeedbackDeps) {
  const shop = await deps.loadShop(payload.shopId);
  if (!shop) throw new NotFoundError('this feedback link is for a shop that no longer exists');
  const profile = await loadProfile(deps.db, payload.shopId, payload.customerId);
  if (!profile) throw new NotFoundError('this feedback link is for a customer that no longer exists');
  const { language } = resolveLocale(profile.contact.locale, shop.locale);
  return { shop, language };
}

/* ---------- the pages ---------- */

interface PageCopy {
  question: (shop: string) => string;
  intro: (shop: string) => string;
  low: string;
  high: string;
  comment: string;
  optional: string;
  send: string;
  thanksTitle: string;
  thanksText: (shop: string) => string;
}

/** What the customer reads (DESIGN §6: Vietnamese and English). */
const COPY: Readonly<Record<EmailLanguage, PageCopy>> = {
  en: {
    question: (shop) => `How likely are you to recommend ${shop} to a friend?`,
    intro: (shop) => `Thank you for your order. Your answer takes a few seconds and helps ${shop} serve you better.`,
    low: 'Not at all likely',
    high: 'Extremely likely',
    comment: 'Anything you would like to tell us?',
    optional: '(optional)',
    send: 'Send',
    thanksTitle: 'Thank you for your feedback',
    thanksText: (shop) => `Your answer has reached ${shop}. We read every comment, and it helps us do better.`,
  },
  vi: {
    question: (shop) => `Bạn có sẵn lòng giới thiệu ${shop} với bạn bè không?`,
    intro: (shop) => `Cảm ơn bạn đã đặt hàng. Chỉ mất vài giây thôi, và câu trả lời của bạn sẽ giúp ${shop} phục vụ bạn tốt hơn.`,
    low: 'Chắc chắn không',
    high: 'Chắc chắn có',
    comment: 'Bạn có muốn chia sẻ thêm điều gì không?',
    optional: '(không bắt buộc)',
    send: 'Gửi đánh giá',
    thanksTitle: 'Cảm ơn bạn đã góp ý',
    thanksText: (shop) => `Câu trả lời của bạn đã được gửi đến ${shop}. Chúng tôi luôn đọc kỹ từng ý kiến để phục vụ bạn tốt hơn.`,
  },
};

const STYLE = [
  'body{margin:0;background:#f4f4f5;color:#18181b;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
  'main{max-width:34rem;margin:6vh auto;padding:1.5rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08)}',
  '@media(max-width:36rem){main{margin:0;border-radius:0;box-shadow:none;min-height:100vh;box-sizing:border-box}}',
  'h1{font-size:1.3rem;line-height:1.3;margin:0 0 .75rem}',
  'p{margin:0 0 1rem;color:#3f3f46}',
  'fieldset{border:0;margin:0 0 1.25rem;padding:0;min-width:0}',
  'legend{padding:0}',
  '.scale{display:grid;grid-template-columns:repeat(11,1fr);gap:.35rem;margin:.5rem 0}',
  '@media(max-width:30rem){.scale{grid-template-columns:repeat(6,1fr)}}',
  '.n{position:relative}',
  '.n input{position:absolute;opacity:0;inset:0;margin:0}',
  '.n span{display:flex;align-items:center;justify-content:center;min-height:2.75rem;border:1px solid #d4d4d8;border-radius:8px;font-weight:600;cursor:pointer}',
  '.n input:checked+span{background:#18181b;border-color:#18181b;color:#fff}',
  '.n input:focus-visible+span{outline:3px solid #a1a1aa;outline-offset:2px}',
  '.ends{display:flex;justify-content:space-between;gap:1rem;font-size:.85rem;color:#71717a}',
  'label[for=comment]{display:block;font-weight:600;margin:0 0 .35rem}',
  'label small{font-weight:400;color:#71717a}',
  'textarea{box-sizing:border-box;width:100%;font:inherit;padding:.6rem .75rem;border:1px solid #d4d4d8;border-radius:8px;resize:vertical}',
  'textarea:focus-visible{outline:3px solid #a1a1aa;outline-offset:1px}',
  'button{margin-top:1rem;width:100%;font:inherit;font-weight:600;color:#fff;background:#18181b;border:0;border-radius:8px;padding:.8rem 1.5rem;cursor:pointer}',
  'button:focus-visible{outline:3px solid #a1a1aa;outline-offset:2px}',
].join('');

/**
 * For the response's Content-Security-Policy header: the page loads nothing, runs no script, may
 * only post its form back to us, and cannot be framed (no clickjacking of the button).
 */
export const FEEDBACK_PAGE_CONTENT_SECURITY_POLICY = pagePolicy(STYLE);

/**
 * The form posts to `?token=…` on this same path: a pre-selected `score` in the page's own query must
 * not travel along (the body's answer is the answer); the hidden field is for clients that drop the query.
 */
function questionPage(language: EmailLanguage, shop: string, token: string, selected: number | undefined): string {
  const copy = COPY[language];
  const attribute = escapeHtml(token);
  const choices = Array.from(
    { length: 11 },
    (_, n) =>
      `<label class="n"><input type="radio" name="score" value="${n}" required${n === selected ? ' checked' : ''}><span>${n}</span></label>`,
  ).join('');
  const body = [
    `<form method="post" action="?token=${escapeHtml(encodeURIComponent(token))}">`,
    `<input type="hidden" name="token" value="${attribute}">`,
    '<fieldset aria-describedby="ends">',
    `<legend><h1>${escapeHtml(copy.question(shop))}</h1></legend>`,
    `<p>${escapeHtml(copy.intro(shop))}</p>`,
    `<div class="scale">${choices}</div>`,
    `<div class="ends" id="ends"><span>0 = ${escapeHtml(copy.low)}</span><span>10 = ${escapeHtml(copy.high)}</span></div>`,
    '</fieldset>',
    `<label for="comment">${escapeHtml(copy.comment)} <small>${escapeHtml(copy.optional)}</small></label>`,
    '<textarea id="comment" name="comment" rows="4" maxlength="2000"></textarea>',
    `<button type="submit">${escapeHtml(copy.send)}</button>`,
    '</form>',
  ].join('');
  return pageOf(language, copy.question(shop), body);
}

/** `content` is HTML already escaped, with its own heading; `title` is text. */
function pageOf(language: EmailLanguage, title: string, content: string): string {
  return [
    '<!doctype html>',
    `<html lang="${language}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">',
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>`,
    `<body><main>${content}</main></body>`,
    '</html>',
  ].join('\n');
}
