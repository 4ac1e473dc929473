// The npm package of <coffer-backup> in a bundled Vite app (issue #17), run
// by scripts/test-npm.sh: the wasm and worker files must be found after
// `vite build` without copying anything by hand.
import { test, expect } from '@playwright/test';

test('a Vite app that installed coffer-backup backs up and restores through the element', async ({ page }) => {
  const failed = [];
  page.on('requestfailed', (r) => failed.push(r.url()));
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
  await page.goto('/');
  await page.evaluate(() => customElements.whenDefined('coffer-backup'));
  await page.evaluate(async () => {
    await window.notesApp.add('first note');
    await window.notesApp.add('with a file', new File(['quarterly numbers\n'], 'q.txt', { type: 'text/plain' }));
    await window.notesApp.add('with bytes', new Blob([new Uint8Array([0, 1, 2, 250, 255])]));
  });
  const before = await page.evaluate(() => window.notesApp.dump());
  expect(before).toHaveLength(3);

  // The element found its wasm and started its worker: the UI is up.
  await page.evaluate(() => document.querySelector('coffer-backup').ready);
  await expect(page.locator('coffer-backup').getByRole('button', { name: /create backup/i })).toBeVisible();

  const size = await page.evaluate(() => window.notesApp.backup());
  expect(size).toBeGreaterThan(100);
  await page.evaluate(() => window.notesApp.clear());
  expect(await page.evaluate(() => window.notesApp.dump())).toEqual([]);

  const report = await page.evaluate(() => window.notesApp.restore());
  expect(report.records).toBe(3);
  expect(await page.evaluate(() => window.notesApp.dump())).toEqual(before);
  expect(failed).toEqual([]);
});
