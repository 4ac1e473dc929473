// The page side of tests/e2e/libraries.spec.mjs: each library writes, reads,
// keeps working and changes its data through its own API, and Coffer's
// <coffer-backup> backs the origin up and restores it (window.harness).
//
// Every library has the same four steps (window.libs.NAME):
//   write()        the data that goes into the backup (then closes)
//   read()         everything the library reads back, JSON-comparable
//                  (ser() below keeps types: Blobs by bytes, Dates, Maps, …)
//   work(phase)    new writes, updates, deletes and queries after a restore;
//                  throws on anything wrong and returns what the spec checks
//   change()       what the app does after the backup: writes, deletes and
//                  a schema or version change where the library makes one
// Nothing stays open between steps: the spec reloads the page in between.

const check = (ok, message) => {
  if (!ok) throw new Error(message);
};
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// ---------------------------------------------------------------- values

function hex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** A JSON-comparable picture of a structured-clone value, types included. */
export async function ser(v) {
  if (v === undefined) return { $: 'undefined' };
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (Number.isNaN(v) || !Number.isFinite(v) || Object.is(v, -0)) return { $: 'number', v: Object.is(v, -0) ? '-0' : String(v) };
    return v;
  }
  if (typeof v === 'bigint') return { $: 'bigint', v: String(v) };
  const tag = Object.prototype.toString.call(v).slice(8, -1);
  switch (tag) {
    case 'Date': return { $: 'Date', v: v.getTime() };
    case 'RegExp': return { $: 'RegExp', source: v.source, flags: v.flags };
    case 'Blob': return { $: 'Blob', type: v.type, size: v.size, bytes: hex(new Uint8Array(await v.arrayBuffer())) };
    case 'File': return { $: 'File', name: v.name, type: v.type, lastModified: v.lastModified, bytes: hex(new Uint8Array(await v.arrayBuffer())) };
    case 'ArrayBuffer': return { $: 'ArrayBuffer', bytes: hex(new Uint8Array(v)) };
    case 'DataView': return { $: 'DataView', byteLength: v.byteLength, bytes: hex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
    case 'Map': { const out = []; for (const [k, x] of v) out.push([await ser(k), await ser(x)]); return { $: 'Map', v: out }; }
    case 'Set': { const out = []; for (const x of v) out.push(await ser(x)); return { $: 'Set', v: out }; }
    case 'Boolean': case 'Number': case 'String': case 'BigInt': return { $: tag + 'Object', v: await ser(v.valueOf()) };
    case 'Error': return { $: 'Error', name: v.name, message: v.message };
    case 'Array': {
      const out = [];
      for (let i = 0; i < v.length; i++) out.push(i in v ? await ser(v[i]) : { $: 'hole' });
      return out;
    }
    default:
      if (ArrayBuffer.isView(v)) return { $: tag, length: v.length, bytes: hex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
      if (tag !== 'Object') return { $: 'unexpected', tag };
      {
        const out = {};
        for (const k of Object.keys(v)) out[k] = await ser(v[k]);
        return out;
      }
  }
}

function bytes(n, seed) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 255;
  return b;
}

// ---------------------------------------------------------------- storage

const req = (r) => new Promise((ok, err) => { r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });

/** Every database of the origin but Coffer's own: version, stores, indexes, counts. */
async function idbShape() {
  const out = [];
  const dbs = (await indexedDB.databases()).filter((d) => d.name !== 'coffer-meta').sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const { name } of dbs) {
    const db = await req(indexedDB.open(name));
    const stores = [];
    const names = [...db.objectStoreNames];
    if (names.length) {
      const tx = db.transaction(names);
      for (const s of names) {
        const st = tx.objectStore(s);
        const indexes = [...st.indexNames].map((i) => { const x = st.index(i); return [i, x.keyPath, x.unique, x.multiEntry]; });
        stores.push({ name: s, keyPath: st.keyPath, autoIncrement: st.autoIncrement, indexes, count: await req(st.count()) });
      }
    }
    out.push({ name, version: db.version, stores });
    db.close();
  }
  return out;
}

