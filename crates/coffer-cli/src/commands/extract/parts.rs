//! The parts beyond IndexedDB in `coffer extract` (FORMAT.md §3.5):
//!
//! ```text
//! local-storage.json             [{"key": .., "value": ..}] in the backup's order
//! opfs/<path>                    the file system's directories and files
//! caches/NNN-<cache>/index.json  each request and response, body file named
//! caches/NNN-<cache>/NNNNNN.bin  response bodies
//! ```
//!
//! Every path component from the backup goes through [`safe_component`],
//! and files are created new (never through a planted symbolic link), so
//! nothing lands outside the output directory. Two names that sanitise
//! alike fail with "already exists" rather than overwrite each other.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use coffer_engine::{Error as EngineError, Key};
use serde_json::{json, Value as Json};

use super::{make_dir, new_file, safe_name, safe_name_max, Extractor, FILE_COST};
use crate::error::CliError;

/// Longest OPFS path component kept, in characters (file systems allow
/// 255 bytes; apps' names are far shorter).
const MAX_COMPONENT_CHARS: usize = 120;

/// What the parts added to the output.
#[derive(Default)]
pub(super) struct PartsSummary {
    pub local_storage_items: Option<u64>,
    pub opfs_files: Option<u64>,
    pub cache_entries: Option<u64>,
    /// Entries for `index.json`.
    pub index: serde_json::Map<String, Json>,
}

/// A path component of an OPFS path, safe on common file systems: like
/// [`safe_name`] but kept longer.
pub fn safe_component(name: &str) -> String {
    safe_name_max(name, MAX_COMPONENT_CHARS)
}

/// The output path of OPFS path `path` (components joined by `/`) under
/// `root`.
fn opfs_path(root: &Path, path: &str) -> PathBuf {
    let mut p = root.to_path_buf();
    for c in path.split('/') {
        p.push(safe_component(c));
    }
    p
}

fn text(s: &coffer_engine::model::JsString) -> Json {
    coffer_engine::export::key_to_json(&Key::String(s.clone()))
}

