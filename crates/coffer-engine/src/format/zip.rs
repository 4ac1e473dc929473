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

fn short<T>(what: &str) -> impl FnOnce(T) -> Error + '_ {
    move |_| damaged(format!("{what} is cut short"))
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

fn u16le(c: &mut Cursor<'_>) -> std::result::Result<u16, crate::codec::DecodeError> {
    Ok(u16::from_le_bytes(c.array()?))
}
fn u32le(c: &mut Cursor<'_>) -> std::result::Result<u32, crate::codec::DecodeError> {
    Ok(u32::from_le_bytes(c.array()?))
}
fn u64le(c: &mut Cursor<'_>) -> std::result::Result<u64, crate::codec::DecodeError> {
    Ok(u64::from_le_bytes(c.array()?))
}

/// The ZIP64 extended-information field among `extra`, after checking that
/// the extra fields exactly fill their area.
fn zip64_field<'a>(extra: &'a [u8], what: &str) -> Result<Option<&'a [u8]>> {
    let mut c = Cursor::new(extra);
    let mut found = None;
    while !c.is_empty() {
        let malformed = |_| damaged(format!("the extra fields of {what} are malformed"));
        let id = u16le(&mut c).map_err(malformed)?;
        let len = u16le(&mut c).map_err(malformed)?;
        let data = c.take(usize::from(len)).map_err(malformed)?;
        if id == ZIP64_EXTRA_ID {
            if found.is_some() {
                return Err(damaged(format!("{what} has two ZIP64 extra fields")));
            }
            found = Some(data);
        }
    }
    Ok(found)
}

