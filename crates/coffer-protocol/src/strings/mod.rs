//! Every sentence the UI shows, in one place: English (the constants and
//! the `en` branches) and German ([`DE`], the `de` branches). Nothing here
//! is a per-thread setting: every text is produced for an explicit
//! [`Lang`], so two embedded UIs with different locales on one page each
//! keep their language.
//!
//! - [`Lang::t`] translates a fixed text (the constants below and the
//!   literals the UI passes);
//! - [`Msg`] is an announcement (the status line) as data, rendered with
//!   [`Msg::text`] in whatever language is current when it is shown;
//! - [`failure`] says a [`crate::Failure`] in words, by its code.
//!
//! To add a language, add a [`Lang`] variant, a table like [`DE`] and a
//! branch to every function.

mod auto;
mod dest;
mod errors;
mod messages;

pub use auto::*;
pub use dest::*;

pub use errors::failure;
pub use messages::{bytes, Msg};

/// A language of the UI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English (the default and fallback).
    #[default]
    En,
    /// German.
    De,
}

impl Lang {
    /// Every language.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::De];

    /// The language of a BCP 47 tag: `de`, `de-DE`, `de_AT`, … are
    /// German; everything else (also empty) is English.
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "de" => Lang::De,
            _ => Lang::En,
        }
    }

    /// The primary language subtag (`en`, `de`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// `en` in this language (itself if there is no translation).
    pub fn t(self, en: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::De => DE
                .iter()
                .chain(auto::DE_AUTO)
                .chain(dest::DE_DEST)
                .find(|(e, _)| *e == en)
                .map_or(en, |(_, d)| *d),
        }
    }

    fn de(self) -> bool {
        self == Lang::De
    }
}

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
/// The browser has no save dialog (`showSaveFilePicker`, e.g. Firefox):
/// backups are downloaded instead.
pub const NO_SAVE_PICKER: &str =
    "This browser cannot ask where to save a file: backups go to its downloads folder.";
