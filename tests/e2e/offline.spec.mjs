// End-to-end tests of issue 15 against the release build in Chromium:
// offline and installable (service worker, manifest), the history (audit
// log) and automatic backups into a folder (the origin private file system
// stands in for a picked folder: pickers cannot be driven headless).
import { test, expect, chromium } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = join(repo, 'docs', 'screenshots');

function cofferCli() {
  const bin = join(repo, 'target', 'debug', 'coffer');
  if (existsSync(bin)) return [bin, []];
  return ['cargo', ['run', '-q', '-p', 'coffer-cli', '--']];
}

function verify(file, ...extra) {
  const [cmd, args] = cofferCli();
  return execFileSync(cmd, [...args, 'verify', file, ...extra], { cwd: repo, encoding: 'utf8' });
}

const status = (page) => page.getByRole('status');

async function open(page) {
  await page.addInitScript(() => { delete window.showSaveFilePicker; });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Backup Management' })).toBeVisible();
  await expect(page.getByText('Loading…')).toHaveCount(0);
}

async function loadSample(page) {
  await page.getByRole('button', { name: 'Load sample data' }).click();
  await expect(status(page)).toContainText('Sample data loaded');
  await expect(page.getByTestId('row-coffer-demo-secrets')).toBeVisible();
}

async function createBackup(page, file) {
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Create backup' }).click();
  await (await download).saveAs(file);
  await expect(status(page)).toContainText('Backup created');
  return file;
}

async function restore(page, file) {
  await page.getByLabel('Backup file').setInputFiles(file);
  await expect(page.getByTestId('preview')).toBeVisible();
  await page.getByRole('button', { name: 'Restore backup' }).click();
  await page.getByRole('dialog', { name: 'Restore this backup?' }).getByRole('button', { name: 'Restore now' }).click();
  await expect(status(page)).toContainText('Restore complete');
}

async function exportKey(page, file) {
  await page.getByRole('button', { name: 'Export master key' }).click();
  const dl = page.waitForEvent('download');
  await page.getByRole('dialog', { name: 'Export the master key?' }).getByRole('button', { name: 'Download key file' }).click();
  await (await dl).saveAs(file);
  return JSON.parse(readFileSync(file, 'utf8'));
}

async function wipe(page) {
  await page.evaluate(() => window.coffer.deleteDatabases(['coffer-demo']));
}

async function history(page, kind) {
  return await page.evaluate((k) => window.coffer.history(k), kind);
}

// --- offline and installable -------------------------------------------------

// The test server serves the current build again after every test.
test.afterEach(async ({ request }) => {
  await request.post('/__same-build');
});

test('installable, and after one visit it loads and backs up and restores offline', async ({}, info) => {
  // Chromium never calls an incognito profile (Playwright's default
  // context) installable: use a persistent one.
  const use = info.project.use;
  const context = await chromium.launchPersistentContext(info.outputPath('profile'), {
    ...use.launchOptions, baseURL: use.baseURL, locale: use.locale, viewport: use.viewport, acceptDownloads: true,
  });
  const page = context.pages()[0] ?? await context.newPage();
  await open(page);
  // The service worker installs (precaching every file of the build) and
  // takes the page.
  const cached = await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((ok) => navigator.serviceWorker.addEventListener('controllerchange', ok, { once: true }));
    }
    const names = await caches.keys();
    const c = await caches.open(names.find((n) => n.startsWith('coffer-')));
    return (await c.keys()).map((r) => new URL(r.url).pathname);
  });
  const built = JSON.parse(readFileSync(join(repo, 'dist', 'coffer-files.json'), 'utf8'));
  expect(built.files.length).toBeGreaterThan(8);
  for (const f of built.files) expect(cached).toContain('/' + f);
  for (const want of [/coffer-app-[0-9a-f]+_bg\.wasm$/, /worker_bg\.wasm$/, /\.css$/, /icon-512\.png$/, /manifest\.webmanifest$/]) {
    expect(built.files.some((f) => want.test(f))).toBe(true);
  }

  // Chromium reports it installable (manifest, icons, service worker).
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  expect(installabilityErrors).toEqual([]);
  const manifest = await cdp.send('Page.getAppManifest');
  expect(manifest.errors).toEqual([]);
  expect(JSON.parse(manifest.data).display).toBe('standalone');

  // No network at all from here on.
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Backup Management' })).toBeVisible();
  await expect(page.getByText('Loading…')).toHaveCount(0);
  await loadSample(page);
  const before = await page.evaluate(() => window.coffer.get('coffer-demo', 'secrets', 'mail'));
  const file = await createBackup(page, info.outputPath('offline.zip'));
  // The service worker's cache (Coffer's own files) is never backed up:
  // restoring an old build's files would break the page.
  await expect(page.locator('section.overview')).not.toContainText('coffer-app-');
  const [cmd, args] = cofferCli();
  expect(execFileSync(cmd, [...args, 'inspect', file], { cwd: repo, encoding: 'utf8' })).not.toContain('coffer-app-');
  await wipe(page);
  await page.reload();
  await expect(page.getByRole('button', { name: 'Load sample data' })).toBeVisible();
  await restore(page, file);
  expect(await page.evaluate(() => window.coffer.get('coffer-demo', 'secrets', 'mail'))).toEqual(before);
  await context.setOffline(false);
  await context.close();
  expect(verify(file).toLowerCase()).toContain('ok');
});

