// The test accounts: the admin the first-run page creates, and how a spec signs a page in
// (through the app's own sign-in endpoint, so the page's context holds the session).
import type { Page } from '@playwright/test';

export const ADMIN = { username: 'admin', password: 'correct horse battery staple' };

/** Signs `page`'s context in on `base` as `who`; creates the first admin there if it has none. */
export async function signIn(page: Page, base: string, who = ADMIN): Promise<void> {
  const headers = { Origin: base };
  const setup = await page.request.post(`${base}/api/auth/setup`, { form: who, headers });
  if (setup.ok()) return;
  const login = await page.request.post(`${base}/api/auth/login`, { form: who, headers });
  if (!login.ok()) throw new Error(`cannot sign in on ${base}: ${await login.text()}`);
}

/** As the admin on `base`: adds a user (who can then sign in). */
export async function addUser(page: Page, base: string, username: string, password: string, role: string): Promise<void> {
  const r = await page.request.post(`${base}/api/users/create`, {
    form: { username, password, role_code: role },
    headers: { Origin: base },
  });
  if (!r.ok()) throw new Error(`cannot add ${username}: ${await r.text()}`);
}
