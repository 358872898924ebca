// Waiting for the simulated market to cross a level set one tick from the price. The demo's
// random walk crosses it soon, but now and then it wanders off for longer than a test should
// wait: then the level is edited back next to the price (an edit re-arms it) and watched again.
import { expect, Locator, Page } from '@playwright/test';

const paise = (text: string) => Math.round(parseFloat(text.replace(/[₹,]/g, '')) * 100);

export async function waitForTrigger(page: Page, row: Locator, attempts = 4): Promise<void> {
  for (let attempt = 1; attempt < attempts; attempt++) {
    try {
      await expect(row).toHaveAttribute('data-phase', 'triggered', { timeout: 10_000 });
      return;
    } catch {
      // Not crossed yet: one tick from where the price is now.
    }
    await row.getByTestId('edit-level').click();
    await expect(page.getByTestId('form-ltp')).toHaveText(/\d+\.\d{2}/);
    const ltp = paise((await page.getByTestId('form-ltp').textContent()) ?? '');
    await page.getByTestId('level-price').fill(((ltp + 5) / 100).toFixed(2));
    // It may have crossed while the form was being filled in: saving the edit would arm it
    // again (and a next crossing would place a second order), so it is saved only while the
    // level still waits. (A crossing in the instant before the click still re-arms it: the
    // specs count orders per trigger, not one in all.)
    if ((await row.getAttribute('data-phase')) === 'triggered') {
      await page.reload();
      break;
    }
    await page.getByTestId('save-level').click();
  }
  await expect(row).toHaveAttribute('data-phase', 'triggered', { timeout: 10_000 });
}
