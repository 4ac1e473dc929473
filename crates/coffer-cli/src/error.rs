//! The CLI's errors: engine errors with the file they concern, plus the
//! cases only the command line has (existing output files, empty
//! passphrase files, ...). Each knows its exit status and, where one helps,
//! a hint for the user.

use std::io;
use std::path::{Path, PathBuf};

use coffer_engine::locked::LockedInfo;
use coffer_engine::Error as EngineError;

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: the backup is invalid or failed verification.
pub const EXIT_INVALID: u8 = 1;
/// Exit status: usage or I/O error (including missing or wrong keys and passphrases).
pub const EXIT_USAGE: u8 = 2;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The engine rejected a backup, or could not open it with what was given.
    #[error("{}: {error}", path.display())]
    Backup {
        /// The backup file.
        path: PathBuf,
        /// What the engine said.
        error: EngineError,
    },
    /// A locked backup was given neither a passphrase nor a key that opens it.
    #[error("{} is a locked backup; it cannot be read without {}", path.display(), unlock_methods(info))]
    Locked {
        /// The backup file.
        path: PathBuf,
        /// Who can unlock it.
        info: LockedInfo,
        /// The engine's code (`passphrase-required` or `key-required`).
        code: &'static str,
    },
    /// The engine rejected a key file, or its passphrase.
    #[error("key file {}: {error}", path.display())]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What the engine said.
        error: EngineError,
    },
    /// The engine failed while creating something (a key, a key file).
    #[error("{what}: {error}")]
    Engine {
        /// What was being done.
        what: &'static str,
        /// What the engine said.
        error: EngineError,
    },
    /// A destination (S3, WebDAV) failed or its settings are unusable.
    #[error("{0}")]
    Remote(#[from] coffer_remote::RemoteError),
    /// A file could not be read.
    #[error("cannot read {what} {}: {error}", path.display())]
    Read {
        /// What the file is ("backup", "passphrase file", ...).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        error: io::Error,
    },
    /// A file or directory could not be written.
    #[error("cannot write {}: {error}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        error: io::Error,
    },
    /// Standard output could not be written (a closed pipe is not reported).
    #[error("cannot write to standard output: {0}")]
    Stdout(io::Error),
    /// A passphrase file's first line is empty.
    #[error("passphrase file {} is empty", path.display())]
    EmptyPassphrase {
        /// The passphrase file.
        path: PathBuf,
    },
    /// A passphrase file is implausibly large.
    #[error("passphrase file {} is larger than {limit} bytes", path.display())]
    PassphraseTooLarge {
        /// The passphrase file.
        path: PathBuf,
        /// The largest file accepted.
        limit: u64,
    },
    /// An output file exists already.
    #[error("{} already exists; refusing to overwrite it", path.display())]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// The output directory has files in it.
    #[error("output directory {} is not empty", path.display())]
    OutputNotEmpty {
        /// The directory.
        path: PathBuf,
    },
    /// Something that must be a directory is not one.
    #[error("{} exists and is not a directory", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
}

/// "a passphrase or the master key with id X", from a locked header.
fn unlock_methods(info: &LockedInfo) -> String {
    match (info.passphrase, info.key_id) {
        (true, Some(id)) => format!("its passphrase or the master key with id {id}"),
        (true, None) => "its passphrase".to_owned(),
        (false, Some(id)) => format!("the master key with id {id}"),
        (false, None) => "a way to unlock it (its header names none)".to_owned(),
    }
}

impl CliError {
    /// An engine error about the backup at `path`.
    pub fn backup(path: &Path, error: EngineError) -> Self {
        CliError::Backup {
            path: path.to_owned(),
            error,
        }
    }

    /// A failed read of `path`.
    pub fn read(what: &'static str, path: &Path, error: io::Error) -> Self {
        CliError::Read {
            what,
            path: path.to_owned(),
            error,
        }
    }

    /// A failed write of `path`.
    pub fn write(path: &Path, error: io::Error) -> Self {
        CliError::Write {
            path: path.to_owned(),
            error,
        }
    }

