import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WIDGET_FILE, WIDGET_GZIP_BUDGET_BYTES, widgetGzipBytes } from '#widget/size.ts';

describe('the storefront widget', () => {
  it('is one file of at most 40 KB gzip, Preact and styles included', { timeout: 120_000 }, () => {
    // npm test builds it first (pretest); run alone, the test builds it.
    if (!existsSync(WIDGET_FILE)) execFileSync('npm', ['run', 'build:widget'], { stdio: 'ignore' });
    const size = widgetGzipBytes();
    expect(size.gzipBytes).toBeGreaterThan(0);
    expect(size.gzipBytes).toBeLessThanOrEqual(WIDGET_GZIP_BUDGET_BYTES);
    expect(WIDGET_GZIP_BUDGET_BYTES).toBe(40_960);
  });
});
