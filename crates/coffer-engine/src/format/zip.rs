//! The ZIP profile of a plain backup (FORMAT.md §3.1): the `zip` crate reads
//! the archive, this module checks that it is in Coffer's strict profile.
//!
//! The `zip` crate finds the end records and walks the central directory
//! ([`ZipIterable`], which keeps every header in directory order, duplicate
//! names included, and resolves ZIP64 values). What a general ZIP reader
//! tolerates and the profile does not is checked here, on the fixed-size
//! records at the positions the crate reports or the profile prescribes:
//!
//! - the end record is the file's last 22 bytes, and the fixed end records
//!   (end record, ZIP64 locator and ZIP64 end record) place the directory so
//!   that it ends where they start ([`ZipDirectory::read`], §7.1 step 2);
//! - each directory header the crate yields starts where the previous one
//!   ended, uses only the flags, methods, disk number and extra field the
//!   profile allows, and ends inside the directory;
//! - every local header and data descriptor agrees with its directory header,
//!   and the entries tile the file from byte 0 to the directory
//!   ([`ZipDirectory::check_local_headers`], §7.1 step 4).
//!
//! Entry data is then read with [`EntryReader`]: the raw bytes of the data
//! region are inflated with flate2, which (unlike the crate's own reader)
//! lets it check that the deflate stream ends exactly at the end of the
//! compressed bytes; the output is bounded and its CRC-32 kept.

use std::io::{self, Read, Seek, SeekFrom};

use flate2::{Decompress, FlushDecompress, Status};
use zip::read::{ArchiveOffset, Config};
use zip::result::ZipError;
use zip::unstable::read::ZipIterable;
use zip::HasZipMetadata;

use crate::error::{Error, Result};
use crate::primitives::stream::is_authentication_failure;

/// Local file header signature.
pub const LOCAL_SIG: u32 = 0x0403_4b50;
/// Central directory header signature.
pub const CENTRAL_SIG: u32 = 0x0201_4b50;
const DESCRIPTOR_SIG: u32 = 0x0807_4b50;
/// End-of-central-directory record signature.
pub const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_EXTRA_ID: u16 = 0x0001;

const EOCD_LEN: u64 = 22;
const ZIP64_LOCATOR_LEN: u64 = 20;
const ZIP64_EOCD_LEN: u64 = 56;
const CENTRAL_LEN: u64 = 46;
const LOCAL_LEN: u64 = 30;
/// How far back from the end the end record is searched for (its fixed part
/// plus the longest comment).
const EOCD_SEARCH: u64 = EOCD_LEN + 0xffff;

/// Compression method "stored".
pub const STORED: u16 = 0;
/// Compression method "deflate".
pub const DEFLATED: u16 = 8;
/// General-purpose flag bits a reader accepts: 1 and 2 (deflate options),
/// 3 (data descriptor), 11 (UTF-8 names).
const ALLOWED_FLAGS: u16 = 0x0002 | 0x0004 | 0x0008 | 0x0800;
const FLAG_ENCRYPTED: u16 = 0x0001;
const FLAG_DESCRIPTOR: u16 = 0x0008;

/// One entry of the central directory, checked against its local header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipEntry {
    /// The raw name bytes.
    pub name: Vec<u8>,
    /// General-purpose flags.
    pub flags: u16,
    /// Compression method ([`STORED`] or [`DEFLATED`]).
    pub method: u16,
    /// CRC-32 of the uncompressed data.
    pub crc32: u32,
    /// Bytes of (compressed) data.
    pub compressed_size: u64,
    /// Bytes once uncompressed.
    pub size: u64,
    /// Offset of the local header.
    pub header_offset: u64,
    /// Offset of the data (set by [`ZipDirectory::check_local_headers`]).
    pub data_offset: u64,
}

/// The central directory of an archive.
#[derive(Clone, Debug)]
pub struct ZipDirectory {
    /// Entries in central-directory order.
    pub entries: Vec<ZipEntry>,
    /// Where the central directory starts (where the last entry must end).
    pub cd_offset: u64,
}

fn damaged(msg: impl Into<String>) -> Error {
    Error::Zip(msg.into())
}

