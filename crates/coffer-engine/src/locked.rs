//! Whole-backup encryption (FORMAT.md §6): a locked backup is a header
//! followed by the ZIP archive encrypted with [STREAM](crate::primitives::stream).
//! Store names, counts and sizes are all hidden.
//!
//! A random 32-byte file key encrypts the payload; the header holds it
//! wrapped under a passphrase (Argon2id), under the master key, or both, and
//! ends in a MAC keyed from the file key, so any altered header byte is
//! caught once the file key is known.

use std::io::{self, Read, Seek, SeekFrom, Write};

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::format::locked::{LockedHeader, Stanza, MAGIC, MAX_HEADER_LEN, PAYLOAD_SALT_LEN};
use crate::keys::{
    random_bytes, KeyId, MasterKey, LOCK_HEADER_MAC_CONTEXT, LOCK_PAYLOAD_CONTEXT,
    LOCK_WRAP_CONTEXT,
};
use crate::limits::Limits;
use crate::primitives::aead;
use crate::primitives::kdf::{self, KdfParams, SALT_LEN};
use crate::primitives::stream::{StreamReader, StreamWriter};
use crate::reader::BackupReader;

/// Who can unlock a backup being written.
#[derive(Clone, Default)]
pub struct Lock {
    /// A passphrase and the Argon2id parameters to stretch it with.
    pub passphrase: Option<(Zeroizing<Vec<u8>>, KdfParams)>,
    /// The master key.
    pub master_key: Option<MasterKey>,
}

/// What is at hand to unlock a backup being read.
#[derive(Clone, Copy, Default)]
pub struct Unlock<'a> {
    /// A passphrase.
    pub passphrase: Option<&'a [u8]>,
    /// The master key.
    pub master_key: Option<&'a MasterKey>,
}

/// What a locked header says without being unlocked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedInfo {
    /// Whether a passphrase unlocks it.
    pub passphrase: bool,
    /// The id of the master key that unlocks it, if any.
    pub key_id: Option<KeyId>,
}

fn header_mac(file_key: &[u8; 32], input: &[u8]) -> [u8; 32] {
    let k = blake3::derive_key(LOCK_HEADER_MAC_CONTEXT, file_key);
    *blake3::keyed_hash(&k, input).as_bytes()
}

fn payload_key(file_key: &[u8; 32], salt: &[u8; PAYLOAD_SALT_LEN]) -> Zeroizing<[u8; 32]> {
    let mut material = Zeroizing::new([0u8; 32 + PAYLOAD_SALT_LEN]);
    material[..32].copy_from_slice(file_key);
    material[32..].copy_from_slice(salt);
    Zeroizing::new(blake3::derive_key(LOCK_PAYLOAD_CONTEXT, material.as_ref()))
}

/// Writes a locked header for `lock` to `out` and returns the encrypting
/// writer for the archive; call [`StreamWriter::finish`] when done.
pub fn lock_writer<W: Write>(mut out: W, lock: &Lock) -> Result<StreamWriter<W>> {
    if lock.passphrase.is_none() && lock.master_key.is_none() {
        return Err(Error::Misuse(
            "a locked backup needs a passphrase or a master key".into(),
        ));
    }
    let mut file_key = Zeroizing::new([0u8; 32]);
    random_bytes(file_key.as_mut())?;
    let mut stanzas = Vec::new();
    if let Some((pass, params)) = &lock.passphrase {
        if pass.is_empty() {
            return Err(Error::Misuse("the passphrase is empty".into()));
        }
        params.check(&Limits::default())?;
        let mut salt = [0u8; SALT_LEN];
        random_bytes(&mut salt)?;
        let mut s = Stanza::Passphrase {
            params: *params,
            salt,
            wrapped: Vec::new(),
        };
        let wrap = kdf::derive(pass, &salt, *params)?;
        let mut wrapped = Vec::new();
        aead::seal_into(&wrap, &s.aad(), file_key.as_ref(), &mut wrapped)?;
        if let Stanza::Passphrase { wrapped: w, .. } = &mut s {
            *w = wrapped;
        }
        stanzas.push(s);
    }
    if let Some(mk) = &lock.master_key {
        let mut s = Stanza::MasterKey {
            key_id: mk.id(),
            wrapped: Vec::new(),
        };
        let mut wrapped = Vec::new();
        aead::seal_into(
            &mk.derive(LOCK_WRAP_CONTEXT).0,
            &s.aad(),
            file_key.as_ref(),
            &mut wrapped,
        )?;
        if let Stanza::MasterKey { wrapped: w, .. } = &mut s {
            *w = wrapped;
        }
        stanzas.push(s);
    }
    let mut payload_salt = [0u8; PAYLOAD_SALT_LEN];
    random_bytes(&mut payload_salt)?;
    let input = LockedHeader::mac_input(&stanzas, &payload_salt);
    let mac = header_mac(&file_key, &input);
    out.write_all(&input)?;
    out.write_all(&mac)?;
    Ok(StreamWriter::new(
        out,
        &payload_key(&file_key, &payload_salt),
    ))
}

