import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Built into web/dist and served by the monitor service at /; relative asset paths so the page also
// works behind a path prefix. Everything is bundled: the page makes no request beyond its own origin.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 200,
  },
});
