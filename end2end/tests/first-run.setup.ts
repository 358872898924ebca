// The first run in a browser: a new installation sends every page to the first-run page, which
// creates the admin and signs them in. The session is saved for every other spec.
import { expect, test as setup } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ADMIN_STATE } from '../playwright.config';
import { ADMIN } from './accounts';

setup('the first run creates the admin and signs them in', async ({ page }) => {
  await page.goto('/levels');
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole('heading', { name: 'Create the admin account' })).toBeVisible();
  await page.getByTestId('setup-username').fill(ADMIN.username);
  // A weak password is refused with the rule, on the page.
  await page.getByTestId('setup-password').fill('short');
  await page.getByTestId('setup-confirm').fill('short');
  await page.getByTestId('setup-submit').click();
  await expect(page.getByTestId('setup-error')).toContainText('at least 12 characters');
  await page.getByTestId('setup-password').fill(ADMIN.password);
  await page.getByTestId('setup-confirm').fill(ADMIN.password);
  await page.getByTestId('setup-submit').click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('user-name')).toHaveText(ADMIN.username);
  await expect(page.getByTestId('user-role')).toHaveText('Admin');
  mkdirSync(dirname(ADMIN_STATE), { recursive: true });
  await page.context().storageState({ path: ADMIN_STATE });
});
