// A server built any other way than `cargo leptos build --release` must still serve pages that
// come alive, and a page whose browser code is from another build must say so instead of
// silently never hydrating (both carry one build id: app/src/build_info.rs).
import { expect, test } from './fixtures';
import { existsSync, readFileSync } from 'node:fs';
import { ADMIN_STATE } from '../playwright.config';
import { OwnServer, stopServer } from './own-server';

// The debug server the Rust tests built with plain cargo (no cargo-leptos environment, the
// features the test build unifies), serving the site cargo-leptos built for the release.
const PLAIN_BUILD = '../target/debug/osp';

test('a server built with plain cargo serves the cargo-leptos site, and its pages hydrate', async ({ browser }) => {
  expect(existsSync(PLAIN_BUILD), `${PLAIN_BUILD} is built by the Rust tests before this suite`).toBe(true);
  const own = new OwnServer(Number(process.env.OSP_E2E_PLAIN_PORT ?? 3110), 'plain-build', {}, PLAIN_BUILD);
  const child = await own.start();
  try {
    const context = await browser.newContext({ storageState: undefined });
    const page = await context.newPage();
    await page.goto(`${own.base}/setup`);
    // Either it hydrates or the mismatch is named. The test command builds both from one
    // checkout, so there they match and the page must come alive; a debug server left over
    // from other sources must name the site's build and its own instead.
    const pageBuild = await page.locator('meta[name="osp-build"]').getAttribute('content');
    const wasm = readFileSync('../target/site/pkg/osp.wasm').toString('latin1');
    const siteBuild = /osp-build-id:([0-9a-f]{16});/.exec(wasm)?.[1];
    expect(siteBuild, 'the site built by cargo-leptos names its build').toMatch(/^[0-9a-f]{16}$/);
    if (pageBuild === siteBuild) {
      await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
      await expect(page.getByTestId('build-mismatch')).toHaveCount(0);
    } else {
      const banner = page.getByTestId('build-mismatch').first();
      await expect(banner).toContainText(`from build ${siteBuild}`);
      await expect(banner).toContainText(`build ${pageBuild}`);
      await expect(banner).toContainText('cargo leptos build --release');
    }
    await context.close();
  } finally {
    await stopServer(child);
  }
});

test('a page from another build is named by the browser code instead of hydrating', async ({ browser }) => {
  // The browser keeps a bundle from an earlier build (its cache, the service worker) while the
  // server has moved on: here the page is rewritten to name another build. (No service worker
  // here: the requests it makes are not routed through the test.)
  const context = await browser.newContext({ storageState: ADMIN_STATE, serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.route((url) => url.pathname === '/', async (route) => {
    const response = await route.fetch();
    const html = (await response.text()).replace(
      /<meta name="osp-build" content="[0-9a-f]{16}"/,
      '<meta name="osp-build" content="00000000000000ff"',
    );
    await route.fulfill({ response, body: html });
  });
  await page.goto('/');
  const banner = page.getByTestId('build-mismatch');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('build 00000000000000ff');
  await expect(banner).toContainText('reload');
  await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
  await context.close();
});

test('the pages of this build hydrate and name their build', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.locator('meta[name="osp-build"]')).toHaveAttribute('content', /^[0-9a-f]{16}$/);
  await expect(page.getByTestId('build-mismatch')).toHaveCount(0);
});
