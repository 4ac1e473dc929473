// Shared pieces of the reliability scripts (kill.mjs, tabs.mjs): the
// server, Chromium on a persistent profile, killing a profile's processes,
// the app's UI steps, state digests, and the CLI.
import { chromium } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function log(...a) {
  const t = new Date().toISOString().slice(11, 19);
  console.log(`[${t}]`, ...a);
}

/// `--name value` and `--flag` arguments.
export function parseArgs(argv, spec) {
  const out = { ...spec };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const name = a.slice(2);
    if (!(name in spec)) throw new Error(`unknown option ${a}`);
    if (typeof spec[name] === 'boolean') out[name] = true;
    else {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      out[name] = typeof spec[name] === 'number' ? Number(v) : v;
    }
  }
  return out;
}

// --- server ------------------------------------------------------------------

/// Serves dist/ with tests/e2e/serve.mjs on `port`, in this process (a
/// server of its own would be one more process that can go away during a
/// long run); resolves once it answers.
export async function startServer(port) {
  if (!existsSync(join(repo, 'dist', 'index.html'))) throw new Error('dist/ is missing: run trunk build --release');
  process.env.PORT = String(port);
  await import('../e2e/serve.mjs');
  const base = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(base)).ok) return { base, stop: () => {} };
    } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error(`the server on port ${port} did not start`);
}

// --- browser -----------------------------------------------------------------

/// Chromium on the persistent profile `dir`, with downloads accepted.
export async function launch(dir, base) {
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
    acceptDownloads: true,
    locale: 'en-US',
    baseURL: base,
    viewport: { width: 1280, height: 900 },
  });
  return context;
}

/// A fresh browser context (not persistent) for the tabs test.
export async function launchBrowser() {
  return await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  });
}

/// The ids of every process whose command line has `--user-data-dir=<dir>`.
export function profilePids(dir) {
  const want = `--user-data-dir=${dir}`;
  const pids = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let cmd;
    try { cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8'); } catch { continue; }
    if (cmd.split('\0').includes(want)) pids.push(Number(e));
  }
  return pids;
}

/// Every process below `roots` (children, their children, ...).
function descendants(roots) {
  const parent = new Map();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const out = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parent) if (out.has(ppid) && !out.has(pid)) { out.add(pid); grew = true; }
  }
  return [...out];
}

const alive = (p) => {
  try { return !readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].startsWith('Z'); } catch { return false; }
};

/// SIGKILLs the Chromium of profile `dir`: every process whose command
/// line has `--user-data-dir=<dir>` (only the browser process has it) and
/// every process below it (zygotes, renderers, the storage service that
/// runs IndexedDB, the GPU and network processes), all in one pass, so
/// none of them sees the others go and shuts down in order. Waits until
/// none is left; returns how many were killed.
export async function killProfile(dir) {
  const pids = descendants(profilePids(dir));
  // The storage service first: it is the one that writes IndexedDB.
  const storage = pids.filter((p) => {
    try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('StorageService'); } catch { return false; }
  });
  for (const p of [...storage, ...pids.filter((p) => !storage.includes(p))]) {
    try { process.kill(p, 'SIGKILL'); } catch { /* gone already */ }
  }
  for (let i = 0; i < 100; i++) {
    const left = descendants(profilePids(dir)).concat(pids).filter(alive);
    if (left.length === 0) return pids.length;
    for (const p of left) { try { process.kill(p, 'SIGKILL'); } catch { /* */ } }
    await sleep(50);
  }
  throw new Error(`processes of ${dir} survived SIGKILL`);
}

/// Collects page errors and console errors of `page` into `errors`.
export function watchErrors(page, errors, label = '') {
  page.on('pageerror', (e) => errors.push(`${label}pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${label}console: ${m.text()}`);
  });
  page.on('crash', () => errors.push(`${label}page crashed`));
}

// --- the app's UI --------------------------------------------------------------

export const status = (page) => page.getByRole('status');

/// Opens the app and waits for the overview.
export async function openApp(page, timeout = 60_000) {
  await page.addInitScript(() => { delete window.showSaveFilePicker; });
  await page.goto('/');
  await page.getByRole('heading', { name: 'Backup Management' }).waitFor({ timeout });
  await page.locator('.overview').getByText('Loading…').waitFor({ state: 'detached', timeout });
  await page.waitForFunction(() => !!window.coffer, null, { timeout });
}

