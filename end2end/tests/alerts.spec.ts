import { expect, test } from './fixtures';

// Demo mode end to end: an alert set on the Alerts page — after its per-field refusals — fires
// on the simulated market: a toast says so, the history shows what it saw, and the one-shot
// alert shows fired; arming it again watches anew. The market watch's Alert link opens the
// form on its instrument.

const paise = (text: string) => Math.round(parseFloat(text.replace(/,/g, '')) * 100);

test('an alert near the live price fires: a toast, the history, and its state', async ({ page }) => {
  await page.goto('/alerts');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  await expect(page.getByTestId('alerts-empty')).toBeVisible();

  const form = page.getByTestId('alert-form');
  await form.getByTestId('instrument-search').fill('INFY');
  await expect(page.getByTestId('search-result').first()).toContainText('INFY');
  await form.getByTestId('instrument-search').press('Enter');
  await expect(page.getByTestId('alert-instrument')).toHaveText('INFY NSE');
  await expect(page.getByTestId('alert-ltp')).toHaveText(/\d+\.\d{2}/);

  // Wrong input: each field says what is wrong, nothing is stored.
  await page.getByTestId('alert-value').fill('abc');
  await page.getByTestId('alert-repeat').selectOption('every');
  await page.getByTestId('alert-cooldown').fill('soon');
  await page.getByTestId('save-alert').click();
  await expect(page.getByTestId('alert-problem-value')).toContainText('the price');
  await expect(page.getByTestId('alert-problem-cooldown')).toContainText('5m');
  await expect(page.getByTestId('alert-row')).toHaveCount(0);

  // At or below 2 % over the live price: true at the next tick, whichever way it walks.
  const ltp = paise((await page.getByTestId('alert-ltp').textContent()) ?? '');
  await page.getByTestId('alert-operator').selectOption('<=');
  await page.getByTestId('alert-value').fill(((ltp * 1.02) / 100).toFixed(2));
  await page.getByTestId('alert-repeat').selectOption('once');
  await page.getByTestId('alert-note').fill('e2e alert');
  await page.getByTestId('save-alert').click();
  const row = page.getByTestId('alert-row');
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('alert-condition')).toContainText('INFY LTP ≤');

  const toast = page.locator('[data-testid="toast"][data-kind="alert"]');
  await expect(toast).toContainText('INFY LTP ≤', { timeout: 15_000 });
  await expect(toast).toContainText('e2e alert');
  await expect(row).toHaveAttribute('data-state', 'fired', { timeout: 10_000 });
  await expect(row.getByTestId('alert-fired-count')).toHaveText('1');
  const events = page.getByTestId('alert-event');
  await expect(events).toHaveCount(1);
  await expect(events.first()).toContainText('LTP ₹');

  // Armed again: it watches anew, and fires again. Its condition is still true, so it may fire
  // at the next tick, before the row ever shows "armed": the second firing is the proof.
  await row.getByTestId('alert-toggle').click();
  await expect(row.getByTestId('alert-fired-count')).toHaveText('2', { timeout: 15_000 });
  await expect(events).toHaveCount(2, { timeout: 15_000 });
  await expect(row).toHaveAttribute('data-state', 'fired');

  // Filtered by state, then deleted: its history stays.
  await page.getByTestId('alerts-filter-state').selectOption('armed');
  await expect(row).toHaveCount(0);
  await page.getByTestId('alerts-filter-state').selectOption('all');
  await row.getByTestId('alert-delete').click();
  await expect(row).toHaveCount(0);
  await expect(events).toHaveCount(2);
});

test("the market watch's Alert link opens the form on its instrument", async ({ page }) => {
  await page.goto('/');
  const link = page.getByTestId('alert-link').first();
  const href = (await link.getAttribute('href')) ?? '';
  expect(href).toMatch(/^\/alerts\?token=\d+$/);
  await page.goto(href);
  await expect(page.getByTestId('alert-instrument')).toHaveText(/^[A-Z0-9 &-]+ NSE$/);
  await expect(page.getByTestId('alert-ltp')).toHaveText(/\d+\.\d{2}/);
});

// With the site allowed to notify, a firing also shows a browser notification — through the
// service worker (as Android requires, and as an installed app's notification leads back to
// it), read back from the real registration's `getNotifications()`. On a first visit the firing
// comes while the worker is still installing (it keeps the app shell first: held back here), and
// the notification waits for it rather than falling back to the page's own, which Android drops.
test('with notifications allowed, a firing shows a browser notification', async ({ page, context, baseURL }) => {
  await context.grantPermissions(['notifications']);
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await context.route('**/icons/icon-512.png', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/alerts');
  await expect(page.getByTestId('notifications-state')).toHaveText('on');
  // Firings reach the page over the websocket.
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const installing = () =>
    page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      return registration !== undefined && registration.active === null;
    });
  await expect.poll(installing).toBe(true);
  const created = await page.request.post(`${baseURL}/api/alerts/create`, {
    headers: { Origin: baseURL! },
    data: {
      draft: {
        token: 408065, metric: 'last_price', operator: '>=', value: '1', against: 0,
        repeat: 'once', cooldown: '', window_from: '', window_to: '', note: 'notify me',
        enabled: true,
      },
    },
  });
  expect(created.ok()).toBeTruthy();
  const id = (await created.json()).id as number;
  // The firing reaches the page while the worker still installs; then it may finish.
  await expect(page.locator('[data-testid="toast"][data-kind="alert"]')).toContainText('notify me');
  expect(await installing()).toBe(true);
  release();
  const shown = () =>
    page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      const list = await registration.getNotifications();
      return list.map((n) => `${n.title}: ${n.body}`);
    });
  await expect.poll(shown, { timeout: 15_000 }).toContainEqual(expect.stringContaining('notify me'));
  expect((await shown()).find((n) => n.includes('notify me'))).toMatch(
    new RegExp(`^OS Platforms alert: Alert #${id}: INFY LTP ≥`),
  );
  await page.request.post(`${baseURL}/api/alerts/delete`, { headers: { Origin: baseURL! }, form: { id } });
});
