//! Opening backups, plain or locked, with what the user gave on the
//! command line.

use std::fs::File;
use std::io::{BufReader, Read};
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
    /// Who can unlock it, when it is locked.
    pub locked: Option<LockedInfo>,
    /// The master key, when `--key` was given.
    pub key: Option<MasterKey>,
    /// The passphrase, when `--passphrase-file` was given.
    pub passphrase: Option<zeroize::Zeroizing<Vec<u8>>>,
    /// The limits in force.
    pub limits: Limits,
}

impl Source {
    /// Looks at the backup's first bytes and reads the key and passphrase
    /// files named on the command line.
    pub fn new(path: &Path, unlock: &UnlockArgs, limits: Limits) -> Result<Source, CliError> {
        let mut file = File::open(path).map_err(|e| CliError::read("backup", path, e))?;
        let mut prefix = [0u8; 8];
        let n =
            read_prefix(&mut file, &mut prefix).map_err(|e| CliError::read("backup", path, e))?;
        let locked = if locked::is_locked(&prefix[..n]) {
            Some(locked::locked_info(&mut file).map_err(|e| CliError::backup(path, e))?)
        } else {
            None
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
                    }
                }
                _ => CliError::backup(&self.path, error),
            }
        })
    }
}

/// Reads up to `buf.len()` bytes from the start of `r`.
fn read_prefix(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