/// Waits for text matching `re` in the status line; throws early on an
/// error announcement.
export async function waitStatus(page, re, timeout = 120_000) {
  const src = re.source;
  const handle = await page.waitForFunction((s) => {
    const el = document.querySelector('[role=status]');
    const t = el?.textContent || '';
    if (new RegExp(s).test(t)) return { ok: true, t };
    if (el?.classList.contains('error') && t) return { ok: false, t };
    return false;
  }, src, { timeout, polling: 50 });
  const r = await handle.jsonValue();
  if (!r.ok) throw new Error(`status: ${r.t}`);
  return r.t;
}

/// Clicks "Create backup" and saves the download to `file`.
export async function createBackup(page, file, timeout = 180_000) {
  const download = page.waitForEvent('download', { timeout });
  await page.getByRole('button', { name: 'Create backup' }).click();
  const d = await download;
  await d.saveAs(file);
  await waitStatus(page, /Backup created/, timeout);
  return file;
}

/// Picks `file` in the restore card and waits for "Backup checked".
export async function chooseBackup(page, file, timeout = 180_000) {
  await page.getByLabel('Backup file').setInputFiles(file);
  // The preview's key step (another key's backup) or a plain check.
  return await waitStatus(page, /Backup checked|need the key file/, timeout);
}

/// Opens the restore dialog; returns its "Restore now" button.
export async function openRestoreDialog(page) {
  await page.getByTestId('preview').waitFor();
  await page.getByRole('button', { name: 'Restore backup' }).click();
  const dialog = page.getByRole('dialog', { name: 'Restore this backup?' });
  await dialog.waitFor();
  return dialog.getByRole('button', { name: 'Restore now' });
}

/// Opens the replacement dialog with "generate" chosen; returns "Replace key".
export async function openReplaceDialog(page) {
  await page.getByRole('button', { name: 'Replace master key' }).click();
  const dialog = page.getByRole('dialog', { name: 'Replace the master key?' });
  await dialog.waitFor();
  return dialog.getByRole('button', { name: 'Replace key' });
}

/// In the page: keeps the latest progress text and status text in
/// `window.__last` (read at the moment of a kill).
export async function trackProgress(page) {
  await page.evaluate(() => {
    window.__last = { progress: '', status: '' };
    const read = () => {
      const p = document.querySelector('.progress .progress-text')?.textContent;
      if (p) window.__last.progress = p;
      window.__last.status = document.querySelector('[role=status]')?.textContent || '';
    };
    new MutationObserver(read).observe(document.body, { subtree: true, childList: true, characterData: true });
    read();
  });
}

/// The full master key id the overview names (or null).
export async function overviewKeyId(page) {
  const t = await page.locator('.overview .key-id').textContent();
  return t.match(/[0-9a-f]{32,}/)?.[0] ?? null;
}

/// Waits until the worker's start-up work (finishing a key replacement,
/// settling a restore's registrations) is over: it holds the origin's
/// lock, which this asks for after the worker did.
export async function waitStartupSettled(page) {
  await page.evaluate(() => navigator.locks.request('coffer-exclusive', () => {}));
}

// --- state -----------------------------------------------------------------------