/// Whether `prefix` (the first bytes of a file) starts a locked backup.
///
/// Prefer [`identify`], or [`BackupReader::locked`] on what [`open_backup`]
/// returns: the engine then reads the header itself.
pub fn is_locked(prefix: &[u8]) -> bool {
    prefix.starts_with(MAGIC)
}

/// Which kind of backup a file is (FORMAT.md §1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackupKind {
    /// Not locked: the file should be a ZIP archive (§3). Whether it is one
    /// is for [`BackupReader::open`] to say.
    Plain,
    /// A locked backup (§6), with who can unlock it.
    Locked(LockedInfo),
}

impl BackupKind {
    /// Who can unlock the backup, when it is locked.
    pub fn locked(&self) -> Option<&LockedInfo> {
        match self {
            BackupKind::Plain => None,
            BackupKind::Locked(info) => Some(info),
        }
    }
}

/// Tells a locked backup from a plain one without unlocking anything: reads
/// the first bytes and, when they are the locked magic, parses the header
/// (its structure errors are reported). Rewinds `r` first.
pub fn identify<R: Read + Seek>(r: &mut R) -> Result<BackupKind> {
    let mut prefix = [0u8; 8];
    r.rewind()?;
    let n = read_up_to(r, &mut prefix)?;
    if is_locked(&prefix[..n]) {
        Ok(BackupKind::Locked(locked_info(r)?))
    } else {
        Ok(BackupKind::Plain)
    }
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn read_header<R: Read + Seek>(r: &mut R) -> Result<LockedHeader> {
    r.rewind()?;
    let mut buf = Vec::with_capacity(MAX_HEADER_LEN);
    r.by_ref()
        .take(MAX_HEADER_LEN as u64)
        .read_to_end(&mut buf)?;
    LockedHeader::parse(&buf)
}

/// Reads who can unlock a locked backup.
pub fn locked_info<R: Read + Seek>(r: &mut R) -> Result<LockedInfo> {
    Ok(LockedInfo::of(&read_header(r)?))
}

impl LockedInfo {
    fn of(h: &LockedHeader) -> Self {
        LockedInfo {
            passphrase: h
                .stanzas
                .iter()
                .any(|s| matches!(s, Stanza::Passphrase { .. })),
            key_id: h.stanzas.iter().find_map(|s| match s {
                Stanza::MasterKey { key_id, .. } => Some(*key_id),
                _ => None,
            }),
        }
    }
}

/// A backup's bytes: a plain archive, or a locked one being decrypted.
pub enum Input<R: Read + Seek> {
    /// A plain ZIP archive.
    Plain(R),
    /// A locked backup's decrypted payload.
    Locked(StreamReader<R>),
}

impl<R: Read + Seek> Read for Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Plain(r) => r.read(buf),
            Input::Locked(r) => r.read(buf),
        }
    }
}

impl<R: Read + Seek> Seek for Input<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            Input::Plain(r) => r.seek(pos),
            Input::Locked(r) => r.seek(pos),
        }
    }
}

impl<R: Read + Seek> Input<R> {
    /// Whether the backup was locked.
    pub fn is_locked(&self) -> bool {
        matches!(self, Input::Locked(_))
    }
}

/// Recognises a plain or locked backup and, if locked, unlocks it with what
/// `unlock` offers: the master key when a stanza names its id, else the
/// passphrase. Fails before any payload byte is released if nothing fits.
pub fn open_input<R: Read + Seek>(r: R, unlock: Unlock<'_>, limits: &Limits) -> Result<Input<R>> {
    open_input_with_info(r, unlock, limits).map(|(input, _)| input)
}

