// Paper mode end to end on its own server: the mode is impossible to miss, the paper account
// shows its virtual capital, and a level's order fills at the paper broker, opens a trade and
// is exited by the trade monitor — the same flow as demo mode, never reaching Kite. Then the
// account is reset to a fresh start.
import { expect, test } from './fixtures';
import { signIn } from './accounts';
import { waitForTrigger } from './levels-helper';
import { OwnServer, stopServer } from './own-server';

const own = new OwnServer(Number(process.env.OSP_E2E_PAPER_PORT ?? 3109), 'paper', {
  OSP__MODE: 'paper',
  OSP__KITE__ENDPOINT: 'simulator',
  OSP__DEMO__TICK_INTERVAL_MS: '250',
});
const BASE = own.base;
const paise = (text: string) => Math.round(parseFloat(text.replace(/[₹,]/g, '')) * 100);

test('paper mode trades a level through the paper broker', async ({ page }) => {
  test.setTimeout(90_000);
  const server = await own.start();
  try {
    await signIn(page, BASE);
    await page.goto(`${BASE}/trades`);
    await expect(page.getByTestId('mode-badge')).toHaveText('PAPER');
    await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
    const account = page.getByTestId('paper-account');
    await expect(account).toContainText('₹10,00,000.00');

    await page.goto(`${BASE}/levels`);
    await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
    const search = page.getByTestId('level-form').getByTestId('instrument-search');
    await search.fill('RELIANCE');
    await expect(page.getByTestId('search-result').first()).toContainText('RELIANCE');
    await search.press('Enter');
    await expect(page.getByTestId('form-ltp')).toHaveText(/\d+\.\d{2}/);
    const ltp = paise((await page.getByTestId('form-ltp').textContent()) ?? '');
    await page.getByTestId('level-price').fill(((ltp + 5) / 100).toFixed(2));
    await page.getByTestId('level-quantity').fill('3');
    await page.getByTestId('level-trigger').selectOption('either');
    await page.getByTestId('level-on_down').selectOption('sell');
    await page.getByTestId('level-target').fill('0.10');
    await page.getByTestId('level-stop_loss').fill('0.10');
    await page.getByTestId('save-level').click();
    await expect(page.getByTestId('level-row')).toHaveCount(1);
    await waitForTrigger(page, page.getByTestId('level-row'));

    await page.goto(`${BASE}/trades`);
    await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
    const closed = page.getByTestId('closed-row').filter({ hasText: 'RELIANCE' });
    await expect(closed).toHaveCount(1, { timeout: 60_000 });
    await expect(closed).toHaveAttribute('data-reason', /^(target|stop-loss|trailing stop)$/);
    await expect(closed.getByTestId('entry-price')).toHaveText(/\d+\.\d{2}/);
    // The paper account's result is the trade's.
    const realised = (await closed.getByTestId('realised').textContent()) ?? '';
    await page.reload();
    await expect(page.getByTestId('paper-realised')).toHaveText(realised);

    // Nothing is open any more: the account resets (after a confirm) to its full capital.
    await page.getByTestId('paper-reset').click();
    await page.getByTestId('paper-reset-confirm').click();
    await expect(page.getByTestId('paper-message')).toContainText('starts afresh with ₹10,00,000.00');
    await expect(page.getByTestId('paper-realised')).toHaveText('0.00');
    await expect(page.getByTestId('paper-available')).toHaveText('₹10,00,000.00');
    await expect(account).toContainText('since reset at');
  } finally {
    await stopServer(server);
  }
});
