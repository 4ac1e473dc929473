//! The parts of an origin's storage beyond IndexedDB (FORMAT.md §3.5):
//! localStorage, the origin private file system (OPFS) and Cache Storage.
//!
//! Their manifest members ([`LocalStorageManifest`], [`OpfsManifest`],
//! [`CacheManifest`]) exist from format version 2 on; their entry names
//! ([`PartEntry`]) are built from indices only, like every other entry
//! name, so no user data reaches an entry name. OPFS paths do reach a
//! file system on extraction: [`check_opfs_path`] is the one place that
//! decides which paths are safe.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::limits::Limits;

/// The localStorage entry.
pub const LOCAL_STORAGE_ENTRY: &str = "local-storage.bin";

/// The OPFS directory Coffer restores into before it swaps the tree in;
/// never backed up, and no path in a backup may start with it.
pub const OPFS_STAGING_DIR: &str = ".coffer-staging";

/// Most UTF-8 bytes of an OPFS path (FORMAT.md §3.5.2).
pub const MAX_OPFS_PATH_BYTES: usize = 16384;
/// Most components of an OPFS path.
pub const MAX_OPFS_PATH_DEPTH: usize = 128;
/// Most bytes of one OPFS name (one path component).
pub const MAX_OPFS_NAME_BYTES: usize = 1024;
/// Most bytes of a cached request's URL.
pub const MAX_URL_BYTES: usize = 65536;
/// Most headers of one request or response.
pub const MAX_HEADERS: usize = 1024;
/// Most bytes of one header name or value, or of a status text.
pub const MAX_HEADER_BYTES: usize = 65536;

/// The localStorage of the origin: every item, in one entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalStorageManifest {
    /// Always [`LOCAL_STORAGE_ENTRY`].
    pub entry: String,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// BLAKE3 of the entry, 64 lowercase hex digits.
    pub blake3: String,
    /// Number of items.
    pub items: u64,
}

/// One file of the origin private file system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpfsFile {
    /// Its path from the root, components joined by `/`.
    pub path: String,
    /// `opfs/{index:06}.bin`.
    pub entry: String,
    /// Its size in bytes.
    pub size: u64,
    /// BLAKE3 of its bytes.
    pub blake3: String,
}

/// The origin private file system: every directory and file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpfsManifest {
    /// Every directory but the root, in ascending order of their paths.
    pub directories: Vec<String>,
    /// Every file, in ascending order of their paths.
    pub files: Vec<OpfsFile>,
}

/// A header: `[name, value]`.
pub type Header = (String, String);

/// One request and its response in a cache.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheEntry {
    /// The request's URL.
    pub url: String,
    /// The request's method.
    pub method: String,
    /// The request's headers (those a script can read).
    pub request_headers: Vec<Header>,
    /// The response's status.
    pub status: u16,
    /// The response's status text.
    pub status_text: String,
    /// The response's headers (those a script can read).
    pub response_headers: Vec<Header>,
    /// `caches/{cache}/{index:06}.bin`: the response body.
    pub entry: String,
    /// Size of the body.
    pub size: u64,
    /// BLAKE3 of the body.
    pub blake3: String,
}

/// Why a cached response is not in the backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SkipReason {
    /// An opaque response (a `no-cors` request to another origin): its
    /// status, headers and body cannot be read.
    Opaque,
    /// An opaque-redirect response (a `manual` redirect): likewise.
    Opaqueredirect,
}

impl SkipReason {
    /// The reason's name in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Opaque => "opaque",
            SkipReason::Opaqueredirect => "opaqueredirect",
        }
    }
}

/// A cached response that could not be backed up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkippedResponse {
    /// The request's URL.
    pub url: String,
    /// The request's method.
    pub method: String,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// One cache of Cache Storage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheManifest {
    /// The cache's name.
    pub name: String,
    /// Its entries, in the order `cache.keys()` listed them.
    pub entries: Vec<CacheEntry>,
    /// The responses that could not be read.
    pub skipped: Vec<SkippedResponse>,
}

/// A parsed entry name of a part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PartEntry {
    /// `local-storage.bin`.
    LocalStorage,
    /// `opfs/{index:06}.bin`: file `index` of the manifest's `opfs.files`.
    OpfsFile(u32),
    /// `caches/{cache}/{index:06}.bin`: the body of entry `index` of cache
    /// `cache`.
    CacheBody(u32, u32),
}

impl PartEntry {
    /// The canonical name.
    pub fn to_name(self) -> String {
        match self {
            PartEntry::LocalStorage => LOCAL_STORAGE_ENTRY.to_owned(),
            PartEntry::OpfsFile(i) => format!("opfs/{i:06}.bin"),
            PartEntry::CacheBody(c, i) => format!("caches/{c}/{i:06}.bin"),
        }
    }

