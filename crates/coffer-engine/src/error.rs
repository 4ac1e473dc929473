//! Errors, grouped by cause: malformed input, unsupported input, wrong key or
//! passphrase, exceeded limits, I/O and API misuse.

use std::io;

use crate::keys::KeyId;

/// Everything that can go wrong reading, writing, sealing or opening.
///
/// Messages are lowercase sentences without a trailing period that name the
/// offending entry or value. Decryption failures are deliberately coarse.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is neither a ZIP archive nor a locked Coffer backup.
    #[error("not a Coffer backup: {0}")]
    NotABackup(String),
    /// The input ends before its structure does.
    #[error("the backup is truncated: {0}")]
    Truncated(String),
    /// The ZIP container is damaged.
    #[error("the backup's ZIP structure is damaged: {0}")]
    Zip(String),
    /// The backup was written by a newer or unknown format version.
    #[error("unsupported {what} version {found} (this Coffer reads version {supported})")]
    UnsupportedVersion {
        /// Which format (backup, key file, locked backup, sealed record).
        what: &'static str,
        /// The version found.
        found: u64,
        /// The version this build reads.
        supported: u64,
    },
    /// The manifest is missing, unparsable or inconsistent.
    #[error("invalid manifest: {0}")]
    Manifest(String),
    /// An entry the manifest lists is absent.
    #[error("entry {0:?} is listed in the manifest but missing from the archive")]
    MissingEntry(String),
    /// The archive holds an entry the manifest does not list.
    #[error("entry {0:?} is in the archive but not in the manifest")]
    UnexpectedEntry(String),
    /// The archive holds the same entry name twice.
    #[error("entry {0:?} appears more than once in the archive")]
    DuplicateEntry(String),
    /// An entry name is not one Coffer writes (absolute, `..`, NUL, ...).
    #[error("unsafe or unknown entry name {0:?}")]
    UnsafeEntryName(String),
    /// An entry's size differs from the manifest.
    #[error("entry {entry:?} is {actual} bytes but the manifest says {expected}")]
    SizeMismatch {
        /// The entry name.
        entry: String,
        /// The size in the manifest.
        expected: u64,
        /// The actual size.
        actual: u64,
    },
    /// An entry's contents do not match the manifest's hash.
    #[error(
        "entry {0:?} does not match its hash in the manifest (the file was altered or damaged)"
    )]
    HashMismatch(String),
    /// A store holds a different number of records than the manifest says.
    #[error("store {store:?} holds {actual} records but the manifest says {expected}")]
    RecordCountMismatch {
        /// `database/store`.
        store: String,
        /// The count in the manifest.
        expected: u64,
        /// The records found.
        actual: u64,
    },
    /// A record or value does not decode.
    #[error("corrupt record data in {entry:?}: {reason}")]
    CorruptRecord {
        /// The entry holding the record.
        entry: String,
        /// What is wrong.
        reason: String,
    },
    /// A value or key cannot be encoded (for example a NaN key).
    #[error("cannot encode {0}")]
    Unencodable(String),
    /// The manifest MAC does not verify under the given key.
    #[error("the manifest authentication code does not match: the backup was altered, or was made under another master key")]
    MacMismatch,
    /// The backup names a master key (and so promises a manifest MAC) but
    /// has no MAC entry: it was stripped off.
    #[error("the backup names a master key but carries no manifest authentication code (it was removed)")]
    MacMissing,
    /// A master key is needed to continue.
    #[error("this needs the master key with id {0}")]
    KeyRequired(KeyId),
    /// The key at hand is not the one the data was sealed under.
    #[error("wrong master key: the data needs key id {expected}, the key given has id {actual}")]
    WrongKey {
        /// The key id the data names.
        expected: KeyId,
        /// The id of the key given.
        actual: KeyId,
    },
    /// Authenticated decryption failed.
    #[error("decryption failed: wrong key or corrupted data")]
    DecryptionFailed,
    /// A passphrase did not unlock a key file or locked backup.
    #[error("wrong passphrase, or the {0} is corrupted")]
    WrongPassphrase(&'static str),
    /// A passphrase is needed to continue.
    #[error("this {0} is protected by a passphrase; supply it to continue")]
    PassphraseRequired(&'static str),
    /// A master key file is malformed.
    #[error("invalid key file: {0}")]
    KeyFile(String),
    /// A sealed record envelope is malformed.
    #[error("invalid sealed record: {0}")]
    Envelope(String),
    /// A configured limit was exceeded.
    #[error("limit exceeded: {what} is {actual}, the limit is {limit}")]
    LimitExceeded {
        /// What was measured.
        what: String,
        /// The configured limit.
        limit: u64,
        /// The measured value.
        actual: u64,
    },
    /// The backup was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
    /// The API was used wrongly (a programming error in the caller).
    #[error("invalid use of the engine: {0}")]
    Misuse(String),
    /// Reading or writing failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
}

impl Error {
    /// A stable machine-readable code for this error, for UIs and events.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotABackup(_) => "not-a-backup",
            Error::Truncated(_) => "truncated",
            Error::Zip(_) => "damaged-zip",
            Error::UnsupportedVersion { .. } => "unsupported-version",
            Error::Manifest(_) => "invalid-manifest",
            Error::MissingEntry(_) => "missing-entry",
            Error::UnexpectedEntry(_) => "unexpected-entry",
            Error::DuplicateEntry(_) => "duplicate-entry",
            Error::UnsafeEntryName(_) => "unsafe-entry-name",
            Error::SizeMismatch { .. } => "size-mismatch",
            Error::HashMismatch(_) => "hash-mismatch",
            Error::RecordCountMismatch { .. } => "record-count-mismatch",
            Error::CorruptRecord { .. } => "corrupt-record",
            Error::Unencodable(_) => "unencodable",
            Error::MacMismatch => "mac-mismatch",
            Error::MacMissing => "mac-missing",
            Error::KeyRequired(_) => "key-required",
            Error::WrongKey { .. } => "wrong-key",
            Error::DecryptionFailed => "decryption-failed",
            Error::WrongPassphrase(_) => "wrong-passphrase",
            Error::PassphraseRequired(_) => "passphrase-required",
            Error::KeyFile(_) => "invalid-key-file",
            Error::Envelope(_) => "invalid-sealed-record",
            Error::LimitExceeded { .. } => "limit-exceeded",
            Error::Cancelled => "cancelled",
            Error::Misuse(_) => "misuse",
            Error::Io(_) => "io",
        }
    }

    pub(crate) fn limit(what: impl Into<String>, limit: u64, actual: u64) -> Self {
        Error::LimitExceeded {
            what: what.into(),
            limit,
            actual,
        }
    }

    pub(crate) fn corrupt(entry: &str, reason: impl Into<String>) -> Self {
        Error::CorruptRecord {
            entry: entry.to_owned(),
            reason: reason.into(),
        }
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
