import { expect, test } from './fixtures';

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
  const prices = async () => (await page.getByTestId('ltp').allTextContents()).join('|');
  const before = await prices();
  await expect.poll(prices, { timeout: 5_000 }).not.toBe(before);
  await expect(page.getByTestId('quote-row')).toHaveCount(7);
  for (const ltp of await page.getByTestId('ltp').allTextContents()) {
    expect(ltp.trim()).toMatch(INDIAN_PRICE);
  }
});

test('a watchlist: create, search and add with the keyboard, reorder, remove; it persists', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  // A list of its own, so the other tests keep seeing the starter list.
  await page.getByTestId('new-watchlist').click();
  await page.getByTestId('new-watchlist-name').fill('E2E list');
  await page.getByTestId('new-watchlist-name').press('Enter');
  const tab = page.getByTestId('watchlist-tab').filter({ hasText: 'E2E list' });
  await expect(tab).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('quote-row')).toHaveCount(0);

  const search = page.getByTestId('instrument-search');
  for (const query of ['ITC', 'SBIN', 'INFY']) {
    await search.fill(query);
    await expect(page.getByTestId('search-result').first()).toContainText(query);
    await search.press('Enter');
  }
  const symbols = page.getByTestId('quote-row').getByTestId('symbol');
  await expect(symbols).toHaveText(['ITC', 'SBIN', 'INFY']);
  // Arrow keys move through the results; Escape closes them.
  await search.fill('NIFTY');
  await expect(page.getByTestId('search-result').first()).toBeVisible();
  await search.press('ArrowDown');
  await expect(page.getByTestId('search-result').nth(1)).toHaveAttribute('aria-selected', 'true');
  await search.press('Escape');
  await expect(page.getByTestId('search-results')).toBeHidden();

  // Prices arrive for the new instruments.
  await expect(page.getByTestId('quote-row').first().getByTestId('ltp')).toHaveText(INDIAN_PRICE);
  // INFY to the top, SBIN removed.
  await page.locator('[data-testid=quote-row]', { hasText: 'INFY' }).getByTestId('move-up').click();
  await expect(symbols).toHaveText(['ITC', 'INFY', 'SBIN']);
  await page.locator('[data-testid=quote-row]', { hasText: 'INFY' }).getByTestId('move-up').click();
  await expect(symbols).toHaveText(['INFY', 'ITC', 'SBIN']);
  await page.locator('[data-testid=quote-row]', { hasText: 'SBIN' }).getByTestId('remove').click();
  await expect(symbols).toHaveText(['INFY', 'ITC']);
  // A duplicate is refused with a reason.
  await search.fill('ITC');
  await expect(page.getByTestId('search-result').first()).toContainText('ITC');
  await search.press('Enter');
  await expect(page.getByTestId('watch-message')).toContainText('already on this watchlist');

  await page.reload();
  await page.getByTestId('watchlist-tab').filter({ hasText: 'E2E list' }).click();
  await expect(symbols).toHaveText(['INFY', 'ITC']);
  // Expanding a row shows depth and the day's OHLC.
  await page.locator('[data-testid=quote-row]', { hasText: 'INFY' }).getByTestId('expand-row').click();
  await expect(page.getByTestId('depth')).toContainText('Prev. close');

  await page.getByTestId('delete-watchlist').click();
  await expect(page.getByTestId('watchlist-tab')).toHaveCount(1);
  await expect(page.getByTestId('quote-row')).toHaveCount(7);
});

test('the instrument page charts candles and updates live', async ({ page }) => {
  await page.goto('/');
  await page.locator('[data-testid=quote-row]', { hasText: 'RELIANCE' }).getByTestId('chart-link').click();
  await expect(page).toHaveURL(/\/instrument\/738561$/);
  await expect(page.getByRole('heading', { name: /RELIANCE/ })).toBeVisible();
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const candles = page.getByTestId('candle');
  await expect.poll(() => candles.count()).toBeGreaterThan(10);
  // The last candle's close and the LTP follow the stream.
  const last = async () => (await candles.last().locator('title').textContent()) ?? '';
  const before = await last();
  await expect.poll(last, { timeout: 10_000 }).not.toBe(before);
  await expect(page.getByTestId('instrument-ltp')).toHaveText(INDIAN_PRICE);
  await expect(page.getByTestId('instrument-session')).toContainText('Market open');
  await expect(page.getByTestId('depth')).toContainText('Open');
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
  await expect(page.getByRole('heading', { name: 'Levels', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Levels' })).toHaveAttribute('aria-current', 'page');
  const response = await page.goto('/no-such-page');
  expect(response?.status()).toBe(404);
  await expect(page.getByTestId('not-found')).toBeVisible();
});
