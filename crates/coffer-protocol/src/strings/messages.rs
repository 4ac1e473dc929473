//! Sentences with figures and names in them, and [`Msg`], the status
//! line's announcements as data.

use super::{failure, Lang, OTHER_TAB_KEY, OTHER_TAB_RESTORE, WAITING_FOR_LOCK};
use crate::error::Failure;
use crate::messages::WaitReason;
use crate::parts::{Part, RestoredParts};

/// An announcement of the status line. Kept as data and rendered when it
/// is shown, so it follows the UI's language.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Msg {
    /// Nothing to say.
    #[default]
    None,
    /// The sample database was created.
    SampleLoaded {
        /// Records created.
        records: u64,
    },
    /// A backup was saved.
    BackupCreated {
        /// Its file name.
        file_name: String,
        /// Records in it.
        records: u64,
        /// Its size.
        bytes: u64,
        /// Cached responses that could not be read (opaque) and are not in
        /// it.
        skipped: u64,
    },
    /// The host app made a backup through the element's API.
    BackupCreatedByApp {
        /// Records in it.
        records: u64,
    },
    /// A backup was validated.
    BackupChecked {
        /// Records in it.
        records: u64,
        /// Databases in it.
        databases: u64,
        /// Bytes of data in it.
        bytes: u64,
    },
    /// A restore finished.
    RestoreComplete {
        /// Records restored.
        records: u64,
        /// Stores restored.
        stores: u64,
        /// Databases restored.
        databases: u64,
        /// Records re-sealed to the current key.
        resealed: u64,
        /// What was restored beyond IndexedDB.
        parts: RestoredParts,
    },
    /// The host app restored a backup through the element's API.
    RestoreByApp {
        /// Records restored.
        records: u64,
    },
    /// The key file was downloaded.
    KeyDownloaded {
        /// Its file name.
        file_name: String,
        /// The key id's first 8 hex digits.
        short_id: String,
        /// Whether it is passphrase-protected.
        protected: bool,
    },
    /// The master key was replaced here.
    KeyReplaced {
        /// The new key id's first 8 hex digits.
        short_id: String,
        /// Records re-sealed.
        resealed: u64,
    },
    /// The host app replaced the key through the element's API.
    KeyReplacedByApp,
    /// Another tab replaced the master key.
    OtherTabKey,
    /// Another tab restored a backup.
    OtherTabRestore,
    /// The worker waits before it can start.
    Waiting(WaitReason),
    /// An operation failed.
    Failed(Failure),
    /// The automatic-backup settings were saved.
    AutoSaved,
    /// An automatic backup was written into the folder.
    AutoBackupWritten {
        /// Its file name.
        file_name: String,
        /// Older files the retention deleted.
        deleted: u64,
    },
    /// A destination was saved.
    DestinationSaved {
        /// Its id.
        id: String,
    },
    /// A destination was removed.
    DestinationRemoved {
        /// Its id.
        id: String,
    },
    /// A destination's connection test passed.
    DestinationOk {
        /// Its id.
        id: String,
        /// Backups found there.
        backups: u64,
    },
    /// A backup was sent to a destination.
    BackupSent {
        /// Where (`s3:<id>/<name>`).
        target: String,
        /// Its size.
        bytes: u64,
        /// Requests it went in.
        parts: u32,
    },
    /// A backup was downloaded from a destination for checking.
    RemoteFetched {
        /// Where from (`s3:<id>/<name>`).
        source: String,
    },
}

impl Msg {
    /// Whether this reports a failure.
    pub fn is_error(&self) -> bool {
        matches!(self, Msg::Failed(_))
    }

