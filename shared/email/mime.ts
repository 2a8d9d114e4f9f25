import type MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import * as z from 'zod';
import { ValidationError } from '#shared/domain/errors.ts';

/**
 * The raw message for SES `SendRawEmail` (`RawMessage.Data`), composed by nodemailer's
 * MailComposer — never by hand: it does the RFC 2047 encoded words for a Vietnamese subject or
 * name, the multipart/alternative tree, quoted-printable bodies and line folding.
 *
 * Invariants:
 * - no input can add a header line: CR, LF and other control characters in a subject or a name
 *   become spaces here (and nodemailer would fold them away again), addresses must be plain
 *   addresses, and the unsubscribe targets are rebuilt from parsed URLs;
 * - every message that has an unsubscribe URL carries `List-Unsubscribe` (the HTTPS link first,
 *   then the mailto) and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), which
 *   Gmail and Yahoo require of bulk senders;
 * - `X-Rapport-Send-Id` carries the send id. SES replaces any Message-ID (and Date) we set with its
 *   own, so this header — echoed in bounce and complaint notifications' `mail.headers` — is what
 *   ties feedback back to the send. Message-ID is still derived from it, for non-SES endpoints
 *   (the local mail viewer, a capture server), so a rebuilt message is the same message.
 */

/**
 * The WHATWG HTML "valid email address": ASCII, no quotes, no comments. SES does not take
 * internationalized (SMTPUTF8) local parts anyway, and nothing here can break out of a header.
 */
const ADDRESS =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

const AddressSchema = z.string().max(254).regex(ADDRESS, 'a plain email address');

/** Control characters (CR and LF above all) collapse to one space; header text is one line. */
export const oneLine = (value: string) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();

const HeaderText = z.string().transform(oneLine);

const MailboxSchema = z.object({ name: HeaderText.optional(), address: AddressSchema });

export const MimeInputSchema = z.object({
  from: MailboxSchema,
  replyTo: AddressSchema.optional(),
  to: z.union([AddressSchema, MailboxSchema]),
  subject: HeaderText.pipe(z.string().min(1).max(998)),
  html: z.string(),
  text: z.string(),
  /** From rules.ts `sendId`: letters, digits, `_` and `-` only, so it is safe as a Message-ID local part. */
  sendId: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, 'letters, digits, _ and -'),
  /** Present on every email a customer can unsubscribe from (all of Rapport's, in practice). */
  unsubscribe: z
    .object({
      /** The one-click endpoint with its token: `https://…/unsubscribe?token=…`. */
      url: z.url({ protocol: /^https?$/ }),
      /** Where a mail client without one-click support sends its unsubscribe message. */
      mailto: z.object({ address: AddressSchema, subject: HeaderText.pipe(z.string().max(200)) }).optional(),
    })
    .optional(),
  /** Defaults to now; fixed in tests so the message is reproducible. SES sets its own on AWS. */
  date: z.date().optional(),
});

export type MimeInput = z.input<typeof MimeInputSchema>;

/** Header name of the send id, as nodemailer writes it (header names are case-insensitive). */
export const SEND_ID_HEADER = 'X-Rapport-Send-Id';

/** `<https://…>, <mailto:…?subject=…>`: each target is re-serialized, so neither `>` nor a line break survives. */
export function listUnsubscribe(unsubscribe: NonNullable<z.output<typeof MimeInputSchema>['unsubscribe']>): string {
  const targets = [new URL(unsubscribe.url).href];
  if (unsubscribe.mailto) {
    targets.push(`mailto:${unsubscribe.mailto.address}?subject=${encodeURIComponent(unsubscribe.mailto.subject)}`);
  }
  return targets.map((target) => `<${target}>`).join(', ');
}

/**
 * nodemailer is loaded on the first message built, not when the email function starts: most trigger
 * records end in a skip (no consent, the weekly cap) and never need it, and its ~130 KB of CommonJS
 * would otherwise be evaluated in every cold start. The import runs once; later calls reuse it.
 */
let mailComposer: Promise<typeof MailComposer> | undefined;
const loadMailComposer = () => {
  mailComposer ??= import('nodemailer/lib/mail-composer/index.js').then((module) => module.default);
  return mailComposer;
};

/** The domain of the sender's address, which makes the Message-ID globally unique. */
const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/**
 * The complete RFC 5322 message: multipart/alternative with text/plain first and text/html last
 * (the last part is the preferred one), every line ending in CRLF. Throws ValidationError on an
 * input that is not sendable.
 */
export async function buildMime(input: MimeInput): Promise<Buffer> {
  const parsed = MimeInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(issue?.path.join('.') ?? 'email', issue?.message ?? 'not a sendable email');
  }
  const mail = parsed.data;
  const headers: Record<string, string> = { [SEND_ID_HEADER]: mail.sendId };
  if (mail.unsubscribe) {
    headers['List-Unsubscribe'] = listUnsubscribe(mail.unsubscribe);
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  // `newline` is a MailComposer option that @types/nodemailer does not declare.
  const options: Mail.Options & { newline: 'windows' } = {
    from: { name: mail.from.name ?? '', address: mail.from.address },
    to: typeof mail.to === 'string' ? mail.to : { name: mail.to.name ?? '', address: mail.to.address },
    ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    headers,
    messageId: `<${mail.sendId}@${domainOf(mail.from.address)}>`,
    date: mail.date ?? new Date(),
    // RFC 5322 lines end in CRLF; left alone, nodemailer keeps a body's bare LFs as they are.
    newline: 'windows',
  };
  const Composer = await loadMailComposer();
  return new Composer(options).compile().build();
}
