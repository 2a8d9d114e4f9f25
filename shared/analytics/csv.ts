/**
 * A small RFC 4180 reader and writer: fields separated by commas, optionally in double quotes, a
 * quote inside a quoted field doubled, line breaks inside quotes kept, CRLF or LF, a UTF-8 byte
 * order mark ignored. Enough for the order exports the analytics read; nothing is guessed.
 */

export class CsvFormatError extends Error {
  override name = 'CsvFormatError';
}

/** Every record of the text, as arrays of fields. A trailing newline makes no empty record. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  // a field has started once a character (or a quoted, maybe empty, string) was read into it
  let started = false;
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  const endField = () => {
    record.push(field);
    field = '';
    started = false;
  };
  while (i < n) {
    const ch = text[i] as string;
    if (ch === '"' && !started) {
      const startLine = line;
      i++;
      for (;;) {
        if (i >= n) throw new CsvFormatError(`unclosed quote in the field starting on line ${startLine}`);
        const c = text[i] as string;
        i++;
        if (c === '"') {
          if (text[i] !== '"') break;
          i++;
        } else if (c === '\n') {
          line++;
        }
        field += c;
      }
      started = true;
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new CsvFormatError(`unexpected "${next}" after a closing quote on line ${line}`);
      }
    } else if (ch === ',') {
      endField();
      i++;
    } else if (ch === '\r' || ch === '\n') {
      endField();
      records.push(record);
      record = [];
      line++;
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += ch;
      started = true;
      i++;
    }
  }
  if (started || record.length > 0) {
    endField();
    records.push(record);
  }
  return records;
}

/**
 * The records as objects keyed by the header's names, after checking the header has every
 * `required` column. Extra columns are ignored.
 */
export function readCsvTable(text: string, required: readonly string[]): { header: string[]; rows: Record<string, string>[] } {
  const [header, ...records] = parseCsv(text);
  if (!header) throw new CsvFormatError('the file is empty');
  const names = header.map((name) => name.trim());
  const missing = required.filter((name) => !names.includes(name));
  if (missing.length > 0) throw new CsvFormatError(`missing column(s) ${missing.join(', ')}; the header is: ${names.join(',')}`);
  const rows = records
    .filter((record) => !(record.length === 1 && record[0] === ''))
    .map((record) => Object.fromEntries(names.map((name, k) => [name, record[k] ?? ''])));
  return { header: names, rows };
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

const csvField = (value: unknown) => {
  const text = value === null || value === undefined ? '' : String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** Header and rows as CSV text, fields quoted only when they must be, LF line ends. */
export function formatCsv(header: readonly string[], rows: Iterable<readonly unknown[]>): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}

/** What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection"): = + - @, a tab, a CR. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One record of a file meant to be opened in a spreadsheet: RFC 4180 (fields quoted when they hold a
 * comma, a quote or a line break, quotes doubled, CRLF at the end), and every cell that starts like a
 * formula prefixed with a single quote, as OWASP recommends, so a name such as `=HYPERLINK(…)` is
 * shown, never run. Numbers are written as they are (a negative one would be guarded too).
 */
export function spreadsheetCsvRecord(cells: readonly unknown[]): string {
  return `${cells
    .map((value) => {
      const text = value === null || value === undefined ? '' : String(value);
      return csvField(FORMULA_START.test(text) ? `'${text}` : text);
    })
    .join(',')}\r\n`;
}