/// A `zip` crate error while it reads the directory: a STREAM chunk failing
/// authentication is `decryption-failed`, a failing device an I/O error, and
/// anything else `damaged-zip` (the end record already ends the file, so an
/// early end, e.g. of an extra field, is damage inside the directory).
fn crate_error(e: ZipError) -> Error {
    match e {
        ZipError::Io(e) if is_authentication_failure(&e) => Error::DecryptionFailed,
        ZipError::Io(e)
            if !matches!(
                e.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData
            ) =>
        {
            Error::Io(e)
        }
        other => damaged(format!("the ZIP directory is damaged: {other}")),
    }
}

/// `len` bytes at `offset`; fewer is `truncated`.
fn read_at<R: Read + Seek>(r: &mut R, offset: u64, len: u64) -> Result<Vec<u8>> {
    r.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(1 << 20));
    r.by_ref().take(len).read_to_end(&mut buf)?;
    if (buf.len() as u64) < len {
        return Err(Error::Truncated("the archive ends early".into()));
    }
    Ok(buf)
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes([
        b[at],
        b[at + 1],
        b[at + 2],
        b[at + 3],
        b[at + 4],
        b[at + 5],
        b[at + 6],
        b[at + 7],
    ])
}

/// The extra area of a header, in the profile (FORMAT.md §3.1): empty, or
/// one ZIP64 extended-information field filling it exactly. Returns the
/// field's data.
fn zip64_field<'a>(extra: &'a [u8], what: &str) -> Result<Option<&'a [u8]>> {
    if extra.is_empty() {
        return Ok(None);
    }
    if extra.len() < 4
        || le16(extra, 0) != ZIP64_EXTRA_ID
        || usize::from(le16(extra, 2)) != extra.len() - 4
    {
        return Err(damaged(format!(
            "the extra field of {what} is not one ZIP64 field filling its area"
        )));
    }
    Ok(Some(&extra[4..]))
}

/// Where the directory is, from the end records: (entries, size, offset,
/// where it must end).
struct EndRecords {
    entries: u64,
    cd_size: u64,
    cd_offset: u64,
    cd_end: u64,
}

/// Checks the fixed records at the end of the archive (FORMAT.md §7.1
/// steps 2a-2e): the last end-record signature within reach is the file's
/// last 22 bytes, without a comment; its disk numbers are 0 and its counts
/// agree; a ZIP64 locator right before it points at a 56-byte ZIP64 end
/// record right before the locator, which agrees with the end record; and
/// the directory ends where these records start.
fn end_records<R: Read + Seek>(r: &mut R, len: u64) -> Result<EndRecords> {
    let missing = || Error::Truncated("the ZIP end-of-central-directory record is missing".into());
    if len < EOCD_LEN {
        return Err(missing());
    }
    // The search reads the whole window (FORMAT.md §3.1), so every STREAM
    // chunk of a locked backup that it covers is authenticated here.
    let tail_start = len.saturating_sub(EOCD_SEARCH);
    let tail = read_at(r, tail_start, len - tail_start)?;
    let last = tail.len() - EOCD_LEN as usize;
    let pos = (0..=last)
        .rev()
        .find(|&i| le32(&tail, i) == EOCD_SIG)
        .ok_or_else(missing)?;
    let eocd = &tail[pos..];
    if tail_start + pos as u64 + EOCD_LEN != len || le16(eocd, 20) != 0 {
        return Err(damaged(
            "bytes follow the end-of-central-directory record (an archive comment or appended data)",
        ));
    }
    let eocd_pos = len - EOCD_LEN;
    let (disk, cd_disk, disk_entries, entries) =
        (le16(eocd, 4), le16(eocd, 6), le16(eocd, 8), le16(eocd, 10));
    let (cd_size, cd_offset) = (le32(eocd, 12), le32(eocd, 16));
    if disk != 0 || cd_disk != 0 || disk_entries != entries {
        return Err(damaged("multi-disk archives are not supported"));
    }
    let mut end = EndRecords {
        entries: u64::from(entries),
        cd_size: u64::from(cd_size),
        cd_offset: u64::from(cd_offset),
        cd_end: eocd_pos,
    };
    let locator_pos = match eocd_pos.checked_sub(ZIP64_LOCATOR_LEN) {
        Some(p) if le32(&read_at(r, p, 4)?, 0) == ZIP64_LOCATOR_SIG => p,
        _ => return Ok(end),
    };
    let loc = read_at(r, locator_pos, ZIP64_LOCATOR_LEN)?;
    if le32(&loc, 4) != 0 || le32(&loc, 16) != 1 {
        return Err(damaged("multi-disk archives are not supported"));
    }
    let z_offset = le64(&loc, 8);
    if Some(z_offset) != locator_pos.checked_sub(ZIP64_EOCD_LEN) {
        return Err(damaged(
            "the ZIP64 end record is not right before its locator",
        ));
    }
    let rec = read_at(r, z_offset, ZIP64_EOCD_LEN)?;
    if le32(&rec, 0) != ZIP64_EOCD_SIG {
        return Err(damaged("the ZIP64 end record has a wrong signature"));
    }
    if le64(&rec, 4) != ZIP64_EOCD_LEN - 12 {
        return Err(damaged("the ZIP64 end record has extensible data"));
    }
    let (d1, d2, n1, n2) = (
        le32(&rec, 16),
        le32(&rec, 20),
        le64(&rec, 24),
        le64(&rec, 32),
    );
    let (size, offset) = (le64(&rec, 40), le64(&rec, 48));
    if d1 != 0 || d2 != 0 || n1 != n2 {
        return Err(damaged("multi-disk archives are not supported"));
    }
    let agrees = |small: u64, sentinel: u64, big: u64| small == sentinel || small == big;
    if !agrees(end.entries, 0xffff, n2)
        || !agrees(end.cd_size, 0xffff_ffff, size)
        || !agrees(end.cd_offset, 0xffff_ffff, offset)
    {
        return Err(damaged("the end record and the ZIP64 end record disagree"));
    }
    end = EndRecords {
        entries: n2,
        cd_size: size,
        cd_offset: offset,
        cd_end: z_offset,
    };
    Ok(end)
}

