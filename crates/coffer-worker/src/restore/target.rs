//! [`Target`]: what one database's restore writes with (the open backup,
//! the selected stores, the keys) and how a store is filled from it.

use coffer_engine::envelope::{reseal, RecordContext};
use coffer_engine::model::{BlobRef, StoreSchema};
use coffer_engine::{Key, MasterKey, RecordValue};
use coffer_protocol::{Phase, ProgressInfo};
use js_sys::Uint8Array;
use wasm_bindgen::JsValue;
use web_sys::{Blob, IdbObjectStore};

use super::Reader;
use crate::browser::blobio::{read_blob_buffer, BlobParts};
use crate::browser::convert::{key_to_js, ToJs};
use crate::browser::idb;
use crate::error::{AppError, AppResult};
use crate::generators;
use crate::Reporter;

/// What a database restore writes with, and where the records go.
pub struct Target<'a> {
    /// The open, verified backup.
    pub reader: &'a mut Reader,
    /// The database's index in the manifest.
    pub di: usize,
    /// The selected stores' indexes.
    pub stores: &'a [usize],
    /// The key the backup's sealed records are under, if at hand.
    pub old_key: Option<&'a MasterKey>,
    /// The current master key (sealed records are re-sealed to it).
    pub current: &'a MasterKey,
    /// Progress goes here.
    pub rep: &'a Reporter,
    /// Records done so far.
    pub progress: &'a mut ProgressInfo,
    /// Records re-sealed so far.
    pub resealed: &'a mut u64,
}

impl Target<'_> {
    /// Writes the records of store `si` into `st` (empty, inside the
    /// restore's transaction) and raises its key generator.
    pub async fn fill(&mut self, st: &IdbObjectStore, si: usize) -> AppResult<()> {
        let di = self.di;
        let dm = &self.reader.manifest().databases()[di];
        let (db_name, store) = (dm.name.clone(), &dm.stores[si]);
        let (schema, parts) = (store.schema.clone(), store.parts.len());
        let reader = &mut *self.reader;
        let (progress, rep) = (&mut *self.progress, self.rep);
        let (old_key, current, resealed) = (self.old_key, self.current, &mut *self.resealed);
        let mut max_numeric: f64 = 0.0;
        // The previous part's last request: its part is being written while
        // this one is decoded, and it is awaited once this part is queued
        // (two parts in flight at most).
        let mut in_flight: Option<wasm_bindgen_futures::JsFuture> = None;
        let failed = |e: JsValue| {
            AppError::js(
                &format!("cannot write a record of {db_name}/{}", schema.name),
                e,
            )
        };
        for p in 0..parts {
            let records = reader.read_part(di, si, p)?;
            let mut last = None;
            for rec in records {
                if let Key::Number(n) = rec.key {
                    max_numeric = max_numeric.max(n);
                }
                let kjs = key_to_js(&rec.key);
                let value = match rec.value {
                    RecordValue::Plain(v) => {
                        let r = &mut *reader;
                        let mut resolve = |b: BlobRef| -> AppResult<Blob> {
                            let mut out = BlobParts::new(4 << 20);
                            r.copy_blob(di, si, b.index, &mut out)?;
                            out.into_blob("")
                        };
                        let mut to_buffer = |b: &Blob| read_blob_buffer(b);
                        let mut conv = ToJs::with_resolver(&mut resolve, &mut to_buffer);
                        conv.convert(&v)?
                    }
                    RecordValue::Sealed(env) => {
                        let ctx = RecordContext {
                            database: &db_name,
                            store: &schema.name,
                            key: &rec.key,
                        };
                        let env = match old_key {
                            Some(old) if old.id() != current.id() => {
                                *resealed += 1;
                                reseal(old, current, &ctx, &env)?
                            }
                            _ => env,
                        };
                        Uint8Array::from(env.as_slice()).into()
                    }
                };
                let r = if schema.key_path.is_some() {
                    st.put(&value)
                } else {
                    st.put_with_key(&value, &kjs)
                };
                let r = r.map_err(|e| {
                    AppError::js(
                        &format!("cannot write a record of {db_name}/{}", schema.name),
                        e,
                    )
                })?;
                // Only the part's last request is awaited: a failed put aborts
                // the transaction, which fails every later request too.
                last = Some(r);
                progress.done_records += 1;
                rep.progress(Phase::Restoring, *progress, false);
            }
            // Listen at once: the request may succeed during the next await.
            let this = last.as_ref().map(idb::track);
            if let Some(f) = std::mem::replace(&mut in_flight, this) {
                f.await.map_err(failed)?;
            }
            rep.progress(Phase::Restoring, *progress, false);
        }
        if let Some(f) = in_flight {
            f.await.map_err(failed)?;
        }
        if let Some(g) = schema.key_generator {
            generators::raise(st, &schema, g, max_numeric).await?;
        }
        Ok(())
    }
}

/// Whether an existing store has the shape `backup` needs: key path, key
/// generator flag and indexes (in any order).
pub fn same_shape(existing: &StoreSchema, backup: &StoreSchema) -> bool {
    let sorted = |s: &StoreSchema| {
        let mut ix = s.indexes.clone();
        ix.sort_by(|a, b| a.name.cmp(&b.name));
        ix
    };
    existing.key_path == backup.key_path
        && existing.auto_increment == backup.auto_increment
        && sorted(existing) == sorted(backup)
}
