//! The engine worker: everything heavy runs here, off the UI thread.
//!
//! [`run`] installs the message handler and posts [`Event::Ready`]. Each
//! request runs as its own task; long ones hold the origin-wide Web Lock
//! ([`LOCK_NAME`]) so backups, restores and key replacements of different
//! tabs never overlap. Cancelling is done by the client terminating the
//! worker: every write happens in a transaction that then aborts, and the
//! lock is released with the worker.

pub mod backup;
mod bodies;
pub mod encoder;
mod generators;
pub mod keys;
pub mod lock;
pub mod measure;
pub mod restore;
pub mod sample;
pub mod stores;

use std::cell::Cell;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent};

use crate::error::{AppError, AppResult};
use crate::protocol::{
    decode_request, encode, Event, FromWorker, Outcome, Phase, ProgressInfo, Request, ToWorker,
    LOCK_NAME,
};

/// What a handler hands back besides its [`Outcome`].
#[derive(Default)]
pub struct Attach {
    /// A file for the UI (backup, key file).
    pub file: Option<Blob>,
    /// Whether the UI will download `file` (it then gets an object URL).
    pub download: bool,
    /// A structured-clone value (store API).
    pub value: Option<JsValue>,
    /// Buffers in `value` that nothing else holds: transferred, not copied.
    pub transfer: Vec<js_sys::ArrayBuffer>,
}

fn scope() -> Option<DedicatedWorkerGlobalScope> {
    js_sys::global()
        .dyn_into::<DedicatedWorkerGlobalScope>()
        .ok()
}

/// Posts an event to the UI.
pub fn post(id: u32, ev: Event, attach: Attach) {
    let msg = Object::new();
    let _ = Reflect::set(
        &msg,
        &"msg".into(),
        &JsValue::from_str(&encode(&FromWorker::new(id, ev))),
    );
    if let Some(f) = attach.file {
        // Made here when the UI will download it: registering the URL of
        // a Blob of many parts (a large backup) takes tens of milliseconds.
        if attach.download {
            if let Ok(url) = crate::blobio::download_url(&f) {
                let _ = Reflect::set(&msg, &"url".into(), &JsValue::from_str(&url));
            }
        }
        let _ = Reflect::set(&msg, &"file".into(), &f);
    }
    if let Some(v) = attach.value {
        let _ = Reflect::set(&msg, &"value".into(), &v);
    }
    let transfer: Array = attach.transfer.iter().collect();
    if let Some(s) = scope() {
        if let Err(e) = s.post_message_with_transfer(&msg, &transfer) {
            // A value the structured clone cannot copy: report it instead.
            let (name, m) = crate::error::describe_js_error(&e);
            let fail = Event::Failed {
                code: "browser-data".into(),
                message: format!("cannot send the result: {name}: {m}"),
            };
            let msg = Object::new();
            let _ = Reflect::set(
                &msg,
                &"msg".into(),
                &JsValue::from_str(&encode(&FromWorker::new(id, fail))),
            );
            let _ = s.post_message(&msg);
        }
    }
}

/// The worker's `performance` object.
fn performance() -> Option<web_sys::Performance> {
    Reflect::get(&js_sys::global(), &"performance".into())
        .ok()?
        .dyn_into()
        .ok()
}

/// Milliseconds from `performance.now()` (or 0).
pub fn now() -> f64 {
    performance().map(|p| p.now()).unwrap_or(0.0)
}

/// Records a User Timing measure `name` from `start` to `end` (ms of
/// `performance.now()`), replacing an earlier one of that name: it shows in
/// the browser's performance tools, and the benchmark reads it. Failures
/// are ignored (timing is informational).
pub fn measure(name: &str, start: f64, end: f64) {
    let Some(perf) = performance() else {
        return;
    };
    perf.clear_measures_with_measure_name(name);
    // `measure(name, {start, end})`: web-sys has this form only behind
    // `web_sys_unstable_apis`, so it is called by name.
    let options = js_sys::Object::new();
    let _ = Reflect::set(&options, &"start".into(), &start.into());
    let _ = Reflect::set(&options, &"end".into(), &end.into());
    let f = Reflect::get(&perf, &"measure".into()).map(JsCast::unchecked_into::<js_sys::Function>);
    if let Ok(f) = f {
        let _ = f.call2(&perf, &name.into(), &options);
    }
}

