import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { totpCode } from '../../src/users/index.ts';

const distDir = fileURLToPath(new URL('../../web/dist', import.meta.url));
const artifactsDir = fileURLToPath(new URL('../../test-artifacts/console', import.meta.url));

/** The console as `npm run build` makes it (CI builds it first; a local run builds it once). */
export async function builtConsole(): Promise<string> {
  if (!existsSync(`${distDir}/index.html`)) {
    const vite = await import('vite');
    await vite.build({
      configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)),
      logLevel: 'warn',
    });
  }
  return distDir;
}

/**
 * Debian's headless Chromium (never a downloaded one). As root it needs --no-sandbox; the other
 * flags keep it off the network it has no business reaching.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}

/** A full-page screenshot kept as a test artifact (test-artifacts/console/<name>.png). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(artifactsDir, { recursive: true });
  await page.screenshot({ path: `${artifactsDir}/${name}.png`, fullPage: true });
}

/**
 * Signs in through the page as a person would: email and password, then (first sign-in) reads the
 * secret the page shows for the authenticator app and types the code it would display.
 */
export async function signInThroughPage(
  page: Page,
  baseUrl: string,
  login: { email: string; password: string },
  options: { screenshots?: boolean } = {},
): Promise<string> {
  await page.goto(`${baseUrl}/console/`);
  await page.getByLabel('Email').fill(login.email);
  await page.getByLabel('Password').fill(login.password);
  if (options.screenshots) await screenshot(page, '01-sign-in');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect.poll(() => page.locator('code.secret').count()).toBe(1);
  const secret = (await page.locator('code.secret').textContent())?.trim() ?? '';
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  if (options.screenshots) await screenshot(page, '02-totp-enrolment');
  await page.getByLabel('Authentication code').fill(totpCode(secret));
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  return secret;
}
