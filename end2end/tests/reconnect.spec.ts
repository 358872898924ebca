// The connection indicator follows the server: reconnecting while it is gone, live again when
// it returns. This test runs its own server (the shared one must not be stopped).
import { expect, test } from './fixtures';
import { signIn } from './accounts';
import { OwnServer, stopServer } from './own-server';

const own = new OwnServer(Number(process.env.OSP_E2E_RECONNECT_PORT ?? 3108), 'reconnect', {
  OSP__DEMO__TICK_INTERVAL_MS: '200',
});
const BASE = own.base;
const startServer = () => own.start();

test('the indicator shows reconnecting when the server goes away and recovers', async ({ page }) => {
  let server = await startServer();
  try {
    await signIn(page, BASE);
    await page.goto(BASE);
    const link = page.getByTestId('link-state');
    await expect(link).toHaveAttribute('data-state', 'live');

    await stopServer(server);
    await expect(link).toHaveAttribute('data-state', 'reconnecting');
    await expect(link).toContainText('Reconnecting');

    server = await startServer();
    await expect(link).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
    // The client re-sent what it follows: prices move again.
    const prices = async () => (await page.getByTestId('ltp').allTextContents()).join('|');
    const before = await prices();
    await expect.poll(prices, { timeout: 10_000 }).not.toBe(before);
  } finally {
    await stopServer(server);
  }
});
