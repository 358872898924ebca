import { expect, test } from './fixtures';

// Demo mode: the Account page reads the broker's positions (the simulator's, as Kite's would
// be) and says of each whether the app manages it — a trade of its own — or it is outside.

test('the account page shows the broker position a manual order made, as the trade of the app', async ({
  page,
}) => {
  await page.goto('/orders');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const search = page.getByTestId('order-ticket').getByTestId('instrument-search');
  await search.fill('SBIN');
  await expect(page.getByTestId('search-result').first()).toContainText('SBIN');
  await search.press('Enter');
  await expect(page.getByTestId('ticket-instrument')).toHaveText('SBIN NSE');
  await page.getByTestId('ticket-review').click();
  await page.getByTestId('ticket-confirm').click();
  await expect(page.getByTestId('ticket-message')).toContainText(/Order #\d+/);

  await page.getByRole('link', { name: 'Account', exact: true }).first().click();
  await expect(page.getByRole('heading', { name: 'Account', exact: true })).toBeVisible();
  // Read again every 15 s; a reload reads it now.
  const row = page.getByTestId('account-position').filter({ hasText: 'SBIN' });
  await expect(async () => {
    await page.reload();
    await expect(row).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(row.getByTestId('position-managed')).toContainText(/trade #\d+/);
  await expect(row).toHaveAttribute('data-outside', '0');
  // Kite's statement, rendered by the server: funds, holdings, the order and trade books.
  await expect(page.getByTestId('funds-row').first()).toContainText('equity');
  const sbinOrder = page.getByTestId('book-order').filter({ hasText: 'NSE SBIN' }).first();
  await expect(sbinOrder).toHaveAttribute('data-whose', 'app');
  await expect(page.getByTestId('book-fill').filter({ hasText: 'NSE SBIN' }).first()).toBeVisible();

  // Closed again by hand, it stays on the account (flat) as the app's.
  await page.goto('/trades');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const held = page.getByTestId('position-row').filter({ hasText: 'SBIN' });
  await held.getByTestId('exit-trade').click();
  await expect(held).toHaveCount(0, { timeout: 10_000 });
});
