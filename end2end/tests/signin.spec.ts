// Signing in and out in a browser, what a viewer is offered, and two-step sign-in.
import { expect, holdWasm, test } from './fixtures';
import { ADMIN, addUser } from './accounts';
import { totp } from './totp';

test.describe('signed out', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test('a page asks for sign-in, a wrong password is refused, the right one returns to the page', async ({ page }) => {
    await page.goto('/orders');
    await expect(page).toHaveURL(/\/login\?next=%2Forders$/);
    await page.getByTestId('login-username').fill(ADMIN.username);
    await page.getByTestId('login-password').fill('not the password at all');
    await page.getByTestId('login-submit').click();
    await expect(page.getByTestId('login-error')).toHaveText('the username or the password is wrong');
    await expect(page.getByTestId('login-password')).toHaveValue('');
    await page.getByTestId('login-password').fill(ADMIN.password);
    await page.getByTestId('login-submit').click();
    await expect(page).toHaveURL(/\/orders$/);
    await expect(page.getByTestId('user-name')).toHaveText(ADMIN.username);

    // Signing out ends the session: the app asks for sign-in again.
    await page.getByTestId('sign-out').click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto('/trades');
    await expect(page).toHaveURL(/\/login\?next=%2Ftrades$/);
  });

  test('what is typed before the page comes alive is kept', async ({ page, baseURL }) => {
    // The wasm held back, as a phone's network does: the server's form is there, not yet alive.
    const release = await holdWasm(page);
    await page.goto('/login');
    await page.getByTestId('login-username').fill(ADMIN.username);
    await page.getByTestId('login-password').fill(ADMIN.password);
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
    release();
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
    // Hydrating did not wipe it: signing in takes one click.
    await expect(page.getByTestId('login-username')).toHaveValue(ADMIN.username);
    await expect(page.getByTestId('login-password')).toHaveValue(ADMIN.password);
    await page.getByTestId('login-submit').click();
    await expect(page).toHaveURL(`${baseURL}/`);
  });

  test('after sign-in, next never leaves the site, even with a tab the browser would drop', async ({ page, baseURL }) => {
    for (const next of ['/%09/example.org', '/%0A/example.org', '//example.org', '/%5Cexample.org']) {
      await page.goto(`/login?next=${next}`);
      await page.getByTestId('login-username').fill(ADMIN.username);
      await page.getByTestId('login-password').fill(ADMIN.password);
      await page.getByTestId('login-submit').click();
      await expect(page).toHaveURL(`${baseURL}/`);
      await page.getByTestId('sign-out').click();
      await expect(page).toHaveURL(/\/login$/);
    }
  });
});

test('a viewer reads everything and is offered no trading', async ({ page, browser, baseURL }) => {
  await addUser(page, baseURL!, 'vince', 'a viewer passphrase', 'viewer');
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const viewer = await context.newPage();
  try {
    await viewer.goto('/login');
    await expect(viewer.locator('html')).toHaveAttribute('data-hydrated', 'true');
    await viewer.getByTestId('login-username').fill('vince');
    await viewer.getByTestId('login-password').fill('a viewer passphrase');
    await viewer.getByTestId('login-submit').click();
    await expect(viewer).toHaveURL(/\/$/);
    await expect(viewer.getByTestId('user-role')).toHaveText('Viewer · read only');

    await viewer.goto('/orders');
    await expect(viewer.getByTestId('role-note')).toContainText('a trader or an admin places orders');
    await expect(viewer.getByTestId('order-ticket')).toHaveCount(0);
    await viewer.goto('/levels');
    await expect(viewer.getByTestId('role-note')).toContainText('a trader or an admin sets them');
    await expect(viewer.getByTestId('level-form')).toHaveCount(0);
    await viewer.goto('/trades');
    await expect(viewer.getByTestId('role-note')).toContainText('The kill switch is for traders and admins');
    await expect(viewer.getByTestId('engage-kill-switch')).toHaveCount(0);
    await viewer.goto('/users');
    await expect(viewer.getByTestId('role-note')).toContainText('Only an admin manages the users');
    await expect(viewer.getByTestId('users-card')).toHaveCount(0);
    await expect(viewer.getByTestId('users-nav')).toHaveCount(0);
    await viewer.goto('/settings');
    await expect(viewer.getByTestId('users-link')).toHaveCount(0);
    await expect(viewer.getByTestId('kite-connect')).toHaveCount(0);
    await expect(viewer.getByTestId('account-card')).toBeVisible();
    // The server refuses what the page does not offer.
    const placed = await viewer.request.post('/api/orders/place', {
      headers: { Origin: baseURL! },
      data: {},
    });
    expect(placed.status()).toBe(403);
  } finally {
    await context.close();
  }
});

