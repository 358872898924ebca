import { expect, holdWasm, test } from './fixtures';

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

// The live feed card: the ticker connection to the simulator, the instruments it follows of
// Kite's 9000, a tick rate measured between two readings, the last tick.
test('the live feed card shows the connection, the instruments and the tick rate', async ({ page }) => {
  await page.goto('/settings');
  const card = page.getByTestId('feed-card');
  await expect(card.getByTestId('feed-connections')).toContainText('connected');
  await expect(card.getByTestId('feed-instruments')).toHaveText(/^[1-9]\d* of 9000$/);
  await expect(card.getByTestId('feed-rate')).toHaveText(/^\d+$/, { timeout: 10_000 });
  await expect(card.getByTestId('feed-last-tick')).toHaveText(/^\d{2}:\d{2}:\d{2} IST$/);
});

// The webhook card: a wrong address is refused; a saved one shows its secret once; a test to
// a receiver that is not there shows in the delivery log with why it failed; removing it ends
// the retries.
test('the webhook is saved with a secret shown once, and a test shows in the delivery log', async ({ page }) => {
  await page.goto('/settings');
  // Typed after hydration: the form's signals would otherwise start empty over it.
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  const card = page.getByTestId('webhook-card');
  await card.getByTestId('webhook-url').fill('hooks.example.com/osp');
  await card.getByTestId('webhook-save').click();
  await expect(card.getByTestId('webhook-problem')).toContainText('https://');
  // A loopback port nobody listens on: every attempt fails to connect.
  // A cloud's metadata service is inside the network: refused, naming the setting.
  await card.getByTestId('webhook-url').fill('http://169.254.169.254/latest/meta-data');
  await card.getByTestId('webhook-save').click();
  await expect(card.getByTestId('webhook-problem')).toContainText('server.webhook_private_hosts');
  await card.getByTestId('webhook-url').fill('http://127.0.0.1:9/osp');
  await card.getByTestId('webhook-save').click();
  await expect(card.getByTestId('webhook-secret')).toHaveText(/^[a-z0-9]{40}$/);
  await card.getByTestId('webhook-test').click();
  await expect(card.getByTestId('webhook-message')).toContainText('is queued');
  const delivery = card.getByTestId('webhook-delivery').first();
  await expect(delivery).toContainText('could not connect', { timeout: 10_000 });
  await expect(delivery).toHaveAttribute('data-state', 'pending');
  // Reloaded: the secret is not shown again.
  await page.reload();
  await expect(card.getByTestId('webhook-url')).toHaveValue('http://127.0.0.1:9/osp');
  await expect(card.getByTestId('webhook-secret')).toHaveCount(0);
  await card.getByTestId('webhook-remove').click();
  await expect(card.getByTestId('webhook-message')).toContainText('no longer sent');
  await expect(delivery).toHaveAttribute('data-state', 'failed');
});

// The event bus and system cards: one server runs web and workers together on its own bus,
// and the database and feed health show with it.
test('the bus card says one process runs everything, and the system card shows the database', async ({ page }) => {
  await page.goto('/settings');
  const bus = page.getByTestId('bus-card');
  await expect(bus.getByTestId('bus-kind')).toContainText('in process');
  await expect(bus.getByTestId('bus-role')).toHaveText('web and workers');
  await expect(bus.getByTestId('bus-state')).toHaveText('subscribed');
  await expect(page.getByTestId('system-card')).toContainText('sqlite');
});

// Typed while the page is not alive yet (the wasm held back, as a phone's network does): the
// Kite app's key and the webhook's address keep what was typed once the page hydrates.
test('what is typed on Settings before the page comes alive is kept', async ({ page }) => {
  const release = await holdWasm(page);
  await page.goto('/settings');
  await page.getByTestId('kite-api-key').fill('typedearly1');
  await page.getByTestId('webhook-url').fill('https://hooks.example.com/early');
  await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
  release();
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await expect(page.getByTestId('kite-api-key')).toHaveValue('typedearly1');
  await expect(page.getByTestId('webhook-url')).toHaveValue('https://hooks.example.com/early');
});
