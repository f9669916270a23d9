import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../shared/logger.ts';

/** The console's build output, served at /console. */
export const consoleDistDir = fileURLToPath(new URL('../../web/dist', import.meta.url));
const viteConfig = fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url));

/**
 * `chatpay start` on a fresh checkout: builds the console once if it was never built (Vite is a
 * development dependency, present after `npm ci`). A production image builds it with `npm run build`
 * instead, and a missing build only makes /console say so.
 */
export async function ensureConsoleBuilt(logger: Logger): Promise<string | undefined> {
  if (existsSync(`${consoleDistDir}/index.html`)) return consoleDistDir;
  if (!existsSync(viteConfig)) return undefined;
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    logger.warn('the console is not built and Vite is not installed: run `npm ci && npm run build`');
    return undefined;
  }
  logger.info('building the console (first run)');
  await vite.build({ configFile: viteConfig, logLevel: 'warn' });
  return existsSync(`${consoleDistDir}/index.html`) ? consoleDistDir : undefined;
}
