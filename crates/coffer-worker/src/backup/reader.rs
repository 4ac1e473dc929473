//! Reading one store of the snapshot into its [`StoreSink`]: pages of
//! [`PAGE`] records (`getAllRecords`, or `getAllKeys` + `getAll`),
//! pipelined (the next page is requested as soon as a page's size and last
//! key are known, before its values are touched), plain values encoded a
//! page at a time in JavaScript ([`PageEncoder`]) or converted one by one
//! ([`ToValue`]), sealed values copied as they are. Blob bodies are
//! deferred into a batch and read in the background; earlier stores'
//! bodies go on loading while later stores are read.

use std::cell::RefCell;

use coffer_engine::model::StoreSchema;
use coffer_engine::Key;
use coffer_protocol::{ErrorCode, Phase, ProgressInfo};
use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, IdbKeyRange, IdbObjectStore, IdbRequest};

use super::bodies::{Body, Pending, MAX_IN_FLIGHT};
use super::sink::{StoreSink, Writer};
use crate::browser::blobio::BlobBatch;
use crate::browser::convert::{js_to_key, ToValue};
use crate::browser::encoder::{EncodeFailure, EncodedPage, PageEncoder};
use crate::browser::idb;
use crate::error::{AppError, AppResult};
use crate::{keys, Reporter};

/// Records read per request.
pub const PAGE: u32 = 500;

/// Blob bytes deferred before their batch is read (at most, plus one Blob).
const BLOB_BATCH: u64 = 8 << 20;

/// The stores of one snapshot being read into the writer.
pub struct Reading<'a> {
    w: &'a mut Writer,
    batch: RefCell<BlobBatch>,
    encoder: Option<PageEncoder>,
    rep: &'a Reporter,
    progress: &'a mut ProgressInfo,
    /// Earlier stores whose records still wait for Blob bodies (the
    /// writer takes stores in any order, each in key order).
    earlier: Vec<StoreSink>,
    /// The largest numeric key of each store read.
    max_keys: Vec<Option<f64>>,
}

impl<'a> Reading<'a> {
    /// Reads into `w`, encoding plain values in JavaScript when `encoder`
    /// is given.
    pub fn new(
        w: &'a mut Writer,
        encoder: Option<PageEncoder>,
        rep: &'a Reporter,
        progress: &'a mut ProgressInfo,
    ) -> Self {
        Reading {
            w,
            batch: RefCell::new(BlobBatch::default()),
            encoder,
            rep,
            progress,
            earlier: Vec::new(),
            max_keys: Vec::new(),
        }
    }

    /// Waits, keeping the snapshot open with requests on `st`, until the
    /// earlier stores' bodies in flight are under the bound.
    async fn bound_earlier(&mut self, st: &IdbObjectStore) -> AppResult<()> {
        while self.earlier.iter().map(StoreSink::in_flight).sum::<u64>() >= MAX_IN_FLIGHT {
            let Some(sink) = self.earlier.first_mut() else {
                break;
            };
            sink.wait_front(self.w, st).await?;
            self.earlier.retain(|s| !s.is_empty());
        }
        Ok(())
    }

