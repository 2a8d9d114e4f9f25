import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The storefront widget: `npm run build:widget` type-checks it (`tsc -p widget`) and builds it into
 * ONE file, widget/dist/rapport-loyalty.js — an IIFE a shop adds with a plain `<script>` tag, with
 * Preact and the styles inside (the styles go into the element's shadow root, so there is no CSS
 * file). The local runtime serves it at /widget/rapport-loyalty.js; on AWS the console's
 * distribution does (infra/console-hosting.ts).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  // Library mode leaves process.env.NODE_ENV alone; a storefront has no `process`.
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    copyPublicDir: false,
    lib: {
      entry: fileURLToPath(new URL('./src/main.tsx', import.meta.url)),
      name: 'RapportLoyalty',
      formats: ['iife'],
      fileName: () => 'rapport-loyalty.js',
    },
  },
});
