//! The ZIP profile of a plain backup (FORMAT.md §3.1), read strictly.
//!
//! Coffer writes ZIP archives with the `zip` crate but reads them with this
//! parser, so that what a reader accepts is exactly what FORMAT.md says:
//! the end record ends the file, the central directory ends where the end
//! record (or the ZIP64 end record) starts, every entry's local header starts
//! where the previous entry ended (the first at byte 0), local headers and
//! data descriptors agree with the central directory, and no byte of the file
//! is unaccounted for. Entry data is then read with [`EntryReader`], which
//! inflates, bounds the output, and checks the deflate stream's end and the
//! CRC-32.

use std::io::{self, Read, Seek, SeekFrom};

use flate2::{Decompress, FlushDecompress, Status};

use crate::codec::Cursor;
use crate::error::{Error, Result};

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const DESCRIPTOR_SIG: u32 = 0x0807_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
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

fn read_at<R: Read + Seek>(r: &mut R, offset: u64, len: u64) -> Result<Vec<u8>> {
    r.seek(SeekFrom::Start(offset))?;
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(1 << 20));
    r.by_ref().take(len).read_to_end(&mut buf)?;
    if (buf.len() as u64) < len {
        return Err(Error::Truncated("the archive ends early".into()));
    }
    Ok(buf)
}

/// The little-endian fields of one ZIP structure, read in order; running
/// out of bytes is `damaged-zip` naming the structure.
struct Fields<'a, 'w> {
    c: Cursor<'a>,
    what: &'w str,
}

impl<'a, 'w> Fields<'a, 'w> {
    fn new(bytes: &'a [u8], what: &'w str) -> Self {
        Fields {
            c: Cursor::new(bytes),
            what,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        self.c
            .take(n)
            .map_err(|_| damaged(format!("{} is cut short", self.what)))
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(a))
    }

    fn u64(&mut self) -> Result<u64> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }

    /// `narrow` widened, or the next 8-byte ZIP64 value when it is all ones.
    fn wide(&mut self, narrow: u32) -> Result<u64> {
        if narrow == u32::MAX {
            self.u64()
        } else {
            Ok(u64::from(narrow))
        }
    }

    fn is_empty(&self) -> bool {
        self.c.is_empty()
    }
}

/// The ZIP64 extended-information field among `extra`, after checking that
/// the extra fields exactly fill their area as `id ‖ len ‖ data` records.
fn zip64_field<'a>(extra: &'a [u8], what: &str) -> Result<Option<&'a [u8]>> {
    let label = format!("the extra fields of {what}");
    let mut f = Fields::new(extra, &label);
    let mut found = None;
    while !f.is_empty() {
        let id = f.u16()?;
        let len = f.u16()?;
        let data = f.take(usize::from(len))?;
        if id == ZIP64_EXTRA_ID {
            if found.is_some() {
                return Err(damaged(format!("{what} has two ZIP64 extra fields")));
            }
            found = Some(data);
        }
    }
    Ok(found)
}

/// Where the central directory is, from the end records: (entries, size,
/// offset, where it must end).
struct EndRecords {
    entries: u64,
    cd_size: u64,
    cd_offset: u64,
    cd_end: u64,
}