    /// Parses a name, accepting only the exact canonical form.
    pub fn parse(name: &str) -> Option<PartEntry> {
        let parsed = if name == LOCAL_STORAGE_ENTRY {
            PartEntry::LocalStorage
        } else if let Some(rest) = name.strip_prefix("opfs/") {
            PartEntry::OpfsFile(file_number(rest)?)
        } else {
            let rest = name.strip_prefix("caches/")?;
            let (c, file) = rest.split_once('/')?;
            if c.is_empty() || (c.len() > 1 && c.starts_with('0')) {
                return None;
            }
            if !c.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            PartEntry::CacheBody(c.parse().ok()?, file_number(file)?)
        };
        (parsed.to_name() == name).then_some(parsed)
    }
}

fn file_number(s: &str) -> Option<u32> {
    let digits = s.strip_suffix(".bin")?;
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Why an OPFS path is unsafe, or `None` for a safe one (FORMAT.md
/// §3.5.2): components joined by `/`, each non-empty, not `.` or `..`,
/// without `\`, NUL or other control characters, at most
/// [`MAX_OPFS_NAME_BYTES`] each, at most [`MAX_OPFS_PATH_DEPTH`] of them
/// and [`MAX_OPFS_PATH_BYTES`] in all; the first is not
/// [`OPFS_STAGING_DIR`].
pub fn check_opfs_path(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("it is empty");
    }
    if path.len() > MAX_OPFS_PATH_BYTES {
        return Some("it is too long");
    }
    let mut depth = 0;
    for (i, c) in path.split('/').enumerate() {
        depth += 1;
        if let Some(why) = check_opfs_name(c) {
            return Some(why);
        }
        if i == 0 && c == OPFS_STAGING_DIR {
            return Some("it is inside Coffer's staging directory");
        }
    }
    if depth > MAX_OPFS_PATH_DEPTH {
        return Some("it is nested too deeply");
    }
    None
}

/// Why one OPFS name (a path component) is unsafe, or `None`.
pub fn check_opfs_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it has an empty component");
    }
    if name == "." || name == ".." {
        return Some("it has a . or .. component");
    }
    if name.len() > MAX_OPFS_NAME_BYTES {
        return Some("a component is too long");
    }
    if name
        .chars()
        .any(|c| c == '\\' || c == '/' || c.is_control())
    {
        return Some("a component holds a backslash or a control character");
    }
    None
}

/// The parent directory of a path, or `None` for a top-level entry.
fn parent(path: &str) -> Option<&str> {
    path.rsplit_once('/').map(|(p, _)| p)
}

fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `tchar` of RFC 9110 §5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A header name: a token in lower case (as `Headers` lists them).
pub fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_HEADER_BYTES
        && s.bytes().all(|b| is_tchar(b) && !b.is_ascii_uppercase())
}

/// A header value as `Headers` holds it: code points up to U+00FF (a byte
/// string), no NUL, CR or LF, and no leading or trailing space or tab.
pub fn is_header_value(s: &str) -> bool {
    s.len() <= MAX_HEADER_BYTES * 2
        && s.chars().count() <= MAX_HEADER_BYTES
        && s.chars()
            .all(|c| (c as u32) <= 0xff && !matches!(c, '\0' | '\r' | '\n'))
        && !s.starts_with([' ', '\t'])
        && !s.ends_with([' ', '\t'])
}

/// A status text: a reason phrase (tab, space, visible ASCII, U+0080 to
/// U+00FF).
pub fn is_status_text(s: &str) -> bool {
    s.chars().count() <= MAX_HEADER_BYTES
        && s.chars().all(|c| {
            let c = c as u32;
            c == 0x09 || (0x20..=0x7e).contains(&c) || (0x80..=0xff).contains(&c)
        })
}

/// A method: a token.
pub fn is_method(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(is_tchar)
}

