//! Mounting the Backup Management UI into a Shadow DOM, and the DOM events
//! of the embedded UI.
//!
//! [`mount_in_shadow`] is shared by the `<coffer-backup>` element and the
//! Leptos [`BackupManagement`](super::BackupManagement) component: it puts
//! the app's stylesheet and a root element into the host's shadow root,
//! mounts [`crate::ui::BackupManagement`] there, and taps the element's
//! engine client so that every progress/done/failed event – whether the
//! user pressed a button or a script called a method – is re-fired on the
//! host element as a `coffer-*` `CustomEvent` (bubbling, composed).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Array, Function, Object, Reflect};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

use super::config::BackupConfig;
use super::style::{shadow_css, ROOT_CLASS};
use crate::client::{self, Attached, Attachments, EngineClient};
use crate::error::AppError;
use crate::protocol::{Event, Outcome, Phase, Request};
use crate::ui::Ctx;

/// Event names, as documented in `docs/embed.md`.
pub mod events {
    /// Progress of a long operation: `{phase, doneBytes, totalBytes,
    /// doneRecords, totalRecords}`.
    pub const PROGRESS: &str = "coffer-progress";
    /// A backup was created: `{fileName, records, bytes, blob}`.
    pub const BACKUP_DONE: &str = "coffer-backup-done";
    /// A restore finished: `{databases, stores, records, resealed}`.
    pub const RESTORE_DONE: &str = "coffer-restore-done";
    /// The master key was replaced: `{keyId, oldKeyId, resealed}`.
    pub const KEY_REPLACED: &str = "coffer-key-replaced";
    /// An operation failed: `{code, message}`.
    pub const ERROR: &str = "coffer-error";
    /// The element has loaded its first overview: `{keyId}`.
    pub const READY: &str = "coffer-ready";
}

struct Shared {
    host: HtmlElement,
    root: HtmlElement,
    engine: EngineClient,
    ctx: Ctx,
    mounted: Cell<bool>,
    ready: Cell<bool>,
    registering: Cell<bool>,
    config: RefCell<BackupConfig>,
    key_id: RefCell<Option<String>>,
}

/// A mounted Backup Management UI. Dropping it does not unmount; call
/// [`Embedded::unmount`].
pub struct Embedded {
    shared: Rc<Shared>,
    unmount: RefCell<Option<Box<dyn Any>>>,
}

/// Builds a plain JS object from key/value pairs.
pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}

fn opt_str(s: &Option<String>) -> JsValue {
    s.as_deref().map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

/// Fires `CustomEvent(name, {detail, bubbles: true, composed: true})` on
/// `target`.
pub fn dispatch(target: &HtmlElement, name: &str, detail: JsValue) {
    let init = obj(&[
        ("detail", detail),
        ("bubbles", JsValue::TRUE),
        ("composed", JsValue::TRUE),
    ]);
    let Ok(ctor) = Reflect::get(&js_sys::global(), &"CustomEvent".into()) else {
        return;
    };
    let Ok(ctor) = ctor.dyn_into::<Function>() else {
        return;
    };
    if let Ok(ev) = Reflect::construct(&ctor, &Array::of2(&name.into(), &init)) {
        let _ = target.dispatch_event(ev.unchecked_ref());
    }
}

/// The phase's name in events: `reading`, `writing`, `verifying`,
/// `restoring` or `resealing`.
pub fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::Reading => "reading",
        Phase::Writing => "writing",
        Phase::Verifying => "verifying",
        Phase::Restoring => "restoring",
        Phase::Resealing => "resealing",
    }
}

/// The detail of a `coffer-progress` event (also what `onProgress`
/// callbacks get), or `None` for other events.
pub fn progress_detail(ev: &Event) -> Option<JsValue> {
    match ev {
        Event::Progress { phase, progress: p } => Some(obj(&[
            ("phase", phase_name(*phase).into()),
            ("doneBytes", (p.done_bytes as f64).into()),
            ("totalBytes", (p.total_bytes as f64).into()),
            ("doneRecords", (p.done_records as f64).into()),
            ("totalRecords", (p.total_records as f64).into()),
        ])),
        _ => None,
    }
}

