// Issue 13, "browser killed mid-operation": starts a restore (and,
// separately, a key replacement) through the real UI on a persistent
// Chromium profile, SIGKILLs the browser at a random moment, relaunches on
// the same profile and checks that nothing is half-written.
//
//   node tests/reliability/kill.mjs [--trials N] [--quick] [--json FILE]
//        [--op restore|key|both] [--port P] [--seed S] [--work DIR]
//
// Per operation: a profile is prepared once, the operation is timed once on
// a copy of it (calibration, also a check of the harness: the uninterrupted
// run must pass every check), then each trial starts from a fresh copy,
// kills at a moment drawn uniformly from [0, measured duration] and checks:
//
// restore — every database is exactly as before or exactly as the backup
//   has it (digest of version, schema, every key and value, Blobs by their
//   bytes, compared per database with digests taken beforehand); the
//   encrypted stores open with the current key (window.coffer.get of every
//   key gives its plaintext); Coffer's registry is consistent (each
//   encrypted store that exists is registered and shown as encrypted in
//   the overview, no other is; the restore journal is empty once the app
//   has started); the app starts without page or console errors, the
//   overview loads, and a fresh backup succeeds and passes `coffer verify`.
// key — every envelope is under the old key, or the new one, or (the
//   replacement was interrupted midway) under either while the new key is
//   pending; once the app has started (the worker finishes a pending
//   replacement) every envelope is under the current key, there is no
//   pending key, the overview names the current key and it is the old or
//   the new one, every value opens to its plaintext, the plain store is
//   unchanged, no errors, and a fresh backup verifies.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import {
  parseArgs, log, sleep, startServer, launch, killProfile, watchErrors, openApp, waitStatus,
  createBackup, chooseBackup, openRestoreDialog, openReplaceDialog, trackProgress, overviewKeyId,
  waitStartupSettled, digestDatabases, metaState, envelopeKeyIds, cliVerify, installSeedWorker,
  seedEncrypted, seedDelete, rng, quantiles, fmtS,
} from './lib.mjs';

const opts = parseArgs(process.argv.slice(2), {
  trials: 10, quick: false, json: '', op: 'both', port: 8421, seed: 0, work: '',
  // Investigation only: kill within this part of the duration ("0.5:0.7"),
  // or (restore) a random 0..MS ms after the progress shows N records ("N:MS").
  moment: '0:1', 'after-records': '',
});
const [afterRecords, afterSpread] = opts['after-records'] ? opts['after-records'].split(':').map(Number) : [0, 0];
const [momentFrom, momentTo] = opts.moment.split(':').map(Number);
if (opts.quick && !process.argv.includes('--trials')) opts.trials = 2;
const seed = opts.seed || (Date.now() % 1_000_000_007);
const random = rng(seed);

const SIZES = opts.quick
  ? { docs: 1500, blobs: 8, items: 100, secrets: 300, tokens: 40, keySecrets: 1500, keyTokens: 500, pad: 600 }
  : { docs: 6000, blobs: 64, items: 400, secrets: 3000, tokens: 300, keySecrets: 8000, keyTokens: 4000, pad: 1500 };

const work = opts.work || mkdtempSync(join(tmpdir(), 'coffer-kill-'));
mkdirSync(work, { recursive: true });

// --- data ---------------------------------------------------------------------------

/// The plaintext of an encrypted record: `variant` tells the backup's
/// ("A") from the changed ("B") and the added ("C") values.
function plaintext(store, key, variant) {
  const n = Number(key.slice(2));
  return { key, store, variant, n, list: [n, n * 2, `${variant}${n}`], nested: { text: `${variant}:${key}:` + 'secret '.repeat(20), ok: n % 2 === 0 } };
}
const padded = (v) => ({ ...v, pad: 'p'.repeat(SIZES.pad) });
const keyName = (prefix, i) => `${prefix}-${String(i).padStart(5, '0')}`;