    /// The sentence in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let de = lang.de();
        match self {
            Msg::None => String::new(),
            Msg::SampleLoaded { records } => if de {
                format!("Beispieldaten geladen: {records} Datensätze in der Datenbank „coffer-demo“.")
            } else {
                format!("Sample data loaded: {records} records in database “coffer-demo”.")
            },
            Msg::BackupCreated { file_name, records, bytes: size, skipped } => {
                let mut t = if de {
                    format!("Backup erstellt: {file_name}, {records} Datensätze, {}.", bytes(*size))
                } else {
                    format!("Backup created: {file_name}, {records} records, {}.", bytes(*size))
                };
                if *skipped > 0 {
                    t.push(' ');
                    t.push_str(&lang.skipped_responses(*skipped));
                }
                t
            }
            Msg::BackupCreatedByApp { records } => if de {
                format!("Backup durch die App erstellt: {records} Datensätze.")
            } else {
                format!("Backup created by the app: {records} records.")
            },
            Msg::BackupChecked { records, databases, bytes: size } => if de {
                format!("Backup geprüft: {records} Datensätze in {databases} Datenbank(en), {}. Noch wurde nichts geschrieben.", bytes(*size))
            } else {
                format!("Backup checked: {records} records in {databases} database(s), {}. Nothing has been written yet.", bytes(*size))
            },
            Msg::RestoreComplete { records, stores, databases, resealed, parts } => {
                let mut t = if de {
                    format!("Wiederherstellung abgeschlossen: {records} Datensätze in {stores} Speicher(n) von {databases} Datenbank(en).")
                } else {
                    format!("Restore complete: {records} records in {stores} store(s) of {databases} database(s).")
                };
                if !parts.is_empty() {
                    t.push(' ');
                    t.push_str(&lang.restored_parts(parts));
                }
                if *resealed > 0 {
                    t.push_str(&if de {
                        format!(" {resealed} verschlüsselte Datensätze wurden mit dem aktuellen Hauptschlüssel neu versiegelt.")
                    } else {
                        format!(" {resealed} encrypted records were re-sealed to the current master key.")
                    });
                }
                t
            }
            Msg::RestoreByApp { records } => if de {
                format!("Wiederherstellung durch die App abgeschlossen: {records} Datensätze.")
            } else {
                format!("Restore by the app complete: {records} records.")
            },
            Msg::KeyDownloaded { file_name, short_id, protected } => match (de, protected) {
                (false, false) => format!("Key file {file_name} downloaded (key id {short_id}…)."),
                (false, true) => format!("Key file {file_name} downloaded (key id {short_id}…, protected by your passphrase)."),
                (true, false) => format!("Schlüsseldatei {file_name} heruntergeladen (Schlüssel-ID {short_id}…)."),
                (true, true) => format!("Schlüsseldatei {file_name} heruntergeladen (Schlüssel-ID {short_id}…, durch Ihre Passphrase geschützt)."),
            },
            Msg::KeyReplaced { short_id, resealed } => if de {
                format!("Hauptschlüssel ersetzt: neue Schlüssel-ID {short_id}…; {resealed} verschlüsselte Datensätze neu versiegelt. Ältere Backups brauchen die alte Schlüsseldatei. Exportieren Sie jetzt den neuen Schlüssel.")
            } else {
                format!("Master key replaced: new key id {short_id}…; {resealed} encrypted records re-sealed. Backups made before need the old key file. Export the new key now.")
            },
            Msg::KeyReplacedByApp => if de {
                "Hauptschlüssel durch die App ersetzt.".to_owned()
            } else {
                "Master key replaced by the app.".to_owned()
            },
            Msg::OtherTabKey => lang.t(OTHER_TAB_KEY).to_owned(),
            Msg::OtherTabRestore => lang.t(OTHER_TAB_RESTORE).to_owned(),
            Msg::Waiting(WaitReason::OtherTab) => lang.t(WAITING_FOR_LOCK).to_owned(),
            Msg::Waiting(WaitReason::DatabaseInUse { database }) => if de {
                format!("Warte darauf, dass andere Tabs die Datenbank „{database}“ schließen…")
            } else {
                format!("Waiting for other tabs to close database “{database}”…")
            },
            Msg::Failed(f) => failure(lang, f),
            Msg::AutoSaved => lang.t(super::AUTO_SAVED).to_owned(),
            Msg::AutoBackupWritten { file_name, deleted } => {
                super::auto_done(lang, file_name, *deleted as usize)
            }
            Msg::DestinationSaved { id } => super::dest_saved(lang, id),
            Msg::DestinationRemoved { id } => super::dest_removed(lang, id),
            Msg::DestinationOk { id, backups } => super::dest_ok(lang, id, *backups),
            Msg::BackupSent { target, bytes: size, parts } => {
                super::backup_sent(lang, target, &bytes(*size), *parts)
            }
            Msg::RemoteFetched { source } => super::remote_fetched(lang, source),
        }
    }
}