/// A hook that hears every progress report.
type Observer = dyn Fn(Phase, &ProgressInfo);

/// Sends throttled progress for one request.
pub struct Reporter {
    id: u32,
    last: Cell<f64>,
    silent: bool,
    observer: Option<Box<Observer>>,
}

impl Reporter {
    /// A reporter for request `id`.
    pub fn new(id: u32) -> Self {
        Reporter {
            id,
            last: Cell::new(f64::NEG_INFINITY),
            silent: false,
            observer: None,
        }
    }

    /// A silent reporter that hands every (unthrottled) progress report to
    /// `f`, in the worker task, at the moment it is made (tests use it to
    /// act at a precise point of an operation).
    pub fn observed(f: impl Fn(Phase, &ProgressInfo) + 'static) -> Self {
        Reporter {
            observer: Some(Box::new(f)),
            ..Reporter::silent()
        }
    }

    /// A reporter that posts nothing (tests, background work).
    pub fn silent() -> Self {
        Reporter {
            silent: true,
            ..Reporter::new(0)
        }
    }

    /// Reports progress, at most every 100 ms unless `force`.
    pub fn progress(&self, phase: Phase, p: ProgressInfo, force: bool) {
        if let Some(f) = &self.observer {
            f(phase, &p);
        }
        if self.silent {
            return;
        }
        let t = now();
        if force || t - self.last.get() >= 100.0 {
            self.last.set(t);
            post(
                self.id,
                Event::Progress { phase, progress: p },
                Attach::default(),
            );
        }
    }

    /// Says what the request is waiting for.
    pub fn waiting(&self, message: &str) {
        if self.silent {
            return;
        }
        post(
            self.id,
            Event::Waiting {
                message: message.to_owned(),
            },
            Attach::default(),
        );
    }

    /// The request id.
    pub fn id(&self) -> u32 {
        self.id
    }
}

/// Converts engine progress to protocol progress.
pub fn progress_info(p: coffer_engine::Progress) -> ProgressInfo {
    ProgressInfo {
        done_bytes: p.done_bytes,
        total_bytes: p.total_bytes,
        done_records: p.done_records,
        total_records: p.total_records,
    }
}

