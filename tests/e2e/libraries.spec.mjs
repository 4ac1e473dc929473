// The libraries apps use, proven end to end (issue #14): each library writes
// through its own API in Chromium, <coffer-backup> backs the origin up, and
// the backup is restored twice –
//   1. after deleting all of the origin's storage (every IndexedDB database
//      from indexedDB.databases(), localStorage, OPFS, Cache Storage),
//   2. over live databases the library changed after the backup (writes,
//      deletes, and a version change where the library makes one) –
// and each time the library reads back exactly the same data and keeps
// working (writes, updates, deletes, ids not reused, queries through its
// indexes). Run by scripts/test-libraries.sh (tests/e2e/libraries.config.mjs);
// the page side is tests/e2e/libraries/harness.js. Every step runs in a
// freshly loaded page, so the libraries open the restored data from scratch.
import { test, expect } from '@playwright/test';

test.skip(process.env.COFFER_LIBRARIES !== '1', 'run by scripts/test-libraries.sh');

async function open(page) {
  await page.goto('/');
  await page.waitForFunction(() => window.harnessReady === true);
}

/** Runs one step of a library (harness.js) in a fresh page. */
async function step(page, lib, name) {
  await open(page);
  return page.evaluate(([l, s]) => window.libs[l][s](), [lib, name]);
}

async function harness(page, name, ...args) {
  await open(page);
  return page.evaluate(([n, a]) => window.harness[n](...a), [name, args]);
}

const EMPTY = { databases: [], localStorage: [], opfs: [], caches: [] };

/**
 * write → read → backup; then restore after a wipe, and again over the
 * changed live data. `verify(phase, worked, before, changed)` checks what
 * `work` returned ('after wipe' or 'over live data'; `changed` is what
 * `change` returned).
 */
async function roundTrips(page, lib, verify) {
  expect(await harness(page, 'wipe')).toEqual(EMPTY);
  await step(page, lib, 'write');
  const before = await step(page, lib, 'read');
  const shape = await harness(page, 'idbShape');
  const backup = await harness(page, 'backup', lib);
  expect(backup.databases.map((d) => [d.name, d.version])).toEqual(shape.map((d) => [d.name, d.version]));

  // 1. Everything deleted, then restored.
  expect(await harness(page, 'wipe')).toEqual(EMPTY);
  const restored = await harness(page, 'restore', lib);
  expect(restored.databases).toBe(shape.length);
  expect(await harness(page, 'idbShape')).toEqual(shape);
  expect(await step(page, lib, 'read')).toEqual(before);
  await verify('after wipe', await step(page, lib, 'work'), before);

  // 2. Restored over live data the library changed after the backup.
  const changed = await step(page, lib, 'change');
  if (shape.length) expect(await harness(page, 'idbShape')).not.toEqual(shape);
  await harness(page, 'restore', lib);
  // Every database is back at the backup's version with the backup's
  // stores, indexes and records, whatever the live ones had become. Stores
  // the backup does not have (made after it) are left alone, as Coffer
  // does with every store a restore does not cover.
  const after = await harness(page, 'idbShape');
  const inBackup = (db, store) => shape.some((d) => d.name === db && d.stores.some((s) => s.name === store));
  expect(after.map((d) => ({ ...d, stores: d.stores.filter((s) => inBackup(d.name, s.name)) }))).toEqual(shape);
  const extra = after.flatMap((d) => d.stores.filter((s) => !inBackup(d.name, s.name)).map((s) => `${d.name}/${s.name}`));
  expect(await step(page, lib, 'read')).toEqual(before);
  await verify('over live data', await step(page, lib, 'work'), before, changed);
  return { before, shape, after, extra };
}

test('Dexie: compound and multi-entry indexes, auto-increment, Blob fields, a version bump', async ({ page }) => {
  const { shape, extra } = await roundTrips(page, 'dexie', (phase, worked, before, changed) => {
    if (phase === 'after wipe') {
      // The key generators are restored exactly: ids 58–60 and photo 7
      // were handed out before the backup (and deleted) and stay used.
      expect(worked).toEqual({ id: 61, photo: 8 });
    } else {
      // Ids handed out after the backup (then deleted, or restored away)
      // are not handed out again, through the version bump and back.
      expect(worked.id).toBeGreaterThan(changed.id);
      expect(worked.photo).toBeGreaterThan(changed.photo);
    }
  });
  expect(shape.find((d) => d.name === 'lib-dexie').version).toBe(20); // Dexie's version 2
  // Version 3's table, made after the backup, is left alone at version 2.
  expect(extra).toEqual(['lib-dexie/notes']);
  // The app's next release (version 3, new index and table) upgrades the
  // restored database again (Dexie reads the installed schema and keeps
  // the table it finds).
  expect(await step(page, 'dexie', 'upgrade')).toEqual({ verno: 3, rome: [9], notes: 1 });
});

