import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

/** Where `npm run build:web` writes the bundle; the API serves it (WEB_DIST_DIR) and the frontend image copies it. */
export const DEFAULT_WEB_OUT_DIR = fileURLToPath(new URL('../../build/web', import.meta.url));

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  // The API's CSP allows only same-origin scripts: no inline module preload polyfill, no eval.
  build: {
    outDir: DEFAULT_WEB_OUT_DIR,
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 1000,
  },
  server: {
    // `npx vite app/web` during development: the API on its default port answers /api.
    proxy: { '/api': 'http://127.0.0.1:8000' },
  },
});
