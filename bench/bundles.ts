import { functions } from '#functions/triggers.ts';
import { type Bundle, bundle } from './bundling.ts';
import type { BenchResult, Row } from './report.ts';

/** Size targets in bytes (KB = 1,024 bytes). Functions without one are reported for information. */
export const bundleTargets: Record<string, number> = { webhook: 250 * 1024, processor: 350 * 1024 };

export interface BundlesResult extends BenchResult {
  bundles: Bundle[];
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** Bundles every function of the trigger table as the CDK construct would, and records the .mjs bytes. */
export async function benchBundles(): Promise<BundlesResult> {
  const bundles: Bundle[] = [];
  // One at a time: esbuild is parallel inside, and the machine has two cores.
  for (const fn of functions) bundles.push(await bundle(fn.name, fn.entry));
  const figures: Record<string, unknown> = {};
  const rows: Row[] = [];
  for (const b of bundles) {
    const target = bundleTargets[b.name];
    figures[b.name] = {
      bytes: b.bytes,
      ...(target ? { targetBytes: target } : {}),
      mapBytes: b.mapBytes,
      entry: b.entry,
      // The ten biggest contributors, to see at a glance what to cut.
      composition: Object.fromEntries(Object.entries(b.composition).slice(0, 10)),
      sdkExternals: b.externals.filter((path) => path.startsWith('@aws-sdk/')),
    };
    rows.push({
      key: `bundles.${b.name}.bytes`,
      label: `${kb(b.bytes)}; biggest: ${Object.entries(b.composition)
        .slice(0, 2)
        .map(([pkg, bytes]) => `${pkg} ${kb(bytes)}`)
        .join(', ')}`,
      value: b.bytes,
      unit: 'B',
      ...(target ? { target: { op: '<=' as const, value: target } } : {}),
    });
  }
  return { figures, rows, bundles };
}