impl ZipDirectory {
    /// Reads the central directory with the `zip` crate and checks it
    /// against the profile (FORMAT.md §7.1 step 2). `len` is the archive's
    /// length.
    pub fn read<R: Read + Seek>(r: &mut R, len: u64, max_entries: u64) -> Result<ZipDirectory> {
        let end = end_records(r, len)?;
        if end.cd_offset.checked_add(end.cd_size) != Some(end.cd_end) {
            return Err(damaged(
                "the central directory does not end where the end record starts",
            ));
        }
        if end.entries > max_entries {
            return Err(Error::limit("number of entries", max_entries, end.entries));
        }
        if end.entries == 0 {
            return Err(Error::Manifest("the archive is empty".into()));
        }
        // The crate finds the same end records (the archive starts at byte
        // 0), checks that the counted headers fit in the directory (46 bytes
        // each) and yields them one at a time, in directory order.
        let config = Config {
            archive_offset: ArchiveOffset::Known(0),
        };
        let mut archive = ZipIterable::try_new(&mut *r, config).map_err(crate_error)?;
        if archive.len() as u64 != end.entries {
            return Err(damaged(
                "the ZIP reader found another directory than the end record names",
            ));
        }
        let files = archive.files().map_err(crate_error)?;
        let mut entries = Vec::with_capacity(end.entries.min(1 << 16) as usize);
        let mut at = end.cd_offset;
        let mut i = 0u64;
        while let Some(file) = files.next() {
            let file = file.map_err(crate_error)?;
            let d = file.get_metadata();
            let what = format!("central-directory entry {i}");
            // The crate walks headers back to back; the first must be where
            // the end record says (not an earlier, stray end record's).
            if d.central_header_start != at {
                return Err(damaged(format!(
                    "{what} is not where the directory places it"
                )));
            }
            let h = read_at(files.reader_mut(), at, CENTRAL_LEN)?;
            let (name_len, extra_len, comment_len) = (
                u64::from(le16(&h, 28)),
                u64::from(le16(&h, 30)),
                u64::from(le16(&h, 32)),
            );
            let next = at + CENTRAL_LEN + name_len + extra_len + comment_len;
            if next > end.cd_end {
                return Err(damaged(format!("{what} runs past the central directory")));
            }
            let flags = le16(&h, 8);
            let method = le16(&h, 10);
            if flags & FLAG_ENCRYPTED != 0 {
                return Err(damaged(format!(
                    "{what} uses ZIP encryption, which Coffer never writes"
                )));
            }
            if flags & !ALLOWED_FLAGS != 0 {
                return Err(damaged(format!(
                    "{what} has general-purpose flags {flags:#06x}, which Coffer never writes"
                )));
            }
            if method != STORED && method != DEFLATED {
                return Err(damaged(format!(
                    "{what} uses compression method {method}, which Coffer never writes"
                )));
            }
            if le16(&h, 34) != 0 {
                return Err(damaged("multi-disk archives are not supported"));
            }
            // The ZIP64 field holds exactly the values of the all-ones
            // fields (the crate has taken them from it).
            let extra = read_at(files.reader_mut(), at + CENTRAL_LEN + name_len, extra_len)?;
            let zip64 = zip64_field(&extra, &what)?;
            let needed = 8 * [le32(&h, 24), le32(&h, 20), le32(&h, 42)]
                .iter()
                .filter(|&&v| v == u32::MAX)
                .count();
            if zip64.map_or(0, <[u8]>::len) != needed {
                return Err(damaged(format!(
                    "the ZIP64 field of {what} does not hold exactly the values its all-ones fields need"
                )));
            }
            if method == STORED && d.compressed_size != d.uncompressed_size {
                return Err(damaged(format!(
                    "{what} is stored but its compressed and uncompressed sizes differ"
                )));
            }
            entries.push(ZipEntry {
                name: file.name_raw().to_vec(),
                flags,
                method,
                crc32: d.crc32,
                compressed_size: d.compressed_size,
                size: d.uncompressed_size,
                header_offset: d.header_start,
                data_offset: 0,
            });
            at = next;
            i += 1;
        }
        if at != end.cd_end {
            return Err(damaged(
                "the central directory holds bytes after its last entry",
            ));
        }
        Ok(ZipDirectory {
            entries,
            cd_offset: end.cd_offset,
        })
    }

