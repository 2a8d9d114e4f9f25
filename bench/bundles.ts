import { functions } from '#functions/triggers.ts';
import { type Bundle, bundle } from './bundling.ts';
import type { BenchResult, Row } from './report.ts';

/**
 * Bundle sizes, for information: no size targets. Since the AWS SDK is bundled (infra/bundling.ts)
 * a bundle is bigger but its init is shorter, and init time is the figure that counts
 * (coldImport.ratio); the bytes stay here to see what a change adds and where it comes from.
 */

export interface BundlesResult extends BenchResult {
  bundles: Bundle[];
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** The SDK's share of a bundle: @aws-sdk/*, and the @smithy/* and @aws-crypto/* packages it is built on. */
const isSdkPackage = (pkg: string) => /^@(aws-sdk|smithy|aws-crypto)\//.test(pkg);

/** Bundles every function of the trigger table as the CDK construct would, and records the .mjs bytes. */
export async function benchBundles(): Promise<BundlesResult> {
  const bundles: Bundle[] = [];
  // One at a time: esbuild is parallel inside, and the machine has two cores.
  for (const fn of functions) bundles.push(await bundle(fn.name, fn.entry));
  const figures: Record<string, unknown> = {};
  const rows: Row[] = [];
  for (const b of bundles) {
    const sdkBytes = Object.entries(b.composition)
      .filter(([pkg]) => isSdkPackage(pkg))
      .reduce((sum, [, bytes]) => sum + bytes, 0);
    figures[b.name] = {
      bytes: b.bytes,
      sdkBytes,
      mapBytes: b.mapBytes,
      entry: b.entry,
      // The ten biggest contributors, to see at a glance what to cut.
      composition: Object.fromEntries(Object.entries(b.composition).slice(0, 10)),
      // Nothing but Node built-ins may be left out of a bundle.
      externals: b.externals,
    };
    rows.push({
      key: `bundles.${b.name}.bytes`,
      label: `${kb(b.bytes)}, of which AWS SDK ${kb(sdkBytes)}; biggest: ${Object.entries(b.composition)
        .slice(0, 2)
        .map(([pkg, bytes]) => `${pkg} ${kb(bytes)}`)
        .join(', ')}`,
      value: b.bytes,
      unit: 'B',
    });
  }
  return { figures, rows, bundles };
}
