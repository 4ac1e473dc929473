// The main round trip in Firefox ESR, driven over WebDriver BiDi by
// puppeteer-core (Playwright needs its own browser builds): sample data
// and a database of every value type → backup → wipe → restore →
// deep-equal, then the key export. Firefox has no save dialog
// (`showSaveFilePicker`): the backup is a download and the page says so.
// Downloads (`<a download>` clicks) are captured in the page and written
// to a temporary folder; the backup is checked with `coffer verify` when
// the CLI is built. Serves dist/ itself; ends with
// `firefox: N passed, M failed`.
import puppeteer from 'puppeteer-core';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const port = Number(process.env.FIREFOX_PORT || 8097);
const firefox = process.env.FIREFOX || '/usr/bin/firefox-esr';
const base = `http://127.0.0.1:${port}/`;
const out = mkdtempSync(join(tmpdir(), 'coffer-firefox-'));
const WAIT = { timeout: 60_000 };

let passed = 0;
let failed = 0;
async function step(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`  ✓ ${name}`);
  } catch (e) {
    failed++;
    console.log(`  ✘ ${name}\n${String(e?.stack || e).replace(/^/gm, '      ')}`);
    throw e;
  }
}

// --- page-side helpers -------------------------------------------------------

// Every `<a download>` click is recorded with its Blob instead of opening
// Firefox's download handling.
function captureDownloads() {
  window.__downloads = [];
  const click = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function () {
    if (!this.download) return click.call(this);
    const entry = { name: this.download, blob: null };
    window.__downloads.push(entry);
    fetch(this.href).then((r) => r.blob()).then((b) => { entry.blob = b; });
  };
}

async function seedTypes() {
  const req = indexedDB.open('firefox-types', 2);
  req.onupgradeneeded = () => {
    const db = req.result;
    const items = db.createObjectStore('items', { keyPath: 'id', autoIncrement: true });
    items.createIndex('by-tag', 'tags', { multiEntry: true });
    items.createIndex('by-pair', ['name', 'n']);
    db.createObjectStore('kv');
  };
  const db = await new Promise((ok, err) => { req.onsuccess = () => ok(req.result); req.onerror = () => err(req.error); });
  const tx = db.transaction(['items', 'kv'], 'readwrite');
  for (let i = 0; i < 5; i++) tx.objectStore('items').add({ name: 'item' + i, n: i, tags: ['t' + (i % 2), 'all'] });
  const kv = tx.objectStore('kv');
  const buf = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer;
  kv.put({
    str: 'héllo 😀', num: -0, nan: NaN, inf: -Infinity, big: 12345678901234567890n, date: new Date(1700000000000),
    re: /ab+c/gi, und: undefined, nul: null, map: new Map([[1, 'one'], ['k', { deep: [1, 2] }]]), set: new Set(['a', 2]),
    view: new Int16Array(buf, 2, 2), ab: buf, f64: new Float64Array([1.5, -2]), sparse: [1, , 3],
  }, 'everything');
  kv.put(new Blob([new Uint8Array(70_000).map((_, i) => i * 7)], { type: 'application/x-big' }), 'big-blob');
  kv.put(new File(['file body'], 'notes.txt', { type: 'text/plain', lastModified: 1600000000000 }), 'a-file');
  kv.put('binary key', new Uint8Array([0, 255, 7]));
  kv.put('date key', new Date(5));
  kv.put('array key', [1, 'two', [3]]);
  await new Promise((ok, err) => { tx.oncomplete = ok; tx.onerror = () => err(tx.error); });
  db.close();
}

