import { expect, test } from '@playwright/test';

// An LTP in Indian grouping with two or more decimals: 812.40, 1,875.10, 52,273.65.
const INDIAN_PRICE = /^\d{1,2}(,\d{2})*(,\d{3})?\.\d{2,4}$|^\d{1,3}\.\d{2,4}$/;

test('the dashboard is rendered on the server, before any script runs', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(page.getByTestId('mode-badge')).toHaveText('DEMO');
  await expect(page.getByTestId('quote-row')).toHaveCount(7);
  for (const ltp of await page.getByTestId('ltp').allTextContents()) {
    expect(ltp.trim()).toMatch(INDIAN_PRICE);
  }
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'connecting');
  await context.close();
});

test('after hydration the stream goes live and prices update', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const updated = page.getByTestId('market-updated');
  const before = await updated.textContent();
  await expect(updated).not.toHaveText(before ?? '', { timeout: 5_000 });
  await expect(page.getByTestId('quote-row')).toHaveCount(7);
});

test('the refresh button calls the status server function from the browser', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const time = page.getByTestId('status-time');
  const before = await time.textContent();
  await page.waitForTimeout(1_100);
  const call = page.waitForResponse((r) => r.url().endsWith('/api/status') && r.status() === 200);
  await page.getByTestId('refresh-status').click();
  await call;
  await expect(time).not.toHaveText(before ?? '');
  await expect(time).toHaveText(/^\d{2}:\d{2}:\d{2} IST$/);
});

test('navigation works and unknown pages say not found', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  await page.getByRole('link', { name: 'Levels' }).click();
  await expect(page).toHaveURL(/\/levels$/);
  await expect(page.getByRole('heading', { name: 'Levels' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Levels' })).toHaveAttribute('aria-current', 'page');
  const response = await page.goto('/no-such-page');
  expect(response?.status()).toBe(404);
  await expect(page.getByTestId('not-found')).toBeVisible();
});