    /// Reads every record of `st` (schema `schema`) into `sink`.
    pub async fn read_store(
        &mut self,
        st: &IdbObjectStore,
        schema: &StoreSchema,
        mut sink: StoreSink,
    ) -> AppResult<()> {
        self.bound_earlier(st).await?;
        let threshold = self.w.inline_threshold();
        let batch = &self.batch;
        let mut read_blob = |b: &Blob| Ok(batch.borrow_mut().defer(b));
        let mut conv = ToValue::new(&mut read_blob);
        let encoder = self.encoder.as_ref();
        let gar = get_all_records(st, encoder);
        let mut next = Some(request_page(st, None, gar.as_ref())?);
        while let Some(request) = next.take() {
            let (ks, vs) = request
                .receive(encoder, |n, last| {
                    if n == PAGE {
                        next = Some(request_page(st, Some(last), gar.as_ref())?);
                    }
                    Ok(())
                })
                .await?;
            sink.drain_ready(self.w)?;
            for e in &mut self.earlier {
                e.drain_ready(self.w)?;
            }
            self.earlier.retain(|s| !s.is_empty());
            // Plain stores: the whole page encoded in JavaScript at once.
            let page = match (encoder, schema.encrypted) {
                (Some(enc), false) => match enc.encode(&vs, threshold)? {
                    Ok(p) => Some(p),
                    Err(EncodeFailure { index, error }) => {
                        let key = js_to_key(&ks.get(index))?;
                        return Err(sink.located(&key, error));
                    }
                },
                _ => None,
            };
            let mut hole = 0;
            for i in 0..ks.length() {
                let key: Key = js_to_key(&ks.get(i))?;
                sink.saw(&key);
                if let Some(page) = &page {
                    match encoded_record(page, i as usize, &mut hole, batch)? {
                        Ok(bytes) => sink.encoded(self.w, &batch.borrow(), key, bytes)?,
                        Err(p) => sink.pending(self.w, &batch.borrow(), key, p)?,
                    }
                } else if schema.encrypted {
                    let Some(env) = keys::sealed_bytes(&vs.get(i)) else {
                        let e = AppError::new(
                            ErrorCode::InvalidSealedRecord,
                            "the value of an encrypted store is not sealed",
                        );
                        return Err(sink.located(&key, e));
                    };
                    self.progress.done_bytes += env.len() as u64;
                    sink.sealed(self.w, key, &env)?;
                } else {
                    let v = conv
                        .convert(&vs.get(i))
                        .map_err(|e| sink.located(&key, e))?;
                    sink.pending(self.w, &batch.borrow(), key, Pending::Value(v))?;
                }
                if batch.borrow().bytes() >= BLOB_BATCH {
                    sink.flush(&mut batch.borrow_mut());
                    if sink.full() {
                        sink.wait_front(self.w, st).await?;
                    }
                }
                self.progress.done_records += 1;
            }
            sink.flush(&mut batch.borrow_mut());
            self.rep.progress(Phase::Reading, *self.progress, false);
        }
        sink.flush(&mut batch.borrow_mut());
        self.max_keys.push(sink.max_key());
        if !sink.is_empty() {
            self.earlier.push(sink);
        }
        Ok(())
    }

    /// Waits for every store's remaining bodies (keeping the snapshot open
    /// with requests on `st`, its last store) and returns the largest
    /// numeric key of each store, in reading order.
    pub async fn finish(mut self, st: Option<&IdbObjectStore>) -> AppResult<Vec<Option<f64>>> {
        if let Some(st) = st {
            for sink in &mut self.earlier {
                sink.finish(self.w, &self.batch, st).await?;
            }
        }
        Ok(self.max_keys)
    }
}

/// A page of records being read.
enum PageRequest {
    /// `getAllKeys` + `getAll`.
    Split(
        wasm_bindgen_futures::JsFuture,
        wasm_bindgen_futures::JsFuture,
    ),
    /// `getAllRecords` (one request, where the browser has it).
    Records(wasm_bindgen_futures::JsFuture),
}

impl PageRequest {
    /// The page's primary keys and values. As soon as the page's size and
    /// last primary key are known, before its values are touched (reading
    /// a value deserializes it), `then(size, last_key)` runs: requesting
    /// the next page there lets IndexedDB read it while this one is
    /// deserialized.
    async fn receive(
        self,
        encoder: Option<&PageEncoder>,
        then: impl FnOnce(u32, &JsValue) -> AppResult<()>,
    ) -> AppResult<(Array, Array)> {
        let last = |a: &Array, n: u32| {
            if n == 0 {
                JsValue::UNDEFINED
            } else {
                a.get(n - 1)
            }
        };
        match (self, encoder) {
            (PageRequest::Split(kf, vf), _) => {
                let ks = Array::from(&kf.await.map_err(|e| AppError::js("cannot read keys", e))?);
                then(ks.length(), &last(&ks, ks.length()))?;
                let vs = vf
                    .await
                    .map_err(|e| AppError::js("cannot read records", e))?;
                Ok((ks, Array::from(&vs)))
            }
            (PageRequest::Records(rf), Some(enc)) => {
                let records = Array::from(
                    &rf.await
                        .map_err(|e| AppError::js("cannot read records", e))?,
                );
                let n = records.length();
                let key = match n {
                    0 => JsValue::UNDEFINED,
                    _ => js_sys::Reflect::get(&last(&records, n), &"primaryKey".into())
                        .map_err(|e| AppError::js("cannot read records", e))?,
                };
                then(n, &key)?;
                enc.split(&records)
            }
            (PageRequest::Records(_), None) => Err(AppError::new(
                ErrorCode::BrowserError,
                "records read with getAllRecords need the page encoder",
            )),
        }
    }
}

