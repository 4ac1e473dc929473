// Issue 15 ("Also"): dialogs that fit the window, dark mode, axe-core's
// WCAG 2.1 AA rules on every screen and dialog (light and dark, English and
// German) and backup and restore with the keyboard alone. The screens are
// driven through locale-independent selectors (the cards' headings' ids),
// so the same steps run in both languages.
import { test, expect } from '@playwright/test';
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = join(repo, 'docs', 'screenshots');
mkdirSync(shots, { recursive: true });
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const card = (page, id) => page.locator(`section[aria-labelledby=${id}-title]`);
const cardButton = (page, id) => card(page, id).locator(':scope > button');
const dialog = (page) => page.getByRole('dialog');
const dialogButtons = (page) => dialog(page).locator('.actions button');
const status = (page) => page.getByRole('status');

async function open(page) {
  await page.addInitScript(() => { delete window.showSaveFilePicker; });
  await page.goto('/');
  await expect(page.locator('h1')).toBeVisible();
  await expect(page.locator('section.overview p').first()).not.toHaveText(/Loading|Wird geladen/);
}

async function loadSample(page) {
  await page.locator('.empty button').click();
  await expect(page.getByTestId('row-coffer-demo-secrets')).toBeVisible();
}

// `databases` databases holding `stores` stores in all, with long names.
async function seedMany(page, databases, stores) {
  await page.evaluate(async ([databases, stores]) => {
    for (let d = 0; d < databases; d++) {
      const names = [];
      for (let s = d; s < stores; s += databases) names.push(`store-with-a-rather-long-name-${String(s).padStart(2, '0')}`);
      const req = indexedDB.open(`many-stores-database-with-a-long-name-${d}`, 1);
      req.onupgradeneeded = () => { for (const n of names) req.result.createObjectStore(n); };
      const db = await new Promise((ok, err) => { req.onsuccess = () => ok(req.result); req.onerror = () => err(req.error); });
      const tx = db.transaction(names, 'readwrite');
      for (const n of names) for (let i = 0; i < 3; i++) tx.objectStore(n).put({ n: i, text: `${n} record ${i}` }, i);
      await new Promise((ok, err) => { tx.oncomplete = ok; tx.onerror = () => err(tx.error); });
      db.close();
    }
  }, [databases, stores]);
  await page.evaluate(() => window.coffer.refresh());
}

async function createBackup(page, file) {
  const download = page.waitForEvent('download');
  await cardButton(page, 'backup').click();
  await (await download).saveAs(file);
  await expect(status(page)).not.toHaveClass(/error/);
  await expect(status(page)).toContainText('.zip');
  return file;
}

async function choose(page, file) {
  await card(page, 'restore').locator('.dropzone input[type=file]').setInputFiles(file);
}

async function wipe(page) {
  await page.evaluate(async () => {
    for (const { name } of await indexedDB.databases()) {
      if (name === 'coffer-meta') continue;
      await new Promise((ok, err) => { const r = indexedDB.deleteDatabase(name); r.onsuccess = ok; r.onerror = () => err(r.error); r.onblocked = ok; });
    }
  });
}

// Record counts of every store of every database but Coffer's own.
async function counts(page) {
  return await page.evaluate(async () => {
    const out = {};
    for (const { name } of (await indexedDB.databases()).sort((a, b) => a.name.localeCompare(b.name))) {
      if (name === 'coffer-meta') continue;
      const db = await new Promise((ok) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); });
      for (const s of Array.from(db.objectStoreNames)) {
        const r = db.transaction(s).objectStore(s).count();
        out[`${name}/${s}`] = await new Promise((ok) => { r.onsuccess = () => ok(r.result); });
      }
      db.close();
    }
    return out;
  });
}

