// Issue 13, "several tabs at once": three tabs of one origin (one browser
// context) run, for a bounded number of rounds each, backups, restores
// (of a backup another tab made), key replacements and store-API writes,
// in random interleavings.
//
//   node tests/reliability/tabs.mjs [--rounds N] [--quick] [--json FILE]
//        [--port P] [--seed S] [--work DIR] [--bound SECONDS]
//
// Each round of a tab: one UI operation (backup, restore or key
// replacement, drawn at random) and, at the same time, a burst of
// `window.coffer.put`s of unique keys, each read back with
// `window.coffer.get`. Checked at the end:
// - every downloaded backup passes `coffer verify` (with the key file of
//   its key id, so every sealed record in it is opened too);
// - no write that reported success is lost. The rule: a write W (issued at
//   I_W, as the page's clock said just before calling put) must be in the
//   store at the end, with its value, unless some restore R that reported
//   success ended (its "Restore complete" appeared) after I_W and restored
//   a backup whose file does not hold W's key (read with `coffer extract`);
//   such a restore may have replaced the store after W committed;
// - every backup is a snapshot: it holds every write acknowledged before it
//   started (unless a restore as above, started before the backup ended,
//   explains it), and nothing written after it ended;
// - every record in the store opens, in every tab, to the plaintext its
//   write put (also writes that reported failure, if they are there), and
//   no record is there that no write put;
// - every operation ends within the bound (default 300 s; the longest
//   is reported), no tab shows a page or console error, and in the end all
//   tabs name the same current key.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import {
  parseArgs, log, sleep, startServer, launchBrowser, watchErrors, openApp, overviewKeyId,
  cliVerify, cofferBin, installSeedWorker, seedEncrypted, rng, fmtS,
} from './lib.mjs';

const opts = parseArgs(process.argv.slice(2), {
  rounds: 8, quick: false, json: '', port: 8422, seed: 0, work: '', bound: 300,
});
if (opts.quick && !process.argv.includes('--rounds')) opts.rounds = 2;
const seed = opts.seed || (Date.now() % 1_000_000_007);
const random = rng(seed);
const pick = (xs) => xs[Math.floor(random() * xs.length)];
const BOUND = opts.bound * 1000;
const SIZES = opts.quick ? { docs: 300, blobs: 2, initial: 50 } : { docs: 3000, blobs: 16, initial: 300 };
const TABS = 3;
const DB = 'st-vault';
const STORE = 'writes';

const work = opts.work || mkdtempSync(join(tmpdir(), 'coffer-tabs-'));
mkdirSync(join(work, 'backups'), { recursive: true });
mkdirSync(join(work, 'keys'), { recursive: true });

const plaintext = (key) => ({ key, text: `value of ${key} ` + 'w'.repeat(200), n: key.length });

// --- what happened ------------------------------------------------------------------

const writes = []; // { key, tab, issued, acked, ok, error, readBack }
const ops = []; // { tab, kind, start, end, ok, error, file?, restoredFile?, keyId?, waited }
const appWrites = []; // { tab, ms, ok, error } (st-log)
const keyFiles = {}; // key id (hex) -> key file
const backups = []; // { file, tab, start, end }
const errors = [];

