//! Opening backups, plain or locked, with what the user gave on the
//! command line.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use coffer_engine::locked::{self, Input, LockedInfo, Unlock};
use coffer_engine::{BackupReader, Error as EngineError, Limits, MasterKey};

use crate::cli::{LimitArgs, UnlockArgs};
use crate::error::CliError;
use crate::secrets;

/// The reader type of an opened backup file.
pub type Reader = BackupReader<Input<BufReader<File>>>;

/// Turns the limit flags into engine [`Limits`].
pub fn limits(args: &LimitArgs) -> Limits {
    let mut l = Limits::default();
    if let Some(max) = args.max_size {
        l.max_total_size = max;
        l.max_entry_size = max;
        l.max_part_size = l.max_part_size.min(max);
    }
    if let Some(ratio) = args.max_ratio {
        l.max_compression_ratio = ratio;
    }
    l
}

/// A backup file before it is opened: its path, whether it is locked, and
/// the credentials read from the command line.
pub struct Source {
    /// The backup file.
    pub path: PathBuf,
    /// Who can unlock it, when it is locked (the engine read its header).
    pub locked: Option<LockedInfo>,
    /// The master key, when `--key` was given.
    pub key: Option<MasterKey>,
    /// The passphrase, when `--passphrase-file` was given.
    pub passphrase: Option<zeroize::Zeroizing<Vec<u8>>>,
    /// The limits in force.
    pub limits: Limits,
}

impl Source {
    /// Asks the engine whether the backup is locked (and by what), and reads
    /// the key and passphrase files named on the command line.
    pub fn new(path: &Path, unlock: &UnlockArgs, limits: Limits) -> Result<Source, CliError> {
        let mut file =
            BufReader::new(File::open(path).map_err(|e| CliError::read("backup", path, e))?);
        let locked = match locked::identify(&mut file) {
            Ok(kind) => kind.locked().cloned(),
            Err(EngineError::Io(e)) => return Err(CliError::read("backup", path, e)),
            Err(e) => return Err(CliError::backup(path, e)),
        };
        let key = unlock
            .key
            .as_deref()
            .map(|k| secrets::load_key(k, unlock.key_passphrase_file.as_deref(), &limits))
            .transpose()?;
        let passphrase = unlock
            .passphrase_file
            .as_deref()
            .map(secrets::read_passphrase_file)
            .transpose()?;
        Ok(Source {
            path: path.to_owned(),
            locked,
            key,
            passphrase,
            limits,
        })
    }

    /// Whether the user gave anything that could unlock a locked backup.
    pub fn has_credentials(&self) -> bool {
        self.key.is_some() || self.passphrase.is_some()
    }

    /// Opens the backup (unlocking it if locked) and checks its structure.
    pub fn open(&self) -> Result<Reader, CliError> {
        let file = File::open(&self.path).map_err(|e| CliError::read("backup", &self.path, e))?;
        let unlock = Unlock {
            passphrase: self.passphrase.as_ref().map(|p| p.as_slice()),
            master_key: self.key.as_ref(),
        };
        locked::open_backup(BufReader::new(file), unlock, self.limits.clone()).map_err(|error| {
            match (&self.locked, &error) {
                (Some(info), EngineError::PassphraseRequired(_) | EngineError::KeyRequired(_)) => {
                    CliError::Locked {
                        path: self.path.clone(),
                        info: info.clone(),
                        code: error.code(),
                    }
                }
                _ => CliError::backup(&self.path, error),
            }
        })
    }
}
