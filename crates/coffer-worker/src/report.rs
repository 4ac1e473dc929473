//! Talking to the page: posting events (with a file, an object URL, a
//! structured-clone value and transferred buffers) and throttled progress.

use std::cell::Cell;

use coffer_protocol::{
    encode, ErrorCode, Event, Failure, FromWorker, Phase, ProgressInfo, WaitReason,
};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, DedicatedWorkerGlobalScope};

/// What a handler hands back besides its outcome.
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

/// The worker global scope (`None` outside a dedicated worker).
pub fn scope() -> Option<DedicatedWorkerGlobalScope> {
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
            if let Ok(url) = crate::browser::blobio::download_url(&f) {
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
            let fail = Event::Failed(Failure::new(
                ErrorCode::BrowserData,
                format!("cannot send the result: {name}: {m}"),
            ));
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
        let t = crate::timing::now();
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
    pub fn waiting(&self, reason: WaitReason) {
        if self.silent {
            return;
        }
        post(self.id, Event::Waiting(reason), Attach::default());
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
