import { describe, expect, it } from 'vitest';
import { ValidationError } from '#shared/domain/errors.ts';
import { buildMime, type MimeInput } from '#shared/email/mime.ts';

/**
 * The built message is read back with a small reader below (headers unfolded, RFC 2047 words,
 * quoted-printable and base64 bodies), so the assertions are about the bytes a mail server gets.
 */

interface Part {
  headers: [string, string][];
  body: string;
}

/** Splits a message or part into unfolded headers and its raw body. */
function split(raw: string): Part {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, end);
  const headers = head
    .split(/\r\n(?![ \t])/)
    .map((line) => line.replace(/\r\n[ \t]/g, ' '))
    .map((line): [string, string] => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
  return { headers, body: raw.slice(end + 4) };
}

const header = (part: Part, name: string) => part.headers.filter(([key]) => key.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
const one = (part: Part, name: string) => {
  const values = header(part, name);
  expect(values, name).toHaveLength(1);
  return values[0]!;
};

/** RFC 2047: `=?UTF-8?B|Q?…?=` words, adjacent ones joined (the whitespace between them is not text). */
function decodeWords(value: string): string {
  return value.replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)(\s+(?==\?))?/g, '$1').replace(/(?:=\?([^?]+)\?([BbQq])\?([^?]*)\?=)+/g, (run) => {
    const bytes: Buffer[] = [];
    for (const [, charset, encoding, text] of run.matchAll(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g)) {
      expect(charset?.toUpperCase()).toBe('UTF-8');
      bytes.push(
        encoding?.toUpperCase() === 'B'
          ? Buffer.from(text!, 'base64')
          : Buffer.from(
              text!.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
              'latin1',
            ),
      );
    }
    return Buffer.concat(bytes).toString('utf8');
  });
}

function decodeBody(part: Part): string {
  const encoding = one(part, 'Content-Transfer-Encoding').toLowerCase();
  if (encoding === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = part.body
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return part.body;
}

/** The parts of a multipart body, by its boundary. */
function parts(message: Part): Part[] {
  const boundary = /boundary="?([^";]+)"?/.exec(one(message, 'Content-Type'))?.[1];
  expect(boundary).toBeDefined();
  const chunks = message.body.split(`--${boundary}`);
  expect(chunks.at(-1)?.startsWith('--')).toBe(true);
  return chunks.slice(1, -1).map((chunk) => split(chunk.replace(/^\r\n/, '').replace(/\r\n$/, '')));
}

const input = (overrides: Partial<MimeInput> = {}): MimeInput => ({
  from: { name: 'Trà Sen', address: 'loyalty@trasen.vn' },
  replyTo: 'hello@trasen.vn',
  to: { name: 'Nguyễn Văn An', address: 'an@example.vn' },
  subject: 'Chúc mừng sinh nhật, An! Bạn được tặng 100 điểm 🎉',
  text: 'Xin chào An,\nbạn có 1.250 điểm. Hạng: Vàng.\n',
  html: '<p>Xin chào <b>An</b>, bạn có 1.250 điểm.</p>',
  sendId: 's_0123456789abcdef0123456789abcdef',
  unsubscribe: {
    url: 'https://rapport.example.com/unsubscribe?token=v1.eyJzIjoidHJhLXNlbiJ9.abc_-DEF',
    mailto: { address: 'unsubscribe@rapport.example.com', subject: 'unsubscribe v1.eyJzIjoidHJhLXNlbiJ9.abc_-DEF' },
  },
  date: new Date('2026-03-10T12:00:00.000Z'),
  ...overrides,
});

const build = async (overrides: Partial<MimeInput> = {}) => (await buildMime(input(overrides))).toString('utf8');

/** Every header line is a `Name: value` field or a folded continuation: nothing else can start a line. */
const HEADER_LINE = /^(?:[!-9;-~]+:|[ \t])/;

