//! The history (audit log) in Coffer's own database ([`crate::meta`],
//! store `history`): one JSON text per [`HistoryEntry`] under an
//! auto-increment key. Bounded to [`HISTORY_LIMIT`] entries (the oldest go
//! first), never part of a backup (Coffer's database never is), never
//! holding key material: entries carry key ids, counts and names only.
//!
//! Operations that hold the Web Lock write a `running` entry first and
//! finish it; a worker stopped meanwhile (Cancel restarts it) leaves it
//! `running`, and the next start, holding the lock, settles it as
//! `cancelled` ([`settle`]). Writing the history never fails an operation.

use coffer_protocol::history::{HistoryEntry, HistoryKind, HistoryOutcome, HISTORY_LIMIT};
use coffer_protocol::{encode, ErrorCode, Selection};
use js_sys::Array;
use wasm_bindgen::JsValue;
use web_sys::IdbTransactionMode;

use crate::browser::idb;
use crate::error::{AppError, AppResult};
use crate::meta::{self, HISTORY};
use crate::timing::date_now;

fn parse(key: &JsValue, text: &JsValue) -> Option<HistoryEntry> {
    let mut e: HistoryEntry = serde_json::from_str(&text.as_string()?).ok()?;
    e.id = key.as_f64()? as u64;
    Some(e)
}

/// Adds `entry`, dropping the oldest entries past the limit; its id.
pub async fn add(entry: &HistoryEntry) -> AppResult<u64> {
    let db = meta::open().await?;
    let r = async {
        let tx = idb::transaction(&db, &[HISTORY.into()], IdbTransactionMode::Readwrite)?;
        let s = tx
            .object_store(HISTORY)
            .map_err(|e| AppError::js("cannot write the history", e))?;
        let key = idb::req(
            "cannot write the history",
            s.add(&JsValue::from_str(&encode(entry))),
        )
        .await?;
        let count = idb::req("cannot read the history", s.count())
            .await?
            .as_f64()
            .unwrap_or(0.0) as u32;
        if count > HISTORY_LIMIT {
            let old = idb::req(
                "cannot read the history",
                s.get_all_keys_with_key_and_limit(&JsValue::UNDEFINED, count - HISTORY_LIMIT),
            )
            .await?;
            for k in Array::from(&old).iter() {
                s.delete(&k)
                    .map_err(|e| AppError::js("cannot trim the history", e))?;
            }
        }
        idb::done(&tx).await?;
        Ok(key.as_f64().unwrap_or(0.0) as u64)
    }
    .await;
    db.close();
    r
}

/// Replaces entry `id` with `entry`.
pub async fn update(id: u64, entry: &HistoryEntry) -> AppResult<()> {
    let db = meta::open().await?;
    let r = async {
        let tx = idb::transaction(&db, &[HISTORY.into()], IdbTransactionMode::Readwrite)?;
        let s = tx
            .object_store(HISTORY)
            .map_err(|e| AppError::js("cannot write the history", e))?;
        idb::req(
            "cannot write the history",
            s.put_with_key(
                &JsValue::from_str(&encode(entry)),
                &JsValue::from_f64(id as f64),
            ),
        )
        .await?;
        idb::done(&tx).await
    }
    .await;
    db.close();
    r
}

/// Every entry (of `kind`), newest first.
pub async fn list(kind: Option<HistoryKind>) -> AppResult<Vec<HistoryEntry>> {
    let db = meta::open().await?;
    let r = async {
        let tx = idb::transaction(&db, &[HISTORY.into()], IdbTransactionMode::Readonly)?;
        let s = tx
            .object_store(HISTORY)
            .map_err(|e| AppError::js("cannot read the history", e))?;
        let keys = idb::req("cannot read the history", s.get_all_keys()).await?;
        let values = idb::req("cannot read the history", s.get_all()).await?;
        let entries: Vec<HistoryEntry> = Array::from(&keys)
            .iter()
            .zip(Array::from(&values).iter())
            .filter_map(|(k, v)| parse(&k, &v))
            .collect();
        Ok(coffer_protocol::history::filter(&entries, kind))
    }
    .await;
    db.close();
    r
}

/// Marks every `running` entry `cancelled`: their workers are gone. Call
/// it holding the Web Lock (no operation that writes entries runs then).
pub async fn settle() -> AppResult<()> {
    for mut e in list(None).await? {
        if e.outcome == HistoryOutcome::Running {
            e.outcome = HistoryOutcome::Cancelled;
            update(e.id, &e).await?;
        }
    }
    Ok(())
}

/// The database names and number of stores of `selection` that `allows`.
pub fn describe(selection: &Selection, allows: impl Fn(&str) -> bool) -> (Vec<String>, u64) {
    let dbs: Vec<_> = selection
        .databases
        .iter()
        .filter(|d| !d.stores.is_empty() && allows(&d.name))
        .collect();
    (
        dbs.iter().map(|d| d.name.clone()).collect(),
        dbs.iter().map(|d| d.stores.len() as u64).sum(),
    )
}

/// An entry being written: started (`running`) now, finished when the
/// operation ends.
pub struct Pending {
    entry: HistoryEntry,
    id: Option<u64>,
}

impl Pending {
    /// An entry of `kind` that is recorded only when it ends ([`finish`](Self::finish)).
    pub fn new(kind: HistoryKind) -> Self {
        Pending {
            entry: HistoryEntry::start(kind, date_now()),
            id: None,
        }
    }

    /// Fills in what is known at the start.
    pub fn with(mut self, f: impl FnOnce(&mut HistoryEntry)) -> Self {
        f(&mut self.entry);
        self
    }

    /// Records it as `running` now, so that a stopped worker leaves a
    /// trace (settled as `cancelled`).
    pub async fn started(mut self) -> Self {
        self.id = add(&self.entry).await.ok();
        self
    }

    /// Records how `r` ended; `fill` adds what the outcome tells.
    pub async fn finish<T>(mut self, r: &AppResult<T>, fill: impl FnOnce(&mut HistoryEntry, &T)) {
        let e = &mut self.entry;
        e.ended_ms = Some(date_now());
        match r {
            Ok(v) => {
                e.outcome = HistoryOutcome::Done;
                fill(e, v);
            }
            Err(err) => {
                e.outcome = match err.0.code {
                    ErrorCode::Cancelled => HistoryOutcome::Cancelled,
                    code => HistoryOutcome::Failed { code },
                };
            }
        }
        let _ = match self.id {
            Some(id) => update(id, &self.entry).await,
            None => add(&self.entry).await.map(|_| ()),
        };
    }
}
