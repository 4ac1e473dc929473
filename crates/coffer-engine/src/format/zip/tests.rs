//! The ZIP profile parser against archives the writer makes and their
//! damaged variants (more in `tests/malformed.rs`).

use super::*;
use std::io::Cursor as IoCursor;

fn archive() -> Vec<u8> {
    use std::io::Write;
    let mut z = ::zip::ZipWriter::new_stream(Vec::new());
    let o = ::zip::write::SimpleFileOptions::default();
    z.start_file(
        "a",
        o.compression_method(::zip::CompressionMethod::Deflated),
    )
    .unwrap();
    z.write_all(&[7u8; 1000]).unwrap();
    z.start_file("b", o.compression_method(::zip::CompressionMethod::Stored))
        .unwrap();
    z.write_all(b"hello").unwrap();
    z.finish().unwrap().into_inner()
}

fn open(bytes: &[u8]) -> Result<(ZipDirectory, Vec<Vec<u8>>)> {
    let mut r = IoCursor::new(bytes);
    let mut d = ZipDirectory::read(&mut r, bytes.len() as u64, 100)?;
    d.check_local_headers(&mut r)?;
    let mut out = Vec::new();
    for e in &d.entries {
        let mut er = EntryReader::new(&mut r, e)?;
        let mut v = Vec::new();
        er.read_to_end(&mut v)
            .map_err(|e| Error::Zip(e.to_string()))?;
        assert_eq!(er.crc32(), e.crc32);
        out.push(v);
    }
    Ok((d, out))
}

