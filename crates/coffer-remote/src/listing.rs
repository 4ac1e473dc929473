//! Reading listings: S3 ListObjectsV2 and WebDAV PROPFIND answers, reduced
//! to the backups Coffer wrote.

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::destination::is_coffer_name;
use crate::error::RemoteError;

/// The PROPFIND body asking for what a listing shows.
pub const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:getcontentlength/><d:getlastmodified/><d:resourcetype/></d:prop></d:propfind>"#;

/// One backup on a destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    /// File name (`coffer-backup-….zip`).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification as the server wrote it (ISO 8601 for S3, RFC 1123 for WebDAV).
    pub modified: String,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// Coffer's backups, newest name first.
    pub entries: Vec<RemoteEntry>,
    /// S3: the token for the next page, if the listing goes on.
    pub next: Option<String>,
}

fn bad(reason: impl Into<String>) -> RemoteError {
    RemoteError::BadAnswer {
        action: "list",
        reason: reason.into().chars().take(200).collect(),
    }
}

fn sorted(mut entries: Vec<RemoteEntry>) -> Vec<RemoteEntry> {
    entries.sort_by(|a, b| b.name.cmp(&a.name));
    entries
}

/// Reads an S3 ListObjectsV2 page of `prefix`. Element names are matched
/// without their namespace: S3-compatible servers differ there.
pub fn parse_s3(prefix: &str, body: &[u8]) -> Result<Listing, RemoteError> {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut entries = Vec::new();
    let mut next = None;
    let mut root_seen = false;
    // (key, size, modified) of the <Contents> being read.
    let mut current: Option<(String, String, String)> = None;
    let mut field: Option<&'static str> = None;
    loop {
        match reader
            .read_event_into(&mut buf)
            .map_err(|e| bad(e.to_string()))?
        {
            Event::Start(e) => {
                let name = e.local_name();
                if !root_seen {
                    if name.as_ref() != b"ListBucketResult" {
                        return Err(bad("not a ListBucketResult"));
                    }
                    root_seen = true;
                }
                match name.as_ref() {
                    b"Contents" => current = Some(Default::default()),
                    b"Key" => field = Some("key"),
                    b"Size" => field = Some("size"),
                    b"LastModified" => field = Some("modified"),
                    b"NextContinuationToken" => field = Some("next"),
                    _ => field = None,
                }
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| bad(e.to_string()))?;
                match (field, current.as_mut()) {
                    (Some("next"), _) => next = Some(text.into_owned()),
                    (Some("key"), Some(c)) => c.0.push_str(&text),
                    (Some("size"), Some(c)) => c.1.push_str(&text),
                    (Some("modified"), Some(c)) => c.2.push_str(&text),
                    _ => {}
                }
            }
            Event::End(e) => {
                field = None;
                if e.local_name().as_ref() == b"Contents" {
                    if let Some((key, size, modified)) = current.take() {
                        let Some(name) = key.strip_prefix(prefix) else {
                            continue;
                        };
                        if is_coffer_name(name) {
                            let size = size
                                .trim()
                                .parse::<u64>()
                                .map_err(|_| bad(format!("size of {name} is not a number")))?;
                            entries.push(RemoteEntry {
                                name: name.to_owned(),
                                size,
                                modified,
                            });
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !root_seen {
        return Err(bad("empty answer"));
    }
    Ok(Listing {
        entries: sorted(entries),
        next,
    })
}

/// Reads the `<UploadId>` of an S3 InitiateMultipartUploadResult.
pub fn parse_upload_id(body: &[u8]) -> Result<String, RemoteError> {
    let bad = |reason: String| RemoteError::BadAnswer {
        action: "start upload",
        reason: reason.chars().take(200).collect(),
    };
    let mut reader = Reader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut inside = false;
    loop {
        match reader
            .read_event_into(&mut buf)
            .map_err(|e| bad(e.to_string()))?
        {
            Event::Start(e) => inside = e.local_name().as_ref() == b"UploadId",
            Event::Text(t) if inside => {
                let id = t.decode().map_err(|e| bad(e.to_string()))?.into_owned();
                if id.is_empty() || id.len() > 1024 {
                    return Err(bad("unusable upload id".into()));
                }
                return Ok(id);
            }
            Event::End(_) => inside = false,
            Event::Eof => return Err(bad("no UploadId".into())),
            _ => {}
        }
        buf.clear();
    }
}

/// Reads a WebDAV `207 Multi-Status` answer to a Depth-1 PROPFIND of the
/// collection at `base_path`.
pub fn parse_webdav(base_path: &str, body: &[u8]) -> Result<Listing, RemoteError> {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut entries = Vec::new();
    let mut current: Option<(String, String, String, bool)> = None;
    let mut field: Option<&'static str> = None;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| bad(e.to_string()))?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                b"response" => current = Some(Default::default()),
                b"href" => field = Some("href"),
                b"getcontentlength" => field = Some("size"),
                b"getlastmodified" => field = Some("modified"),
                b"collection" => {
                    if let Some(c) = current.as_mut() {
                        c.3 = true;
                    }
                }
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == b"collection" => {
                if let Some(c) = current.as_mut() {
                    c.3 = true;
                }
            }
            Event::Text(t) => {
                if let (Some(f), Some(c)) = (field, current.as_mut()) {
                    let text = t.decode().map_err(|e| bad(e.to_string()))?;
                    match f {
                        "href" => c.0.push_str(&text),
                        "size" => c.1.push_str(&text),
                        _ => c.2.push_str(&text),
                    }
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"response" => {
                    if let Some((href, size, modified, collection)) = current.take() {
                        if let Some(entry) =
                            webdav_entry(base_path, &href, &size, modified, collection)?
                        {
                            entries.push(entry);
                        }
                    }
                }
                b"href" | b"getcontentlength" | b"getlastmodified" => field = None,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(Listing {
        entries: sorted(entries),
        next: None,
    })
}

fn webdav_entry(
    base_path: &str,
    href: &str,
    size: &str,
    modified: String,
    collection: bool,
) -> Result<Option<RemoteEntry>, RemoteError> {
    if collection {
        return Ok(None);
    }
    // The href is a path or a full URL; the file's name is its last segment,
    // and it must sit right inside the collection.
    let path = match href.find("://") {
        Some(i) => href[i + 3..].find('/').map_or("/", |j| &href[i + 3 + j..]),
        None => href,
    };
    let decoded = percent_decode(path);
    let Some((dir, name)) = decoded.rsplit_once('/') else {
        return Ok(None);
    };
    if format!("{dir}/") != percent_decode(base_path) || !is_coffer_name(name) {
        return Ok(None);
    }
    let size = size
        .trim()
        .parse::<u64>()
        .map_err(|_| bad(format!("size of {name} is not a number")))?;
    Ok(Some(RemoteEntry {
        name: name.to_owned(),
        size,
        modified,
    }))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let v = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(v as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webdav_listing_keeps_only_coffer_files_in_the_collection() {
        let body = br#"<?xml version="1.0" encoding="utf-8" ?>
<d:multistatus xmlns:d="DAV:">
<d:response><d:href>/backups/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop></d:propstat></d:response>
<d:response><d:href>/backups/coffer-backup-2026-01-01.zip</d:href><d:propstat><d:prop><d:getcontentlength>1234</d:getcontentlength><d:getlastmodified>Thu, 01 Jan 2026 10:00:00 GMT</d:getlastmodified><d:resourcetype/></d:prop></d:propstat></d:response>
<d:response><d:href>http://host/backups/coffer-backup-2026-02-01.zip</d:href><d:propstat><d:prop><d:getcontentlength>5</d:getcontentlength><d:resourcetype/></d:prop></d:propstat></d:response>
<d:response><d:href>/backups/notes.txt</d:href><d:propstat><d:prop><d:getcontentlength>5</d:getcontentlength></d:prop></d:propstat></d:response>
<d:response><d:href>/backups/sub/coffer-backup-x.zip</d:href><d:propstat><d:prop><d:getcontentlength>5</d:getcontentlength></d:prop></d:propstat></d:response>
</d:multistatus>"#;
        let l = parse_webdav("/backups/", body).expect("parses");
        let names: Vec<_> = l.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "coffer-backup-2026-02-01.zip",
                "coffer-backup-2026-01-01.zip"
            ]
        );
        assert_eq!(l.entries[1].size, 1234);
    }

    #[test]
    fn broken_answers_are_typed_errors() {
        assert_eq!(
            parse_s3("", b"<not xml").unwrap_err().code(),
            "remote-failed"
        );
        let body = br#"<d:multistatus xmlns:d="DAV:"><d:response><d:href>/coffer-backup-1.zip</d:href><d:getcontentlength>lots</d:getcontentlength></d:response></d:multistatus>"#;
        assert_eq!(parse_webdav("/", body).unwrap_err().code(), "remote-failed");
        assert!(parse_webdav("/", b"<a><b></a>").is_err());
    }

    #[test]
    fn s3_listing() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://doc.s3.amazonaws.com/2006-03-01/"><Name>coffer</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>
<Contents><Key>p/coffer-backup-1.zip</Key><LastModified>2026-12-03T22:00:00.000Z</LastModified><ETag>"x"</ETag><Size>10</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>p/other.bin</Key><LastModified>2026-12-03T22:00:00.000Z</LastModified><ETag>"x"</ETag><Size>10</Size><StorageClass>STANDARD</StorageClass></Contents>
</ListBucketResult>"#;
        let l = parse_s3("p/", body).expect("parses");
        assert_eq!(l.entries.len(), 1);
        assert_eq!(l.entries[0].size, 10);
        let id = br#"<?xml version="1.0"?><InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k</Key><UploadId>abc123</UploadId></InitiateMultipartUploadResult>"#;
        assert_eq!(parse_upload_id(id).expect("id"), "abc123");
        assert!(parse_upload_id(b"<Error><Code>x</Code></Error>").is_err());
    }
}
