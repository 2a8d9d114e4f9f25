import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * The storefront widget's weight on a shop's page: its one file, gzip-compressed at the default
 * level, as a web server sends it. The budget is 40 KB (issue: "≤ 40 KB gzip").
 *
 *   npm run build:widget && npx tsx widget/size.ts
 */

export const WIDGET_FILE = fileURLToPath(new URL('./dist/rapport-loyalty.js', import.meta.url));
export const WIDGET_GZIP_BUDGET_BYTES = 40 * 1024;

export function widgetGzipBytes(file = WIDGET_FILE): { bytes: number; gzipBytes: number } {
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build:widget first`);
  const body = readFileSync(file);
  return { bytes: body.length, gzipBytes: gzipSync(body).length };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const size = widgetGzipBytes();
  process.stdout.write(`${JSON.stringify({ widget: { ...size, budget: WIDGET_GZIP_BUDGET_BYTES } }, null, 2)}\n`);
  if (size.gzipBytes > WIDGET_GZIP_BUDGET_BYTES) process.exitCode = 1;
}
