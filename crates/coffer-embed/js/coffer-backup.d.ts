// TypeScript declarations of coffer-backup.js: the <coffer-backup> element,
// its methods and events, and the encrypted-store API. Reference: docs/embed.md.

/** Progress of a long operation (`coffer-progress` detail, `onProgress` argument). */
export interface CofferProgress {
  phase: 'reading' | 'writing' | 'verifying' | 'restoring' | 'resealing';
  doneBytes: number;
  /** 0 when unknown. */
  totalBytes: number;
  doneRecords: number;
  /** 0 when unknown. */
  totalRecords: number;
}

/** Options every long operation takes. */
export interface CofferOperationOptions {
  /** Hears progress (at most every 100 ms). */
  onProgress?: (progress: CofferProgress) => void;
  /** Aborting cancels the element's running operations; the promise rejects with `AbortError` (code `cancelled`) and nothing half-written remains. */
  signal?: AbortSignal;
}

/**
 * The origin's storage beyond IndexedDB: `local-storage` (localStorage),
 * `opfs` (the origin private file system) and `caches` (Cache Storage).
 * In `include`/`exclude` they are named `@local-storage`, `@opfs`,
 * `@caches` and `@caches/<name>` (one cache).
 */
export type CofferPart = 'local-storage' | 'opfs' | 'caches';

export interface BackupOptions extends CofferOperationOptions {
  /** Only these databases (within the element's include/exclude). Default: all it allows. */
  databases?: string[];
  /** Only these parts beyond IndexedDB (within include/exclude); `[]` for none. Default: all it allows, or none when `databases` is given. */
  parts?: CofferPart[];
  /** Lock the whole backup with this passphrase. */
  passphrase?: string;
}

export interface UnlockOptions extends CofferOperationOptions {
  /** Passphrase of a locked backup. */
  passphrase?: string;
  /** Key file of the master key the backup's encrypted stores were sealed under, if not this site's. */
  keyFile?: Blob | string;
  /** Passphrase of that key file. */
  keyFilePassphrase?: string;
}

export interface RestoreOptions extends UnlockOptions {
  /** Only these databases of the backup (within include/exclude). Default: all it allows. */
  databases?: string[];
  /** Only these parts of the backup (within include/exclude); `[]` for none. Default: all it allows, or none when `databases` is given. */
  parts?: CofferPart[];
  /**
   * Restore a backup that proves nothing about who made it (`authentication`
   * is not `verified`: no MAC, or a MAC under a key that is not at hand).
   * Without it such a restore rejects with code `unauthenticated`.
   */
  allowUnauthenticated?: boolean;
}

export interface ExportKeyOptions {
  /** Protect the key file with this passphrase (recommended). */
  passphrase?: string;
  signal?: AbortSignal;
}

export interface ReplaceKeyOptions extends CofferOperationOptions {
  /** Passphrase of the key file. */
  passphrase?: string;
}

/** A backup: a zip archive. */
export interface CofferBackupBlob extends Blob {
  /** Suggested file name, e.g. `coffer-backup-2026-01-31.zip`. */
  readonly name: string;
}

/** A key file (JSON). */
export interface CofferKeyBlob extends Blob {
  readonly name: string;
  readonly keyId: string;
}

export interface StoreSummary {
  name: string;
  records: number;
  bytes: number;
  encrypted: boolean;
  /** Whether the store exists here now (restoring overwrites it). */
  exists: boolean;
}

export interface DatabaseSummary {
  name: string;
  version: number;
  stores: StoreSummary[];
  exists: boolean;
}

/** A cached response that could not be backed up (its status, headers and body are unreadable). */
export interface SkippedResponse {
  cache: string;
  url: string;
  reason: 'opaque' | 'opaqueredirect';
}

export interface CacheSummary {
  name: string;
  /** Requests with their responses. */
  entries: number;
  bytes: number;
  /** Opaque responses listed, not backed up. */
  skipped: SkippedResponse[];
  /** Whether a cache of that name exists here now (restoring replaces it). */
  exists: boolean;
}

/** The parts beyond IndexedDB; a member is absent when there is no such part (or it is out of scope). */
export interface PartsSummary {
  localStorage?: { items: number; bytes: number };
  opfs?: { files: number; directories: number; bytes: number };
  caches?: CacheSummary[];
}

/** What `inspect()` found in a completely validated backup. */
export interface BackupSummary {
  /** Creation time, RFC 3339. */
  created: string;
  locked: boolean;
  backupKeyId: string | null;
  currentKeyId: string | null;
  /** Whether its encrypted stores can be restored with the keys at hand. */
  keyOk: boolean;
  /** Whether records will be re-sealed to this site's key. */
  reseal: boolean;
  databases: DatabaseSummary[];
  /** localStorage, the private file system and caches in the backup. */
  parts: PartsSummary;
  records: number;
  bytes: number;
  /** Whether the backup proves who made it (FORMAT.md §3.4). */
  authentication: Authentication;
}

/** `verified`: its MAC checked out under this site's key or the key file given. */
export type Authentication =
  | { state: 'verified' }
  | { state: 'no-mac' }
  | { state: 'key-not-given'; keyId: string };

