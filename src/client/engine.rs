//! [`EngineClient`]: the `Worker`, its request queue, event routing,
//! cancellation and the one typed [`EngineClient::call`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use coffer_protocol::{
    decode_event, encode, Call, ErrorCode, Event, Failure, Outcome, Phase, ProgressInfo, ToWorker,
    WaitReason,
};
use js_sys::{Object, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, MessageEvent, Worker};

use super::api::{BackupFile, ExportedKey};
use coffer_protocol::{KeyReplaced, OverviewData, Restored};

/// The URL of the worker loader Trunk generates next to the page.
pub const WORKER_URL: &str = "./worker_loader.js";

/// Hears about every operation of one engine: progress, wait reasons and
/// results, whoever started them (a card or a script). The embeddable
/// element turns these into `coffer-*` DOM events. Every method does
/// nothing by default.
pub trait Observer {
    /// Progress of a running operation.
    fn progress(&self, _phase: Phase, _progress: &ProgressInfo) {}
    /// An operation waits for another tab or connection.
    fn waiting(&self, _reason: &WaitReason) {}
    /// An overview arrived.
    fn overview(&self, _overview: &OverviewData) {}
    /// A backup was made.
    fn backup_done(&self, _backup: &BackupFile) {}
    /// A restore finished.
    fn restored(&self, _report: &Restored) {}
    /// The key was exported.
    fn key_exported(&self, _key: &ExportedKey) {}
    /// The key was replaced.
    fn key_replaced(&self, _key: &KeyReplaced) {}
    /// An operation failed (also cancellations).
    fn failed(&self, _failure: &Failure) {}
}

/// Which operation a host app's hook is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookOp {
    /// A backup.
    Backup,
    /// A restore.
    Restore,
}

/// Lets the host app prepare its data around a backup or restore (the
/// element's `beforeBackup`/`afterBackup`/`beforeRestore`/`afterRestore`):
/// an app that holds OPFS files open (SQLite's sahpool VFS) releases them
/// before, and takes them back after. A returned promise is awaited; a
/// `before` hook that rejects fails the operation (`hook-failed`) before
/// anything is read or written.
pub trait Hooks {
    /// Before the operation; `detail` is `{operation, parts, databases}`.
    fn before(&self, _op: HookOp, _detail: &JsValue) -> Option<js_sys::Promise> {
        None
    }
    /// After it, whether it succeeded or not (`detail.ok` says).
    fn after(&self, _op: HookOp, _detail: &JsValue) -> Option<js_sys::Promise> {
        None
    }
}

/// What came with an outcome besides its JSON.
#[derive(Clone, Default)]
pub struct Attached {
    /// A file (backup, key file).
    pub file: Option<Blob>,
    /// An object URL of `file`, made by the worker when the request said
    /// the page will download it (registering the URL of a Blob of many
    /// parts takes tens of milliseconds, which the page's thread is
    /// spared). It is revoked a minute after it was made.
    pub url: Option<String>,
    /// A structured-clone value (store API).
    pub value: JsValue,
}

/// The attachments of a request.
#[derive(Default)]
pub struct Attachments {
    /// A `File`/`Blob`.
    pub file: Option<Blob>,
    /// A structured-clone key (store API).
    pub key: Option<JsValue>,
    /// A structured-clone value (store API).
    pub value: Option<JsValue>,
}

impl Attachments {
    /// Just a `File`/`Blob` (a backup to inspect or restore).
    pub fn file(blob: impl Into<Blob>) -> Self {
        Attachments {
            file: Some(blob.into()),
            ..Attachments::default()
        }
    }
}

/// The raw end or step of a request, as the worker sent it.
enum Step {
    Progress(Phase, ProgressInfo),
    Waiting(WaitReason),
    Done(Outcome, Attached),
    Failed(Failure),
}

type Handler = Box<dyn FnMut(Step)>;

struct Inner {
    url: String,
    worker: Option<Worker>,
    ready: bool,
    queue: Vec<Object>,
    next_id: u32,
    pending: HashMap<u32, Handler>,
    instances: Vec<u32>,
    observer: Option<Rc<dyn Observer>>,
    hooks: Option<Rc<dyn Hooks>>,
    closed: bool,
    _onmessage: Option<Closure<dyn FnMut(MessageEvent)>>,
    _onerror: Option<Closure<dyn FnMut(web_sys::Event)>>,
}

/// A handle to one engine worker. Cheap to clone.
#[derive(Clone)]
pub struct EngineClient {
    inner: Rc<RefCell<Inner>>,
}