describe('buildMime', () => {
  it('gives bytes for SES RawMessage.Data: 7-bit, CRLF line ends only, every line within 998 characters', async () => {
    const raw = await buildMime(input({ text: 'one\ntwo\r\nthree\n', html: '<p>one</p>\n<p>two</p>\n' }));
    expect(raw).toBeInstanceOf(Uint8Array);
    expect([...raw].every((byte) => byte < 128)).toBe(true);
    expect(raw.toString()).not.toMatch(/[^\r]\n|\r(?!\n)/);
    expect(
      raw
        .toString()
        .split('\r\n')
        .every((line) => line.length <= 998),
    ).toBe(true);
  });

  it('writes the addresses, with encoded display names', async () => {
    const message = split(await build());
    expect(decodeWords(one(message, 'From'))).toBe('Trà Sen <loyalty@trasen.vn>');
    expect(decodeWords(one(message, 'To'))).toBe('Nguyễn Văn An <an@example.vn>');
    expect(one(message, 'Reply-To')).toBe('hello@trasen.vn');
    expect(one(message, 'MIME-Version')).toBe('1.0');
    expect(one(message, 'Date')).toBe('Tue, 10 Mar 2026 12:00:00 +0000');
  });

  it('encodes a Vietnamese subject as UTF-8 encoded words that decode back to it', async () => {
    const message = split(await build());
    const subject = one(message, 'Subject');
    expect(subject).toMatch(/^=\?UTF-8\?[BQ]\?/);
    expect(subject).not.toMatch(/[^\x20-\x7e]/);
    expect(decodeWords(subject)).toBe('Chúc mừng sinh nhật, An! Bạn được tặng 100 điểm 🎉');
  });

  it('leaves a plain ASCII subject as it is', async () => {
    expect(one(split(await build({ subject: 'Your points' })), 'Subject')).toBe('Your points');
  });

  it('is multipart/alternative: text/plain first, text/html last, both UTF-8 and intact', async () => {
    const message = split(await build());
    expect(one(message, 'Content-Type')).toMatch(/^multipart\/alternative;\s*boundary=/);
    const [text, html, ...rest] = parts(message);
    expect(rest).toHaveLength(0);
    expect(one(text!, 'Content-Type')).toBe('text/plain; charset=utf-8');
    expect(one(html!, 'Content-Type')).toBe('text/html; charset=utf-8');
    expect(decodeBody(text!)).toBe(input().text.replace(/\n/g, '\r\n'));
    expect(decodeBody(html!)).toBe(input().html.replace(/\n/g, '\r\n'));
  });

  it('carries RFC 8058 one-click unsubscribe headers', async () => {
    const message = split(await build());
    expect(one(message, 'List-Unsubscribe')).toBe(
      '<https://rapport.example.com/unsubscribe?token=v1.eyJzIjoidHJhLXNlbiJ9.abc_-DEF>, ' +
        '<mailto:unsubscribe@rapport.example.com?subject=unsubscribe%20v1.eyJzIjoidHJhLXNlbiJ9.abc_-DEF>',
    );
    expect(one(message, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
  });

  it('offers the one-click link alone when there is no mailto', async () => {
    const message = split(await build({ unsubscribe: { url: 'https://rapport.example.com/unsubscribe?token=t' } }));
    expect(one(message, 'List-Unsubscribe')).toBe('<https://rapport.example.com/unsubscribe?token=t>');
    expect(one(message, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
  });

  it('has no List-Unsubscribe headers without an unsubscribe URL', async () => {
    const message = split(await build({ unsubscribe: undefined }));
    expect(header(message, 'List-Unsubscribe')).toEqual([]);
    expect(header(message, 'List-Unsubscribe-Post')).toEqual([]);
  });

  it('derives Message-ID and X-Rapport-Send-Id from the send id, so a rebuild is the same message', async () => {
    const message = split(await build());
    expect(one(message, 'X-Rapport-Send-Id')).toBe('s_0123456789abcdef0123456789abcdef');
    expect(one(message, 'Message-ID')).toBe('<s_0123456789abcdef0123456789abcdef@trasen.vn>');
    const again = split(await build());
    expect(one(again, 'Message-ID')).toBe(one(message, 'Message-ID'));
  });

  describe('header injection', () => {
    const attack = '\r\nBcc: victim@example.com\r\nX-Evil: 1\n\nbody?';

    async function expectNoInjection(overrides: Partial<MimeInput>) {
      const raw = await build(overrides);
      const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
      for (const line of head.split('\r\n')) expect(line).toMatch(HEADER_LINE);
      const message = split(raw);
      expect(header(message, 'Bcc')).toEqual([]);
      expect(header(message, 'X-Evil')).toEqual([]);
      expect(
        message.headers.map(([name]) => name.toLowerCase()).filter((name) => name === 'subject' || name === 'from' || name === 'to'),
      ).toHaveLength(3);
      return message;
    }

    it('cannot happen through the subject: line breaks become spaces', async () => {
      const message = await expectNoInjection({ subject: `Xin chào${attack}` });
      expect(decodeWords(one(message, 'Subject'))).toBe('Xin chào Bcc: victim@example.com X-Evil: 1 body?');
    });

    it('cannot happen through an ASCII subject either', async () => {
      const message = await expectNoInjection({ subject: `Hello${attack}` });
      expect(decodeWords(one(message, 'Subject'))).toBe('Hello Bcc: victim@example.com X-Evil: 1 body?');
    });

    it('cannot happen through a display name', async () => {
      const message = await expectNoInjection({
        from: { name: `Trà Sen${attack}`, address: 'loyalty@trasen.vn' },
        to: { name: `An${attack}`, address: 'an@example.vn' },
      });
      expect(decodeWords(one(message, 'From'))).toMatch(/<loyalty@trasen\.vn>$/);
      expect(decodeWords(one(message, 'To'))).toMatch(/<an@example\.vn>$/);
    });

    it('cannot happen through the unsubscribe URL or mailto subject', async () => {
      const message = await expectNoInjection({
        unsubscribe: {
          url: `https://rapport.example.com/unsubscribe?token=a${attack}`,
          mailto: { address: 'u@rapport.example.com', subject: `x${attack}>` },
        },
      });
      expect(one(message, 'List-Unsubscribe')).not.toMatch(/[\r\n]/);
      expect(one(message, 'List-Unsubscribe').match(/</g)).toHaveLength(2);
    });

    it.each([
      ['from', { from: { address: 'loyalty@trasen.vn\r\nBcc: victim@example.com' } }],
      ['to', { to: 'an@example.vn\r\nBcc: victim@example.com' }],
      ['to', { to: 'An <an@example.vn>, victim@example.com' }],
      ['replyTo', { replyTo: 'a@b.vn\nBcc: c@d.vn' }],
      [
        'unsubscribe.mailto.address',
        { unsubscribe: { url: 'https://x.example/u', mailto: { address: 'u@x.example?cc=v@y.example', subject: 's' } } },
      ],
      ['unsubscribe.url', { unsubscribe: { url: 'javascript:alert(1)' } }],
      ['sendId', { sendId: 's_1>\r\nBcc: v@example.com' }],
    ] as const)('refuses an address or id that is not plain (%s)', async (field, overrides) => {
      const error = await buildMime(input(overrides as Partial<MimeInput>)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toMatch(new RegExp(`^${field.replace('.', '\\.')}`));
    });
  });
});
