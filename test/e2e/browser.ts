/**
 * A real browser for the dashboard's tests and benchmark: playwright-core driving the system's
 * Chromium (Debian's /usr/bin/chromium, installed by .ci/run), headless, against a real
 * `strata up` over its default HTTPS. No browser is downloaded; when Chromium is missing the
 * caller fails with a message saying how to install it.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from './support.js';

export const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');

/** Long enough for a cold page load on a shared CI machine; the dashboard needs well under a second. */
export const UI_TIMEOUT_MS = 20_000;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the dashboard's browser tests need it (apt-get install chromium; .ci/run installs it), or set STRATA_CHROMIUM to another Chromium binary`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // performance.memory reports real heap sizes only with this.
      '--enable-precise-memory-info',
    ],
  });
}

/**
 * A fresh browser profile (own sessionStorage) trusting the control plane's self-signed CA.
 * `bypassCSP` lets a harness evaluate string expressions in the page, which the dashboard's
 * Content-Security-Policy (no eval) refuses otherwise.
 */
export async function newContext(
  browser: Browser,
  options: { bypassCSP?: boolean } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1440, height: 1000 },
    bypassCSP: options.bypassCSP ?? false,
  });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  return context;
}

/** Opens the dashboard at `url` and signs in by pasting `token`, as a user would; resolves on the fleet page. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.locator('input[name="token"]').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('whoami').waitFor();
}

/** Navigates with the dashboard's own menu, so the app's state (and its watches) live on. */
export async function openPage(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: label, exact: true }).click();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
