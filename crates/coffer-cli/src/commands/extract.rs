//! `coffer extract`: every store as JSON Lines, binary bodies as files.
//!
//! Layout of the output directory:
//!
//! ```text
//! manifest.json                        the backup's manifest, byte for byte
//! index.json                           real names -> files
//! NNN-<database>/NNN-<store>.jsonl     one {"key": .., "value": ..} per line
//! NNN-<database>/files/NNNNNN.bin      binary bodies, named from the JSON
//! local-storage.json, opfs/, caches/   the parts beyond IndexedDB ([`parts`])
//! ```
//!
//! Database and store names come from the backup, so they are sanitised
//! ([`safe_name`]) before they become path components; the index prefix
//! keeps them unique and never `.` or `..`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use coffer_engine::envelope::{open_value, RecordContext};
use coffer_engine::export::{key_to_json, value_to_json};
use coffer_engine::model::Binary;
use coffer_engine::{Error as EngineError, Progress, RecordValue};
use serde_json::json;

use crate::backup::{self, Reader, Source};
use crate::cli::ExtractArgs;
use crate::commands::{count, Ctx};
use crate::error::CliError;
use crate::outln;
use crate::progress::Bar;

mod parts;

/// Longest sanitised name, in characters (before the index prefix).
const MAX_NAME_CHARS: usize = 48;

/// Turns a database or store name into a safe path component: characters
/// that are separators, control characters or reserved on common file
/// systems become `_`, leading and trailing dots and spaces too, and the
/// result is at most [`MAX_NAME_CHARS`] characters. Never empty.
pub fn safe_name(name: &str) -> String {
    safe_name_max(name, MAX_NAME_CHARS)
}

/// [`safe_name`] with at most `max` characters.
fn safe_name_max(name: &str, max: usize) -> String {
    let mut s: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' | '\0' => '_',
            c if c.is_control() => '_',
            // Invisible formatting characters (bidi overrides, ...).
            '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}' => '_',
            c => c,
        })
        .take(max)
        .collect();
    // No leading or trailing dots or spaces: hidden files, `..`, and names
    // Windows silently changes.
    let trimmed_start = s.len() - s.trim_start_matches(['.', ' ']).len();
    let trimmed_end = s.trim_end_matches(['.', ' ']).len();
    if trimmed_start > 0 || trimmed_end < s.len() {
        let inner_end = trimmed_end.max(trimmed_start);
        s = format!(
            "{}{}{}",
            "_".repeat(s[..trimmed_start].chars().count()),
            &s[trimmed_start..inner_end],
            "_".repeat(s[inner_end..].chars().count())
        );
    }
    if s.is_empty() {
        s.push('_');
    }
    s
}

/// Runs `coffer extract`.
pub fn run(ctx: &Ctx, args: &ExtractArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let source = Source::new(&args.backup, &args.unlock, backup::limits(&args.limits))?;
    if source.locked.is_none() && source.passphrase.is_some() {
        ctx.note("the backup is not locked; --passphrase-file is not needed");
    }
    let mut reader = source.open()?;
    if let Some(k) = &source.key {
        reader
            .check_key(k)
            .map_err(|e| CliError::backup(&args.backup, e))?;
    }
    prepare_out_dir(&args.out, args.force)?;

    let sealed_stores = reader
        .manifest()
        .databases()
        .iter()
        .flat_map(|d| &d.stores)
        .filter(|s| s.schema.encrypted)
        .count();
    if sealed_stores > 0 && source.key.is_none() {
        let id = reader.key_id().map(|k| k.to_hex()).unwrap_or_default();
        ctx.note(format!(
            "{} left sealed: their records hold a base64 \"sealed\" envelope; pass --key with the key file of key id {id} to decrypt them",
            count(sealed_stores as u64, "encrypted store")
        ));
    }

    let input_len = std::fs::metadata(&args.backup)
        .map_err(|e| CliError::read("backup", &args.backup, e))?
        .len();
    let limits = reader.limits().clone();
    let mut ex = Extractor {
        reader: &mut reader,
        key: source.key.as_ref(),
        force: args.force,
        bar: Bar::new(ctx.quiet, "extracting"),
        progress: Progress::default(),
        backup: &args.backup,
        budget: OutputBudget::new(&limits, input_len),
    };
    let summary = match ex.extract_all(&args.out) {
        Ok(s) => s,
        Err(e) => {
            ex.bar.finish();
            ctx.note(format!(
                "extraction stopped; {} holds incomplete output",
                args.out.display()
            ));
            return Err(e);
        }
    };
    ex.bar.finish();

    outln!(
        out,
        "extracted {} from {} of {} into {}",
        count(summary.records, "record"),
        count(summary.stores, "store"),
        count(summary.databases, "database"),
        args.out.display()
    );
    if summary.files > 0 {
        outln!(out, "binary bodies written as files: {}", summary.files);
    }
    let p = &summary.parts;
    if let Some(n) = p.local_storage_items {
        outln!(
            out,
            "localStorage: {} in local-storage.json",
            count(n, "item")
        );
    }
    if let Some(n) = p.opfs_files {
        outln!(out, "file system: {} under opfs/", count(n, "file"));
    }
    if let Some(n) = p.cache_entries {
        outln!(out, "caches: {} under caches/", count(n, "response"));
    }
    if summary.sealed > 0 {
        outln!(
            out,
            "{} left sealed (no key given)",
            count(summary.sealed, "record")
        );
    }
    Ok(())
}

