//! Blob bodies of a backup, read while its snapshot stays open.
//!
//! Converting a page defers every Blob into a [`BlobBatch`]. The records
//! converted since the last flush wait in a [`Group`] with that batch's
//! read ([`BodyRead`], all reads in flight at once) and go to the writer in
//! key order once their bodies are in. The browser reads Blob data on its
//! own threads while the worker converts the next records.
//!
//! Waiting for a read is the one `await` of a backup that is not an
//! IndexedDB request of its snapshot, and a transaction commits as soon as
//! none of its requests is in flight; it also accepts new requests only
//! while one of its events is being dispatched. So while waiting,
//! [`Bodies::wait_front`] keeps one cheap request on the snapshot in flight
//! (a `count` over a single key) and returns from that request's event,
//! where the caller can go on issuing requests.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use coffer_engine::model::{Binary, Value};
use coffer_engine::Key;
use wasm_bindgen::JsValue;
use web_sys::IdbObjectStore;

use crate::browser::alive::resume_in;
use crate::browser::blobio::{BlobBatch, BodyRead};
use crate::error::{AppError, AppResult};
use coffer_protocol::ErrorCode;

/// Blob bytes in flight before the backup waits for the oldest read.
pub const MAX_IN_FLIGHT: u64 = 16 << 20;

/// A record on its way to the writer.
pub enum Pending {
    /// Converted by [`crate::browser::convert::ToValue`]; bodies in the batch are
    /// placeholders ([`crate::browser::blobio::BlobBatch::defer`]).
    Value(Value),
    /// Encoded in JavaScript ([`crate::encoder`]), each body with the
    /// offset where it belongs.
    Encoded {
        /// The encoding, bodies left out.
        bytes: Vec<u8>,
        /// The bodies, by offset.
        bodies: Vec<(usize, Body)>,
    },
}

/// A body of a [`Pending::Encoded`] record.
pub enum Body {
    /// The bytes.
    Bytes(Vec<u8>),
    /// Index of the body in the batch it was deferred to.
    Deferred(u32),
}

impl Pending {
    /// Puts the bodies read for its batch in place.
    fn fill(&mut self, read: &mut [Option<Vec<u8>>]) -> AppResult<()> {
        match self {
            Pending::Value(v) => {
                // Placeholders are `Binary::External`, numbered in deferral
                // order (`BlobBatch::defer`).
                let mut missing = false;
                v.for_each_binary_mut(&mut |b| {
                    if let Binary::External(r) = b {
                        match read.get_mut(r.index as usize).and_then(Option::take) {
                            Some(body) => *b = Binary::Inline(body),
                            None => missing = true,
                        }
                    }
                });
                if missing {
                    return Err(AppError::new(
                        ErrorCode::Io,
                        "a Blob body went missing while reading",
                    ));
                }
                Ok(())
            }
            Pending::Encoded { bodies, .. } => {
                for (_, b) in bodies {
                    if let Body::Deferred(i) = b {
                        let bytes = read
                            .get_mut(*i as usize)
                            .and_then(Option::take)
                            .ok_or_else(|| {
                                AppError::new(
                                    ErrorCode::Io,
                                    "a Blob body went missing while reading",
                                )
                            })?;
                        *b = Body::Bytes(bytes);
                    }
                }
                Ok(())
            }
        }
    }
}

/// Records waiting for the bodies of one batch (`read` is `None` when they
/// have none but follow records that do).
struct Group {
    read: Option<BodyRead>,
    records: Vec<(Key, Pending)>,
}

/// Hands a finished record to the writer.
pub type AddRecord<'a> = dyn FnMut(Key, Pending) -> AppResult<()> + 'a;

/// The records of one store waiting for their Blob bodies, in key order.
#[derive(Default)]
pub struct Bodies {
    groups: VecDeque<Group>,
    open: Vec<(Key, Pending)>,
    in_flight: u64,
}

