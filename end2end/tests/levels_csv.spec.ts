import { expect, test } from './fixtures';
import { readFileSync } from 'node:fs';

// Levels as CSV in the browser: the export downloads a file with every level; an import with a
// bad row is refused whole, naming the row; the fixed file imports its levels.

test('levels export as CSV and a file imports all or nothing', async ({ page }) => {
  await page.goto('/levels');
  await expect(page.getByTestId('link-state')).toHaveAttribute('data-state', 'live');
  await expect(page.getByTestId('level-count')).toHaveText(/\d+ levels?/);
  const before = await page.getByTestId('level-row').count();

  const download = page.waitForEvent('download');
  await page.getByTestId('export-levels').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('levels.csv');
  const exported = readFileSync((await file.path()) ?? '', 'utf8').trim().split('\n');
  expect(exported[0]).toContain('exchange,tradingsymbol,price');
  expect(exported.length).toBe(before + 1);

  const header = exported[0];
  const row = (symbol: string, price: string) =>
    `NSE,${symbol},${price},up,buy,,1,intraday,,,,,cross,,once,,,,false,from a file`;
  const bad = [header, row('TCS', '4000'), row('NOSUCH', '10')].join('\n');
  await page.getByTestId('import-levels').setInputFiles({
    name: 'levels.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(bad),
  });
  await expect(page.getByTestId('import-message')).toContainText('Nothing was imported');
  await expect(page.getByTestId('import-problems')).toContainText('row 3: NSE:NOSUCH');
  await expect(page.getByTestId('level-row')).toHaveCount(before);

  const good = [header, row('TCS', '4000'), row('RELIANCE', '1300')].join('\n');
  await page.getByTestId('import-levels').setInputFiles({
    name: 'levels.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(good),
  });
  await expect(page.getByTestId('import-message')).toHaveText('Imported 2 levels.');
  await expect(page.getByTestId('level-row')).toHaveCount(before + 2);
  const imported = page.getByTestId('level-row').filter({ hasText: 'from a file' });
  await expect(imported).toHaveCount(2);

  // Leave the shared server as it was found (the specs run in either order).
  for (let left = 2; left > 0; left--) {
    await imported.first().getByTestId('delete-level').click();
    await expect(imported).toHaveCount(left - 1);
  }
});
