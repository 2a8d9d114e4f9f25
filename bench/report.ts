import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * What a bench module hands back: the figures for results.json (a nested object under the
 * module's key) and the rows of the printed table. A row with a target is PASS or MISS; a row
 * without one is information. A missed target never fails the process; an error does.
 */

export interface Row {
  /** Dotted path into results.json, e.g. `webhook.p99Ms`. */
  key: string;
  label: string;
  value: number;
  unit: string;
  target?: { op: '<=' | '>='; value: number };
  note?: string;
}

export interface BenchResult {
  figures: Record<string, unknown>;
  rows: Row[];
  /** Printed under the table: what explains the figures (e.g. the cost of each write). */
  notes?: string[];
}

export const verdict = (row: Row): 'PASS' | 'MISS' | '' => {
  if (!row.target) return '';
  const ok = row.target.op === '<=' ? row.value <= row.target.value : row.value >= row.target.value;
  return ok ? 'PASS' : 'MISS';
};

const formatNumber = (value: number) => {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toLocaleString('en-US', { maximumFractionDigits: 1 });
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
};

const withUnit = (value: number, unit: string) => (unit ? `${formatNumber(value)} ${unit}` : formatNumber(value));

/** A plain-text table: figure, value, target, verdict, note. Works on any terminal and in CI logs. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['figure', 'value', 'target', 'result', 'note'];
  const lines = rows.map((row) => [
    row.key,
    withUnit(row.value, row.unit),
    row.target ? `${row.target.op === '<=' ? '≤' : '≥'} ${withUnit(row.target.value, row.unit)}` : '',
    verdict(row),
    row.note ?? row.label,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => (line[i] as string).length)));
  const render = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 1 ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [render(header), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)].join('\n');
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Deep merge: objects merge key by key, anything else is replaced by the newer value. */
export function deepMerge(older: Json, newer: Json): Json {
  const merged: Json = { ...older };
  for (const [key, value] of Object.entries(newer)) {
    const previous = merged[key];
    merged[key] = isObject(previous) && isObject(value) ? deepMerge(previous, value) : value;
  }
  return merged;
}

/**
 * Merges these results into the file, so keys written by other benches (or by an earlier run of
 * a bench not run this time) stay. Written whole or not at all.
 */
export function mergeResults(path: string, results: Json): Json {
  let existing: Json = {};
  if (existsSync(path)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (isObject(parsed)) existing = parsed;
    } catch (err) {
      throw new Error(`${path} is not valid JSON (${(err as Error).message}); fix or delete it`);
    }
  }
  const merged = deepMerge(existing, results);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(merged, null, 2)}\n`);
  renameSync(tmp, path);
  return merged;
}
