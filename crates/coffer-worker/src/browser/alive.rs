//! Waiting for something else while an IndexedDB transaction stays open.
//!
//! A transaction commits as soon as a task ends with none of its requests
//! in flight, and it takes new requests only while one of its events is
//! being dispatched. [`resume_in`] waits for any future (a Blob read, a
//! request of another database) while one cheap request on the
//! transaction (a `count` over a single key) is always in flight, and
//! returns from that request's event, so the caller may issue requests on
//! the transaction right away.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbKeyRange, IdbObjectStore};

use super::idb;
use crate::error::{AppError, AppResult};

/// A request that keeps the transaction of `st` open: counts the records
/// with one key (cheap), and its result does not matter.
fn keep_alive(st: &IdbObjectStore) -> AppResult<JsFuture> {
    let only = IdbKeyRange::only(&JsValue::from_f64(f64::NEG_INFINITY))
        .map_err(|e| AppError::js("cannot keep a transaction open", e))?;
    let r = st
        .count_with_key(&only)
        .map_err(|e| AppError::js("cannot keep a transaction open", e))?;
    Ok(idb::track(&r))
}

/// Awaits `fut` while keeping the transaction of `st` open, and returns
/// from one of that transaction's events.
pub async fn resume_in<F: Future>(st: &IdbObjectStore, fut: F) -> AppResult<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut ping = keep_alive(st)?;
    let out = poll_fn(|cx| {
        // The request first: when its event is being dispatched (the only
        // time this sees it done), the next one goes out in it.
        if let Poll::Ready(r) = Pin::new(&mut ping).poll(cx) {
            r.map_err(|e| AppError::js("cannot keep a transaction open", e))?;
            ping = keep_alive(st)?;
            let _ = Pin::new(&mut ping).poll(cx);
        }
        match fut.as_mut().poll(cx) {
            Poll::Ready(x) => Poll::Ready(Ok::<_, AppError>(x)),
            Poll::Pending => Poll::Pending,
        }
    })
    .await?;
    // Resume from the transaction's own event.
    ping.await
        .map_err(|e| AppError::js("cannot keep a transaction open", e))?;
    Ok(out)
}
