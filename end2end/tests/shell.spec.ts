import { chromium } from '@playwright/test';
import { expect, test } from './fixtures';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '../playwright.config';

test('the theme switch is remembered across a reload', async ({ page }) => {
  await page.goto('/');
  const toggle = page.getByTestId('theme-toggle');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  await expect(toggle).toHaveAttribute('data-theme-choice', 'system');
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await toggle.click();
  await expect(toggle).toHaveAttribute('data-theme-choice', 'light');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  const lightBg = await background();
  await toggle.click();
  await expect(toggle).toHaveAttribute('data-theme-choice', 'dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  const darkBg = await background();
  expect(darkBg).not.toBe(lightBg);
  // The dark palette really is dark: its red channel is low.
  expect(Number(/\d+/.exec(darkBg)?.[0])).toBeLessThan(60);

  await page.reload();
  // Applied before first paint by the boot script, then shown by the hydrated toggle.
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByTestId('theme-toggle')).toHaveAttribute('data-theme-choice', 'dark');
  expect(await background()).toBe(darkBg);

  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).not.toHaveAttribute('data-theme', /.+/);
  await page.reload();
  await expect(page.getByTestId('theme-toggle')).toHaveAttribute('data-theme-choice', 'system');
});

test('the manifest and icons are served and the service worker registers', async ({ page, request }) => {
  const manifest = await request.get('/manifest.webmanifest');
  expect(manifest.ok()).toBeTruthy();
  const body = await manifest.json();
  expect(body.name).toBe('OS Platforms');
  expect(body.display).toBe('standalone');
  const sizes = body.icons.map((i: { sizes: string }) => i.sizes);
  expect(sizes).toEqual(expect.arrayContaining(['192x192', '512x512']));
  for (const icon of body.icons) {
    const r = await request.get(icon.src);
    expect(r.ok(), icon.src).toBeTruthy();
    expect(r.headers()['content-type']).toBe('image/png');
  }

  await page.goto('/');
  const scriptUrl = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return registration.active?.scriptURL ?? '';
  });
  // The worker (and its cache of the bundles) is named by the build, so a new build replaces it.
  const build = await page.locator('meta[name="osp-build"]').getAttribute('content');
  expect(build).toMatch(/^[0-9a-f]{16}$/);
  expect(scriptUrl).toMatch(new RegExp(`/sw\\.js\\?v=${build}$`));
});

test('the browser is sent the wasm bundle compressed', async ({ page }) => {
  const wasm = page.waitForResponse((r) => r.url().endsWith('/pkg/osp.wasm'));
  await page.goto('/');
  const response = await wasm;
  expect(response.status()).toBe(200);
  // Chromium accepts brotli: the ~0.9 MB sibling, not the 3.7 MB bundle.
  expect(response.headers()['content-encoding']).toBe('br');
  const sizes = await response.request().sizes();
  expect(sizes.responseBodySize).toBeLessThan(1_000_000);
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
});

test('Chromium finds the app installable: no installability errors', async ({ baseURL }) => {
  // What Chromium itself checks before it offers "Install app" (manifest, icons, start URL,
  // display mode, a service worker): each problem is named. Playwright's usual contexts are
  // private windows, where Chromium checks nothing else ("in-incognito"): this one has a
  // profile on disk, as an installed browser does (and no session: the sign-in page).
  const profile = mkdtempSync(join(tmpdir(), 'osp-install-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    baseURL,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const problems = async () => {
      await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
      });
      const cdp = await context.newCDPSession(page);
      const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
      return installabilityErrors.map((e) => e.errorId);
    };
    // First the check itself: a page that links no manifest is named as not installable.
    await page.route('/', async (route) => {
      const html = await (await route.fetch()).text();
      await route.fulfill({ contentType: 'text/html', body: html.replace('rel="manifest"', 'rel="x-none"') });
    });
    await page.goto('/');
    expect(await problems()).toContain('no-manifest');
    await page.unroute('/');

    await page.goto('/');
    expect(await problems()).toEqual([]);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test('offline, the installed shell still opens and says it is offline', async ({ page, context }) => {
  await page.goto('/');
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  // Controlled from this load on; let the worker keep the page and bundles.
  await page.reload();
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);

  await context.setOffline(true);
  await expect(page.getByTestId('offline-notice')).toBeVisible();
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'offline');

  await page.reload();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(page.getByTestId('offline-notice')).toBeVisible();
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'offline');
  await context.setOffline(false);
});

test('a 375 px phone screen has no horizontal scroll', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  for (const path of ['/', '/instrument/738561', '/levels', '/alerts', '/orders', '/account', '/settings', '/nowhere']) {
    await page.goto(path);
    await page.waitForLoadState('networkidle').catch(() => undefined);
    const { scroll, client } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    expect(scroll, `${path} scrolls sideways`).toBeLessThanOrEqual(client);
  }
  // The navigation is reachable as a bottom bar.
  await page.goto('/');
  const nav = page.getByRole('navigation', { name: 'Main' });
  const box = await nav.boundingBox();
  expect(box && box.y + box.height).toBeGreaterThan(700);
  // The logo, shown without its words here, still names the link for a screen reader.
  await expect(page.locator('.brand span')).toBeHidden();
  await expect(page.getByRole('link', { name: 'OS Platforms, dashboard' })).toBeVisible();
  await context.close();
});

// A hydration mismatch panics the wasm and leaves the page dead while it still looks right:
// every page must hydrate without a page error. Nor may the page's Content-Security-Policy
// block anything of the app's own (a script without the page's nonce, say).
for (const path of ['/', '/levels', '/orders', '/trades', '/account', '/settings', '/users', '/alerts', '/instrument/408065']) {
  test(`${path} hydrates without an error`, async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) errors.push(m.text());
    });
    await page.goto(path);
    await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
    // A panic during hydration is reported as the page's error right after it.
    await page.waitForTimeout(300);
    expect(errors).toEqual([]);
  });
}

test('the sign-in page hydrates under its CSP without an error', async ({ browser }) => {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) errors.push(m.text());
  });
  await page.goto('/login');
  // The button is enabled by the hydrated page only.
  await expect(page.getByTestId('login-submit')).toBeEnabled();
  await page.waitForTimeout(300);
  expect(errors).toEqual([]);
  await context.close();
});
