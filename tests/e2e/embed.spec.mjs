// Tests of the embeddable <coffer-backup> (issue #4) in examples/host-app,
// run by scripts/test-embed.sh (tests/e2e/embed.config.mjs). Every test
// starts from an empty origin.
import { test, expect } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

test.skip(process.env.COFFER_EMBED !== '1', 'run by scripts/test-embed.sh');

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = join(repo, 'docs', 'screenshots');

// Records every coffer-* event of the element into window.__events.
async function openHost(page, path = '/') {
  await page.addInitScript(() => {
    // Downloads instead of the File System Access dialog, as in app.spec.mjs.
    delete window.showSaveFilePicker;
    window.__events = [];
    for (const name of ['coffer-progress', 'coffer-backup-done', 'coffer-restore-done', 'coffer-key-replaced', 'coffer-error', 'coffer-ready', 'coffer-backup-due']) {
      document.addEventListener(name, (e) => {
        const d = e.detail || {};
        const copy = {};
        for (const [k, v] of Object.entries(d)) copy[k] = v instanceof Blob ? { blob: v.size, type: v.type } : v;
        window.__events.push({ type: name, target: e.target.localName, composed: e.composed, bubbles: e.bubbles, detail: copy });
      });
    }
  });
  await page.goto(path);
  await page.evaluate(() => customElements.whenDefined('coffer-backup'));
  await page.evaluate(() => document.querySelector('coffer-backup').ready);
}

async function seed(page) {
  await page.evaluate(async () => {
    const h = window.hostApp;
    await h.addTodo('buy milk');
    await h.addTodo('write report', new File(['quarterly numbers\n'], 'report.txt', { type: 'text/plain', lastModified: 1700000000000 }));
    await h.addTodo('call mom', new Blob([new Uint8Array([0, 1, 2, 250, 255])], { type: 'application/octet-stream' }));
    await h.toggle(1);
    await h.saveToken('github', 'ghp_secret123');
    await h.saveToken('stripe', 'sk_test_456');
  });
}

// Everything the host app keeps, in a JSON-comparable form (Blobs by bytes).
async function hostData(page) {
  return await page.evaluate(async () => {
    const h = window.hostApp;
    const todos = await h.todos();
    for (const t of todos) {
      t.created = t.created instanceof Date ? { date: t.created.getTime() } : t.created;
      if (t.attachment) {
        const a = t.attachment;
        t.attachment = { kind: Object.prototype.toString.call(a), name: a.name ?? null, type: a.type, lastModified: a.lastModified ?? null, bytes: Array.from(new Uint8Array(await a.arrayBuffer())) };
      }
    }
    const names = await h.tokenNames();
    const tokens = {};
    for (const n of names) {
      const t = await h.token(n);
      tokens[n] = { value: t.value, saved: t.saved.getTime() };
    }
    return { todos, tokens };
  });
}

