//! A failure in words, by its code: one sentence per [`ErrorCode`] in each
//! language, with the failure's subject, key id or byte count where it has
//! one, followed by the code in parentheses (what support asks for).

use super::{bytes, Lang, NOTHING_SELECTED, SAME_KEY, SAMPLE_EXISTS};
use crate::error::{ErrorCode, Failure};

/// What `f` means, in `lang`: a sentence and the code, e.g. "The file was
/// altered or damaged: … (hash-mismatch)".
pub fn failure(lang: Lang, f: &Failure) -> String {
    let s = f.subject.as_deref().unwrap_or("");
    let about = |en: &str, de: &str| -> String {
        match (lang, s.is_empty()) {
            (_, true) => String::new(),
            (Lang::En, false) => format!(" {en} “{s}”"),
            (Lang::De, false) => format!(" {de} „{s}“"),
        }
    };
    let key = f.key_id.as_deref().unwrap_or("?");
    use ErrorCode as C;
    let text: String = match (lang, f.code) {
        (Lang::En, C::NotABackup) => "This file is not a Coffer backup.".into(),
        (Lang::De, C::NotABackup) => "Diese Datei ist kein Coffer-Backup.".into(),
        (Lang::En, C::Truncated) => "The backup file is incomplete (it ends too early); it may not have been saved completely.".into(),
        (Lang::De, C::Truncated) => "Die Backup-Datei ist unvollständig (sie endet zu früh); vielleicht wurde sie nicht vollständig gespeichert.".into(),
        (Lang::En, C::DamagedZip) => "The backup file is damaged (its ZIP structure is broken).".into(),
        (Lang::De, C::DamagedZip) => "Die Backup-Datei ist beschädigt (ihre ZIP-Struktur ist defekt).".into(),
        (Lang::En, C::UnsupportedVersion) => "This backup was made by a newer or unknown version of Coffer and cannot be read here.".into(),
        (Lang::De, C::UnsupportedVersion) => "Dieses Backup stammt von einer neueren oder unbekannten Coffer-Version und kann hier nicht gelesen werden.".into(),
        (Lang::En, C::InvalidManifest) => "The backup's table of contents is invalid; the file was altered or damaged.".into(),
        (Lang::De, C::InvalidManifest) => "Das Inhaltsverzeichnis des Backups ist ungültig; die Datei wurde verändert oder beschädigt.".into(),
        (Lang::En, C::MissingEntry) => format!("A part of the backup is missing{}.", about(":", ":")),
        (Lang::De, C::MissingEntry) => format!("Ein Teil des Backups fehlt{}.", about(":", ":")),
        (Lang::En, C::UnexpectedEntry) => format!("The backup holds a part it does not list{}; the file was altered.", about(":", ":")),
        (Lang::De, C::UnexpectedEntry) => format!("Das Backup enthält einen nicht verzeichneten Teil{}; die Datei wurde verändert.", about(":", ":")),
        (Lang::En, C::DuplicateEntry) => format!("The backup holds a part twice{}; the file was altered.", about(":", ":")),
        (Lang::De, C::DuplicateEntry) => format!("Das Backup enthält einen Teil doppelt{}; die Datei wurde verändert.", about(":", ":")),
        (Lang::En, C::UnsafeEntryName) => format!("The backup holds a part with a name Coffer never writes{}; the file is not safe to read.", about(":", ":")),
        (Lang::De, C::UnsafeEntryName) => format!("Das Backup enthält einen Teil mit einem Namen, den Coffer nie schreibt{}; die Datei ist nicht sicher lesbar.", about(":", ":")),
        (Lang::En, C::SizeMismatch) => format!("A part of the backup has the wrong size{}; the file was altered or damaged.", about(":", ":")),
        (Lang::De, C::SizeMismatch) => format!("Ein Teil des Backups hat die falsche Größe{}; die Datei wurde verändert oder beschädigt.", about(":", ":")),
        (Lang::En, C::HashMismatch) => format!("The file was altered or damaged: a part of the backup does not match its checksum{}.", about(":", ":")),
        (Lang::De, C::HashMismatch) => format!("Die Datei wurde verändert oder beschädigt: Ein Teil des Backups passt nicht zu seiner Prüfsumme{}.", about(":", ":")),
        (Lang::En, C::RecordCountMismatch) => format!("A store in the backup holds a different number of records than listed{}.", about(":", ":")),
        (Lang::De, C::RecordCountMismatch) => format!("Ein Speicher im Backup enthält eine andere Zahl von Datensätzen als verzeichnet{}.", about(":", ":")),
        (Lang::En, C::CorruptRecord) => format!("A record in the backup cannot be read{}; the file was altered or damaged.", about("in", "in")),
        (Lang::De, C::CorruptRecord) => format!("Ein Datensatz im Backup ist nicht lesbar{}; die Datei wurde verändert oder beschädigt.", about("in", "in")),
        (Lang::En, C::Unencodable) => format!("A value cannot be stored in a backup{}.", about("in", "in")),
        (Lang::De, C::Unencodable) => format!("Ein Wert kann nicht in einem Backup gespeichert werden{}.", about("in", "in")),
        (Lang::En, C::MacMismatch) => "The backup's authentication code does not match: it was altered, or made under another master key.".into(),
        (Lang::De, C::MacMismatch) => "Der Authentifizierungscode des Backups passt nicht: Es wurde verändert oder unter einem anderen Hauptschlüssel erstellt.".into(),
        (Lang::En, C::MacMissing) => "The backup names a master key but its authentication code was removed; it may have been altered.".into(),
        (Lang::De, C::MacMissing) => "Das Backup nennt einen Hauptschlüssel, aber sein Authentifizierungscode wurde entfernt; es wurde möglicherweise verändert.".into(),
        (Lang::En, C::KeyRequired) => format!("This backup's encrypted stores were sealed under master key id {key}. Supply that key file to restore them, or deselect the encrypted stores."),
        (Lang::De, C::KeyRequired) => format!("Die verschlüsselten Speicher dieses Backups wurden unter der Hauptschlüssel-ID {key} versiegelt. Geben Sie diese Schlüsseldatei an, um sie wiederherzustellen, oder wählen Sie die verschlüsselten Speicher ab."),
        (Lang::En, C::WrongKey) => match &f.key_id {
            Some(k) => format!("That is not the right key: the data needs master key id {k}."),
            None => "That is not the right master key for this data.".into(),
        },
        (Lang::De, C::WrongKey) => match &f.key_id {
            Some(k) => format!("Das ist nicht der richtige Schlüssel: Die Daten brauchen die Hauptschlüssel-ID {k}."),
            None => "Das ist nicht der richtige Hauptschlüssel für diese Daten.".into(),
        },
        (Lang::En, C::DecryptionFailed) => "Decryption failed: wrong key, or the data is damaged.".into(),
        (Lang::De, C::DecryptionFailed) => "Entschlüsselung fehlgeschlagen: falscher Schlüssel, oder die Daten sind beschädigt.".into(),
        (Lang::En, C::WrongPassphrase) => "Wrong passphrase (or the file is damaged).".into(),
        (Lang::De, C::WrongPassphrase) => "Falsche Passphrase (oder die Datei ist beschädigt).".into(),
        (Lang::En, C::PassphraseRequired) => "This file is protected by a passphrase: enter it to continue.".into(),
        (Lang::De, C::PassphraseRequired) => "Diese Datei ist durch eine Passphrase geschützt: Geben Sie sie ein, um fortzufahren.".into(),
        (Lang::En, C::InvalidKeyFile) => "This is not a valid Coffer key file.".into(),
        (Lang::De, C::InvalidKeyFile) => "Das ist keine gültige Coffer-Schlüsseldatei.".into(),
        (Lang::En, C::InvalidSealedRecord) => format!("A value of an encrypted store is not sealed by Coffer{}.", about("in", "in")),
        (Lang::De, C::InvalidSealedRecord) => format!("Ein Wert eines verschlüsselten Speichers ist nicht von Coffer versiegelt{}.", about("in", "in")),
        (Lang::En, C::LimitExceeded) => format!("The file exceeds a safety limit{}; Coffer does not read it.", about("for", "bei")),
        (Lang::De, C::LimitExceeded) => format!("Die Datei überschreitet eine Sicherheitsgrenze{}; Coffer liest sie nicht.", about("for", "bei")),
        (Lang::En, C::UnsupportedValue) => format!("A value cannot be backed up{}.", about("in", "in")),
        (Lang::De, C::UnsupportedValue) => format!("Ein Wert kann nicht gesichert werden{}.", about("in", "in")),
        (Lang::En, C::Io) => "Reading or writing the file failed.".into(),
        (Lang::De, C::Io) => "Lesen oder Schreiben der Datei ist fehlgeschlagen.".into(),
        (Lang::En, C::BrowserConstraint) => format!("The browser refused a record because it breaks a uniqueness rule of an index{}.", about("in", "in")),
        (Lang::De, C::BrowserConstraint) => format!("Der Browser hat einen Datensatz abgelehnt, weil er eine Eindeutigkeitsregel eines Index verletzt{}.", about("in", "in")),
        (Lang::En, C::BrowserQuota) => match f.bytes {
            Some(n) => format!("Not enough storage space: this needs about {}, more than the browser lets this site use now.", bytes(n)),
            None => "Not enough storage space for this site.".into(),
        },
        (Lang::De, C::BrowserQuota) => match f.bytes {
            Some(n) => format!("Nicht genug Speicherplatz: Das braucht etwa {}, mehr als der Browser dieser Website derzeit erlaubt.", bytes(n)),
            None => "Nicht genug Speicherplatz für diese Website.".into(),
        },
        (Lang::En, C::BrowserAborted) => "The browser aborted the operation; nothing was written.".into(),
        (Lang::De, C::BrowserAborted) => "Der Browser hat den Vorgang abgebrochen; es wurde nichts geschrieben.".into(),
        (Lang::En, C::BrowserVersion) => format!("A database changed its version meanwhile{}.", about(":", ":")),
        (Lang::De, C::BrowserVersion) => format!("Eine Datenbank hat inzwischen ihre Version geändert{}.", about(":", ":")),
        (Lang::En, C::BrowserData) => "The browser refused a value or key.".into(),
        (Lang::De, C::BrowserData) => "Der Browser hat einen Wert oder Schlüssel abgelehnt.".into(),
        (Lang::En, C::BrowserNotFound) => format!("It no longer exists{}.", about(":", ":")),
        (Lang::De, C::BrowserNotFound) => format!("Es existiert nicht mehr{}.", about(":", ":")),
        (Lang::En, C::BrowserUnsupported) => "This browser lacks a feature Coffer needs.".into(),
        (Lang::De, C::BrowserUnsupported) => "Diesem Browser fehlt eine Funktion, die Coffer braucht.".into(),
        (Lang::En, C::FolderUnavailable) => "The backup folder cannot be written: the permission was revoked or the folder is gone. Choose the folder again.".into(),
        (Lang::De, C::FolderUnavailable) => "In den Backup-Ordner kann nicht geschrieben werden: Die Berechtigung wurde entzogen oder der Ordner ist weg. Wählen Sie den Ordner neu.".into(),
        (Lang::En, C::BrowserError) => "The browser reported an error.".into(),
        (Lang::De, C::BrowserError) => "Der Browser hat einen Fehler gemeldet.".into(),
        (Lang::En, C::FilesInUse) => format!("Files of the site's private file system are in use by the site (open in another tab or worker, or being written) and cannot be copied consistently{}. Close the site's other tabs (or let the site release them) and try again, or leave out the file system. Nothing was changed.", about(":", ":")),
        (Lang::De, C::FilesInUse) => format!("Dateien im privaten Dateisystem der Website werden von der Website benutzt (in einem anderen Tab oder Worker geöffnet oder gerade geschrieben) und können nicht konsistent kopiert werden{}. Schließen Sie die anderen Tabs der Website (oder lassen Sie die Website sie freigeben) und versuchen Sie es erneut, oder lassen Sie das Dateisystem weg. Es wurde nichts verändert.", about(":", ":")),
        (Lang::En, C::HookFailed) => format!("The site could not prepare its data for this{}; nothing was read or written.", about(":", ":")),
        (Lang::De, C::HookFailed) => format!("Die Website konnte ihre Daten nicht darauf vorbereiten{}; es wurde nichts gelesen oder geschrieben.", about(":", ":")),
        (Lang::En, C::BadDestination) => format!("The destination's settings are not usable{}.", about(":", ":")),
        (Lang::De, C::BadDestination) => format!("Die Einstellungen des Ziels sind nicht verwendbar{}.", about(":", ":")),
        (Lang::En, C::NoDestination) => format!("There is no such destination{}.", about(":", ":")),
        (Lang::De, C::NoDestination) => format!("Dieses Ziel gibt es nicht{}.", about(":", ":")),
        (Lang::En, C::RemoteUnreachable) => "The destination cannot be reached: check its address and your network connection.".into(),
        (Lang::De, C::RemoteUnreachable) => "Das Ziel ist nicht erreichbar: Prüfen Sie seine Adresse und Ihre Netzwerkverbindung.".into(),
        (Lang::En, C::RemoteCors) => format!("The destination answers, but the browser blocks its answers to this page: its CORS rule does not allow this site. Set this rule on the bucket or server:\n{s}"),
        (Lang::De, C::RemoteCors) => format!("Das Ziel antwortet, aber der Browser blockiert seine Antworten an diese Seite: Seine CORS-Regel erlaubt diese Website nicht. Setzen Sie diese Regel beim Bucket oder Server:\n{s}"),
        (Lang::En, C::RemoteDenied) => "The destination refused the credentials: check the access key id and secret, or the user name and password.".into(),
        (Lang::De, C::RemoteDenied) => "Das Ziel hat die Zugangsdaten abgelehnt: Prüfen Sie Zugriffsschlüssel-ID und geheimen Schlüssel oder Benutzername und Passwort.".into(),
        (Lang::En, C::RemoteForbidden) => format!("The credentials are valid but may not do this on the destination{}: check their permissions.", about(":", ":")),
        (Lang::De, C::RemoteForbidden) => format!("Die Zugangsdaten sind gültig, dürfen dies beim Ziel aber nicht{}: Prüfen Sie ihre Berechtigungen.", about(":", ":")),
        (Lang::En, C::RemoteNotFound) => format!("Not found on the destination{}: check the bucket, prefix or address.", about(":", ":")),
        (Lang::De, C::RemoteNotFound) => format!("Beim Ziel nicht gefunden{}: Prüfen Sie Bucket, Präfix oder Adresse.", about(":", ":")),
        (Lang::En, C::RemoteFailed) => format!("The destination reported an error{}; nothing was left half-written there.", about(":", ":")),
        (Lang::De, C::RemoteFailed) => format!("Das Ziel hat einen Fehler gemeldet{}; dort blieb nichts halb geschrieben.", about(":", ":")),
        (Lang::En, C::Cancelled) => "Cancelled. Nothing was written.".into(),
        (Lang::De, C::Cancelled) => "Abgebrochen. Es wurde nichts geschrieben.".into(),
        (Lang::En, C::BadArgument) => "Coffer was called with an unusable argument.".into(),
        (Lang::De, C::BadArgument) => "Coffer wurde mit einem unbrauchbaren Argument aufgerufen.".into(),
        (_, C::NothingSelected) => lang.t(NOTHING_SELECTED).into(),
        (Lang::En, C::PassphraseMissing) => "Enter a passphrase, or untick “Encrypt the whole backup”.".into(),
        (Lang::De, C::PassphraseMissing) => "Geben Sie eine Passphrase ein oder entfernen Sie das Häkchen bei „Ganzes Backup verschlüsseln“.".into(),
        (Lang::En, C::NoKeyFile) => "Choose the key file to import.".into(),
        (Lang::De, C::NoKeyFile) => "Wählen Sie die zu importierende Schlüsseldatei.".into(),
        (Lang::En, C::NotEncrypted) => format!("This is not a registered encrypted store{}.", about(":", ":")),
        (Lang::De, C::NotEncrypted) => format!("Das ist kein registrierter verschlüsselter Speicher{}.", about(":", ":")),
        (Lang::En, C::InvalidEncryptedStore) => format!("An encrypted store must use out-of-line keys{}.", about(":", ":")),
        (Lang::De, C::InvalidEncryptedStore) => format!("Ein verschlüsselter Speicher muss externe Schlüssel verwenden{}.", about(":", ":")),
        (Lang::En, C::Unauthenticated) => "This backup is unauthenticated: nothing proves who made it. Confirm that you trust it to restore it.".into(),
        (Lang::De, C::Unauthenticated) => "Dieses Backup ist nicht authentifiziert: Nichts belegt, wer es erstellt hat. Bestätigen Sie, dass Sie ihm vertrauen, um es wiederherzustellen.".into(),
        (_, C::SampleExists) => lang.t(SAMPLE_EXISTS).into(),
        (_, C::SameKey) => lang.t(SAME_KEY).into(),
        (Lang::En, C::KeyStorage) => "Coffer's key storage in this browser is damaged.".into(),
        (Lang::De, C::KeyStorage) => "Coffers Schlüsselspeicher in diesem Browser ist beschädigt.".into(),
        (Lang::En, C::Protocol) => "The page and Coffer's engine did not understand each other; reload the page.".into(),
        (Lang::De, C::Protocol) => "Die Seite und Coffers Engine haben sich nicht verstanden; laden Sie die Seite neu.".into(),
        (Lang::En, C::Misuse) => "Coffer was used in a way it does not support.".into(),
        (Lang::De, C::Misuse) => "Coffer wurde auf eine nicht unterstützte Weise verwendet.".into(),
        (Lang::En, C::InternalError) => "Coffer's engine stopped unexpectedly; nothing was written (details are in the console).".into(),
        (Lang::De, C::InternalError) => "Coffers Engine wurde unerwartet beendet; es wurde nichts geschrieben (Details in der Konsole).".into(),
    };
    format!("{text} ({})", f.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_sentence_in_every_language() {
        for &code in ErrorCode::ALL {
            let f = Failure::new(code, "english detail")
                .about("db/store")
                .with_key_id("0123abcd")
                .with_bytes(2048);
            let en = failure(Lang::En, &f);
            let de = failure(Lang::De, &f);
            assert!(en.ends_with(&format!("({code})")), "{en}");
            assert!(de.ends_with(&format!("({code})")), "{de}");
            assert_ne!(en, de, "untranslated: {code}");
            assert!(!de.contains("english detail") && !en.contains("english detail"));
        }
    }

    #[test]
    fn sentences_carry_their_facts() {
        let f = Failure::new(ErrorCode::KeyRequired, "x").with_key_id("feedbeef");
        assert!(failure(Lang::De, &f).contains("feedbeef"));
        let f = Failure::new(ErrorCode::HashMismatch, "x").about("db/0001.rec");
        assert!(failure(Lang::De, &f).contains("„db/0001.rec“"));
        let f = Failure::new(ErrorCode::BrowserQuota, "x").with_bytes(3 << 20);
        assert!(failure(Lang::En, &f).contains("3.0 MiB"));
        let rule = "{\"CORSRules\": []}";
        let f = Failure::new(ErrorCode::RemoteCors, "x").about(rule);
        assert!(failure(Lang::En, &f).contains(rule));
        assert!(failure(Lang::De, &f).contains(rule));
    }
}
