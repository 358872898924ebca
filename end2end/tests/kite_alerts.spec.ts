import { type Page } from '@playwright/test';
import { expect, test } from './fixtures';

// Kite's own alerts on the Alerts page, in demo mode (the simulator is the Kite): a wrong one
// is refused field by field; a simple alert made at Kite fires there, and the app learns of
// it at the next sync — a toast, the notification centre's unread count, and the count on its
// row; Kite's history of it; an ATO alert carries its order; delete removes them at Kite.

async function pickInfy(page: Page) {
  const form = page.getByTestId('kite-alert-form');
  await form.getByTestId('instrument-search').first().fill('INFY');
  await expect(page.getByTestId('search-result').first()).toContainText('INFY');
  await form.getByTestId('instrument-search').first().press('Enter');
  await expect(form.getByTestId('kite-alert-instrument')).toHaveText('INFY NSE');
}

test('a Kite alert is made, fires at Kite, is told, and is deleted there', async ({ page }) => {
  await page.goto('/alerts');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const card = page.getByTestId('kite-alerts-card');
  await expect(card.getByTestId('kite-alerts-used')).toHaveText('0 of 200 alerts');
  await expect(card.getByTestId('kite-alerts-sync')).toContainText('Synced with Kite at', { timeout: 10_000 });

  // Wrong input: each field says why, and Kite is not asked.
  await card.getByTestId('kite-alert-new').click();
  await card.getByTestId('kite-alert-value').fill('soon');
  await card.getByTestId('kite-alert-save').click();
  await expect(card.getByTestId('kite-alert-problem-instrument')).toContainText('pick the instrument');
  await expect(card.getByTestId('kite-alert-problem-value')).toContainText('type a price');
  await expect(card.getByTestId('kite-alert-row')).toHaveCount(0);

  // At or below a price far above the market: true at Kite's next tick.
  await pickInfy(page);
  await expect(card.getByTestId('kite-alert-name')).toHaveValue('INFY');
  await card.getByTestId('kite-alert-name').fill('e2e kite alert');
  await card.getByTestId('kite-alert-operator').selectOption('<=');
  await card.getByTestId('kite-alert-value').fill('99999');
  const bell = page.getByTestId('notification-bell');
  await bell.click();
  await bell.click();
  await expect(page.getByTestId('unread-count')).toHaveCount(0);
  await card.getByTestId('kite-alert-save').click();
  const row = card.getByTestId('kite-alert-row');
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('kite-alert-condition')).toHaveText('NSE:INFY <= ₹99,999.00');
  await expect(card.getByTestId('kite-alerts-used')).toHaveText('1 of 200 alerts');

  // Kite fires it; the next sync tells: a toast, the unread count, the row's count.
  const toast = page.locator('[data-testid="toast"][data-kind="kite-alert"]');
  await expect(toast.first()).toContainText('Kite alert "e2e kite alert"', { timeout: 15_000 });
  await expect(page.getByTestId('unread-count')).toHaveText(/^[1-9]\d*$/);
  await expect(row.getByTestId('kite-alert-count')).not.toHaveText('0', { timeout: 10_000 });
  await bell.click();
  const panel = page.getByTestId('notification-panel');
  await expect(panel.locator('[data-testid="notification-item"][data-kind="kite-alert"]').first())
    .toContainText('e2e kite alert');
  await expect(panel.locator('li.unread').first()).toBeVisible();
  await expect(page.getByTestId('unread-count')).toHaveCount(0);
  await bell.click();

  // Kite's own history of it.
  await row.getByTestId('kite-alert-history').click();
  await expect(page.getByTestId('kite-alert-history-entry').first()).toContainText('NSE:INFY ₹');

  // Delete: gone at Kite.
  await row.getByTestId('kite-alert-delete').click();
  await expect(row).toHaveCount(0);
  await expect(card.getByTestId('kite-alerts-used')).toHaveText('0 of 200 alerts');
});

