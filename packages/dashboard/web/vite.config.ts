import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Relative asset URLs: the dashboard works under whatever prefix the service registers it at.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The whole app is a few dozen kB: one script and one stylesheet, no lazy chunks to fetch.
    modulePreload: false,
    assetsInlineLimit: 0,
  },
});
