//! Mounting the Backup Management UI into a Shadow DOM, and the DOM events
//! of the embedded UI.
//!
//! [`mount_in_shadow`] is shared by the `<coffer-backup>` element and the
//! Leptos [`BackupManagement`](super::BackupManagement) component: it puts
//! the app's stylesheet and a root element into the host's shadow root,
//! mounts the page's `BackupManagement` there (with the element's own
//! language, scope and worker), and observes its engine so that every
//! operation – whether the user pressed a button or a script called a
//! method – is re-fired on the host element as a `coffer-*` `CustomEvent`
//! (bubbling, composed).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use coffer_app::client::api::{self, BackupFile, ExportedKey};
use coffer_app::client::js::{set, to_js, ErrorDetail, ProgressDetail};
use coffer_app::client::{EngineClient, Failure, HookOp, Hooks, Observer};
use coffer_app::ui::{BackupManagement, BackupManagementProps, Ctx};
use coffer_protocol::{ErrorCode, KeyReplaced, Msg, OverviewData, Phase, ProgressInfo, Restored};
use js_sys::{Array, Function, Object, Reflect};
use leptos::prelude::*;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

use super::config::BackupConfig;
use super::style::{shadow_css, ROOT_CLASS};

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
    /// A backup is due (fired by the element's module when it becomes
    /// due): `{lastBackup}` (a `Date` or null).
    pub const BACKUP_DUE: &str = "coffer-backup-due";
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

/// Fires `CustomEvent(name, {detail, bubbles: true, composed: true})` on
/// `target`.
pub fn dispatch(target: &HtmlElement, name: &str, detail: JsValue) {
    let init = Object::new();
    set(&init, "detail", detail);
    set(&init, "bubbles", true);
    set(&init, "composed", true);
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

/// The detail of `coffer-ready`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReadyDetail<'a> {
    key_id: Option<&'a str>,
}

/// The detail of `coffer-backup-done` (the Blob is added as `blob`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BackupDetail<'a> {
    file_name: &'a str,
    records: u64,
    bytes: u64,
    parts: &'a coffer_protocol::PartsInfo,
}

/// The host app's hooks: the element's `beforeBackup`, `afterBackup`,
/// `beforeRestore` and `afterRestore` properties, called with the
/// operation's detail and awaited.
struct HostHooks(Weak<Shared>);

impl HostHooks {
    fn call(&self, name: &str, detail: &JsValue) -> Option<js_sys::Promise> {
        let s = self.0.upgrade()?;
        let f: js_sys::Function = js_sys::Reflect::get(&s.host, &name.into())
            .ok()?
            .dyn_into()
            .ok()?;
        Some(match f.call1(&s.host, detail) {
            Ok(v) => js_sys::Promise::resolve(&v),
            Err(e) => js_sys::Promise::reject(&e),
        })
    }
}

impl Hooks for HostHooks {
    fn before(&self, op: HookOp, detail: &JsValue) -> Option<js_sys::Promise> {
        self.call(
            match op {
                HookOp::Backup => "beforeBackup",
                HookOp::Restore => "beforeRestore",
            },
            detail,
        )
    }

    fn after(&self, op: HookOp, detail: &JsValue) -> Option<js_sys::Promise> {
        self.call(
            match op {
                HookOp::Backup => "afterBackup",
                HookOp::Restore => "afterRestore",
            },
            detail,
        )
    }
}

/// Fires the element's `coffer-*` events.
struct Events(Weak<Shared>);

impl Events {
    fn with(&self, f: impl FnOnce(&Shared)) {
        if let Some(s) = self.0.upgrade() {
            f(&s);
        }
    }
}

impl Observer for Events {
    fn progress(&self, phase: Phase, progress: &ProgressInfo) {
        self.with(|s| {
            let d = to_js(&ProgressDetail { phase, progress });
            dispatch(&s.host, events::PROGRESS, d);
        });
    }

    fn overview(&self, o: &OverviewData) {
        self.with(|s| {
            *s.key_id.borrow_mut() = o.key_id.clone();
            if !s.registering.get() && !s.ready.replace(true) {
                let d = to_js(&ReadyDetail {
                    key_id: o.key_id.as_deref(),
                });
                dispatch(&s.host, events::READY, d);
            }
        });
    }

    fn backup_done(&self, b: &BackupFile) {
        self.with(|s| {
            let d = to_js(&BackupDetail {
                file_name: &b.file_name,
                records: b.records,
                bytes: b.bytes,
                parts: &b.parts,
            });
            set(&d, "blob", b.blob.clone());
            dispatch(&s.host, events::BACKUP_DONE, d);
        });
    }

    fn restored(&self, r: &Restored) {
        self.with(|s| dispatch(&s.host, events::RESTORE_DONE, to_js(r)));
    }