/// A cached request's URL: `http://` or `https://` and visible ASCII only
/// (what URL serialisation yields).
pub fn is_cache_url(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://"))
        && s.len() <= MAX_URL_BYTES
        && s.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// Statuses whose responses have no body.
pub fn is_null_body_status(status: u16) -> bool {
    matches!(status, 204 | 205 | 304)
}

fn check_headers(label: &str, which: &str, headers: &[Header]) -> Result<()> {
    if headers.len() > MAX_HEADERS {
        return Err(Error::limit(
            format!("number of {which} of {label}"),
            MAX_HEADERS as u64,
            headers.len() as u64,
        ));
    }
    let mut seen = HashSet::new();
    for (name, value) in headers {
        if !is_header_name(name) {
            return Err(Error::Manifest(format!(
                "{label}: {which} has an invalid header name {name:?}"
            )));
        }
        if !seen.insert(name.as_str()) {
            return Err(Error::Manifest(format!(
                "{label}: {which} has header {name:?} twice"
            )));
        }
        if !is_header_value(value) {
            return Err(Error::Manifest(format!(
                "{label}: {which} has an invalid value for header {name:?}"
            )));
        }
    }
    Ok(())
}

/// What validating the parts adds up: entries and bytes, for the limits
/// on the whole backup.
#[derive(Default)]
pub(crate) struct Tally {
    pub entries: u64,
    pub total: u64,
}

impl Tally {
    fn entry(&mut self, name: &str, size: u64, limits: &Limits) -> Result<()> {
        if size > limits.max_entry_size {
            return Err(Error::limit(
                format!("size of entry {name:?}"),
                limits.max_entry_size,
                size,
            ));
        }
        self.entries += 1;
        self.total = self.total.saturating_add(size);
        Ok(())
    }
}

fn check_entry(name: &str, expected: PartEntry, blake3: &str) -> Result<()> {
    let want = expected.to_name();
    if name != want {
        return Err(Error::Manifest(format!(
            "entry {name:?} should be named {want:?}"
        )));
    }
    if !is_hash(blake3) {
        return Err(Error::Manifest(format!(
            "entry {name:?} has a malformed hash"
        )));
    }
    Ok(())
}

/// Validates the localStorage member (FORMAT.md §7.1 step 6m).
pub(crate) fn validate_local_storage(
    ls: &LocalStorageManifest,
    limits: &Limits,
    tally: &mut Tally,
) -> Result<()> {
    check_entry(&ls.entry, PartEntry::LocalStorage, &ls.blake3)?;
    if ls.size > limits.max_part_size {
        return Err(Error::limit(
            format!("size of {LOCAL_STORAGE_ENTRY}"),
            limits.max_part_size,
            ls.size,
        ));
    }
    tally.entry(&ls.entry, ls.size, limits)
}

/// Validates the OPFS member (FORMAT.md §7.1 step 6n).
pub(crate) fn validate_opfs(o: &OpfsManifest, limits: &Limits, tally: &mut Tally) -> Result<()> {
    let mut dirs = HashSet::new();
    let mut prev: Option<&str> = None;
    for d in &o.directories {
        if let Some(why) = check_opfs_path(d) {
            return Err(Error::Manifest(format!(
                "OPFS directory {d:?} is not a safe path: {why}"
            )));
        }
        if prev.is_some_and(|p| p.as_bytes() >= d.as_bytes()) {
            return Err(Error::Manifest(format!(
                "OPFS directory {d:?} is out of order or listed twice"
            )));
        }
        if let Some(p) = parent(d) {
            if !dirs.contains(p) {
                return Err(Error::Manifest(format!(
                    "the parent of OPFS directory {d:?} is not listed"
                )));
            }
        }
        dirs.insert(d.as_str());
        prev = Some(d);
    }
    let mut prev: Option<&str> = None;
    for (i, f) in o.files.iter().enumerate() {
        let index = u32::try_from(i).map_err(|_| Error::Manifest("too many OPFS files".into()))?;
        check_entry(&f.entry, PartEntry::OpfsFile(index), &f.blake3)?;
        if let Some(why) = check_opfs_path(&f.path) {
            return Err(Error::Manifest(format!(
                "OPFS file {:?} is not a safe path: {why}",
                f.path
            )));
        }
        if prev.is_some_and(|p| p.as_bytes() >= f.path.as_bytes()) {
            return Err(Error::Manifest(format!(
                "OPFS file {:?} is out of order or listed twice",
                f.path
            )));
        }
        if dirs.contains(f.path.as_str()) {
            return Err(Error::Manifest(format!(
                "OPFS path {:?} is listed as a file and as a directory",
                f.path
            )));
        }
        if let Some(p) = parent(&f.path) {
            if !dirs.contains(p) {
                return Err(Error::Manifest(format!(
                    "the directory of OPFS file {:?} is not listed",
                    f.path
                )));
            }
        }
        prev = Some(&f.path);
        tally.entry(&f.entry, f.size, limits)?;
    }
    Ok(())
}

/// Validates the caches member (FORMAT.md §7.1 step 6o).
pub(crate) fn validate_caches(
    caches: &[CacheManifest],
    limits: &Limits,
    tally: &mut Tally,
) -> Result<()> {
    let mut names = HashSet::new();
    for (c, cache) in caches.iter().enumerate() {
        let ci = u32::try_from(c).map_err(|_| Error::Manifest("too many caches".into()))?;
        if !names.insert(cache.name.as_str()) {
            return Err(Error::Manifest(format!(
                "cache {:?} appears twice",
                cache.name
            )));
        }
        for (i, e) in cache.entries.iter().enumerate() {
            let index =
                u32::try_from(i).map_err(|_| Error::Manifest("too many cache entries".into()))?;
            let label = format!("cache {:?}, {}", cache.name, e.url);
            check_entry(&e.entry, PartEntry::CacheBody(ci, index), &e.blake3)?;
            if !is_cache_url(&e.url) {
                return Err(Error::Manifest(format!(
                    "cache {:?} holds an invalid URL {:?}",
                    cache.name, e.url
                )));
            }
            if !is_method(&e.method) {
                return Err(Error::Manifest(format!(
                    "{label}: invalid method {:?}",
                    e.method
                )));
            }
            check_headers(&label, "the request", &e.request_headers)?;
            check_headers(&label, "the response", &e.response_headers)?;
            if !(200..=599).contains(&e.status) {
                return Err(Error::Manifest(format!(
                    "{label}: status {} is outside 200-599",
                    e.status
                )));
            }
            if !is_status_text(&e.status_text) {
                return Err(Error::Manifest(format!("{label}: invalid status text")));
            }
            if is_null_body_status(e.status) && e.size != 0 {
                return Err(Error::Manifest(format!(
                    "{label}: a {} response has a body",
                    e.status
                )));
            }
            tally.entry(&e.entry, e.size, limits)?;
        }
        for s in &cache.skipped {
            if !is_cache_url(&s.url) || !is_method(&s.method) {
                return Err(Error::Manifest(format!(
                    "cache {:?} lists a skipped response with an invalid URL or method",
                    cache.name
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_round_trip_and_reject_tricks() {
        for e in [
            PartEntry::LocalStorage,
            PartEntry::OpfsFile(0),
            PartEntry::OpfsFile(1_234_567),
            PartEntry::CacheBody(0, 0),
            PartEntry::CacheBody(12, 7),
        ] {
            assert_eq!(PartEntry::parse(&e.to_name()), Some(e), "{e:?}");
        }
        assert_eq!(PartEntry::CacheBody(3, 9).to_name(), "caches/3/000009.bin");
        for bad in [
            "opfs/0.bin",
            "opfs/0000000.bin",
            "opfs/000000.bin/x",
            "opfs/../000000.bin",
            "/opfs/000000.bin",
            "caches/01/000000.bin",
            "caches//000000.bin",
            "caches/0/0.bin",
            "caches/0/000000",
            "caches/-1/000000.bin",
            "caches/0/x/000000.bin",
            "local-storage.bin/",
            "Local-storage.bin",
            "opfs/+00000.bin",
        ] {
            assert_eq!(PartEntry::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn opfs_paths() {
        for ok in [
            "a",
            "a/b",
            ".hidden",
            "a b/é ✓",
            ".coffer-staging2",
            "x/.coffer-staging",
        ] {
            assert_eq!(check_opfs_path(ok), None, "{ok:?}");
        }
        for bad in [
            "",
            "/a",
            "a/",
            "a//b",
            ".",
            "a/..",
            "../a",
            "a\\b",
            "a\0b",
            "a\nb",
            ".coffer-staging",
            ".coffer-staging/x",
        ] {
            assert!(check_opfs_path(bad).is_some(), "{bad:?}");
        }
        assert!(check_opfs_path(&"a/".repeat(MAX_OPFS_PATH_DEPTH).to_string()).is_some());
        let deep = vec!["a"; MAX_OPFS_PATH_DEPTH].join("/");
        assert_eq!(check_opfs_path(&deep), None);
        assert!(check_opfs_path(&format!("{deep}/a")).is_some());
        assert!(check_opfs_path(&"x".repeat(MAX_OPFS_NAME_BYTES + 1)).is_some());
    }

    #[test]
    fn header_rules() {
        assert!(is_header_name("content-type") && !is_header_name("Content-Type"));
        assert!(!is_header_name("") && !is_header_name("a b"));
        assert!(is_header_value("text/html; charset=utf-8") && is_header_value(""));
        assert!(is_header_value("caf\u{e9}"));
        assert!(!is_header_value("\u{100}") && !is_header_value("a\r\nb"));
        assert!(!is_header_value(" a") && !is_header_value("a\t"));
        assert!(is_status_text("Not Found") && is_status_text(""));
        assert!(!is_status_text("a\nb"));
        assert!(is_method("GET") && !is_method("G T") && !is_method(""));
        assert!(is_cache_url("https://example.com/a?b=c#d"));
        assert!(!is_cache_url("ftp://x") && !is_cache_url("https://a b"));
        assert!(!is_cache_url("https://é"));
    }
}
