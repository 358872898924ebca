import { expect, type Page, test as base } from '@playwright/test';

// The specs' `test`: its `page.goto` returns once the page it opened has hydrated
// (`<html data-hydrated>`, set by the page once its route's code has arrived — the release
// bundle is split by route, so a desk hydrates after its chunk loads). A click or a keystroke
// before that reaches the server's HTML, where nothing listens yet: a person on a phone meets
// that too, but a spec means the live page. A spec that intercepts requests (`page.route`:
// the wasm held back, a page rewritten) is testing the time before, and gets the plain goto;
// so does any answer that is not one of the app's pages.
export const test = base.extend({
  page: async ({ page }, use) => {
    let intercepting = false;
    const route = page.route.bind(page);
    page.route = ((...args: Parameters<typeof page.route>) => {
      intercepting = true;
      return route(...args);
    }) as typeof page.route;
    const goto = page.goto.bind(page);
    page.goto = (async (...args: Parameters<typeof page.goto>) => {
      const response = await goto(...args);
      const html = (response?.headers()['content-type'] ?? '').startsWith('text/html');
      if (!intercepting && response?.ok() && html) {
        await expect(page.locator('html'), `${args[0]} hydrates`).toHaveAttribute('data-hydrated', 'true', {
          timeout: 20_000,
        });
      }
      return response;
    }) as typeof page.goto;
    await use(page);
  },
});

export { expect };

/// Holds the wasm back, as a phone's network does: the server's page arrives, not yet alive,
/// until the returned function lets the bundle through. (An interception: `page.goto` does not
/// wait for hydration after it.)
export async function holdWasm(page: Page): Promise<() => void> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/pkg/osp.wasm', async (route) => {
    await held;
    await route.continue();
  });
  return release;
}
