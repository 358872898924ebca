import { Page } from '@playwright/test';
import { expect, holdWasm, test } from './fixtures';

// The release build is split by route (app/src/pages/routes.rs): the dashboard downloads the
// main module and its own group's code, not the desks' or the admin pages'; a desk's code
// arrives when a desk is first opened, and the page it renders works.

type Manifest = Record<string, string[]>;

/// The wasm files this page fetched (its own requests, not the service worker's).
const wasmFetched = (page: Page) =>
  page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => new URL(e.name).pathname)
      .filter((p) => p.endsWith('.wasm')),
  );

/// The split module of a group (`split___desk_page_….wasm`), which holds what only it uses.
const splitModule = (manifest: Manifest, group: string) => {
  const key = Object.keys(manifest).find((k) => k.startsWith(`${group}_`));
  expect(key, `${group} in the split manifest`).toBeTruthy();
  const file = manifest[key!].find((f) => f.startsWith('split_'));
  expect(file, `${group}'s own module`).toBeTruthy();
  return `/pkg/${file}.wasm`;
};

test('the dashboard loads only its own pages\' code; a desk\'s arrives with the desk', async ({ page, request }) => {
  const manifest: Manifest = await (await request.get('/pkg/__wasm_split_manifest.json')).json();
  const trading = splitModule(manifest, 'trading_page');
  const desks = splitModule(manifest, 'desk_page');
  const admin = splitModule(manifest, 'admin_page');

  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  let fetched = await wasmFetched(page);
  expect(fetched).toContain('/pkg/osp.wasm');
  expect(fetched).toContain(trading);
  expect(fetched).not.toContain(desks);
  expect(fetched).not.toContain(admin);

  // Moving to a desk in the page (no reload) fetches its code, and the desk works.
  await page.getByRole('link', { name: 'Levels', exact: true }).click();
  await expect(page).toHaveURL(/\/levels$/);
  await expect(page.getByTestId('level-count')).toHaveText(/\d+ levels?/);
  fetched = await wasmFetched(page);
  expect(fetched).toContain(desks);
  expect(fetched).not.toContain(admin);
  const search = page.getByTestId('level-form').getByTestId('instrument-search');
  await search.fill('SBIN');
  await expect(page.getByTestId('search-result').first()).toContainText('SBIN');
});

test('a desk opened directly hydrates once its code has arrived', async ({ page }) => {
  await page.goto('/orders');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  // Hydrated means the route too: the nav moves in the page, without a reload.
  const marker = await page.evaluate(() => {
    (window as unknown as { stayed: boolean }).stayed = true;
    return true;
  });
  expect(marker).toBe(true);
  await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
});

// While a page's code is on its way (a phone's network; a desk's chunk), people type: the
// instrument search keeps the text and searches it once the page is alive.
test('a search typed before the page comes alive is searched once it does', async ({ page }) => {
  const release = await holdWasm(page);
  await page.goto('/levels');
  const search = page.getByTestId('level-form').getByTestId('instrument-search');
  await search.fill('SBIN');
  await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
  release();
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await expect(search).toHaveValue('SBIN');
  await expect(page.getByTestId('search-result').first()).toContainText('SBIN');
  // Picked, the box is empty for the next search.
  await search.press('Enter');
  await expect(page.getByTestId('form-instrument')).toHaveText('SBIN NSE');
  await expect(search).toHaveValue('');
});
