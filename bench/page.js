// Page-side half of the Coffer benchmark (issue #5). Injected into the app's
// page (same origin as Coffer) by bench/run.mjs; everything here runs in the
// browser and is driven through page.evaluate. Defines window.__bench.
//
// The reference database (one shape, scaled):
//   users   inline numeric key `id`; indexes email (unique), age,
//           tags (multiEntry), [lastName+firstName] (compound)
//   events  out-of-line string keys; indexes type, userId
//   orders  compound primary key [userId+seq]; indexes created, status
//   files   inline string key `id`; each record holds a 64 KiB Blob; index name
// Values mix strings, integers, floats, booleans, Dates, arrays and nested
// objects. Index names follow Dexie's convention (name = key path) and the
// IndexedDB version is 10 (Dexie version 1), so a Dexie export/import
// recreates exactly the same schema and every tool sees the same database.
(() => {
  'use strict';

  const SHAPE = { users: 40_000, events: 35_000, orders: 24_000, files: 1_000 };
  const BLOB_SIZE = 64 * 1024;
  const VERSION = 10;

  // sfc32, seeded; deterministic across runs and browsers.
  function prng(seed) {
    let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
    const next = () => {
      a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
      const t = (a + b) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      d = (d + 1) | 0;
      const r = (t + d) | 0;
      c = (c + r) | 0;
      return r >>> 0;
    };
    for (let i = 0; i < 12; i++) next();
    return {
      u32: next,
      int: (n) => next() % n,
      float: () => next() / 4294967296,
      pick: (xs) => xs[next() % xs.length],
    };
  }

  const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim', 'Margaret', 'John', 'Hedy', 'Niklaus', 'Sophie', 'Linus', 'Anita', 'Dennis', 'Katherine', 'Bjarne'];
  const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Berners-Lee', 'Hamilton', 'McCarthy', 'Lamarr', 'Wirth', 'Wilson', 'Torvalds', 'Borg', 'Ritchie', 'Johnson', 'Stroustrup'];
  const CITIES = ['Zürich', 'Lyon', 'Kraków', 'Göteborg', 'Porto', 'Ghent', 'Bologna', 'Tartu', 'Brno', 'Aarhus'];
  const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum café naïve 😀'.split(' ');
  const TAGS = ['admin', 'beta', 'vip', 'new', 'churned', 'trial', 'eu', 'us', 'apac', 'mobile'];
  const TYPES = ['login', 'logout', 'view', 'click', 'purchase', 'error', 'share', 'search'];
  const STATUS = ['open', 'paid', 'shipped', 'delivered', 'refunded'];
  const T0 = Date.UTC(2020, 0, 1);

  const text = (r, min, max) => {
    const n = min + r.int(max - min + 1);
    const out = [];
    for (let i = 0; i < n; i++) out.push(r.pick(WORDS));
    return out.join(' ');
  };

  function user(r, i) {
    const tags = [];
    for (let k = 1 + r.int(4); k > 0; k--) tags.push(r.pick(TAGS));
    return {
      id: i,
      email: `user${i}@example.test`,
      firstName: r.pick(FIRST),
      lastName: r.pick(LAST),
      age: 18 + r.int(70),
      score: Math.round(r.float() * 1e6) / 100,
      active: r.int(2) === 1,
      tags: [...new Set(tags)],
      address: {
        street: `${1 + r.int(300)} ${r.pick(WORDS)} street`,
        city: r.pick(CITIES),
        zip: String(10000 + r.int(89999)),
        geo: { lat: r.float() * 180 - 90, lng: r.float() * 360 - 180 },
      },
      created: new Date(T0 + r.int(1_500_000_000) * 100),
      bio: text(r, 8, 30),
    };
  }

  function event(r, i, users) {
    const values = [];
    for (let k = 5 + r.int(16); k > 0; k--) values.push(r.int(100000) / 10);
    return {
      key: `evt-${String(i).padStart(9, '0')}`,
      value: {
        type: r.pick(TYPES),
        userId: r.int(users),
        at: new Date(T0 + r.int(2_000_000_000) * 50),
        payload: { n: i, values, note: text(r, 2, 12), ok: r.int(10) !== 0 },
      },
    };
  }

  function order(r, i, users) {
    const items = [];
    for (let k = 1 + r.int(5); k > 0; k--) {
      items.push({ sku: `SKU-${r.int(10000)}`, qty: 1 + r.int(5), price: r.int(100000) / 100 });
    }
    return {
      userId: i % users,
      seq: Math.floor(i / users),
      total: items.reduce((s, x) => s + x.qty * x.price, 0),
      currency: r.pick(['EUR', 'CHF', 'USD']),
      status: r.pick(STATUS),
      items,
      created: new Date(T0 + r.int(2_000_000_000) * 50),
      shipTo: { city: r.pick(CITIES), lines: [text(r, 1, 3), text(r, 1, 3)] },
    };
  }

  function file(r, i) {
    const words = new Uint32Array(BLOB_SIZE / 4);
    for (let k = 0; k < words.length; k++) words[k] = r.u32();
    return {
      id: `file-${String(i).padStart(6, '0')}`,
      name: `${r.pick(WORDS)}-${i}.bin`,
      type: 'application/octet-stream',
      size: BLOB_SIZE,
      created: new Date(T0 + r.int(2_000_000_000) * 50),
      data: new Blob([words], { type: 'application/octet-stream' }),
    };
  }

  function req(r) {
    return new Promise((ok, err) => { r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
  }
  function done(tx) {
    return new Promise((ok, err) => {
      tx.oncomplete = () => ok();
      tx.onerror = () => err(tx.error);
      tx.onabort = () => err(tx.error || new Error('transaction aborted'));
    });
  }
  function open(name, version, upgrade) {
    const r = indexedDB.open(name, version);
    if (upgrade) r.onupgradeneeded = () => upgrade(r.result);
    r.onblocked = () => console.warn('bench: open blocked', name);
    return req(r);
  }
  async function deleteDb(name) {
    const r = indexedDB.deleteDatabase(name);
    r.onblocked = () => console.warn('bench: delete blocked', name);
    await req(r);
  }

  function counts(scale) {
    const c = {};
    for (const [k, v] of Object.entries(SHAPE)) c[k] = Math.round(v * scale);
    return c;
  }

  // Writes the reference database `name` at `scale` (1 = medium), in chunks
  // of relaxed-durability transactions so no more than one chunk is in
  // memory. Returns the record counts and the logical byte size.
  async function generate(name, scale, seed) {
    await deleteDb(name);
    const n = counts(scale);
    const db = await open(name, VERSION, (db) => {
      const users = db.createObjectStore('users', { keyPath: 'id' });
      users.createIndex('email', 'email', { unique: true });
      users.createIndex('age', 'age');
      users.createIndex('tags', 'tags', { multiEntry: true });
      users.createIndex('[lastName+firstName]', ['lastName', 'firstName']);
      const events = db.createObjectStore('events');
      events.createIndex('type', 'type');
      events.createIndex('userId', 'userId');
      const orders = db.createObjectStore('orders', { keyPath: ['userId', 'seq'] });
      orders.createIndex('created', 'created');
      orders.createIndex('status', 'status');
      const files = db.createObjectStore('files', { keyPath: 'id' });
      files.createIndex('name', 'name');
    });
    const r = prng(seed);
    const CHUNK = 5000;
    const write = async (store, total, per, make) => {
      for (let i = 0; i < total; i += per) {
        const tx = db.transaction(store, 'readwrite', { durability: 'relaxed' });
        const os = tx.objectStore(store);
        for (let j = i; j < Math.min(total, i + per); j++) {
          const x = make(j);
          if (x.key !== undefined) os.put(x.value, x.key); else os.put(x);
        }
        await done(tx);
      }
    };
    await write('users', n.users, CHUNK, (i) => user(r, i));
    await write('events', n.events, CHUNK, (i) => event(r, i, n.users));
    await write('orders', n.orders, CHUNK, (i) => order(r, i, n.users));
    await write('files', n.files, 100, (i) => file(r, i));
    db.close();
    return n;
  }

  // Record count per store (and a cheap fingerprint: the sum of Blob sizes).
  async function census(name) {
    const db = await open(name);
    const names = [...db.objectStoreNames];
    const tx = db.transaction(names, 'readonly');
    const out = { stores: {}, version: db.version, indexes: {} };
    for (const s of names) {
      const os = tx.objectStore(s);
      out.stores[s] = await req(os.count());
      out.indexes[s] = [...os.indexNames].sort();
    }
    db.close();
    return out;
  }

  async function listDbs() {
    return (await indexedDB.databases()).map((d) => d.name);
  }

  // Raw read floor: getAll on every store (plus getAllKeys where keys are
  // out-of-line, since a backup needs them) in one readonly transaction.
  // With `blobs`, also reads every Blob's bytes afterwards.
  async function rawRead(name, blobs) {
    const db = await open(name);
    const names = [...db.objectStoreNames];
    const t0 = performance.now();
    const tx = db.transaction(names, 'readonly', { durability: 'relaxed' });
    const results = {};
    for (const s of names) {
      const os = tx.objectStore(s);
      const vals = req(os.getAll());
      const keys = os.keyPath === null ? req(os.getAllKeys()) : null;
      results[s] = Promise.all([vals, keys]);
    }
    await done(tx);
    let records = 0, blobBytes = 0;
    const pending = [];
    for (const s of names) {
      const [vals] = await results[s];
      records += vals.length;
      if (blobs) for (const v of vals) if (v && v.data instanceof Blob) pending.push(v.data.arrayBuffer().then((b) => { blobBytes += b.byteLength; }));
    }
    await Promise.all(pending);
    const ms = performance.now() - t0;
    db.close();
    return { ms, records, blobBytes };
  }

  // Raw write floor: reads everything (untimed), then times clearing each
  // store and putting every record back, in one relaxed-durability
  // readwrite transaction.
  // Replaces the Blobs and Files in a record's properties (and nested
  // arrays and objects) with copies that own their bytes.
  async function freshBlobs(v, depth) {
    if (!v || typeof v !== 'object' || depth > 8) return;
    for (const k of Object.keys(v)) {
      const x = v[k];
      if (x instanceof File) v[k] = new File([await x.arrayBuffer()], x.name, { type: x.type, lastModified: x.lastModified });
      else if (x instanceof Blob) v[k] = new Blob([await x.arrayBuffer()], { type: x.type });
      else if (x && typeof x === 'object' && !(x instanceof Date)) await freshBlobs(x, depth + 1);
    }
  }

  async function rawWrite(name) {
    const db = await open(name);
    const names = [...db.objectStoreNames];
    const rtx = db.transaction(names, 'readonly');
    const data = {};
    for (const s of names) {
      const os = rtx.objectStore(s);
      data[s] = Promise.all([req(os.getAll()), os.keyPath === null ? req(os.getAllKeys()) : null]);
    }
    await done(rtx);
    for (const s of names) data[s] = await data[s];
    // Blobs read from a store are backed by that store's files, which
    // clear() drops: writing them back fails on the large database ("Failed
    // to write blobs (IOError)"). Untimed, give every Blob fresh bytes, so
    // the floor writes Blob data the way a restore must.
    for (const s of names) for (const v of data[s][0]) await freshBlobs(v, 0);
    const t0 = performance.now();
    const tx = db.transaction(names, 'readwrite', { durability: 'relaxed' });
    let records = 0;
    for (const s of names) {
      const os = tx.objectStore(s);
      const [vals, keys] = data[s];
      os.clear();
      if (keys) for (let i = 0; i < vals.length; i++) os.put(vals[i], keys[i]);
      else for (const v of vals) os.put(v);
      records += vals.length;
    }
    await done(tx);
    const ms = performance.now() - t0;
    db.close();
    return { ms, records };
  }

  let exported = null;
  // dexie-export-import exportDB on the same database (Dexie opened
  // dynamically, no schema declared). Keeps the Blob for dexieImport.
  async function dexieExport(name) {
    const t0 = performance.now();
    const db = new Dexie(name);
    await db.open();
    exported = await DexieExportImport.exportDB(db);
    const ms = performance.now() - t0;
    db.close();
    return { ms, bytes: exported.size };
  }
  // Deletes the database (untimed), then times importDB of the last export.
  async function dexieImport(name) {
    if (!exported) throw new Error('no export to import');
    await Dexie.delete(name);
    const t0 = performance.now();
    const db = await DexieExportImport.importDB(exported);
    const ms = performance.now() - t0;
    db.close();
    return { ms };
  }
  function dropExport() { exported = null; }

  // Long main-thread tasks, observed by the init script (window.__longTasks).
  // Entries arrive asynchronously, so a task from before the reset (such as
  // the bench's own forced GC) can be delivered after it: only tasks that
  // started after the reset count.
  function longTasksReset() { window.__longTasks.since = performance.now(); }
  function longTasks() {
    const l = window.__longTasks;
    const mine = l.entries.filter((e) => e.start >= l.since);
    const frames = (l.frames || []).filter((f) => f.start >= l.since);
    return { max: Math.max(0, ...mine.map((e) => e.duration)), count: mine.length, total: mine.reduce((a, e) => a + e.duration, 0), frames };
  }

  function appWasmBytes() {
    const w = window.__appWasm;
    return w && w.memory ? w.memory.buffer.byteLength : 0;
  }

  window.__bench = { SHAPE, counts, generate, census, listDbs, deleteDb, rawRead, rawWrite, dexieExport, dexieImport, dropExport, longTasksReset, longTasks, appWasmBytes };
})();