fn code(bytes: &[u8]) -> &'static str {
    match open(bytes) {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn reads_what_the_writer_makes() {
    let (d, data) = open(&archive()).unwrap();
    assert_eq!(d.entries.len(), 2);
    assert_eq!(d.entries[0].method, DEFLATED);
    assert_eq!(data[0], vec![7u8; 1000]);
    assert_eq!(data[1], b"hello");
}

#[test]
fn trailing_and_hidden_bytes_are_rejected() {
    let a = archive();
    let mut appended = a.clone();
    appended.push(0);
    assert_eq!(code(&appended), "damaged-zip");
    // A comment in the end record.
    let mut comment = a.clone();
    let n = comment.len();
    comment[n - 2] = 1;
    comment.push(b'x');
    assert_eq!(code(&comment), "damaged-zip");
    // Bytes inserted before the central directory, with its offset fixed up.
    let d = ZipDirectory::read(&mut IoCursor::new(&a), a.len() as u64, 100).unwrap();
    let cd = d.cd_offset as usize;
    let mut gap = a[..cd].to_vec();
    gap.extend_from_slice(b"GAP!");
    gap.extend_from_slice(&a[cd..]);
    let n = gap.len();
    gap[n - 6..n - 2].copy_from_slice(&(cd as u32 + 4).to_le_bytes());
    assert_eq!(code(&gap), "damaged-zip");
    // Cut short: no end record.
    assert_eq!(code(&a[..a.len() - 1]), "truncated");
    assert_eq!(code(&a[..10]), "truncated");
}

#[test]
fn local_headers_must_agree() {
    let a = archive();
    // The local header's method (offset 8) differs from the directory's.
    let mut m = a.clone();
    m[8] = 0;
    assert_eq!(code(&m), "damaged-zip");
    // The data descriptor's CRC (after entry a's data) is altered.
    let d = ZipDirectory::read(&mut IoCursor::new(&a), a.len() as u64, 100).unwrap();
    let desc = 30 + 1 + d.entries[0].compressed_size as usize;
    assert_eq!(&a[desc..desc + 4], b"PK\x07\x08");
    let mut c = a.clone();
    c[desc + 4] ^= 1;
    assert_eq!(code(&c), "damaged-zip");
}

#[test]
fn deflate_stream_must_end_with_the_data() {
    // An entry whose deflate stream ends before its compressed size: one
    // extra byte inside the entry, with every size fixed up.
    use std::io::Write;
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(b"abc").unwrap();
    let mut data = enc.finish().unwrap();
    data.push(0);
    let crc = crc32fast::hash(b"abc");
    let mut z = Vec::new();
    z.extend_from_slice(&LOCAL_SIG.to_le_bytes());
    z.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
    z.extend_from_slice(&crc.to_le_bytes());
    z.extend_from_slice(&(data.len() as u32).to_le_bytes());
    z.extend_from_slice(&3u32.to_le_bytes());
    z.extend_from_slice(&[1, 0, 0, 0, b'x']);
    z.extend_from_slice(&data);
    let cd = z.len();
    z.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
    z.extend_from_slice(&[20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
    z.extend_from_slice(&crc.to_le_bytes());
    z.extend_from_slice(&(data.len() as u32).to_le_bytes());
    z.extend_from_slice(&3u32.to_le_bytes());
    z.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b'x']);
    let cd_len = z.len() - cd;
    z.extend_from_slice(&EOCD_SIG.to_le_bytes());
    z.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    z.extend_from_slice(&(cd_len as u32).to_le_bytes());
    z.extend_from_slice(&(cd as u32).to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    assert_eq!(code(&z), "damaged-zip");
    // Without the extra byte (sizes fixed up by hand) it reads.
    let mut ok = z.clone();
    ok.remove(30 + 1 + data.len() - 1);
    let dl = (data.len() - 1) as u32;
    ok[18..22].copy_from_slice(&dl.to_le_bytes());
    let cd = cd - 1;
    ok[cd + 20..cd + 24].copy_from_slice(&dl.to_le_bytes());
    let n = ok.len();
    ok[n - 6..n - 2].copy_from_slice(&(cd as u32).to_le_bytes());
    assert_eq!(code(&ok), "ok");
}

#[test]
fn zip64_fields_and_descriptors() {
    use std::io::Write;
    // A streamed entry with large_file(true): ZIP64 extra fields and a
    // 24-byte data descriptor, as Coffer writes entries of 4 GiB or more.
    let mut z = ::zip::ZipWriter::new_stream(Vec::new());
    let o = ::zip::write::SimpleFileOptions::default();
    z.start_file(
        "big",
        o.compression_method(::zip::CompressionMethod::Deflated)
            .large_file(true),
    )
    .unwrap();
    z.write_all(&[1u8; 5000]).unwrap();
    z.start_file("small", o).unwrap();
    z.write_all(b"x").unwrap();
    let a = z.finish().unwrap().into_inner();
    let (d, data) = open(&a).unwrap();
    assert_eq!(data[0], vec![1u8; 5000]);
    assert_eq!(data[1], b"x");
    assert_eq!(d.entries[0].size, 5000);
}

#[test]
fn zip64_end_record() {
    use std::io::Write;
    // More than 65,535 entries: the zip crate writes a ZIP64 end record and
    // locator; the parser takes the counts from them.
    let mut z = ::zip::ZipWriter::new_stream(Vec::new());
    let o = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Stored);
    for i in 0..65_537u32 {
        z.start_file(format!("{i}"), o).unwrap();
        z.write_all(&[i as u8]).unwrap();
    }
    let a = z.finish().unwrap().into_inner();
    let n = a.len();
    assert_eq!(&a[n - 42..n - 38], b"PK\x06\x07", "a ZIP64 locator");
    let mut r = IoCursor::new(&a);
    let mut d = ZipDirectory::read(&mut r, n as u64, 100_000).unwrap();
    assert_eq!(d.entries.len(), 65_537);
    d.check_local_headers(&mut r).unwrap();
    assert_eq!(
        ZipDirectory::read(&mut IoCursor::new(&a), n as u64, 65_536)
            .unwrap_err()
            .code(),
        "limit-exceeded"
    );
    // The ZIP64 end record's count altered: the end record disagrees.
    let mut b = a.clone();
    let rec = n - 22 - 20 - 56;
    assert_eq!(&b[rec..rec + 4], b"PK\x06\x06");
    b[rec + 24] ^= 1;
    assert_eq!(
        ZipDirectory::read(&mut IoCursor::new(&b), n as u64, 100_000)
            .unwrap_err()
            .code(),
        "damaged-zip"
    );
}

#[test]
fn duplicate_names_keep_their_places() {
    // "b" renamed "a" in its local and directory headers: the directory is
    // read in order with both entries (the names step reports the repeat).
    let a = archive();
    let d = ZipDirectory::read(&mut IoCursor::new(&a), a.len() as u64, 100).unwrap();
    let mut b = a.clone();
    b[d.entries[1].header_offset as usize + 30] = b'a';
    let c1 = d.cd_offset as usize + 46 + 1;
    b[c1 + 46] = b'a';
    let d = ZipDirectory::read(&mut IoCursor::new(&b), b.len() as u64, 100).unwrap();
    let names: Vec<&[u8]> = d.entries.iter().map(|e| e.name.as_slice()).collect();
    assert_eq!(names, [b"a", b"a"]);
    assert_eq!(d.entries[1].size, 5);
}

#[test]
fn disk_number_must_be_zero() {
    let a = archive();
    let d = ZipDirectory::read(&mut IoCursor::new(&a), a.len() as u64, 100).unwrap();
    let mut b = a.clone();
    let c0 = d.cd_offset as usize;
    b[c0 + 34..c0 + 36].copy_from_slice(&[0xff, 0xff]);
    assert_eq!(code(&b), "damaged-zip");
}
