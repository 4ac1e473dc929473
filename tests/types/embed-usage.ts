// Type-level test of crates/coffer-embed/js/coffer-backup.d.ts, run by scripts/test.sh
// with `tsc --noEmit --strict`. Correct uses must compile, and each line
// marked with an expect-error directive must be rejected, or tsc fails
// ("unused directive").
import type { CofferBackupElement, BackupSummary, RestoreReport, KeyReplaced } from "../../crates/coffer-embed/js/coffer-backup";
import { openStore, coffer } from "../../crates/coffer-embed/js/coffer-backup";

async function usage(file: File, signal: AbortSignal): Promise<void> {
  const el = document.querySelector("coffer-backup");
  if (!el) return;
  const typed: CofferBackupElement = el; // the tag map knows the element
  const blob: Blob = await typed.backup({ signal, onProgress: (p) => void p });
  const summary: BackupSummary = await typed.inspect(file);
  const report: RestoreReport = await typed.restore(blob, { signal });
  const replaced: KeyReplaced = await typed.replaceKey(null);
  const key: Blob = await typed.exportKey();
  const id: string | null = typed.keyId;
  const last: Date | null = typed.lastBackup;
  typed.addEventListener("coffer-backup-due", (e) => {
    const when: Date | null = e.detail.lastBackup;
    void when;
  });
  void last;
  const store = await openStore("app", "tokens");
  await store.put("token", { value: 1 });
  const keys: IDBValidKey[] = await store.list();
  await coffer.put("app", "tokens", "k", new Uint8Array([1]));
  void [summary, report, replaced, key, id, keys];
  // The parts beyond IndexedDB and the hooks around a backup.
  typed.beforeBackup = async (d) => { if (d.parts.includes("opfs")) await Promise.resolve(); };
  typed.afterBackup = (d) => void d.ok;
  const parts: Blob = await typed.backup({ databases: [], parts: ["local-storage", "opfs", "caches"] });
  const files: number | undefined = summary.parts.opfs?.files;
  const skipped: string[] = (summary.parts.caches ?? []).flatMap((c) => c.skipped.map((s) => s.url));
  const written: number | undefined = report.parts.opfsFiles;
  void [parts, files, skipped, written];

  // @ts-expect-error lastBackup is read-only
  typed.lastBackup = new Date();
  // @ts-expect-error keyId is read-only
  typed.keyId = "x";
  // @ts-expect-error restore needs a file
  await typed.restore();
  // @ts-expect-error inspect takes a Blob, not a string
  await typed.inspect("backup.zip");
  // @ts-expect-error parts are local-storage, opfs and caches
  await typed.backup({ parts: ["indexeddb"] });
  // @ts-expect-error openStore needs a database and a store
  await openStore("app");
}
void usage;
