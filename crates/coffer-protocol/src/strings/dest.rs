//! Texts of the "Destinations" card and of sending a backup to a
//! destination (English constants, German in [`DE_DEST`]).

use super::Lang;

/// Card: destinations.
pub const DEST_TITLE: &str = "Destinations";
/// What destinations are.
pub const DEST_TEXT: &str = "S3-compatible storage or a WebDAV share that backups can be sent to and restored from. Their settings and credentials are kept in this browser, sealed under the master key; they are never shown again.";
/// Risk of destinations.
pub const DEST_RISK: &str = "Whoever can read the bucket or share can read plain backups: send backups locked with the master key (the default).";
/// No destination yet.
pub const DEST_NONE: &str = "No destination yet.";

/// German translations of the texts above and of the literals the
/// destinations card passes to [`Lang::t`].
pub const DE_DEST: &[(&str, &str)] = &[
    (DEST_TITLE, "Ziele"),
    (DEST_TEXT, "S3-kompatibler Speicher oder eine WebDAV-Freigabe, wohin Backups gesendet und woraus sie wiederhergestellt werden können. Einstellungen und Zugangsdaten bleiben in diesem Browser, versiegelt unter dem Hauptschlüssel; sie werden nie wieder angezeigt."),
    (DEST_RISK, "Wer den Bucket oder die Freigabe lesen kann, kann unverschlüsselte Backups lesen: Senden Sie Backups mit dem Hauptschlüssel gesperrt (die Voreinstellung)."),
    (DEST_NONE, "Noch kein Ziel."),
    ("Add destination", "Ziel hinzufügen"),
    ("Kind", "Art"),
    ("S3-compatible storage", "S3-kompatibler Speicher"),
    ("WebDAV share", "WebDAV-Freigabe"),
    ("Name (letters, digits, - and _)", "Name (Buchstaben, Ziffern, - und _)"),
    ("Endpoint", "Endpunkt"),
    ("Region", "Region"),
    ("Bucket", "Bucket"),
    ("Prefix (folder in the bucket)", "Präfix (Ordner im Bucket)"),
    ("Access key id", "Zugriffsschlüssel-ID"),
    ("Secret access key", "Geheimer Zugriffsschlüssel"),
    ("Address of the folder", "Adresse des Ordners"),
    ("User name", "Benutzername"),
    ("Password", "Passwort"),
    ("Leave empty to keep the stored one.", "Leer lassen, um den gespeicherten zu behalten."),
    ("Save destination", "Ziel speichern"),
    ("Test connection", "Verbindung testen"),
    ("Show backups", "Backups anzeigen"),
    ("Edit", "Bearbeiten"),
    ("Remove", "Entfernen"),
    ("Cancel", "Abbrechen"),
    ("Restore…", "Wiederherstellen…"),
    ("Size", "Größe"),
    ("Modified", "Geändert"),
    ("File", "Datei"),
    ("No backups on this destination.", "Keine Backups auf diesem Ziel."),
    ("Send to destination", "An Ziel senden"),
    ("Do not send (download only)", "Nicht senden (nur herunterladen)"),
    ("Lock with the master key", "Mit dem Hauptschlüssel sperren"),
    ("Backups on", "Backups auf"),
    ("Destination progress", "Fortschritt beim Ziel"),
    ("Back up to", "Sichern nach"),
    ("The folder", "Den Ordner"),
];

/// "Destination “id” saved."
pub fn dest_saved(lang: Lang, id: &str) -> String {
    match lang {
        Lang::En => format!("Destination “{id}” saved."),
        Lang::De => format!("Ziel „{id}“ gespeichert."),
    }
}

/// "Destination “id” removed."
pub fn dest_removed(lang: Lang, id: &str) -> String {
    match lang {
        Lang::En => format!("Destination “{id}” removed; its backups stay where they are."),
        Lang::De => format!("Ziel „{id}“ entfernt; seine Backups bleiben, wo sie sind."),
    }
}

/// "Connection to “id” works: …"
pub fn dest_ok(lang: Lang, id: &str, backups: u64) -> String {
    match lang {
        Lang::En => format!("Connection to “{id}” works: listing, writing and deleting are allowed; {backups} backup(s) there."),
        Lang::De => format!("Verbindung zu „{id}“ funktioniert: Auflisten, Schreiben und Löschen sind erlaubt; {backups} Backup(s) dort."),
    }
}

/// "Backup sent to s3:id/name …"
pub fn backup_sent(lang: Lang, target: &str, size: &str, parts: u32) -> String {
    match lang {
        Lang::En => format!("Backup sent to {target} ({size} in {parts} part(s))."),
        Lang::De => format!("Backup gesendet an {target} ({size} in {parts} Teil(en))."),
    }
}

/// "Backup “name” downloaded from the destination: checking it…"
pub fn remote_fetched(lang: Lang, source: &str) -> String {
    match lang {
        Lang::En => format!("Downloaded {source}; it is checked before anything is written."),
        Lang::De => {
            format!("{source} heruntergeladen; es wird geprüft, bevor etwas geschrieben wird.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_destination_texts_are_complete_and_unambiguous() {
        let mut seen = std::collections::HashSet::new();
        for (en, de) in DE_DEST {
            assert!(seen.insert(*en), "twice: {en}");
            assert!(!de.is_empty(), "untranslated: {en}");
        }
        assert_eq!(Lang::De.t(DEST_TITLE), "Ziele");
        for f in [dest_saved, dest_removed] {
            assert_ne!(f(Lang::En, "x"), f(Lang::De, "x"));
        }
        assert_ne!(dest_ok(Lang::En, "x", 1), dest_ok(Lang::De, "x", 1));
    }
}
