// Paper mode end to end on its own server: the mode is impossible to miss, the paper account
// shows its virtual capital, and a level's order fills at the paper broker, opens a trade and
// is exited by the trade monitor — the same flow as demo mode, never reaching Kite.
import { expect, test } from '@playwright/test';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PORT = Number(process.env.OSP_E2E_PAPER_PORT ?? 3109);
const BASE = `http://127.0.0.1:${PORT}`;
const dataDir = mkdtempSync(join(tmpdir(), 'osp-e2e-paper-'));
const paise = (text: string) => Math.round(parseFloat(text.replace(/[₹,]/g, '')) * 100);

async function startServer(): Promise<ChildProcess> {
  const child = spawn(
    '../target/release/osp',
    ['--profile', 'test', '--data-dir', dataDir, 'serve', '--addr', `127.0.0.1:${PORT}`],
    {
      stdio: 'ignore',
      env: { ...process.env, OSP__MODE: 'paper', OSP__DEMO__TICK_INTERVAL_MS: '250' },
    },
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
  throw new Error('the paper test server did not start');
}

test('paper mode trades a level through the paper broker', async ({ page }) => {
  test.setTimeout(90_000);
  const server = await startServer();
  const exited = new Promise((r) => server.once('exit', r));
  try {
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
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
});
