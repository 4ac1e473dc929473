//! [`StoreSink`]: where one store's records go. Built once per store, it
//! knows the store's place in the writer and its name, hands records to
//! the writer in key order, and holds back those still waiting for Blob
//! bodies ([`Bodies`]) until their bodies are in. Data flows one way:
//! store reader → (page encoder) → sink → writer.

use std::cell::RefCell;

use coffer_engine::{BackupWriter, Key};
use coffer_protocol::ErrorCode;
use web_sys::IdbObjectStore;

use super::bodies::{Bodies, Body, Pending};
use crate::browser::blobio::{BlobBatch, BlobSpool};
use crate::error::{AppError, AppResult};

/// The backup's writer.
pub type Writer = BackupWriter<BlobSpool>;

/// The records of one store on their way to the writer.
pub struct StoreSink {
    to: Place,
    bodies: Bodies,
    max_key: Option<f64>,
}

/// Where a store's records go, and its name for error messages.
struct Place {
    dbi: usize,
    si: usize,
    db: String,
    store: String,
}

impl Place {
    /// `e`, naming the record it concerns.
    fn located(&self, key: &Key, e: AppError) -> AppError {
        let (db, store) = (&self.db, &self.store);
        let mut e = e.about(format!("{db}/{store}"));
        e.0.message = format!("{db}/{store}, key {key:?}: {}", e.0.message);
        e
    }

    /// Adds a record whose bodies are all in.
    fn add(&self, w: &mut Writer, key: Key, p: Pending) -> AppResult<()> {
        let r = match p {
            Pending::Value(v) => w.add_record(self.dbi, self.si, &key, v),
            Pending::Encoded { bytes, bodies } => {
                let mut parts = Vec::with_capacity(bodies.len());
                for (at, b) in &bodies {
                    match b {
                        Body::Bytes(x) => parts.push((*at, x.as_slice())),
                        Body::Deferred(_) => {
                            let e = AppError::new(ErrorCode::Io, "a Blob body was not read");
                            return Err(self.located(&key, e));
                        }
                    }
                }
                w.add_encoded_record(self.dbi, self.si, &key, &bytes, &parts)
            }
        };
        r.map_err(|e| self.located(&key, e.into()))
    }
}

impl StoreSink {
    /// The sink of store `si` (`store`) of database `dbi` (`db`).
    pub fn new(dbi: usize, si: usize, db: &str, store: &str) -> Self {
        StoreSink {
            to: Place {
                dbi,
                si,
                db: db.to_owned(),
                store: store.to_owned(),
            },
            bodies: Bodies::default(),
            max_key: None,
        }
    }

    /// `e`, naming the record of this store it concerns.
    pub fn located(&self, key: &Key, e: AppError) -> AppError {
        self.to.located(key, e)
    }

    /// The largest numeric key seen (for the key generator).
    pub fn max_key(&self) -> Option<f64> {
        self.max_key
    }

    /// Notes a record's key (the largest numeric one counts for the key
    /// generator).
    pub fn saw(&mut self, key: &Key) {
        if let Key::Number(n) = key {
            self.max_key = Some(self.max_key.map_or(*n, |m| m.max(*n)));
        }
    }

    /// A record encoded in full: to the writer at once when nothing waits
    /// before it, else behind the waiting ones.
    pub fn encoded(
        &mut self,
        w: &mut Writer,
        batch: &BlobBatch,
        key: Key,
        bytes: &[u8],
    ) -> AppResult<()> {
        if self.bodies.idle(batch) {
            let (dbi, si) = (self.to.dbi, self.to.si);
            return w
                .add_encoded_record(dbi, si, &key, bytes, &[])
                .map_err(|e| self.located(&key, e.into()));
        }
        let p = Pending::Encoded {
            bytes: bytes.to_vec(),
            bodies: Vec::new(),
        };
        self.pending(w, batch, key, p)
    }

    /// A record that may wait for Blob bodies deferred into `batch`.
    pub fn pending(
        &mut self,
        w: &mut Writer,
        batch: &BlobBatch,
        key: Key,
        p: Pending,
    ) -> AppResult<()> {
        let to = &self.to;
        self.bodies
            .push(batch, key, p, &mut |k, p| to.add(&mut *w, k, p))
    }

    /// A sealed record of an encrypted store (copied as it is).
    pub fn sealed(&mut self, w: &mut Writer, key: Key, envelope: &[u8]) -> AppResult<()> {
        w.add_sealed_record(self.to.dbi, self.to.si, &key, envelope)
            .map_err(|e| self.located(&key, e.into()))
    }

    /// Starts reading the bodies deferred since the last flush.
    pub fn flush(&mut self, batch: &mut BlobBatch) {
        self.bodies.flush(batch);
    }

    /// Hands the records whose bodies are in to the writer, without
    /// waiting.
    pub fn drain_ready(&mut self, w: &mut Writer) -> AppResult<()> {
        let to = &self.to;
        self.bodies.drain_ready(&mut |k, p| to.add(&mut *w, k, p))
    }

    /// Waits for the oldest waiting bodies, keeping the snapshot open with
    /// requests on `st` (see [`Bodies::wait_front`]).
    pub async fn wait_front(&mut self, w: &mut Writer, st: &IdbObjectStore) -> AppResult<()> {
        let to = &self.to;
        self.bodies
            .wait_front(st, &mut |k, p| to.add(&mut *w, k, p))
            .await
    }

    /// Flushes `batch` and waits for every waiting record.
    pub async fn finish(
        &mut self,
        w: &mut Writer,
        batch: &RefCell<BlobBatch>,
        st: &IdbObjectStore,
    ) -> AppResult<()> {
        let to = &self.to;
        self.bodies
            .finish(batch, st, &mut |k, p| to.add(&mut *w, k, p))
            .await
    }

    /// Whether so many bytes are being read that the reader should wait.
    pub fn full(&self) -> bool {
        self.bodies.full()
    }

    /// Blob bytes being read.
    pub fn in_flight(&self) -> u64 {
        self.bodies.in_flight()
    }

    /// Whether no record waits.
    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }
}