/// Checks that `dir` is absent or an empty directory (or `force`), then
/// creates it.
fn prepare_out_dir(dir: &Path, force: bool) -> Result<(), CliError> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {
            let mut entries = fs::read_dir(dir).map_err(|e| CliError::read("directory", dir, e))?;
            if entries.next().is_some() && !force {
                return Err(CliError::OutputNotEmpty {
                    path: dir.to_owned(),
                });
            }
            Ok(())
        }
        Ok(m) if m.file_type().is_symlink() => match fs::metadata(dir) {
            // A link to a directory the user chose is fine; check it like one.
            Ok(t) if t.is_dir() => {
                let mut entries =
                    fs::read_dir(dir).map_err(|e| CliError::read("directory", dir, e))?;
                if entries.next().is_some() && !force {
                    return Err(CliError::OutputNotEmpty {
                        path: dir.to_owned(),
                    });
                }
                Ok(())
            }
            _ => Err(CliError::NotADirectory {
                path: dir.to_owned(),
            }),
        },
        Ok(_) => Err(CliError::NotADirectory {
            path: dir.to_owned(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(|e| CliError::write(dir, e))
        }
        Err(e) => Err(CliError::read("directory", dir, e)),
    }
}

/// Creates directory `dir` inside the output; an existing directory is
/// reused only with `force`, and never through a symbolic link.
fn make_dir(dir: &Path, force: bool) -> Result<(), CliError> {
    match fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && force => {
            match fs::symlink_metadata(dir) {
                Ok(m) if m.is_dir() => Ok(()),
                _ => Err(CliError::NotADirectory {
                    path: dir.to_owned(),
                }),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(CliError::AlreadyExists {
            path: dir.to_owned(),
        }),
        Err(e) => Err(CliError::write(dir, e)),
    }
}

/// Creates a new file inside the output. With `force` an existing file of
/// the same name is replaced (removed first, so a symbolic link planted
/// there is never followed).
fn new_file(path: &Path, force: bool) -> Result<File, CliError> {
    if force {
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => {
                return Err(CliError::AlreadyExists {
                    path: path.to_owned(),
                })
            }
            Ok(_) => fs::remove_file(path).map_err(|e| CliError::write(path, e))?,
            Err(_) => {}
        }
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => CliError::AlreadyExists {
                path: path.to_owned(),
            },
            _ => CliError::write(path, e),
        })
}

/// Counts of what was extracted.
#[derive(Default)]
struct Summary {
    parts: parts::PartsSummary,
    databases: u64,
    stores: u64,
    records: u64,
    sealed: u64,
    files: u64,
}

/// Bytes charged for every file or directory extract creates (about what
/// one costs a file system), so many tiny files count as output too.
pub const FILE_COST: u64 = 4096;

/// What `coffer extract` may write (FORMAT.md §8.2): the compression-ratio
/// limit applied to the whole output. At most `max_compression_ratio` times
/// the backup file's size, and at least `ratio_threshold`, counting every
/// byte written plus [`FILE_COST`] per file or directory created.
struct OutputBudget {
    limit: u64,
    used: u64,
}

impl OutputBudget {
    fn new(limits: &coffer_engine::Limits, input_len: u64) -> Self {
        OutputBudget {
            limit: limits
                .max_compression_ratio
                .saturating_mul(input_len)
                .max(limits.ratio_threshold),
            used: 0,
        }
    }

    /// Takes `bytes`, or fails with `limit-exceeded` naming the backup.
    fn charge(&mut self, bytes: u64, backup: &Path) -> Result<(), CliError> {
        self.used = self.used.saturating_add(bytes);
        if self.used > self.limit {
            return Err(CliError::backup(
                backup,
                EngineError::LimitExceeded {
                    what: "bytes extract would write (files counted at 4 KiB at least)".into(),
                    limit: self.limit,
                    actual: self.used,
                },
            ));
        }
        Ok(())
    }
}

