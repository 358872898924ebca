import { expect, test } from './fixtures';

// Levels on the chart: a click on the instrument's chart opens the level form at the price
// under it (on the tick grid); the saved level is drawn as a line.

test('a click on the chart sets a level there and it is drawn', async ({ page }) => {
  await page.goto('/instrument/408065');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const chart = page.getByTestId('candle-chart');
  await expect(chart.getByTestId('candle').first()).toBeVisible();
  const lines = chart.locator('.price-line');
  const before = await lines.count();

  const box = await chart.boundingBox();
  if (!box) throw new Error('the chart has no box');
  await chart.click({ position: { x: box.width / 3, y: box.height / 2 } });
  await expect(page.getByTestId('form-instrument')).toHaveText('INFY NSE');
  const price = await page.getByTestId('level-price').inputValue();
  expect(price).toMatch(/^[\d,]+\.\d{2}$/);
  // On INFY's ₹0.05 grid.
  expect(Math.round(parseFloat(price.replace(/,/g, '')) * 100) % 5).toBe(0);

  // Disabled: it must not trade on the shared server.
  await page.getByTestId('level-enabled').uncheck();
  await page.getByTestId('level-note').fill('from the chart');
  await page.getByTestId('save-level').click();
  await expect(lines).toHaveCount(before + 1);
  await expect(lines.last()).toContainText(price);

  // Leave the shared server as it was.
  await page.goto('/levels');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const row = page.getByTestId('level-row').filter({ hasText: 'from the chart' });
  await row.getByTestId('delete-level').click();
  await expect(row).toHaveCount(0);
});