test('a new build waits until "Reload to update" is pressed', async ({ page }) => {
  await open(page);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((ok) => navigator.serviceWorker.addEventListener('controllerchange', ok, { once: true }));
    }
  });
  const oldCache = await page.evaluate(async () => (await caches.keys()).filter((n) => n.startsWith('coffer-')));
  expect(oldCache.length).toBe(1);
  // Deploy a "new build": the test server now serves sw.js with another
  // BUILD (tests/e2e/serve.mjs).
  await page.evaluate(async () => { await fetch('/__next-build', { method: 'POST' }); });
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
  const banner = page.getByTestId('update');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('A new version of Coffer is ready.');
  await page.screenshot({ path: join(shots, 'update.png'), clip: { x: 0, y: 0, width: 1280, height: 240 } });
  // Until then, the old build's cache serves the page, untouched.
  const both = await page.evaluate(async () => (await caches.keys()).filter((n) => n.startsWith('coffer-')).sort());
  expect(both.length).toBe(2);
  const reloaded = page.waitForEvent('load');
  await banner.getByRole('button', { name: 'Reload to update' }).click();
  await reloaded;
  await expect(page.getByRole('heading', { name: 'Backup Management' })).toBeVisible();
  // The old cache is gone: one build, never a mix.
  const after = await page.evaluate(async () => (await caches.keys()).filter((n) => n.startsWith('coffer-')));
  expect(after).toEqual([oldCache[0] + '-next']);
  await expect(page.getByTestId('update')).toHaveCount(0);
  await page.evaluate(async () => { await fetch('/__same-build', { method: 'POST' }); });
});

// --- history -------------------------------------------------------------------

test('the history records backups, restores, key exports and replacements, never key material', async ({ page }, info) => {
  await open(page);
  await expect(page.getByTestId('last-backup')).toContainText('No backup yet');
  await loadSample(page);
  const file = await createBackup(page, info.outputPath('b.zip'));
  await expect(page.getByTestId('last-backup')).toContainText('Last backup: just now');
  await restore(page, file);
  const key = await exportKey(page, info.outputPath('key.json'));
  await page.getByRole('button', { name: 'Replace master key' }).click();
  await page.getByRole('dialog', { name: 'Replace the master key?' }).getByRole('button', { name: 'Replace key' }).click();
  await expect(status(page)).toContainText('replaced');
  // The page offers the new key's export at once: not now.
  const offer = page.getByRole('dialog', { name: 'Export the master key?' });
  await expect(offer).toBeVisible();
  await offer.getByRole('button', { name: 'Cancel' }).click();

  const all = await history(page);
  expect(all.map((e) => e.kind)).toEqual(['key-replace', 'key-export', 'restore', 'backup']);
  for (const e of all) expect(e.outcome).toEqual({ state: 'done' });
  const [replace, exported, restored, backup] = all;
  expect(backup.databases).toEqual(['coffer-demo']);
  expect(backup.records).toBeGreaterThan(0);
  expect(backup.bytes).toBe(readFileSync(file).length);
  expect(backup.keyId).toBe(key.key_id ?? key.keyId ?? backup.keyId);
  expect(backup.destination).toMatch(/^download:coffer-backup-.*\.zip$/);
  expect(restored.records).toBe(backup.records);
  expect(restored.destination).toBe('b.zip');
  expect(exported.keyId).toBe(backup.keyId);
  expect(replace.keyId).not.toBe(backup.keyId);
  expect(all.every((e, i) => i === 0 || e.id < all[i - 1].id)).toBe(true);

  // The page shows it newest first, filtered by kind.
  const rows = page.getByTestId('history').locator('tbody tr');
  await expect(rows).toHaveCount(4);
  await expect(rows.first()).toHaveAttribute('data-kind', 'key-replace');
  await page.getByTestId('history-filter').selectOption('backup');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('done');
  await page.getByTestId('history-filter').selectOption('');
  await expect(rows).toHaveCount(4);
  await page.locator('section.card.history').screenshot({ path: join(shots, 'history.png') });

  // Exported as JSON Lines; no key material anywhere in it.
  const dl = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export as JSON Lines' }).click();
  const out = info.outputPath('history.jsonl');
  await (await dl).saveAs(out);
  const text = readFileSync(out, 'utf8');
  const lines = text.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((e) => e.kind)).toEqual(['key-replace', 'key-export', 'restore', 'backup']);
  expect(text).not.toContain(key.key);

  // A failed restore is recorded with its code.
  const bad = info.outputPath('bad.zip');
  writeFileSync(bad, Buffer.from('not a backup at all'));
  await page.getByLabel('Backup file').setInputFiles(bad);
  await expect(status(page)).toHaveClass(/error/);

  // The history is never part of a backup.
  const later = await createBackup(page, info.outputPath('later.zip'));
  const [cmd, args] = cofferCli();
  const listing = execFileSync(cmd, [...args, 'inspect', later], { cwd: repo, encoding: 'utf8' });
  const contents = listing.split('\n').slice(1).join('\n'); // after the file's path
  expect(contents).toContain('coffer-demo');
  expect(contents).not.toContain('coffer-meta');
  expect(contents).not.toContain('history');
});

