// The scale-out layout in real browsers: an `osp kite-sim`, one `osp workers` and two
// `osp serve --no-workers`, sharing a fresh PostgreSQL database and the Redis bus the test
// command starts. Kite is connected through web 1's Settings page; a browser signed in on each
// web process then sees the same prices on the dashboard, and both follow the market as it
// moves — ticks reach them only through the workers' ticker and the bus.
import { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signIn } from './accounts';
import { stopServer } from './own-server';

const PG = process.env.OSP_TEST_POSTGRES_URL;
const REDIS = process.env.OSP_TEST_REDIS_URL;
const base = Number(process.env.OSP_E2E_SCALE_PORT ?? 3121);
const [SIM, WORKERS, WEB1, WEB2] = [base, base + 1, base + 2, base + 3];
const url = (port: number) => `http://127.0.0.1:${port}`;

function osp(args: string[], env: Record<string, string>): ChildProcess {
  return spawn('../target/release/osp', args, { stdio: 'ignore', env: { ...process.env, ...env } });
}

async function answers(address: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(address);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${address} never answered`);
}

async function healthy(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url(port)}/health`)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the process on ${port} never became healthy`);
}

const prices = async (page: Page) => (await page.getByTestId('ltp').allTextContents()).join('|');

test('two web processes show the same live prices, streamed from the workers over Redis', async ({ browser }) => {
  test.setTimeout(120_000);
  if (!PG || !REDIS) {
    throw new Error('OSP_TEST_POSTGRES_URL and OSP_TEST_REDIS_URL are unset: run scripts/test.sh, which starts both');
  }
  const database = `osp_e2e_scale_${Date.now()}`;
  execFileSync('psql', [PG, '-qc', `CREATE DATABASE ${database}`]);
  const env = {
    OSP__MODE: 'demo',
    OSP__DATABASE__URL: PG.replace(/\/[^/]*$/, `/${database}`),
    OSP__BUS__URL: REDIS,
    OSP__KITE__ENDPOINT: url(SIM),
    OSP__KITE__API_KEY: 'scale_key',
    OSP__KITE__API_SECRET: 'scale_secret',
    OSP__SECRETS__KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
  };
  const dir = (name: string) => mkdtempSync(join(tmpdir(), `osp-e2e-scale-${name}-`));
  const children: ChildProcess[] = [];
  try {
    children.push(
      osp(
        ['kite-sim', '--listen', `127.0.0.1:${SIM}`, '--api-key', env.OSP__KITE__API_KEY,
          '--api-secret', env.OSP__KITE__API_SECRET, '--redirect-url', `${url(WEB1)}/kite/callback`,
          '--auto-login', '--tick-ms', '1500'],
        {},
      ),
    );
    await answers(`${url(SIM)}/`);
    children.push(osp(['--profile', 'test', '--data-dir', dir('workers'), 'workers', '--addr', `127.0.0.1:${WORKERS}`], env));
    await healthy(WORKERS);
    children.push(osp(['--profile', 'test', '--data-dir', dir('web1'), 'serve', '--no-workers', '--addr', `127.0.0.1:${WEB1}`], env));
    children.push(osp(['--profile', 'test', '--data-dir', dir('web2'), 'serve', '--no-workers', '--addr', `127.0.0.1:${WEB2}`], env));
    await healthy(WEB1);
    await healthy(WEB2);

    // Each browser its own context: its own session, on its own web process.
    const page1 = await (await browser.newContext()).newPage();
    const page2 = await (await browser.newContext()).newPage();
    await signIn(page1, url(WEB1));
    await signIn(page2, url(WEB2));

    // Connect Kite through web 1 (the simulator logs in at once and sends the browser back).
    await page1.goto(`${url(WEB1)}/settings`);
    await page1.getByTestId('kite-card').getByTestId('kite-connect').click();
    await expect(page1).toHaveURL(/\/settings\?kite=connected/);
    // Web 2's Settings page shows the layout: on the bus, the workers' process heard with its
    // ticker connected.
    await page2.goto(`${url(WEB2)}/settings`);
    const bus = page2.getByTestId('bus-card');
    await expect(bus.getByTestId('bus-kind')).toContainText('Redis');
    await expect(bus.getByTestId('bus-role')).toHaveText('web only');
    await expect(bus.getByTestId('bus-peers')).toContainText(`127.0.0.1:${WORKERS} (workers only, ticker connected`);
    await expect(page2.getByTestId('feed-card').getByTestId('feed-connections')).toContainText('connected');

    for (const [page, port] of [[page1, WEB1], [page2, WEB2]] as const) {
      await page.goto(`${url(port)}/`);
      await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
      await expect(page.getByTestId('quote-row')).toHaveCount(7);
    }
    // The same prices on both, then the same again once the market has moved.
    const same = async () => {
      const [a, b] = [await prices(page1), await prices(page2)];
      return a === b && /\d/.test(a) ? a : '';
    };
    let first = '';
    await expect.poll(async () => (first = await same()), { timeout: 20_000 }).not.toBe('');
    await expect
      .poll(async () => {
        const now = await same();
        return now !== '' && now !== first;
      }, { timeout: 30_000 })
      .toBe(true);
  } finally {
    for (const child of children.reverse()) await stopServer(child);
    execFileSync('psql', [PG, '-qc', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`]);
  }
});