fn tap(weak: &Weak<Shared>, ev: &mut Event, att: &Attached) {
    let Some(s) = weak.upgrade() else {
        return;
    };
    if let Some(d) = progress_detail(ev) {
        dispatch(&s.host, events::PROGRESS, d);
        return;
    }
    match ev {
        Event::Done(Outcome::Overview { databases, key_id }) => {
            s.config.borrow().filter(databases);
            *s.key_id.borrow_mut() = key_id.clone();
            if !s.registering.get() && !s.ready.replace(true) {
                dispatch(&s.host, events::READY, obj(&[("keyId", opt_str(key_id))]));
            }
        }
        Event::Done(Outcome::Preview(p)) => s.config.borrow().filter(&mut p.databases),
        Event::Done(Outcome::Backup {
            file_name,
            records,
            bytes,
        }) => dispatch(
            &s.host,
            events::BACKUP_DONE,
            obj(&[
                ("fileName", file_name.as_str().into()),
                ("records", (*records as f64).into()),
                ("bytes", (*bytes as f64).into()),
                (
                    "blob",
                    att.file.clone().map(JsValue::from).unwrap_or(JsValue::NULL),
                ),
            ]),
        ),
        Event::Done(Outcome::Restored {
            databases,
            stores,
            records,
            resealed,
        }) => dispatch(
            &s.host,
            events::RESTORE_DONE,
            obj(&[
                ("databases", (*databases as f64).into()),
                ("stores", (*stores as f64).into()),
                ("records", (*records as f64).into()),
                ("resealed", (*resealed as f64).into()),
            ]),
        ),
        Event::Done(Outcome::KeyReplaced {
            old_key_id,
            new_key_id,
            resealed,
        }) => {
            *s.key_id.borrow_mut() = Some(new_key_id.clone());
            dispatch(
                &s.host,
                events::KEY_REPLACED,
                obj(&[
                    ("keyId", new_key_id.as_str().into()),
                    ("oldKeyId", opt_str(old_key_id)),
                    ("resealed", (*resealed as f64).into()),
                ]),
            );
        }
        Event::Done(Outcome::KeyExported { key_id, .. }) => {
            *s.key_id.borrow_mut() = Some(key_id.clone());
        }
        Event::Failed { code, message } => dispatch(
            &s.host,
            events::ERROR,
            obj(&[
                ("code", code.as_str().into()),
                ("message", message.as_str().into()),
            ]),
        ),
        _ => {}
    }
}

fn apply_presentation(root: &HtmlElement, cfg: &BackupConfig) {
    let _ = root.set_attribute("data-theme", cfg.theme.as_str());
    root.set_class_name(&if cfg.compact {
        format!("{ROOT_CLASS} compact")
    } else {
        ROOT_CLASS.to_owned()
    });
    let _ = root.set_attribute("lang", cfg.locale.as_deref().unwrap_or("en"));
}

fn shadow_of(host: &HtmlElement) -> Result<web_sys::Node, AppError> {
    let existing = Reflect::get(host, &"shadowRoot".into()).unwrap_or(JsValue::NULL);
    if !existing.is_null() && !existing.is_undefined() {
        return Ok(existing.unchecked_into());
    }
    let attach: Function = Reflect::get(host, &"attachShadow".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| AppError::new("browser-error", "Shadow DOM is not available"))?;
    let shadow = attach
        .call1(host, &obj(&[("mode", "open".into())]))
        .map_err(|e| AppError::js("cannot attach a shadow root", e))?;
    Ok(shadow.unchecked_into())
}

/// Registers the configured encrypted stores (creating them if missing).
/// While the first registration runs, `coffer-ready` waits for it (so
/// `keyId` is known when it fires).
fn register_encrypted(shared: &Rc<Shared>, stores: Vec<(String, String)>, first: bool) {
    if stores.is_empty() {
        return;
    }
    if first {
        shared.registering.set(true);
    }
    let engine = shared.engine.clone();
    let weak = Rc::downgrade(shared);
    leptos::task::spawn_local(async move {
        for (db, store) in stores {
            let _ = engine
                .call(
                    Request::StoreCreate { db, store },
                    Attachments::default(),
                    |_| {},
                )
                .await;
        }
        if let Some(s) = weak.upgrade() {
            s.registering.set(false);
            if s.mounted.get() {
                s.ctx.refresh();
            }
        }
    });
}