/// In every page: every status text with the page's Date.now() and
/// whether it is an error, in window.__statusLog.
async function logStatus(page) {
  await page.addInitScript(() => {
    window.__statusLog = [];
    let last = null;
    new MutationObserver(() => {
      const el = document.querySelector('[role=status]');
      const t = el?.textContent ?? null;
      if (t !== last) { last = t; window.__statusLog.push([Date.now(), t, !!el?.classList.contains('error')]); }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
}

/// Waits for a status text matching `re` shown at `since` or later (page
/// clock); throws on an error shown meanwhile, or after the bound.
async function statusSince(page, since, re, deadline) {
  for (;;) {
    const entries = await page.evaluate((s) => window.__statusLog.filter(([t]) => t >= s), since);
    for (const [t, text, isError] of entries) {
      if (text && re.test(text)) return { t, text };
      if (isError) throw Object.assign(new Error(text), { status: text, t });
    }
    if (Date.now() > deadline) {
      const seen = await page.evaluate((s) => ({
        log: window.__statusLog.filter(([t]) => t >= s - 5000).map(([t, x, e]) => `${t - s}ms${e ? ' error' : ''}: ${x}`),
        progress: Array.from(document.querySelectorAll('.progress-text'), (e) => e.textContent),
        dialogs: Array.from(document.querySelectorAll('[role=dialog]'), (e) => e.getAttribute('aria-label')),
      }), since);
      throw Object.assign(new Error(`no "${re.source}" within ${fmtS(BOUND)} (status: ${seen.log.join(' / ')}; progress: ${seen.progress.join(' / ') || '–'}; dialogs: ${seen.dialogs.join(', ') || '–'})`), { hung: true });
    }
    await sleep(50);
  }
}

/// Waits until the restore card shows a preview whose text matches `re`
/// (a new file resets the preview at once); throws on an error shown at
/// `since` or later.
async function waitPreview(page, since, re, deadline) {
  for (;;) {
    const r = await page.evaluate(({ s, src }) => {
      const err = window.__statusLog.find(([t, , e]) => t >= s && e);
      if (err) return { error: err[1] };
      const p = document.querySelector('[data-testid=preview]')?.textContent;
      return p && new RegExp(src).test(p) ? { preview: p } : null;
    }, { s: since, src: re.source });
    if (r?.error) throw new Error(r.error);
    if (r) return r.preview;
    if (Date.now() > deadline) throw Object.assign(new Error(`no preview matching "${re.source}" within ${fmtS(BOUND)}`), { hung: true });
    await sleep(50);
  }
}

const now = (page) => page.evaluate(() => Date.now());

// --- operations ---------------------------------------------------------------------

async function backup(page, tab, round) {
  const deadline = Date.now() + BOUND;
  const download = page.waitForEvent('download', { timeout: BOUND });
  const start = await now(page);
  await page.getByRole('button', { name: 'Create backup' }).click();
  const d = await download;
  const file = join(work, 'backups', `tab${tab}-round${round}.zip`);
  await d.saveAs(file);
  const done = await statusSince(page, start, /Backup created/, deadline);
  backups.push({ file, tab, start, end: done.t });
  return { start, end: done.t, file };
}

async function restore(page, tab, round, op) {
  const deadline = Date.now() + BOUND;
  const others = backups.filter((b) => b.tab !== tab);
  if (others.length === 0) return null;
  // Mostly the newest backup of another tab (writes still in flight
  // around it), else any.
  const b = random() < 0.7 ? others[others.length - 1] : pick(others);
  op.restoredFile = b.file;
  // A copy under a new name: picking the file the input already holds
  // would not fire its change event.
  const copy = join(work, 'picked', `tab${tab}-round${round}-${b.file.split('/').pop()}`);
  mkdirSync(dirname(copy), { recursive: true });
  copyFileSync(b.file, copy);
  let start = await now(page);
  await page.getByLabel('Backup file').setInputFiles(copy);
  let preview = await waitPreview(page, start, /./, deadline);
  let keyUsed = null;
  if (/not this site's key/.test(preview)) {
    // Made under an earlier key: the restore re-seals with its key file.
    const id = preview.match(/Sealed under key id ([0-9a-f]{32})/)?.[1];
    if (!id || !(await keyFileFor(id))) throw new Error(`no key file for key id ${id}`);
    keyUsed = id;
    start = await now(page);
    await page.getByLabel('Key file', { exact: true }).setInputFiles(keyFiles[id]);
    preview = await waitPreview(page, start, /records will be re-sealed|matches this site's key/, deadline);
  }
  let keyAfterReplacement = false;
  for (;;) {
    await page.getByTestId('preview').waitFor();
    await page.getByRole('button', { name: 'Restore backup' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore this backup?' });
    const confirm = dialog.getByRole('button', { name: 'Restore now' });
    await confirm.waitFor();
    // st-log's version at "Restore now": newer than the backup's means
    // the restore rebuilds it through a staging database.
    op.liveLogVersion = await page.evaluate(async () => (await indexedDB.databases()).find((d) => d.name === 'st-log')?.version);
    const t = await now(page);
    await confirm.click();
    try {
      const done = await statusSince(page, t, /Restore complete/, deadline);
      return { start: t, end: done.t, restoredFile: b.file, keyUsed, keyAfterReplacement, text: done.text };
    } catch (e) {
      // Another tab replaced the key between the check and "Restore now":
      // the backup's key is gone from the site, and the restore (which
      // wrote nothing) asks for its key file, as a user would give it.
      const id = e.status?.match(/\(key-required\)/) && e.status.match(/master key id ([0-9a-f]{32})/)?.[1];
      if (keyAfterReplacement || !id || !(await keyFileFor(id))) throw e;
      keyAfterReplacement = true;
      keyUsed = id;
      const t2 = await now(page);
      await page.getByLabel('Key file', { exact: true }).setInputFiles(keyFiles[id]);
      await waitPreview(page, t2, /records will be re-sealed/, deadline);
    }
  }
}

/// The key file of key `id`; waits a little for a tab that replaced the
/// key to finish downloading it.
async function keyFileFor(id) {
  for (let i = 0; i < 300 && !keyFiles[id]; i++) await sleep(100);
  return keyFiles[id];
}

async function exportKey(page, deadline) {
  const dialog = page.getByRole('dialog', { name: 'Export the master key?' });
  await dialog.waitFor({ timeout: Math.max(1000, deadline - Date.now()) });
  const download = page.waitForEvent('download', { timeout: BOUND });
  await dialog.getByRole('button', { name: 'Download key file' }).click();
  const d = await download;
  const tmp = join(work, 'keys', `tmp-${Date.now()}-${Math.random()}.json`);
  await d.saveAs(tmp);
  const id = JSON.parse(readFileSync(tmp, 'utf8')).key_id;
  const file = join(work, 'keys', `${id}.json`);
  writeFileSync(file, readFileSync(tmp));
  rmSync(tmp);
  keyFiles[id] = file;
  await dialog.waitFor({ state: 'detached', timeout: 30_000 });
  return id;
}

async function replaceKey(page) {
  const deadline = Date.now() + BOUND;
  await page.getByRole('button', { name: 'Replace master key' }).click();
  const dialog = page.getByRole('dialog', { name: 'Replace the master key?' });
  const confirm = dialog.getByRole('button', { name: 'Replace key' });
  await confirm.waitFor();
  const start = await now(page);
  await confirm.click();
  const done = await statusSince(page, start, /Master key replaced/, deadline);
  const keyId = await exportKey(page, deadline);
  return { start, end: done.t, keyId, text: done.text };
}

/// `n` puts of unique keys with random pauses, each read back.
async function writeBurst(page, tab, round, n) {
  for (let i = 0; i < n; i++) {
    await sleep(Math.floor(random() * 400));
    const key = `w-${tab}-${String(round).padStart(3, '0')}-${i}`;
    const w = { key, tab, round };
    writes.push(w);
    const r = await Promise.race([
      page.evaluate(async ({ db, store, key, value }) => {
        const issued = Date.now();
        try {
          await window.coffer.put(db, store, key, value);
          const acked = Date.now();
          let readBack;
          try {
            const v = await window.coffer.get(db, store, key);
            readBack = v === undefined ? 'absent' : JSON.stringify(v) === JSON.stringify(value) ? 'same' : `different: ${JSON.stringify(v).slice(0, 80)}`;
          } catch (e) { readBack = `error: ${e.code || ''} ${e.message}`; }
          return { issued, acked, ok: true, readBack };
        } catch (e) {
          return { issued, acked: Date.now(), ok: false, error: `${e.code || ''} ${e.message}` };
        }
      }, { db: DB, store: STORE, key, value: plaintext(key) }),
      sleep(BOUND).then(() => ({ hung: true })),
    ]);
    Object.assign(w, r);
    if (r.hung) throw Object.assign(new Error(`put ${key} did not end within ${fmtS(BOUND)}`), { hung: true });
    if (random() < 0.5) await appWrite(page, tab);
  }
}

/// The version of st-log the app knows: an app update (about one app
/// write in eight) raises it, and the app opens st-log at it as apps do.
let appVersion = 1;
let appUpgrades = 0;

/// The app itself adds a record to the auto-increment store st-log/log
/// (its own connection, closed at once and on versionchange), opening the
/// database at the version it knows (creating the store if it is missing):
/// the store's key generator runs ahead of every backup, and after an app
/// update the database is newer than the backups made before, so a
/// restore of one of those rebuilds st-log through a staging database
/// while the tabs open and write it.
async function appWrite(page, tab) {
  const t = Date.now();
  if (random() < 0.125) { appVersion++; appUpgrades++; }
  const r = await Promise.race([
    page.evaluate(async ({ tab, version }) => {
      try {
        const open = (v) => new Promise((ok, err) => {
          const q = v ? indexedDB.open('st-log', v) : indexedDB.open('st-log');
          q.onupgradeneeded = () => { if (!q.result.objectStoreNames.contains('log')) q.result.createObjectStore('log', { keyPath: 'id', autoIncrement: true }); };
          q.onsuccess = () => ok(q.result);
          q.onerror = () => err(q.error);
        });
        // A tab that still runs the app's previous version while another
        // tab's update has raised it gets a VersionError: it reloads into
        // the newer version, as an app would.
        const db = await open(version).catch((e) => (e.name === 'VersionError' ? open(0) : Promise.reject(e)));
        db.onversionchange = () => db.close();
        const tx = db.transaction('log', 'readwrite');
        tx.objectStore('log').add({ tab, at: Date.now() });
        await new Promise((ok, err) => { tx.oncomplete = ok; tx.onerror = () => err(tx.error); tx.onabort = () => err(tx.error); });
        db.close();
        return { ok: true };
      } catch (e) { return { ok: false, error: `${e.name}: ${e.message}` }; }
    }, { tab, version: appVersion }),
    sleep(BOUND).then(() => ({ hung: true })),
  ]);
  appWrites.push({ tab, ms: Date.now() - t, ...r });
  if (r.hung) throw Object.assign(new Error(`an app write to st-log did not end within ${fmtS(BOUND)}`), { hung: true });
}

const WEIGHTS = [['backup', 4], ['restore', 2], ['replace', 3]];

async function runTab(page, tab) {
  for (let round = 0; round < opts.rounds; round++) {
    await sleep(Math.floor(random() * 800));
    let kind = pick(WEIGHTS.flatMap(([k, w]) => Array(w).fill(k)));
    // No restore in a tab's last round, so that the writes of the end
    // (beside backups and key replacements) must all survive.
    if (kind === 'restore' && (round === opts.rounds - 1 || !backups.some((b) => b.tab !== tab))) kind = 'backup';
    const burst = writeBurst(page, tab, round, 2 + Math.floor(random() * 5));
    const op = { tab, round, kind };
    ops.push(op);
    const t = Date.now();
    try {
      const r = kind === 'backup' ? await backup(page, tab, round) : kind === 'restore' ? await restore(page, tab, round, op) : await replaceKey(page);
      Object.assign(op, r, { ok: true });
    } catch (e) {
      Object.assign(op, { ok: false, error: e.message.split('\n')[0], hung: !!e.hung, start: op.start ?? t, end: Date.now() });
      // A failed operation leaves the card usable; a hung one ends the tab.
      if (e.hung) { op.wall = Date.now() - t; log(`tab ${tab} round ${round + 1}: ${kind} HUNG: ${e.message}`); await burst.catch(() => {}); return; }
    }
    op.wall = Date.now() - t;
    try { await burst; } catch (e) { errors.push(`tab ${tab}: ${e.message}`); if (e.hung) return; }
    log(`tab ${tab} round ${round + 1}/${opts.rounds}: ${kind} ${op.ok ? 'ok' : 'FAILED ' + op.error} in ${fmtS(op.wall)}`);
  }
}

// --- checks -----------------------------------------------------------------------

/// The keys of st-vault/writes in a backup (read without the key: keys
/// are not sealed).
function keysInBackup(file) {
  const out = join(work, 'extract', file.split('/').pop());
  rmSync(out, { recursive: true, force: true });
  execFileSync(cofferBin(), ['extract', file, '--out', out, '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
  const keys = new Set();
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.jsonl') && p.includes(DB) && p.includes(STORE)) {
        for (const line of readFileSync(p, 'utf8').split('\n').filter(Boolean)) {
          const k = JSON.parse(line).key;
          keys.add(typeof k === 'string' ? k : k.string ?? k.value ?? JSON.stringify(k));
        }
      }
    }
  };
  walk(out);
  rmSync(out, { recursive: true, force: true });
  return { keys, index };
}

function inspectKeyId(file) {
  const j = JSON.parse(execFileSync(cofferBin(), ['inspect', '--json', file], { encoding: 'utf8' }));
  return j.key_id;
}

// --- main ---------------------------------------------------------------------------

const started = Date.now();
const server = await startServer(opts.port);
const browser = await launchBrowser();
let failed = false;
try {
  const context = await browser.newContext({ acceptDownloads: true, locale: 'en-US', baseURL: server.base, viewport: { width: 1280, height: 900 } });
  // Seed the data: a plain database for weight, the encrypted store the
  // writes go to.
  const seedPage = await context.newPage();
  await seedPage.goto('/__seed');
  await installSeedWorker(seedPage);
  const initial = Array.from({ length: SIZES.initial }, (_, i) => `init-${String(i).padStart(4, '0')}`);
  await seedEncrypted(seedPage, DB, STORE, initial.map((k) => [k, plaintext(k)]));
  await seedPage.evaluate(() => window.__seedStop());
  await seedPage.evaluate(async ({ docs, blobs }) => {
    const done = (tx) => new Promise((ok, err) => { tx.oncomplete = ok; tx.onerror = () => err(tx.error); });
    const r = indexedDB.open('st-plain', 1);
    r.onupgradeneeded = () => { r.result.createObjectStore('docs', { keyPath: 'id' }); r.result.createObjectStore('files'); };
    const db = await new Promise((ok) => { r.onsuccess = () => ok(r.result); });
    let tx = db.transaction('docs', 'readwrite');
    for (let i = 0; i < docs; i++) tx.objectStore('docs').put({ id: i, text: 'doc ' + i + ' ' + 'd'.repeat(300) });
    await done(tx);
    for (let b = 0; b < blobs; b++) {
      const bytes = new Uint8Array(1 << 20);
      for (let o = 0; o < bytes.length; o += 65536) crypto.getRandomValues(bytes.subarray(o, o + 65536));
      tx = db.transaction('files', 'readwrite');
      tx.objectStore('files').put(new Blob([bytes]), 'blob-' + b);
      await done(tx);
    }
    db.close();
    const l = indexedDB.open('st-log', 1);
    l.onupgradeneeded = () => l.result.createObjectStore('log', { keyPath: 'id', autoIncrement: true });
    const log = await new Promise((ok) => { l.onsuccess = () => ok(l.result); });
    const t = log.transaction('log', 'readwrite');
    for (let i = 0; i < 20; i++) t.objectStore('log').add({ seeded: i });
    await done(t);
    log.close();
  }, SIZES);
  await seedPage.close();

  const pages = [];
  for (let i = 0; i < TABS; i++) {
    const p = await context.newPage();
    watchErrors(p, errors, `tab ${i}: `);
    await logStatus(p);
    await openApp(p);
    pages.push(p);
  }
  // The first key's file, for restores of backups made under it.
  await pages[0].getByRole('button', { name: 'Export master key' }).click();
  const firstKey = await exportKey(pages[0], Date.now() + 60_000);
  log(`tabs: seed ${seed}`);
  log(`tabs: ${TABS} tabs ready (key ${firstKey.slice(0, 8)}), ${opts.rounds} rounds each`);

  // Every tab runs at once.
  await Promise.all(pages.map((p, i) => runTab(p, i)));

  // --- checks
  const problems = [];
  const hung = ops.filter((o) => o.hung);
  for (const o of hung) problems.push(`tab ${o.tab} round ${o.round + 1}: ${o.kind} did not end within ${fmtS(BOUND)}`);
  const failedOps = ops.filter((o) => !o.ok && !o.hung);
  // Backups verify, with the key file of their key id.
  const verified = [];
  const contents = new Map();
  for (const b of backups) {
    const id = inspectKeyId(b.file);
    const v = cliVerify(b.file, keyFiles[id]);
    verified.push({ file: b.file, ok: v.ok, withKey: !!keyFiles[id] });
    if (!v.ok) problems.push(`backup ${b.file.split('/').pop()} does not verify: ${v.out.split('\n')[0]}`);
    contents.set(b.file, keysInBackup(b.file).keys);
  }
  // Every tab: the store's records, opened.
  await sleep(500);
  const finalStates = [];
  for (const [i, p] of pages.entries()) {
    const st = await p.evaluate(async ({ db, store }) => {
      const keys = await window.coffer.list(db, store);
      const values = {};
      const errs = [];
      for (let j = 0; j < keys.length; j += 50) {
        await Promise.all(keys.slice(j, j + 50).map(async (k) => {
          try { values[k] = await window.coffer.get(db, store, k); } catch (e) { errs.push(`${k}: ${e.code || ''} ${e.message}`); }
        }));
      }
      return { keys, values, errs };
    }, { db: DB, store: STORE });
    finalStates.push(st);
    for (const e of st.errs.slice(0, 5)) problems.push(`tab ${i}: cannot open ${e}`);
    if (st.errs.length > 5) problems.push(`tab ${i}: ${st.errs.length} records do not open`);
  }
  const final = finalStates[0];
  const present = new Set(final.keys);
  const known = new Map([...initial.map((k) => [k, plaintext(k)]), ...writes.map((w) => [w.key, plaintext(w.key)])]);
  for (const k of final.keys) {
    if (!known.has(k)) problems.push(`record ${k} was never written`);
    else if (final.values[k] !== undefined && JSON.stringify(final.values[k]) !== JSON.stringify(known.get(k))) problems.push(`record ${k} holds another value`);
  }
  // Lost writes, by the rule above.
  const restores = ops.filter((o) => o.kind === 'restore' && o.ok && o.restoredFile);
  let excused = 0;
  const lost = [];
  for (const w of writes.filter((w) => w.ok)) {
    if (present.has(w.key)) continue;
    const by = restores.filter((r) => r.end > w.issued && !contents.get(r.restoredFile).has(w.key));
    if (by.length) excused++;
    else lost.push(w);
  }
  for (const w of lost.slice(0, 10)) problems.push(`write ${w.key} (tab ${w.tab}, acknowledged) is lost; no later restore explains it`);
  if (lost.length > 10) problems.push(`${lost.length} acknowledged writes lost`);
  // Each backup is a snapshot: it holds every write acknowledged before it
  // started, unless a restore that may have committed between the two
  // (ended after the write was issued, started before the backup ended)
  // restored a file without it; and it holds no key that was not written
  // (or issued) before it ended.
  let missingInBackups = 0;
  for (const b of backups) {
    const has = contents.get(b.file);
    for (const w of writes.filter((w) => w.ok && w.acked < b.start)) {
      if (has.has(w.key)) continue;
      const by = restores.filter((r) => r.end > w.issued && r.start < b.end && !contents.get(r.restoredFile).has(w.key));
      if (!by.length) { missingInBackups++; if (missingInBackups <= 5) problems.push(`backup ${b.file.split('/').pop()} lacks ${w.key}, acknowledged before it started`); }
    }
    for (const k of has) {
      const w = writes.find((x) => x.key === k);
      if (!initial.includes(k) && !(w && w.issued !== undefined && w.issued < b.end)) problems.push(`backup ${b.file.split('/').pop()} holds ${k}, not written before it ended`);
    }
  }
  // Initial records: only a restore can remove them, and every backup has them.
  for (const k of initial) if (!present.has(k)) problems.push(`initial record ${k} is gone`);
  // Read-backs right after a write.
  const readBackErrors = writes.filter((w) => w.ok && w.readBack && w.readBack.startsWith('error'));
  for (const w of readBackErrors.slice(0, 5)) problems.push(`reading back ${w.key} right after its put failed: ${w.readBack}`);
  const readBackWrong = writes.filter((w) => w.ok && w.readBack && w.readBack.startsWith('different'));
  for (const w of readBackWrong.slice(0, 5)) problems.push(`reading back ${w.key} gave ${w.readBack}`);
  const logVersion = await pages[0].evaluate(async () => (await indexedDB.databases()).find((d) => d.name === 'st-log')?.version);
  // All tabs name the same key.
  for (const p of pages) await p.evaluate(() => window.coffer.refresh());
  await sleep(1000);
  const ids = [];
  for (const p of pages) ids.push(await overviewKeyId(p));
  if (new Set(ids).size !== 1) problems.push(`the tabs name different keys: ${ids.map((x) => x?.slice(0, 8)).join(', ')}`);
  problems.push(...errors.map((e) => `${e}`));

  // --- report
  const byKind = {};
  for (const o of ops) {
    const k = (byKind[o.kind] ||= { n: 0, ok: 0, failed: [], longest: 0 });
    k.n++;
    if (o.ok) k.ok++; else k.failed.push(o.error);
    k.longest = Math.max(k.longest, o.wall || 0);
  }
  const putTimes = writes.filter((w) => w.acked).map((w) => w.acked - w.issued);
  const keyRetries = ops.filter((o) => o.keyAfterReplacement).length;
  const resealing = ops.filter((o) => o.kind === 'restore' && o.ok && o.keyUsed).length;
  // st-log's version in each restored backup (from `coffer inspect`).
  const logVersionIn = (file) => Number(/database \d+: "st-log" \(version (\d+)\)/.exec(execFileSync(cofferBin(), ['inspect', '-q', file], { encoding: 'utf8' }))?.[1]);
  const restoresOk = ops.filter((o) => o.kind === 'restore' && o.ok && o.restoredFile);
  const staged = restoresOk.filter((o) => o.liveLogVersion > logVersionIn(o.restoredFile)).length;
  const longest = Math.max(...ops.map((o) => o.wall || 0), ...putTimes, ...appWrites.map((w) => w.ms));
  for (const w of appWrites.filter((w) => w.ok === false)) problems.push(`tab ${w.tab}: an app write to st-log failed: ${w.error}`);
  const failedWrites = writes.filter((w) => w.ok === false);
  const elapsed = Date.now() - started;
  const section = {
    title: 'Several tabs at once',
    text: [
      `A Playwright script (\`tests/reliability/tabs.mjs\`) opens ${TABS} tabs of one origin in one browser context. Each tab runs ${opts.rounds} rounds; a round is one UI operation drawn at random (backup 4 : restore of a backup another tab made 3 : key replacement 2, each followed by downloading the new key file) and, at the same time, 2–6 \`window.coffer.put\`s of unique keys with random pauses, each read back with \`window.coffer.get\`. Rounds start after a random pause, so the tabs interleave differently on every run.`,
      'A tab\'s last round has no restore, so the writes at the end (beside backups and key replacements in other tabs) must all survive. Checked at the end: every downloaded backup passes `coffer verify` with the key file of its key id (every sealed record opens); every record of the store opens in every tab to the plaintext its write put, and no record is there that no write put; no acknowledged write is lost; every operation ends within the bound; no tab shows a page or console error; all tabs name the same key.',
      'The lost-write rule: a write W that reported success, issued at I_W (the page\'s clock right before `put`), must be in the store at the end unless some restore R that reported success ended ("Restore complete" shown) after I_W and restored a backup whose file does not hold W\'s key (read with `coffer extract`): only such a restore can have replaced the store after W committed.',
      'Each backup is also checked as a snapshot: it holds every write acknowledged before the backup started, unless a restore that ended after the write was issued and started before the backup ended restored a file without it; and it holds no key that was not written (or issued) before the backup ended.',
    ],
    tables: [
      {
        title: 'Multi-tab rounds',
        columns: ['tabs', 'rounds per tab', 'operations', 'backups (verified)', 'restores', 'key replacements', 'writes acknowledged / failed', 'lost writes', 'writes removed by a later restore', 'longest wait', 'problems'],
        rows: [[TABS, opts.rounds, ops.length, `${byKind.backup?.ok ?? 0} (${verified.filter((v) => v.ok).length})`, `${byKind.restore?.ok ?? 0}${byKind.restore?.failed.length ? ` (+${byKind.restore.failed.length} failed)` : ''}`, `${byKind.replace?.ok ?? 0}${byKind.replace?.failed.length ? ` (+${byKind.replace.failed.length} failed)` : ''}`, `${writes.filter((w) => w.ok).length} / ${failedWrites.length}`, lost.length, excused, fmtS(longest), problems.length]],
      },
      {
        title: 'Operations by kind',
        columns: ['operation', 'runs', 'succeeded', 'longest (click to done)', 'failures'],
        rows: [
          ...Object.entries(byKind).map(([k, v]) => [k, v.n, v.ok, fmtS(v.longest), v.failed.length ? [...new Set(v.failed)].join('; ') : '–']),
          ['put (+ get)', writes.length, writes.filter((w) => w.ok).length, fmtS(Math.max(0, ...putTimes)), failedWrites.length ? [...new Set(failedWrites.map((w) => w.error))].join('; ') : '–'],
          ['app write (st-log)', appWrites.length, appWrites.filter((w) => w.ok).length, fmtS(Math.max(0, ...appWrites.map((w) => w.ms))), appWrites.some((w) => w.ok === false) ? [...new Set(appWrites.filter((w) => w.ok === false).map((w) => w.error))].join('; ') : '–'],
        ],
      },
    ],
    notes: [
      `Data: ${SIZES.initial} initial encrypted records in ${DB}/${STORE}, a plain database of ${SIZES.docs} records and ${SIZES.blobs} MiB of Blobs that every backup and restore carries, and st-log, an auto-increment store to which the tabs also add records directly (about every other put; their own connections, closed on versionchange): they open it at the version the app knows, which an app update raises about one app write in eight (${appUpgrades} updates; st-log ended at version ${logVersion}), so its key generator is ahead of every backup and a restore of a backup made before an update rebuilds st-log through a staging database while the other tabs' workers and writes use it. Bound per operation: ${fmtS(BOUND)}.`,
      `Restores: ${staged} of the ${restoresOk.length} successful ones found st-log, at "Restore now", at a newer version than their backup's (so they rebuilt it through a staging database while the tabs wrote it); ${resealing} of them re-sealed a backup made under an earlier key (given its key file); ${keyRetries} found, at "Restore now", that another tab had replaced the key since the file was checked: they failed with key-required having written nothing, asked for the key file, and succeeded with it (as a user would do).`,
      `Seed ${seed} (\`--seed\`); ${fmtS(elapsed)} in all; \`node tests/reliability/tabs.mjs${opts.quick ? ' --quick' : ''} --rounds ${opts.rounds}\`.`,
      ...(problems.length ? [`Problems: ${problems.join(' | ')}`] : []),
    ],
  };
  if (opts.json) {
    mkdirSync(dirname(opts.json), { recursive: true });
    writeFileSync(opts.json, JSON.stringify(section, null, 2) + '\n');
    log(`wrote ${opts.json}`);
  }
  writeFileSync(join(work, 'trace.json'), JSON.stringify({ ops, writes, appWrites, backups, keyFiles }, null, 1));
  for (const p of problems) log(`PROBLEM: ${p}`);
  log(`tabs: ${ops.length} operations (${Object.entries(byKind).map(([k, v]) => `${k} ${v.ok}/${v.n}`).join(', ')}), ${writes.length} writes, ${lost.length} lost, ${excused} removed by a later restore, longest ${fmtS(longest)}, ${problems.length} problem(s) (${fmtS(elapsed)})`);
  failed = problems.length > 0;
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close().catch(() => {});
  server.stop();
  if (!opts.work && !failed) rmSync(work, { recursive: true, force: true });
  else log(`work files in ${work}`);
}
process.exit(failed ? 1 : 0);