// The raw (sealed) records of the tokens store: never plaintext.
async function rawTokens(page) {
  return await page.evaluate(async () => {
    const db = await new Promise((ok, err) => { const r = indexedDB.open('host-app'); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    const all = await new Promise((ok) => { const r = db.transaction('tokens').objectStore('tokens').getAll(); r.onsuccess = () => ok(r.result); });
    db.close();
    return all.map((v) => Object.prototype.toString.call(v) + ':' + new TextDecoder().decode(v instanceof Uint8Array ? v : new Uint8Array(0)));
  });
}

async function wipe(page) {
  await page.evaluate(() => window.hostApp.wipe());
  const left = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
  expect(left).not.toContain('host-app');
}

const events = (page, type) => page.evaluate((t) => window.__events.filter((e) => e.type === t), type);

test('the element renders the Backup Management UI in its shadow root', async ({ page }) => {
  await openHost(page);
  const el = page.locator('coffer-backup');
  expect(await el.evaluate((e) => e.shadowRoot !== null && e.shadowRoot.mode)).toBe('open');
  await expect(el.getByRole('heading', { name: 'Backup Management', level: 1 })).toBeVisible();
  for (const card of ['Create backup', 'Restore backup', 'Export master key', 'Replace master key']) {
    await expect(el.getByRole('heading', { name: card, level: 2 })).toBeVisible();
  }
  // The host page itself has no Coffer markup in its light DOM.
  expect(await page.evaluate(() => document.querySelectorAll('main.coffer, .cards').length)).toBe(0);
  // The encrypted attribute registered host-app/tokens; the overview shows it.
  await seed(page);
  await page.evaluate(() => document.querySelector('coffer-backup').refresh());
  await expect(el.locator('.overview')).toContainText('host-app');
  await expect(el.locator('.overview')).toContainText('tokens');
  await expect(el.locator('.overview .badge').first()).toHaveText('encrypted');
  const ready = await events(page, 'coffer-ready');
  expect(ready).toHaveLength(1);
  expect(Object.keys(ready[0].detail)).toEqual(['keyId']);
  await expect.poll(() => page.evaluate(() => document.querySelector('coffer-backup').keyId)).toMatch(/^\S{8,}$/);
  await expect(el.locator('.key-id').filter({ hasText: 'Current key id' })).toContainText((await page.evaluate(() => document.querySelector('coffer-backup').keyId)).slice(0, 8));
});

test('styles are isolated both ways', async ({ page }) => {
  await openHost(page);
  const inner = await page.locator('coffer-backup').evaluate((el) => {
    const r = el.shadowRoot;
    const css = (n, p) => getComputedStyle(n)[p];
    const btn = [...r.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Export master key');
    const h1 = r.querySelector('h1');
    const main = r.querySelector('main.coffer');
    return {
      btnBg: css(btn, 'backgroundColor'), btnColor: css(btn, 'color'), btnBorder: css(btn, 'borderTopWidth'), btnFont: css(btn, 'fontFamily'),
      h1Size: css(h1, 'fontSize'), h1Transform: css(h1, 'textTransform'), h1Color: css(h1, 'color'),
      font: css(main, 'fontFamily'), lineHeight: css(main, 'lineHeight'), letterSpacing: css(main, 'letterSpacing'), outline: css(r.querySelector('.card'), 'outlineStyle'),
    };
  });
  // The element looks like the app, whatever the host's button/h1/* rules say.
  expect(inner.btnBg).toBe('rgb(107, 79, 58)');
  expect(inner.btnColor).toBe('rgb(255, 255, 255)');
  expect(inner.btnBorder).toBe('1px');
  expect(inner.btnFont).toContain('system-ui');
  expect(inner.h1Size).toBe('28px');
  expect(inner.h1Transform).toBe('none');
  expect(inner.h1Color).toBe('rgb(29, 27, 25)');
  expect(inner.font).toContain('system-ui');
  expect(inner.font).not.toContain('Georgia');
  expect(inner.lineHeight).toBe('22.5px');
  expect(inner.letterSpacing).toBe('normal');
  expect(inner.outline).toBe('none');
  // The host keeps its own look: the element's rules (button, h1, table, body) do not leak out.
  const host = await page.evaluate(() => {
    const css = (s, p) => getComputedStyle(document.querySelector(s))[p];
    return { btnBg: css('#add button', 'backgroundColor'), btnFont: css('#add button', 'fontFamily'), h1Size: css('header h1', 'fontSize'), h2: css('#todos-title', 'textTransform'), bodyFont: css('body', 'fontFamily'), bodyBg: css('body', 'backgroundColor'), sheets: document.styleSheets.length };
  });
  expect(host).toEqual({ btnBg: 'rgb(224, 33, 138)', btnFont: '"Courier New", monospace', h1Size: '34px', h2: 'uppercase', bodyFont: 'Georgia, "Times New Roman", serif', bodyBg: 'rgb(238, 243, 248)', sheets: 1 });
  await page.locator('coffer-backup').scrollIntoViewIfNeeded();
  mkdirSync(shots, { recursive: true });
  await seed(page);
  await page.evaluate(() => document.querySelector('coffer-backup').refresh());
  await expect(page.locator('coffer-backup .overview')).toContainText('tokens');
  await page.reload();
  await page.evaluate(() => document.querySelector('coffer-backup').ready);
  await expect(page.locator('#list li')).toHaveCount(3);
  await expect(page.locator('coffer-backup .overview')).toContainText('tokens');
  await page.screenshot({ path: join(shots, 'embed-host-app.png'), fullPage: true });
});

test('host data round trip through the element UI', async ({ page }, info) => {
  await openHost(page);
  await seed(page);
  const before = await hostData(page);
  expect(before.todos).toHaveLength(3);
  expect(Object.keys(before.tokens)).toEqual(['github', 'stripe']);
  for (const raw of await rawTokens(page)) expect(raw).not.toContain('ghp_secret123');
  const el = page.locator('coffer-backup');
  await page.evaluate(() => document.querySelector('coffer-backup').refresh());
  await expect(el.locator('.overview')).toContainText('host-app');
  const download = page.waitForEvent('download');
  await el.getByRole('button', { name: 'Create backup' }).click();
  const file = await download;
  const path = info.outputPath('ui-backup.zip');
  await file.saveAs(path);
  const done = await events(page, 'coffer-backup-done');
  expect(done).toHaveLength(1);
  expect(done[0]).toMatchObject({ target: 'coffer-backup', bubbles: true, composed: true });
  expect(done[0].detail.fileName).toMatch(/^coffer-backup-.*\.zip$/);
  expect(done[0].detail.records).toBe(3 + 2 + 2);
  expect(done[0].detail.blob.blob).toBe(done[0].detail.bytes);
  const progress = await events(page, 'coffer-progress');
  expect(progress.length).toBeGreaterThan(0);
  expect(Object.keys(progress[0].detail).sort()).toEqual(['doneBytes', 'doneRecords', 'phase', 'totalBytes', 'totalRecords']);

  await wipe(page);
  await el.locator('input[type=file]').first().setInputFiles(path);
  await expect(el.getByTestId('preview')).toContainText('tokens');
  await el.getByRole('button', { name: 'Restore backup' }).click();
  await el.getByRole('dialog', { name: 'Restore this backup?' }).getByRole('button', { name: 'Restore now' }).click();
  await expect(el.getByTestId('status')).toContainText('Restore complete');
  const restored = await events(page, 'coffer-restore-done');
  expect(restored).toHaveLength(1);
  // The element's include="host-app" names no other storage: no parts.
  expect(restored[0].detail).toEqual({ databases: 1, stores: 3, records: 7, resealed: 0, parts: {} });
  expect(await hostData(page)).toEqual(before);
  // The host app's own list re-rendered on coffer-restore-done.
  await expect(page.locator('#list li')).toHaveCount(3);
});

test('host data round trip through backup() and restore(), with inspect() and events', async ({ page }) => {
  await openHost(page);
  await seed(page);
  const before = await hostData(page);
  const r = await page.evaluate(async () => {
    const el = document.querySelector('coffer-backup');
    const seen = [];
    const blob = await el.backup({ onProgress: (p) => seen.push(p.phase) });
    window.__backup = blob;
    const summary = await el.inspect(blob);
    return { size: blob.size, type: blob.type, name: blob.name, phases: [...new Set(seen)], summary };
  });
  expect(r.size).toBeGreaterThan(100);
  expect(r.name).toMatch(/\.zip$/);
  expect(r.phases.length).toBeGreaterThan(0);
  expect(r.summary).toMatchObject({ locked: false, keyOk: true, reseal: false, records: 7 });
  expect(r.summary.backupKeyId).toBe(r.summary.currentKeyId);
  const db = r.summary.databases.find((d) => d.name === 'host-app');
  expect(db.stores.map((s) => [s.name, s.records, s.encrypted])).toEqual([['attachments', 2, false], ['todos', 3, false], ['tokens', 2, true]]);
  const done = await events(page, 'coffer-backup-done');
  expect(done).toHaveLength(1);
  expect(done[0].detail).toMatchObject({ records: 7, bytes: r.size, blob: { blob: r.size } });

  await wipe(page);
  const report = await page.evaluate(async () => {
    const el = document.querySelector('coffer-backup');
    return await el.restore(window.__backup, { onProgress: () => {} });
  });
  expect(report).toEqual({ databases: 1, stores: 3, records: 7, resealed: 0, parts: {} });
  expect((await events(page, 'coffer-restore-done'))[0].detail).toEqual(report);
  expect(await hostData(page)).toEqual(before);
  expect(await events(page, 'coffer-error')).toEqual([]);
});

test('lastBackup and coffer-backup-due tell the host app when a backup is due', async ({ page }) => {
  await openHost(page);
  // A fresh origin has no backup: due at once.
  await expect.poll(async () => (await events(page, 'coffer-backup-due')).length).toBe(1);
  const due = (await events(page, 'coffer-backup-due'))[0];
  expect(due).toMatchObject({ target: 'coffer-backup', bubbles: true, composed: true, detail: { lastBackup: null } });
  expect(await page.evaluate(() => document.querySelector('coffer-backup').lastBackup)).toBeNull();
  await seed(page);
  const made = await page.evaluate(async () => {
    const el = document.querySelector('coffer-backup');
    await el.backup();
    const t0 = Date.now();
    while (!el.lastBackup && Date.now() - t0 < 10_000) await new Promise((ok) => setTimeout(ok, 100));
    return { isDate: el.lastBackup instanceof Date, age: Date.now() - el.lastBackup.getTime() };
  });
  expect(made.isDate).toBe(true);
  expect(made.age).toBeGreaterThanOrEqual(0);
  expect(made.age).toBeLessThan(60_000);
  // The UI says so too, and no second "due" event came.
  await expect(page.locator('coffer-backup').getByTestId('last-backup')).toContainText('Last backup: just now');
  expect(await events(page, 'coffer-backup-due')).toHaveLength(1);
});

test('the host app with Coffer works offline after one visit', async ({ page, context }) => {
  await openHost(page);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((ok) => navigator.serviceWorker.addEventListener('controllerchange', ok, { once: true }));
    }
  });
  await context.setOffline(true);
  await page.reload();
  await page.evaluate(() => customElements.whenDefined('coffer-backup'));
  await page.evaluate(() => document.querySelector('coffer-backup').ready);
  await seed(page);
  const before = await hostData(page);
  const r = await page.evaluate(async () => {
    const el = document.querySelector('coffer-backup');
    const blob = await el.backup();
    return { size: blob.size, report: await el.restore(blob) };
  });
  expect(r.size).toBeGreaterThan(100);
  expect(r.report.records).toBe(7);
  expect(await hostData(page)).toEqual(before);
  await context.setOffline(false);
});

