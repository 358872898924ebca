import { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { waitForTrigger } from './levels-helper';

// Demo mode end to end, after the levels spec (same server): a level's filled order opens a
// trade with its entry price and the trade monitor exits it at its target or stop; a risk limit
// refuses an order with its reason; the kill switch squares off, holds across a reload and is
// released.

const paise = (text: string) => Math.round(parseFloat(text.replace(/,/g, '')) * 100);

async function levelNearLtp(page: Page, symbol: string, quantity: string, exits: [string, string]) {
  await page.goto('/levels');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const search = page.getByTestId('level-form').getByTestId('instrument-search');
  await search.fill(symbol);
  await expect(page.getByTestId('search-result').first()).toContainText(symbol);
  await search.press('Enter');
  await expect(page.getByTestId('form-instrument')).toHaveText(`${symbol} NSE`);
  await expect(page.getByTestId('form-ltp')).toHaveText(/\d+\.\d{2}/);
  const ltp = paise((await page.getByTestId('form-ltp').textContent()) ?? '');
  await page.getByTestId('level-price').fill(((ltp + 5) / 100).toFixed(2));
  await page.getByTestId('level-quantity').fill(quantity);
  await page.getByTestId('level-trigger').selectOption('either');
  await page.getByTestId('level-on_down').selectOption('sell');
  await page.getByTestId('level-target').fill(exits[0]);
  await page.getByTestId('level-stop_loss').fill(exits[1]);
  await page.getByTestId('save-level').click();
  const row = page.getByTestId('level-row').filter({ hasText: symbol }).first();
  await expect(row).toBeVisible();
  await waitForTrigger(page, row);
}

test('a filled level opens a trade at its entry price and the monitor exits it', async ({ page }) => {
  // Two random walks in a row (to the level, then to an exit): give them room on a busy machine.
  test.setTimeout(90_000);
  await levelNearLtp(page, 'INFY', '1', ['0.10', '0.10']);
  await page.getByRole('link', { name: 'Trades', exact: true }).first().click();
  await expect(page.getByRole('heading', { name: 'Trades', exact: true })).toBeVisible();
  // Two ticks either way: the random walk reaches the target or the stop soon after the entry.
  const closed = page.getByTestId('closed-row').filter({ hasText: 'INFY' });
  await expect(closed).toHaveCount(1, { timeout: 60_000 });
  await expect(closed).toHaveAttribute('data-reason', /^(target|stop-loss|trailing stop)$/);
  const entry = paise((await closed.getByTestId('entry-price').textContent()) ?? '');
  const exit = paise((await closed.getByTestId('exit-price').textContent()) ?? '');
  expect(entry).toBeGreaterThan(0);
  expect(exit).toBeGreaterThan(0);
  await expect(closed.getByTestId('realised')).toHaveText(/^[+-]?\d/);
  // A toast said so, on whatever page was open.
  await expect(page.getByTestId('toast').filter({ hasText: 'INFY closed' })).toHaveCount(1);

  // The order book has the entry, its stop order at the broker and — when the app exited it
  // (at the target) — the exit, the stop order then cancelled first: one closing order filled.
  await page.getByRole('link', { name: 'Orders', exact: true }).first().click();
  const infy = page.getByTestId('order-row').filter({ hasText: 'INFY' });
  await expect(infy.filter({ hasText: /level #\d+/ })).toHaveCount(1);
  await expect(infy.filter({ hasText: 'stop at the broker for trade' })).toHaveCount(1);
  await expect(
    page.locator('[data-testid="order-row"][data-state="filled"]').filter({ hasText: 'INFY' }).filter({
      hasText: /exit of trade|stop at the broker for trade/,
    }),
  ).toHaveCount(1);
});

test('a risk limit refuses an order and says why', async ({ page }) => {
  await page.goto('/settings');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  await page.getByTestId('risk-max_order_quantity').fill('none');
  await page.getByTestId('save-risk').click();
  await expect(page.getByTestId('problem-max_order_quantity')).toContainText('whole number');
  await page.getByTestId('risk-max_order_quantity').fill('1');
  await page.getByTestId('save-risk').click();
  await expect(page.getByTestId('risk-message')).toContainText('Saved');

  await levelNearLtp(page, 'TCS', '2', ['', '']);
  await page.getByRole('link', { name: 'Orders', exact: true }).first().click();
  const tcs = page.getByTestId('order-row').filter({ hasText: 'TCS' });
  await expect(tcs).toHaveAttribute('data-state', 'rejected', { timeout: 30_000 });
  await expect(tcs).toContainText('risk check: quantity 2 is above the limit of 1');

  // Back to no quantity limit for what follows.
  await page.goto('/settings');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  await page.getByTestId('risk-max_order_quantity').fill('');
  await page.getByTestId('save-risk').click();
  await expect(page.getByTestId('risk-message')).toContainText('Saved');
});

test('the kill switch squares off, holds across a reload, and is released', async ({ page }) => {
  // A manual order's trade has no exits: it stays open until something closes it. (A ticket,
  // not a level: the random walk may wander away from a level for longer than a test waits.)
  await page.goto('/orders');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const search = page.getByTestId('order-ticket').getByTestId('instrument-search');
  await search.fill('HDFCBANK');
  await expect(page.getByTestId('search-result').first()).toContainText('HDFCBANK');
  await search.press('Enter');
  await expect(page.getByTestId('ticket-instrument')).toHaveText('HDFCBANK NSE');
  await page.getByTestId('ticket-review').click();
  await page.getByTestId('ticket-confirm').click();
  await expect(page.getByTestId('ticket-message')).toContainText(/Order #\d+/);
  await page.goto('/trades');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  await expect(page.getByTestId('position-row').filter({ hasText: 'HDFCBANK' })).toHaveCount(1, {
    timeout: 30_000,
  });
  // The position's P&L follows its live price: (last − entry) × quantity, long or short.
  const held = page.getByTestId('position-row').filter({ hasText: 'HDFCBANK' });
  await expect(async () => {
    const cells = await held.evaluate((row) =>
      [...row.querySelectorAll('td')].map((td) => td.textContent ?? ''),
    );
    const [, side, qty, entry, last, , , pnl] = cells;
    const sign = side.trim() === 'LONG' ? 1 : -1;
    expect(paise(last)).toBeGreaterThan(0);
    expect(paise(pnl)).toBe(sign * (paise(last) - paise(entry)) * Number(qty));
  }).toPass({ timeout: 10_000 });
  const open = await page.getByTestId('position-row').count();
  await expect(page.getByTestId('kill-square-off')).toBeChecked();
  await page.getByTestId('engage-kill-switch').click();
  await expect(page.getByTestId('kill-switch')).toContainText('every open position is squared off');
  await page.getByTestId('confirm-kill-switch').click();
  await expect(page.getByTestId('kill-switch-on')).toContainText('KILL SWITCH ON');
  await expect(page.getByTestId('kill-switch-message')).toContainText(
    `${open} position${open === 1 ? '' : 's'} being squared off`,
  );
  await expect(page.getByTestId('position-row')).toHaveCount(0, { timeout: 10_000 });
  await expect(
    page.getByTestId('closed-row').filter({ hasText: 'HDFCBANK' }),
  ).toHaveAttribute('data-reason', 'kill switch');

  await expect(page.getByTestId('halt-badge')).toHaveText('KILL SWITCH ON');

  // Every page's top bar says so, across a reload.
  await page.goto('/levels');
  await expect(page.getByTestId('halt-badge')).toBeVisible();
  await page.goto('/trades');
  await expect(page.getByTestId('kill-switch-on')).toBeVisible();
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  await page.getByTestId('release-kill-switch').click();
  await expect(page.getByTestId('engage-kill-switch')).toBeVisible();
  await expect(page.getByTestId('halt-badge')).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('engage-kill-switch')).toBeVisible();
  await expect(page.getByTestId('halt-badge')).toHaveCount(0);
});