/// The state of one extraction.
struct Extractor<'a> {
    reader: &'a mut Reader,
    key: Option<&'a coffer_engine::MasterKey>,
    force: bool,
    bar: Bar,
    progress: Progress,
    backup: &'a Path,
    budget: OutputBudget,
}

impl Extractor<'_> {
    fn engine(&self, e: EngineError) -> CliError {
        CliError::backup(self.backup, e)
    }

    fn extract_all(&mut self, out: &Path) -> Result<Summary, CliError> {
        let manifest_path = out.join("manifest.json");
        self.budget.charge(
            FILE_COST + self.reader.manifest_bytes().len() as u64,
            self.backup,
        )?;
        let mut f = new_file(&manifest_path, self.force)?;
        f.write_all(self.reader.manifest_bytes())
            .map_err(|e| CliError::write(&manifest_path, e))?;

        let dbs = self.reader.manifest().databases().to_vec();
        self.progress.total_bytes = dbs
            .iter()
            .flat_map(|d| &d.stores)
            .flat_map(|s| s.parts.iter().chain(&s.blobs))
            .map(|e| e.size)
            .sum::<u64>()
            + self
                .reader
                .manifest()
                .part_entries()
                .iter()
                .map(|(_, size, _)| size)
                .sum::<u64>();
        self.progress.total_records = dbs.iter().flat_map(|d| &d.stores).map(|s| s.records).sum();
        self.bar.update(self.progress);

        let mut summary = Summary::default();
        let mut index = Vec::new();
        for (d, db) in dbs.iter().enumerate() {
            let db_dir_name = format!("{d:03}-{}", safe_name(&db.name));
            let db_dir = out.join(&db_dir_name);
            self.budget.charge(FILE_COST, self.backup)?;
            make_dir(&db_dir, self.force)?;
            let files_dir = db_dir.join("files");
            let mut files_made = false;
            let mut next_file: u64 = 0;
            let mut stores = Vec::new();
            for (s, st) in db.stores.iter().enumerate() {
                let file_name = format!("{s:03}-{}.jsonl", safe_name(&st.schema.name));
                let path = db_dir.join(&file_name);
                self.budget.charge(FILE_COST, self.backup)?;
                let file = new_file(&path, self.force)?;
                let mut w = BufWriter::new(file);
                let sealed = st.schema.encrypted && self.key.is_none();
                // Part by part, with the store-wide checks (key order across
                // parts, each blob once and in order).
                let mut scan = self.reader.scan_store(d, s).map_err(|e| self.engine(e))?;
                loop {
                    let part = scan.next_part_index();
                    let Some(records) = self
                        .reader
                        .next_part(&mut scan)
                        .map_err(|e| self.engine(e))?
                    else {
                        break;
                    };
                    for r in records {
                        let key = key_to_json(&r.key);
                        let line = match r.value {
                            RecordValue::Sealed(env) => match self.key {
                                None => {
                                    summary.sealed += 1;
                                    json!({"key": key, "sealed": B64.encode(&env)})
                                }
                                Some(k) => {
                                    let ctx = RecordContext {
                                        database: &db.name,
                                        store: &st.schema.name,
                                        key: &r.key,
                                    };
                                    let limits = self.reader.limits().max_depth;
                                    let v = open_value(k, &ctx, &env, limits)
                                        .map_err(|e| self.engine(e))?;
                                    let value = self.value_json(
                                        &v,
                                        d,
                                        s,
                                        &files_dir,
                                        &mut files_made,
                                        &mut next_file,
                                    )?;
                                    json!({"key": key, "value": value})
                                }
                            },
                            RecordValue::Plain(v) => {
                                let value = self.value_json(
                                    &v,
                                    d,
                                    s,
                                    &files_dir,
                                    &mut files_made,
                                    &mut next_file,
                                )?;
                                json!({"key": key, "value": value})
                            }
                        };
                        let mut text = serde_json::to_vec(&line)
                            .map_err(|e| CliError::write(&path, io::Error::other(e)))?;
                        text.push(b'\n');
                        self.budget.charge(text.len() as u64, self.backup)?;
                        w.write_all(&text).map_err(|e| CliError::write(&path, e))?;
                        summary.records += 1;
                        self.progress.done_records += 1;
                    }
                    self.progress.done_bytes += st.parts[part].size;
                    self.bar.update(self.progress);
                }
                w.flush().map_err(|e| CliError::write(&path, e))?;
                self.progress.done_bytes += st.blobs.iter().map(|b| b.size).sum::<u64>();
                self.bar.update(self.progress);
                summary.stores += 1;
                stores.push(json!({
                    "name": st.schema.name,
                    "file": format!("{db_dir_name}/{file_name}"),
                    "records": st.records,
                    "encrypted": st.schema.encrypted,
                    "sealed": sealed,
                }));
            }
            summary.files += next_file;
            summary.databases += 1;
            index.push(json!({
                "name": db.name,
                "version": db.version,
                "directory": db_dir_name,
                "stores": stores,
            }));
        }
        summary.parts = self.extract_parts(out)?;
        let index_path = out.join("index.json");
        let mut doc = json!({"backup": self.backup.display().to_string(), "databases": index});
        if let Some(o) = doc.as_object_mut() {
            o.extend(std::mem::take(&mut summary.parts.index));
        }
        let text = format!("{doc:#}\n");
        self.budget
            .charge(FILE_COST + text.len() as u64, self.backup)?;
        let mut f = new_file(&index_path, self.force)?;
        f.write_all(text.as_bytes())
            .map_err(|e| CliError::write(&index_path, e))?;
        Ok(summary)
    }

    /// The tagged JSON of `v`, writing its binary bodies to `files_dir`.
    #[allow(clippy::too_many_arguments)]
    fn value_json(
        &mut self,
        v: &coffer_engine::Value,
        d: usize,
        s: usize,
        files_dir: &Path,
        files_made: &mut bool,
        next_file: &mut u64,
    ) -> Result<serde_json::Value, CliError> {
        // The engine's callback can only return engine errors; keep ours
        // aside and stop the conversion with `Cancelled`.
        let mut failure: Option<CliError> = None;
        let force = self.force;
        let reader = &mut *self.reader;
        let backup = self.backup;
        let budget = &mut self.budget;
        let result = value_to_json(v, &mut |b: &Binary| {
            let mut write = || -> Result<String, CliError> {
                if !*files_made {
                    budget.charge(FILE_COST, backup)?;
                    make_dir(files_dir, force)?;
                    *files_made = true;
                }
                budget.charge(FILE_COST.max(b.len()), backup)?;
                *next_file += 1;
                let name = format!("{:06}.bin", *next_file);
                let path = files_dir.join(&name);
                write_body(reader, backup, d, s, b, &path, force)?;
                Ok(format!("files/{name}"))
            };
            write().map_err(|e| {
                failure = Some(e);
                EngineError::Cancelled
            })
        });
        match (result, failure) {
            (_, Some(e)) => Err(e),
            (Ok(j), None) => Ok(j),
            (Err(e), None) => Err(self.engine(e)),
        }
    }
}

