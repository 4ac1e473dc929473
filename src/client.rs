//! The UI side of the worker protocol: [`EngineClient`] owns the `Worker`,
//! queues requests until the worker posts `Ready`, routes events to the
//! request that caused them, and cancels by terminating and restarting the
//! worker (every write of the worker is transactional, so nothing
//! half-done survives).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Object, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, MessageEvent, Worker};

use crate::error::AppError;
use crate::protocol::{decode_event, encode, Event, Outcome, Request, ToWorker};

/// The URL of the worker loader Trunk generates.
pub const WORKER_URL: &str = "./worker_loader.js";

thread_local! {
    static WORKER_URL_OVERRIDE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Sets the URL every [`EngineClient`] started from now on loads its worker
/// from, instead of [`WORKER_URL`] (the embeddable element points it at its
/// own folder, which need not be the page's).
pub fn set_worker_url(url: &str) {
    WORKER_URL_OVERRIDE.with(|u| *u.borrow_mut() = Some(url.to_owned()));
}

fn worker_url() -> String {
    WORKER_URL_OVERRIDE
        .with(|u| u.borrow().clone())
        .unwrap_or_else(|| WORKER_URL.to_owned())
}

/// Sees (and may adjust) every event before the request's handler does.
pub type Tap = Rc<dyn Fn(&mut Event, &Attached)>;

/// What came with an event besides its JSON.
#[derive(Clone, Default)]
pub struct Attached {
    /// A file (backup, key file).
    pub file: Option<Blob>,
    /// An object URL of `file`, made by the worker when the request said
    /// the UI will download it (registering the URL of a Blob of many
    /// parts takes tens of milliseconds, which the page's thread is
    /// spared). It is revoked a minute after it was made.
    pub url: Option<String>,
    /// A structured-clone value (store API).
    pub value: JsValue,
}

type Handler = Box<dyn FnMut(Event, Attached)>;
type CallResult = Result<(Outcome, Attached), AppError>;

struct Inner {
    worker: Option<Worker>,
    ready: bool,
    queue: Vec<Object>,
    next_id: u32,
    pending: HashMap<u32, Handler>,
    instances: Vec<u32>,
    tap: Option<Tap>,
    closed: bool,
    _onmessage: Option<Closure<dyn FnMut(MessageEvent)>>,
    _onerror: Option<Closure<dyn FnMut(web_sys::Event)>>,
}

/// A handle to the engine worker. Cheap to clone.
#[derive(Clone)]
pub struct EngineClient {
    inner: Rc<RefCell<Inner>>,
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

impl EngineClient {
    /// Starts the worker.
    pub fn new() -> Self {
        let c = EngineClient {
            inner: Rc::new(RefCell::new(Inner {
                worker: None,
                ready: false,
                queue: Vec::new(),
                next_id: 1,
                pending: HashMap::new(),
                instances: Vec::new(),
                tap: None,
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
        let worker = match Worker::new_with_options(&worker_url(), &opts) {
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
                EngineClient { inner }.restart(AppError::new(
                    "internal-error",
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
        if let Event::Ready { instance } = m.ev {
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
        let attached = Attached {
            file: get("file").dyn_into::<Blob>().ok(),
            url: get("url").as_string(),
            value: get("value"),
        };
        let mut ev = m.ev;
        let tap = self.inner.borrow().tap.clone();
        if let Some(tap) = tap {
            tap(&mut ev, &attached);
        }
        let finished = matches!(ev, Event::Done(_) | Event::Failed { .. });
        // Take the handler out while it runs, so it may issue requests.
        let handler = self.inner.borrow_mut().pending.remove(&m.id);
        if let Some(mut h) = handler {
            h(ev, attached);
            if !finished {
                self.inner.borrow_mut().pending.insert(m.id, h);
            }
        }
    }

    /// Sends a request; `on_event` hears its progress and its end.
    pub fn send(
        &self,
        req: Request,
        attach: Attachments,
        on_event: impl FnMut(Event, Attached) + 'static,
    ) -> u32 {
        let mut i = self.inner.borrow_mut();
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
        i.pending.insert(id, Box::new(on_event));
        match (&i.worker, i.ready) {
            (Some(w), true) => {
                if let Err(e) = w.post_message(&msg) {
                    drop(i);
                    self.fail(id, AppError::js("cannot send the request", e));
                }
            }
            _ => i.queue.push(msg),
        }
        id
    }

    fn fail(&self, id: u32, e: AppError) {
        let h = self.inner.borrow_mut().pending.remove(&id);
        if let Some(mut h) = h {
            let mut ev = Event::Failed {
                code: e.code,
                message: e.message,
            };
            let tap = self.inner.borrow().tap.clone();
            if let Some(tap) = tap {
                tap(&mut ev, &Attached::default());
            }
            h(ev, Attached::default());
        }
    }

    /// Installs `tap`, which sees every progress, done and failed event
    /// (also the client's own cancellations) before the request's handler,
    /// and may adjust it. The embeddable element uses it to fire DOM
    /// events and to hide databases the host excluded.
    pub fn set_tap(&self, tap: impl Fn(&mut Event, &Attached) + 'static) {
        self.inner.borrow_mut().tap = Some(Rc::new(tap));
    }

    /// Sends a request and waits for its end; `on_progress` hears progress.
    pub async fn call(
        &self,
        req: Request,
        attach: Attachments,
        mut on_progress: impl FnMut(&Event) + 'static,
    ) -> Result<(Outcome, Attached), AppError> {
        let slot: Rc<RefCell<Option<CallResult>>> = Rc::new(RefCell::new(None));
        let mut resolve_slot: Option<js_sys::Function> = None;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| resolve_slot = Some(resolve));
        let s2 = slot.clone();
        self.send(req, attach, move |ev, att| match ev {
            Event::Done(o) => {
                *s2.borrow_mut() = Some(Ok((o, att)));
                if let Some(r) = &resolve_slot {
                    let _ = r.call0(&JsValue::NULL);
                }
            }
            Event::Failed { code, message } => {
                *s2.borrow_mut() = Some(Err(AppError { code, message }));
                if let Some(r) = &resolve_slot {
                    let _ = r.call0(&JsValue::NULL);
                }
            }
            other => on_progress(&other),
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        let r = slot.borrow_mut().take();
        r.unwrap_or_else(|| Err(AppError::new("cancelled", "cancelled")))
    }

    /// Cancels every running request by restarting the worker. Their
    /// handlers hear `Failed { code: "cancelled" }`.
    pub fn cancel_all(&self) {
        self.restart(AppError::new(
            "cancelled",
            "Cancelled. Nothing was written.",
        ));
    }

    /// Whether a BroadcastChannel message tagged `instance` came from this
    /// page's own worker.
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
        self.restart(AppError::new(
            "cancelled",
            "the Coffer engine was shut down",
        ));
        let mut i = self.inner.borrow_mut();
        i.tap = None;
        i._onmessage = None;
        i._onerror = None;
    }

    /// Whether [`EngineClient::terminate`] was called.
    pub fn is_terminated(&self) -> bool {
        self.inner.borrow().closed
    }

    fn restart(&self, why: AppError) {
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
            self.fail(id, why.clone());
        }
        self.start();
    }
}

impl Default for EngineClient {
    fn default() -> Self {
        Self::new()
    }
}