    /// Checks every local header and data descriptor against the central
    /// directory, and that the entries are contiguous: the first starts at
    /// byte 0, each starts where the previous one ended, and the last ends
    /// where the central directory starts (FORMAT.md §7.1 step 4). Sets each
    /// entry's `data_offset`.
    pub fn check_local_headers<R: Read + Seek>(&mut self, r: &mut R) -> Result<()> {
        let mut at = 0u64;
        let cd_offset = self.cd_offset;
        for (i, e) in self.entries.iter_mut().enumerate() {
            at = local_entry(r, i, e, at, cd_offset)?;
        }
        if at != cd_offset {
            return Err(damaged(
                "bytes lie between the last entry and the central directory",
            ));
        }
        Ok(())
    }
}

/// Checks entry `i`, which must start at `at` and end by `cd_offset`;
/// returns where it ends.
fn local_entry<R: Read + Seek>(
    r: &mut R,
    i: usize,
    e: &mut ZipEntry,
    at: u64,
    cd_offset: u64,
) -> Result<u64> {
    let what = format!("entry {i}");
    let within = |end: Option<u64>, part: &str| {
        end.filter(|&end| end <= cd_offset).ok_or_else(|| {
            damaged(format!(
                "the {part} of {what} runs into the central directory"
            ))
        })
    };
    if e.header_offset != at {
        return Err(damaged(format!(
            "{what} does not start where the entry before it ends (unused or overlapping bytes)"
        )));
    }
    let fixed_end = within(at.checked_add(LOCAL_LEN), "local header")?;
    let h = read_at(r, at, LOCAL_LEN)?;
    let label = format!("the local header of {what}");
    if le32(&h, 0) != LOCAL_SIG {
        return Err(damaged(format!("{what} has no local header")));
    }
    let (flags, method) = (le16(&h, 6), le16(&h, 8));
    let (crc, csize, usize_) = (le32(&h, 14), le32(&h, 18), le32(&h, 22));
    let (name_len, extra_len) = (u64::from(le16(&h, 26)), u64::from(le16(&h, 28)));
    if flags != e.flags || method != e.method {
        return Err(damaged(format!(
            "{label} disagrees with the central directory (flags or method)"
        )));
    }
    let var_end = within(Some(fixed_end + name_len + extra_len), "local header")?;
    let var = read_at(r, fixed_end, name_len + extra_len)?;
    let (name, extra) = var.split_at(name_len as usize);
    if name != e.name.as_slice() {
        return Err(damaged(format!(
            "{label} names another entry than the central directory"
        )));
    }
    let zip64 = zip64_field(extra, &label)?;
    e.data_offset = var_end;
    let data_end = within(var_end.checked_add(e.compressed_size), "data")?;
    if flags & FLAG_DESCRIPTOR == 0 {
        // Sizes from the ZIP64 field when all ones, which then holds
        // exactly those values (uncompressed first).
        let z = zip64.unwrap_or_default();
        let mut values = z.chunks_exact(8).map(|v| le64(v, 0));
        let mut wide = |narrow: u32| {
            if narrow == u32::MAX {
                values.next()
            } else {
                Some(u64::from(narrow))
            }
        };
        let (lu, lc) = (wide(usize_), wide(csize));
        let needed = 8 * usize::from(usize_ == u32::MAX) + 8 * usize::from(csize == u32::MAX);
        if z.len() != needed {
            return Err(damaged(format!(
                "the ZIP64 field of {label} does not hold exactly the values its all-ones fields need"
            )));
        }
        if crc != e.crc32 || lc != Some(e.compressed_size) || lu != Some(e.size) {
            return Err(damaged(format!(
                "the local header of {what} disagrees with the central directory (CRC or sizes)"
            )));
        }
        return Ok(data_end);
    }
    // Sizes and CRC follow the data; 8-byte sizes when the local header has
    // a ZIP64 field (whose content is then not used).
    let wide = zip64.is_some();
    let end = within(
        data_end.checked_add(if wide { 24 } else { 16 }),
        "data descriptor",
    )?;
    let d = read_at(r, data_end, end - data_end)?;
    let label = format!("the data descriptor of {what}");
    if le32(&d, 0) != DESCRIPTOR_SIG {
        return Err(damaged(format!(
            "{what} has no data descriptor (with its signature) after its data"
        )));
    }
    let dcrc = le32(&d, 4);
    let (dc, du) = if wide {
        (le64(&d, 8), le64(&d, 16))
    } else {
        (u64::from(le32(&d, 8)), u64::from(le32(&d, 12)))
    };
    if dcrc != e.crc32 || dc != e.compressed_size || du != e.size {
        return Err(damaged(format!(
            "{label} disagrees with the central directory"
        )));
    }
    Ok(end)
}