/// In the page: a digest per database (all but Coffer's own): version,
/// every store's key path, autoIncrement, indexes (name, keyPath, unique,
/// multiEntry), every key and value (Blobs and buffers by their bytes).
/// Also per-store record counts and digests, to say what differs.
export async function digestDatabases(page) {
  return await page.evaluate(async () => {
    const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
    const sha = async (data) => hex(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? new TextEncoder().encode(data) : data));
    async function enc(v, seen) {
      if (v === undefined) return { u: 1 };
      if (typeof v === 'number') return Object.is(v, -0) ? { n: '-0' } : Number.isFinite(v) ? v : { n: String(v) };
      if (typeof v === 'bigint') return { bigint: v.toString() };
      if (v === null || typeof v !== 'object') return v;
      if (seen.has(v)) return { ref: seen.get(v) };
      seen.set(v, seen.size);
      const tag = Object.prototype.toString.call(v).slice(8, -1);
      if (v instanceof Blob) return { blob: tag, type: v.type, name: v.name, lastModified: v.lastModified, size: v.size, sha: await sha(await v.arrayBuffer()) };
      if (v instanceof ArrayBuffer) return { ab: await sha(v), len: v.byteLength };
      if (ArrayBuffer.isView(v)) return { view: tag, off: v.byteOffset, len: v.byteLength, bufLen: v.buffer.byteLength, sha: await sha(new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice()) };
      if (v instanceof Date) return { date: v.getTime() };
      if (v instanceof RegExp) return { re: String(v) };
      if (v instanceof Map) { const o = []; for (const [k, x] of v) o.push([await enc(k, seen), await enc(x, seen)]); return { map: o }; }
      if (v instanceof Set) { const o = []; for (const x of v) o.push(await enc(x, seen)); return { set: o }; }
      if (v instanceof Error) return { error: v.name, message: v.message };
      const out = { _tag: tag, _len: Array.isArray(v) ? v.length : undefined };
      for (const k of Object.keys(v)) out[k] = await enc(v[k], seen);
      return out;
    }
    const req = (r) => new Promise((ok, err) => { r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    const result = {};
    for (const { name, version } of (await indexedDB.databases()).sort((a, b) => a.name.localeCompare(b.name))) {
      if (name === 'coffer-meta') continue;
      const db = await new Promise((ok, err) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); r.onupgradeneeded = () => err(new Error('database vanished')); });
      const stores = {};
      for (const s of Array.from(db.objectStoreNames).sort()) {
        const tx = db.transaction(s);
        const st = tx.objectStore(s);
        const indexes = Array.from(st.indexNames).sort().map((n) => { const ix = st.index(n); return [n, ix.keyPath, ix.unique, ix.multiEntry]; });
        const keys = await req(st.getAllKeys());
        const values = await req(st.getAll());
        const lines = [];
        for (let i = 0; i < keys.length; i++) lines.push(JSON.stringify([await enc(keys[i], new Map()), await enc(values[i], new Map())]));
        stores[s] = { keyPath: st.keyPath, autoIncrement: st.autoIncrement, indexes, count: keys.length, records: await sha(lines.join('\n')) };
      }
      db.close();
      // The version the open connection has (indexedDB.databases() says
      // \`listed\`, kept apart: a difference would be the listing's).
      result[name] = { version: db.version, listed: version, stores, digest: await sha(JSON.stringify({ version: db.version, stores })) };
    }
    return result;
  });
}