/// [`open_input`], also saying who could unlock the backup if it is locked.
fn open_input_with_info<R: Read + Seek>(
    mut r: R,
    unlock: Unlock<'_>,
    limits: &Limits,
) -> Result<(Input<R>, Option<LockedInfo>)> {
    let mut prefix = [0u8; 8];
    r.rewind()?;
    let n = read_up_to(&mut r, &mut prefix)?;
    if !is_locked(&prefix[..n]) {
        r.rewind()?;
        return Ok((Input::Plain(r), None));
    }
    let h = read_header(&mut r)?;
    let info = LockedInfo::of(&h);
    // Every passphrase stanza's parameters are bounded before any unwrapping,
    // whichever stanza unlocks (FORMAT.md §6.2).
    for s in &h.stanzas {
        if let Stanza::Passphrase { params, .. } = s {
            params.check(limits)?;
        }
    }
    let mut file_key = None;
    if let Some(mk) = unlock.master_key {
        for s in &h.stanzas {
            if let Stanza::MasterKey { key_id, wrapped } = s {
                if *key_id == mk.id() {
                    let k = aead::open(&mk.derive(LOCK_WRAP_CONTEXT).0, &s.aad(), wrapped)?;
                    file_key = Some(Zeroizing::new(k));
                }
            }
        }
    }
    if file_key.is_none() {
        if let Some(pass) = unlock.passphrase {
            for s in &h.stanzas {
                if let Stanza::Passphrase {
                    params,
                    salt,
                    wrapped,
                } = s
                {
                    let wrap = kdf::derive(pass, salt, *params)?;
                    let k = aead::open(&wrap, &s.aad(), wrapped)
                        .map_err(|_| Error::WrongPassphrase("locked backup"))?;
                    file_key = Some(Zeroizing::new(k));
                }
            }
        }
    }
    let file_key = match file_key {
        Some(k) => k,
        None => {
            let by_key = h.stanzas.iter().find_map(|s| match s {
                Stanza::MasterKey { key_id, .. } => Some(*key_id),
                _ => None,
            });
            let by_pass = h
                .stanzas
                .iter()
                .any(|s| matches!(s, Stanza::Passphrase { .. }));
            return Err(match (by_pass, by_key, unlock.master_key) {
                // A master key was offered but is not the one the header names.
                (_, Some(expected), Some(mk)) if unlock.passphrase.is_none() => Error::WrongKey {
                    expected,
                    actual: mk.id(),
                },
                (true, _, _) => Error::PassphraseRequired("locked backup"),
                (false, Some(expected), Some(mk)) => Error::WrongKey {
                    expected,
                    actual: mk.id(),
                },
                (false, Some(id), None) => Error::KeyRequired(id),
                (false, None, _) => Error::PassphraseRequired("locked backup"),
            });
        }
    };
    let mut fk = [0u8; 32];
    if file_key.len() != 32 {
        return Err(Error::DecryptionFailed);
    }
    fk.copy_from_slice(&file_key);
    let fk = Zeroizing::new(fk);
    let mac = header_mac(&fk, &LockedHeader::mac_input(&h.stanzas, &h.payload_salt));
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&mac[..], &h.mac[..])) {
        return Err(Error::DecryptionFailed);
    }
    let key = payload_key(&fk, &h.payload_salt);
    let stream_error = |e: io::Error| match e.kind() {
        io::ErrorKind::UnexpectedEof => Error::Truncated("the locked payload is cut short".into()),
        io::ErrorKind::InvalidData => Error::DecryptionFailed,
        _ => Error::Io(e),
    };
    let mut stream = StreamReader::new(r, h.len as u64, &key).map_err(stream_error)?;
    // The payload must be a plain backup (§6.3): say so for the two cases a
    // plain reader would misreport.
    if stream.plaintext_len() == 0 {
        return Err(Error::NotABackup(
            "the locked backup's payload is empty (it holds no archive)".into(),
        ));
    }
    let mut prefix = [0u8; 8];
    let n = read_up_to(&mut stream, &mut prefix).map_err(stream_error)?;
    if is_locked(&prefix[..n]) {
        return Err(Error::NotABackup(
            "the locked backup's payload is another locked backup (a payload must be a plain backup)"
                .into(),
        ));
    }
    stream.rewind()?;
    Ok((Input::Locked(stream), Some(info)))
}

/// Opens any backup, plain or locked, and checks its structure.
/// [`BackupReader::locked`] then says whether it was locked, and who could
/// unlock it.
pub fn open_backup<R: Read + Seek>(
    r: R,
    unlock: Unlock<'_>,
    limits: Limits,
) -> Result<BackupReader<Input<R>>> {
    let (input, info) = open_input_with_info(r, unlock, &limits)?;
    let locked = input.is_locked();
    let reader = BackupReader::open(input, limits).map_err(|e| match e {
        // Inside a locked backup, damage shows up as a decryption failure.
        Error::Io(io) if locked && io.kind() == io::ErrorKind::InvalidData => {
            Error::DecryptionFailed
        }
        other => other,
    })?;
    Ok(reader.with_locked(info))
}
