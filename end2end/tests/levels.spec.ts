import { expect, test } from './fixtures';
import { waitForTrigger } from './levels-helper';

// Demo mode end to end: a level set one tick beyond the live price is crossed by the simulated
// market, places exactly one order, which fills at the simulator; the level shows triggered,
// its events name the order; bad input is refused field by field; delete has an undo.

const paise = (text: string) => Math.round(parseFloat(text.replace(/,/g, '')) * 100);

test('a level beyond the live price triggers once and its order fills', async ({ page, browser }) => {
  await page.goto('/levels');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  await expect(page.getByTestId('level-count')).toHaveText('0 levels');

  const search = page.getByTestId('level-form').getByTestId('instrument-search');
  await search.fill('SBIN');
  await expect(page.getByTestId('search-result').first()).toContainText('SBIN');
  await search.press('Enter');
  await expect(page.getByTestId('form-instrument')).toHaveText('SBIN NSE');
  await expect(page.getByTestId('form-ltp')).toHaveText(/\d+\.\d{2}/);

  // Wrong input: the field says what is wrong, nothing is stored.
  await page.getByTestId('level-price').fill('8l2');
  await page.getByTestId('level-quantity').fill('0');
  await page.getByTestId('save-level').click();
  await expect(page.getByTestId('problem-price')).toBeVisible();
  await expect(page.getByTestId('problem-quantity')).toContainText('at least 1');
  await expect(page.getByTestId('level-count')).toHaveText('0 levels');

  // One tick (₹0.05) above the live price, either way: the random walk goes through it soon.
  const ltp = paise((await page.getByTestId('form-ltp').textContent()) ?? '');
  await page.getByTestId('level-price').fill(((ltp + 5) / 100).toFixed(2));
  await page.getByTestId('level-quantity').fill('2');
  await page.getByTestId('level-trigger').selectOption('either');
  await page.getByTestId('level-on_down').selectOption('sell');
  await page.getByTestId('level-note').fill('e2e breakout');
  await page.getByTestId('save-level').click();
  await expect(page.getByTestId('level-count')).toHaveText('1 level');
  const row = page.getByTestId('level-row');
  await expect(row).toContainText('SBIN');
  await expect(row.getByTestId('level-ltp')).toHaveText(/\d+\.\d{2}/);

  await waitForTrigger(page, row);
  await expect(row.getByTestId('level-last-trigger')).not.toHaveText('—');
  // Exactly one order per trigger. Usually one trigger; but when the market wandered off,
  // waitForTrigger edited the level back next to the price, and an edit re-arms it: a crossing
  // just before that edit and one after it are two triggers, each with its own one order.
  const event = (kind: string) =>
    page.getByTestId('level-event').filter({ has: page.locator('strong', { hasText: new RegExp(`^${kind}$`) }) });
  await expect(event('order placed').first()).toBeVisible({ timeout: 5_000 });
  await expect(async () => {
    expect(await event('order placed').count()).toBe(await event('triggered').count());
  }).toPass({ timeout: 5_000 });
  const orders = await event('order placed').count();
  expect(orders).toBeGreaterThanOrEqual(1);

  await page.getByRole('link', { name: 'Orders' }).first().click();
  // This level's orders (specs before this one on the same server place manual orders too).
  const order = page.locator('[data-testid="order-row"][data-level]').filter({ hasText: 'SBIN' });
  await expect(order).toHaveCount(orders);
  for (let i = 0; i < orders; i++) {
    await expect(order.nth(i)).toHaveAttribute('data-state', 'filled', { timeout: 10_000 });
    await expect(order.nth(i).getByTestId('order-average')).toHaveText(/\d+\.\d{2}/);
  }

  // The Levels page is whole without scripts too: the server rendered the level.
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const plain = await noJs.newPage();
  await plain.goto('/levels');
  await expect(plain.getByTestId('level-row')).toHaveAttribute('data-phase', 'triggered');
  await noJs.close();

  // Delete, then undo.
  await page.goto('/levels');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  await page.getByTestId('delete-level').click();
  await expect(page.getByTestId('level-row')).toHaveCount(0);
  await expect(page.getByTestId('undo-delete')).toContainText('SBIN');
  await page.getByTestId('undo').click();
  await expect(page.getByTestId('level-row')).toHaveCount(1);
  await expect(page.getByTestId('level-row')).toContainText('e2e breakout');
});