/// Mounts the Backup Management UI into `host`'s shadow root (attached if
/// it has none; its previous contents are replaced).
pub fn mount_in_shadow(host: HtmlElement, config: BackupConfig) -> Result<Embedded, AppError> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| AppError::new("browser-error", "no document"))?;
    let shadow = shadow_of(&host)?;
    while let Some(c) = shadow.first_child() {
        let _ = shadow.remove_child(&c);
    }
    let style = doc
        .create_element("style")
        .map_err(|e| AppError::js("cannot create the stylesheet", e))?;
    style.set_text_content(Some(&shadow_css()));
    let root: HtmlElement = doc
        .create_element("div")
        .map_err(|e| AppError::js("cannot create the root", e))?
        .unchecked_into();
    apply_presentation(&root, &config);
    shadow
        .append_child(&style)
        .and_then(|_| shadow.append_child(&root))
        .map_err(|e| AppError::js("cannot fill the shadow root", e))?;
    if let Some(u) = &config.worker_url {
        client::set_worker_url(u);
    }
    let lang = config.lang();
    let slot: Rc<Cell<Option<Ctx>>> = Rc::new(Cell::new(None));
    let s2 = slot.clone();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let view = crate::ui::BackupManagement(
            crate::ui::BackupManagementProps::builder()
                .js_api(false)
                .lang(lang)
                .build(),
        );
        s2.set(use_context::<Ctx>());
        view
    });
    let ctx = slot
        .get()
        .ok_or_else(|| AppError::new("internal-error", "the UI provided no context"))?;
    let engine = ctx.engine.get_value();
    let encrypted = config.encrypted.clone();
    let shared = Rc::new(Shared {
        host,
        root,
        engine: engine.clone(),
        ctx,
        mounted: Cell::new(true),
        ready: Cell::new(false),
        registering: Cell::new(false),
        config: RefCell::new(config),
        key_id: RefCell::new(None),
    });
    let weak = Rc::downgrade(&shared);
    engine.set_tap(move |ev, att| tap(&weak, ev, att));
    register_encrypted(&shared, encrypted, true);
    Ok(Embedded {
        shared,
        unmount: RefCell::new(Some(Box::new(handle))),
    })
}

impl Embedded {
    /// The element's engine client (one worker per mounted UI).
    pub fn engine(&self) -> EngineClient {
        self.shared.engine.clone()
    }

    /// The current configuration.
    pub fn config(&self) -> BackupConfig {
        self.shared.config.borrow().clone()
    }

    /// The current master key id, once the overview has loaded.
    pub fn key_id(&self) -> Option<String> {
        self.shared.key_id.borrow().clone()
    }

    /// Applies a new configuration: presentation at once, filters with
    /// the next overview (requested here), new encrypted stores registered.
    pub fn configure(&self, config: BackupConfig) {
        let new_stores: Vec<_> = {
            let old = self.shared.config.borrow();
            config
                .encrypted
                .iter()
                .filter(|s| !old.encrypted.contains(s))
                .cloned()
                .collect()
        };
        apply_presentation(&self.shared.root, &config);
        let lang = config.lang();
        *self.shared.config.borrow_mut() = config;
        if self.shared.mounted.get() && self.shared.ctx.lang.get_untracked() != lang {
            self.shared.ctx.lang.set(lang);
        }
        register_encrypted(&self.shared, new_stores, false);
        self.refresh();
    }

    /// Reloads the overview shown (after the host changed its data).
    pub fn refresh(&self) {
        if self.shared.mounted.get() {
            self.shared.ctx.refresh();
        }
    }

    /// Marks the UI busy (its buttons disabled) while a script's
    /// operation runs.
    pub fn set_busy(&self, busy: bool) {
        if self.shared.mounted.get() {
            self.shared.ctx.busy.set(busy);
        }
    }

    /// Shows `text` in the UI's status line.
    pub fn announce(&self, text: &str) {
        if self.shared.mounted.get() {
            self.shared.ctx.announce(text);
        }
    }

    /// Shows a failure in the UI's status line.
    pub fn announce_error(&self, e: &AppError) {
        if self.shared.mounted.get() {
            self.shared.ctx.fail(e);
        }
    }

    /// The element the events are fired on.
    pub fn host(&self) -> HtmlElement {
        self.shared.host.clone()
    }

    /// Cancels whatever the engine is doing (restarts its worker;
    /// everything it was writing is rolled back).
    pub fn cancel(&self) {
        self.shared.engine.cancel_all();
    }

    /// Removes the UI and shuts its engine worker down (running
    /// operations fail with `cancelled`; nothing half-written survives).
    /// Methods called afterwards fail with `cancelled`.
    pub fn unmount(&self) {
        self.shared.mounted.set(false);
        drop(self.unmount.borrow_mut().take());
        self.shared.engine.terminate();
    }
}
