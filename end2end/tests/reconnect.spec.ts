// The connection indicator follows the server: reconnecting while it is gone, live again when
// it returns. This test runs its own server (the shared one must not be stopped).
import { expect, test } from '@playwright/test';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PORT = Number(process.env.OSP_E2E_RECONNECT_PORT ?? 3108);
const BASE = `http://127.0.0.1:${PORT}`;
const dataDir = mkdtempSync(join(tmpdir(), 'osp-e2e-reconnect-'));

async function startServer(): Promise<ChildProcess> {
  const child = spawn(
    '../target/release/osp',
    ['--profile', 'test', '--data-dir', dataDir, 'serve', '--addr', `127.0.0.1:${PORT}`],
    { stdio: 'ignore', env: { ...process.env, OSP__DEMO__TICK_INTERVAL_MS: '200' } },
  );
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${BASE}/health`)).ok) return child;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the reconnect test server did not start');
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

test('the indicator shows reconnecting when the server goes away and recovers', async ({ page }) => {
  let server = await startServer();
  try {
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
    if (server.exitCode === null) await stopServer(server);
  }
});