impl EngineClient {
    /// Starts a worker from `url` (usually [`WORKER_URL`]; an embedding
    /// points it at its own folder).
    pub fn new(url: &str) -> Self {
        let c = EngineClient {
            inner: Rc::new(RefCell::new(Inner {
                url: url.to_owned(),
                worker: None,
                ready: false,
                queue: Vec::new(),
                next_id: 1,
                pending: HashMap::new(),
                instances: Vec::new(),
                observer: None,
                hooks: None,
                closed: false,
                _onmessage: None,
                _onerror: None,
            })),
        };
        c.start();
        c
    }

    fn start(&self) {
        if self.inner.borrow().closed {
            return;
        }
        let opts = web_sys::WorkerOptions::new();
        let url = self.inner.borrow().url.clone();
        let worker = match Worker::new_with_options(&url, &opts) {
            Ok(w) => w,
            Err(e) => {
                web_sys::console::error_2(&"cannot start the Coffer worker".into(), &e);
                return;
            }
        };
        let weak = Rc::downgrade(&self.inner);
        let on = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(inner) = weak.upgrade() {
                EngineClient { inner }.on_message(e);
            }
        });
        worker.set_onmessage(Some(on.as_ref().unchecked_ref()));
        // An uncaught error (a panic traps the wasm) ends every request:
        // report it and start a fresh worker.
        let weak = Rc::downgrade(&self.inner);
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            e.prevent_default();
            if let Some(inner) = weak.upgrade() {
                EngineClient { inner }.restart(Failure::new(
                    ErrorCode::InternalError,
                    "the engine worker failed unexpectedly; nothing was written (details are in the console)",
                ));
            }
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let mut i = self.inner.borrow_mut();
        i.worker = Some(worker);
        i.ready = false;
        i._onmessage = Some(on);
        i._onerror = Some(on_error);
    }

    fn on_message(&self, e: MessageEvent) {
        let data = e.data();
        let get = |k: &str| Reflect::get(&data, &k.into()).unwrap_or(JsValue::UNDEFINED);
        let Ok(m) = decode_event(&get("msg").as_string().unwrap_or_default()) else {
            return;
        };
        let step = match m.ev {
            Event::Ready { instance } => {
                let (worker, queue) = {
                    let mut i = self.inner.borrow_mut();
                    i.ready = true;
                    i.instances.push(instance);
                    (i.worker.clone(), std::mem::take(&mut i.queue))
                };
                if let Some(w) = worker {
                    for msg in queue {
                        let _ = w.post_message(&msg);
                    }
                }
                return;
            }
            Event::Progress { phase, progress } => Step::Progress(phase, progress),
            Event::Waiting(reason) => Step::Waiting(reason),
            Event::Done(o) => Step::Done(
                o,
                Attached {
                    file: get("file").dyn_into::<Blob>().ok(),
                    url: get("url").as_string(),
                    value: get("value"),
                },
            ),
            Event::Failed(f) => Step::Failed(f),
        };
        self.deliver(m.id, step);
    }

    /// Hands `step` to request `id`'s handler (and progress to the
    /// observer); an end removes the handler.
    fn deliver(&self, id: u32, step: Step) {
        match &step {
            Step::Progress(phase, p) => self.observe(|o| o.progress(*phase, p)),
            Step::Waiting(r) => self.observe(|o| o.waiting(r)),
            _ => {}
        }
        let finished = matches!(step, Step::Done(..) | Step::Failed(_));
        // Take the handler out while it runs, so it may issue requests.
        let handler = self.inner.borrow_mut().pending.remove(&id);
        if let Some(mut h) = handler {
            h(step);
            if !finished {
                self.inner.borrow_mut().pending.insert(id, h);
            }
        }
    }

    /// Tells the observer (if any) about something.
    pub fn observe(&self, f: impl FnOnce(&dyn Observer)) {
        let o = self.inner.borrow().observer.clone();
        if let Some(o) = o {
            f(o.as_ref());
        }
    }

    /// Installs the observer that hears about every operation.
    pub fn set_observer(&self, observer: Rc<dyn Observer>) {
        self.inner.borrow_mut().observer = Some(observer);
    }

    /// Installs the host app's hooks around backups and restores.
    pub fn set_hooks(&self, hooks: Rc<dyn Hooks>) {
        self.inner.borrow_mut().hooks = Some(hooks);
    }

    /// The host app's hooks, if any.
    pub fn hooks(&self) -> Option<Rc<dyn Hooks>> {
        self.inner.borrow().hooks.clone()
    }

    fn send(&self, req: coffer_protocol::Request, attach: Attachments, on: Handler) {
        let mut i = self.inner.borrow_mut();
        if i.closed {
            drop(i);
            let mut on = on;
            on(Step::Failed(shut_down()));
            return;
        }
        let id = i.next_id;
        i.next_id += 1;
        let msg = Object::new();
        let _ = Reflect::set(
            &msg,
            &"msg".into(),
            &JsValue::from_str(&encode(&ToWorker::new(id, req))),
        );
        if let Some(f) = attach.file {
            let _ = Reflect::set(&msg, &"file".into(), &f);
        }
        if let Some(k) = attach.key {
            let _ = Reflect::set(&msg, &"key".into(), &k);
        }
        if let Some(v) = attach.value {
            let _ = Reflect::set(&msg, &"value".into(), &v);
        }
        i.pending.insert(id, on);
        match (&i.worker, i.ready) {
            (Some(w), true) => {
                if let Err(e) = w.post_message(&msg) {
                    drop(i);
                    let f = Failure::new(
                        ErrorCode::BrowserData,
                        format!("cannot send the request: {e:?}"),
                    );
                    self.deliver(id, Step::Failed(f));
                }
            }
            _ => i.queue.push(msg),
        }
    }

    /// Sends request `req` and waits for its end: its own outcome type and
    /// attachments, or why it failed. `on_progress` hears its progress and
    /// what it waits for. An outcome of another request is a
    /// [`Failure::unexpected`] (the one place that is checked).
    pub async fn call<C: Call>(
        &self,
        req: C,
        attach: Attachments,
        mut on_progress: impl FnMut(Progress) + 'static,
    ) -> Result<(C::Outcome, Attached), Failure> {
        type Slot = Rc<RefCell<Option<Result<(Outcome, Attached), Failure>>>>;
        let slot: Slot = Rc::new(RefCell::new(None));
        let mut resolve_slot: Option<js_sys::Function> = None;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| resolve_slot = Some(resolve));
        let s2 = slot.clone();
        let end = move |r| {
            *s2.borrow_mut() = Some(r);
            if let Some(f) = &resolve_slot {
                let _ = f.call0(&JsValue::NULL);
            }
        };
        self.send(
            req.into(),
            attach,
            Box::new(move |step| match step {
                Step::Progress(phase, p) => on_progress(Progress::Step(phase, p)),
                Step::Waiting(r) => on_progress(Progress::Waiting(r)),
                Step::Done(o, att) => end(Ok((o, att))),
                Step::Failed(f) => end(Err(f)),
            }),
        );
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        let r = slot.borrow_mut().take();
        let (o, att) = r.unwrap_or_else(|| Err(Failure::cancelled()))?;
        let o = C::unwrap(o).ok_or_else(Failure::unexpected)?;
        Ok((o, att))
    }

    /// Cancels every running request by restarting the worker. Their calls
    /// end with code `cancelled`.
    pub fn cancel_all(&self) {
        self.restart(Failure::cancelled());
    }

    /// Whether a BroadcastChannel message tagged `instance` came from this
    /// client's own worker.
    pub fn is_own(&self, instance: u32) -> bool {
        self.inner.borrow().instances.contains(&instance)
    }

    /// Shuts the engine down for good: terminates its worker (running
    /// requests fail with `cancelled`; nothing half-written survives) and
    /// refuses further requests. Called when the UI that owns it goes away.
    pub fn terminate(&self) {
        if self.inner.borrow().closed {
            return;
        }
        self.inner.borrow_mut().closed = true;
        self.restart(shut_down());
        let mut i = self.inner.borrow_mut();
        i.observer = None;
        i.hooks = None;
        i._onmessage = None;
        i._onerror = None;
    }

    /// Whether [`EngineClient::terminate`] was called.
    pub fn is_terminated(&self) -> bool {
        self.inner.borrow().closed
    }

    fn restart(&self, why: Failure) {
        let (worker, ids) = {
            let mut i = self.inner.borrow_mut();
            i.queue.clear();
            (
                i.worker.take(),
                i.pending.keys().copied().collect::<Vec<_>>(),
            )
        };
        if let Some(w) = worker {
            w.terminate();
        }
        for id in ids {
            self.deliver(id, Step::Failed(why.clone()));
        }
        self.start();
    }
}

fn shut_down() -> Failure {
    Failure::new(ErrorCode::Cancelled, "the Coffer engine was shut down")
}

/// What a running call hears before its end.
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// How far a phase got.
    Step(Phase, ProgressInfo),
    /// It waits for another tab or connection.
    Waiting(WaitReason),
}