// How the open dialog and the page fit the viewport.
async function layout(page) {
  return await page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;
    const inside = (r) => r.top >= 0 && r.left >= 0 && r.bottom <= vh + 0.5 && r.right <= vw + 0.5;
    const d = document.querySelector('[role=dialog]');
    const body = d?.querySelector('.dialog-body');
    const buttons = d ? [...d.querySelectorAll('.actions button')].map((b) => {
      const r = b.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return { text: b.textContent, inside: inside(r), onTop: hit === b || b.contains(hit) };
    }) : [];
    const overflowing = [...document.querySelectorAll('.card, .overview, .dialog, .dialog-body, .cards')]
      .filter((e) => e.scrollWidth > e.clientWidth + 1)
      .map((e) => `${e.className} ${e.scrollWidth}>${e.clientWidth}`);
    return {
      dialogInside: d ? inside(d.getBoundingClientRect()) : null,
      bodyScrolls: body ? body.scrollHeight > body.clientHeight : null,
      backdrop: d ? getComputedStyle(d.parentElement).position : null,
      buttons,
      overflowing,
      pageWidth: document.documentElement.scrollWidth <= vw,
    };
  });
}

// --- dialogs fit ---------------------------------------------------------------

for (const viewport of [{ width: 1280, height: 720 }, { width: 390, height: 844 }]) {
  test.describe(`at ${viewport.width}×${viewport.height}`, () => {
    test.use({ viewport });
    test('a backup of 10 databases and 39 stores: the restore dialog scrolls inside, its actions stay reachable, nothing overflows sideways', async ({ page }, info) => {
      await open(page);
      await seedMany(page, 10, 39);
      await expect(page.locator('section.overview tbody tr[data-testid^="row-"]')).toHaveCount(39);
      const file = await createBackup(page, info.outputPath('many.zip'));
      await choose(page, file);
      await expect(page.getByTestId('preview')).toBeVisible();
      await expect(page.getByTestId('preview').locator('tbody tr:not([data-testid])')).toHaveCount(39);
      let l = await layout(page);
      expect(l.overflowing).toEqual([]);
      expect(l.pageWidth).toBe(true);

      await cardButton(page, 'restore').click();
      await expect(dialog(page)).toBeVisible();
      // The stores ("database / store"), besides the parts.
      await expect(dialog(page).locator('li', { hasText: ' / ' })).toHaveCount(39);
      l = await layout(page);
      expect(l.backdrop).toBe('fixed');
      expect(l.dialogInside).toBe(true);
      expect(l.bodyScrolls).toBe(true); // 39 stores do not fit: the list scrolls, not the page
      expect(l.buttons.length).toBe(2);
      for (const b of l.buttons) expect(b, b.text).toEqual({ text: b.text, inside: true, onTop: true });
      expect(l.overflowing).toEqual([]);
      if (viewport.width === 390) await page.screenshot({ path: join(shots, 'restore-dialog-phone.png') });
      else await page.screenshot({ path: join(shots, 'restore-dialog-many.png') });

      // The last store is reachable by scrolling the dialog's body; the
      // actions are still in view and clickable afterwards.
      await dialog(page).getByTestId('dialog-body').hover();
      await page.mouse.wheel(0, 5000);
      await expect(dialog(page).locator('li').last()).toBeInViewport();
      l = await layout(page);
      for (const b of l.buttons) expect(b, b.text).toEqual({ text: b.text, inside: true, onTop: true });

      await wipe(page);
      await dialogButtons(page).first().click(); // a real click: fails if anything covers the button
      await expect(page.getByTestId('preview')).toHaveCount(0);
      await expect(status(page)).toContainText('Restore complete: 117 records in 39 store(s) of 10 database(s).');
      expect(Object.keys(await counts(page)).length).toBe(39);
    });

    test('the key dialogs fit and keep their actions in view', async ({ page }) => {
      await open(page);
      await loadSample(page);
      for (const id of ['export', 'replace']) {
        await cardButton(page, id).click();
        await expect(dialog(page)).toBeVisible();
        if (id === 'replace') await dialog(page).locator('input[type=radio]').nth(1).check();
        const l = await layout(page);
        expect(l.dialogInside).toBe(true);
        for (const b of l.buttons) expect(b, b.text).toEqual({ text: b.text, inside: true, onTop: true });
        expect(l.overflowing).toEqual([]);
        await page.keyboard.press('Escape');
        await expect(dialog(page)).toHaveCount(0);
      }
      if (viewport.width === 390) await page.screenshot({ path: join(shots, 'phone.png'), fullPage: true });
    });
  });
}