test('errors reject with a code and fire coffer-error', async ({ page }) => {
  await openHost(page);
  const r = await page.evaluate(async () => {
    const el = document.querySelector('coffer-backup');
    const out = {};
    try { await el.restore(new Blob(['this is not a backup'])); } catch (e) { out.damaged = { name: e.name, code: e.code, message: e.message }; }
    try { await el.restore('nope'); } catch (e) { out.arg = { name: e.name, code: e.code }; }
    try { await el.backup({ databases: ['no-such-db'] }); } catch (e) { out.empty = { code: e.code }; }
    const ac = new AbortController();
    ac.abort();
    try { await el.backup({ signal: ac.signal }); } catch (e) { out.aborted = { name: e.name, code: e.code }; }
    return out;
  });
  expect(r.damaged.name).toBe('CofferError');
  expect(r.damaged.code).toMatch(/^[a-z-]+$/);
  expect(r.damaged.message.length).toBeGreaterThan(5);
  expect(r.arg).toEqual({ name: 'CofferError', code: 'bad-argument' });
  expect(r.empty).toEqual({ code: 'nothing-selected' });
  expect(r.aborted).toEqual({ name: 'AbortError', code: 'cancelled' });
  const errs = (await events(page, 'coffer-error')).map((e) => e.detail.code);
  expect(errs).toEqual([r.damaged.code, 'bad-argument', 'nothing-selected', 'cancelled']);
  for (const e of await events(page, 'coffer-error')) expect(typeof e.detail.message).toBe('string');
  await expect(page.locator('coffer-backup').getByTestId('status')).toHaveClass(/error/);
});

