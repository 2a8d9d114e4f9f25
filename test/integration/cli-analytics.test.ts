import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '#infra/local/runtime.ts';

/** `rapport clv` and `rapport rfm` exactly as DESIGN §8 and the issue show them, on the shared reference data. */

const shared = join(repoRoot, '..', 'shared', 'data');
const rapport = (args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'infra/cli/rapport.mjs'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });

it('fits CDNOW_sample to the published BG/NBD parameters, with its Gamma-Gamma fit', () => {
  const run = rapport([
    'clv',
    '--transactions',
    join(shared, 'cdnow/CDNOW_sample.txt'),
    '--format',
    'cdnow',
    '--calibration-end',
    '1997-09-30',
    '--unit',
    'week',
  ]);
  expect(run.status, run.stderr).toBe(0);
  const out = JSON.parse(run.stdout) as { customers: number; bgnbd: Record<string, number>; gammaGamma: Record<string, number> };
  expect(out.customers).toBe(2357);
  expect(out.bgnbd.r).toBeCloseTo(0.243, 3);
  expect(out.bgnbd.alpha).toBeCloseTo(4.414, 3);
  expect(out.bgnbd.a).toBeCloseTo(0.793, 3);
  expect(out.bgnbd.b).toBeCloseTo(2.426, 3);
  expect(out.gammaGamma.p).toBeCloseTo(6.25, 1);
  expect(out.gammaGamma.q).toBeCloseTo(3.74, 1);
  expect(out.gammaGamma.v).toBeCloseTo(15.44, 1);
});

it('fits CDNOW_master too', () => {
  const run = rapport([
    'clv',
    '--transactions',
    join(shared, 'cdnow/CDNOW_master.txt'),
    '--format',
    'cdnow',
    '--calibration-end',
    '1997-09-30',
  ]);
  expect(run.status, run.stderr).toBe(0);
  const out = JSON.parse(run.stdout) as { customers: number; bgnbd: Record<string, number> };
  expect(out.customers).toBe(23_570);
  expect(out.bgnbd.r).toBeGreaterThan(0);
});

it('prints the segment summary of the published RFM scheme for the reference run', () => {
  const run = rapport(['rfm', '--orders', join(shared, 'rfm/rfm_data_orders.csv'), '--analysis-date', '2006-12-31']);
  expect(run.status, run.stderr).toBe(0);
  const { segments } = JSON.parse(run.stdout) as { segments: Record<string, { customers: number; orders: number; revenue: number }> };
  expect(segments.Champions).toEqual({ customers: 35, orders: 316, revenue: 31646 });
  expect(segments['Potential Loyalist']).toEqual({ customers: 342, orders: 2211, revenue: 204856 });
  expect(Object.values(segments).reduce((sum, s) => sum + s.customers, 0)).toBe(995);
  expect(Object.values(segments).reduce((sum, s) => sum + s.orders, 0)).toBe(4906);
  expect(rapport(['rfm', '--orders', 'missing.csv']).status).toBe(2);
});
