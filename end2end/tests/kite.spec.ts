// The Kite connection in a browser: Connect Kite goes to the simulator's login page (playing
// Kite's) and back, the Settings page names the connected user; Disconnect ends it and every
// page's top bar says to reconnect; connecting again clears that (and leaves the shared server connected for the specs after this one).
import { Page } from '@playwright/test';
import { expect, test } from './fixtures';

async function connectKite(page: Page) {
  await page.goto('/settings');
  const card = page.getByTestId('kite-card');
  await expect(card).toBeVisible();
  await card.getByTestId('kite-connect').click();
  // The simulator's login page, on its own address.
  await expect(page.getByRole('heading', { name: 'Kite simulator' })).toBeVisible();
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/settings\?kite=connected/);
  await expect(page.getByTestId('kite-message')).toHaveText('Kite is connected.');
  await expect(page.getByTestId('kite-user')).not.toHaveText('');
}

test('Connect Kite logs in on the login page and comes back connected; Disconnect ends it', async ({ page }) => {
  await connectKite(page);
  await expect(page.getByTestId('session-expired-badge')).toHaveCount(0);
  await page.getByTestId('kite-disconnect').click();
  await expect(page.getByTestId('kite-message')).toContainText('Kite is disconnected');
  await expect(page.getByTestId('kite-disconnected')).toBeVisible();
  // Every page's top bar says so, and links to where to reconnect.
  await expect(page.getByTestId('session-expired-badge')).toBeVisible();
  await page.goto('/orders');
  await expect(page.getByTestId('session-expired-badge')).toHaveAttribute('href', '/settings');
  await connectKite(page);
  await expect(page.getByTestId('session-expired-badge')).toHaveCount(0);
});

test('the Kite app secret is taken, never shown again', async ({ page }) => {
  await page.goto('/settings');
  // Typed after hydration: the form's signals would otherwise start empty over it.
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  const card = page.getByTestId('kite-card');
  await card.getByTestId('kite-api-key').fill('x');
  await card.getByTestId('kite-api-secret').fill('y');
  await card.getByTestId('kite-save-app').click();
  await expect(card.getByTestId('kite-message')).toContainText('the API key is 6 to 64 letters and digits');
  await card.getByTestId('kite-api-key').fill('e2eapp123');
  await card.getByTestId('kite-api-secret').fill('e2eSecretValue99');
  await card.getByTestId('kite-save-app').click();
  await expect(card.getByTestId('kite-message')).toHaveText('The Kite app is saved; its secret is stored encrypted.');
  await expect(card.getByTestId('kite-api-secret')).toHaveValue('');
  await page.reload();
  await expect(card.getByTestId('kite-api-key')).toHaveAttribute('placeholder', 'e2eapp123');
  expect(await page.content()).not.toContain('e2eSecretValue99');
});