    /// Whether this is a closed standard output (`coffer inspect x | head`),
    /// which is not an error for a command-line tool.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Stdout(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Backup { error, .. } if is_invalid_backup(error) => EXIT_INVALID,
            _ => EXIT_USAGE,
        }
    }

    /// The engine's stable error code (FORMAT.md §7.4) when the backup or a
    /// key file was at fault.
    pub fn engine_code(&self) -> Option<&'static str> {
        match self {
            CliError::Backup { error, .. } | CliError::KeyFile { error, .. } => Some(error.code()),
            CliError::Locked { code, .. } => Some(code),
            CliError::Remote(e) => Some(e.code()),
            _ => None,
        }
    }

    /// A line of advice on what to do next, where there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            CliError::Backup { error, .. } => backup_hint(error),
            CliError::Locked { info, .. } => Some(match (info.passphrase, info.key_id) {
                (true, Some(_)) => {
                    "pass --passphrase-file FILE, or --key with the backup's key file".to_owned()
                }
                (true, None) => "pass --passphrase-file FILE".to_owned(),
                (false, Some(id)) => format!("pass --key with the key file of key id {id}"),
                (false, None) => "the file may be damaged; try another copy".to_owned(),
            }),
            CliError::KeyFile { error, .. } => match error {
                EngineError::PassphraseRequired(_) => Some(
                    "this key file is protected by a passphrase; pass --key-passphrase-file FILE"
                        .to_owned(),
                ),
                EngineError::WrongPassphrase(_) => Some(PASSPHRASE_LINE_HINT.to_owned()),
                EngineError::KeyFile(_) | EngineError::UnsupportedVersion { .. } => Some(
                    "pass a key file written by Coffer (`coffer key new` or the app's key export)"
                        .to_owned(),
                ),
                EngineError::LimitExceeded { .. } => Some(
                    "the key file asks for more KDF work than coffer allows; it may be hostile"
                        .to_owned(),
                ),
                _ => None,
            },
            CliError::EmptyPassphrase { .. } => Some(PASSPHRASE_LINE_HINT.to_owned()),
            CliError::Remote(coffer_remote::RemoteError::NotFound { .. }) => Some(
                "check --bucket and --prefix (or the WebDAV URL); `coffer remote list` shows the backups there"
                    .to_owned(),
            ),
            CliError::AlreadyExists { .. } => {
                Some("choose another --out path, or remove the file first".to_owned())
            }
            CliError::OutputNotEmpty { .. } => Some(
                "choose an empty or new directory, or pass --force to write into it anyway"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

/// Hint for passphrase problems.
const PASSPHRASE_LINE_HINT: &str =
    "the passphrase is the first line of the passphrase file, without its line ending";

/// Whether an engine error says the backup itself is bad (exit status 1)
/// rather than that coffer lacked what it needed to read it (status 2).
pub fn is_invalid_backup(error: &EngineError) -> bool {
    !matches!(
        error,
        EngineError::Io(_)
            | EngineError::Misuse(_)
            | EngineError::Cancelled
            | EngineError::WrongKey { .. }
            | EngineError::KeyRequired(_)
            | EngineError::PassphraseRequired(_)
            | EngineError::WrongPassphrase(_)
            | EngineError::KeyFile(_)
    )
}

/// What to suggest for an engine error about a backup.
fn backup_hint(error: &EngineError) -> Option<String> {
    Some(match error {
        EngineError::WrongKey { expected, .. } => {
            format!("this backup needs key id {expected}; pass --key with that key file")
        }
        EngineError::KeyRequired(id) => format!("pass --key with the key file of key id {id}"),
        EngineError::PassphraseRequired(_) => "pass --passphrase-file FILE".to_owned(),
        EngineError::WrongPassphrase(_) => PASSPHRASE_LINE_HINT.to_owned(),
        EngineError::MacMismatch => {
            "the manifest was changed after the backup was written; do not trust this copy"
                .to_owned()
        }
        EngineError::HashMismatch(_)
        | EngineError::SizeMismatch { .. }
        | EngineError::Truncated(_)
        | EngineError::Zip(_)
        | EngineError::CorruptRecord { .. }
        | EngineError::RecordCountMismatch { .. }
        | EngineError::MissingEntry(_)
        | EngineError::UnexpectedEntry(_)
        | EngineError::DuplicateEntry(_)
        | EngineError::MacMissing
        | EngineError::DecryptionFailed => {
            "the file is damaged or was altered; try another copy of the backup".to_owned()
        }
        EngineError::NotABackup(_) => {
            "coffer reads backups written by Coffer: a .zip archive or a locked backup".to_owned()
        }
        EngineError::UnsupportedVersion { .. } => {
            "this backup was written by a newer Coffer; upgrade coffer to read it".to_owned()
        }
        EngineError::LimitExceeded { .. } => {
            "if you trust this file, raise the limit with --max-size or --max-ratio".to_owned()
        }
        _ => return None,
    })
}

/// Writes `error: ...`, its causes (each once) and its hint to `out`.
pub fn report(err: &CliError, out: &mut dyn io::Write) -> io::Result<()> {
    let top = err.to_string();
    writeln!(out, "error: {top}")?;
    let mut shown = top;
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        let text = s.to_string();
        // Messages usually embed their cause; print only what is new.
        if !shown.contains(&text) {
            writeln!(out, "  caused by: {text}")?;
            shown.push_str(&text);
        }
        source = s.source();
    }
    if let Some(h) = err.hint() {
        writeln!(out, "hint: {h}")?;
    }
    if let Some(code) = err.engine_code() {
        writeln!(out, "code: {code}")?;
    }
    Ok(())
}
