import { Parser } from 'htmlparser2';

/**
 * The HTML a shop may write into an email body, checked over a real HTML tokenizer (htmlparser2,
 * the one html-to-text and mjml use) against an allow-list — never by pattern-matching the source:
 * a browser's tokenizer and a regular expression disagree on `<scr<script>ipt>`, on unquoted
 * attributes and on comments, and the tokenizer is what the mail client runs.
 *
 * What passes: the elements and attributes below, and nothing else — no <script>, <style>, <iframe>,
 * <object>, <embed>, <form>, <input>, <svg>, <math>, <meta>, <link>, <base>; no `on…` attribute; no
 * comment (Outlook runs `<!--[if mso]>` blocks as markup); no doctype or processing instruction.
 * Links and images go to http(s) (links also mailto:), written out or from one of the message's
 * link variables (`{{ links.… }}`, `{{ shop.url }}`), whose values are always http(s). A style
 * attribute is plain CSS declarations: no url(), expression(), @import, escapes or Liquid.
 *
 * The same check runs on the template a shop saves (with its Liquid in place: a Liquid tag inside
 * a tag name or between attributes is refused, since a tag's shape must not depend on a branch) and
 * on every rendered body before it is sent, so a hole in one is caught by the other.
 */

const URL_ATTRIBUTES = new Set(['href', 'src']);
const COMMON = ['style', 'title', 'align', 'dir', 'lang'];
const TABLE_CELL = ['width', 'height', 'colspan', 'rowspan', 'valign', 'bgcolor'];

