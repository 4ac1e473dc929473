// <coffer-backup>: Coffer's Backup Management as a web component.
//
//   <script type="module" src=".../coffer-backup.js"></script>
//   <coffer-backup include="my-app" encrypted="my-app/tokens"></coffer-backup>
//
// Everything this module needs (coffer-embed.js and its wasm, the engine
// worker coffer-worker.js and its wasm) is found next to it, relative to
// import.meta.url, so the folder can be served from anywhere – also another
// origin (serve it with CORS then). The URLs are written as literal
// `new URL('./file', import.meta.url)` so that bundlers (Vite, Rollup,
// webpack) find the files and emit them with the bundle, whatever they
// rename them to.
// Reference: docs/embed.md; types: coffer-backup.d.ts.
import init, { CofferElement, openStore as openStoreWasm } from './coffer-embed.js';

const embedWasmUrl = new URL('./coffer-embed_bg.wasm', import.meta.url);
const workerScriptUrl = new URL('./coffer-worker.js', import.meta.url);
const workerWasmUrl = new URL('./worker_bg.wasm', import.meta.url);
const ATTRIBUTES = ['include', 'exclude', 'encrypted', 'locale', 'theme', 'compact', 'worker-url'];

let defaultWorker = null;
/** The worker every element without a `worker-url` attribute loads. */
function workerUrl() {
  defaultWorker ??= makeWorkerUrl();
  return defaultWorker;
}

/** coffer-worker.js, told where its wasm is (bundlers may have renamed it). */
function makeWorkerUrl() {
  const wasm = workerWasmUrl.href;
  if (workerScriptUrl.origin === location.origin) {
    const url = new URL(workerScriptUrl);
    url.searchParams.set('wasm', wasm);
    return url.href;
  }
  // new Worker() refuses cross-origin scripts: start a same-origin blob:
  // worker that imports the artifact's worker by absolute URL.
  const src = `self.COFFER_WORKER_WASM=${JSON.stringify(wasm)};` +
    `importScripts(${JSON.stringify(workerScriptUrl.href)});`;
  return URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
}

let loading = null;
/** Loads the wasm once; resolves when the module is ready. */
export function load() {
  loading ??= init({ module_or_path: embedWasmUrl });
  return loading;
}

function codedError(code, message, name = 'CofferError') {
  const e = new Error(message);
  e.name = name;
  e.code = code;
  return e;
}

/**
 * Opens (creating and registering it if needed) an encrypted store of this
 * origin: values are sealed with Coffer's master key and stay sealed in
 * backups. Resolves to `{ put(key, value), get(key), delete(key), list() }`.
 */
export async function openStore(db, store) {
  await load();
  return openStoreWasm(String(db), String(store), workerUrl());
}

/**
 * The page-level store API of the standalone app (`window.coffer`), for
 * scripts embedding the element: same functions, same arguments.
 */
export const coffer = {
  createEncryptedStore: async (db, store) => { await openStore(db, store); },
  put: async (db, store, key, value) => (await openStore(db, store)).put(key, value),
  get: async (db, store, key) => (await openStore(db, store)).get(key),
  delete: async (db, store, key) => (await openStore(db, store)).delete(key),
  list: async (db, store) => (await openStore(db, store)).list(),
};

/** The `<coffer-backup>` element. */
export class CofferBackupElement extends HTMLElement {
  static get observedAttributes() { return ATTRIBUTES; }

  #rust = null;
  #dueTimer = null;
  #dueCheck = null;
  #wasDue = false;
  #mounted;
  #resolveMounted;
  #ready;

  constructor() {
    super();
    if (!this.shadowRoot) this.attachShadow({ mode: 'open' });
    this.#newPromises();
  }