async function opfsList(dir, prefix = '') {
  const out = [];
  for await (const [name, h] of dir.entries()) {
    if (h.kind === 'directory') out.push(prefix + name + '/', ...(await opfsList(h, prefix + name + '/')));
    else out.push(prefix + name);
  }
  return out.sort();
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// A connection of the page before (its worker) may still be closing: a
// blocked deletion waits for it, a while.
function deleteDb(name) {
  return new Promise((ok, err) => {
    const r = indexedDB.deleteDatabase(name);
    let timer;
    r.onsuccess = () => { clearTimeout(timer); ok(); };
    r.onerror = () => { clearTimeout(timer); err(r.error); };
    r.onblocked = () => { timer = setTimeout(() => err(new Error(`deleting ${name} stays blocked by an open connection`)), 15000); };
  });
}

export const harness = {
  /** What the origin keeps: databases, localStorage keys, OPFS entries, caches. */
  async storage() {
    return {
      databases: (await indexedDB.databases()).map((d) => d.name).sort(),
      localStorage: Object.keys(localStorage).sort(),
      opfs: await opfsList(await navigator.storage.getDirectory()),
      caches: (await caches.keys()).sort(),
    };
  },

  /** Deletes all of the origin's storage (Coffer's own database too). */
  async wipe() {
    for (const { name } of await indexedDB.databases()) await deleteDb(name);
    localStorage.clear();
    sessionStorage.clear();
    for (const k of await caches.keys()) await caches.delete(k);
    const root = await navigator.storage.getDirectory();
    // Sync access handles of a worker that just went away are released
    // asynchronously: retry for a while.
    for (let i = 0; ; i++) {
      try {
        for await (const name of root.keys()) await root.removeEntry(name, { recursive: true });
        break;
      } catch (e) {
        if (i > 50) throw e;
        await sleep(100);
      }
    }
    return harness.storage();
  },

  idbShape,

  async coffer() {
    await import('/coffer/coffer-backup.js');
    let el = document.querySelector('coffer-backup');
    if (!el) {
      el = document.createElement('coffer-backup');
      el.setAttribute('compact', '');
      document.body.append(el);
    }
    await customElements.whenDefined('coffer-backup');
    await el.ready;
    return el;
  },

  /** Backs the origin up through <coffer-backup> and keeps the file in the test server. */
  async backup(name) {
    const el = await harness.coffer();
    const blob = await el.backup();
    const put = await fetch('/stash/' + encodeURIComponent(name), { method: 'PUT', body: blob });
    check(put.ok, 'stash: ' + put.status);
    // The wipe before a restore deletes Coffer's own database too, master
    // key included, as on a new device: the user brings the key file, which
    // proves the backup is theirs (its MAC is under that key).
    const key = await el.exportKey();
    const putKey = await fetch('/stash/' + encodeURIComponent(name + '.key'), { method: 'PUT', body: key });
    check(putKey.ok, 'stash key: ' + putKey.status);
    const info = await el.inspect(blob);
    el.remove();
    return { size: blob.size, databases: info.databases.map((d) => ({ name: d.name, version: d.version, stores: d.stores.map((s) => [s.name, s.records]) })) };
  },

  /** Restores the kept file through <coffer-backup>. */
  async restore(name) {
    const res = await fetch('/stash/' + encodeURIComponent(name));
    check(res.ok, 'no backup stashed as ' + name);
    const key = await fetch('/stash/' + encodeURIComponent(name + '.key'));
    check(key.ok, 'no key file stashed for ' + name);
    const el = await harness.coffer();
    // No allowUnauthenticated: the restore must verify with the key file.
    const result = await el.restore(await res.blob(), { keyFile: await key.blob() });
    el.remove();
    return result;
  },
};

// ---------------------------------------------------------------- Dexie

const FIRST = ['Ada', 'Bo', 'Cy', 'Di', 'Ed', 'Flo', 'Gus', 'Hal', 'Ivy', 'Jo', 'Kai'];
const LAST = ['Adams', 'Berg', 'Cole', 'Diaz', 'Eng', 'Ford', 'Gray'];
const COLORS = ['red', 'green', 'blue', 'cyan', 'magenta'];

async function dexie(version = 2) {
  const { default: Dexie } = await import('dexie');
  const db = new Dexie('lib-dexie');
  db.version(1).stores({ friends: '++id, name, age' });
  db.version(2).stores({ friends: '++id, name, age, [last+first], *tags', photos: '++id, friendId, [friendId+taken]' });
  if (version >= 3) db.version(3).stores({ friends: '++id, name, age, [last+first], *tags, city', notes: '++id, friendId' });
  await db.open();
  return { Dexie, db };
}

const dexieLib = {
  async write() {
    const { db } = await dexie();
    const friends = Array.from({ length: 60 }, (_, i) => {
      const first = FIRST[i % FIRST.length];
      const last = LAST[(i * 3) % LAST.length];
      return {
        first, last, name: `${first} ${last}`, age: 18 + ((i * 7) % 50),
        tags: [...new Set([COLORS[i % 5], COLORS[(i * 3 + 1) % 5]])],
        born: new Date(Date.UTC(1960 + i, i % 12, 1 + (i % 28))),
        meta: { i, nested: [i, 'x', null, true], ratio: i / 7 },
      };
    });
    const ids = await db.friends.bulkAdd(friends, { allKeys: true });
    check(same(ids, Array.from({ length: 60 }, (_, i) => i + 1)), 'ids 1..60');
    // The highest ids are gone: a restore must not hand them out again.
    await db.friends.bulkDelete([5, 10, 58, 59, 60]);
    await db.friends.update(7, { age: 99, tags: ['blue', 'gold'] });
    for (let i = 0; i < 7; i++) {
      await db.photos.add({
        friendId: 1 + (i % 3), taken: new Date(Date.UTC(2024, 0, 1 + i)),
        blob: new Blob([bytes(i === 4 ? 0 : 700 + i * 331, i)], { type: i % 2 ? 'image/png' : 'image/jpeg' }),
        file: new File([`note ${i}\n`], `note-${i}.txt`, { type: 'text/plain', lastModified: 1700000000000 + i }),
      });
    }
    await db.photos.delete(7);
    db.close();
  },

  async read() {
    const { Dexie, db } = await dexie();
    const out = {
      verno: db.verno,
      tables: db.tables.map((t) => [t.name, t.schema.primKey.src, t.schema.indexes.map((i) => i.src)]),
      friends: await ser(await db.friends.toArray()),
      photos: await ser(await db.photos.toArray()),
      byLastFirst: await db.friends.where('[last+first]').between(['B', Dexie.minKey], ['F', Dexie.maxKey]).primaryKeys(),
      blue: await db.friends.where('tags').equals('blue').primaryKeys(),
      redOrCyan: await db.friends.where('tags').anyOf('red', 'cyan').distinct().primaryKeys(),
      older: await db.friends.where('age').above(40).count(),
      byName: await db.friends.orderBy('name').primaryKeys(),
      photosOf3: await db.photos.where('[friendId+taken]').between([3, Dexie.minKey], [3, Dexie.maxKey]).primaryKeys(),
    };
    db.close();
    return out;
  },

  async work() {
    const { db } = await dexie();
    check(db.verno === 2, 'Dexie opens at version 2, not ' + db.verno);
    const old = await db.friends.toCollection().primaryKeys();
    const id = await db.friends.add({ first: 'Zed', last: 'Nu', name: 'Zed Nu', age: 33, tags: ['new', 'blue'], born: new Date(0) });
    check(!old.includes(id), `new id ${id} is one of the restored ids`);
    await db.friends.update(1, { age: 77, tags: ['red', 'silver'] });
    await db.friends.delete(2);
    check((await db.friends.get(2)) === undefined, 'deleted friend 2 still there');
    check(same(await db.friends.where('tags').equals('silver').primaryKeys(), [1]), 'multi-entry index misses the update');
    check((await db.friends.where('tags').equals('blue').primaryKeys()).includes(id), 'multi-entry index misses the new friend');
    check(same(await db.friends.where('[last+first]').equals(['Nu', 'Zed']).primaryKeys(), [id]), 'compound index misses the new friend');
    check((await db.friends.where('age').equals(77).primaryKeys()).includes(1), 'age index misses the update');
    const blob = new Blob([bytes(5000, 9)], { type: 'image/webp' });
    const photo = await db.photos.add({ friendId: id, taken: new Date(Date.UTC(2025, 5, 1)), blob });
    const back = await db.photos.get(photo);
    check(same(await ser(back.blob), await ser(blob)), 'new Blob field reads back differently');
    check(same(await db.photos.where('friendId').equals(id).primaryKeys(), [photo]), 'photos index misses the new photo');
    const count = await db.friends.count();
    check(count === old.length, `friends: ${count} after one add and one delete, ${old.length} before`);
    db.close();
    return { id, photo };
  },

  async change() {
    // Writes after the backup, then the app's next release: version 3
    // with a new index and a new table.
    let { db } = await dexie();
    const ids = await db.friends.bulkAdd([{ first: 'Post', last: 'Backup', name: 'Post Backup', age: 50, tags: ['late'] }, { first: 'Also', last: 'Late', name: 'Also Late', age: 51, tags: [] }], { allKeys: true });
    await db.friends.bulkDelete([3, 4, ids[1]]);
    await db.friends.update(6, { name: 'Renamed' });
    const photo = await db.photos.add({ friendId: 1, taken: new Date(), blob: new Blob(['late']) });
    await db.photos.clear();
    db.close();
    ({ db } = await dexie(3));
    await db.friends.update(8, { city: 'Oslo' });
    await db.notes.add({ friendId: 8, text: 'only in v3' });
    check(same(await db.friends.where('city').equals('Oslo').primaryKeys(), [8]), 'v3 index');
    db.close();
    // The highest ids handed out so far (since deleted or not).
    return { version: db.verno, id: ids[1], photo };
  },

  /** After a restore to version 2, the app's version 3 upgrades again. */
  async upgrade() {
    const { db } = await dexie(3);
    await db.friends.update(9, { city: 'Rome' });
    await db.notes.add({ friendId: 9, text: 'after restore' });
    const rome = await db.friends.where('city').equals('Rome').primaryKeys();
    const notes = await db.notes.count();
    db.close();
    return { verno: db.verno, rome, notes };
  },
};

// ---------------------------------------------------------------- localForage

async function forage() {
  const { default: localforage } = await import('localforage');
  const kv = localforage.createInstance({ name: 'lib-localforage', storeName: 'kv' });
  await kv.ready();
  check(kv.driver() === localforage.INDEXEDDB, 'localForage uses ' + kv.driver());
  return { localforage, kv };
}

function forageValue(i) {
  switch (i % 10) {
    case 0: return `text ${i} ✓ ünïcødé 𝄞`;
    case 1: return i * 1.5;
    case 2: return { i, when: new Date(Date.UTC(2020, i % 12, 1 + (i % 27), i % 24)), list: [i, `s${i}`, null, false] };
    case 3: return new Blob([bytes(100 + i * 13, i)], { type: 'application/octet-stream' });
    case 4: return bytes(64 + i, i).buffer;
    case 5: return new Date(Date.UTC(2001, 1, 3) + i * 86400000);
    case 6: return bytes(32 + i, i + 1);
    case 7: return new Float64Array([i, -i, i / 3, Number.MAX_VALUE]);
    case 8: return { nested: { deep: { blob: new Blob([`inner ${i}`], { type: 'text/plain' }), at: new Date(i * 1000) } } };
    default: return [true, null, i, `item ${i}`];
  }
}

async function forageAll(store) {
  const keys = await store.keys();
  const out = {};
  for (const k of keys) out[k] = await ser(await store.getItem(k));
  let iterated = 0;
  await store.iterate(() => { iterated++; });
  return { keys, length: await store.length(), iterated, values: out };
}

const forageLib = {
  async write() {
    const { localforage, kv } = await forage();
    for (let i = 0; i < 240; i++) await kv.setItem('key-' + String(i).padStart(3, '0'), forageValue(i));
    for (const i of [7, 50, 51, 239]) await kv.removeItem('key-' + String(i).padStart(3, '0'));
    await kv.setItem('key-000', 'overwritten');
    await localforage.setItem('settings', { theme: 'dark', since: new Date(Date.UTC(2023, 4, 5)) });
  },

  async read() {
    const { localforage, kv } = await forage();
    return { kv: await forageAll(kv), default: await forageAll(localforage) };
  },

  async work() {
    const { localforage, kv } = await forage();
    const before = await kv.length();
    const blob = new Blob([bytes(4096, 3)], { type: 'image/png' });
    await kv.setItem('new-blob', blob);
    await kv.setItem('new-buffer', bytes(77, 4).buffer);
    await kv.setItem('key-001', { updated: new Date(Date.UTC(2030, 0, 1)) });
    await kv.removeItem('key-002');
    check(same(await ser(await kv.getItem('new-blob')), await ser(blob)), 'new Blob reads back differently');
    check(same(await ser(await kv.getItem('new-buffer')), await ser(bytes(77, 4).buffer)), 'new ArrayBuffer reads back differently');
    check((await kv.getItem('key-001')).updated.getTime() === Date.UTC(2030, 0, 1), 'update lost');
    check((await kv.getItem('key-002')) === null, 'removed key still there');
    check((await kv.length()) === before + 1, 'length after two adds and one remove');
    const keys = await kv.keys();
    check(keys.includes('new-blob') && !keys.includes('key-002'), 'keys() misses the changes');
    await localforage.setItem('settings', { theme: 'light' });
    check((await localforage.getItem('settings')).theme === 'light', 'default instance');
    return { length: await kv.length() };
  },

  async change() {
    const { localforage, kv } = await forage();
    await kv.setItem('late', 'after the backup');
    await kv.removeItem('key-010');
    await kv.setItem('key-011', new Blob(['changed']));
    await localforage.removeItem('settings');
    // A second store in the same database: localForage bumps its version.
    const extra = localforage.createInstance({ name: 'lib-localforage', storeName: 'extra' });
    await extra.setItem('x', 1);
    return { extra: await extra.getItem('x') };
  },
};

// ---------------------------------------------------------------- PouchDB

let PouchDB;
async function pouch() {
  if (!PouchDB) {
    PouchDB = (await import('pouchdb-browser')).default;
    PouchDB.plugin((await import('pouchdb-find')).default);
  }
  const db = new PouchDB('lib-pouch');
  check((await db.info()).adapter === 'idb', 'PouchDB adapter');
  return db;
}

const pid = (i) => 'doc-' + String(i).padStart(2, '0');
const TASKS = { selector: { type: 'task', n: { $gte: 3 } }, sort: [{ type: 'asc' }, { n: 'asc' }], fields: ['_id', 'n', 'title'] };

const pouchLib = {
  async write() {
    const db = await pouch();
    const docs = Array.from({ length: 30 }, (_, i) => ({ _id: pid(i), type: i % 3 ? 'note' : 'task', n: i, title: `title ${i}`, tags: [COLORS[i % 5]] }));
    await db.bulkDocs(docs);
    // Documents updated several times: deep revision histories.
    for (let i = 0; i < 10; i++) {
      for (let r = 0; r < 2 + (i === 0 ? 3 : 0); r++) {
        const d = await db.get(pid(i));
        d.title = `title ${i} v${r + 2}`;
        d.edits = (d.edits || 0) + 1;
        await db.put(d);
      }
    }
    for (let i = 20; i < 25; i++) await db.remove(await db.get(pid(i)));
    // Attachments: text, binary, and a document updated after its attachment.
    let d5 = await db.get(pid(5));
    await db.putAttachment(pid(5), 'hello.txt', d5._rev, new Blob(['hello, attachment\n'], { type: 'text/plain' }), 'text/plain');
    const d6 = await db.get(pid(6));
    await db.putAttachment(pid(6), 'image.png', d6._rev, new Blob([bytes(3000, 6)], { type: 'image/png' }), 'image/png');
    d5 = await db.get(pid(5));
    d5.title = 'with attachment';
    await db.put(d5);
    // A conflict: a second branch of doc-12, as a replication would bring it.
    await db.put({ ...(await db.get(pid(12))), title: 'title 12 v2' });
    const d12 = await db.get(pid(12), { revs: true });
    await db.bulkDocs([{ _id: pid(12), _rev: '2-0000000000000000000000000000000a', title: 'other branch', type: 'note', n: 12,
      _revisions: { start: 2, ids: ['0000000000000000000000000000000a', d12._revisions.ids[1]] } }], { new_edits: false });
    check((await db.get(pid(12), { conflicts: true }))._conflicts?.length === 1, 'doc-12 has no conflict');
    await db.put({ _id: '_local/state', cursor: 42 });
    // The secondary index (pouchdb-find), built by a first query.
    await db.createIndex({ index: { fields: ['type', 'n'] }, ddoc: 'by-type', name: 'type-n' });
    check((await db.find(TASKS)).docs.length > 0, 'find');
    await db.close();
  },

  async read() {
    const db = await pouch();
    const info = await db.info();
    const all = await db.allDocs({ include_docs: true, attachments: true, conflicts: true });
    const revs = {};
    for (const row of all.rows) revs[row.id] = await db.get(row.id, { revs: true, revs_info: true, conflicts: true, deleted_conflicts: true });
    const changes = await db.changes({ since: 0, style: 'all_docs' });
    const attachments = {
      hello: await ser(await db.getAttachment(pid(5), 'hello.txt')),
      image: await ser(await db.getAttachment(pid(6), 'image.png')),
    };
    const find = await db.find(TASKS);
    const explain = await db.explain(TASKS);
    const out = {
      info: { doc_count: info.doc_count, update_seq: info.update_seq },
      rows: all.rows, revs, attachments,
      changes: changes.results.map((c) => [c.seq, c.id, c.changes.map((x) => x.rev), !!c.deleted]),
      lastSeq: changes.last_seq,
      local: await db.get('_local/state'),
      find: find.docs, index: explain.index.name,
      indexes: (await db.getIndexes()).indexes.map((i) => [i.ddoc, i.name, i.def]),
    };
    await db.close();
    return out;
  },

  async work() {
    const db = await pouch();
    const seq0 = (await db.info()).update_seq;
    // Updating an old document continues its revision history.
    const old = await db.get(pid(0), { revs: true });
    const { _revisions, ...doc } = old;
    const upd = await db.put({ ...doc, title: 'after restore' });
    const now = await db.get(pid(0), { revs: true, conflicts: true });
    check(now._rev === upd.rev && now.title === 'after restore', 'update of doc-00 not read back');
    check(now._revisions.start === old._revisions.start + 1, `doc-00 rev ${now._rev} does not follow ${old._rev}`);
    check(same(now._revisions.ids.slice(1), old._revisions.ids), 'doc-00 lost its revision history');
    check(!now._conflicts, 'doc-00 has conflicts: ' + JSON.stringify(now._conflicts));
    // The conflicted document keeps its branches.
    const c = await db.get(pid(12), { conflicts: true });
    check(c._conflicts?.length === 1, 'doc-12 lost its conflict');
    // A deleted document comes back on top of its deleted branch.
    const back = await db.put({ _id: pid(20), type: 'task', n: 100, title: 'undeleted' });
    check(back.rev.startsWith('3-'), 'doc-20 recreated as ' + back.rev + ' instead of 3-…');
    await db.remove(await db.get(pid(1)));
    const added = await db.put({ _id: 'doc-new', type: 'task', n: 50, title: 'new' });
    await db.putAttachment('doc-new', 'a.bin', added.rev, new Blob([bytes(999, 1)], { type: 'application/octet-stream' }), 'application/octet-stream');
    check(same(await ser(await db.getAttachment('doc-new', 'a.bin')), await ser(new Blob([bytes(999, 1)], { type: 'application/octet-stream' }))), 'new attachment');
    const info = await db.info();
    check(info.update_seq >= seq0 + 5, `update_seq ${info.update_seq} after 5 writes from ${seq0}`);
    const since = await db.changes({ since: seq0 });
    check(same(since.results.map((r) => r.id).sort(), ['doc-00', 'doc-01', 'doc-20', 'doc-new'].sort()), 'changes since the restore: ' + JSON.stringify(since.results.map((r) => r.id)));
    // The index follows the new writes.
    const ids = (await db.find(TASKS)).docs.map((d) => d._id);
    check(ids.includes('doc-new') && ids.includes(pid(20)), 'find misses new tasks: ' + ids);
    check((await db.explain(TASKS)).index.name === 'type-n', 'find does not use the index');
    const local = await db.get('_local/state');
    await db.put({ ...local, cursor: 43 });
    await db.close();
    return { seq0, seq: info.update_seq };
  },

  async change() {
    const db = await pouch();
    for (const i of [0, 2, 3]) {
      const d = await db.get(pid(i));
      await db.put({ ...d, title: 'changed after the backup' });
    }
    await db.remove(await db.get(pid(4)));
    await db.bulkDocs(Array.from({ length: 20 }, (_, i) => ({ _id: 'late-' + i, type: 'task', n: 200 + i })));
    await db.find(TASKS);
    await db.compact();
    // The last sequence number handed out.
    const seq = (await db.info()).update_seq;
    await db.close();
    return { seq };
  },
};

// ---------------------------------------------------------------- idb-keyval

async function keyval() {
  const kv = await import('idb-keyval');
  return { kv, store: kv.createStore('lib-keyval', 'things') };
}

function keyvalEntries() {
  const out = [];
  for (let i = 0; i < 60; i++) {
    const v = [
      { i, label: `object ${i}`, when: new Date(Date.UTC(2022, 0, 1 + i)) },
      new Map([['a', i], [i, new Set([1, 2, i])], [new Date(i * 1000), { deep: [i] }]]),
      new Set([`s${i}`, i, null]),
      BigInt(i) ** 20n,
      /a+b*/giu,
      new Blob([bytes(50 + i, i)], { type: 'application/x-test' }),
      new File([`file ${i}`], `f${i}.txt`, { type: 'text/plain', lastModified: 1600000000000 + i }),
      new Int16Array([i, -i, 32767, -32768]),
      new BigInt64Array([BigInt(i), -(2n ** 63n)]),
      new DataView(bytes(12, i).buffer),
      [1, , 3, undefined, NaN, -0, Infinity], // eslint-disable-line no-sparse-arrays
      new Uint8ClampedArray([0, 255, i]),
    ][i % 12];
    out.push([i % 4 === 0 ? i : i % 4 === 1 ? `k${i}` : i % 4 === 2 ? new Date(Date.UTC(2000, 0, i)) : ['path', i], v]);
  }
  return out;
}

const keyvalLib = {
  async write() {
    const { kv, store } = await keyval();
    await kv.setMany(keyvalEntries(), store);
    await kv.delMany([4, 'k5'], store);
    await kv.update('k1', (v) => ({ ...v, updated: true }), store);
    await kv.set('bool', new Boolean(false), store); // eslint-disable-line no-new-wrappers
    await kv.set('str', new String('wrapped'), store); // eslint-disable-line no-new-wrappers
  },

  async read() {
    const { kv, store } = await keyval();
    const entries = await kv.entries(store);
    const out = [];
    for (const [k, v] of entries) out.push([await ser(k), await ser(v)]);
    return { entries: out, keys: await ser(await kv.keys(store)), many: await ser(await kv.getMany([0, 'k1', 'missing'], store)) };
  },

  async work() {
    const { kv, store } = await keyval();
    const n = (await kv.keys(store)).length;
    await kv.set('fresh', { blob: new Blob(['fresh']), at: new Date(5) }, store);
    await kv.update(0, (v) => ({ ...v, label: 'updated' }), store);
    await kv.del('k9', store);
    check((await kv.get(0, store)).label === 'updated', 'update');
    check((await kv.get('k9', store)) === undefined, 'del');
    check(same(await ser(await kv.get('fresh', store)), await ser({ blob: new Blob(['fresh']), at: new Date(5) })), 'new value');
    check((await kv.keys(store)).length === n, 'one added and one deleted');
    return { keys: n };
  },

  async change() {
    const { kv, store } = await keyval();
    await kv.setMany([['late', 1], ['later', new Blob(['2'])]], store);
    await kv.del(0, store);
    await kv.set('k1', 'replaced', store);
  },
};

// ---------------------------------------------------------------- PGlite

async function pglite() {
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = new PGlite('idb://lib-pglite');
  await pg.waitReady;
  return pg;
}

const pgliteLib = {
  async write() {
    const pg = await pglite();
    await pg.exec(`
      create table items (id serial primary key, name text not null, qty int, price numeric(10,2), tags text[],
                          created timestamptz, payload jsonb, bin bytea);
      create index items_name on items (name);
      insert into items (name, qty, price, tags, created, payload, bin)
        select 'item-' || lpad(g::text, 4, '0'), g % 17, g * 1.25, array['t' || (g % 5), 'all'],
               timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour',
               jsonb_build_object('g', g, 'even', g % 2 = 0), decode(md5(g::text), 'hex')
        from generate_series(1, 300) g;
      update items set qty = qty + 100 where id % 10 = 0;
      delete from items where id in (3, 299, 300);
      create table log (id bigserial primary key, msg text);
      insert into log (msg) values ('one'), ('two');
    `);
    await pg.close();
  },

  async read() {
    const pg = await pglite();
    const q = async (sql) => ser((await pg.query(sql)).rows);
    const out = {
      items: await q(`select id, name, qty, price::text as price, tags, created, payload, encode(bin, 'hex') as bin from items order by id`),
      log: await q('select * from log order by id'),
      columns: await q(`select table_name, column_name, data_type from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position`),
      indexes: await q(`select indexname, indexdef from pg_indexes where schemaname = 'public' order by indexname`),
      sequence: await q('select last_value, is_called from items_id_seq'),
      sums: await q('select count(*)::int as n, sum(qty)::int as qty from items'),
    };
    await pg.close();
    return out;
  },

  async work() {
    const pg = await pglite();
    const max = (await pg.query('select max(id) as m from items')).rows[0].m;
    const { rows: [{ id }] } = await pg.query(`insert into items (name, qty, tags) values ('item-new', 5, '{new}') returning id`);
    check(id > 300, `new id ${id}: the sequence went back (max restored id ${max}, 300 handed out before the backup)`);
    await pg.query(`update items set qty = 999 where name = 'item-0042'`);
    await pg.query('delete from items where id = 1');
    await pg.exec('set enable_seqscan = off');
    const plan = (await pg.query(`explain select * from items where name = 'item-0042'`)).rows.map((r) => r['QUERY PLAN']).join('\n');
    check(/items_name/.test(plan), 'the index is not used: ' + plan);
    const hit = (await pg.query(`select qty from items where name = 'item-0042'`)).rows;
    check(same(hit, [{ qty: 999 }]), 'index lookup after update: ' + JSON.stringify(hit));
    check((await pg.query(`select id from items where name = 'item-new'`)).rows[0]?.id === id, 'index lookup of the new row');
    check((await pg.query('select 1 from items where id = 1')).rows.length === 0, 'delete');
    await pg.query(`insert into log (msg) values ('three')`);
    await pg.close();
    return { id };
  },

  async change() {
    const pg = await pglite();
    await pg.exec(`
      insert into items (name, qty) select 'late-' || g, g from generate_series(1, 50) g;
      update items set name = 'renamed' where id = 2;
      delete from items where id between 100 and 120;
      alter table items add column note text;
      create table extra (k text primary key);
      insert into extra values ('a');
      create index items_qty on items (qty);
    `);
    await pg.close();
  },
};

// ---------------------------------------------------------------- SQLite wasm (OPFS, opfs-sahpool, in a worker)

let sqliteWorker;
function sqlite(op) {
  sqliteWorker ||= new Worker('/harness/sqlite-worker.js', { type: 'module' });
  return new Promise((ok, err) => {
    sqliteWorker.onmessage = ({ data }) => (data.error ? err(new Error(data.error)) : ok(data.result));
    sqliteWorker.postMessage(op);
  });
}

const sqliteLib = {
  write: () => sqlite('write'),
  read: () => sqlite('read'),
  work: () => sqlite('work'),
  change: () => sqlite('change'),
  /**
   * A backup and a restore while SQLite holds its files open: refused with
   * files-in-use (nothing changed), then done with the element's hooks
   * releasing the pool around them; SQLite keeps working after each.
   */
  async hooks(name) {
    // SQLite opens its pool: from here it holds its files open.
    await sqlite('read');
    const el = await harness.coffer();
    const refused = await el.backup().then(() => 'backed up', (e) => e.code);
    const res = await fetch('/stash/' + encodeURIComponent(name));
    const key = await fetch('/stash/' + encodeURIComponent(name + '.key'));
    const file = await res.blob();
    const keyFile = await key.blob();
    await sqlite('work');
    const changed = await sqlite('read');
    const refusedRestore = await el.restore(file, { keyFile }).then(() => 'restored', (e) => e.code);
    const unchanged = JSON.stringify(await sqlite('read')) === JSON.stringify(changed);
    const calls = [];
    el.beforeBackup = async (d) => { calls.push('beforeBackup:' + d.parts.join(',')); await sqlite('pause'); };
    el.afterBackup = async (d) => { calls.push('afterBackup:' + d.ok); await sqlite('unpause'); };
    el.beforeRestore = async () => { calls.push('beforeRestore'); await sqlite('pause'); };
    el.afterRestore = async (d) => { calls.push('afterRestore:' + d.ok); await sqlite('unpause'); };
    const blob = await el.backup();
    const info = await el.inspect(blob);
    const restored = await el.restore(file, { keyFile });
    const after = await sqlite('read');
    el.remove();
    return {
      refused, refusedRestore, unchanged, calls,
      files: info.parts.opfs?.files ?? 0,
      restoredFiles: restored.parts.opfsFiles,
      // What SQLite reads after the restore (the stashed backup's rows).
      notes: after.notes,
    };
  },
};

window.harness = harness;
window.libs = { dexie: dexieLib, localforage: forageLib, pouchdb: pouchLib, keyval: keyvalLib, pglite: pgliteLib, sqlite: sqliteLib };
window.harnessReady = true;
