//! Texts of the offline update banner, the history and automatic backups
//! (English constants, German in [`DE_AUTO`]).

use super::Lang;
use crate::auto::{Reminder, DAY_MS, HOUR_MS};
use crate::history::{HistoryKind, HistoryOutcome};

/// A new build is installed and waits.
pub const UPDATE_READY: &str = "A new version of Coffer is ready.";
/// Switch to it.
pub const UPDATE_RELOAD: &str = "Reload to update";
/// Card: history.
pub const HISTORY_TITLE: &str = "History";
/// What the history is.
pub const HISTORY_TEXT: &str = "Every backup, restore, key export and key replacement of this site, newest first. It never holds keys or passphrases and is not part of any backup.";
/// Card: automatic backups.
pub const AUTO_TITLE: &str = "Back up automatically";
/// What automatic backups do.
pub const AUTO_TEXT: &str = "Writes a backup of every database into a folder you choose, while this app is open: every few hours, and at start when the last one is older. Old files that Coffer wrote are deleted by the rules below; no other file is touched.";
/// Where it is not available.
pub const AUTO_UNSUPPORTED: &str = "This browser cannot write into a folder (no directory picker): automatic backups are not available here. Use “Create backup” instead.";
/// Tell the user how it ended (sample texts used by the card).
pub const AUTO_SAVED: &str = "Settings saved.";

/// German translations of the texts above and of the literals the
/// history and automatic-backup cards pass to [`Lang::t`].
pub const DE_AUTO: &[(&str, &str)] = &[
    (UPDATE_READY, "Eine neue Version von Coffer ist bereit."),
    (UPDATE_RELOAD, "Neu laden und aktualisieren"),
    (HISTORY_TITLE, "Verlauf"),
    (HISTORY_TEXT, "Jedes Backup, jede Wiederherstellung, jeder Schlüsselexport und Schlüsseltausch dieser Website, das Neueste zuerst. Er enthält nie Schlüssel oder Passphrasen und ist nie Teil eines Backups."),
    (AUTO_TITLE, "Automatisch sichern"),
    (AUTO_TEXT, "Schreibt ein Backup aller Datenbanken in einen Ordner Ihrer Wahl, solange diese App geöffnet ist: alle paar Stunden und beim Start, wenn das letzte älter ist. Alte Dateien, die Coffer geschrieben hat, werden nach den Regeln unten gelöscht; andere Dateien bleiben unberührt."),
    (AUTO_UNSUPPORTED, "Dieser Browser kann nicht in einen Ordner schreiben (keine Ordnerauswahl): Automatische Backups sind hier nicht verfügbar. Verwenden Sie stattdessen „Backup erstellen“."),
    (AUTO_SAVED, "Einstellungen gespeichert."),
    ("Show", "Anzeigen"),
    ("Allow access again", "Zugriff erneut erlauben"),
    ("stores", "Speicher"),
    ("key", "Schlüssel"),
    ("All", "Alle"),
    ("Backups", "Backups"),
    ("Automatic backups", "Automatische Backups"),
    ("Restores", "Wiederherstellungen"),
    ("Key exports", "Schlüsselexporte"),
    ("Key replacements", "Schlüsseltausche"),
    ("Export as JSON Lines", "Als JSON Lines exportieren"),
    ("No entries yet.", "Noch keine Einträge."),
    ("Time", "Zeit"),
    ("What", "Was"),
    ("Details", "Details"),
    ("Result", "Ergebnis"),
    ("Backup", "Backup"),
    ("Automatic backup", "Automatisches Backup"),
    ("Restore", "Wiederherstellung"),
    ("Key export", "Schlüsselexport"),
    ("Key replacement", "Schlüsseltausch"),
    ("done", "erledigt"),
    ("running", "läuft"),
    ("cancelled", "abgebrochen"),
    ("Choose folder", "Ordner wählen"),
    ("No folder chosen.", "Kein Ordner gewählt."),
    ("Back up automatically into this folder", "Automatisch in diesen Ordner sichern"),
    ("Every (hours)", "Alle (Stunden)"),
    ("Lock each file with the master key", "Jede Datei mit dem Hauptschlüssel sperren"),
    ("Keep the newest", "Die neuesten behalten"),
    ("Keep one per day for (days)", "Eine pro Tag behalten für (Tage)"),
    ("Keep one per week for (weeks)", "Eine pro Woche behalten für (Wochen)"),
    ("Save settings", "Einstellungen speichern"),
    ("Back up now", "Jetzt sichern"),
    ("Automatic backup progress", "Fortschritt des automatischen Backups"),
];

/// A kind's name in the history.
pub fn history_kind(lang: Lang, k: HistoryKind) -> &'static str {
    lang.t(match k {
        HistoryKind::Backup => "Backup",
        HistoryKind::AutoBackup => "Automatic backup",
        HistoryKind::Restore => "Restore",
        HistoryKind::KeyExport => "Key export",
        HistoryKind::KeyReplace => "Key replacement",
    })
}

/// A kind's name in the filter (plural).
pub fn history_filter(lang: Lang, k: Option<HistoryKind>) -> &'static str {
    lang.t(match k {
        None => "All",
        Some(HistoryKind::Backup) => "Backups",
        Some(HistoryKind::AutoBackup) => "Automatic backups",
        Some(HistoryKind::Restore) => "Restores",
        Some(HistoryKind::KeyExport) => "Key exports",
        Some(HistoryKind::KeyReplace) => "Key replacements",
    })
}