fn end_records<R: Read + Seek>(r: &mut R, len: u64) -> Result<EndRecords> {
    let missing = || Error::Truncated("the ZIP end-of-central-directory record is missing".into());
    if len < EOCD_LEN {
        return Err(missing());
    }
    let tail_start = len.saturating_sub(EOCD_SEARCH);
    let tail = read_at(r, tail_start, len - tail_start)?;
    // The last signature with room for a whole end record after it.
    let last = tail.len() - EOCD_LEN as usize;
    let pos = (0..=last)
        .rev()
        .find(|&i| tail[i..i + 4] == EOCD_SIG.to_le_bytes())
        .ok_or_else(missing)?;
    let eocd_pos = tail_start + pos as u64;
    let mut f = Fields::new(&tail[pos + 4..], "the end record");
    let disk = f.u16()?;
    let cd_disk = f.u16()?;
    let disk_entries = f.u16()?;
    let entries16 = f.u16()?;
    let cd_size32 = f.u32()?;
    let cd_offset32 = f.u32()?;
    let comment = f.u16()?;
    if comment != 0 || eocd_pos + EOCD_LEN != len {
        return Err(damaged(
            "bytes follow the end-of-central-directory record (an archive comment or appended data)",
        ));
    }
    if disk != 0 || cd_disk != 0 || disk_entries != entries16 {
        return Err(damaged("multi-disk archives are not supported"));
    }
    let mut end = EndRecords {
        entries: u64::from(entries16),
        cd_size: u64::from(cd_size32),
        cd_offset: u64::from(cd_offset32),
        cd_end: eocd_pos,
    };
    // ZIP64: a locator right before the end record, pointing at a ZIP64
    // end record right before the locator.
    if eocd_pos < ZIP64_LOCATOR_LEN {
        return Ok(end);
    }
    let locator_pos = eocd_pos - ZIP64_LOCATOR_LEN;
    let loc = read_at(r, locator_pos, ZIP64_LOCATOR_LEN)?;
    let mut f = Fields::new(&loc, "the ZIP64 locator");
    if f.u32()? != ZIP64_LOCATOR_SIG {
        return Ok(end);
    }
    let z_disk = f.u32()?;
    let z_offset = f.u64()?;
    let disks = f.u32()?;
    if z_disk != 0 || disks != 1 {
        return Err(damaged("multi-disk archives are not supported"));
    }
    if Some(z_offset) != locator_pos.checked_sub(ZIP64_EOCD_LEN) {
        return Err(damaged(
            "the ZIP64 end record is not right before its locator",
        ));
    }
    let rec = read_at(r, z_offset, ZIP64_EOCD_LEN)?;
    let mut f = Fields::new(&rec, "the ZIP64 end record");
    if f.u32()? != ZIP64_EOCD_SIG {
        return Err(damaged("the ZIP64 end record has a wrong signature"));
    }
    if f.u64()? != ZIP64_EOCD_LEN - 12 {
        return Err(damaged("the ZIP64 end record has extensible data"));
    }
    let _made_by = f.u16()?;
    let _needed = f.u16()?;
    let d1 = f.u32()?;
    let d2 = f.u32()?;
    let n1 = f.u64()?;
    let n2 = f.u64()?;
    let size = f.u64()?;
    let offset = f.u64()?;
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
    /// Finds the end record, reads the central directory and checks its
    /// framing (FORMAT.md §7.1 step 2). `len` is the archive's length.
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
        if end.entries.saturating_mul(CENTRAL_LEN) > end.cd_size {
            return Err(damaged(
                "the central directory is too small for the entries it counts",
            ));
        }
        let cd = read_at(r, end.cd_offset, end.cd_size)?;
        let mut f = Fields::new(&cd, "the central directory");
        let mut entries = Vec::with_capacity(end.entries as usize);
        for i in 0..end.entries {
            entries.push(central_header(&mut f, i)?);
        }
        if !f.is_empty() {
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
    let mut f = Fields::new(&h, &label);
    if f.u32()? != LOCAL_SIG {
        return Err(damaged(format!("{what} has no local header")));
    }
    let _needed = f.u16()?;
    let flags = f.u16()?;
    let method = f.u16()?;
    let _time = f.u32()?;
    let crc = f.u32()?;
    let csize = f.u32()?;
    let usize_ = f.u32()?;
    let name_len = u64::from(f.u16()?);
    let extra_len = u64::from(f.u16()?);
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
        let label = format!("the ZIP64 field of {what}");
        let mut z = Fields::new(zip64.unwrap_or_default(), &label);
        let lu = z.wide(usize_)?;
        let lc = z.wide(csize)?;
        if crc != e.crc32 || lc != e.compressed_size || lu != e.size {
            return Err(damaged(format!(
                "the local header of {what} disagrees with the central directory (CRC or sizes)"
            )));
        }
        return Ok(data_end);
    }
    // Sizes and CRC follow the data; 8-byte sizes when the local header has
    // a ZIP64 field.
    let wide = zip64.is_some();
    let end = within(
        data_end.checked_add(if wide { 24 } else { 16 }),
        "data descriptor",
    )?;
    let d = read_at(r, data_end, end - data_end)?;
    let label = format!("the data descriptor of {what}");
    let mut f = Fields::new(&d, &label);
    if f.u32()? != DESCRIPTOR_SIG {
        return Err(damaged(format!(
            "{what} has no data descriptor (with its signature) after its data"
        )));
    }
    let dcrc = f.u32()?;
    let (dc, du) = if wide {
        (f.u64()?, f.u64()?)
    } else {
        (u64::from(f.u32()?), u64::from(f.u32()?))
    };
    if dcrc != e.crc32 || dc != e.compressed_size || du != e.size {
        return Err(damaged(format!(
            "{label} disagrees with the central directory"
        )));
    }
    Ok(end)
}

/// Parses central-directory header `i`.
fn central_header(f: &mut Fields<'_, '_>, i: u64) -> Result<ZipEntry> {
    let what = format!("central-directory entry {i}");
    if f.u32()? != CENTRAL_SIG {
        return Err(damaged(format!("{what} has a wrong signature")));
    }
    let _made_by = f.u16()?;
    let _needed = f.u16()?;
    let flags = f.u16()?;
    let method = f.u16()?;
    let _time = f.u32()?;
    let crc32 = f.u32()?;
    let csize = f.u32()?;
    let usize_ = f.u32()?;
    let name_len = usize::from(f.u16()?);
    let extra_len = usize::from(f.u16()?);
    let comment_len = usize::from(f.u16()?);
    let disk = f.u16()?;
    let _internal = f.u16()?;
    let _external = f.u32()?;
    let offset = f.u32()?;
    let name = f.take(name_len)?.to_vec();
    let extra = f.take(extra_len)?;
    f.take(comment_len)?;
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
    let zip64 = zip64_field(extra, &what)?;
    if zip64.is_none() && (usize_ == u32::MAX || csize == u32::MAX || offset == u32::MAX) {
        return Err(damaged(format!("{what} needs a ZIP64 field it lacks")));
    }
    let label = format!("the ZIP64 field of {what}");
    let mut z = Fields::new(zip64.unwrap_or_default(), &label);
    let size = z.wide(usize_)?;
    let compressed_size = z.wide(csize)?;
    let header_offset = z.wide(offset)?;
    let disk = if disk == 0xffff {
        z.u32()?
    } else {
        u32::from(disk)
    };
    if disk != 0 {
        return Err(damaged("multi-disk archives are not supported"));
    }
    if method == STORED && compressed_size != size {
        return Err(damaged(format!(
            "{what} is stored but its compressed and uncompressed sizes differ"
        )));
    }
    Ok(ZipEntry {
        name,
        flags,
        method,
        crc32,
        compressed_size,
        size,
        header_offset,
        data_offset: 0,
    })
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
