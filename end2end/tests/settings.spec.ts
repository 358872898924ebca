import { expect, test } from '@playwright/test';

// The Settings page's workers: the trading worker shows running, and a restart from the page
// brings it back running.

test('the workers show their state and a restart brings the trading worker back', async ({ page }) => {
  await page.goto('/settings');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const trading = page.locator('[data-testid="worker-row"][data-worker="trading"]');
  await expect(trading).toHaveAttribute('data-phase', 'running');
  await expect(trading).toContainText('since');
  await trading.getByTestId('restart-worker').click();
  await expect(page.getByTestId('workers-message')).toContainText('The trading worker is starting again.');
  await expect(trading).toHaveAttribute('data-phase', 'running');
});