impl Lang {
    /// Accessible name of a database checkbox; `restore` chooses the verb.
    pub fn select_db(self, restore: bool, name: &str) -> String {
        match (self.de(), restore) {
            (false, false) => format!("Back up database {name}"),
            (false, true) => format!("Restore database {name}"),
            (true, false) => format!("Datenbank {name} sichern"),
            (true, true) => format!("Datenbank {name} wiederherstellen"),
        }
    }

    /// A part's name: "Local storage (localStorage)", …
    pub fn part_label(self, part: Part) -> &'static str {
        match (self.de(), part) {
            (false, Part::LocalStorage) => "Local storage (localStorage)",
            (false, Part::Opfs) => "Private file system (OPFS)",
            (false, Part::Caches) => "Cache Storage",
            (true, Part::LocalStorage) => "Lokaler Speicher (localStorage)",
            (true, Part::Opfs) => "Privates Dateisystem (OPFS)",
            (true, Part::Caches) => "Cache-Speicher (Cache Storage)",
        }
    }

    /// Accessible name of a part's checkbox; `restore` chooses the verb.
    pub fn select_part(self, restore: bool, part: Part) -> String {
        let name = self.part_label(part);
        match (self.de(), restore) {
            (false, false) => format!("Back up {name}"),
            (false, true) => format!("Restore {name}"),
            (true, false) => format!("{name} sichern"),
            (true, true) => format!("{name} wiederherstellen"),
        }
    }

    /// Accessible name of a cache's checkbox; `restore` chooses the verb.
    pub fn select_cache(self, restore: bool, cache: &str) -> String {
        match (self.de(), restore) {
            (false, false) => format!("Back up cache {cache}"),
            (false, true) => format!("Restore cache {cache}"),
            (true, false) => format!("Cache {cache} sichern"),
            (true, true) => format!("Cache {cache} wiederherstellen"),
        }
    }

    /// localStorage's figures.
    pub fn items(self, n: u64) -> String {
        if self.de() {
            format!("{n} Einträge")
        } else {
            format!("{n} items")
        }
    }

    /// The OPFS tree's figures.
    pub fn files_in_folders(self, files: u64, folders: u64) -> String {
        if self.de() {
            format!("{files} Dateien in {folders} Ordnern")
        } else {
            format!("{files} files in {folders} folders")
        }
    }

    /// A cache's figures.
    pub fn responses(self, n: u64) -> String {
        if self.de() {
            format!("{n} Antworten")
        } else {
            format!("{n} responses")
        }
    }

    /// Opaque responses that cannot be (or were not) backed up.
    pub fn skipped_responses(self, n: u64) -> String {
        if self.de() {
            format!("{n} zwischengespeicherte Antwort(en) sind undurchsichtig (opaque, von einer anderen Website ohne CORS geladen) und können nicht gelesen werden; sie sind nicht im Backup.")
        } else {
            format!("{n} cached response(s) are opaque (loaded from another site without CORS) and cannot be read; they are not in the backup.")
        }
    }

    /// What a restore wrote beyond IndexedDB.
    pub fn restored_parts(self, p: &RestoredParts) -> String {
        let de = self.de();
        let mut out = Vec::new();
        if let Some(n) = p.local_storage {
            out.push(format!(
                "{}: {}",
                self.part_label(Part::LocalStorage),
                self.items(n)
            ));
        }
        if let Some(n) = p.opfs_files {
            out.push(if de {
                format!("{}: {n} Dateien", self.part_label(Part::Opfs))
            } else {
                format!("{}: {n} files", self.part_label(Part::Opfs))
            });
        }
        if let Some(n) = p.cache_entries {
            out.push(format!(
                "{}: {}",
                self.part_label(Part::Caches),
                self.responses(n)
            ));
        }
        if de {
            format!("Außerdem wiederhergestellt: {}.", out.join("; "))
        } else {
            format!("Also restored: {}.", out.join("; "))
        }
    }

    /// What restoring a part does to this site.
    pub fn part_effect(self, part: Part, exists: bool) -> &'static str {
        match (self.de(), part, exists) {
            (false, Part::LocalStorage, _) => "replaces all of localStorage",
            (false, Part::Opfs, _) => "replaces the whole file system",
            (false, Part::Caches, true) => "replaces the existing cache",
            (false, Part::Caches, false) => "new",
            (true, Part::LocalStorage, _) => "ersetzt den ganzen localStorage",
            (true, Part::Opfs, _) => "ersetzt das ganze Dateisystem",
            (true, Part::Caches, true) => "ersetzt den vorhandenen Cache",
            (true, Part::Caches, false) => "neu",
        }
    }

    /// Accessible name of a store checkbox; `restore` chooses the verb.
    pub fn select_store(self, restore: bool, db: &str, store: &str) -> String {
        match (self.de(), restore) {
            (false, false) => format!("Back up store {db}/{store}"),
            (false, true) => format!("Restore store {db}/{store}"),
            (true, false) => format!("Speicher {db}/{store} sichern"),
            (true, true) => format!("Speicher {db}/{store} wiederherstellen"),
        }
    }

    /// The master key id under the overview.
    pub fn master_key_id(self, id: &str) -> String {
        if self.de() {
            format!("Hauptschlüssel-ID: {id}")
        } else {
            format!("Master key id: {id}")
        }
    }

    /// The (shortened) current key id on the export card.
    pub fn current_key_id(self, short: &str) -> String {
        if self.de() {
            format!("Aktuelle Schlüssel-ID: {short}…")
        } else {
            format!("Current key id: {short}…")
        }
    }

    /// The encrypted stores need the key file of key `id`.
    pub fn need_key_file(self, id: &str) -> String {
        if self.de() {
            format!("Die verschlüsselten Speicher brauchen die Schlüsseldatei der Hauptschlüssel-ID {id}.")
        } else {
            format!("The encrypted stores need the key file of master key id {id}.")
        }
    }

    /// When a backup was created (and whether it is locked).
    pub fn created(self, when: &str, locked: bool) -> String {
        match (self.de(), locked) {
            (false, false) => format!("Created {when}"),
            (false, true) => format!("Created {when} · passphrase-locked"),
            (true, false) => format!("Erstellt {when}"),
            (true, true) => format!("Erstellt {when} · mit Passphrase gesperrt"),
        }
    }

    /// How the backup's key relates to this site's.
    pub fn backup_key(self, id: Option<&str>, current: Option<&str>, key_ok: bool) -> String {
        let de = self.de();
        match id {
            Some(b) if Some(b) == current => {
                if de {
                    format!("Hauptschlüssel-ID {b}: entspricht dem Schlüssel dieser Website.")
                } else {
                    format!("Master key id {b}: matches this site's key.")
                }
            }
            Some(b) if key_ok => {
                if de {
                    format!("Versiegelt unter Schlüssel-ID {b}: Datensätze werden mit dem Schlüssel dieser Website neu versiegelt.")
                } else {
                    format!(
                        "Sealed under key id {b}: records will be re-sealed to this site's key."
                    )
                }
            }
            Some(b) => {
                if de {
                    format!(
                        "Versiegelt unter Schlüssel-ID {b}: nicht der Schlüssel dieser Website."
                    )
                } else {
                    format!("Sealed under key id {b}: not this site's key.")
                }
            }
            None => self.t("No master key recorded.").to_owned(),
        }
    }

    /// What an unauthenticated backup means, or `None` for an
    /// authenticated one.
    pub fn authentication(self, a: &crate::messages::Authentication) -> Option<String> {
        use crate::messages::Authentication as A;
        let de = self.de();
        Some(match a {
            A::Verified => return None,
            A::NoMac if de => "Nicht authentifiziert: Dieses Backup trägt keinen Authentifizierungscode (es wurde ohne Hauptschlüssel erstellt, etwa von einer älteren Coffer-Version). Jeder könnte seinen Inhalt verändert haben; die Prüfsummen erkennen nur versehentliche Schäden. Stellen Sie es nur wieder her, wenn Sie seiner Herkunft vertrauen.".to_owned(),
            A::NoMac => "Unauthenticated: this backup carries no authentication code (it was made without a master key, e.g. by an older Coffer). Anyone could have changed its contents; its checksums only catch accidental damage. Restore it only if you trust where it came from.".to_owned(),
            A::KeyNotGiven { key_id } if de => format!("Nicht authentifiziert: Der Authentifizierungscode dieses Backups braucht den Hauptschlüssel {key_id}, der hier nicht vorliegt. Ohne dessen Schlüsseldatei belegt nichts, dass der Inhalt unverändert ist. Geben Sie die Schlüsseldatei an oder stellen Sie es nur wieder her, wenn Sie seiner Herkunft vertrauen."),
            A::KeyNotGiven { key_id } => format!("Unauthenticated: this backup's authentication code needs master key {key_id}, which is not at hand. Without that key file nothing proves its contents are unchanged. Supply the key file, or restore it only if you trust where it came from."),
        })
    }

    /// How much of its quota the origin uses.
    pub fn storage_usage(self, used: &str, quota: &str) -> String {
        if self.de() {
            format!("Speicher: {used} von {quota} belegt.")
        } else {
            format!("Storage: {used} of {quota} used.")
        }
    }

    /// Whether the browser keeps the origin's data.
    pub fn persistence(self, persisted: bool) -> &'static str {
        match (self.de(), persisted) {
            (false, true) => "Persistent: the browser will not evict this site's data.",
            (false, false) => "Not persistent: the browser may delete this site's data when space runs low. Keep your backups elsewhere.",
            (true, true) => "Dauerhaft: Der Browser löscht die Daten dieser Website nicht von sich aus.",
            (true, false) => "Nicht dauerhaft: Der Browser darf die Daten dieser Website löschen, wenn der Platz knapp wird. Bewahren Sie Ihre Backups woanders auf.",
        }
    }

    /// Progress: `done of total`.
    pub fn of(self, done: &str, total: &str) -> String {
        if self.de() {
            format!("{done} von {total}")
        } else {
            format!("{done} of {total}")
        }
    }

    /// Progress: `n records`.
    pub fn records(self, n: &str) -> String {
        if self.de() {
            format!("{n} Datensätze")
        } else {
            format!("{n} records")
        }
    }
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
    use super::*;
    use crate::error::ErrorCode;

    /// One of each announcement.
    fn every_msg() -> Vec<Msg> {
        vec![
            Msg::SampleLoaded { records: 1 },
            Msg::BackupCreated {
                file_name: "f.zip".into(),
                records: 1,
                bytes: 2,
                skipped: 1,
            },
            Msg::BackupCreatedByApp { records: 1 },
            Msg::BackupChecked {
                records: 1,
                databases: 1,
                bytes: 1,
            },
            Msg::RestoreComplete {
                records: 1,
                stores: 1,
                databases: 1,
                resealed: 1,
                parts: RestoredParts {
                    local_storage: Some(2),
                    opfs_files: Some(3),
                    cache_entries: Some(4),
                },
            },
            Msg::RestoreByApp { records: 1 },
            Msg::KeyDownloaded {
                file_name: "k.json".into(),
                short_id: "abcd".into(),
                protected: true,
            },
            Msg::KeyReplaced {
                short_id: "abcd".into(),
                resealed: 3,
            },
            Msg::KeyReplacedByApp,
            Msg::OtherTabKey,
            Msg::OtherTabRestore,
            Msg::Waiting(WaitReason::OtherTab),
            Msg::Waiting(WaitReason::DatabaseInUse {
                database: "db".into(),
            }),
            Msg::Failed(Failure::new(ErrorCode::HashMismatch, "x")),
            Msg::AutoSaved,
            Msg::AutoBackupWritten {
                file_name: "coffer-auto-x.zip".into(),
                deleted: 2,
            },
            Msg::DestinationSaved { id: "a".into() },
            Msg::DestinationRemoved { id: "a".into() },
            Msg::DestinationOk {
                id: "a".into(),
                backups: 2,
            },
            Msg::BackupSent {
                target: "s3:a/coffer-backup-1.zip".into(),
                bytes: 3,
                parts: 2,
            },
            Msg::RemoteFetched {
                source: "s3:a/coffer-backup-1.zip".into(),
            },
        ]
    }

    #[test]
    fn every_announcement_is_translated() {
        for m in every_msg() {
            let (en, de) = (m.text(Lang::En), m.text(Lang::De));
            assert!(!en.is_empty(), "{m:?}");
            assert_ne!(en, de, "untranslated: {m:?}");
        }
        assert_eq!(Msg::None.text(Lang::De), "");
    }

    #[test]
    fn every_wait_reason_says_what_it_waits_for() {
        let tab = Msg::Waiting(WaitReason::OtherTab);
        assert!(tab.text(Lang::En).starts_with("Waiting for another tab"));
        assert!(tab
            .text(Lang::De)
            .starts_with("Warte auf einen anderen Tab"));
        let db = Msg::Waiting(WaitReason::DatabaseInUse {
            database: "notes".into(),
        });
        assert!(db.text(Lang::De).contains("„notes“"));
    }

    #[test]
    fn byte_formatting() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 << 20), "5.0 MiB");
    }

    #[test]
    fn figures_in_both_languages() {
        let m = Msg::RestoreComplete {
            records: 1,
            stores: 2,
            databases: 3,
            resealed: 4,
            parts: RestoredParts::default(),
        };
        assert!(m.text(Lang::De).starts_with("Wiederherstellung"));
        assert!(m
            .text(Lang::En)
            .contains("4 encrypted records were re-sealed"));
        assert_eq!(Lang::De.of("1", "2"), "1 von 2");
        use crate::messages::Authentication as A;
        assert_eq!(Lang::De.authentication(&A::Verified), None);
        for a in [
            A::NoMac,
            A::KeyNotGiven {
                key_id: "ab".into(),
            },
        ] {
            let (en, de) = (Lang::En.authentication(&a), Lang::De.authentication(&a));
            assert!(en.is_some() && de.is_some() && en != de, "{a:?}");
        }
        for persisted in [true, false] {
            assert_ne!(
                Lang::En.persistence(persisted),
                Lang::De.persistence(persisted)
            );
        }
        assert_eq!(
            Lang::De.storage_usage("1 B", "2 B"),
            "Speicher: 1 B von 2 B belegt."
        );
    }

    #[test]
    fn every_part_sentence_is_translated() {
        for part in Part::ALL {
            assert_ne!(Lang::En.part_label(part), Lang::De.part_label(part));
            for restore in [false, true] {
                assert_ne!(
                    Lang::En.select_part(restore, part),
                    Lang::De.select_part(restore, part)
                );
                for exists in [false, true] {
                    assert_ne!(
                        Lang::En.part_effect(part, exists),
                        Lang::De.part_effect(part, exists)
                    );
                }
            }
        }
        assert_ne!(
            Lang::En.select_cache(true, "c"),
            Lang::De.select_cache(true, "c")
        );
        assert_ne!(Lang::En.items(1), Lang::De.items(1));
        assert_ne!(
            Lang::En.files_in_folders(1, 2),
            Lang::De.files_in_folders(1, 2)
        );
        assert_ne!(Lang::En.responses(1), Lang::De.responses(1));
        assert_ne!(Lang::En.skipped_responses(1), Lang::De.skipped_responses(1));
        let m = Msg::BackupCreated {
            file_name: "f.zip".into(),
            records: 1,
            bytes: 2,
            skipped: 2,
        };
        assert!(m.text(Lang::En).contains("2 cached response(s) are opaque"));
        let p = RestoredParts {
            local_storage: Some(5),
            opfs_files: None,
            cache_entries: Some(1),
        };
        assert_eq!(
            Lang::En.restored_parts(&p),
            "Also restored: Local storage (localStorage): 5 items; Cache Storage: 1 responses."
        );
    }
}