    fn key_exported(&self, k: &ExportedKey) {
        self.with(|s| *s.key_id.borrow_mut() = Some(k.key_id.clone()));
    }

    fn key_replaced(&self, k: &KeyReplaced) {
        self.with(|s| {
            *s.key_id.borrow_mut() = Some(k.key_id.clone());
            dispatch(&s.host, events::KEY_REPLACED, to_js(k));
        });
    }

    fn failed(&self, f: &Failure) {
        self.with(|s| {
            let d = to_js(&ErrorDetail {
                code: f.code,
                message: &f.message,
            });
            dispatch(&s.host, events::ERROR, d);
        });
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

fn failure(code: ErrorCode, what: &str, e: &JsValue) -> Failure {
    Failure::new(code, format!("{what}: {e:?}"))
}

fn shadow_of(host: &HtmlElement) -> Result<web_sys::Node, Failure> {
    let existing = Reflect::get(host, &"shadowRoot".into()).unwrap_or(JsValue::NULL);
    if !existing.is_null() && !existing.is_undefined() {
        return Ok(existing.unchecked_into());
    }
    let attach: Function = Reflect::get(host, &"attachShadow".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| {
            Failure::new(ErrorCode::BrowserUnsupported, "Shadow DOM is not available")
        })?;
    let init = Object::new();
    set(&init, "mode", "open");
    let shadow = attach
        .call1(host, &init)
        .map_err(|e| failure(ErrorCode::BrowserError, "cannot attach a shadow root", &e))?;
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
            let _ = api::store_create(&engine, &db, &store).await;
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
pub fn mount_in_shadow(host: HtmlElement, config: BackupConfig) -> Result<Embedded, Failure> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| Failure::new(ErrorCode::BrowserError, "no document"))?;
    let shadow = shadow_of(&host)?;
    while let Some(c) = shadow.first_child() {
        let _ = shadow.remove_child(&c);
    }
    let style = doc
        .create_element("style")
        .map_err(|e| failure(ErrorCode::BrowserError, "cannot create the stylesheet", &e))?;
    style.set_text_content(Some(&shadow_css()));
    let root: HtmlElement = doc
        .create_element("div")
        .map_err(|e| failure(ErrorCode::BrowserError, "cannot create the root", &e))?
        .unchecked_into();
    apply_presentation(&root, &config);
    shadow
        .append_child(&style)
        .and_then(|_| shadow.append_child(&root))
        .map_err(|e| failure(ErrorCode::BrowserError, "cannot fill the shadow root", &e))?;
    let props = BackupManagementProps::builder()
        .lang(config.lang())
        .scope(config.scope())
        .worker_url(config.worker_url.clone())
        .build();
    let slot: Rc<Cell<Option<Ctx>>> = Rc::new(Cell::new(None));
    let s2 = slot.clone();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let view = BackupManagement(props);
        s2.set(use_context::<Ctx>());
        view
    });
    let ctx = slot
        .get()
        .ok_or_else(|| Failure::new(ErrorCode::InternalError, "the UI provided no context"))?;
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
    engine.set_observer(Rc::new(Events(Rc::downgrade(&shared))));
    engine.set_hooks(Rc::new(HostHooks(Rc::downgrade(&shared))));
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

    /// When the last good backup (made here, by a script or automatically)
    /// ended, from Coffer's history; `None` before it loaded or if none.
    pub fn last_backup_ms(&self) -> Option<f64> {
        self.shared
            .ctx
            .auto
            .try_with_untracked(|a| a.as_ref().and_then(|a| a.last_backup_ms))
            .flatten()
    }

    /// Whether a backup is due: none yet, or the last one older than the
    /// automatic schedule (or a week without one). `false` until the state
    /// has loaded.
    pub fn backup_due(&self) -> bool {
        self.shared
            .ctx
            .auto
            .try_with_untracked(|a| {
                a.as_ref().map(|a| {
                    coffer_protocol::auto::Reminder::at(
                        Some(&a.settings),
                        a.last_backup_ms,
                        js_sys::Date::now(),
                    )
                    .is_warning()
                })
            })
            .flatten()
            .unwrap_or(false)
    }

    /// Applies a new configuration: presentation and language at once, the
    /// scope with the next overview (requested here), new encrypted stores
    /// registered. The worker URL is fixed once mounted.
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
        let (lang, scope) = (config.lang(), config.scope());
        *self.shared.config.borrow_mut() = config;
        if self.shared.mounted.get() {
            let ctx = self.shared.ctx;
            if ctx.lang.get_untracked() != lang {
                ctx.lang.set(lang);
            }
            if ctx.scope.get_untracked() != scope {
                ctx.scope.set(scope);
            }
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

    /// Shows `msg` in the UI's status line.
    pub fn announce(&self, msg: Msg) {
        if self.shared.mounted.get() {
            self.shared.ctx.announce(msg);
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