/// A `time::OffsetDateTime` from JS milliseconds (`now_utc` panics on wasm).
pub fn time_from_ms(ms: f64) -> time::OffsetDateTime {
    let nanos = (ms.max(0.0) as i128) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

thread_local! {
    static INSTANCE: u32 = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
}

/// This worker's random instance id.
pub fn instance() -> u32 {
    INSTANCE.with(|i| *i)
}

/// Tells the other tabs that something changed (`kind`: `key-changed`,
/// `restored`).
pub fn broadcast(kind: &str) {
    if let Ok(ch) = web_sys::BroadcastChannel::new(crate::protocol::CHANNEL_NAME) {
        let o = Object::new();
        let _ = Reflect::set(&o, &"type".into(), &JsValue::from_str(kind));
        let _ = Reflect::set(
            &o,
            &"instance".into(),
            &JsValue::from_f64(f64::from(instance())),
        );
        let _ = ch.post_message(&o);
        ch.close();
    }
}

/// `Date.now()`.
pub fn date_now() -> f64 {
    js_sys::Date::now()
}

async fn handle(
    id: u32,
    req: Request,
    file: Option<Blob>,
    key: JsValue,
    value: JsValue,
) -> AppResult<(Outcome, Attach)> {
    let rep = Reporter::new(id);
    match req {
        Request::Overview => Ok((backup::overview().await?, Attach::default())),
        Request::Backup {
            selection,
            passphrase,
            now_ms,
            download,
        } => {
            let _guard = lock::acquire(LOCK_NAME, &rep).await?;
            let (outcome, blob) =
                backup::backup(&selection, passphrase.as_deref(), now_ms, &rep).await?;
            Ok((
                outcome,
                Attach {
                    file: Some(blob),
                    download,
                    ..Attach::default()
                },
            ))
        }
        Request::Inspect {
            passphrase,
            key_file,
        } => {
            let file = file.ok_or_else(|| AppError::new("misuse", "no file was given"))?;
            let preview =
                restore::inspect(file, passphrase.as_deref(), key_file.as_ref(), &rep).await?;
            Ok((Outcome::Preview(preview), Attach::default()))
        }
        Request::Restore {
            selection,
            passphrase,
            key_file,
        } => {
            let file = file.ok_or_else(|| AppError::new("misuse", "no file was given"))?;
            let _guard = lock::acquire(LOCK_NAME, &rep).await?;
            let o = restore::restore(
                file,
                &selection,
                passphrase.as_deref(),
                key_file.as_ref(),
                &rep,
            )
            .await?;
            Ok((o, Attach::default()))
        }
        Request::ExportKey {
            passphrase,
            download,
        } => {
            let (o, blob) = keys::export_key(passphrase.as_deref()).await?;
            Ok((
                o,
                Attach {
                    file: Some(blob),
                    download,
                    ..Attach::default()
                },
            ))
        }
        Request::ReplaceKey { source, now_ms } => {
            let _guard = lock::acquire(LOCK_NAME, &rep).await?;
            Ok((
                keys::replace_key(&source, now_ms, &rep).await?,
                Attach::default(),
            ))
        }
        Request::LoadSample { now_ms } => {
            Ok((sample::load_sample(now_ms).await?, Attach::default()))
        }
        Request::Measure { mib } => Ok((
            Outcome::Measured {
                timings: measure::measure(mib.clamp(1, 256))?,
            },
            Attach::default(),
        )),
        Request::DeleteDatabases { names } => {
            for n in names {
                if n == crate::protocol::META_DB {
                    return Err(AppError::new(
                        "misuse",
                        "Coffer's own key storage cannot be deleted here",
                    ));
                }
                crate::idb::delete_database(&n).await?;
            }
            Ok((Outcome::Ok, Attach::default()))
        }
        Request::StoreCreate { db, store } => {
            stores::create_encrypted_store(&db, &store).await?;
            Ok((Outcome::Ok, Attach::default()))
        }
        Request::StorePut { db, store } => {
            stores::put(&db, &store, &key, &value).await?;
            Ok((Outcome::Ok, Attach::default()))
        }
        Request::StoreGet { db, store } => {
            let v = stores::get(&db, &store, &key).await?;
            let found = v.is_some();
            let (value, transfer) = v.map_or((None, Vec::new()), |o| (Some(o.value), o.buffers));
            Ok((
                Outcome::Value { found },
                Attach {
                    value,
                    transfer,
                    ..Attach::default()
                },
            ))
        }
        Request::StoreDelete { db, store } => {
            stores::delete(&db, &store, &key).await?;
            Ok((Outcome::Ok, Attach::default()))
        }
        Request::StoreList { db, store } => {
            let keys = stores::list(&db, &store).await?;
            Ok((
                Outcome::Keys {
                    count: keys.length() as u64,
                },
                Attach {
                    value: Some(keys.into()),
                    ..Attach::default()
                },
            ))
        }
    }
}

fn on_message(e: MessageEvent) {
    let data = e.data();
    let get = |k: &str| Reflect::get(&data, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let text = get("msg").as_string().unwrap_or_default();
    let m: ToWorker = match decode_request(&text) {
        Ok(m) => m,
        Err(err) => {
            post(
                0,
                Event::Failed {
                    code: "protocol".into(),
                    message: err.to_string(),
                },
                Attach::default(),
            );
            return;
        }
    };
    let file = get("file").dyn_into::<Blob>().ok();
    let key = get("key");
    let value = get("value");
    wasm_bindgen_futures::spawn_local(async move {
        let id = m.id;
        match handle(id, m.req, file, key, value).await {
            Ok((o, attach)) => post(id, Event::Done(o), attach),
            Err(err) => post(
                id,
                Event::Failed {
                    code: err.code,
                    message: err.message,
                },
                Attach::default(),
            ),
        }
    });
}

/// The worker's entry point: installs the handler and posts `Ready`.
pub fn run() {
    console_error_panic_hook::set_once();
    let Some(s) = scope() else {
        return;
    };
    let f = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
    s.set_onmessage(Some(f.as_ref().unchecked_ref()));
    f.forget();
    // Finish a key replacement a previous session was interrupted in.
    wasm_bindgen_futures::spawn_local(async {
        let rep = Reporter::silent();
        if let Ok(_g) = lock::acquire(LOCK_NAME, &rep).await {
            let _ = keys::resume_pending().await;
        }
    });
    post(
        0,
        Event::Ready {
            instance: instance(),
        },
        Attach::default(),
    );
}