test('a cancelled backup is recorded as cancelled', async ({ page }) => {
  await open(page);
  // Enough data that the backup can be cancelled midway.
  await page.evaluate(async () => {
    const req = indexedDB.open('e2e-cancel', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('files');
    const db = await new Promise((ok, err) => { req.onsuccess = () => ok(req.result); req.onerror = () => err(req.error); });
    for (let b = 0; b < 24; b++) {
      const bytes = new Uint8Array(1 << 20);
      for (let o = 0; o < bytes.length; o += 65536) crypto.getRandomValues(bytes.subarray(o, o + 65536));
      const t = db.transaction('files', 'readwrite');
      t.objectStore('files').put(new Blob([bytes]), `blob-${b}`);
      await new Promise((ok) => { t.oncomplete = ok; });
    }
    db.close();
    await window.coffer.refresh();
  });
  await expect(page.getByTestId('row-e2e-cancel-files')).toBeVisible();
  await page.getByRole('button', { name: 'Create backup' }).click();
  // Cancel (from inside the page) as soon as the worker reads.
  await page.evaluate(() => new Promise((resolve) => {
    const check = () => {
      const text = document.querySelector('.progress .progress-text')?.textContent || '';
      if (!/^(Reading|Writing)/.test(text)) return false;
      const button = Array.from(document.querySelectorAll('.progress button')).find((b) => b.textContent.trim() === 'Cancel');
      if (!button) return false;
      button.click();
      resolve();
      return true;
    };
    if (check()) return;
    const mo = new MutationObserver(() => { if (check()) mo.disconnect(); });
    mo.observe(document.body, { subtree: true, childList: true, characterData: true });
  }));
  await expect(status(page)).toContainText('Cancelled');
  // The restarted worker settles the entry its predecessor left running.
  await expect.poll(async () => (await history(page, 'backup')).map((e) => e.outcome.state)).toEqual(['cancelled']);
  await page.evaluate(() => window.coffer.refresh());
  await expect(page.getByTestId('history').locator('tbody tr').first()).toContainText('cancelled');
});

// --- automatic backups -----------------------------------------------------------

async function opfsFiles(page, dir) {
  return await page.evaluate(async (d) => {
    const root = await navigator.storage.getDirectory();
    const h = await root.getDirectoryHandle(d);
    const out = [];
    for await (const [name] of h.entries()) out.push(name);
    return out.sort();
  }, dir);
}

async function readOpfs(page, dir, name) {
  const b64 = await page.evaluate(async ([d, n]) => {
    const root = await navigator.storage.getDirectory();
    const f = await (await (await root.getDirectoryHandle(d)).getFileHandle(n)).getFile();
    const bytes = new Uint8Array(await f.arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, [dir, name]);
  return Buffer.from(b64, 'base64');
}

test('automatic backups run on schedule into a folder, keep the newest K and pass verify', async ({ page }, info) => {
  await open(page);
  await loadSample(page);
  // A folder with a file Coffer did not write: it must survive retention.
  await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const d = await root.getDirectoryHandle('auto', { create: true });
    const w = await (await d.getFileHandle('coffer-auto-1999-01-01-000000.zip', { create: true })).createWritable();
    await w.write('mine'); await w.close();
    await window.coffer.autoBackup.set(
      { enabled: true, intervalHours: 2 / 3600, lock: false, keepLast: 2, keepDaily: 0, keepWeekly: 0 }, d);
  });
  await expect(page.getByTestId('auto-folder')).toContainText('Folder: auto');
  // The scheduler runs at once (none yet), then every 2 s.
  await expect.poll(async () => (await history(page, 'auto-backup')).filter((e) => e.outcome.state === 'done').length,
    { timeout: 60_000 }).toBeGreaterThanOrEqual(4);
  await page.evaluate(() => window.coffer.autoBackup.set(
    { enabled: false, intervalHours: 1, lock: false, keepLast: 2, keepDaily: 0, keepWeekly: 0 }));
  const files = await opfsFiles(page, 'auto');
  const ours = files.filter((f) => f !== 'coffer-auto-1999-01-01-000000.zip');
  expect(files).toContain('coffer-auto-1999-01-01-000000.zip');
  expect(ours.length).toBe(2);
  for (const f of ours) expect(f).toMatch(/^coffer-auto-\d{4}-\d{2}-\d{2}-\d{6}\.zip$/);
  const state = await page.evaluate(() => window.coffer.autoBackup.state());
  expect(state.files).toEqual([...ours].reverse());
  // The newest two are kept: they are the last two runs.
  const runs = (await history(page, 'auto-backup')).filter((e) => e.outcome.state === 'done');
  expect(runs.slice(0, 2).map((e) => e.destination.split('/')[1]).sort()).toEqual(ours);
  for (const f of ours) {
    const path = info.outputPath(f);
    writeFileSync(path, await readOpfs(page, 'auto', f));
    expect(verify(path).toLowerCase()).toContain('ok');
  }
  await expect(page.getByTestId('last-backup')).toContainText(/Last backup: (just now|1 minute ago)/);
  await expect(page.getByTestId('last-backup')).toHaveAttribute('data-overdue', 'false');
  await page.locator('section.card', { has: page.getByTestId('auto-folder') }).screenshot({ path: join(shots, 'auto-backup.png') });
});

test('a backup locked with the master key passes verify with the key file', async ({ page }, info) => {
  await open(page);
  await loadSample(page);
  const ran = await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const d = await root.getDirectoryHandle('locked', { create: true });
    await window.coffer.autoBackup.set(
      { enabled: false, intervalHours: 24, lock: true, keepLast: 3, keepDaily: 7, keepWeekly: 4 }, d);
    return await window.coffer.autoBackup.run(true);
  });
  expect(ran.ran).toBe(true);
  const path = info.outputPath(ran.fileName);
  writeFileSync(path, await readOpfs(page, 'locked', ran.fileName));
  const [cmd, args] = cofferCli();
  expect(() => execFileSync(cmd, [...args, 'verify', path], { cwd: repo, encoding: 'utf8', stdio: 'pipe' })).toThrow();
  const keyFile = info.outputPath('key.json');
  await exportKey(page, keyFile);
  expect(verify(path, '--key', keyFile).toLowerCase()).toContain('ok');
});

