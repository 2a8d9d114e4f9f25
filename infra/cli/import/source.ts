import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * The import file, read as a stream of lines: constant memory whatever its size. A `.gz` file is
 * decompressed on the way. Line numbers are 1-based physical lines, as an editor shows them.
 */

export type Format = 'csv' | 'jsonl';

export const isGzip = (path: string) => path.toLowerCase().endsWith('.gz');

function open(path: string): Readable {
  const raw = createReadStream(path);
  if (!isGzip(path)) return raw;
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
}

/** By extension (`.csv`, `.jsonl`, `.ndjson`, each optionally `.gz`), else by the first non-blank character. */
export async function detectFormat(path: string): Promise<Format> {
  const name = path.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  for await (const line of lines(path)) {
    const text = line.replace(/^\uFEFF/, '').trim();
    if (text) return text.startsWith('{') ? 'jsonl' : 'csv';
  }
  return 'csv';
}

/** The number of lines, counted on the bytes (a final line without a newline counts too): the progress bar's total. */
export async function countLines(path: string): Promise<number> {
  let count = 0;
  let last = 0x0a;
  for await (const chunk of open(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) count++;
    if (chunk.length > 0) last = chunk[chunk.length - 1] as number;
  }
  return last === 0x0a ? count : count + 1;
}

/**
 * The lines of the file, without their line ends (LF or CRLF). readline's iterator pauses the file
 * while the consumer is busy, so a slow queue never makes the whole file pile up in memory.
 */
export function lines(path: string): AsyncIterable<string> {
  const input = open(path);
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  // Leaving the loop early closes the reader, but not the file under it.
  reader.once('close', () => input.destroy());
  return reader;
}
