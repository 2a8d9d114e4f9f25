import { spawn } from 'node:child_process';
import { builtinModules } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Bundle } from './bundling.ts';
import type { BenchResult } from './report.ts';
import { elapsedMs, median, round } from './stats.ts';

/**
 * Cold import: each function's deployable bundle — the AWS SDK inside, as infra/bundling.ts builds
 * it — imported by a brand-new Node process, against a hello-world bundle built the same way. The
 * figure is the wall time of the whole process — spawn, Node's start, import, exit — because
 * Lambda's Init Duration likewise includes the runtime's own start; the in-process import time is
 * recorded beside it. Processes run one at a time, bundles interleaved round-robin so drift in
 * machine load touches all alike, with NODE_OPTIONS=--enable-source-maps as the CDK construct sets
 * it on every function. The process runs the bench's own `node` (20 here), so the bench also shows
 * that every bundle loads there, not only on Lambda's Node 22.
 *
 * For comparison, the webhook is imported a second time as it was built before: the SDK left
 * external and loaded, unbundled, from node_modules as Lambda's runtime would load its own copy.
 */

export const COLD_IMPORT_TARGET_RATIO = 2;
const DEFAULT_RUNS = 7;
const WARMUP_RUNS = 1;

interface Sample {
  wallMs: number;
  importMs: number;
}

async function coldProcess(file: string): Promise<Sample> {
  const url = pathToFileURL(file).href;
  const code = [
    'const t0 = performance.now();',
    `const mod = await import(${JSON.stringify(url)});`,
    'const importMs = performance.now() - t0;',
    "if (typeof mod.handler !== 'function') throw new Error('the bundle exports no handler');",
    'process.stdout.write(JSON.stringify({ importMs }));',
  ].join('\n');
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...env, NODE_OPTIONS: '--enable-source-maps', NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exitCode = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('close', (status) => done(status));
  });
  const wallMs = elapsedMs(start);
  if (exitCode !== 0) throw new Error(`importing ${file} failed (exit ${exitCode}):\n${stderr.slice(-2000)}`);
  const { importMs } = JSON.parse(stdout) as { importMs: number };
  return { wallMs, importMs };
}

export interface ColdImportOptions {
  runs?: number;
}

/**
 * `bundles` as deployed; `sdkExternal`, optionally, one of them built with the SDK left to the
 * runtime (reported apart, never part of the ratio).
 */
export async function benchColdImport(
  bundles: Bundle[],
  helloWorld: Bundle,
  sdkExternal?: Bundle,
  opts: ColdImportOptions = {},
): Promise<BenchResult> {
  const runs = Math.max(7, opts.runs ?? DEFAULT_RUNS);
  const leaked = bundles.filter((b) => b.externals.some((path) => !path.startsWith('node:') && !builtinModules.includes(path)));
  if (leaked.length > 0) {
    throw new Error(
      `bundles import packages they should contain: ${leaked.map((b) => `${b.name} (${b.externals.join(', ')})`).join('; ')}`,
    );
  }
  const all = [helloWorld, ...(sdkExternal ? [sdkExternal] : []), ...bundles];
  const samples = new Map<string, Sample[]>(all.map((b) => [b.name, []]));
  // A first round that is not counted: the page cache then holds node, the SDK and the bundles.
  for (let round_ = 0; round_ < WARMUP_RUNS + runs; round_++) {
    for (const b of all) {
      const sample = await coldProcess(b.file);
      if (round_ >= WARMUP_RUNS) samples.get(b.name)?.push(sample);
    }
  }
  const summary = (name: string) => {
    const list = samples.get(name) ?? [];
    return { wallMs: round(median(list.map((s) => s.wallMs)), 1), importMs: round(median(list.map((s) => s.importMs)), 1) };
  };
  const hello = summary(helloWorld.name);
  const withRatio = (s: { wallMs: number; importMs: number }) => ({ ...s, ratio: round(s.wallMs / hello.wallMs, 2) });
  const perFunction: Record<string, { wallMs: number; importMs: number; ratio: number }> = {};
  for (const b of bundles) perFunction[b.name] = withRatio(summary(b.name));
  const external = sdkExternal ? withRatio(summary(sdkExternal.name)) : undefined;
  const [worstName, worst] = Object.entries(perFunction).sort((a, b) => b[1].ratio - a[1].ratio)[0] ?? [
    'none',
    { ratio: 0, wallMs: 0, importMs: 0 },
  ];
  return {
    figures: {
      ratio: worst.ratio,
      worstFunction: worstName,
      helloWorldMs: hello.wallMs,
      helloWorldImportMs: hello.importMs,
      perFunction,
      ...(sdkExternal && external ? { sdkExternal: { function: sdkExternal.entry, ...external, bytes: sdkExternal.bytes } } : {}),
      runs,
      node: process.version,
      method:
        'median wall time of a fresh `node` process (start, import the bundle with the AWS SDK inside, exit), NODE_OPTIONS=--enable-source-maps',
    },
    rows: [
      {
        key: 'coldImport.ratio',
        label: `worst: ${worstName} ${worst.wallMs} ms vs hello-world ${hello.wallMs} ms (fresh process, SDK bundled, median of ${runs})`,
        value: worst.ratio,
        unit: '×',
        target: { op: '<=', value: COLD_IMPORT_TARGET_RATIO },
      },
      ...(external
        ? [
            {
              key: 'coldImport.sdkExternal.ratio',
              label: `${sdkExternal?.name} with the SDK left to the runtime (as before): ${external.wallMs} ms, import ${external.importMs} ms`,
              value: external.ratio,
              unit: '×',
            },
          ]
        : []),
      ...Object.entries(perFunction).map(([name, f]) => ({
        key: `coldImport.perFunction.${name}.ratio`,
        label: `${f.wallMs} ms process, of which import ${f.importMs} ms (hello-world import ${hello.importMs} ms)`,
        value: f.ratio,
        unit: '×',
      })),
    ],
  };
}