test('keyId, exportKey() and replaceKey() with coffer-key-replaced; sealed tokens survive', async ({ page }) => {
  await openHost(page);
  await seed(page);
  // The first sealed record created the key; the next overview shows it.
  await expect.poll(() => page.evaluate(() => { const el = document.querySelector('coffer-backup'); el.refresh(); return el.keyId; })).toMatch(/^\S{8,}$/);
  const r = await page.evaluate(async () => {
    const el = document.querySelector('coffer-backup');
    const first = el.keyId;
    const keyFile = await el.exportKey();
    const keyJson = await keyFile.text();
    const replaced = await el.replaceKey(null, { onProgress: () => {} });
    const afterFresh = el.keyId;
    const token = (await window.hostApp.token('github')).value;
    const back = await el.replaceKey(keyFile);
    el.keyId = 'tampered';
    return { first, keyName: keyFile.name, keyFileId: keyFile.keyId, keyType: keyFile.type, keyHasId: keyJson.includes(first), replaced, afterFresh, token, back, last: el.keyId };
  });
  expect(r.first).toMatch(/^\S{8,}$/);
  expect(r.keyFileId).toBe(r.first);
  expect(r.keyHasId).toBe(true);
  expect(r.keyName).toMatch(/\.json$/);
  expect(r.replaced.oldKeyId).toBe(r.first);
  expect(r.replaced.keyId).not.toBe(r.first);
  expect(r.replaced.resealed).toBe(2);
  expect(r.afterFresh).toBe(r.replaced.keyId);
  expect(r.token).toBe('ghp_secret123');
  expect(r.back).toEqual({ keyId: r.first, oldKeyId: r.replaced.keyId, resealed: 2 });
  expect(r.last).toBe(r.first); // read-only
  const ev = (await events(page, 'coffer-key-replaced')).map((e) => e.detail);
  expect(ev).toEqual([r.replaced, r.back]);
  expect((await hostData(page)).tokens.stripe.value).toBe('sk_test_456');
});