/// Writes one binary body to a new file at `path`: inline bytes directly,
/// blob entries streamed and verified by the engine. A body that fails
/// verification is removed again.
fn write_body(
    reader: &mut Reader,
    backup: &Path,
    d: usize,
    s: usize,
    b: &Binary,
    path: &Path,
    force: bool,
) -> Result<(), CliError> {
    let file = new_file(path, force)?;
    let mut w = BufWriter::new(file);
    let result = match b {
        Binary::Inline(bytes) => w.write_all(bytes).map_err(|e| CliError::write(path, e)),
        Binary::External(r) => match reader.copy_blob(d, s, r.index, &mut w) {
            Ok(_) => Ok(()),
            Err(EngineError::Io(e)) => Err(CliError::write(path, e)),
            Err(e) => Err(CliError::backup(backup, e)),
        },
    }
    .and_then(|()| w.flush().map_err(|e| CliError::write(path, e)));
    if result.is_err() {
        drop(w);
        let _ = fs::remove_file(path);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_path_components() {
        assert_eq!(safe_name("notes"), "notes");
        assert_eq!(safe_name("a/b\\c"), "a_b_c");
        assert_eq!(safe_name(".."), "__");
        assert_eq!(safe_name("."), "_");
        assert_eq!(safe_name(""), "_");
        assert_eq!(safe_name("../../etc/passwd"), "___.._etc_passwd");
        assert_eq!(safe_name("x\0y\n\u{7f}"), "x_y__");
        assert_eq!(safe_name(" .hidden. "), "__hidden__");
        assert_eq!(safe_name("C:name"), "C_name");
        assert_eq!(safe_name("a\u{202e}b"), "a_b");
        assert_eq!(safe_name("日本語"), "日本語");
        let long = "é".repeat(500);
        assert_eq!(safe_name(&long).chars().count(), MAX_NAME_CHARS);
        for hostile in ["..", "/", "\\", "a/../b", "\u{0}", "...", " "] {
            let n = safe_name(hostile);
            assert!(
                !n.contains('/') && !n.contains('\\') && n != "." && n != "..",
                "{hostile:?} -> {n:?}"
            );
        }
    }
}
