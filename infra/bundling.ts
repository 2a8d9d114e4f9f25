/**
 * How every function is bundled, in one place with no CDK import: the house construct
 * (rapport-function.ts) hands it to NodejsFunction, and the benchmarks (bench/bundling.ts) build the
 * very same bundles with esbuild to measure them.
 */
export const rapportBundling = {
  format: 'esm',
  target: 'node22',
  minify: true,
  sourceMap: true,
  // Node maps stack frames with the mappings alone; the sources' text only made the map three times
  // as big, and --enable-source-maps reads and parses the whole map at init (~8 ms for the webhook).
  sourcesContent: false,
  // Prefer the ESM build of dependencies so esbuild can tree-shake them.
  mainFields: ['module', 'main'],
  // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
  banner: "import { createRequire as rapportCreateRequire } from 'node:module'; const require = rapportCreateRequire(import.meta.url);",
  // Nothing is left to the runtime, the AWS SDK included: the Node.js 22 runtime's own SDK is
  // unbundled (hundreds of files resolved and compiled at init), and importing it cost the webhook
  // 470–725 ms of init against 270–395 ms with only the commands it sends bundled, tree-shaken and
  // minified (bench/cold-import.ts measures this). It also pins the SDK version to package-lock.json.
  externalModules: [],
} as const;