impl Bodies {
    /// Whether nothing waits, so a record without deferred bodies can go
    /// to the writer right away.
    pub fn idle(&self, batch: &BlobBatch) -> bool {
        self.groups.is_empty() && self.open.is_empty() && batch.is_empty()
    }

    /// Takes a converted record: straight to `add` when nothing waits
    /// before it, else behind the waiting ones.
    pub fn push(
        &mut self,
        batch: &BlobBatch,
        key: Key,
        value: Pending,
        add: &mut AddRecord<'_>,
    ) -> AppResult<()> {
        if self.idle(batch) {
            add(key, value)
        } else {
            self.open.push((key, value));
            Ok(())
        }
    }

    /// Starts reading the bodies deferred into `batch` since the last
    /// flush; the records taken since then wait for them.
    pub fn flush(&mut self, batch: &mut BlobBatch) {
        if self.open.is_empty() && batch.is_empty() {
            return;
        }
        let read = (!batch.is_empty()).then(|| batch.start_read());
        self.in_flight += read.as_ref().map_or(0, BodyRead::bytes);
        self.groups.push_back(Group {
            read,
            records: std::mem::take(&mut self.open),
        });
    }

    /// Whether no record waits.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.open.is_empty()
    }

    /// Blob bytes being read.
    pub fn in_flight(&self) -> u64 {
        self.in_flight
    }

    /// Whether so many bytes are being read that the caller should
    /// [`Bodies::wait_front`] before converting more.
    pub fn full(&self) -> bool {
        self.in_flight >= MAX_IN_FLIGHT
    }

    /// Hands the groups whose bodies are in to `add`, without waiting.
    pub fn drain_ready(&mut self, add: &mut AddRecord<'_>) -> AppResult<()> {
        while let Some(front) = self.groups.front_mut() {
            let done = match &mut front.read {
                None => Ok(JsValue::UNDEFINED),
                Some(r) => {
                    let mut cx = Context::from_waker(Waker::noop());
                    match Pin::new(&mut r.future).poll(&mut cx) {
                        Poll::Ready(x) => x,
                        Poll::Pending => return Ok(()),
                    }
                }
            };
            self.complete_front(done, add)?;
        }
        Ok(())
    }

    /// Waits for the oldest group's bodies (keeping the snapshot open with
    /// requests on `st`) and hands its records to `add`. Returns from an
    /// event of the snapshot, so the caller may issue requests right away.
    pub async fn wait_front(
        &mut self,
        st: &IdbObjectStore,
        add: &mut AddRecord<'_>,
    ) -> AppResult<()> {
        let Some(front) = self.groups.front_mut() else {
            return Ok(());
        };
        let Some(read) = &mut front.read else {
            let done = Ok(JsValue::UNDEFINED);
            return self.complete_front(done, add);
        };
        let done = resume_in(st, &mut read.future).await?;
        self.complete_front(done, add)
    }

    /// Flushes `batch`, then waits for every group (see
    /// [`Bodies::wait_front`]).
    pub async fn finish(
        &mut self,
        batch: &RefCell<BlobBatch>,
        st: &IdbObjectStore,
        add: &mut AddRecord<'_>,
    ) -> AppResult<()> {
        self.flush(&mut batch.borrow_mut());
        while !self.groups.is_empty() {
            self.wait_front(st, add).await?;
        }
        Ok(())
    }

    fn complete_front(
        &mut self,
        done: Result<JsValue, JsValue>,
        add: &mut AddRecord<'_>,
    ) -> AppResult<()> {
        let Some(group) = self.groups.pop_front() else {
            return Ok(());
        };
        let mut bodies = match &group.read {
            Some(r) => {
                self.in_flight -= r.bytes();
                r.bodies(done)?
            }
            None => Vec::new(),
        };
        for (key, mut value) in group.records {
            value.fill(&mut bodies)?;
            add(key, value)?;
        }
        Ok(())
    }
}