impl Extractor<'_> {
    /// Writes the backup's localStorage, file system and caches under
    /// `out`.
    pub(super) fn extract_parts(&mut self, out: &Path) -> Result<PartsSummary, CliError> {
        let mut summary = PartsSummary::default();
        let manifest = self.reader.manifest().clone();
        if let Some(items) = self.reader.local_storage().map_err(|e| self.engine(e))? {
            let path = out.join("local-storage.json");
            let doc: Vec<Json> = items
                .iter()
                .map(|(k, v)| json!({"key": text(k), "value": text(v)}))
                .collect();
            let bytes = serde_json::to_vec_pretty(&doc)
                .map_err(|e| CliError::write(&path, std::io::Error::other(e)))?;
            self.budget
                .charge(FILE_COST + bytes.len() as u64, self.backup)?;
            let mut f = new_file(&path, self.force)?;
            f.write_all(&bytes).map_err(|e| CliError::write(&path, e))?;
            summary.local_storage_items = Some(items.len() as u64);
            summary.index.insert(
                "localStorage".into(),
                json!({"file": "local-storage.json", "items": items.len()}),
            );
            self.progress.done_bytes += manifest.local_storage().map_or(0, |l| l.size);
            self.bar.update(self.progress);
        }
        if let Some(opfs) = manifest.opfs() {
            let root = out.join("opfs");
            self.budget.charge(FILE_COST, self.backup)?;
            make_dir(&root, self.force)?;
            for d in &opfs.directories {
                self.budget.charge(FILE_COST, self.backup)?;
                make_dir(&opfs_path(&root, d), self.force)?;
            }
            let mut files = Vec::new();
            for (i, f) in opfs.files.iter().enumerate() {
                let path = opfs_path(&root, &f.path);
                self.budget.charge(FILE_COST.max(f.size), self.backup)?;
                self.write_streamed(&path, |r, w| r.copy_opfs_file(i, w))?;
                files.push(json!({
                    "path": f.path,
                    "file": path.strip_prefix(out).unwrap_or(&path).to_string_lossy(),
                    "size": f.size,
                }));
                self.progress.done_bytes += f.size;
                self.bar.update(self.progress);
            }
            summary.opfs_files = Some(opfs.files.len() as u64);
            summary.index.insert(
                "opfs".into(),
                json!({"directory": "opfs", "directories": opfs.directories, "files": files}),
            );
        }
        if manifest.json().caches.is_some() {
            let root = out.join("caches");
            self.budget.charge(FILE_COST, self.backup)?;
            make_dir(&root, self.force)?;
            let mut caches = Vec::new();
            let mut n = 0;
            for (c, cache) in manifest.caches().iter().enumerate() {
                let dir_name = format!("{c:03}-{}", safe_name(&cache.name));
                let dir = root.join(&dir_name);
                self.budget.charge(FILE_COST, self.backup)?;
                make_dir(&dir, self.force)?;
                let mut entries = Vec::new();
                for (e, entry) in cache.entries.iter().enumerate() {
                    let file = format!("{:06}.bin", e);
                    self.budget.charge(FILE_COST.max(entry.size), self.backup)?;
                    self.write_streamed(&dir.join(&file), |r, w| r.copy_cache_body(c, e, w))?;
                    entries.push(json!({
                        "url": entry.url,
                        "method": entry.method,
                        "requestHeaders": entry.request_headers,
                        "status": entry.status,
                        "statusText": entry.status_text,
                        "responseHeaders": entry.response_headers,
                        "body": file,
                        "size": entry.size,
                    }));
                    n += 1;
                    self.progress.done_bytes += entry.size;
                    self.bar.update(self.progress);
                }
                let skipped: Vec<Json> = cache
                    .skipped
                    .iter()
                    .map(|s| json!({"url": s.url, "method": s.method, "reason": s.reason.as_str()}))
                    .collect();
                let doc = json!({"name": cache.name, "entries": entries, "skipped": skipped});
                let index_path = dir.join("index.json");
                let bytes = format!("{doc:#}\n");
                self.budget
                    .charge(FILE_COST + bytes.len() as u64, self.backup)?;
                let mut f = new_file(&index_path, self.force)?;
                f.write_all(bytes.as_bytes())
                    .map_err(|e| CliError::write(&index_path, e))?;
                caches.push(json!({"name": cache.name, "directory": format!("caches/{dir_name}")}));
            }
            summary.cache_entries = Some(n);
            summary.index.insert("caches".into(), Json::Array(caches));
        }
        Ok(summary)
    }

    /// Streams one verified entry into a new file at `path`; a file that
    /// fails verification is removed again.
    fn write_streamed(
        &mut self,
        path: &Path,
        copy: impl FnOnce(&mut crate::backup::Reader, &mut dyn Write) -> coffer_engine::Result<u64>,
    ) -> Result<(), CliError> {
        let file = new_file(path, self.force)?;
        let mut w = BufWriter::new(file);
        let result = match copy(self.reader, &mut w) {
            Ok(_) => w.flush().map_err(|e| CliError::write(path, e)),
            Err(EngineError::Io(e)) => Err(CliError::write(path, e)),
            Err(e) => Err(self.engine(e)),
        };
        if result.is_err() {
            drop(w);
            let _ = fs::remove_file(path);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opfs_paths_stay_inside() {
        let root = Path::new("/out/opfs");
        assert_eq!(opfs_path(root, "a/b.txt"), Path::new("/out/opfs/a/b.txt"));
        for hostile in ["../x", "a/../../x", "..", "/abs", "a\\..\\x", "C:x"] {
            let p = opfs_path(root, hostile);
            assert!(p.starts_with(root), "{hostile:?} -> {}", p.display());
            assert!(
                p.components()
                    .all(|c| !matches!(c, std::path::Component::ParentDir)),
                "{hostile:?} -> {}",
                p.display()
            );
        }
        let long = "x".repeat(300);
        assert_eq!(safe_component(&long).chars().count(), MAX_COMPONENT_CHARS);
        assert_eq!(safe_component("sahpool-.opaque"), "sahpool-.opaque");
    }
}
