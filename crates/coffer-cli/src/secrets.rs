//! Reading passphrases and master keys from files.
//!
//! Passphrase files: the passphrase is the file's first line without its
//! line ending (`\n` or `\r\n`); the rest of the file is ignored and no
//! other whitespace is trimmed. Passphrase bytes live in [`Zeroizing`]
//! buffers, so they are wiped when dropped.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use coffer_engine::keyfile::{self, MAX_KEY_FILE_LEN};
use coffer_engine::{Error as EngineError, Limits, MasterKey};
use zeroize::Zeroizing;

use crate::error::CliError;

/// Largest passphrase file read, in bytes.
pub const MAX_PASSPHRASE_FILE_LEN: u64 = 64 * 1024;

/// Reads at most `limit` bytes of `path` into a buffer that is wiped on drop.
/// Returns `None` when the file is larger than `limit`.
fn read_secret_file(
    what: &'static str,
    path: &Path,
    limit: u64,
) -> Result<Option<Zeroizing<Vec<u8>>>, CliError> {
    let file = File::open(path).map_err(|e| CliError::read(what, path, e))?;
    // Allocate once, up front: growing the vector would leave copies of the
    // secret behind in freed memory.
    let cap = usize::try_from(limit + 1).unwrap_or(usize::MAX);
    let mut buf = Zeroizing::new(Vec::with_capacity(cap));
    file.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| CliError::read(what, path, e))?;
    if buf.len() as u64 > limit {
        return Ok(None);
    }
    Ok(Some(buf))
}

/// The passphrase in `path`: its first line, without the line ending.
pub fn read_passphrase_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let mut buf =
        read_secret_file("passphrase file", path, MAX_PASSPHRASE_FILE_LEN)?.ok_or_else(|| {
            CliError::PassphraseTooLarge {
                path: path.to_owned(),
                limit: MAX_PASSPHRASE_FILE_LEN,
            }
        })?;
    first_line(&mut buf);
    if buf.is_empty() {
        return Err(CliError::EmptyPassphrase {
            path: path.to_owned(),
        });
    }
    Ok(buf)
}

/// Cuts `buf` down to its first line, without `\n` or `\r\n`. The bytes cut
/// off stay in the vector's spare capacity until it is zeroized.
fn first_line(buf: &mut Vec<u8>) {
    if let Some(nl) = buf.iter().position(|&b| b == b'\n') {
        buf.truncate(nl);
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
}

/// Loads the master key from a key file, unlocking it with the passphrase
/// in `passphrase_file` when it is protected.
pub fn load_key(
    path: &Path,
    passphrase_file: Option<&Path>,
    limits: &Limits,
) -> Result<MasterKey, CliError> {
    let key_file_err = |error| CliError::KeyFile {
        path: path.to_owned(),
        error,
    };
    let text = read_key_file_text(path)?;
    let pass = passphrase_file.map(read_passphrase_file).transpose()?;
    keyfile::read_key_file(&text, pass.as_ref().map(|p| p.as_slice()), limits).map_err(key_file_err)
}

/// Reads a key file's text (wiped on drop: unprotected files hold the key).
pub fn read_key_file_text(path: &Path) -> Result<Zeroizing<String>, CliError> {
    let key_file_err = |error| CliError::KeyFile {
        path: path.to_owned(),
        error,
    };
    let bytes = read_secret_file("key file", path, MAX_KEY_FILE_LEN as u64)?.ok_or_else(|| {
        key_file_err(EngineError::KeyFile(format!(
            "larger than any key file ({MAX_KEY_FILE_LEN} bytes at most)"
        )))
    })?;
    match std::str::from_utf8(&bytes) {
        Ok(s) => Ok(Zeroizing::new(s.to_owned())),
        Err(_) => Err(key_file_err(EngineError::KeyFile(
            "not a Coffer key file (not UTF-8 text)".into(),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &[u8]) -> Vec<u8> {
        let mut v = s.to_vec();
        first_line(&mut v);
        v
    }

    #[test]
    fn first_line_strips_only_the_line_ending() {
        assert_eq!(line(b"secret\n"), b"secret");
        assert_eq!(line(b"secret\r\n"), b"secret");
        assert_eq!(line(b"secret"), b"secret");
        assert_eq!(line(b" two words \nsecond line\n"), b" two words ");
        assert_eq!(line(b"\nsecret"), b"");
        assert_eq!(line(b"a\rb\n"), b"a\rb");
    }
}