// --- dark mode -------------------------------------------------------------------

test.describe('dark mode', () => {
  test.use({ colorScheme: 'dark' });
  test('the app follows prefers-color-scheme', async ({ page }) => {
    await open(page);
    const colours = () => page.evaluate(() => ({
      body: getComputedStyle(document.body).backgroundColor,
      card: getComputedStyle(document.querySelector('.overview')).backgroundColor,
      text: getComputedStyle(document.body).color,
    }));
    const dark = await colours();
    expect(dark).toEqual({ body: 'rgb(28, 26, 24)', card: 'rgb(38, 35, 32)', text: 'rgb(236, 231, 225)' });
    await loadSample(page);
    await cardButton(page, 'export').click();
    expect(await dialog(page).evaluate((d) => getComputedStyle(d).backgroundColor)).toBe('rgb(38, 35, 32)');
    await page.screenshot({ path: join(shots, 'dark-export-dialog.png') });
    await page.keyboard.press('Escape');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(shots, 'dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await colours()).toEqual({ body: 'rgb(250, 248, 245)', card: 'rgb(255, 255, 255)', text: 'rgb(29, 27, 25)' });
  });
});

// --- axe-core -------------------------------------------------------------------

async function axe(page, screen, found) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`) }));
  }, WCAG);
  for (const v of violations) found.push({ screen, ...v });
  return violations.length;
}

for (const colorScheme of ['light', 'dark']) {
  for (const locale of ['en-US', 'de-DE']) {
    test.describe(`axe, ${colorScheme}, ${locale}`, () => {
      test.use({ colorScheme, locale });
      test('every screen and dialog has no WCAG 2.1 AA violation', async ({ page }, info) => {
        const found = [];
        let screens = 0;
        const check = async (screen) => { screens++; await axe(page, screen, found); };
        await open(page);
        expect(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(colorScheme === 'dark');
        await check('empty');
        await loadSample(page);
        await check('overview');
        // Backup options: the passphrase field.
        await card(page, 'backup').locator(':scope > label input[type=checkbox]').first().check();
        await check('backup passphrase');
        await card(page, 'backup').locator('input[type=password]').fill('correct horse');
        const locked = await createBackup(page, info.outputPath('locked.zip'));
        await card(page, 'backup').locator(':scope > label input[type=checkbox]').first().uncheck();
        const plain = await createBackup(page, info.outputPath('plain.zip'));
        await check('backup created');
        // A damaged file.
        const bad = info.outputPath('bad.zip');
        writeFileSync(bad, 'not a backup');
        await choose(page, bad);
        await expect(status(page)).toHaveClass(/error/);
        await check('damaged file');
        // A locked backup asks for its passphrase.
        await choose(page, locked);
        await expect(card(page, 'restore').locator('.field-row input[type=password]')).toBeVisible();
        await check('locked backup');
        // The preview, the confirmation, the result.
        await choose(page, plain);
        await expect(page.getByTestId('preview')).toBeVisible();
        await check('restore preview');
        await cardButton(page, 'restore').click();
        await expect(dialog(page)).toBeVisible();
        await check('restore dialog');
        await dialogButtons(page).first().click();
        await expect(page.getByTestId('preview')).toHaveCount(0);
        await expect(status(page)).not.toHaveClass(/error/);
        await check('restored');
        // The key dialogs.
        await cardButton(page, 'export').click();
        await expect(dialog(page)).toBeVisible();
        await check('export dialog');
        await page.keyboard.press('Escape');
        await cardButton(page, 'replace').click();
        await dialog(page).locator('input[type=radio]').nth(1).check();
        await expect(dialog(page).locator('input[type=file]')).toBeVisible();
        await check('replace dialog');
        await page.keyboard.press('Escape');
        await expect(dialog(page)).toHaveCount(0);
        expect(found).toEqual([]);
        expect(screens).toBe(11);
      });
    });
  }
}

// --- keyboard only -------------------------------------------------------------

// Presses Tab (Shift+Tab with `back`) until `target` has the focus, then
// checks that the focus is visible.
async function tabTo(page, target, back = false) {
  for (let i = 0; i < 120; i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) break;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  await expect(target).toBeFocused();
  await expectFocusVisible(page);
}

async function expectFocusVisible(page) {
  const ring = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), visible: document.activeElement.matches(':focus-visible') };
  });
  expect(ring.visible).toBe(true);
  expect(ring.style).not.toBe('none');
  expect(ring.width).toBeGreaterThanOrEqual(2);
}

const focusIn = (page, selector) => page.evaluate((s) => !!document.activeElement?.closest(s), selector);

test('backup, restore and key export with the keyboard alone', async ({ page }, info) => {
  await open(page);
  await page.locator('body').focus();
  await tabTo(page, page.locator('.empty button'));
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('row-coffer-demo-secrets')).toBeVisible();
  const before = await counts(page);

  // Backup: Enter on "Create backup".
  await tabTo(page, cardButton(page, 'backup'));
  const download = page.waitForEvent('download');
  await page.keyboard.press('Enter');
  const file = info.outputPath('keyboard.zip');
  await (await download).saveAs(file);
  await expect(status(page)).toContainText('Backup created');
  await wipe(page);

  // Restore: Space on the file input opens the file chooser.
  const input = card(page, 'restore').locator('.dropzone input[type=file]');
  await tabTo(page, input);
  const chooser = page.waitForEvent('filechooser');
  await page.keyboard.press('Space');
  await (await chooser).setFiles(file);
  await expect(page.getByTestId('preview')).toBeVisible();
  await tabTo(page, cardButton(page, 'restore'));
  await page.keyboard.press('Enter');
  await expect(dialog(page)).toBeVisible();
  // The focus moved into the dialog and stays there: Tab wraps around.
  expect(await focusIn(page, '[role=dialog]')).toBe(true);
  await expectFocusVisible(page);
  const restoreNow = dialogButtons(page).first();
  const cancel = dialogButtons(page).last();
  await tabTo(page, cancel);
  await page.keyboard.press('Tab');
  expect(await focusIn(page, '[role=dialog]')).toBe(true);
  await page.keyboard.press('Shift+Tab');
  await expect(cancel).toBeFocused();
  // Cancel gives the focus back to "Restore backup"; Enter opens it again.
  await page.keyboard.press('Enter');
  await expect(dialog(page)).toHaveCount(0);
  await expect(cardButton(page, 'restore')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog(page)).toBeVisible();
  await tabTo(page, restoreNow);
  await page.keyboard.press('Space');
  await expect(status(page)).toContainText('Restore complete');
  await expect(dialog(page)).toHaveCount(0);
  // The focus is back in the restore card, not lost to the page.
  expect(await focusIn(page, 'section[aria-labelledby=restore-title]')).toBe(true);
  expect(await counts(page)).toEqual(before);

  // Key export: Escape closes the warning and returns the focus; Enter on
  // "Download key file" downloads the key.
  await tabTo(page, cardButton(page, 'export'));
  await page.keyboard.press('Enter');
  await expect(dialog(page)).toBeVisible();
  await expect(dialog(page).locator('input[type=password]')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog(page)).toHaveCount(0);
  await expect(cardButton(page, 'export')).toBeFocused();
  await page.keyboard.press('Enter');
  await page.keyboard.type('key passphrase');
  await tabTo(page, dialogButtons(page).first());
  const key = page.waitForEvent('download');
  await page.keyboard.press('Enter');
  expect((await key).suggestedFilename()).toMatch(/\.json$/);
  await expect(status(page)).toContainText('protected by your passphrase');
  expect(await focusIn(page, 'section[aria-labelledby=export-title]')).toBe(true);
});
