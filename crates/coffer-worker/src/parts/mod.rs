//! The parts of the origin's storage beyond IndexedDB: localStorage, the
//! origin private file system ([`opfs`]) and Cache Storage ([`caches`]).
//!
//! localStorage exists only on the page's thread: the page reads it and
//! sends it with the backup request (an array of `[key, value]` beside the
//! JSON, so lone surrogates travel exactly), and a restore hands the
//! backup's items back the same way for the page to set, all or nothing.
//! The file system and the caches are read and written here.

pub mod caches;
pub mod opfs;

use coffer_engine::format::manifest::Manifest;
use coffer_engine::model::JsString;
use coffer_protocol::{
    CacheInfo, ErrorCode, LocalStorageInfo, OpfsInfo, Part, PartsInfo, ProgressInfo, RestoredParts,
    Scope, SelectedParts, SkippedInfo,
};
use js_sys::Array;
use wasm_bindgen::JsValue;

use crate::backup::Writer;
use crate::browser::convert::{js_string, to_js_string};
use crate::error::{AppError, AppResult};
use crate::restore::Reader;
use crate::Reporter;

/// Bytes of localStorage items as browsers count them (UTF-16).
fn utf16_bytes(items: &[(JsString, JsString)]) -> u64 {
    items
        .iter()
        .map(|(k, v)| (k.to_utf16().len() + v.to_utf16().len()) as u64 * 2)
        .sum()
}

/// The page's localStorage items: an array of `[key, value]` strings.
pub fn local_storage_items(v: &JsValue) -> AppResult<Vec<(JsString, JsString)>> {
    if !Array::is_array(v) {
        return Err(AppError::new(
            ErrorCode::BadArgument,
            "the page sent no localStorage items with the backup request",
        ));
    }
    Array::from(v)
        .iter()
        .map(|pair| {
            let a = Array::from(&pair);
            let (k, v) = (a.get(0), a.get(1));
            if a.length() != 2 || !k.is_string() || !v.is_string() {
                return Err(AppError::new(
                    ErrorCode::BadArgument,
                    "a localStorage item is not a pair of strings",
                ));
            }
            Ok((js_string(&k), js_string(&v)))
        })
        .collect()
}

/// Items for the page: an array of `[key, value]`.
pub fn local_storage_value(items: &[(JsString, JsString)]) -> JsValue {
    items
        .iter()
        .map(|(k, v)| -> JsValue {
            [to_js_string(k), to_js_string(v)]
                .iter()
                .collect::<Array>()
                .into()
        })
        .collect::<Array>()
        .into()
}

/// The file system and caches of the origin, as far as `scope` allows.
pub async fn overview(scope: &Scope) -> AppResult<PartsInfo> {
    Ok(PartsInfo {
        local_storage: None,
        opfs: if scope.allows_part(Part::Opfs) {
            opfs::info().await?
        } else {
            None
        },
        caches: if scope.allows_part(Part::Caches) {
            caches::info(scope).await?
        } else {
            None
        },
    })
}

/// Backs up the selected parts (within `scope`) into `w`; `local` is the
/// page's localStorage attachment.
pub async fn backup(
    w: &mut Writer,
    sel: &SelectedParts,
    scope: &Scope,
    local: &JsValue,
    rep: &Reporter,
    progress: &mut ProgressInfo,
) -> AppResult<PartsInfo> {
    let mut info = PartsInfo::default();
    if sel.local_storage && scope.allows_part(Part::LocalStorage) {
        let items = local_storage_items(local)?;
        info.local_storage = Some(LocalStorageInfo {
            items: items.len() as u64,
            bytes: utf16_bytes(&items),
        });
        w.set_local_storage(items)?;
    }
    if sel.opfs && scope.allows_part(Part::Opfs) {
        info.opfs = Some(opfs::backup(w, rep, progress).await?);
    }
    let wanted: Vec<String> = sel
        .caches
        .iter()
        .filter(|c| scope.allows_cache(c))
        .cloned()
        .collect();
    if !wanted.is_empty() {
        info.caches = Some(caches::backup(w, &wanted, rep, progress).await?);
    }
    Ok(info)
}

