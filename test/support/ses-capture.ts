import { createServer, type Server } from 'node:http';
import { closeServer, listen, startSes } from '#infra/local/emulators.ts';

/**
 * The SES emulator behind a capture proxy, for tests that read what was really sent: the emulator's
 * own store re-composes each message and drops custom headers, so the proxy keeps the raw MIME of
 * every SendRawEmail before forwarding it. Point RAPPORT_SES_ENDPOINT at `url` while the runtime
 * starts. Loopback only.
 */

export interface CapturedMail {
  /** The message as the email function built it (CRLF lines, MIME-encoded parts). */
  raw: string;
  to: string;
  messageId: string;
}

export async function startSesCapture(): Promise<{ url: string; captured: CapturedMail[]; stop: () => Promise<void> }> {
  const ses = await startSes();
  const captured: CapturedMail[] = [];
  const proxy: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = await fetch(ses.endpoint + (req.url ?? '/'), {
        method: req.method ?? 'POST',
        headers: Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k)),
        ) as Record<string, string>,
        // A GET (the runtime's /health asks whether SES is up) carries no body.
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
      });
      const text = await answer.text();
      const form = new URLSearchParams(body);
      if (form.get('Action') === 'SendRawEmail') {
        const raw = Buffer.from(form.get('RawMessage.Data') ?? '', 'base64').toString('utf8');
        captured.push({ raw, to: mimeHeader(raw, 'To') ?? '', messageId: /<MessageId>([^<]+)<\/MessageId>/.exec(text)?.[1] ?? '' });
      }
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml' });
      res.end(text);
    });
  });
  const url = await listen(proxy, 0, '127.0.0.1');
  return {
    url,
    captured,
    stop: async () => {
      await closeServer(proxy);
      await ses.stop();
    },
  };
}

/** Decodes RFC 2047 encoded words (a UTF-8 subject). */
export const decodeWords = (value: string) =>
  value.replace(/=\?utf-8\?([BQ])\?([^?]*)\?=\s*/gi, (_, enc: string, text: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : decodeURIComponent(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, '%$1')),
  );

/** A header of the message (folded lines unfolded), as written. */
export function mimeHeader(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  return new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1];
}

/** The decoded body of the MIME part of this content type (quoted-printable or base64); '' when there is none. */
export function mimePart(raw: string, type: string): string {
  // The part ends at the next boundary line, not at any line starting with "--" (a text signature's).
  const boundary = /boundary="?([^";]+)"?/i.exec(mimeHeader(raw, 'Content-Type') ?? '')?.[1];
  const at = raw.search(new RegExp(`Content-Type: ${type}`, 'i'));
  if (at < 0 || !boundary) return '';
  const rest = raw.slice(at);
  const headEnd = rest.indexOf('\r\n\r\n');
  const head = rest.slice(0, headEnd);
  const body = rest.slice(headEnd + 4, rest.indexOf(`\r\n--${boundary}`, headEnd));
  if (/base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return Buffer.from(
    body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
}
