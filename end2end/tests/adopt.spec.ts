// Live mode on a Kite of the test's own (`osp kite-sim`, standing in for Zerodha's servers): a
// position bought in "Kite's own app" — a REST call the test makes with a session of its own,
// not through the app — shows on the Account page as outside the app, raises a mismatch on every
// page, and is adopted as a trade whose stop-loss then stands at Kite as an order; another is
// exited with one click.
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { expect, test } from './fixtures';
import { signIn } from './accounts';
import { OwnServer, stopServer } from './own-server';

const SIM_PORT = Number(process.env.OSP_E2E_ADOPT_SIM_PORT ?? 3112);
const APP_PORT = Number(process.env.OSP_E2E_ADOPT_PORT ?? 3111);
const SIM = `http://127.0.0.1:${SIM_PORT}`;
const API_KEY = 'e2eadopt01';
const API_SECRET = 'e2eAdoptSecret99';

const own = new OwnServer(APP_PORT, 'adopt', {
  OSP__MODE: 'live',
  OSP__KITE__ENDPOINT: SIM,
  OSP__KITE__ALLOW_PLAIN_HTTP: 'true',
});
const BASE = own.base;

/** The standalone simulator, up once its login page answers. */
async function startKite(): Promise<ChildProcess> {
  const child = spawn(
    '../target/release/osp',
    [
      'kite-sim',
      '--listen', `127.0.0.1:${SIM_PORT}`,
      '--api-key', API_KEY,
      '--api-secret', API_SECRET,
      '--redirect-url', `${BASE}/kite/callback`,
      '--tick-ms', '250',
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${SIM}/connect/login?v=3&api_key=${API_KEY}`)).ok) return child;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the Kite simulator on port ${SIM_PORT} did not start`);
}

/** A Kite session of the test's own, as Kite's own app holds one: login, then the checksum. */
async function outsideSession(): Promise<string> {
  const html = await (await fetch(`${SIM}/connect/login?v=3&api_key=${API_KEY}`)).text();
  const field = (name: string) =>
    (html.split(`name=${name} value="`)[1] ?? '').split('"')[0].replace(/&amp;/g, '&');
  const back = await fetch(`${SIM}/connect/login/approve`, {
    method: 'POST',
    body: new URLSearchParams({ api_key: field('api_key'), redirect_params: field('redirect_params') }),
    redirect: 'manual',
  });
  const requestToken = new URL(back.headers.get('location') ?? '').searchParams.get('request_token') ?? '';
  const checksum = createHash('sha256').update(API_KEY + requestToken + API_SECRET).digest('hex');
  const session = await fetch(`${SIM}/session/token`, {
    method: 'POST',
    headers: { 'X-Kite-Version': '3' },
    body: new URLSearchParams({ api_key: API_KEY, request_token: requestToken, checksum }),
  });
  const body = await session.json();
  if (!session.ok) throw new Error(`no Kite session: ${JSON.stringify(body)}`);
  return body.data.access_token;
}

/** A market buy placed at Kite directly, as from Kite's own app (no tag of the app's). */
async function buyAtKite(token: string, symbol: string, quantity: number): Promise<void> {
  const placed = await fetch(`${SIM}/orders/regular`, {
    method: 'POST',
    headers: { 'X-Kite-Version': '3', Authorization: `token ${API_KEY}:${token}` },
    body: new URLSearchParams({
      exchange: 'NSE', tradingsymbol: symbol, transaction_type: 'BUY', order_type: 'MARKET',
      quantity: String(quantity), product: 'MIS', validity: 'DAY',
    }),
  });
  if (!placed.ok) throw new Error(`the outside order was refused: ${await placed.text()}`);
}

test('an outside position is shown, adopted, and its stop stands at Kite; another is exited', async ({ page }) => {
  test.setTimeout(120_000);
  const kite = await startKite();
  const server = await own.start();
  try {
    await signIn(page, BASE);
    // The Kite app is saved and connected through Settings, as a trader does it.
    await page.goto(`${BASE}/settings`);
    // Typed after hydration: the form's signals would otherwise start empty over it.
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
    const card = page.getByTestId('kite-card');
    await card.getByTestId('kite-api-key').fill(API_KEY);
    await card.getByTestId('kite-api-secret').fill(API_SECRET);
    await card.getByTestId('kite-save-app').click();
    await expect(card.getByTestId('kite-message')).toContainText('The Kite app is saved');
    await card.getByTestId('kite-connect').click();
    await expect(page.getByRole('heading', { name: 'Kite simulator' })).toBeVisible();
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/settings\?kite=connected/);
    await expect(page.getByTestId('mode-badge')).toHaveText('LIVE');

    // 4 SBIN bought in "Kite's own app".
    await buyAtKite(await outsideSession(), 'SBIN', 4);

    await page.goto(`${BASE}/account`);
    const row = page.getByTestId('account-position').filter({ hasText: 'SBIN' });
    await expect(async () => {
      await page.reload();
      await expect(row).toHaveAttribute('data-outside', '4', { timeout: 1_000 });
      await expect(page.getByTestId('mismatch')).toHaveCount(1, { timeout: 1_000 });
      // Its live price, once Kite's instruments and ticker are through.
      await expect(row.getByTestId('position-ltp')).toHaveText(/\d+\.\d{2}/, { timeout: 1_000 });
    }).toPass({ timeout: 45_000 });
    await expect(row.getByTestId('position-managed')).toContainText('outside the app');
    // Every page's top bar says the broker holds what the app cannot explain.
    await expect(page.getByTestId('mismatch-badge')).toContainText('BROKER MISMATCH');

    // Adopted at Kite's average with a stop 20 below the last price.
    const ltp = parseFloat(((await row.getByTestId('position-ltp').textContent()) ?? '').replace(/,/g, ''));
    const stop = (Math.floor((ltp - 20) * 20) / 20).toFixed(2);
    await row.getByTestId('adopt').click();
    await row.getByTestId('adopt-stop').fill(stop);
    await row.getByTestId('adopt-confirm').click();
    // The page reads the account again at once: the row is the new trade's.
    await expect(row.getByTestId('position-managed')).toContainText(/trade #\d+/);
    const tradeId = ((await row.getByTestId('position-managed').textContent()) ?? '').match(/#(\d+)/)?.[1];
    expect(tradeId).toBeTruthy();

    // Explained now: the row is the trade's, the mismatch is gone.
    await page.reload();
    await expect(row).toHaveAttribute('data-outside', '0');
    await expect(row.getByTestId('position-managed')).toContainText(`trade #${tradeId}`);
    await expect(page.getByTestId('mismatch')).toHaveCount(0);
    await expect(page.getByTestId('mismatch-badge')).toHaveCount(0);

    // Its stop stands at Kite: the Orders page names it, at the trigger asked.
    await page.goto(`${BASE}/orders`);
    const stopOrder = page.getByTestId('order-row').filter({ hasText: `stop at the broker for trade #${tradeId}` });
    await expect(stopOrder).toHaveCount(1, { timeout: 15_000 });
    await expect(stopOrder).toContainText('SBIN');
    await expect(stopOrder).toContainText(stop);

    // 2 INFY bought in "Kite's own app" again: this time exited with one click, one market
    // sell of just those 2, and the Orders page says what it was.
    await buyAtKite(await outsideSession(), 'INFY', 2);
    await page.goto(`${BASE}/account`);
    const infy = page.getByTestId('account-position').filter({ hasText: 'INFY' });
    await expect(async () => {
      await page.reload();
      await expect(infy).toHaveAttribute('data-outside', '2', { timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    // The row was read after a reload: its button works once the page has hydrated (under
    // load a click before that does nothing).
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
    await infy.getByTestId('exit-outside').click();
    // Its answer, before any reload (a reload would cancel the request still under way).
    await expect(infy.getByTestId('adopt-message')).toContainText(/exit order #\d+ sent/, { timeout: 15_000 });
    await expect(async () => {
      await page.reload();
      await expect(infy).toHaveAttribute('data-outside', '0', { timeout: 1_000 });
      await expect(page.getByTestId('mismatch')).toHaveCount(0, { timeout: 1_000 });
    }).toPass({ timeout: 20_000 });
    await page.goto(`${BASE}/orders`);
    const exitOrder = page.getByTestId('order-row').filter({ hasText: 'exit of units held outside the app' });
    await expect(exitOrder).toHaveCount(1);
    await expect(exitOrder).toContainText('INFY');
  } finally {
    await stopServer(server);
    kite.kill('SIGTERM');
  }
});