/// In the page: Coffer's own records (coffer-meta): key ids of `current`
/// and `pending`, the registry, the journal.
export async function metaState(page) {
  return await page.evaluate(async () => {
    const names = (await indexedDB.databases()).map((d) => d.name);
    if (!names.includes('coffer-meta')) return null;
    const req = (r) => new Promise((ok, err) => { r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    const db = await new Promise((ok, err) => { const r = indexedDB.open('coffer-meta'); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    const stores = Array.from(db.objectStoreNames);
    const tx = db.transaction(stores);
    const keys = stores.includes('keys') ? tx.objectStore('keys') : null;
    const out = {
      current: keys ? (await req(keys.get('current')))?.id ?? null : null,
      pending: keys ? (await req(keys.get('pending')))?.id ?? null : null,
      registry: stores.includes('encrypted-stores') ? (await req(tx.objectStore('encrypted-stores').getAllKeys())).map((k) => k.join('/')) : [],
      journal: stores.includes('journal') ? (await req(tx.objectStore('journal').getAllKeys())) : [],
    };
    db.close();
    return out;
  });
}

/// In the page: per encrypted store `db/store`, how many envelopes are
/// under each key id (hex; FORMAT.md: version byte, then the 16-byte key id).
export async function envelopeKeyIds(page, stores) {
  return await page.evaluate(async (stores) => {
    const req = (r) => new Promise((ok, err) => { r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    const out = {};
    for (const pair of stores) {
      const [name, store] = pair.split('/');
      if (!(await indexedDB.databases()).some((d) => d.name === name)) continue;
      const db = await new Promise((ok, err) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
      if (!db.objectStoreNames.contains(store)) { db.close(); continue; }
      const all = await req(db.transaction(store).objectStore(store).getAll());
      db.close();
      const counts = {};
      for (const v of all) {
        const b = v instanceof Uint8Array ? v : new Uint8Array(v);
        const id = Array.from(b.slice(1, 17), (x) => x.toString(16).padStart(2, '0')).join('');
        counts[id] = (counts[id] || 0) + 1;
      }
      out[pair] = counts;
    }
    return out;
  }, stores);
}

// --- CLI -------------------------------------------------------------------------

/// The debug `coffer` binary (built by the run script).
export function cofferBin() {
  const dirs = [process.env.CARGO_TARGET_DIR, join(repo, 'target')].filter(Boolean);
  for (const d of dirs) {
    const b = join(d, 'debug', 'coffer');
    if (existsSync(b)) return b;
  }
  throw new Error('target/debug/coffer is missing: run cargo build -p coffer-cli');
}

/// `coffer verify FILE [--key KEYFILE]`: { ok, out }.
export function cliVerify(file, keyFile) {
  const args = ['verify', file, ...(keyFile ? ['--key', keyFile] : [])];
  const bin = cofferBin();
  try {
    const out = execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, out: out.trim() };
  } catch (e) {
    return { ok: false, out: `${e.stdout || ''}${e.stderr || ''}`.trim() };
  }
}

// --- results -----------------------------------------------------------------------

export function quantiles(xs) {
  if (xs.length === 0) return { min: null, median: null, max: null };
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor((s.length - 1) / 2)], max: s[s.length - 1] };
}

export const fmtS = (ms) => (ms == null ? '–' : `${(ms / 1000).toFixed(2)} s`);

// --- seeding -----------------------------------------------------------------------

/// In `page` (any page of the origin that is not the app, e.g. a 404
/// page): starts an engine worker of its own and installs
/// `window.__seed(req, {key, value})`, which sends one request of the
/// worker protocol (docs/app.md) and resolves with its outcome. The
/// scripts seed thousands of encrypted records this way: through
/// `window.coffer`, every put also reloads the app's overview, which makes
/// seeding quadratic.
export async function installSeedWorker(page) {
  await page.evaluate(async () => {
    const w = new Worker('/worker_loader.js');
    let next = 1;
    // The protocol version the worker speaks (it says so in `ready`).
    let v = 0;
    const waiting = new Map();
    await new Promise((ready) => {
      w.onmessage = (e) => {
        const m = JSON.parse(e.data.msg);
        if (m.ev.type === 'ready') { v = m.v; return ready(); }
        const p = waiting.get(m.id);
        if (!p && m.ev.type === 'failed') {
          // A message the worker could not read: fail every request, never hang.
          for (const q of waiting.values()) q.err(new Error(`${m.ev.code}: ${m.ev.message}`));
          waiting.clear();
          return;
        }
        if (!p) return;
        if (m.ev.type === 'done') { waiting.delete(m.id); p.ok(m.ev); }
        if (m.ev.type === 'failed') { waiting.delete(m.id); p.err(new Error(`${m.ev.code}: ${m.ev.message}`)); }
      };
    });
    window.__seed = (req, extra = {}) => new Promise((ok, err) => {
      const id = next++;
      waiting.set(id, { ok, err });
      w.postMessage({ msg: JSON.stringify({ v, id, req }), ...extra });
    });
    window.__seedStop = () => w.terminate();
  });
}

/// Puts `entries` ([key, value]) into encrypted store `db/store` (created
/// if missing) through the seed worker, 50 at a time.
export async function seedEncrypted(page, db, store, entries) {
  await page.evaluate(async ({ db, store, entries }) => {
    await window.__seed({ type: 'store-create', db, store });
    for (let i = 0; i < entries.length; i += 50) {
      await Promise.all(entries.slice(i, i + 50).map(([key, value]) => window.__seed({ type: 'store-put', db, store }, { key, value })));
    }
  }, { db, store, entries });
}

/// Deletes `keys` from encrypted store `db/store` through the seed worker.
export async function seedDelete(page, db, store, keys) {
  await page.evaluate(async ({ db, store, keys }) => {
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key) => window.__seed({ type: 'store-delete', db, store }, { key })));
    }
  }, { db, store, keys });
}

/// A deterministic pseudo-random generator in [0, 1) (mulberry32).
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