// Every database but Coffer's own, in a JSON-comparable form.
async function dump() {
  async function enc(v, seen = new Map()) {
    if (v === undefined) return { u: 1 };
    if (typeof v === 'number') return Object.is(v, -0) ? { n: '-0' } : Number.isNaN(v) ? { n: 'NaN' } : !Number.isFinite(v) ? { n: String(v) } : v;
    if (typeof v === 'bigint') return { bigint: v.toString() };
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return { ref: seen.get(v) };
    seen.set(v, seen.size);
    const tag = Object.prototype.toString.call(v).slice(8, -1);
    if (v instanceof Blob) return { blob: tag, type: v.type, name: v.name, lastModified: v.lastModified, bytes: Array.from(new Uint8Array(await v.arrayBuffer())).reduce((a, b) => (a * 31 + b) % 1000000007, v.size) };
    if (v instanceof ArrayBuffer) return { ab: Array.from(new Uint8Array(v)) };
    if (ArrayBuffer.isView(v)) return { view: tag, off: v.byteOffset, len: v.byteLength, bytes: Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
    if (v instanceof Date) return { date: v.getTime() };
    if (v instanceof RegExp) return { re: String(v) };
    if (v instanceof Map) { const o = []; for (const [k, x] of v) o.push([await enc(k, seen), await enc(x, seen)]); return { map: o }; }
    if (v instanceof Set) { const o = []; for (const x of v) o.push(await enc(x, seen)); return { set: o }; }
    const o = { _tag: tag, _len: Array.isArray(v) ? v.length : undefined };
    for (const k of Object.keys(v)) o[k] = await enc(v[k], seen);
    return o;
  }
  const get = (r) => new Promise((ok, err) => { r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
  const result = {};
  for (const { name, version } of (await indexedDB.databases()).sort((a, b) => a.name.localeCompare(b.name))) {
    if (name === 'coffer-meta') continue;
    const db = await get(indexedDB.open(name));
    const stores = {};
    for (const s of Array.from(db.objectStoreNames)) {
      const st = db.transaction(s).objectStore(s);
      const keys = await get(st.getAllKeys());
      const values = await get(st.getAll());
      const indexes = Array.from(st.indexNames).map((n) => { const ix = st.index(n); return [n, ix.keyPath, ix.unique, ix.multiEntry]; });
      const records = [];
      for (let i = 0; i < keys.length; i++) records.push([await enc(keys[i]), await enc(values[i])]);
      stores[s] = { keyPath: st.keyPath, autoIncrement: st.autoIncrement, indexes, records };
    }
    db.close();
    result[name] = { version, stores };
  }
  return result;
}

async function wipe() {
  for (const { name } of await indexedDB.databases()) {
    if (name === 'coffer-meta') continue;
    await new Promise((ok, err) => { const r = indexedDB.deleteDatabase(name); r.onsuccess = ok; r.onerror = () => err(r.error); r.onblocked = ok; });
  }
}

// --- driver-side helpers -------------------------------------------------------

async function button(page, name, scope = 'body') {
  const h = await page.waitForFunction((name, scope) => [...document.querySelectorAll(`${scope} button`)]
    .find((b) => b.textContent.trim() === name && !b.disabled), WAIT, name, scope);
  return h.asElement();
}

const statusText = (page) => page.$eval('[role=status]', (e) => e.textContent);
async function waitStatus(page, re) {
  await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('[role=status]')?.textContent || ''), WAIT, re.source);
  return statusText(page);
}

async function download(page, n) {
  await page.waitForFunction((n) => window.__downloads.length >= n && window.__downloads[n - 1].blob, WAIT, n);
  const { name, b64 } = await page.evaluate(async (n) => {
    const d = window.__downloads[n - 1];
    const bytes = new Uint8Array(await d.blob.arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return { name: d.name, b64: btoa(s) };
  }, n);
  const file = join(out, name);
  writeFileSync(file, Buffer.from(b64, 'base64'));
  return { name, file };
}

function cli(...args) {
  const bin = process.env.COFFER_CLI || join(process.env.CARGO_TARGET_DIR || join(repo, 'target'), 'debug', 'coffer');
  if (!existsSync(bin)) return null;
  return execFileSync(bin, args, { encoding: 'utf8' });
}

// --- the run ----------------------------------------------------------------------

const server = spawn(process.execPath, [join(repo, 'tests', 'e2e', 'serve.mjs')], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((ok) => server.stdout.once('data', ok));
let browser;
try {
  browser = await puppeteer.launch({ browser: 'firefox', executablePath: firefox, headless: true, protocol: 'webDriverBiDi' });
  console.log(`Firefox round trip in ${await browser.version()} (WebDriver BiDi)`);
  const page = await browser.newPage();
  await page.evaluateOnNewDocument(captureDownloads);
  await page.goto(base);
  let before;
  let secretsBefore;

  await step('the page loads; without a save dialog it says backups are downloaded', async () => {
    await page.waitForFunction(() => document.querySelector('section.overview') && !/Loading/.test(document.querySelector('section.overview').textContent), WAIT);
    assert.equal(await page.evaluate(() => typeof window.showSaveFilePicker), 'undefined');
    const note = await page.$eval('[data-testid=no-save-picker]', (e) => e.textContent);
    assert.match(note, /cannot ask where to save a file: backups go to its downloads folder/);
  });

  await step('sample data and a database of every value type', async () => {
    await (await button(page, 'Load sample data')).click();
    await waitStatus(page, /Sample data loaded/);
    await page.evaluate(seedTypes);
    await page.evaluate(() => window.coffer.refresh());
    await page.waitForSelector('[data-testid="row-firefox-types-kv"]', WAIT);
    before = await page.evaluate(dump);
    assert.deepEqual(Object.keys(before), ['coffer-demo', 'firefox-types']);
    secretsBefore = await page.evaluate(() => window.coffer.get('coffer-demo', 'secrets', 'mail'));
    assert.ok(secretsBefore, 'the encrypted sample record reads back');
  });

  let backup;
  await step('backup: downloaded and sound (coffer verify)', async () => {
    await (await button(page, 'Create backup', 'section[aria-labelledby=backup-title]')).click();
    backup = await download(page, 1);
    assert.match(backup.name, /^coffer-backup-\d{4}-\d{2}-\d{2}-\d{6}\.zip$/);
    await waitStatus(page, /Backup created/);
    const verified = cli('verify', backup.file);
    if (verified !== null) console.log(`    coffer verify: ${verified.trim().split('\n').pop()}`);
  });

  await step('wipe, restore, and every record, schema and Blob is back', async () => {
    await page.evaluate(wipe);
    assert.deepEqual(await page.evaluate(dump), {});
    const input = await page.$('section[aria-labelledby=restore-title] .dropzone input[type=file]');
    await input.uploadFile(backup.file);
    await page.waitForSelector('[data-testid=preview]', WAIT);
    await (await button(page, 'Restore backup', 'section[aria-labelledby=restore-title]')).click();
    await (await button(page, 'Restore now', '[role=dialog]')).click();
    await waitStatus(page, /Restore complete/);
    assert.deepEqual(await page.evaluate(dump), before);
    assert.deepEqual(await page.evaluate(() => window.coffer.get('coffer-demo', 'secrets', 'mail')), secretsBefore);
  });

  await step('key export: the warning dialog, then a passphrase-protected key file', async () => {
    await (await button(page, 'Export master key', 'section[aria-labelledby=export-title]')).click();
    await page.waitForSelector('[role=dialog] input[type=password]', WAIT);
    await page.type('[role=dialog] input[type=password]', 'firefox key passphrase');
    await (await button(page, 'Download key file', '[role=dialog]')).click();
    const key = await download(page, 2);
    assert.match(key.name, /\.json$/);
    await waitStatus(page, /protected by your passphrase/);
    const shown = cli('key', 'show', key.file);
    if (shown !== null) console.log(`    coffer key show: ${shown.trim().split('\n')[0]}`);
  });
} catch {
  // Reported by its step.
} finally {
  await browser?.close();
  server.kill();
}
console.log(`firefox: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed === 5 ? 0 : 1);