impl ZipDirectory {
    /// Finds the end record, reads the central directory and checks its
    /// framing (FORMAT.md §7.1 step 2). `len` is the archive's length.
    pub fn read<R: Read + Seek>(r: &mut R, len: u64, max_entries: u64) -> Result<ZipDirectory> {
        if len < EOCD_LEN {
            return Err(Error::Truncated(
                "the ZIP end-of-central-directory record is missing".into(),
            ));
        }
        let tail_start = len.saturating_sub(EOCD_SEARCH);
        let tail = read_at(r, tail_start, len - tail_start)?;
        // The last signature with room for a whole end record after it.
        let last = tail.len() - EOCD_LEN as usize;
        let pos = (0..=last)
            .rev()
            .find(|&i| tail[i..i + 4] == EOCD_SIG.to_le_bytes())
            .ok_or_else(|| {
                Error::Truncated("the ZIP end-of-central-directory record is missing".into())
            })?;
        let eocd_pos = tail_start + pos as u64;
        let mut c = Cursor::new(&tail[pos + 4..]);
        let e = |_| damaged("the end record is cut short");
        let disk = u16le(&mut c).map_err(e)?;
        let cd_disk = u16le(&mut c).map_err(e)?;
        let disk_entries = u16le(&mut c).map_err(e)?;
        let total16 = u16le(&mut c).map_err(e)?;
        let cd_size32 = u32le(&mut c).map_err(e)?;
        let cd_offset32 = u32le(&mut c).map_err(e)?;
        let comment = u16le(&mut c).map_err(e)?;
        if comment != 0 || eocd_pos + EOCD_LEN != len {
            return Err(damaged(
                "bytes follow the end-of-central-directory record (an archive comment or appended data)",
            ));
        }
        if disk != 0 || cd_disk != 0 || disk_entries != total16 {
            return Err(damaged("multi-disk archives are not supported"));
        }
        let mut total = u64::from(total16);
        let mut cd_size = u64::from(cd_size32);
        let mut cd_offset = u64::from(cd_offset32);
        let mut cd_end = eocd_pos;
        // ZIP64: a locator right before the end record, pointing at a ZIP64
        // end record right before the locator.
        if eocd_pos >= ZIP64_LOCATOR_LEN {
            let loc = read_at(r, eocd_pos - ZIP64_LOCATOR_LEN, ZIP64_LOCATOR_LEN)?;
            let mut c = Cursor::new(&loc);
            if u32le(&mut c).map_err(e)? == ZIP64_LOCATOR_SIG {
                let l = |_| damaged("the ZIP64 locator is cut short");
                let z_disk = u32le(&mut c).map_err(l)?;
                let z_offset = u64le(&mut c).map_err(l)?;
                let disks = u32le(&mut c).map_err(l)?;
                if z_disk != 0 || disks != 1 {
                    return Err(damaged("multi-disk archives are not supported"));
                }
                let expected = (eocd_pos - ZIP64_LOCATOR_LEN).checked_sub(ZIP64_EOCD_LEN);
                if Some(z_offset) != expected {
                    return Err(damaged(
                        "the ZIP64 end record is not right before its locator",
                    ));
                }
                let rec = read_at(r, z_offset, ZIP64_EOCD_LEN)?;
                let mut c = Cursor::new(&rec);
                let z = |_| damaged("the ZIP64 end record is cut short");
                if u32le(&mut c).map_err(z)? != ZIP64_EOCD_SIG {
                    return Err(damaged("the ZIP64 end record has a wrong signature"));
                }
                if u64le(&mut c).map_err(z)? != ZIP64_EOCD_LEN - 12 {
                    return Err(damaged("the ZIP64 end record has extensible data"));
                }
                let _made_by = u16le(&mut c).map_err(z)?;
                let _needed = u16le(&mut c).map_err(z)?;
                let d1 = u32le(&mut c).map_err(z)?;
                let d2 = u32le(&mut c).map_err(z)?;
                let n1 = u64le(&mut c).map_err(z)?;
                let n2 = u64le(&mut c).map_err(z)?;
                let size = u64le(&mut c).map_err(z)?;
                let offset = u64le(&mut c).map_err(z)?;
                if d1 != 0 || d2 != 0 || n1 != n2 {
                    return Err(damaged("multi-disk archives are not supported"));
                }
                let agrees =
                    |small: u64, sentinel: u64, big: u64| small == sentinel || small == big;
                if !agrees(total, 0xffff, n2)
                    || !agrees(cd_size, 0xffff_ffff, size)
                    || !agrees(cd_offset, 0xffff_ffff, offset)
                {
                    return Err(damaged("the end record and the ZIP64 end record disagree"));
                }
                total = n2;
                cd_size = size;
                cd_offset = offset;
                cd_end = z_offset;
            }
        }
        if cd_offset.checked_add(cd_size) != Some(cd_end) {
            return Err(damaged(
                "the central directory does not end where the end record starts",
            ));
        }
        if total > max_entries {
            return Err(Error::limit("number of entries", max_entries, total));
        }
        if total == 0 {
            return Err(Error::Manifest("the archive is empty".into()));
        }
        if total.saturating_mul(CENTRAL_LEN) > cd_size {
            return Err(damaged(
                "the central directory is too small for the entries it counts",
            ));
        }
        let cd = read_at(r, cd_offset, cd_size)?;
        let mut c = Cursor::new(&cd);
        let mut entries = Vec::with_capacity(total as usize);
        for i in 0..total {
            entries.push(central_header(&mut c, i)?);
        }
        if !c.is_empty() {
            return Err(damaged(
                "the central directory holds bytes after its last entry",
            ));
        }
        Ok(ZipDirectory { entries, cd_offset })
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
            let what = format!("entry {i}");
            if e.header_offset != at {
                return Err(damaged(format!(
                    "{what} does not start where the entry before it ends (unused or overlapping bytes)"
                )));
            }
            let fixed_end = at
                .checked_add(LOCAL_LEN)
                .filter(|&end| end <= cd_offset)
                .ok_or_else(|| {
                    damaged(format!(
                        "the local header of {what} runs into the central directory"
                    ))
                })?;
            let h = read_at(r, at, LOCAL_LEN)?;
            let mut c = Cursor::new(&h);
            let s = short("a local header");
            if u32le(&mut c).map_err(s)? != LOCAL_SIG {
                return Err(damaged(format!("{what} has no local header")));
            }
            let s = short("a local header");
            let _needed = u16le(&mut c).map_err(s)?;
            let flags = u16le(&mut c).map_err(short("a local header"))?;
            let method = u16le(&mut c).map_err(short("a local header"))?;
            let _time = u32le(&mut c).map_err(short("a local header"))?;
            let crc = u32le(&mut c).map_err(short("a local header"))?;
            let csize = u32le(&mut c).map_err(short("a local header"))?;
            let usize_ = u32le(&mut c).map_err(short("a local header"))?;
            let name_len = u64::from(u16le(&mut c).map_err(short("a local header"))?);
            let extra_len = u64::from(u16le(&mut c).map_err(short("a local header"))?);
            if flags != e.flags || method != e.method {
                return Err(damaged(format!(
                    "the local header of {what} disagrees with the central directory (flags or method)"
                )));
            }
            let var_end = fixed_end + name_len + extra_len;
            if var_end > cd_offset {
                return Err(damaged(format!(
                    "the local header of {what} runs into the central directory"
                )));
            }
            let var = read_at(r, fixed_end, name_len + extra_len)?;
            let (name, extra) = var.split_at(name_len as usize);
            if name != e.name.as_slice() {
                return Err(damaged(format!(
                    "the local header of {what} names another entry than the central directory"
                )));
            }
            let zip64 = zip64_field(extra, &format!("the local header of {what}"))?;
            e.data_offset = var_end;
            let data_end = var_end
                .checked_add(e.compressed_size)
                .filter(|&end| end <= cd_offset)
                .ok_or_else(|| {
                    damaged(format!(
                        "the data of {what} runs into the central directory"
                    ))
                })?;
            at = if flags & FLAG_DESCRIPTOR != 0 {
                // Sizes and CRC follow the data; ZIP64 sizes when the local
                // header has a ZIP64 field.
                let wide = zip64.is_some();
                let dlen = if wide { 24 } else { 16 };
                let end = data_end
                    .checked_add(dlen)
                    .filter(|&end| end <= cd_offset)
                    .ok_or_else(|| {
                        damaged(format!(
                            "the data descriptor of {what} runs into the central directory"
                        ))
                    })?;
                let d = read_at(r, data_end, dlen)?;
                let mut c = Cursor::new(&d);
                let s = |_| damaged(format!("the data descriptor of {what} is cut short"));
                if u32le(&mut c).map_err(s)? != DESCRIPTOR_SIG {
                    return Err(damaged(format!(
                        "{what} has no data descriptor (with its signature) after its data"
                    )));
                }
                let s = |_| damaged(format!("the data descriptor of {what} is cut short"));
                let dcrc = u32le(&mut c).map_err(s)?;
                let (dc, du) = if wide {
                    let s2 = |_| damaged(format!("the data descriptor of {what} is cut short"));
                    (
                        u64le(&mut c).map_err(s2)?,
                        u64le(&mut c).map_err(|_| damaged("cut short"))?,
                    )
                } else {
                    let s2 = |_| damaged(format!("the data descriptor of {what} is cut short"));
                    (
                        u64::from(u32le(&mut c).map_err(s2)?),
                        u64::from(u32le(&mut c).map_err(|_| damaged("cut short"))?),
                    )
                };
                if dcrc != e.crc32 || dc != e.compressed_size || du != e.size {
                    return Err(damaged(format!(
                        "the data descriptor of {what} disagrees with the central directory"
                    )));
                }
                end
            } else {
                let (lc, lu) = match zip64 {
                    Some(z) => {
                        let mut c = Cursor::new(z);
                        let s = |_| damaged(format!("the ZIP64 field of {what} is cut short"));
                        let lu = if usize_ == u32::MAX {
                            u64le(&mut c).map_err(s)?
                        } else {
                            u64::from(usize_)
                        };
                        let s = |_| damaged(format!("the ZIP64 field of {what} is cut short"));
                        let lc = if csize == u32::MAX {
                            u64le(&mut c).map_err(s)?
                        } else {
                            u64::from(csize)
                        };
                        (lc, lu)
                    }
                    None => (u64::from(csize), u64::from(usize_)),
                };
                if crc != e.crc32 || lc != e.compressed_size || lu != e.size {
                    return Err(damaged(format!(
                        "the local header of {what} disagrees with the central directory (CRC or sizes)"
                    )));
                }
                data_end
            };
        }
        if at != cd_offset {
            return Err(damaged(
                "bytes lie between the last entry and the central directory",
            ));
        }
        Ok(())
    }
}

