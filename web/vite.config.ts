import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into dist/web, which the control plane serves at / (src/server/routes/dashboard-routes.ts).
// Everything is bundled: the dashboard loads no script, font or style from elsewhere.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: '../dist/web', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  logLevel: 'warn',
});