test('an ATO alert at Kite carries its order, and an edit keeps it', async ({ page }) => {
  await page.goto('/alerts');
  // A click before the page has hydrated opens nothing (CI saw the form never open).
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  const card = page.getByTestId('kite-alerts-card');
  await card.getByTestId('kite-alert-new').click();
  await pickInfy(page);
  await card.getByTestId('kite-alert-name').fill('e2e ato');
  await card.getByTestId('kite-alert-operator').selectOption('>=');
  // Far above the market: it must not fire (and order) during the test.
  await card.getByTestId('kite-alert-value').fill('99999');
  await card.getByTestId('kite-alert-kind').selectOption('ato');
  const basket = card.getByTestId('ato-basket');
  await expect(basket.getByTestId('ato-row')).toHaveCount(1);
  await basket.getByTestId('ato-quantity').fill('0');
  await basket.getByTestId('ato-order-type').selectOption('market');
  await card.getByTestId('kite-alert-save').click();
  await expect(card.getByTestId('kite-alert-problem-basket.0.quantity')).toContainText('above zero');
  await basket.getByTestId('ato-quantity').fill('2');
  await card.getByTestId('kite-alert-save').click();
  const row = card.getByTestId('kite-alert-row');
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-kind', 'ATO');
  await expect(row.getByTestId('kite-alert-orders')).toHaveText('BUY 2 INFY MARKET (CNC)');

  // Edit: the form comes back filled; a new price is kept at Kite with the same order.
  await row.getByTestId('kite-alert-edit').click();
  await expect(card.getByTestId('kite-alert-value')).toHaveValue('99999.00');
  await expect(card.getByTestId('ato-quantity')).toHaveValue('2');
  await card.getByTestId('kite-alert-value').fill('88888');
  await card.getByTestId('kite-alert-save').click();
  await expect(row.getByTestId('kite-alert-condition')).toHaveText('NSE:INFY >= ₹88,888.00');
  await expect(row.getByTestId('kite-alert-orders')).toHaveText('BUY 2 INFY MARKET (CNC)');

  await row.getByTestId('kite-alert-delete').click();
  await expect(row).toHaveCount(0);
});

test('the kill switch takes an ATO alert from Kite; it is put back only by hand, after the release', async ({ page, baseURL }) => {
  const headers = { Origin: baseURL! };
  const made = await page.request.post(`${baseURL}/api/kite-alerts/create`, {
    headers,
    data: {
      draft: {
        name: 'e2e held back', token: 408065, operator: '>=', value: '99999', kind: 'ato',
        order_token: null,
        basket: [{ side: 'buy', quantity: '1', order_type: 'market', price: '', product: 'delivery' }],
      },
    },
  });
  expect(made.status()).toBe(200);
  const engaged = await page.request.post(`${baseURL}/api/risk/kill-switch`, {
    headers, form: { square_off: 'false' },
  });
  try {
    expect(engaged.status()).toBe(200);
    expect((await engaged.json()).alerts_suspended).toBe(1);

    await page.goto('/alerts');
    const card = page.getByTestId('kite-alerts-card');
    await expect(card.getByTestId('kite-alert-row')).toHaveCount(0);
    const held = card.getByTestId('kite-alert-suspended-row');
    await expect(held).toHaveCount(1);
    await expect(held).toContainText('e2e held back');
    await expect(held).toContainText('BUY 1 INFY MARKET (CNC)');
    // While the switch is on, putting it back is refused with the gate's reason.
    await held.getByTestId('kite-alert-put-back').click();
    await expect(card.getByTestId('kite-alerts-message')).toContainText('the kill switch is on');
    await expect(card.getByTestId('kite-alert-row')).toHaveCount(0);
  } finally {
    const released = await page.request.post(`${baseURL}/api/risk/release`, { headers });
    expect(released.status()).toBe(200);
  }

  // Released: still off Kite until the trader puts it back.
  await page.reload();
  const card = page.getByTestId('kite-alerts-card');
  const held = card.getByTestId('kite-alert-suspended-row');
  await expect(held).toHaveCount(1);
  await held.getByTestId('kite-alert-put-back').click();
  await expect(card.getByTestId('kite-alerts-message')).toContainText('is back at Kite');
  const row = card.getByTestId('kite-alert-row');
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('kite-alert-orders')).toHaveText('BUY 1 INFY MARKET (CNC)');
  await expect(card.getByTestId('kite-alerts-suspended')).toHaveCount(0);
  await row.getByTestId('kite-alert-delete').click();
  await expect(row).toHaveCount(0);
});