/// Parses central-directory header `i`.
fn central_header(c: &mut Cursor<'_>, i: u64) -> Result<ZipEntry> {
    let what = format!("central-directory entry {i}");
    let s = |_| damaged(format!("{what} is cut short"));
    if u32le(c).map_err(s)? != CENTRAL_SIG {
        return Err(damaged(format!("{what} has a wrong signature")));
    }
    let mut fields = [0u8; 42];
    fields.copy_from_slice(
        c.take(42)
            .map_err(|_| damaged(format!("{what} is cut short")))?,
    );
    let mut f = Cursor::new(&fields);
    let x = |_| damaged("unreachable: fixed header");
    let _made_by = u16le(&mut f).map_err(x)?;
    let _needed = u16le(&mut f).map_err(x)?;
    let flags = u16le(&mut f).map_err(x)?;
    let method = u16le(&mut f).map_err(x)?;
    let _time = u32le(&mut f).map_err(x)?;
    let crc32 = u32le(&mut f).map_err(x)?;
    let csize = u32le(&mut f).map_err(x)?;
    let usize_ = u32le(&mut f).map_err(x)?;
    let name_len = usize::from(u16le(&mut f).map_err(x)?);
    let extra_len = usize::from(u16le(&mut f).map_err(x)?);
    let comment_len = usize::from(u16le(&mut f).map_err(x)?);
    let disk = u16le(&mut f).map_err(x)?;
    let _internal = u16le(&mut f).map_err(x)?;
    let _external = u32le(&mut f).map_err(x)?;
    let offset = u32le(&mut f).map_err(x)?;
    let cut = |_| damaged(format!("{what} is cut short"));
    let name = c.take(name_len).map_err(cut)?.to_vec();
    let extra = c
        .take(extra_len)
        .map_err(|_| damaged(format!("{what} is cut short")))?;
    c.take(comment_len)
        .map_err(|_| damaged(format!("{what} is cut short")))?;
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
    let mut size = u64::from(usize_);
    let mut compressed_size = u64::from(csize);
    let mut header_offset = u64::from(offset);
    let mut disk = u32::from(disk);
    if let Some(z) = zip64_field(extra, &what)? {
        let mut z = Cursor::new(z);
        let s = |_| damaged(format!("the ZIP64 field of {what} is cut short"));
        if usize_ == u32::MAX {
            size = u64le(&mut z).map_err(s)?;
        }
        let s = |_| damaged(format!("the ZIP64 field of {what} is cut short"));
        if csize == u32::MAX {
            compressed_size = u64le(&mut z).map_err(s)?;
        }
        let s = |_| damaged(format!("the ZIP64 field of {what} is cut short"));
        if offset == u32::MAX {
            header_offset = u64le(&mut z).map_err(s)?;
        }
        let s = |_| damaged(format!("the ZIP64 field of {what} is cut short"));
        if disk == 0xffff {
            disk = u32le(&mut z).map_err(s)?;
        }
    } else if usize_ == u32::MAX || csize == u32::MAX || offset == u32::MAX {
        return Err(damaged(format!("{what} needs a ZIP64 field it lacks")));
    }
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