/// What a backup holds beyond IndexedDB (within `scope`), and whether its
/// caches exist here now.
pub async fn preview(m: &Manifest, scope: &Scope) -> AppResult<PartsInfo> {
    let mut info = PartsInfo::default();
    if scope.allows_part(Part::LocalStorage) {
        info.local_storage = m.local_storage().map(|l| LocalStorageInfo {
            items: l.items,
            bytes: l.size,
        });
    }
    if scope.allows_part(Part::Opfs) {
        info.opfs = m.opfs().map(|o| OpfsInfo {
            files: o.files.len() as u64,
            directories: o.directories.len() as u64,
            bytes: o.files.iter().map(|f| f.size).sum(),
        });
    }
    if m.json().caches.is_some() && scope.allows_part(Part::Caches) {
        let live = if caches::available() {
            caches::info(&Scope::default())
                .await
                .ok()
                .flatten()
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        info.caches = Some(
            m.caches()
                .iter()
                .filter(|c| scope.allows_cache(&c.name))
                .map(|c| CacheInfo {
                    name: c.name.clone(),
                    entries: c.entries.len() as u64,
                    bytes: c.entries.iter().map(|e| e.size).sum(),
                    skipped: c
                        .skipped
                        .iter()
                        .map(|s| SkippedInfo {
                            cache: c.name.clone(),
                            url: s.url.clone(),
                            reason: s.reason.as_str().into(),
                        })
                        .collect(),
                    exists: live.iter().any(|l| l.name == c.name),
                })
                .collect(),
        );
    }
    Ok(info)
}

/// The parts of a backup a restore of `sel` (within `scope`) writes:
/// whether localStorage and the tree, and which caches (by index).
pub struct PartsPlan {
    /// localStorage.
    pub local_storage: bool,
    /// The OPFS tree.
    pub opfs: bool,
    /// Caches, by their index in the manifest.
    pub caches: Vec<usize>,
}

impl PartsPlan {
    /// The plan for `sel` of manifest `m`.
    pub fn new(m: &Manifest, sel: &SelectedParts, scope: &Scope) -> PartsPlan {
        PartsPlan {
            local_storage: sel.local_storage
                && m.local_storage().is_some()
                && scope.allows_part(Part::LocalStorage),
            opfs: sel.opfs && m.opfs().is_some() && scope.allows_part(Part::Opfs),
            caches: m
                .caches()
                .iter()
                .enumerate()
                .filter(|(_, c)| sel.caches.contains(&c.name) && scope.allows_cache(&c.name))
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// Whether nothing is planned.
    pub fn is_empty(&self) -> bool {
        !self.local_storage && !self.opfs && self.caches.is_empty()
    }

    /// Bytes it writes.
    pub fn bytes(&self, m: &Manifest) -> u64 {
        let mut n = 0;
        if self.local_storage {
            n += m.local_storage().map_or(0, |l| l.size);
        }
        if self.opfs {
            n += m.opfs().map_or(0, |o| o.files.iter().map(|f| f.size).sum());
        }
        for &i in &self.caches {
            n += m.caches()[i].entries.iter().map(|e| e.size).sum::<u64>();
        }
        n
    }
}

/// Restores the planned parts: caches, then the OPFS tree; localStorage
/// is returned (as the page's attachment) for the page to set.
pub async fn restore(
    reader: &mut Reader,
    plan: &PartsPlan,
    rep: &Reporter,
    progress: &mut ProgressInfo,
) -> AppResult<(RestoredParts, Option<JsValue>)> {
    let mut done = RestoredParts::default();
    let local = if plan.local_storage {
        let items = reader.local_storage()?.unwrap_or_default();
        done.local_storage = Some(items.len() as u64);
        Some(local_storage_value(&items))
    } else {
        None
    };
    if !plan.caches.is_empty() {
        done.cache_entries = Some(caches::restore(reader, &plan.caches, rep, progress).await?);
    }
    if plan.opfs {
        done.opfs_files = Some(opfs::restore(reader, rep, progress).await?);
    }
    Ok((done, local))
}

/// Settles the part restores a previous session did not finish.
pub async fn settle() -> AppResult<()> {
    let c = caches::settle().await;
    let o = opfs::settle().await;
    c?;
    o?;
    Ok(())
}