/** Element → the attributes it may carry (besides the common ones). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  a: ['href', 'target', 'rel', 'name'],
  b: [],
  blockquote: [],
  br: [],
  center: [],
  code: [],
  div: [],
  em: [],
  h1: [],
  h2: [],
  h3: [],
  h4: [],
  hr: ['width'],
  i: [],
  img: ['src', 'alt', 'width', 'height', 'border'],
  li: [],
  ol: ['start', 'type'],
  p: [],
  pre: [],
  s: [],
  small: [],
  span: [],
  strong: [],
  sub: [],
  sup: [],
  table: ['width', 'border', 'cellpadding', 'cellspacing', 'role', 'bgcolor'],
  tbody: [],
  td: TABLE_CELL,
  tfoot: [],
  th: TABLE_CELL,
  thead: [],
  tr: ['valign', 'bgcolor'],
  u: [],
  ul: ['type'],
};

export const ALLOWED_ELEMENTS: readonly string[] = Object.keys(ALLOWED);

const LIQUID = /\{\{|\{%/;
/** A link variable at the very start of a URL: its value fixes the scheme to http(s). */
const LINK_VARIABLE = /^\{\{\s*(?:links\.[a-z_]+|shop\.url)\s*\}\}/;
/** A written-out URL's scheme; relative URLs mean nothing in an email and are refused too. */
const SAFE_SCHEME = { href: /^(?:https?:\/\/|mailto:)/i, src: /^https?:\/\//i } as const;
/**
 * CSS that can fetch, run or hide what it does: url() and image-set() fetch (and were script in
 * old engines), expression() and behavior/-moz-binding run script, @import fetches, a backslash
 * escape can spell any of these. A plain colour, size or font never needs them.
 */
const UNSAFE_CSS = /url\s*\(|image-set|expression|behavior|binding|@import|javascript|\\|<|>/i;

export interface HtmlProblem {
  message: string;
  /** 1-based, in the checked source. */
  line: number;
}

/**
 * What is wrong with this HTML fragment, first problem first (empty: it is safe). `template`: the
 * source still holds Liquid (a shop's template), so URL attributes may start with a link variable.
 */
export function htmlProblems(source: string, options: { template: boolean }): HtmlProblem[] {
  const problems: HtmlProblem[] = [];
  const lineAt = (index: number) => source.slice(0, index).split('\n').length;
  const problem = (message: string) => problems.push({ message, line: lineAt(parser.startIndex) });
  let element = '';
  const parser = new Parser(
    {
      // The name comes before the attributes; the attributes are checked against it.
      onopentagname(name) {
        element = name;
        if (!Object.hasOwn(ALLOWED, name)) problem(`the element <${name}> is not allowed`);
      },
      onattribute(name, value, quote) {
        if (!Object.hasOwn(ALLOWED, element)) return;
        if (name.startsWith('on')) return problem(`the event handler attribute ${name} is not allowed`);
        if (!COMMON.includes(name) && !(ALLOWED[element] ?? []).includes(name)) {
          return problem(`the attribute ${name} is not allowed on <${element}>`);
        }
        const liquid = LIQUID.test(value);
        // Unquoted, an escaped value with a space in it would start a new attribute.
        if (liquid && !quote) return problem(`the attribute ${name} holds Liquid: put its value in quotes`);
        if (URL_ATTRIBUTES.has(name)) {
          const url = value.trim();
          const scheme = SAFE_SCHEME[name as 'href' | 'src'];
          const fromVariable = options.template && LINK_VARIABLE.test(url);
          if (!fromVariable && !scheme.test(url)) {
            return problem(
              `${name}="${url.slice(0, 80)}" must be ${name === 'href' ? 'an http(s) or mailto: URL' : 'an https URL'} or start with a link variable such as {{ links.loyalty_page }}`,
            );
          }
          if (!fromVariable && liquid && !scheme.test(url.split(/\{\{|\{%/)[0] ?? '')) {
            return problem(`${name}: write the URL's scheme (https://) before any Liquid`);
          }
        }
        if (name === 'style') {
          if (liquid) return problem('a style attribute cannot hold Liquid');
          if (UNSAFE_CSS.test(value))
            return problem(`the style "${value.slice(0, 80)}" is not allowed (no url(), expression(), @import or escapes)`);
        }
      },
      oncomment() {
        problem('HTML comments are not allowed (mail clients run conditional comments)');
      },
      onprocessinginstruction(name) {
        problem(`<${name.replace(/^!/, '!')}> is not allowed`);
      },
      oncdatastart() {
        problem('CDATA sections are not allowed');
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true, recognizeSelfClosing: true },
  );
  parser.write(source);
  parser.end();
  return problems;
}

const BLOCKS = new Set(['p', 'div', 'h1', 'h2', 'h3', 'h4', 'blockquote', 'ul', 'ol', 'table', 'tr', 'pre', 'center', 'hr']);

/**
 * The plain-text part of an HTML fragment: its text in reading order, a blank line between
 * blocks, a line per list item and table row, and each link as `label (url)` when the URL is not
 * the label itself.
 */
export function htmlToText(html: string): string {
  let out = '';
  const links: Array<{ href: string; start: number }> = [];
  const breakLine = (blank: boolean) => {
    out = out.replace(/[ \t]+$/, '');
    if (out === '') return;
    const want = blank ? '\n\n' : '\n';
    if (!out.endsWith(want)) out = out.replace(/\n*$/, want);
  };
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (BLOCKS.has(name)) breakLine(true);
        else if (name === 'li') {
          breakLine(false);
          out += '- ';
        } else if (name === 'br') breakLine(false);
        else if (name === 'td' || name === 'th') {
          if (!out.endsWith('\n') && out !== '') out += ' ';
        } else if (name === 'a') links.push({ href: attributes.href ?? '', start: out.length });
        else if (name === 'img' && attributes.alt) out += attributes.alt;
      },
      ontext(text) {
        const words = text.replace(/\s+/g, ' ');
        out += out === '' || /\s$/.test(out) ? words.trimStart() : words;
      },
      onclosetag(name) {
        if (name === 'a') {
          const link = links.pop();
          const label = link ? out.slice(link.start).trim() : '';
          if (link?.href && link.href !== label && `mailto:${label}` !== link.href) out += label ? ` (${link.href})` : link.href;
        } else if (BLOCKS.has(name)) breakLine(true);
        else if (name === 'li') breakLine(false);
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return out
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