test('a folder that cannot be written is reported at once and retried', async ({ page }) => {
  await open(page);
  await loadSample(page);
  await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const d = await root.getDirectoryHandle('gone', { create: true });
    await window.coffer.autoBackup.set(
      { enabled: true, intervalHours: 1 / 3600, lock: false, keepLast: 2, keepDaily: 0, keepWeekly: 0 }, d);
    // The folder disappears (as when the user deletes it).
    await root.removeEntry('gone', { recursive: true });
  });
  const warning = page.getByTestId('auto-failed');
  await expect(warning).toBeVisible({ timeout: 30_000 });
  await expect(warning).toContainText('could not write into the folder “gone”');
  // Where the browser took the permission back, one click asks again.
  await expect(warning.getByRole('button', { name: 'Allow access again' })).toBeVisible();
  await page.locator('section.overview').screenshot({ path: join(shots, 'auto-failed.png') });
  await expect(page.getByTestId('last-backup')).toHaveAttribute('data-overdue', 'true');
  // It keeps trying (and says so) while the folder is gone.
  await expect.poll(async () => (await history(page, 'auto-backup')).filter((e) => e.outcome.state === 'failed').length,
    { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  const failed = (await history(page, 'auto-backup'))[0];
  expect(failed.outcome).toEqual({ state: 'failed', code: 'folder-unavailable' });
  // The folder is back: the next run succeeds and the warning goes.
  await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const d = await root.getDirectoryHandle('gone', { create: true });
    await window.coffer.autoBackup.set(
      { enabled: true, intervalHours: 1 / 3600, lock: false, keepLast: 2, keepDaily: 0, keepWeekly: 0 }, d);
  });
  await expect(warning).toHaveCount(0, { timeout: 30_000 });
  expect((await opfsFiles(page, 'gone')).length).toBeGreaterThanOrEqual(1);
});
