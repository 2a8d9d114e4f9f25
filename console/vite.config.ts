import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The merchant console: `npm run build:console` type-checks it (`tsc -p console`) and builds it into
 * console/dist, which the local runtime serves at `/` (infra/local/http-adapter.ts). Preact's JSX is
 * compiled by Vite's own esbuild step, so no framework plugin is needed.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Observable Plot (with d3) is a chunk of its own, loaded by the first chart (src/components/chart.tsx).
    chunkSizeWarningLimit: 400,
    rollupOptions: {
      output: {
        manualChunks: (id) =>
          /node_modules\/(@observablehq|d3-|d3\/|interval-tree|isoformat|binary-search|delaunator|robust-predicates|internmap)/.test(id)
            ? 'plot'
            : undefined,
      },
    },
  },
});