test('localForage: Blobs, ArrayBuffers, Dates, many keys, a second store', async ({ page }) => {
  const { before, extra } = await roundTrips(page, 'localforage', (phase, worked, before) => {
    expect(worked.length).toBe(before.kv.length + 1);
  });
  // The second store, made after the backup, is left alone.
  expect(extra).toEqual(['lib-localforage/extra']);
  expect(before.kv.length).toBe(236);
});

test('PouchDB: revision trees, deleted documents, attachments, a pouchdb-find index', async ({ page }) => {
  const { before, shape, after, extra } = await roundTrips(page, 'pouchdb', (phase, worked, before, changed) => {
    expect(worked.seq0).toBe(before.info.update_seq);
    // After a wipe the by-sequence generator is the backup's: sequence
    // numbers continue exactly. Over live data they continue after the
    // ones handed out since the backup: a replication checkpoint taken
    // then never skips the writes after the restore.
    if (phase === 'after wipe') expect(worked.seq).toBe(before.info.update_seq + 5);
    else expect(worked.seq).toBeGreaterThan(changed.seq + 4);
  });
  // PouchDB always opens at version 5: after restoring over a database it
  // wrote to after the backup (its generators ahead), it still can
  // (issue #14: indexed_db_went_bad, "The requested version (5) is less
  // than the existing version (6)").
  expect(shape.filter((d) => d.name.startsWith('_pouch_')).map((d) => d.version)).toEqual([5, 5]);
  expect(after.map((d) => [d.name.replace(/-mrview-.*/, '-mrview'), d.version])).toEqual([['_pouch_lib-pouch', 5], ['_pouch_lib-pouch-mrview', 5]]);
  expect(extra).toEqual([]);
  expect(before.revs['doc-00']._revisions.start).toBe(6);
  expect(before.revs['doc-12']._conflicts).toHaveLength(1);
  expect(before.changes.filter((c) => c[3]).map((c) => c[1])).toEqual(['doc-20', 'doc-21', 'doc-22', 'doc-23', 'doc-24']);
});

test('idb-keyval: a custom store (createStore) with structured-clone values', async ({ page }) => {
  const { before, extra } = await roundTrips(page, 'keyval', () => {});
  expect(before.entries).toHaveLength(60);
  expect(extra).toEqual([]);
});

test('PGlite (idb://): tables, rows, an index, a sequence', async ({ page }) => {
  test.setTimeout(240_000);
  // Postgres may skip sequence values on a restart (it logs them ahead),
  // never hand out one again.
  const { before } = await roundTrips(page, 'pglite', (phase, worked) => {
    expect(worked.id).toBeGreaterThan(300);
  });
  expect(before.sums).toEqual([{ n: 297, qty: 5254 }]);
  expect(before.indexes.map((i) => i.indexname)).toEqual(['items_name', 'items_pkey', 'log_pkey']);
});

// SQLite keeps its database in the origin private file system: Coffer
// backs up and restores the OPFS tree (FORMAT.md §3.5.2). Every step runs in
// a fresh page, so no pool holds the files during backup and restore; the
// second test holds them open and releases them through the hooks.
test('SQLite wasm (opfs-sahpool): tables, rows, an index, autoincrement', async ({ page }) => {
  test.setTimeout(180_000);
  const { before } = await roundTrips(page, 'sqlite', (phase, worked) => {
    if (phase === 'after wipe') expect(worked.id).toBe(201);
    else expect(worked.id).toBeGreaterThan(200);
  });
  expect(before.notes).toHaveLength(197);
  expect(before.integrity).toEqual([{ integrity_check: 'ok' }]);
  expect(before.files).toContain('/lib.sqlite3');

  // Files held open: refused, nothing changed; released by the hooks: done.
  await open(page);
  const r = await page.evaluate(() => window.libs.sqlite.hooks('sqlite'));
  expect(r.refused).toBe('files-in-use');
  expect(r.refusedRestore).toBe('files-in-use');
  expect(r.unchanged).toBe(true);
  expect(r.calls).toHaveLength(4);
  expect(r.calls[0]).toMatch(/^beforeBackup:.*opfs/);
  expect(r.calls.slice(1)).toEqual(['afterBackup:true', 'beforeRestore', 'afterRestore:true']);
  expect(r.files).toBeGreaterThan(0);
  expect(r.restoredFiles).toBe(r.files);
  // SQLite reads the backup's rows again (the round trip's last step had
  // written more after its restore).
  expect(r.notes).toEqual(before.notes);
});
