// Icons are inline SVG: they draw without an emoji or symbol font (Debian's Chromium here has
// none of the emoji fonts a phone has), and every icon-only control is found by its name.
import { expect, test } from './fixtures';

test('the bell, the theme button and the market watch row actions are named SVG icons', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  const row = page.getByTestId('quote-row').first();
  const controls = [
    page.getByRole('button', { name: /^Notifications, \d+ unread$/ }),
    page.getByRole('button', { name: /^Theme: / }),
    row.getByRole('link', { name: 'Chart' }),
    row.getByRole('link', { name: 'Add an alert' }),
    row.getByRole('button', { name: 'Move up' }),
    row.getByRole('button', { name: 'Move down' }),
    row.getByRole('button', { name: 'Remove' }),
  ];
  for (const control of controls) {
    await expect(control).toBeVisible();
    const icon = control.locator('svg.glyph');
    await expect(icon).toHaveCount(1);
    // Drawn: the icon has a size and shapes in it (not an empty box of a missing glyph).
    const box = await icon.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(6);
    expect(await icon.locator('path, polyline, circle').count()).toBeGreaterThan(0);
    // Stroked in the text's colour by the stylesheet (the icon carries no stroke attribute).
    const [stroke, color] = await icon.evaluate((el) => [getComputedStyle(el).stroke, getComputedStyle(el).color]);
    expect(stroke).toBe(color);
    // And no text that needs a symbol font.
    expect(await control.innerText()).not.toMatch(/[\u{25A0}-\u{27BF}\u{1F000}-\u{1FAFF}]/u);
  }
  // The theme icon follows the choice.
  const theme = page.getByTestId('theme-toggle');
  const before = await theme.locator('svg.glyph').getAttribute('data-glyph');
  await theme.click();
  await expect(theme.locator('svg.glyph')).not.toHaveAttribute('data-glyph', before ?? '');
});
