// A host app as a web developer writes it: `npm install coffer-backup`,
// import the element, keep data in IndexedDB. window.notesApp is what the
// test (tests/e2e/npm.spec.mjs) drives.
import 'coffer-backup';
import type { CofferBackupElement, RestoreReport } from 'coffer-backup';

interface Note {
  id?: number;
  text: string;
  created: Date;
  attachment?: Blob;
}

const DB = 'notes-app';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      const notes = req.result.createObjectStore('notes', { keyPath: 'id', autoIncrement: true });
      notes.createIndex('by-text', 'text');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function add(text: string, attachment?: Blob): Promise<void> {
  const db = await open();
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('notes', 'readwrite');
    const note: Note = { text, created: new Date(1_700_000_000_000), attachment };
    tx.objectStore('notes').add(note);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

/** Every note, attachments as byte arrays, in a JSON-comparable form. */
async function dump(): Promise<unknown[]> {
  const db = await open();
  const notes = await new Promise<Note[]>((resolve, reject) => {
    const req = db.transaction('notes').objectStore('notes').getAll();
    req.onsuccess = () => resolve(req.result as Note[]);
    req.onerror = () => reject(req.error);
  });
  db.close();
  return Promise.all(
    notes.map(async (n) => ({
      id: n.id,
      text: n.text,
      created: n.created.getTime(),
      attachment: n.attachment ? Array.from(new Uint8Array(await n.attachment.arrayBuffer())) : null,
    })),
  );
}

async function clear(): Promise<void> {
  const db = await open();
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('notes', 'readwrite');
    tx.objectStore('notes').clear();
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

const element = (): CofferBackupElement => {
  const el = document.querySelector('coffer-backup');
  if (!el) throw new Error('no <coffer-backup> on the page');
  return el;
};

let last: Blob | null = null;

declare global {
  interface Window {
    notesApp: {
      add: typeof add;
      dump: typeof dump;
      clear: typeof clear;
      backup(): Promise<number>;
      restore(): Promise<RestoreReport>;
    };
  }
}

window.notesApp = {
  add,
  dump,
  clear,
  async backup() {
    const el = element();
    await el.ready;
    last = await el.backup();
    return last.size;
  },
  async restore() {
    if (!last) throw new Error('no backup yet');
    return element().restore(last);
  },
};