/// Seeds the plain databases of the restore profile (state A), in the page.
async function seedPlain(page) {
  await page.evaluate(async ({ docs, blobs, items }) => {
    const done = (tx) => new Promise((ok, err) => { tx.oncomplete = ok; tx.onerror = () => err(tx.error); tx.onabort = () => err(tx.error); });
    const open = (name, version, up) => new Promise((ok, err) => { const r = indexedDB.open(name, version); r.onupgradeneeded = () => up(r.result); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    // rk-inplace: restored in place (same schema at the restore).
    let db = await open('rk-inplace', 1, (d) => {
      const docsStore = d.createObjectStore('docs', { keyPath: 'id' });
      docsStore.createIndex('by-tag', 'tags', { multiEntry: true });
      d.createObjectStore('files');
    });
    let tx = db.transaction('docs', 'readwrite');
    for (let i = 0; i < docs; i++) tx.objectStore('docs').put({ id: i, text: `row ${i} ` + 'x'.repeat(300), tags: ['t' + (i % 7), 'all'], when: new Date(1_700_000_000_000 + i), n: i / 3 });
    await done(tx);
    for (let b = 0; b < blobs; b++) {
      const bytes = new Uint8Array(1 << 20);
      for (let o = 0; o < bytes.length; o += 65536) crypto.getRandomValues(bytes.subarray(o, o + 65536));
      tx = db.transaction('files', 'readwrite');
      tx.objectStore('files').put(new Blob([bytes], { type: 'application/octet-stream' }), `blob-${String(b).padStart(3, '0')}`);
      await done(tx);
    }
    db.close();
    // rk-staged: auto-increment with indexes; after the backup it moves to
    // a newer version with another index and a store the backup does not
    // have, so the restore rebuilds it through a staging database (and
    // its key generator is past the backup's).
    db = await open('rk-staged', 2, (d) => {
      const s = d.createObjectStore('items', { keyPath: 'id', autoIncrement: true });
      s.createIndex('by-name', 'name', { unique: true });
      s.createIndex('by-pair', ['name', 'n']);
      d.createObjectStore('kv');
    });
    tx = db.transaction(['items', 'kv'], 'readwrite');
    for (let i = 0; i < items; i++) tx.objectStore('items').add({ name: `item-${i}`, n: i, m: new Map([[i, 'v' + i]]), s: new Set([i, -i]), big: BigInt(i) * 1_000_000_000_000n, bytes: new Uint8Array([i & 255, 1, 2]) });
    tx.objectStore('kv').put(new File(['file body'], 'notes.txt', { type: 'text/plain', lastModified: 1_600_000_000_000 }), 'a-file');
    tx.objectStore('kv').put({ nested: { deep: [1, 2, { x: null, u: undefined }] } }, ['compound', 1]);
    await done(tx);
    db.close();
  }, SIZES);
}

/// Changes the plain databases from the backup's state to the "before"
/// state of every trial.
async function changePlain(page) {
  await page.evaluate(async ({ docs }) => {
    const done = (tx) => new Promise((ok, err) => { tx.oncomplete = ok; tx.onerror = () => err(tx.error); tx.onabort = () => err(tx.error); });
    const open = (name) => new Promise((ok, err) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    let db = await open('rk-inplace');
    let tx = db.transaction(['docs', 'files'], 'readwrite');
    tx.objectStore('docs').delete(IDBKeyRange.bound(0, Math.floor(docs / 2) - 1));
    for (let i = Math.floor(docs / 2); i < Math.floor(docs / 2) + 100; i++) tx.objectStore('docs').put({ id: i, text: `changed ${i}`, tags: ['changed'] });
    tx.objectStore('docs').put({ id: 99_999, text: 'added after the backup', tags: [] });
    tx.objectStore('files').delete(IDBKeyRange.bound('blob-000', 'blob-001'));
    tx.objectStore('files').put(new Blob([new Uint8Array(300_000).fill(7)]), 'blob-new');
    await done(tx);
    db.close();
    db = await new Promise((ok, err) => {
      const r = indexedDB.open('rk-staged', 3);
      r.onupgradeneeded = () => {
        r.transaction.objectStore('items').createIndex('by-n', 'n');
        r.result.createObjectStore('extra', { autoIncrement: true });
      };
      r.onsuccess = () => ok(r.result);
      r.onerror = () => err(r.error);
    });
    tx = db.transaction(['items', 'extra'], 'readwrite');
    for (let i = 0; i < 50; i++) tx.objectStore('items').add({ name: `later-${i}`, n: -i });
    tx.objectStore('items').delete(IDBKeyRange.upperBound(10));
    for (let i = 0; i < 200; i++) tx.objectStore('extra').add({ i, text: 'kept by the restore ' + i });
    await done(tx);
    db.close();
  }, SIZES);
}

/// Removes `db/store` from Coffer's registry (as in an origin that never
/// had it), in the page.
async function unregister(page, db, store) {
  await page.evaluate(async ({ db, store }) => {
    const meta = await new Promise((ok, err) => { const r = indexedDB.open('coffer-meta'); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    const tx = meta.transaction('encrypted-stores', 'readwrite');
    tx.objectStore('encrypted-stores').delete([db, store]);
    await new Promise((ok, err) => { tx.oncomplete = ok; tx.onerror = () => err(tx.error); });
    meta.close();
    await new Promise((ok, err) => { const r = indexedDB.deleteDatabase(db); r.onsuccess = ok; r.onerror = () => err(r.error); });
  }, { db, store });
}

// --- checks -----------------------------------------------------------------------

/// Every key of encrypted store `db/store` read through window.coffer.get
/// and compared with `expected` (key → plaintext). Returns problems.
async function checkValues(page, db, store, expected) {
  return await page.evaluate(async ({ db, store, expected }) => {
    const problems = [];
    let keys;
    try { keys = await window.coffer.list(db, store); } catch (e) { return [`list ${db}/${store}: ${e.code || ''} ${e.message}`]; }
    const want = Object.keys(expected).sort();
    if (JSON.stringify(keys) !== JSON.stringify(want)) problems.push(`${db}/${store}: ${keys.length} keys, expected ${want.length}`);
    for (let i = 0; i < keys.length; i += 40) {
      const got = await Promise.all(keys.slice(i, i + 40).map((k) => window.coffer.get(db, store, k).then((v) => [k, v], (e) => [k, { error: `${e.code || ''} ${e.message}` }])));
      for (const [k, v] of got) {
        if (JSON.stringify(v) !== JSON.stringify(expected[k])) {
          problems.push(`${db}/${store}/${k}: ${JSON.stringify(v).slice(0, 120)}`);
          if (problems.length > 5) return problems;
        }
      }
    }
    return problems;
  }, { db, store, expected });
}

/// The overview's rows: `db/store` → whether it is marked encrypted.
async function overviewRows(page) {
  return await page.evaluate(() => Object.fromEntries(Array.from(document.querySelectorAll('tr[data-testid^="row-"]'), (tr) => {
    const cells = tr.querySelectorAll('td');
    return [tr.dataset.testid.slice(4), cells[4]?.textContent.includes('encrypted') ?? false];
  })));
}

/// After the relaunch: the app's start, its overview, and a fresh backup.
/// `encrypted` lists the encrypted stores that exist (db/store) and must be
/// shown and registered as such. Returns { problems, errors, keyId }.
async function checkApp(context, trialDir, label, encrypted, values) {
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  watchErrors(page, errors);
  const problems = [];
  await openApp(page);
  await waitStartupSettled(page);
  const meta = await metaState(page);
  if (meta.pending) problems.push(`a pending key is left after start-up: ${meta.pending}`);
  if (meta.journal.length) problems.push(`the restore journal is not empty after start-up: ${JSON.stringify(meta.journal)}`);
  const registry = [...meta.registry].sort();
  if (JSON.stringify(registry) !== JSON.stringify([...encrypted].sort())) problems.push(`registry ${JSON.stringify(registry)}, expected ${JSON.stringify(encrypted)}`);
  // The overview, as the app shows it by itself (no reload asked for):
  // once the start-up work is over it must name the current key and mark
  // exactly the registered stores (it may take a moment to reload).
  const encRows = encrypted.map((p) => p.replace('/', '-'));
  const overviewProblems = async () => {
    const out = [];
    const shown = await overviewKeyId(page);
    if (shown !== meta.current) out.push(`the overview names key ${shown?.slice(0, 8)}, the current key is ${meta.current?.slice(0, 8)}`);
    const rows = await overviewRows(page);
    for (const [row, enc] of Object.entries(rows)) if (enc !== encRows.includes(row)) out.push(`the overview shows ${row} as ${enc ? '' : 'not '}encrypted`);
    for (const r of encRows) if (!(r in rows)) out.push(`the overview has no row ${r}`);
    return out;
  };
  const first = await overviewProblems();
  let last = first;
  for (let i = 0; i < 100 && last.length; i++) { await sleep(100); last = await overviewProblems(); }
  problems.push(...last.map((p) => `${p} (10 s after start-up)`));
  const stale = first.filter((p) => !last.includes(p));
  for (const [pair, expected] of Object.entries(values)) {
    const [db, store] = pair.split('/');
    problems.push(...await checkValues(page, db, store, expected));
  }
  // A fresh backup succeeds and verifies.
  const file = join(trialDir, `${label}-after.zip`);
  try {
    await createBackup(page, file);
    const v = cliVerify(file);
    if (!v.ok) problems.push(`the fresh backup does not verify: ${v.out}`);
  } catch (e) {
    problems.push(`the fresh backup failed: ${e.message.split('\n')[0]}`);
  }
  return { problems, errors, meta, stale };
}

// --- restore --------------------------------------------------------------------

async function prepareRestore(base) {
  const dir = join(work, 'restore-profile');
  rmSync(dir, { recursive: true, force: true });
  const context = await launch(dir, base);
  const page = context.pages()[0] || await context.newPage();
  await page.goto('/__seed');
  await installSeedWorker(page);
  const A = {}; // state A (the backup's) plaintexts per encrypted store
  const secrets = Array.from({ length: SIZES.secrets }, (_, i) => keyName('s', i));
  A['rk-vault/secrets'] = Object.fromEntries(secrets.map((k) => [k, padded(plaintext('secrets', k, 'A'))]));
  await seedEncrypted(page, 'rk-vault', 'secrets', Object.entries(A['rk-vault/secrets']));
  const tokens = Array.from({ length: SIZES.tokens }, (_, i) => keyName('t', i));
  A['rk-gone/tokens'] = Object.fromEntries(tokens.map((k) => [k, plaintext('tokens', k, 'A')]));
  await seedEncrypted(page, 'rk-gone', 'tokens', Object.entries(A['rk-gone/tokens']));
  await seedPlain(page);
  await page.evaluate(() => window.__seedStop());
  const stateA = await digestDatabases(page);
  await openApp(page);
  const backup = join(work, 'restore-backup.zip');
  await createBackup(page, backup);
  const v = cliVerify(backup);
  if (!v.ok) throw new Error(`the prepared backup does not verify: ${v.out}`);
  // The "before" state: every database differs from the backup.
  await page.goto('/__seed');
  await installSeedWorker(page);
  const B = { 'rk-vault/secrets': { ...A['rk-vault/secrets'] } };
  const changed = secrets.filter((_, i) => i % 5 === 0);
  const removed = secrets.filter((_, i) => i % 7 === 1);
  const added = Array.from({ length: 50 }, (_, i) => keyName('s', SIZES.secrets + i));
  for (const k of changed) B['rk-vault/secrets'][k] = padded(plaintext('secrets', k, 'B'));
  for (const k of added) B['rk-vault/secrets'][k] = plaintext('secrets', k, 'C');
  await seedEncrypted(page, 'rk-vault', 'secrets', [...changed, ...added].map((k) => [k, B['rk-vault/secrets'][k]]));
  await seedDelete(page, 'rk-vault', 'secrets', removed);
  for (const k of removed) delete B['rk-vault/secrets'][k];
  await page.evaluate(() => window.__seedStop());
  await changePlain(page);
  await unregister(page, 'rk-gone', 'tokens');
  const before = await digestDatabases(page);
  await context.close();
  return { dir, backup, A, B, stateA, before };
}

/// Which state each database is in: 'before', 'backup' or 'partial'.
function classify(now, before, after) {
  const names = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(now)]);
  const out = {};
  for (const n of names) {
    const d = now[n]?.digest ?? null;
    if (d === (before[n]?.digest ?? null)) out[n] = 'before';
    else if (d === (after[n]?.digest ?? null)) out[n] = 'backup';
    else out[n] = 'partial';
  }
  return out;
}

function describeDiff(now, ref) {
  const out = [];
  for (const [n, db] of Object.entries(now)) {
    const r = ref[n];
    if (!db) { out.push(`${n}: missing`); continue; }
    if (!r?.stores) { out.push(`${n}: exists`); continue; }
    if (db.version !== r.version) out.push(`${n}: version ${db.version} (vs ${r.version})`);
    if (db.listed !== db.version) out.push(`${n}: indexedDB.databases() lists version ${db.listed}, the connection has ${db.version}`);
    for (const s of Object.keys(r.stores)) if (!db.stores[s]) out.push(`${n}/${s}: missing store`);
    for (const [s, st] of Object.entries(db.stores)) {
      const rs = r.stores[s];
      if (!rs) out.push(`${n}/${s}: extra store`);
      else if (st.records !== rs.records || st.count !== rs.count) out.push(`${n}/${s}: ${st.count} records (vs ${rs.count}), ${st.records === rs.records ? 'same' : 'different'} contents`);
      else if (JSON.stringify(st) !== JSON.stringify(rs)) out.push(`${n}/${s}: schema differs`);
    }
  }
  return out;
}

/// One restore run on a fresh copy of the profile; kills after `killAt`
/// ms (null: lets it finish). Returns the trial's record.
async function restoreRun(base, prep, expectAfter, killAt, label) {
  const dir = join(work, 'trial-profile');
  rmSync(dir, { recursive: true, force: true });
  cpSync(prep.dir, dir, { recursive: true });
  const trialDir = join(work, label);
  mkdirSync(trialDir, { recursive: true });
  let context = await launch(dir, base);
  let page = context.pages()[0] || await context.newPage();
  const preErrors = [];
  watchErrors(page, preErrors);
  await openApp(page);
  await chooseBackup(page, prep.backup);
  const restoreNow = await openRestoreDialog(page);
  await trackProgress(page);
  await restoreNow.click();
  const t0 = Date.now();
  const rec = { label };
  if (killAt === null) {
    await waitStatus(page, /Restore complete/, 600_000);
    rec.duration = Date.now() - t0;
    await context.close();
  } else {
    if (afterRecords) {
      // Investigation: kill `killAt` ms after the progress first shows
      // `afterRecords` records or more.
      await page.waitForFunction((n) => Number(/ (\d+) of \d+ records/.exec(window.__last?.progress || '')?.[1] || 0) >= n, afterRecords, { polling: 5, timeout: 120_000 });
      await sleep(killAt);
    } else {
      await sleep(Math.max(0, t0 + killAt - Date.now()));
    }
    const last = await Promise.race([page.evaluate(() => window.__last).catch(() => null), sleep(300).then(() => null)]);
    rec.killedAt = Date.now() - t0;
    rec.processes = await killProfile(dir);
    rec.progress = last?.progress || '';
    rec.status = last?.status || '';
    await context.close().catch(() => {});
  }
  rec.preErrors = preErrors;
  // Relaunch; the raw state first (a page of the origin that is not the app).
  context = await launch(dir, base);
  page = context.pages()[0] || await context.newPage();
  await page.goto('/__raw');
  const raw = await digestDatabases(page);
  rec.rawMeta = await metaState(page);
  rec.states = classify(raw, prep.before, expectAfter || {});
  if (!expectAfter) { // calibration: this is the backup's state
    await context.close();
    return { rec, raw };
  }
  rec.killedAt ??= rec.duration;
  rec.partial = Object.entries(rec.states).filter(([, s]) => s === 'partial').map(([n]) => n);
  rec.diff = Object.fromEntries(rec.partial.map((n) => [n, describeDiff({ [n]: raw[n] }, { [n]: expectAfter[n] || {} }).concat(describeDiff({ [n]: raw[n] }, { [n]: prep.before[n] || {} }))]));
  // What the app must show, given which state each database is in.
  const vaultState = rec.states['rk-vault'];
  const encrypted = ['rk-vault/secrets'];
  const values = { 'rk-vault/secrets': vaultState === 'backup' ? prep.A['rk-vault/secrets'] : prep.B['rk-vault/secrets'] };
  if (rec.states['rk-gone'] === 'backup') {
    encrypted.push('rk-gone/tokens');
    values['rk-gone/tokens'] = prep.A['rk-gone/tokens'];
  }
  // A staged restore killed after its journal said `swap` is finished by
  // the next start (the live database may be missing, and the staging
  // database there, until then); one killed before is undone (the staging
  // database goes). Nothing else may change during the app's start.
  const journaled = (n) => rec.rawMeta.journal.includes(`staging:${n.replace(/^coffer-staging:/, '')}`);
  const unexplained = rec.partial.filter((n) => !journaled(n));
  const app = await checkApp(context, trialDir, label, encrypted, unexplained.length ? {} : values);
  const again = await digestDatabases(context.pages()[0]);
  rec.final = classify(again, prep.before, expectAfter);
  rec.settled = [];
  for (const n of new Set([...Object.keys(raw), ...Object.keys(again)])) {
    if (raw[n]?.digest === again[n]?.digest) continue;
    if (journaled(n)) {
      if (!n.startsWith('coffer-staging:')) rec.settled.push(`${n}: ${rec.states[n]} → ${rec.final[n]}`);
      continue;
    }
    app.problems.push(`${n} changed during the app's start`);
    rec.diff[`${n} (after the app's start)`] = describeDiff({ [n]: again[n] }, { [n]: raw[n] || {} });
  }
  for (const n of Object.keys(again)) if (n.startsWith('coffer-staging:')) app.problems.push(`the staging database ${n} is left after start-up`);
  rec.partial = Object.entries(rec.final).filter(([n, st]) => st === 'partial' && !n.startsWith('coffer-staging:')).map(([n]) => n).concat(unexplained.filter((n) => !n.startsWith('coffer-staging:')));
  rec.partial = [...new Set(rec.partial)];
  if (rec.settled.length) log(`${label}: finished at start: ${rec.settled.join(', ')}`);
  if (rec.partial.length || Object.keys(rec.diff).length || rec.settled.length) {
    log(`${label}: ${JSON.stringify(rec.diff)}`);
    writeFileSync(join(work, `${label}-digests.json`), JSON.stringify({ raw, again, before: prep.before, after: expectAfter, meta: rec.rawMeta }, null, 1));
  }
  rec.problems = app.problems;
  rec.errors = app.errors;
  rec.stale = app.stale;
  await context.close();
  rmSync(trialDir, { recursive: true, force: true });
  return { rec };
}

function restoreOutcome(rec) {
  if (rec.partial.length) return 'partial';
  if (rec.problems.length || rec.errors.length) return 'errors';
  const s = Object.entries(rec.final || rec.states).filter(([n]) => !n.startsWith('coffer-staging:')).map(([, x]) => x);
  const at = rec.settled?.length ? ' (finished at start)' : '';
  if (s.every((x) => x === 'before')) return 'before' + at;
  if (s.every((x) => x === 'backup')) return 'backup' + at;
  return 'per database' + at;
}

async function runRestore(base) {
  log('restore: preparing the profile');
  const t = Date.now();
  const prep = await prepareRestore(base);
  log(`restore: prepared in ${fmtS(Date.now() - t)}; calibrating`);
  const cal = await restoreRun(base, prep, null, null, 'calibration');
  const after = cal.raw;
  for (const n of Object.keys(after)) if (after[n].digest === prep.before[n]?.digest) throw new Error(`calibration: ${n} is the same before and after the restore`);
  // The restore wrote exactly the backup: every store as in state A.
  for (const [n, db] of Object.entries(prep.stateA)) {
    for (const [s, st] of Object.entries(db.stores)) {
      if (JSON.stringify(after[n]?.stores[s]) !== JSON.stringify(st)) throw new Error(`calibration: ${n}/${s} after the restore differs from the backed-up state`);
    }
  }
  // The uninterrupted run passes every check of a trial.
  const check = await restoreRun(base, prep, after, null, 'check');
  if (restoreOutcome(check.rec) !== 'backup') throw new Error(`calibration: an uninterrupted restore fails the checks: ${JSON.stringify(check.rec)}`);
  // The longer of the two uninterrupted runs.
  const duration = Math.max(cal.rec.duration, check.rec.duration);
  log(`restore: takes ${fmtS(cal.rec.duration)} and ${fmtS(check.rec.duration)} (click to "Restore complete")`);
  const trials = [];
  for (let i = 0; i < opts.trials; i++) {
    const killAt = afterRecords ? Math.round(random() * afterSpread) : Math.round((momentFrom + random() * (momentTo - momentFrom)) * duration);
    const { rec } = await restoreRun(base, prep, after, killAt, `restore-${i + 1}`);
    rec.outcome = restoreOutcome(rec);
    trials.push(rec);
    log(`restore ${i + 1}/${opts.trials}: killed at ${rec.killedAt} ms (${rec.progress || rec.status || '–'}) → ${rec.outcome} ${JSON.stringify(rec.final)}${rec.settled.length ? ' [at relaunch: ' + rec.settled.join(', ') + ']' : ''}${rec.problems.length ? ' ' + rec.problems.join('; ') : ''}${rec.errors.length ? ' ' + rec.errors.join('; ') : ''}${rec.stale.length ? ' [stale: ' + rec.stale.join('; ') + ']' : ''}`);
  }
  return { duration, trials, prep };
}

// --- key replacement -------------------------------------------------------------

async function prepareKey(base) {
  const dir = join(work, 'key-profile');
  rmSync(dir, { recursive: true, force: true });
  const context = await launch(dir, base);
  const page = context.pages()[0] || await context.newPage();
  await page.goto('/__seed');
  await installSeedWorker(page);
  const values = {};
  for (const [db, store, n, prefix] of [['kr-a', 'secrets', SIZES.keySecrets, 's'], ['kr-b', 'tokens', SIZES.keyTokens, 't']]) {
    const keys = Array.from({ length: n }, (_, i) => keyName(prefix, i));
    values[`${db}/${store}`] = Object.fromEntries(keys.map((k) => [k, padded(plaintext(store, k, 'A'))]));
    await seedEncrypted(page, db, store, Object.entries(values[`${db}/${store}`]));
  }
  await page.evaluate(() => window.__seedStop());
  // A plain store beside the encrypted one: a replacement leaves it alone.
  await page.evaluate(async () => {
    const v = (await indexedDB.databases()).find((d) => d.name === 'kr-a').version;
    const db = await new Promise((ok, err) => { const r = indexedDB.open('kr-a', v + 1); r.onupgradeneeded = () => r.result.createObjectStore('notes', { autoIncrement: true }); r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
    const tx = db.transaction('notes', 'readwrite');
    for (let i = 0; i < 500; i++) tx.objectStore('notes').add({ i, text: 'plain note ' + i });
    await new Promise((ok) => { tx.oncomplete = ok; });
    db.close();
  });
  const before = await digestDatabases(page);
  const meta = await metaState(page);
  await context.close();
  return { dir, values, before, oldKey: meta.current };
}

async function keyRun(base, prep, killAt, label) {
  const dir = join(work, 'trial-profile');
  rmSync(dir, { recursive: true, force: true });
  cpSync(prep.dir, dir, { recursive: true });
  const trialDir = join(work, label);
  mkdirSync(trialDir, { recursive: true });
  let context = await launch(dir, base);
  let page = context.pages()[0] || await context.newPage();
  const preErrors = [];
  watchErrors(page, preErrors);
  await openApp(page);
  const replace = await openReplaceDialog(page);
  await trackProgress(page);
  await replace.click();
  const t0 = Date.now();
  const rec = { label, preErrors };
  if (killAt === null) {
    await waitStatus(page, /Master key replaced/, 600_000);
    rec.duration = Date.now() - t0;
    await context.close();
  } else {
    await sleep(Math.max(0, t0 + killAt - Date.now()));
    const last = await Promise.race([page.evaluate(() => window.__last).catch(() => null), sleep(300).then(() => null)]);
    rec.killedAt = Date.now() - t0;
    rec.processes = await killProfile(dir);
    rec.progress = last?.progress || '';
    rec.status = last?.status || '';
    await context.close().catch(() => {});
  }
  context = await launch(dir, base);
  page = context.pages()[0] || await context.newPage();
  await page.goto('/__raw');
  const stores = Object.keys(prep.values);
  const raw = await digestDatabases(page);
  const meta = await metaState(page);
  const envs = await envelopeKeyIds(page, stores);
  rec.rawMeta = meta;
  rec.envelopes = Object.fromEntries(Object.entries(envs).map(([s, c]) => [s, Object.fromEntries(Object.entries(c).map(([id, n]) => [id.slice(0, 8), n]))]));
  rec.problems = [];
  // Raw state: which keys the envelopes are under.
  const allowed = [meta.current, meta.pending].filter(Boolean);
  if (!meta.current) rec.problems.push('no current key');
  for (const [s, counts] of Object.entries(envs)) {
    const n = Object.values(counts).reduce((a, b) => a + b, 0);
    if (n !== Object.keys(prep.values[s]).length) rec.problems.push(`${s}: ${n} records, expected ${Object.keys(prep.values[s]).length}`);
    for (const id of Object.keys(counts)) if (!allowed.includes(id)) rec.problems.push(`${s}: ${counts[id]} envelopes under key ${id.slice(0, 8)}, neither current nor pending`);
    if (!meta.pending && Object.keys(counts).some((id) => id !== meta.current)) rec.problems.push(`${s}: envelopes not under the current key, and no replacement pending`);
  }
  if (JSON.stringify(raw['kr-a'].stores.notes) !== JSON.stringify(prep.before['kr-a'].stores.notes)) rec.problems.push('the plain store changed');
  for (const [n, db] of Object.entries(prep.before)) if (raw[n]?.version !== db.version) rec.problems.push(`${n}: version ${raw[n]?.version} (was ${db.version})`);
  rec.raw = meta.pending ? 'pending' : meta.current === prep.oldKey ? 'old' : 'new';
  rec.partial = rec.problems.length > 0;
  const app = await checkApp(context, trialDir, label, stores, prep.values);
  rec.problems.push(...app.problems);
  rec.errors = app.errors;
  rec.stale = app.stale;
  const final = app.meta.current;
  if (final !== prep.oldKey && final !== (meta.pending || meta.current)) rec.problems.push(`the current key ${final} is neither the old nor the new one`);
  if (meta.pending && final !== meta.pending) rec.problems.push('the pending replacement was not finished at start');
  const after = await envelopeKeyIds(context.pages()[0], stores);
  for (const [s, counts] of Object.entries(after)) for (const id of Object.keys(counts)) if (id !== final) rec.problems.push(`${s}: ${counts[id]} envelopes under ${id.slice(0, 8)} after start-up, current is ${final.slice(0, 8)}`);
  rec.finalKey = final === prep.oldKey ? 'old' : 'new';
  await context.close();
  rmSync(trialDir, { recursive: true, force: true });
  return rec;
}

function keyOutcome(rec) {
  if (rec.partial) return 'partial';
  if (rec.problems.length || rec.errors.length) return 'errors';
  if (rec.raw === 'pending') return 'new (finished at start)';
  return rec.raw;
}

async function runKey(base) {
  log('key: preparing the profile');
  const t = Date.now();
  const prep = await prepareKey(base);
  log(`key: prepared in ${fmtS(Date.now() - t)}; calibrating`);
  const runs = [];
  for (const label of ['calibration', 'check']) {
    const cal = await keyRun(base, prep, null, label);
    if (keyOutcome(cal) !== 'new') throw new Error(`calibration: an uninterrupted replacement fails the checks: ${JSON.stringify(cal)}`);
    runs.push(cal.duration);
  }
  // The longer of the two uninterrupted runs.
  const duration = Math.max(...runs);
  log(`key: takes ${runs.map(fmtS).join(' and ')} (click to "Master key replaced")`);
  const trials = [];
  for (let i = 0; i < opts.trials; i++) {
    const killAt = Math.round((momentFrom + random() * (momentTo - momentFrom)) * duration);
    const rec = await keyRun(base, prep, killAt, `key-${i + 1}`);
    rec.outcome = keyOutcome(rec);
    trials.push(rec);
    log(`key ${i + 1}/${opts.trials}: killed at ${rec.killedAt} ms (${rec.progress || rec.status || '–'}) → ${rec.outcome} ${JSON.stringify(rec.envelopes)}${rec.problems.length ? ' ' + rec.problems.join('; ') : ''}${rec.errors.length ? ' ' + rec.errors.join('; ') : ''}${rec.stale.length ? ' [stale: ' + rec.stale.join('; ') + ']' : ''}`);
  }
  return { duration, trials, prep };
}

// --- report ------------------------------------------------------------------------

function report(results, elapsed) {
  const text = [
    'A Playwright script (`tests/reliability/kill.mjs`) starts a restore, and separately a key replacement, through the real UI on a persistent Chromium profile, SIGKILLs every process of that browser (the browser process, found by its `--user-data-dir`, and every process below it: zygotes, renderers, the storage service that runs IndexedDB) at a moment drawn uniformly from the operation\'s measured duration, relaunches on the same profile and checks the result.',
    'Restore: once the app has started, every database must be exactly as before or exactly as in the backup (SHA-256 digest of version, schema — key paths, autoIncrement, indexes — and every key and value, Blobs by their bytes, compared per database with digests taken beforehand); every encrypted value opens to its plaintext through `window.coffer.get`; Coffer\'s registry lists exactly the encrypted stores that exist and the overview marks them; the restore journal is empty and no staging database is left after start-up; the app\'s start changes no database except to finish or undo a staged restore that the journal names (at relaunch, before the app, every database is already as before or as in the backup, except one whose staged restore the journal names: that one may be missing, or its staging database left); the app starts with no page or console error and a fresh backup passes `coffer verify`.',
    'Key replacement: every envelope is under the old or the new key (either while the new one is pending); after start-up (the worker finishes a pending replacement) every envelope is under the current key, which is the old or the new one and is what the overview names, every value opens to its plaintext, the plain store is unchanged, no errors, and a fresh backup verifies.',
  ];
  const tables = [];
  const summaryRows = [];
  const notes = [];
  for (const [op, r] of Object.entries(results)) {
    const counts = {};
    for (const t of r.trials) counts[t.outcome] = (counts[t.outcome] || 0) + 1;
    const moments = quantiles(r.trials.map((t) => t.killedAt / r.duration));
    const pct = (x) => (x == null ? '–' : `${Math.round(x * 100)} %`);
    const partial = counts.partial || 0;
    const errors = counts.errors || 0;
    const ok = Object.entries(counts).filter(([k]) => k !== 'partial' && k !== 'errors').map(([k, n]) => `${k}: ${n}`).join(', ');
    summaryRows.push([op, r.trials.length, fmtS(r.duration), ok || '–', partial, errors, `${pct(moments.min)} / ${pct(moments.median)} / ${pct(moments.max)}`]);
    tables.push({
      title: `Kill trials: ${op}`,
      columns: ['trial', 'killed at', 'of duration', 'progress at the kill', 'outcome', 'details'],
      rows: r.trials.map((t, i) => [
        i + 1, `${t.killedAt} ms`, pct(t.killedAt / r.duration), t.progress || (t.status ? `(status) ${t.status}` : '–'), t.outcome,
        op === 'restore'
          ? Object.entries(t.final).filter(([n]) => !n.startsWith('coffer-staging:')).map(([n, s]) => `${n}: ${s}`).join(', ') + (t.settled.length ? `; at relaunch ${t.settled.join(', ')}` : '') + (t.problems.length ? '; ' + t.problems.join('; ') : '') + (t.errors.length ? '; ' + t.errors.join('; ') : '')
          : `at relaunch: ${t.raw} (${Object.entries(t.envelopes).map(([s, c]) => `${s} ${Object.entries(c).map(([id, n]) => `${id}…×${n}`).join('+')}`).join(', ')}); after start: ${t.finalKey}` + (t.problems.length ? '; ' + t.problems.join('; ') : '') + (t.errors.length ? '; ' + t.errors.join('; ') : ''),
      ]),
    });
  }
  tables.unshift({
    title: 'Browser killed mid-operation',
    columns: ['operation', 'trials', 'duration (calibrated)', 'outcomes', 'partial states', 'errors', 'kill moment min / median / max'],
    rows: summaryRows,
  });
  if (results.restore) {
    const p = results.restore.prep;
    const dbs = Object.keys(p.before).sort().join(', ');
    notes.push(`Calibration: two uninterrupted runs on fresh copies of the profile, which must pass every check with every database in the backup's state; the kill moment is drawn from [0, the longer of the two].`);
    notes.push(`Restore data (${opts.quick ? 'quick' : 'full'}): ${SIZES.docs} records and ${SIZES.blobs} MiB of random Blobs (rk-inplace, restored in place in one readwrite transaction), ${SIZES.items} auto-increment records with Maps, Sets, BigInts and indexes (rk-staged; moved to a newer version with another index and an extra store of 200 records after the backup, so it is rebuilt through a staging database and the journal, the extra store kept), ${SIZES.secrets} encrypted records (rk-vault/secrets), and an encrypted store of ${SIZES.tokens} records whose database is missing and unregistered before the restore (rk-gone/tokens, created by a versionchange transaction and registered through the restore journal). Databases before the restore: ${dbs}; every one differs from the backup.`);
    notes.push('"(finished at start)": the kill came after a staged restore\'s journal said `swap` (the live database deleted, or not yet rebuilt from the staging database); the app\'s start finished the swap, and the details give the state at relaunch.');
    notes.push('A restore writes each database in its own transaction (IndexedDB has none across databases), so a kill between two databases leaves some restored and the others as before: "per database" counts those trials; no database may be in any third state.');
  }
  if (results.key) notes.push(`Key-replacement data (${opts.quick ? 'quick' : 'full'}): ${SIZES.keySecrets} + ${SIZES.keyTokens} encrypted records of about ${SIZES.pad + 200} bytes in two databases, and a plain store of 500 records beside them.`);
  notes.push(`Kill moments are drawn with seed ${seed} (\`--seed\`); a trial starts from a fresh copy of the prepared profile. The outcome "errors" would mean a check other than the state failed (none did unless listed). Run: ${opts.trials} trial(s) per operation, ${fmtS(elapsed)} in all, \`node tests/reliability/kill.mjs${opts.quick ? ' --quick' : ''} --trials ${opts.trials}\`.`);
  for (const [op, r] of Object.entries(results)) {
    const stale = r.trials.filter((t) => t.stale?.length);
    if (stale.length) notes.push(`${op}: in ${stale.length} of ${r.trials.length} trials the overview the app showed first, before its worker had finished the interrupted work, ${op === 'key' ? 'named the replaced key' : `was out of date (${[...new Set(stale.flatMap((t) => t.stale))].join('; ')})`}; in every trial it showed the current state by itself within 10 s (checked: the worker tells its own tab once that work is done).`);
  }
  return { title: 'Browser killed mid-operation', text, tables, notes };
}

// --- main ---------------------------------------------------------------------------

const started = Date.now();
const server = await startServer(opts.port);
let failed = false;
try {
  const results = {};
  if (opts.op === 'restore' || opts.op === 'both') results.restore = await runRestore(server.base);
  if (opts.op === 'key' || opts.op === 'both') results.key = await runKey(server.base);
  const section = report(results, Date.now() - started);
  if (opts.json) {
    mkdirSync(dirname(opts.json), { recursive: true });
    writeFileSync(opts.json, JSON.stringify(section, null, 2) + '\n');
    log(`wrote ${opts.json}`);
  }
  for (const r of Object.values(results)) for (const t of r.trials) if (t.outcome === 'partial' || t.outcome === 'errors') failed = true;
  log(`kill: ${Object.entries(results).map(([op, r]) => `${op} ${r.trials.map((t) => t.outcome).join(', ')}`).join(' | ')} (${fmtS(Date.now() - started)})`);
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  server.stop();
  if (!opts.work) rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