test('the admin adds a user on the Users page, who can then sign in', async ({ page, browser }) => {
  await page.goto('/settings');
  // Settings leads there, and so does the admin's menu.
  await page.getByTestId('users-link').click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByTestId('users-nav')).toBeVisible();
  const card = page.getByTestId('users-card');
  await expect(card.locator('[data-testid="user-row"][data-user="admin"]')).toBeVisible();
  await card.getByTestId('new-username').fill('tara');
  await card.getByTestId('new-user-password').fill('a traders passphrase');
  await card.getByTestId('new-user-role').selectOption('trader');
  await card.getByTestId('create-user').click();
  await expect(card.getByTestId('users-message')).toHaveText('tara can sign in now.');
  const row = card.locator('[data-testid="user-row"][data-user="tara"]');
  await expect(row).toHaveAttribute('data-role', 'trader');

  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const tara = await context.newPage();
  try {
    await tara.goto('/login');
    // Typed before hydration, the username can be lost when the page comes alive.
    await expect(tara.locator('html')).toHaveAttribute('data-hydrated', 'true');
    await tara.getByTestId('login-username').fill('tara');
    await tara.getByTestId('login-password').fill('a traders passphrase');
    await tara.getByTestId('login-submit').click();
    await expect(tara.getByTestId('user-role')).toHaveText('Trader');
    // Disabled by the admin: the next page load asks for sign-in.
    await row.getByTestId('toggle-user').click();
    await expect(card.getByTestId('users-message')).toHaveText('tara is disabled and signed out.');
    await tara.goto('/orders');
    await expect(tara).toHaveURL(/\/login/);
  } finally {
    await context.close();
  }
});

test('two-step sign-in: turned on with the QR code and a code, then signing in takes one', async ({ page, browser, baseURL }) => {
  await addUser(page, baseURL!, 'oskar', 'a long enough phrase', 'trader');
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const user = await context.newPage();
  try {
    await user.goto('/login');
    await expect(user.locator('html')).toHaveAttribute('data-hydrated', 'true');
    await user.getByTestId('login-username').fill('oskar');
    await user.getByTestId('login-password').fill('a long enough phrase');
    await user.getByTestId('login-submit').click();
    await expect(user).toHaveURL(/\/$/);
    await user.goto('/settings');
    await user.getByTestId('totp-begin').click();
    await expect(user.locator('[data-testid="totp-qr"] svg')).toBeVisible();
    const secret = (await user.getByTestId('totp-secret').textContent())!.trim();
    await user.getByTestId('totp-code').fill(totp(secret));
    await user.getByTestId('totp-confirm').click();
    // Turning it on ends the sessions: sign in again, now with a code.
    await expect(user).toHaveURL(/\/login$/);
    await user.getByTestId('login-username').fill('oskar');
    await user.getByTestId('login-password').fill('a long enough phrase');
    await user.getByTestId('login-submit').click();
    await expect(user.getByTestId('login-error')).toContainText('6-digit code');
    await user.getByTestId('login-password').fill('a long enough phrase');
    // The next step's code (the one that confirmed it was used up).
    await user.getByTestId('login-code').fill(totp(secret, Date.now() + 30_000));
    await user.getByTestId('login-submit').click();
    await expect(user).toHaveURL(/\/$/);
    await expect(user.getByTestId('user-name')).toHaveText('oskar');
  } finally {
    await context.close();
  }
});