/// Reads an entry's uncompressed data: inflates it (or copies it when
/// stored), yields at most `limit` bytes, and at the end of the data checks
/// that the deflate stream ended exactly at the end of the compressed data
/// (`damaged-zip`). The CRC-32 of what was read is [`EntryReader::crc32`].
pub struct EntryReader<'a, R: Read> {
    inner: io::Take<&'a mut R>,
    method: u16,
    inflate: Decompress,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    done: bool,
    crc: crc32fast::Hasher,
}

impl<'a, R: Read + Seek> EntryReader<'a, R> {
    /// A reader of `entry`'s data in `r`.
    pub fn new(r: &'a mut R, entry: &ZipEntry) -> Result<Self> {
        r.seek(SeekFrom::Start(entry.data_offset))?;
        Ok(EntryReader {
            inner: r.take(entry.compressed_size),
            method: entry.method,
            inflate: Decompress::new(false),
            buf: vec![
                0u8;
                if entry.method == DEFLATED {
                    64 * 1024
                } else {
                    0
                }
            ],
            pos: 0,
            end: 0,
            done: false,
            crc: crc32fast::Hasher::new(),
        })
    }
}

impl<R: Read> EntryReader<'_, R> {
    /// CRC-32 of the bytes read so far.
    pub fn crc32(&self) -> u32 {
        self.crc.clone().finalize()
    }

    fn read_inflated(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.done {
                return Ok(0);
            }
            if self.pos == self.end && self.inner.limit() > 0 {
                self.end = self.inner.read(&mut self.buf)?;
                self.pos = 0;
                if self.end == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the archive ends inside an entry",
                    ));
                }
            }
            let before_in = self.inflate.total_in();
            let before_out = self.inflate.total_out();
            let status = self
                .inflate
                .decompress(&self.buf[self.pos..self.end], out, FlushDecompress::None)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            self.pos += (self.inflate.total_in() - before_in) as usize;
            let produced = (self.inflate.total_out() - before_out) as usize;
            if status == Status::StreamEnd {
                self.done = true;
                if self.pos != self.end || self.inner.limit() > 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "bytes follow the end of the deflate stream",
                    ));
                }
            } else if produced == 0 && self.pos == self.end && self.inner.limit() == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the deflate stream ends before its final block",
                ));
            }
            if produced > 0 || out.is_empty() {
                return Ok(produced);
            }
        }
    }
}

impl<R: Read> Read for EntryReader<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = if self.method == DEFLATED {
            self.read_inflated(out)?
        } else {
            let n = self.inner.read(out)?;
            if n == 0 && self.inner.limit() > 0 && !out.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the archive ends inside an entry",
                ));
            }
            n
        };
        self.crc.update(&out[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
