import { expect, test } from './fixtures';

// The manual order ticket, in demo mode: the side by key, a wrong quantity refused beside its
// field, the review step, the order filled in the book; a resting limit modified (a wrong price
// named beside its field first), then cancelled.

const paise = (text: string) => Math.round(parseFloat(text.replace(/,/g, '')) * 100);

test('a ticket is reviewed, confirmed and fills; a resting limit is modified, then cancelled', async ({ page }) => {
  await page.goto('/orders');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const search = page.getByTestId('order-ticket').getByTestId('instrument-search');
  await search.fill('SBIN');
  await expect(page.getByTestId('search-result').first()).toContainText('SBIN');
  await search.press('Enter');
  await expect(page.getByTestId('ticket-instrument')).toHaveText('SBIN NSE');
  await expect(page.getByTestId('ticket-ltp')).toHaveText(/\d+\.\d{2}/);

  // `s` outside a text box picks SELL.
  await page.getByTestId('ticket-instrument').click();
  await page.keyboard.press('s');
  await expect(page.getByTestId('ticket-sell')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('ticket-review')).toHaveText('Review SELL order');

  await page.getByTestId('ticket-quantity').fill('0');
  await page.getByTestId('ticket-review').click();
  await page.getByTestId('ticket-confirm').click();
  await expect(page.getByTestId('problem-quantity')).toContainText('at least 1');

  await page.getByTestId('ticket-quantity').fill('1');
  await page.getByTestId('ticket-review').click();
  await expect(page.getByTestId('ticket-summary')).toHaveText('SELL 1 SBIN NSE at MARKET (MIS)');
  await page.getByTestId('ticket-confirm').click();
  await expect(page.getByTestId('ticket-message')).toContainText(/Order #\d+/);
  const manual = page.getByTestId('order-row').filter({ hasText: 'manual' }).first();
  await expect(manual).toHaveAttribute('data-state', 'filled', { timeout: 10_000 });

  // A buy limit 3 % under the market rests; cancel it.
  await page.getByTestId('ticket-buy').click();
  await page.getByTestId('ticket-kind').selectOption('limit');
  const ltp = paise((await page.getByTestId('ticket-ltp').textContent()) ?? '');
  const limit = Math.floor((ltp * 0.97) / 5) * 5;
  await page.getByTestId('ticket-price').fill((limit / 100).toFixed(2));
  await page.getByTestId('ticket-review').click();
  await expect(page.getByTestId('ticket-summary')).toContainText('BUY 1 SBIN NSE at LIMIT');
  await page.getByTestId('ticket-confirm').click();
  await expect(page.getByTestId('ticket-message')).toContainText('open');
  const resting = page.getByTestId('order-row').filter({ has: page.getByTestId('cancel-order') });
  await expect(resting).toHaveCount(1);

  // Modify it: a price off the tick grid is named and nothing changes; then 2 units, 2 % under.
  await resting.getByTestId('modify-order').click();
  const form = page.getByTestId('order-modify');
  await expect(form).toContainText('BUY SBIN NSE (0 of 1 filled)');
  await expect(form.getByTestId('modify-price')).toHaveValue((limit / 100).toFixed(2));
  await form.getByTestId('modify-price').fill(((limit + 1) / 100).toFixed(2));
  await form.getByTestId('modify-save').click();
  await expect(form.getByTestId('problem-price')).toContainText('tick');
  const better = Math.floor((ltp * 0.98) / 5) * 5;
  await form.getByTestId('modify-quantity').fill('2');
  await form.getByTestId('modify-price').fill((better / 100).toFixed(2));
  await form.getByTestId('modify-save').click();
  await expect(page.getByTestId('order-modify')).toHaveCount(0);
  await expect(page.getByTestId('order-book-message')).toContainText('modified');
  const priced = (better / 100).toLocaleString('en-IN', { minimumFractionDigits: 2 });
  await expect(resting).toContainText('0/2');
  await expect(resting).toContainText(`LIMIT ${priced}`);

  await resting.getByTestId('cancel-order').click();
  await expect(page.getByTestId('order-row').first()).toHaveAttribute('data-state', 'cancelled', {
    timeout: 10_000,
  });
  await expect(page.getByTestId('cancel-order')).toHaveCount(0);
});