test('attributes: include/exclude, theme, compact, locale', async ({ page }) => {
  await openHost(page);
  await seed(page);
  const el = page.locator('coffer-backup');
  await page.evaluate(async () => {
    const r = indexedDB.open('other-db', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('things').put('x', 1);
    await new Promise((ok) => { r.onsuccess = () => { r.result.close(); ok(); }; });
  });
  const root = el.locator('.coffer-root');
  // include="host-app" (the example's markup) hides other databases.
  await page.evaluate(() => document.querySelector('coffer-backup').refresh());
  await expect(el.locator('.overview')).toContainText('host-app');
  await expect(el.locator('.overview')).not.toContainText('other-db');
  await el.evaluate((e) => e.removeAttribute('include'));
  await expect(el.locator('.overview')).toContainText('other-db');
  await expect(el.locator('[data-testid^="row-host-app-"]')).toHaveCount(3);
  await el.evaluate((e) => e.setAttribute('exclude', 'host-*'));
  // (Caches are in scope as @caches/<name>: the host's own cache stays.)
  await expect(el.locator('[data-testid^="row-host-app-"]')).toHaveCount(0);
  const names = await page.evaluate(async () => (await document.querySelector('coffer-backup').inspect(await document.querySelector('coffer-backup').backup())).databases.map((d) => d.name));
  expect(names).toEqual(['other-db']);
  await el.evaluate((e) => { e.removeAttribute('exclude'); e.setAttribute('include', 'host-app'); });
  await expect(el.locator('.overview')).not.toContainText('other-db');
  // Theme, compact layout, locale.
  await expect(root).toHaveAttribute('data-theme', 'light');
  const bg = () => el.getByRole('button', { name: 'Export master key' }).evaluate((b) => getComputedStyle(b).backgroundColor);
  expect(await bg()).toBe('rgb(107, 79, 58)');
  await el.evaluate((e) => { e.setAttribute('theme', 'dark'); e.setAttribute('compact', ''); e.setAttribute('locale', 'en-GB'); });
  await expect(root).toHaveAttribute('data-theme', 'dark');
  await expect(root).toHaveClass(/compact/);
  await expect(root).toHaveAttribute('lang', 'en-GB');
  expect(await bg()).toBe('rgb(201, 162, 126)');
  expect(await el.locator('.cards').evaluate((c) => getComputedStyle(c).gridTemplateColumns.split(' ').length)).toBe(1);
});

// Issue 15: the element's UI passes axe-core's WCAG 2.1 AA rules in its
// light and dark themes (and with theme="auto" on a dark system), with a
// dialog open too. Only the element is checked, not the example host page.
test('the element passes axe-core WCAG 2.1 AA in light, dark and auto-on-dark', async ({ page }) => {
  await openHost(page);
  await seed(page);
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  const el = page.locator('coffer-backup');
  const check = () => page.evaluate(async () => (await window.axe.run(document.querySelector('coffer-backup'), {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  })).violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`));
  const found = [];
  for (const [theme, scheme] of [['light', 'dark'], ['dark', 'light'], ['auto', 'dark']]) {
    await page.emulateMedia({ colorScheme: scheme });
    await el.evaluate((e, t) => e.setAttribute('theme', t), theme);
    await expect(el.locator('.coffer-root')).toHaveAttribute('data-theme', theme);
    found.push(...(await check()).map((v) => `${theme}: ${v}`));
    await el.getByRole('button', { name: 'Replace master key' }).click();
    await expect(el.getByRole('dialog')).toBeVisible();
    found.push(...(await check()).map((v) => `${theme}, dialog: ${v}`));
    await el.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await expect(el.getByRole('dialog')).toHaveCount(0);
  }
  expect(found).toEqual([]);
});

test('loads from another origin (blob: worker) and round-trips with the API', async ({ page }) => {
  await openHost(page, '/cross-origin.html');
  const el = page.locator('coffer-backup');
  await expect(el.getByRole('heading', { name: 'Backup Management' })).toBeVisible();
  const r = await page.evaluate(async () => {
    const r = indexedDB.open('x-origin', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('s').put({ n: 1, b: new Blob(['hi']) }, 'k');
    await new Promise((ok) => { r.onsuccess = () => { r.result.close(); ok(); }; });
    const el = document.querySelector('coffer-backup');
    const blob = await el.backup();
    await new Promise((ok) => { indexedDB.deleteDatabase('x-origin').onsuccess = ok; });
    const report = await el.restore(blob);
    const db = await new Promise((ok) => { const o = indexedDB.open('x-origin'); o.onsuccess = () => ok(o.result); });
    const v = await new Promise((ok) => { const g = db.transaction('s').objectStore('s').get('k'); g.onsuccess = () => ok(g.result); });
    db.close();
    return { report, n: v.n, b: await v.b.text(), theme: el.shadowRoot.querySelector('.coffer-root').dataset.theme };
  });
  // No include attribute: the origin's (empty) localStorage and file system come along.
  expect(r).toEqual({ report: { databases: 1, stores: 1, records: 1, resealed: 0, parts: { localStorage: 0, opfsFiles: 0 } }, n: 1, b: 'hi', theme: 'dark' });
});

test('removing the element terminates its engine worker; adding it again starts one', async ({ page }) => {
  await openHost(page);
  // The element's engine worker and the one behind openStore() (the host app's tokens).
  await page.evaluate(() => window.hostApp.tokenNames());
  await expect.poll(() => page.workers().length).toBe(2);
  const before = 2;
  await page.evaluate(() => { window.__el = document.querySelector('coffer-backup'); window.__el.remove(); });
  await expect.poll(() => page.workers().length).toBe(before - 1);
  // Put back, it mounts again with a fresh worker and works.
  await page.evaluate(() => document.body.append(window.__el));
  await page.evaluate(() => window.__el.ready);
  await expect.poll(() => page.workers().length).toBe(before);
  await expect(page.locator('coffer-backup').getByRole('button', { name: 'Create backup' })).toBeVisible();
  expect(await page.evaluate(async () => (await window.__el.backup()).size)).toBeGreaterThan(0);
});

test('locale="de" shows German texts; switching back to en restores English', async ({ page }) => {
  await openHost(page);
  const el = page.locator('coffer-backup');
  const root = el.locator('.coffer-root');
  await expect(el.getByRole('button', { name: 'Create backup' })).toBeVisible();
  await el.evaluate((e) => e.setAttribute('locale', 'de'));
  await expect(root).toHaveAttribute('lang', 'de');
  await expect(el.getByRole('heading', { name: 'Backup-Verwaltung', level: 1 })).toBeVisible();
  for (const name of ['Backup erstellen', 'Backup wiederherstellen', 'Hauptschlüssel exportieren', 'Hauptschlüssel ersetzen']) {
    await expect(el.getByRole('button', { name })).toBeVisible();
  }
  await expect(el.getByRole('button', { name: 'Create backup' })).toHaveCount(0);
  await expect(el.locator('.overview h2')).toHaveText('Speicher');
  // The UI still works in German: the export dialog has a German name.
  await el.getByRole('button', { name: 'Hauptschlüssel exportieren' }).click();
  await expect(el.getByRole('dialog', { name: 'Hauptschlüssel exportieren?' })).toBeVisible();
  await el.getByRole('dialog').getByRole('button', { name: 'Abbrechen' }).click();
  // de-DE is German too; en switches back.
  await el.evaluate((e) => e.setAttribute('locale', 'de-DE'));
  await expect(el.getByRole('button', { name: 'Backup erstellen' })).toBeVisible();
  await el.evaluate((e) => e.setAttribute('locale', 'en'));
  await expect(root).toHaveAttribute('lang', 'en');
  await expect(el.getByRole('button', { name: 'Create backup' })).toBeVisible();
  await expect(el.getByRole('heading', { name: 'Backup Management', level: 1 })).toBeVisible();
  await expect(el.getByRole('button', { name: 'Backup erstellen' })).toHaveCount(0);
  // An element created with locale="de" starts in German.
  await page.evaluate(() => {
    const e = document.createElement('coffer-backup');
    e.id = 'second';
    e.setAttribute('locale', 'de');
    e.setAttribute('include', 'none');
    document.body.append(e);
  });
  await expect(page.locator('#second').getByRole('button', { name: 'Backup erstellen' })).toBeVisible();
});

// Issue 12: the language is per element, not per thread.
test('two elements with different locales each keep their language', async ({ page }) => {
  await openHost(page);
  await seed(page);
  await page.evaluate(() => {
    for (const [id, locale] of [['de-el', 'de'], ['en-el', 'en']]) {
      const e = document.createElement('coffer-backup');
      e.id = id;
      e.setAttribute('locale', locale);
      e.setAttribute('include', 'host-app');
      document.body.append(e);
    }
  });
  const de = page.locator('#de-el');
  const en = page.locator('#en-el');
  await page.evaluate(() => Promise.all(['#de-el', '#en-el'].map((s) => document.querySelector(s).ready)));
  // Both update their status line, one after the other, in reactive updates.
  await page.evaluate(async () => { await document.querySelector('#de-el').backup(); await document.querySelector('#en-el').backup(); });
  await expect(de.getByRole('status')).toHaveText(/^Backup durch die App erstellt: 7 Datensätze\.$/);
  await expect(en.getByRole('status')).toHaveText(/^Backup created by the app: 7 records\.$/);
  // A failure in each, again in its own language.
  await page.evaluate(async () => {
    for (const s of ['#en-el', '#de-el']) await document.querySelector(s).restore(new Blob(['nope'])).catch(() => {});
  });
  await expect(de.getByRole('status')).toHaveText('Diese Datei ist kein Coffer-Backup. (not-a-backup)');
  await expect(en.getByRole('status')).toHaveText('This file is not a Coffer backup. (not-a-backup)');
  await expect(de.getByRole('button', { name: 'Backup erstellen' })).toBeVisible();
  await expect(en.getByRole('button', { name: 'Create backup' })).toBeVisible();
  await expect(de.getByRole('button', { name: 'Create backup' })).toHaveCount(0);
  await expect(en.getByRole('button', { name: 'Backup erstellen' })).toHaveCount(0);
});

// Issue 13: the browser restore is checked against the same files as the
// engine and a second reader: every whole-file vector of FORMAT.md §10.8
// gets the same outcome and error code from the element's inspect() (a
// crashed worker would be `internal-error`, which no vector expects), and a
// rejected file restores nothing.
test('every whole-file vector gets its stated outcome and code in the browser', async ({ page }) => {
  await openHost(page);
  const dir = join(repo, 'crates', 'coffer-engine', 'tests', 'vectors');
  const { vectors } = JSON.parse(readFileSync(join(dir, 'vectors.json'), 'utf8'));
  const b64 = (f) => readFileSync(join(dir, f)).toString('base64');
  const cases = vectors.map((v) => ({
    file: v.file, outcome: v.outcome, code: v.code, authentication: v.authentication,
    bytes: b64(v.file),
    passphrase: v.passphrase,
    key: v.key_file ? readFileSync(join(dir, v.key_file), 'utf8') : null,
  }));
  const results = await page.evaluate(async (cases) => {
    const el = document.querySelector('coffer-backup');
    const out = [];
    for (const c of cases) {
      const blob = new Blob([Uint8Array.from(atob(c.bytes), (ch) => ch.charCodeAt(0))]);
      try {
        const s = await el.inspect(blob, { passphrase: c.passphrase ?? undefined, keyFile: c.key ?? undefined });
        out.push({ file: c.file, outcome: 'accept', code: null, authentication: s.authentication.state });
      } catch (e) {
        out.push({ file: c.file, outcome: 'reject', code: e.code, authentication: null });
      }
    }
    return out;
  }, cases);
  const expected = cases.map((c) => ({
    file: c.file, outcome: c.outcome, code: c.code,
    // Without the key file, the browser checks the MAC with this origin's
    // key, which is not the vectors' key: key-not-given, as for the engine.
    authentication: c.outcome === 'accept' ? c.authentication : null,
  }));
  expect(results).toEqual(expected);
  // A rejected file restores nothing.
  const before = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name).sort());
  const bad = cases.find((c) => c.outcome === 'reject' && c.code === 'hash-mismatch');
  const code = await page.evaluate(async (c) => {
    const blob = new Blob([Uint8Array.from(atob(c.bytes), (ch) => ch.charCodeAt(0))]);
    try { await document.querySelector('coffer-backup').restore(blob, { keyFile: c.key ?? undefined, allowUnauthenticated: true }); return 'restored'; } catch (e) { return e.code; }
  }, bad);
  expect(code).toBe('hash-mismatch');
  expect(await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name).sort())).toEqual(before);
});

// Issue 13: the hostile files of crates/coffer-engine/tests/hostile.rs (the
// attacks reported against the reader, at their reported sizes) also go
// through the browser's worker: a file that only verification can reject is
// inspected, one whose values must be decoded is restored; each gets the
// engine's code (a crashed or out-of-memory worker would not), changes no
// database, and the same worker then still inspects a good file.
test('hostile files get the engine\'s codes from the worker and change nothing', async ({ page }) => {
  test.setTimeout(600_000);
  const out = mkdtempSync(join(tmpdir(), 'coffer-hostile-'));
  execFileSync('cargo', ['test', '-q', '-p', 'coffer-engine', '--test', 'hostile', 'write_files'], {
    cwd: repo, env: { ...process.env, COFFER_HOSTILE_OUT: out }, stdio: 'ignore',
  });
  const attacks = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'))
    .map((a) => ({ ...a, bytes: readFileSync(join(out, a.file)).toString('base64') }));
  expect(attacks.length).toBeGreaterThanOrEqual(9);
  const good = readFileSync(join(repo, 'crates', 'coffer-engine', 'tests', 'vectors', 'files', 'unauthenticated.zip')).toString('base64');
  await openHost(page);
  const names = () => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name).sort());
  // An element of its own, without the host's include/exclude, so that the
  // files' database `db` is in scope.
  await page.evaluate(async () => {
    const el = document.createElement('coffer-backup');
    el.id = 'hostile';
    el.setAttribute('compact', '');
    document.body.append(el);
    await el.ready;
  });
  const before = await names();
  for (const a of attacks) {
    const code = await page.evaluate(async (a) => {
      const el = document.getElementById('hostile');
      const blob = new Blob([Uint8Array.from(atob(a.bytes), (ch) => ch.charCodeAt(0))]);
      try {
        if (a.decode) await el.restore(blob, { allowUnauthenticated: true });
        else await el.inspect(blob);
        return 'ok';
      } catch (e) {
        return e.code;
      }
    }, a);
    expect(code, `${a.file}: ${a.class}`).toBe(a.expected);
    expect(await names(), `${a.file} changed the databases`).toEqual(before);
  }
  const after = await page.evaluate(async (bytes) => {
    const blob = new Blob([Uint8Array.from(atob(bytes), (ch) => ch.charCodeAt(0))]);
    const s = await document.getElementById('hostile').inspect(blob);
    return s.databases.length;
  }, good);
  expect(after).toBeGreaterThan(0);
});
