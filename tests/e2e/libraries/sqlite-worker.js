// SQLite's wasm build with its OPFS storage (the opfs-sahpool VFS, which
// needs no cross-origin isolation but a dedicated worker), driven by
// harness.js: one message = one step (write, read, work, change).
import sqlite3InitModule from '/node_modules/@sqlite.org/sqlite-wasm/dist/index.mjs';

let pool;
async function open() {
  if (!pool) {
    const sqlite3 = await sqlite3InitModule();
    pool = await sqlite3.installOpfsSAHPoolVfs({ name: 'coffer-sahpool', directory: '.coffer-sahpool' });
  }
  return new pool.OpfsSAHPoolDb('/lib.sqlite3');
}

const rows = (db, sql) => db.exec({ sql, rowMode: 'object', returnValue: 'resultRows' });
const check = (ok, message) => { if (!ok) throw new Error(message); };
const hex = (b) => (b ? Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') : null);

const steps = {
  write(db) {
    db.exec(`
      create table notes (id integer primary key autoincrement, title text not null, body text, n integer, data blob);
      create index notes_n on notes (n);
      create table tags (note integer references notes(id), tag text, primary key (note, tag)) without rowid;
    `);
    db.transaction(() => {
      for (let i = 1; i <= 200; i++) {
        db.exec({ sql: 'insert into notes (title, body, n, data) values (?, ?, ?, ?)', bind: [`note ${i}`, 'body ✓ '.repeat(i % 7), i % 13, new Uint8Array([i & 255, 0, 255, i >> 8])] });
        db.exec({ sql: 'insert into tags values (?, ?)', bind: [i, 't' + (i % 4)] });
      }
    });
    db.exec(`update notes set body = 'edited' where id % 20 = 0; delete from tags where note in (2, 199, 200); delete from notes where id in (2, 199, 200);`);
  },
  read(db) {
    return {
      notes: rows(db, 'select id, title, body, n, data from notes order by id').map((r) => ({ ...r, data: hex(r.data) })),
      tags: rows(db, 'select * from tags order by note, tag'),
      schema: rows(db, `select type, name, tbl_name, sql from sqlite_master order by name`),
      sequence: rows(db, 'select * from sqlite_sequence'),
      integrity: rows(db, 'pragma integrity_check'),
      files: pool.getFileNames().sort(),
    };
  },
  work(db) {
    db.exec({ sql: `insert into notes (title, n) values ('new', 7)` });
    const id = db.selectValue('select last_insert_rowid()');
    check(id > 200, `new id ${id}: autoincrement went back (200 handed out before the backup)`);
    db.exec(`update notes set title = 'updated' where id = 1; delete from notes where id = 3;`);
    const plan = rows(db, 'explain query plan select id from notes where n = 7').map((r) => r.detail).join('\n');
    check(/notes_n/.test(plan), 'the index is not used: ' + plan);
    const ids = rows(db, 'select id from notes where n = 7 order by id').map((r) => r.id);
    check(ids.includes(id), 'index lookup misses the new row');
    check(db.selectValue(`select title from notes where id = 1`) === 'updated', 'update');
    check(db.selectValue('select count(*) from notes where id = 3') === 0, 'delete');
    return { id };
  },
  change(db) {
    db.exec(`
      insert into notes (title, n) values ('late 1', 1), ('late 2', 2);
      delete from notes where id between 10 and 20;
      alter table notes add column extra text;
      create table later (k text);
    `);
  },
};

// The pool keeps a sync access handle on each of its files while it is
// installed: 'pause' releases them (what an app does in Coffer's
// beforeBackup/beforeRestore hooks), 'unpause' takes them again.
const control = {
  async pause() { await open().then((db) => db.close()); pool.pauseVfs(); return pool.isPaused(); },
  async unpause() { await pool.unpauseVfs(); return pool.isPaused(); },
};

onmessage = async ({ data: step }) => {
  if (control[step]) {
    try {
      postMessage({ result: await control[step]() });
    } catch (e) {
      postMessage({ error: String(e?.stack || e) });
    }
    return;
  }
  let db;
  try {
    db = await open();
    const result = steps[step](db);
    db.close();
    postMessage({ result });
  } catch (e) {
    try { db?.close(); } catch { /* already closed */ }
    postMessage({ error: String(e?.stack || e) });
  }
};
