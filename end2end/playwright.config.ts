// Playwright drives Debian's Chromium (no browser download) against the release build of the
// real server, started here on its own port with a fresh data directory. The `first-run`
// project creates the admin through the first-run page and saves its session; every other
// spec starts signed in as that admin (specs about signing in use fresh contexts).
import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const PORT = Number(process.env.OSP_E2E_PORT ?? 3107);
const dataDir = mkdtempSync(join(tmpdir(), 'osp-e2e-'));
export const ADMIN_STATE = join(__dirname, '.auth', 'admin.json');

export default defineConfig({
  testDir: './tests',
  timeout: 45_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    serviceWorkers: 'allow',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
  },
  projects: [
    { name: 'first-run', testMatch: /first-run\.setup\.ts/ },
    {
      name: 'app',
      dependencies: ['first-run'],
      testMatch: /.*\.spec\.ts/,
      use: { storageState: ADMIN_STATE },
    },
  ],
  webServer: {
    command: `../target/release/osp --profile test --data-dir ${dataDir} serve --addr 127.0.0.1:${PORT}`,
    url: `http://127.0.0.1:${PORT}/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    // Kite's alerts are read back every second, so a firing at Kite reaches the page quickly.
    env: {
      OSP__DEMO__TICK_INTERVAL_MS: '250',
      OSP__WORKERS__KITE_ALERTS_SYNC_MS: '1000',
      // The webhook card's receiver address in the spec is on loopback.
      OSP__SERVER__WEBHOOK_PRIVATE_HOSTS: '127.0.0.1',
    },
  },
});
