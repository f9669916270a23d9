import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The operator console, served by the API at /console (see docs/console.md). */
export default defineConfig({
  root,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
  },
  server: {
    // `npx vite --config web/vite.config.ts` while the API runs on its default port.
    proxy: { '/v1': process.env.CHATPAY_API_URL ?? 'http://localhost:3000' },
  },
});
