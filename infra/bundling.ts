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
  // Prefer the ESM build of dependencies so esbuild can tree-shake them.
  mainFields: ['module', 'main'],
  // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
  banner: "import { createRequire as rapportCreateRequire } from 'node:module'; const require = rapportCreateRequire(import.meta.url);",
  // The Node.js 22 Lambda runtime ships AWS SDK v3; bundling it would only grow cold starts.
  externalModules: ['@aws-sdk/*'],
} as const;
