//! Failures: a typed [`ErrorCode`] that survives every hop (worker → page →
//! JavaScript `Error.code` and `coffer-error` events), a developer-facing
//! English message, and the few facts the page needs to say it in the
//! user's language ([`Failure::subject`], [`Failure::key_id`],
//! [`Failure::bytes`]).

use serde::{Deserialize, Serialize};

/// What kind of failure a code is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The engine refused the file, a key or a value (format, integrity,
    /// keys, limits).
    Engine,
    /// A browser API failed (IndexedDB, Blob I/O, storage).
    Browser,
    /// The user or a script cancelled; nothing was written.
    Cancelled,
    /// A caller passed something unusable (no file, nothing selected…).
    BadArgument,
    /// Coffer's own state or a bug.
    Internal,
    /// A destination (S3, WebDAV) failed or refused.
    Remote,
}

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $text:literal, $kind:ident;)*) => {
        /// A machine-readable error code. Its text form (`hash-mismatch`,
        /// `browser-quota`, …) is what events, `Error.code` and the CLI show.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* #[serde(rename = $text)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code's text form.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $text,)* }
            }

            /// What kind of failure this is.
            pub fn kind(self) -> ErrorKind {
                match self { $(ErrorCode::$variant => ErrorKind::$kind,)* }
            }

            /// The code with text form `s`, if there is one.
            pub fn parse(s: &str) -> Option<ErrorCode> {
                match s { $($text => Some(ErrorCode::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    /// The input is neither a ZIP archive nor a locked Coffer backup.
    NotABackup = "not-a-backup", Engine;
    /// The input ends before its structure does.
    Truncated = "truncated", Engine;
    /// The ZIP container is damaged.
    DamagedZip = "damaged-zip", Engine;
    /// A newer or unknown format version.
    UnsupportedVersion = "unsupported-version", Engine;
    /// The manifest is missing, unparsable or inconsistent.
    InvalidManifest = "invalid-manifest", Engine;
    /// An entry the manifest lists is absent.
    MissingEntry = "missing-entry", Engine;
    /// The archive holds an entry the manifest does not list.
    UnexpectedEntry = "unexpected-entry", Engine;
    /// The archive holds an entry twice.
    DuplicateEntry = "duplicate-entry", Engine;
    /// An entry name Coffer never writes.
    UnsafeEntryName = "unsafe-entry-name", Engine;
    /// An entry's size differs from the manifest.
    SizeMismatch = "size-mismatch", Engine;
    /// An entry's contents differ from the manifest's hash.
    HashMismatch = "hash-mismatch", Engine;
    /// A store's record count differs from the manifest.
    RecordCountMismatch = "record-count-mismatch", Engine;
    /// A record or value does not decode.
    CorruptRecord = "corrupt-record", Engine;
    /// A value or key cannot be encoded.
    Unencodable = "unencodable", Engine;
    /// The manifest MAC does not verify.
    MacMismatch = "mac-mismatch", Engine;
    /// The manifest MAC is missing although the backup names a key.
    MacMissing = "mac-missing", Engine;
    /// A master key (file) is needed.
    KeyRequired = "key-required", Engine;
    /// The key at hand is not the one the data was sealed under.
    WrongKey = "wrong-key", Engine;
    /// Authenticated decryption failed.
    DecryptionFailed = "decryption-failed", Engine;
    /// A passphrase did not unlock the file.
    WrongPassphrase = "wrong-passphrase", Engine;
    /// A passphrase is needed.
    PassphraseRequired = "passphrase-required", Engine;
    /// A key file is malformed.
    InvalidKeyFile = "invalid-key-file", Engine;
    /// A sealed record is malformed or not sealed at all.
    InvalidSealedRecord = "invalid-sealed-record", Engine;
    /// A limit was exceeded.
    LimitExceeded = "limit-exceeded", Engine;
    /// A value type Coffer cannot back up.
    UnsupportedValue = "unsupported-value", Engine;
    /// Reading or writing bytes failed.
    Io = "io", Engine;
    /// IndexedDB refused a write (a uniqueness constraint).
    BrowserConstraint = "browser-constraint", Browser;
    /// The origin's storage quota is exhausted.
    BrowserQuota = "browser-quota", Browser;
    /// The browser aborted a transaction.
    BrowserAborted = "browser-aborted", Browser;
    /// A database version conflict.
    BrowserVersion = "browser-version", Browser;
    /// A value or key the browser refused.
    BrowserData = "browser-data", Browser;
    /// A database or store does not exist.
    BrowserNotFound = "browser-not-found", Browser;
    /// This browser lacks an API Coffer needs.
    BrowserUnsupported = "browser-unsupported", Browser;
    /// Another browser API failure.
    BrowserError = "browser-error", Browser;
    /// The folder of automatic backups cannot be written (permission
    /// revoked, folder gone).
    FolderUnavailable = "folder-unavailable", Browser;
    /// Files of the origin private file system are held open (or were
    /// written to) by the app while Coffer read or replaced them; the
    /// failure's subject lists them with the reason.
    FilesInUse = "files-in-use", Browser;
    /// The host app's `beforeBackup`/`beforeRestore` hook failed; nothing
    /// was read or written.
    HookFailed = "hook-failed", BadArgument;
    /// A destination's settings are unusable (a field is missing or not
    /// an http(s) address); the subject names the field.
    BadDestination = "bad-destination", BadArgument;
    /// No destination of that id is stored.
    NoDestination = "no-destination", BadArgument;
    /// The destination could not be reached (network, DNS, server down).
    RemoteUnreachable = "remote-unreachable", Remote;
    /// The browser blocked the destination's answers: its CORS rule does
    /// not allow this page. The subject is the rule to set.
    RemoteCors = "remote-cors", Remote;
    /// The destination refused the credentials.
    RemoteDenied = "remote-denied", Remote;
    /// The credentials may not do this (list, write or delete).
    RemoteForbidden = "remote-forbidden", Remote;
    /// The bucket, collection or file does not exist.
    RemoteNotFound = "remote-not-found", Remote;
    /// The destination answered with an error, or an upload failed and was
    /// aborted (nothing was left there).
    RemoteFailed = "remote-failed", Remote;
    /// Cancelled by the user, a script or the engine's shutdown.
    Cancelled = "cancelled", Cancelled;
    /// An argument was missing or of the wrong type.
    BadArgument = "bad-argument", BadArgument;
    /// Nothing was selected, or the selection matches nothing.
    NothingSelected = "nothing-selected", BadArgument;
    /// "Lock with a passphrase" was ticked without a passphrase.
    PassphraseMissing = "passphrase-missing", BadArgument;
    /// "Import a key file" was chosen without a file.
    NoKeyFile = "no-key-file", BadArgument;
    /// The store is not a registered encrypted store.
    NotEncrypted = "not-encrypted", BadArgument;
    /// An encrypted store with in-line keys.
    InvalidEncryptedStore = "invalid-encrypted-store", BadArgument;
    /// The backup proves nothing about who made it, and restoring it
    /// anyway was not confirmed.
    Unauthenticated = "unauthenticated", BadArgument;
    /// The sample database exists already.
    SampleExists = "sample-exists", BadArgument;
    /// The new key is the current key.
    SameKey = "same-key", BadArgument;
    /// Coffer's own key storage is damaged.
    KeyStorage = "key-storage", Internal;
    /// The page and the worker did not understand each other.
    Protocol = "protocol", Internal;
    /// Misuse of an internal API.
    Misuse = "misuse", Internal;
    /// The engine worker stopped unexpectedly.
    InternalError = "internal-error", Internal;
}

impl ErrorCode {
    /// The code for a thrown `DOMException` named `name`.
    pub fn from_dom_exception(name: &str) -> ErrorCode {
        match name {
            "ConstraintError" => ErrorCode::BrowserConstraint,
            "QuotaExceededError" => ErrorCode::BrowserQuota,
            "AbortError" => ErrorCode::BrowserAborted,
            "VersionError" => ErrorCode::BrowserVersion,
            "DataError" | "DataCloneError" => ErrorCode::BrowserData,
            "NotFoundError" => ErrorCode::BrowserNotFound,
            _ => ErrorCode::BrowserError,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an operation failed. `message` is English, for developers (console,
/// `Error.message`); the page shows [`crate::strings::Msg::Failed`] instead,
/// in the user's language, built from the code and the other fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The code.
    pub code: ErrorCode,
    /// A lowercase English sentence naming what went wrong.
    pub message: String,
    /// What it is about, when one thing is: an entry, a database, a
    /// `database/store`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// A key id it is about (the key a backup needs).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "keyId")]
    pub key_id: Option<String>,
    /// A number of bytes it is about (the space an operation needs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

impl Failure {
    /// A failure with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            subject: None,
            key_id: None,
            bytes: None,
        }
    }

    /// Names what the failure is about.
    pub fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Names the key id the failure is about.
    pub fn with_key_id(mut self, id: impl Into<String>) -> Self {
        self.key_id = Some(id.into());
        self
    }

    /// Names a number of bytes (space needed).
    pub fn with_bytes(mut self, bytes: u64) -> Self {
        self.bytes = Some(bytes);
        self
    }

    /// "Cancelled. Nothing was written."
    pub fn cancelled() -> Self {
        Failure::new(ErrorCode::Cancelled, "cancelled; nothing was written")
    }

    /// The worker answered with an outcome of another request.
    pub fn unexpected() -> Self {
        Failure::new(
            ErrorCode::Protocol,
            "unexpected answer from the engine worker",
        )
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_text_and_json() {
        for &c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
            let json = serde_json::to_string(&c).expect("serializes");
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).ok(), Some(c));
        }
        assert_eq!(ErrorCode::parse("no-such-code"), None);
    }

    #[test]
    fn codes_are_unique_and_kinded() {
        let mut seen = std::collections::HashSet::new();
        for &c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "twice: {c}");
        }
        assert_eq!(ErrorCode::HashMismatch.kind(), ErrorKind::Engine);
        assert_eq!(ErrorCode::BrowserQuota.kind(), ErrorKind::Browser);
        assert_eq!(ErrorCode::Cancelled.kind(), ErrorKind::Cancelled);
        assert_eq!(ErrorCode::BadArgument.kind(), ErrorKind::BadArgument);
    }

    #[test]
    fn dom_exception_names_map_to_codes() {
        assert_eq!(
            ErrorCode::from_dom_exception("QuotaExceededError"),
            ErrorCode::BrowserQuota
        );
        assert_eq!(
            ErrorCode::from_dom_exception("Weird"),
            ErrorCode::BrowserError
        );
    }

    #[test]
    fn failures_keep_their_facts_through_json() {
        let f = Failure::new(ErrorCode::KeyRequired, "needs key")
            .with_key_id("ab12")
            .about("db/store")
            .with_bytes(7);
        let back: Failure =
            serde_json::from_str(&serde_json::to_string(&f).expect("json")).expect("parses");
        assert_eq!(back, f);
    }
}
