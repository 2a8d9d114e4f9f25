import { mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { rapportBundling } from '#infra/bundling.ts';

/** The bundling of the CDK house construct, from the one module both read. */
export const cdkBundling = rapportBundling;

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Git-ignored scratch space. Under the repository, so a bundle built with `sdkExternal` resolves the SDK from its node_modules. */
export const outRoot = join(repoRoot, 'bench', 'out');

/** The AWS SDK left to the runtime, as the bundles were built before: only for comparison. */
const SDK_EXTERNAL = ['@aws-sdk/*'];

export function esbuildOptions(entry: string, outfile: string, sdkExternal = false): BuildOptions {
  return {
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: cdkBundling.target,
    format: cdkBundling.format,
    outfile,
    minify: cdkBundling.minify,
    // `--sourcemap` (linked): the map is its own file, so the .mjs size is the code Lambda loads.
    sourcemap: cdkBundling.sourceMap,
    sourcesContent: cdkBundling.sourcesContent,
    external: [...cdkBundling.externalModules, ...(sdkExternal ? SDK_EXTERNAL : [])],
    banner: { js: cdkBundling.banner },
    mainFields: [...cdkBundling.mainFields],
    logLevel: 'warning',
  };
}

export interface Bundle {
  name: string;
  entry: string;
  /** Absolute path of index.mjs. */
  file: string;
  bytes: number;
  mapBytes: number;
  /** Output bytes per npm package (or per source folder of this repository), largest first. */
  composition: Record<string, number>;
  /** Modules the bundle imports rather than contains: Node built-ins (and the AWS SDK, built with `sdkExternal`). */
  externals: string[];
}

/**
 * Bundles one entry (relative to the repository root) into bench/out/<dir>/<name>/index.mjs, as
 * NodejsFunction names it. `sdkExternal` leaves the AWS SDK out, as the runtime's copy would serve it.
 */
export async function bundle(name: string, entry: string, dir = 'bundles', opts: { sdkExternal?: boolean } = {}): Promise<Bundle> {
  const outDir = join(outRoot, dir, name);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'index.mjs');
  // The metafile is esbuild's report of what went in; it does not change the output.
  const { metafile } = await build({ ...esbuildOptions(entry, file, opts.sdkExternal), metafile: true });
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.split('/').slice(0, -1).join('/');
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
  }
  const composition = Object.fromEntries([...byPackage].filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1]));
  const externals = [...new Set((output?.imports ?? []).filter((i) => i.external).map((i) => i.path))].sort();
  return { name, entry, file, bytes: statSync(file).size, mapBytes: statSync(`${file}.map`).size, composition, externals };
}