/// German translations of every fixed text, keyed by the English one.
pub const DE: &[(&str, &str)] = &[
    (TITLE, "Backup-Verwaltung"),
    (INTRO, "Sichern und wiederherstellen Sie die IndexedDB-Daten dieser Website und verwalten Sie den Hauptschlüssel, der ihre verschlüsselten Speicher schützt. Alles geschieht in diesem Browser; nichts wird hochgeladen."),
    (WAITING_FOR_LOCK, "Warte auf einen anderen Tab: Dort läuft ein Backup, eine Wiederherstellung oder ein Schlüsseltausch. Es geht weiter, sobald er fertig ist…"),
    (WAITING_SHORT, "Warte auf einen anderen Tab…"),
    (NOTHING_SELECTED, "Wählen Sie mindestens einen Speicher aus."),
    (SAMPLE_EXISTS, "Die Beispieldatenbank existiert bereits."),
    (SAME_KEY, "Das ist bereits der aktuelle Hauptschlüssel."),
    (BACKUP_TITLE, "Backup erstellen"),
    (BACKUP_TEXT, "Lädt eine ZIP-Datei mit den ausgewählten Datenbanken herunter: Schema, Schlüsselgeneratoren und alle Datensätze. Jede Datenbank wird in einer Transaktion gelesen; das Backup ist also ein konsistenter Stand, auch während die Website weiterarbeitet. Verschlüsselte Speicher werden versiegelt kopiert, genau wie gespeichert."),
    (BACKUP_RISK, "Wer die Datei hat, kann die unverschlüsselten Speicher lesen. Schützen Sie sie mit einer Passphrase oder bewahren Sie sie sicher auf. Verschlüsselte Speicher brauchen die Schlüsseldatei des Hauptschlüssels, um unter einem anderen Schlüssel wiederhergestellt zu werden."),
    (RESTORE_TITLE, "Backup wiederherstellen"),
    (RESTORE_TEXT, "Prüft eine Backup-Datei vollständig, zeigt ihren Inhalt und ersetzt dann die ausgewählten Speicher durch den Inhalt des Backups. Jede Datenbank wird ganz oder gar nicht wiederhergestellt; nicht ausgewählte Speicher bleiben unberührt."),
    (RESTORE_RISK, "Die ausgewählten Speicher werden überschrieben: Seit dem Backup hinzugekommene Datensätze gehen verloren."),
    (EXPORT_TITLE, "Hauptschlüssel exportieren"),
    (EXPORT_TEXT, "Lädt den Hauptschlüssel als Schlüsseldatei herunter, auf Wunsch durch eine Passphrase geschützt. Sie brauchen sie, um verschlüsselte Speicher in einem anderen Browser oder nach einem Schlüsseltausch wiederherzustellen."),
    (EXPORT_RISK, "Wer eine ungeschützte Schlüsseldatei besitzt, kann jeden verschlüsselten Speicher und jedes Backup dieser Website entschlüsseln. Bewahren Sie sie offline auf; verwenden Sie eine Passphrase."),
    (REPLACE_TITLE, "Hauptschlüssel ersetzen"),
    (REPLACE_TEXT, "Erzeugt einen neuen Schlüssel oder importiert eine Schlüsseldatei und versiegelt alle verschlüsselten Speicher in einem Schritt neu. Der neue Schlüssel gilt sofort, in jedem offenen Tab."),
    (REPLACE_RISK, "Backups von vor dem Austausch brauchen die alte Schlüsseldatei, um ihre verschlüsselten Speicher wiederherzustellen: Exportieren Sie zuerst den aktuellen Schlüssel."),
    (OTHER_TAB_KEY, "Der Hauptschlüssel wurde in einem anderen Tab ersetzt; diese Seite verwendet jetzt den neuen Schlüssel."),
    (OTHER_TAB_RESTORE, "Ein anderer Tab hat ein Backup wiederhergestellt; die Übersicht wurde neu geladen."),
    (EMPTY, "Diese Website hat noch keine IndexedDB-Daten."),
    (NO_SAVE_PICKER, "Dieser Browser kann nicht nach dem Speicherort fragen: Backups landen in seinem Download-Ordner."),
    // Overview.
    ("Stores", "Speicher"),
    ("Loading…", "Wird geladen…"),
    ("Load sample data", "Beispieldaten laden"),
    ("Database", "Datenbank"),
    ("Store", "Speicher"),
    ("Records", "Datensätze"),
    ("Size", "Größe"),
    ("encrypted", "verschlüsselt"),
    ("no stores", "keine Speicher"),
    ("Other storage", "Weiterer Speicher"),
    ("No master key yet (one is created on first use).", "Noch kein Hauptschlüssel (er wird bei der ersten Verwendung erzeugt)."),
    ("Ask the browser to keep this data", "Den Browser bitten, diese Daten zu behalten"),
    // Backup card.
    ("Enter a passphrase, or untick “Encrypt the whole backup”.", "Geben Sie eine Passphrase ein oder entfernen Sie das Häkchen bei „Ganzes Backup verschlüsseln“."),
    ("Encrypt the whole backup with a passphrase", "Ganzes Backup mit einer Passphrase verschlüsseln"),
    ("Backup passphrase", "Backup-Passphrase"),
    ("Choose where to save", "Speicherort wählen"),
    ("Backup progress", "Backup-Fortschritt"),
    ("the backup file is missing", "die Backup-Datei fehlt"),
    ("unexpected answer", "unerwartete Antwort"),
    // Progress.
    ("Starting", "Starte"),
    ("Reading", "Lesen"),
    ("Writing", "Schreiben"),
    ("Checking", "Prüfen"),
    ("Restoring", "Wiederherstellen"),
    ("Re-sealing", "Neu versiegeln"),
    ("Cancel", "Abbrechen"),
    // Keys.
    ("Export the master key?", "Hauptschlüssel exportieren?"),
    ("Key file passphrase (optional, recommended)", "Passphrase der Schlüsseldatei (optional, empfohlen)"),
    ("Download key file", "Schlüsseldatei herunterladen"),
    ("the key file is missing", "die Schlüsseldatei fehlt"),
    ("Choose the key file to import.", "Wählen Sie die zu importierende Schlüsseldatei."),
    ("Key replacement progress", "Fortschritt des Schlüsseltauschs"),
    ("Replace the master key?", "Hauptschlüssel ersetzen?"),
    ("Generate a new key", "Neuen Schlüssel erzeugen"),
    ("Import a key file", "Schlüsseldatei importieren"),
    ("New key file", "Neue Schlüsseldatei"),
    ("Its passphrase (if any)", "Ihre Passphrase (falls vorhanden)"),
    ("Replace key", "Schlüssel ersetzen"),
    // Restore card.
    ("Backup file", "Backup-Datei"),
    ("or drop it here", "oder hier ablegen"),
    ("Unlock", "Entsperren"),
    ("The encrypted stores need the key file of the backup's master key.", "Die verschlüsselten Speicher brauchen die Schlüsseldatei des Hauptschlüssels des Backups."),
    ("Key file", "Schlüsseldatei"),
    ("Key file passphrase (if any)", "Passphrase der Schlüsseldatei (falls vorhanden)"),
    ("Use key file", "Schlüsseldatei verwenden"),
    ("No master key recorded.", "Kein Hauptschlüssel vermerkt."),
    ("Effect", "Auswirkung"),
    ("overwrites existing store", "überschreibt vorhandenen Speicher"),
    ("new", "neu"),
    ("Restore progress", "Wiederherstellungsfortschritt"),
    ("Restore this backup?", "Dieses Backup wiederherstellen?"),
    ("These stores will be replaced by the backup's contents. Records added since the backup are lost:", "Diese Speicher werden durch den Inhalt des Backups ersetzt. Seit dem Backup hinzugekommene Datensätze gehen verloren:"),
    ("Restore now", "Jetzt wiederherstellen"),
    ("I trust where this file came from: restore it although it is unauthenticated", "Ich vertraue der Herkunft dieser Datei: trotz fehlender Authentifizierung wiederherstellen"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_from_tags() {
        for tag in ["de", "de-DE", "DE_at", " de-CH "] {
            assert_eq!(Lang::from_tag(tag), Lang::De, "{tag}");
        }
        for tag in ["", "en", "en-US", "fr", "deu", "nl-DE"] {
            assert_eq!(Lang::from_tag(tag), Lang::En, "{tag}");
        }
    }

    #[test]
    fn german_is_complete_and_unambiguous() {
        let mut seen = std::collections::HashSet::new();
        for (en, de) in DE {
            assert!(seen.insert(*en), "twice: {en}");
            assert!(!de.is_empty() && de != en, "untranslated: {en}");
        }
        assert_eq!(Lang::De.t(BACKUP_TITLE), "Backup erstellen");
        assert_eq!(Lang::En.t(BACKUP_TITLE), BACKUP_TITLE);
        assert!(Lang::De.t(NO_SAVE_PICKER).starts_with("Dieser Browser"));
        assert_eq!(Lang::De.t("not a known text"), "not a known text");
    }
}
