import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * The console's initial load: the JavaScript a browser fetches before the first page can show —
 * index.html's module script and every chunk it preloads — gzip-compressed at the default level,
 * as a web server sends it. Chunks loaded later (Observable Plot, at the first chart) do not count.
 * The budget is 250 KB (`console.jsGzipBytes`).
 *
 *   npm run build:console && npx tsx console/size.ts
 */

export const CONSOLE_DIST = fileURLToPath(new URL('./dist/', import.meta.url));
export const JS_GZIP_BUDGET_BYTES = 250 * 1024;

export interface ConsoleSize {
  jsGzipBytes: number;
  files: Array<{ file: string; bytes: number; gzipBytes: number }>;
}

export function consoleJsGzipBytes(dist = CONSOLE_DIST): ConsoleSize {
  const index = join(dist, 'index.html');
  if (!existsSync(index)) throw new Error(`${index} is missing: run npm run build:console first`);
  const html = readFileSync(index, 'utf8');
  const initial = new Set<string>();
  for (const match of html.matchAll(/<script[^>]*\stype="module"[^>]*\ssrc="([^"]+)"/g)) initial.add(match[1] as string);
  for (const match of html.matchAll(/<link[^>]*\srel="modulepreload"[^>]*\shref="([^"]+)"/g)) initial.add(match[1] as string);
  const files = [...initial].map((src) => {
    const body = readFileSync(join(dist, src.replace(/^\//, '')));
    return { file: src, bytes: body.length, gzipBytes: gzipSync(body).length };
  });
  return { jsGzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0), files };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const size = consoleJsGzipBytes();
  process.stdout.write(
    `${JSON.stringify({ console: { jsGzipBytes: size.jsGzipBytes, budget: JS_GZIP_BUDGET_BYTES }, files: size.files }, null, 2)}\n`,
  );
  if (size.jsGzipBytes > JS_GZIP_BUDGET_BYTES) process.exitCode = 1;
}