/// How an entry ended, in words (failures by their code).
pub fn history_outcome(lang: Lang, o: HistoryOutcome) -> String {
    match o {
        HistoryOutcome::Running => lang.t("running").to_owned(),
        HistoryOutcome::Done => lang.t("done").to_owned(),
        HistoryOutcome::Cancelled => lang.t("cancelled").to_owned(),
        HistoryOutcome::Failed { code } => {
            if lang == Lang::De {
                format!("fehlgeschlagen ({code})")
            } else {
                format!("failed ({code})")
            }
        }
    }
}

/// "3 days ago" in `lang` for an age of `ms`.
pub fn ago(lang: Lang, ms: f64) -> String {
    let de = lang == Lang::De;
    let (n, unit_en, unit_de) = if ms < HOUR_MS {
        let m = (ms / 60_000.0).floor() as u64;
        if m == 0 {
            return (if de { "gerade eben" } else { "just now" }).to_owned();
        }
        (m, ["minute", "minutes"], ["Minute", "Minuten"])
    } else if ms < DAY_MS {
        (
            (ms / HOUR_MS).floor() as u64,
            ["hour", "hours"],
            ["Stunde", "Stunden"],
        )
    } else {
        (
            (ms / DAY_MS).floor() as u64,
            ["day", "days"],
            ["Tag", "Tagen"],
        )
    };
    let i = usize::from(n != 1);
    if de {
        // Dative plural: "vor 3 Tagen", "vor 1 Tag", "vor 5 Minuten".
        format!("vor {n} {}", unit_de[i])
    } else {
        format!("{n} {} ago", unit_en[i])
    }
}

/// The overview's line about the last backup.
pub fn last_backup(lang: Lang, r: Reminder) -> String {
    let de = lang == Lang::De;
    match r {
        Reminder::Never if de => {
            "Noch kein Backup: Erstellen Sie eines oder schalten Sie automatische Backups ein."
                .to_owned()
        }
        Reminder::Never => "No backup yet: create one, or turn on automatic backups.".to_owned(),
        Reminder::Recent { ms } if de => format!("Letztes Backup: {}", ago(lang, ms)),
        Reminder::Recent { ms } => format!("Last backup: {}", ago(lang, ms)),
        Reminder::Overdue { ms } if de => format!(
            "Letztes Backup: {} – ein Backup ist überfällig.",
            ago(lang, ms)
        ),
        Reminder::Overdue { ms } => {
            format!("Last backup: {} – a backup is overdue.", ago(lang, ms))
        }
    }
}

/// The warning while automatic backups cannot write.
pub fn auto_failed(lang: Lang, code: crate::ErrorCode, folder: Option<&str>) -> String {
    let f = folder.unwrap_or("?");
    if lang == Lang::De {
        format!("Das automatische Backup konnte nicht in den Ordner „{f}“ schreiben ({code}). Nichts ging verloren; es wird erneut versucht. Prüfen Sie den Ordner oder wählen Sie ihn neu.")
    } else {
        format!("The automatic backup could not write into the folder “{f}” ({code}). Nothing was lost; it will be tried again. Check the folder, or choose it again.")
    }
}

/// A finished automatic backup.
pub fn auto_done(lang: Lang, file: &str, deleted: usize) -> String {
    if lang == Lang::De {
        format!("Automatisches Backup {file} geschrieben; {deleted} ältere Dateien gelöscht.")
    } else {
        format!("Automatic backup {file} written; {deleted} older files deleted.")
    }
}

/// The chosen folder.
pub fn auto_folder(lang: Lang, name: &str) -> String {
    if lang == Lang::De {
        format!("Ordner: {name}")
    } else {
        format!("Folder: {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_is_complete() {
        for (en, de) in DE_AUTO {
            assert!(
                !de.is_empty()
                    && (de != en || *en == "Backup" || *en == "Backups" || *en == "Details"),
                "untranslated: {en}"
            );
            assert!(super::super::DE.iter().all(|(e, _)| e != en), "twice: {en}");
        }
        for k in HistoryKind::ALL {
            assert_ne!(history_kind(Lang::De, k), "");
            assert_ne!(
                history_filter(Lang::De, Some(k)),
                history_filter(Lang::En, Some(k)).to_owned() + "x"
            );
        }
        assert_eq!(Lang::De.t(UPDATE_RELOAD), "Neu laden und aktualisieren");
    }

    #[test]
    fn ages_in_both_languages() {
        assert_eq!(ago(Lang::En, 3.0 * DAY_MS + HOUR_MS), "3 days ago");
        assert_eq!(ago(Lang::De, 3.0 * DAY_MS + HOUR_MS), "vor 3 Tagen");
        assert_eq!(ago(Lang::En, DAY_MS), "1 day ago");
        assert_eq!(ago(Lang::En, 2.0 * HOUR_MS), "2 hours ago");
        assert_eq!(ago(Lang::En, 1000.0), "just now");
        assert_eq!(ago(Lang::De, 5.0 * 60_000.0), "vor 5 Minuten");
        assert_eq!(
            last_backup(Lang::En, Reminder::Overdue { ms: 3.0 * DAY_MS }),
            "Last backup: 3 days ago – a backup is overdue."
        );
        assert!(last_backup(Lang::De, Reminder::Never).starts_with("Noch kein Backup"));
    }
}