  #newPromises() {
    this.#mounted = new Promise((ok) => { this.#resolveMounted = ok; });
    this.#ready = new Promise((ok) => {
      this.addEventListener('coffer-ready', () => ok(this), { once: true });
    });
  }

  #attributes() {
    const o = {};
    for (const a of ATTRIBUTES) o[a] = this.getAttribute(a);
    // Each element has its own worker, loaded from its own URL.
    o['worker-url'] ??= workerUrl();
    return o;
  }

  connectedCallback() {
    load().then(() => {
      if (!this.isConnected || this.#rust) return;
      this.#rust = CofferElement.mount(this, this.#attributes());
      this.#resolveMounted(this.#rust);
      this.#watchDue();
    }).catch((e) => {
      this.#emitError(e.code || 'load-failed', `Coffer could not start: ${e.message || e}`);
    });
  }

  disconnectedCallback() {
    // A move within the document disconnects and reconnects at once.
    queueMicrotask(() => {
      if (this.isConnected || !this.#rust) return;
      clearInterval(this.#dueTimer);
      this.#dueTimer = null;
      this.#rust.unmount();
      this.#rust.free();
      this.#rust = null;
      this.#newPromises();
    });
  }

  attributeChangedCallback(_name, oldValue, newValue) {
    if (this.#rust && oldValue !== newValue) this.#rust.configure(this.#attributes());
  }

  /** Resolves (to the element) once the UI shows its first overview. */
  get ready() { return this.#ready; }

  /** The current master key id, or null before the overview has loaded. */
  get keyId() { return this.#rust ? (this.#rust.keyId ?? null) : null; }

  /** When the last good backup ended (a `Date`), or null if there is none (or before the UI loaded). */
  get lastBackup() {
    const t = this.#rust ? this.#rust.lastBackupMs : null;
    return t == null ? null : new Date(t);
  }

  // Fires `coffer-backup-due` when a backup becomes due (none yet, or the
  // last one older than the automatic schedule or a week): checked after
  // every operation and once a minute.
  #watchDue() {
    const check = () => {
      if (!this.#rust) return;
      const due = this.#rust.backupDue;
      if (due && !this.#wasDue) {
        this.dispatchEvent(new CustomEvent('coffer-backup-due', { detail: { lastBackup: this.lastBackup }, bubbles: true, composed: true }));
      }
      this.#wasDue = due;
    };
    // The state loads with the first overview; operations change it.
    if (!this.#dueCheck) {
      this.#dueCheck = () => setTimeout(check, 300);
      for (const e of ['coffer-ready', 'coffer-backup-done', 'coffer-restore-done']) this.addEventListener(e, () => this.#dueCheck());
    }
    this.#dueCheck = () => setTimeout(check, 300);
    this.#dueTimer = setInterval(check, 60_000);
  }

  /** Reloads the store overview (after the host app changed its data). */
  refresh() { this.#rust?.refresh(); }

  #emitError(code, message) {
    this.dispatchEvent(new CustomEvent('coffer-error', { detail: { code, message }, bubbles: true, composed: true }));
  }

  #fail(code, message) {
    this.#emitError(code, message);
    return Promise.reject(codedError(code, message));
  }

  async #run(signal, start) {
    const rust = await this.#mounted;
    if (signal?.aborted) {
      this.#emitError('cancelled', 'Cancelled before it started. Nothing was written.');
      throw codedError('cancelled', 'Cancelled before it started. Nothing was written.', 'AbortError');
    }
    const onAbort = () => rust.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await start(rust);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  static #blob(v) { return typeof Blob !== 'undefined' && v instanceof Blob; }

  static async #keyText(keyFile) {
    if (keyFile == null) return null;
    if (typeof keyFile === 'string') return keyFile;
    if (CofferBackupElement.#blob(keyFile)) return await keyFile.text();
    throw codedError('bad-argument', 'keyFile must be a File, Blob or string');
  }

  /**
   * Creates a backup of the included databases and other storage
   * (localStorage, the private file system, caches); resolves to a Blob.
   * The element's `beforeBackup`/`afterBackup` hooks run around it.
   */
  backup(options = {}) {
    const { databases = null, parts = null, passphrase = null, onProgress = null, signal } = options;
    return this.#run(signal, (r) => r.backup(databases, parts, passphrase, onProgress));
  }

  /** Validates a backup (writes nothing); resolves to its summary. */
  async inspect(file, options = {}) {
    if (!CofferBackupElement.#blob(file)) return this.#fail('bad-argument', 'inspect() needs a File or Blob');
    const { passphrase = null, keyFile = null, keyFilePassphrase = null, onProgress = null, signal } = options;
    const key = await CofferBackupElement.#keyText(keyFile).catch((e) => e);
    if (key instanceof Error) return this.#fail(key.code, key.message);
    return this.#run(signal, (r) => r.inspect(file, passphrase, key, keyFilePassphrase, onProgress));
  }

  /** Validates and restores a backup; resolves to `{databases, stores, records, resealed}`. */
  async restore(file, options = {}) {
    if (!CofferBackupElement.#blob(file)) return this.#fail('bad-argument', 'restore() needs a File or Blob');
    const { databases = null, parts = null, passphrase = null, keyFile = null, keyFilePassphrase = null, allowUnauthenticated = false, onProgress = null, signal } = options;
    const key = await CofferBackupElement.#keyText(keyFile).catch((e) => e);
    if (key instanceof Error) return this.#fail(key.code, key.message);
    return this.#run(signal, (r) => r.restore(file, databases, parts, passphrase, key, keyFilePassphrase, Boolean(allowUnauthenticated), onProgress));
  }

  /** Exports the master key; resolves to the key file (a JSON Blob). */
  exportKey(options = {}) {
    const { passphrase = null, signal } = options;
    return this.#run(signal, (r) => r.exportKey(passphrase));
  }

  /**
   * Replaces the master key by a fresh one (`keyFile` null) or the one in a
   * key file, re-sealing every encrypted store; resolves to `{keyId, oldKeyId, resealed}`.
   */
  async replaceKey(keyFile = null, options = {}) {
    const { passphrase = null, onProgress = null, signal } = options;
    const key = await CofferBackupElement.#keyText(keyFile).catch((e) => e);
    if (key instanceof Error) return this.#fail(key.code, key.message);
    return this.#run(signal, (r) => r.replaceKey(key, passphrase, onProgress));
  }

  /** Opens an encrypted store (see `openStore`). */
  openStore(db, store) { return openStore(db, store); }
}

if (!customElements.get('coffer-backup')) customElements.define('coffer-backup', CofferBackupElement);
