//! Every sentence the UI shows, in one place (English; other languages can
//! be added here later).

/// Page title.
pub const TITLE: &str = "Backup Management";
/// Intro under the title.
pub const INTRO: &str = "Back up and restore the IndexedDB data of this site, and manage the master key that protects its encrypted stores. Everything happens in this browser; nothing is uploaded.";
/// The lock is held by another tab.
pub const WAITING_FOR_LOCK: &str =
    "Waiting for another tab: it is running a backup, restore or key replacement. This starts as soon as it finishes…";
/// Progress text while waiting for the lock.
pub const WAITING_SHORT: &str = "Waiting for another tab…";
/// Nothing selected.
pub const NOTHING_SELECTED: &str = "Select at least one store.";
/// The demo database exists already.
pub const SAMPLE_EXISTS: &str = "The sample database already exists.";
/// Replacing a key with itself.
pub const SAME_KEY: &str = "That is already the current master key.";

/// Card: create backup.
pub const BACKUP_TITLE: &str = "Create backup";
/// What a backup does.
pub const BACKUP_TEXT: &str = "Downloads one ZIP file with the selected databases: schema, key generators and every record. Each database is read in one transaction, so the backup is a consistent snapshot even while the site keeps working. Encrypted stores are copied sealed, exactly as stored.";
/// Risk of a backup.
pub const BACKUP_RISK: &str = "Anyone with the file can read the plain stores. Protect it with a passphrase, or keep it somewhere safe. Encrypted stores need the master key file to be restored on another key.";

/// Card: restore backup.
pub const RESTORE_TITLE: &str = "Restore backup";
/// What a restore does.
pub const RESTORE_TEXT: &str = "Checks a backup file completely, shows what it holds, then replaces the selected stores with the backup's contents. Each database is restored all or nothing; stores that are not selected are left alone.";
/// Risk of a restore.
pub const RESTORE_RISK: &str =
    "The selected stores are overwritten: records added since the backup are lost.";

/// Card: export key.
pub const EXPORT_TITLE: &str = "Export master key";
/// What export does.
pub const EXPORT_TEXT: &str = "Downloads the master key as a key file, optionally protected by a passphrase. You need it to restore encrypted stores on another browser or after the key was replaced.";
/// Risk of export.
pub const EXPORT_RISK: &str = "Whoever holds an unprotected key file can decrypt every encrypted store and backup of this site. Store it offline; use a passphrase.";

/// Card: replace key.
pub const REPLACE_TITLE: &str = "Replace master key";
/// What replace does.
pub const REPLACE_TEXT: &str = "Generates a new key or imports a key file, and re-seals every encrypted store under it in one go. The new key is used at once, in every open tab.";
/// Risk of replace.
pub const REPLACE_RISK: &str = "Backups made before the replacement need the old key file to restore their encrypted stores: export the current key first.";

/// Another tab replaced the key.
pub const OTHER_TAB_KEY: &str =
    "The master key was replaced in another tab; this page now uses the new key.";
/// Another tab restored a backup.
pub const OTHER_TAB_RESTORE: &str = "Another tab restored a backup; the overview was reloaded.";
/// Empty origin.
pub const EMPTY: &str = "This site has no IndexedDB data yet.";

/// Waiting for other tabs to close a database.
pub fn waiting_for_close(db: &str) -> String {
    format!("Waiting for other tabs to close database “{db}”…")
}

/// A restore needs the backup's key file.
pub fn key_required(id: &str) -> String {
    format!("This backup's encrypted stores were sealed under master key id {id}. Supply that key file to restore them, or deselect the encrypted stores.")
}

/// Human-readable byte count.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_formatting() {
        assert_eq!(super::bytes(0), "0 B");
        assert_eq!(super::bytes(1023), "1023 B");
        assert_eq!(super::bytes(1536), "1.5 KiB");
        assert_eq!(super::bytes(5 << 20), "5.0 MiB");
    }
}
