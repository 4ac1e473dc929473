// The host app: todos (with Blob attachments) in its own IndexedDB database
// "host-app", and API tokens in a Coffer-encrypted store of the same
// database, through Coffer's store API. window.hostApp is for the tests.
import { openStore } from './coffer/coffer-backup.js';

const DB = 'host-app';

function req(r) {
  return new Promise((ok, err) => { r.onsuccess = () => ok(r.result); r.onerror = () => err(r.error); });
}

// Opens the database for one operation. Coffer adds stores (the encrypted
// "tokens") with a version change, so never hold a connection open for long
// and close it when another connection asks.
async function open() {
  const r = indexedDB.open(DB);
  r.onupgradeneeded = () => {
    const db = r.result;
    if (!db.objectStoreNames.contains('todos')) db.createObjectStore('todos', { keyPath: 'id', autoIncrement: true });
    if (!db.objectStoreNames.contains('attachments')) db.createObjectStore('attachments');
  };
  const db = await req(r);
  if (!db.objectStoreNames.contains('todos')) {
    // The database exists but was made by someone else (e.g. Coffer's store
    // API created it for the tokens first): add our stores.
    const v = db.version + 1;
    db.close();
    const u = indexedDB.open(DB, v);
    u.onupgradeneeded = () => {
      const d = u.result;
      if (!d.objectStoreNames.contains('todos')) d.createObjectStore('todos', { keyPath: 'id', autoIncrement: true });
      if (!d.objectStoreNames.contains('attachments')) d.createObjectStore('attachments');
    };
    const d = await req(u);
    d.onversionchange = () => d.close();
    return d;
  }
  db.onversionchange = () => db.close();
  return db;
}

async function withStores(names, mode, f) {
  const db = await open();
  try {
    const tx = db.transaction(names, mode);
    const out = await f(tx);
    await new Promise((ok, err) => { tx.oncomplete = ok; tx.onerror = () => err(tx.error); tx.onabort = () => err(tx.error); });
    return out;
  } finally {
    db.close();
  }
}

let tokensStore = null;
async function tokens() {
  tokensStore ??= await openStore(DB, 'tokens');
  return tokensStore;
}

export const hostApp = {
  async addTodo(text, file = null) {
    return withStores(['todos', 'attachments'], 'readwrite', async (tx) => {
      const id = await req(tx.objectStore('todos').add({ text, done: false, created: new Date(), tags: text.split(' ').slice(0, 2) }));
      if (file) tx.objectStore('attachments').put(file, id);
      return id;
    });
  },
  async toggle(id) {
    return withStores(['todos'], 'readwrite', async (tx) => {
      const s = tx.objectStore('todos');
      const t = await req(s.get(id));
      t.done = !t.done;
      s.put(t);
    });
  },
  async todos() {
    return withStores(['todos', 'attachments'], 'readonly', async (tx) => {
      const todos = await req(tx.objectStore('todos').getAll());
      for (const t of todos) t.attachment = (await req(tx.objectStore('attachments').get(t.id))) ?? null;
      return todos;
    });
  },
  async saveToken(name, value) { await (await tokens()).put(name, { value, saved: new Date(0) }); },
  async token(name) { return (await tokens()).get(name); },
  async tokenNames() { return (await tokens()).list(); },
  // Deletes the whole database (what a user losing their data looks like).
  async wipe() { tokensStore = null; await req(indexedDB.deleteDatabase(DB)); },
};
window.hostApp = hostApp;

// --- the UI -----------------------------------------------------------------

const list = document.getElementById('list');
const tokenList = document.getElementById('tokens');

async function render() {
  const todos = await hostApp.todos();
  list.replaceChildren(...todos.map((t) => {
    const li = document.createElement('li');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = t.done;
    box.onchange = () => hostApp.toggle(t.id).then(render);
    li.append(box, ' ', t.text);
    if (t.attachment) {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(t.attachment);
      a.textContent = ` [${t.attachment.name || 'attachment'}]`;
      li.append(a);
    }
    return li;
  }));
  const names = await hostApp.tokenNames();
  tokenList.replaceChildren(...names.map((n) => {
    const li = document.createElement('li');
    li.textContent = `${n}: ••••••`;
    return li;
  }));
  document.querySelector('coffer-backup')?.refresh();
}

document.getElementById('add').onsubmit = async (e) => {
  e.preventDefault();
  const f = e.target;
  await hostApp.addTodo(f.text.value, f.file.files[0] ?? null);
  f.reset();
  render();
};
document.getElementById('token').onsubmit = async (e) => {
  e.preventDefault();
  const f = e.target;
  await hostApp.saveToken(f.name.value, f.value.value);
  f.reset();
  render();
};
const el = document.querySelector('coffer-backup');
el.addEventListener('coffer-restore-done', render);
el.addEventListener('coffer-key-replaced', render);
render();

// Works offline: the service worker precaches the app and Coffer's files.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('./sw.js').catch((e) => console.warn('no service worker:', e));
}