/// `getAllRecords` of `st`, when the browser has it and `encoder` (which
/// splits its result) exists.
fn get_all_records(st: &IdbObjectStore, encoder: Option<&PageEncoder>) -> Option<js_sys::Function> {
    encoder?;
    js_sys::Reflect::get(st, &"getAllRecords".into())
        .ok()?
        .dyn_into()
        .ok()
}

/// Requests the page of records after `after` (from the start: `None`),
/// with `get_all_records` when given, else `getAllKeys` + `getAll`.
fn request_page(
    st: &IdbObjectStore,
    after: Option<&JsValue>,
    get_all_records: Option<&js_sys::Function>,
) -> AppResult<PageRequest> {
    let q: JsValue = match after {
        Some(k) => IdbKeyRange::lower_bound_with_open(k, true)
            .map_err(|e| AppError::js("cannot page records", e))?
            .into(),
        None => JsValue::UNDEFINED,
    };
    if let Some(f) = get_all_records {
        let options = Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&options, &k.into(), v);
        if !q.is_undefined() {
            let _ = set("query", &q);
        }
        let _ = set("count", &JsValue::from(PAGE));
        let r: IdbRequest = f
            .call1(st, &options)
            .map_err(|e| AppError::js("cannot read records", e))?
            .unchecked_into();
        return Ok(PageRequest::Records(idb::track(&r)));
    }
    let kr = st
        .get_all_keys_with_key_and_limit(&q, PAGE)
        .map_err(|e| AppError::js("cannot read keys", e))?;
    let vr = st
        .get_all_with_key_and_limit(&q, PAGE)
        .map_err(|e| AppError::js("cannot read records", e))?;
    Ok(PageRequest::Split(idb::track(&kr), idb::track(&vr)))
}

/// Record `i` of an encoded page: its bytes when it has no bodies, else
/// the record with its bodies (Blobs deferred to `batch`). `hole` is the
/// page's first hole not yet taken.
fn encoded_record<'p>(
    page: &'p EncodedPage,
    i: usize,
    hole: &mut usize,
    batch: &RefCell<BlobBatch>,
) -> AppResult<Result<&'p [u8], Pending>> {
    let start = if i == 0 { 0 } else { page.ends[i - 1] as usize };
    let end = page.ends[i] as usize;
    let bytes = page.bytes.get(start..end).ok_or_else(|| {
        AppError::new(
            ErrorCode::BrowserError,
            "the record encoder returned too little",
        )
    })?;
    let mut bodies = Vec::new();
    while let Some(&at) = page.holes.get(*hole) {
        let at = at as usize;
        // Every value starts with a tag, so a hole is never at a value's
        // start; one at its end is its own (its last body).
        if at > end {
            break;
        }
        if at == start {
            return Err(AppError::new(
                ErrorCode::BrowserError,
                "the record encoder misplaced a body",
            ));
        }
        let body = page.bodies.get(*hole as u32);
        let body = match body.dyn_ref::<Blob>() {
            Some(b) => Body::Deferred(batch.borrow_mut().defer_index(b)),
            None => Body::Bytes(Uint8Array::new(&body).to_vec()),
        };
        bodies.push((at - start, body));
        *hole += 1;
    }
    if bodies.is_empty() {
        return Ok(Ok(bytes));
    }
    Ok(Err(Pending::Encoded {
        bytes: bytes.to_vec(),
        bodies,
    }))
}
