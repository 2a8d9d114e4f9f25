import { consoleJsGzipBytes, JS_GZIP_BUDGET_BYTES } from '../console/size.ts';
import { benchConsoleList } from './console-list.ts';
import type { BenchResult } from './report.ts';

/**
 * `npm run bench -- console`: the merchant console's two targets (issue 12), under `console` in
 * results.json — the initial load's gzip-compressed JavaScript (console/size.ts reads the built
 * index.html's module script and preloads; `npm run build:console` first) and the customer list's
 * p95 on 100,000 customers (bench/console-list.ts).
 */
export async function benchConsole(): Promise<BenchResult> {
  const size = consoleJsGzipBytes();
  const list = await benchConsoleList();
  return {
    figures: { jsGzipBytes: size.jsGzipBytes, jsFiles: size.files, ...list.figures },
    rows: [
      {
        key: 'console.jsGzipBytes',
        label: `initial JavaScript, gzip (${size.files.length} file${size.files.length === 1 ? '' : 's'})`,
        value: size.jsGzipBytes,
        unit: 'B',
        target: { op: '<=', value: JS_GZIP_BUDGET_BYTES },
      },
      ...list.rows,
    ],
    notes: list.notes ?? [],
  };
}