export interface RestoreReport {
  databases: number;
  stores: number;
  records: number;
  resealed: number;
  /** What was written beyond IndexedDB: items, files, cached responses. */
  parts: { localStorage?: number; opfsFiles?: number; cacheEntries?: number };
}

export interface KeyReplaced {
  keyId: string;
  oldKeyId: string | null;
  resealed: number;
}

/** Rejections: `name` is `CofferError` (or `AbortError`), `code` machine-readable. */
export interface CofferError extends Error {
  code: string;
}

export interface CofferBackupDone {
  fileName: string;
  records: number;
  bytes: number;
  /** What the backup holds beyond IndexedDB (skipped opaque responses included). */
  parts: PartsSummary;
  blob: Blob;
}

/** What a hook hears. `ok` is set for the `after` hooks. */
export interface CofferHookDetail {
  operation: 'backup' | 'restore';
  parts: CofferPart[];
  databases: string[];
  ok?: boolean;
}

/**
 * A hook the host app sets as a property of the element; awaited. A
 * `before` hook that throws or rejects fails the operation (code
 * `hook-failed`) before anything is read or written; an `after` hook's
 * failure is only logged.
 */
export type CofferHook = (detail: CofferHookDetail) => void | Promise<void>;

export interface CofferErrorDetail {
  code: string;
  message: string;
}

export interface CofferBackupEventMap extends HTMLElementEventMap {
  'coffer-ready': CustomEvent<{ keyId: string | null }>;
  'coffer-progress': CustomEvent<CofferProgress>;
  'coffer-backup-done': CustomEvent<CofferBackupDone>;
  'coffer-restore-done': CustomEvent<RestoreReport>;
  'coffer-key-replaced': CustomEvent<KeyReplaced>;
  'coffer-error': CustomEvent<CofferErrorDetail>;
  /** A backup became due: none yet, or the last one is older than the automatic schedule (or a week). */
  'coffer-backup-due': CustomEvent<{ lastBackup: Date | null }>;
}

/** An open encrypted store: values sealed with the site's master key. */
export interface CofferStore {
  readonly database: string;
  readonly store: string;
  put(key: IDBValidKey, value: unknown): Promise<void>;
  get(key: IDBValidKey): Promise<unknown>;
  delete(key: IDBValidKey): Promise<void>;
  list(): Promise<IDBValidKey[]>;
}

/**
 * `<coffer-backup>`. Attributes: `include`, `exclude` (database names and
 * `@local-storage`, `@opfs`, `@caches`, `@caches/<name>`; comma/space
 * separated, trailing `*` = prefix), `encrypted` (`db/store` pairs),
 * `locale`, `theme` (`light` | `dark` | `auto`), `compact`, `worker-url`.
 */
export class CofferBackupElement extends HTMLElement {
  /** Awaited before every backup: flush and close what the backup must read (e.g. close SQLite's OPFS files). */
  beforeBackup?: CofferHook;
  /** Called after every backup (reopen what `beforeBackup` closed). */
  afterBackup?: CofferHook;
  /** Awaited before every restore: release the files and caches it replaces. */
  beforeRestore?: CofferHook;
  /** Called after every restore. */
  afterRestore?: CofferHook;
  /** Resolves once the UI shows its first overview. */
  readonly ready: Promise<CofferBackupElement>;
  /** The current master key id (null before the overview has loaded or before any key exists). */
  readonly keyId: string | null;
  /** When the last good backup (manual, scripted or automatic) ended; null if none or before the UI loaded. */
  readonly lastBackup: Date | null;
  /** Reloads the store overview. */
  refresh(): void;
  backup(options?: BackupOptions): Promise<CofferBackupBlob>;
  restore(file: Blob, options?: RestoreOptions): Promise<RestoreReport>;
  inspect(file: Blob, options?: UnlockOptions): Promise<BackupSummary>;
  exportKey(options?: ExportKeyOptions): Promise<CofferKeyBlob>;
  replaceKey(keyFile: Blob | string | null, options?: ReplaceKeyOptions): Promise<KeyReplaced>;
  openStore(db: string, store: string): Promise<CofferStore>;
  addEventListener<K extends keyof CofferBackupEventMap>(type: K, listener: (this: CofferBackupElement, ev: CofferBackupEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof CofferBackupEventMap>(type: K, listener: (this: CofferBackupElement, ev: CofferBackupEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

/** Opens (creating and registering if needed) an encrypted store. */
export function openStore(db: string, store: string): Promise<CofferStore>;

/** The standalone page's `window.coffer` store API, same functions. */
export const coffer: {
  createEncryptedStore(db: string, store: string): Promise<void>;
  put(db: string, store: string, key: IDBValidKey, value: unknown): Promise<void>;
  get(db: string, store: string, key: IDBValidKey): Promise<unknown>;
  delete(db: string, store: string, key: IDBValidKey): Promise<void>;
  list(db: string, store: string): Promise<IDBValidKey[]>;
};

/** Loads the wasm (done automatically when an element connects). */
export function load(): Promise<void>;

declare global {
  interface HTMLElementTagNameMap {
    'coffer-backup': CofferBackupElement;
  }
}
