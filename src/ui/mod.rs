//! The Backup Management page. Components only render and relay: all work
//! goes to the engine worker through [`EngineClient`], whose handle lives in
//! the [`Ctx`] context.

mod backup;
mod common;
mod keys;
mod overview;
mod restore;

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::client::{Attachments, EngineClient};
use crate::error::AppError;
use crate::protocol::{DbInfo, Outcome, Request, CHANNEL_NAME};
use crate::strings;

pub use backup::BackupCard;
pub use keys::{ExportKeyCard, ReplaceKeyCard};
pub use overview::Overview;
pub use restore::RestoreCard;

/// The origin's databases and the current key id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OverviewData {
    /// Databases (without Coffer's own).
    pub databases: Vec<DbInfo>,
    /// The current master key's id.
    pub key_id: Option<String>,
}

/// The last announcement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// The sentence.
    pub text: String,
    /// Whether it reports a failure.
    pub error: bool,
}

/// Shared page state, provided by [`BackupManagement`].
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The engine worker.
    pub engine: StoredValue<EngineClient, LocalStorage>,
    /// The overview, once loaded.
    pub overview: RwSignal<Option<OverviewData>>,
    /// The `role="status"` announcement.
    pub status: RwSignal<Status>,
    /// Whether a long operation runs (disables the other cards).
    pub busy: RwSignal<bool>,
    /// Whether the export-key dialog is open.
    pub export_open: RwSignal<bool>,
    /// The language of the texts (changing it re-renders the page).
    pub lang: RwSignal<strings::Lang>,
}

impl Ctx {
    /// Reloads the overview.
    pub fn refresh(self) {
        let engine = self.engine.get_value();
        leptos::task::spawn_local(async move {
            match engine
                .call(Request::Overview, Attachments::default(), |_| {})
                .await
            {
                Ok((Outcome::Overview { databases, key_id }, _)) => {
                    self.overview.set(Some(OverviewData { databases, key_id }))
                }
                Ok(_) => {}
                Err(e) => self.fail(&e),
            }
        });
    }

    /// Announces a result.
    pub fn announce(self, text: impl Into<String>) {
        self.status.set(Status {
            text: text.into(),
            error: false,
        });
    }

    /// Announces a failure with its code.
    pub fn fail(self, e: &AppError) {
        self.status.set(Status {
            text: format!("{} ({})", capitalize(&e.message), e.code),
            error: true,
        });
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The context, as provided by [`BackupManagement`].
pub fn use_ctx() -> Ctx {
    use_context::<Ctx>().expect("Ctx is provided by BackupManagement")
}

fn listen_to_other_tabs(ctx: Ctx) {
    let Ok(ch) = web_sys::BroadcastChannel::new(CHANNEL_NAME) else {
        return;
    };
    let f = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
        let kind = js_sys::Reflect::get(&e.data(), &"type".into())
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default();
        let instance = js_sys::Reflect::get(&e.data(), &"instance".into())
            .ok()
            .and_then(|t| t.as_f64())
            .unwrap_or(-1.0);
        // The UI was unmounted (its context disposed, its engine shut
        // down): stop listening.
        let own = ctx
            .engine
            .try_with_value(|c| (!c.is_terminated()).then(|| c.is_own(instance as u32)))
            .flatten();
        let Some(own) = own else {
            if let Some(ch) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::BroadcastChannel>().ok())
            {
                ch.close();
            }
            return;
        };
        if own {
            return;
        }
        match kind.as_str() {
            "key-changed" => ctx.announce(strings::t(strings::OTHER_TAB_KEY)),
            "restored" => ctx.announce(strings::t(strings::OTHER_TAB_RESTORE)),
            _ => {}
        }
        ctx.refresh();
    });
    ch.set_onmessage(Some(f.as_ref().unchecked_ref()));
    f.forget();
    // Keep the channel open for the page's lifetime.
    std::mem::forget(ch);
}

/// The whole Backup Management page: store overview and the four cards.
#[component]
pub fn BackupManagement(
    /// Also install the `window.coffer` store API.
    #[prop(optional)]
    js_api: bool,
    /// The language of the texts (default English).
    #[prop(optional)]
    lang: strings::Lang,
) -> impl IntoView {
    strings::set_lang(lang);
    let ctx = Ctx {
        engine: StoredValue::new_local(EngineClient::new()),
        overview: RwSignal::new(None),
        status: RwSignal::new(Status::default()),
        busy: RwSignal::new(false),
        export_open: RwSignal::new(false),
        lang: RwSignal::new(lang),
    };
    provide_context(ctx);
    ctx.refresh();
    listen_to_other_tabs(ctx);
    if js_api {
        install_js_api(ctx);
    }
    // Everything below is rendered in `ctx.lang`, again when it changes.
    move || {
        let lang = ctx.lang.get();
        strings::set_lang(lang);
        view! {
        <main class="coffer" lang=lang.tag()>
            <header>
                <h1>{strings::t(strings::TITLE)}</h1>
                <p class="intro">{strings::t(strings::INTRO)}</p>
            </header>
            <p
                role="status"
                aria-live="polite"
                class=move || if ctx.status.get().error { "status error" } else { "status" }
                data-testid="status"
            >
                {move || ctx.status.get().text}
            </p>
            <Overview />
            <div class="cards">
                <BackupCard />
                <RestoreCard />
                <ExportKeyCard />
                <ReplaceKeyCard />
            </div>
        </main>
        }
    }
}

fn promise_of(ctx: Ctx, req: Request, attach: Attachments) -> js_sys::Promise {
    let engine = ctx.engine.get_value();
    wasm_bindgen_futures::future_to_promise(async move {
        match engine.call(req, attach, |_| {}).await {
            Ok((Outcome::Value { found }, att)) => {
                Ok(if found { att.value } else { JsValue::UNDEFINED })
            }
            Ok((Outcome::Keys { .. }, att)) => Ok(att.value),
            Ok((Outcome::Measured { timings }, _)) => Ok(timings
                .iter()
                .map(|t| {
                    let o = js_sys::Object::new();
                    let _ = js_sys::Reflect::set(&o, &"name".into(), &t.name.as_str().into());
                    let _ = js_sys::Reflect::set(&o, &"amount".into(), &(t.amount as f64).into());
                    let _ = js_sys::Reflect::set(&o, &"micros".into(), &(t.micros as f64).into());
                    JsValue::from(o)
                })
                .collect::<js_sys::Array>()
                .into()),
            Ok(_) => {
                ctx.refresh();
                Ok(JsValue::UNDEFINED)
            }
            Err(e) => {
                let err = js_sys::Error::new(&e.message);
                let _ = js_sys::Reflect::set(&err, &"code".into(), &JsValue::from_str(&e.code));
                Err(err.into())
            }
        }
    })
}

/// A `window.coffer` store function `(db, store, key, value)`: sends
/// `request(db, store)` with the first `args` of key and value attached
/// (0: neither, 1: the key, 2: both).
fn store_fn(ctx: Ctx, args: u8, request: fn(String, String) -> Request) -> JsValue {
    let s = |v: &JsValue| v.as_string().unwrap_or_default();
    Closure::<dyn Fn(JsValue, JsValue, JsValue, JsValue) -> js_sys::Promise>::new(
        move |db: JsValue, store: JsValue, key: JsValue, value: JsValue| {
            let attach = Attachments {
                key: (args >= 1).then_some(key),
                value: (args >= 2).then_some(value),
                ..Attachments::default()
            };
            promise_of(ctx, request(s(&db), s(&store)), attach)
        },
    )
    .into_js_value()
}

/// Installs `window.coffer`: the encrypted-store API for page scripts.
/// Every function returns a Promise.
///
/// - `createEncryptedStore(db, store)`
/// - `put(db, store, key, value)`, `get(db, store, key)`,
///   `delete(db, store, key)`, `list(db, store)`
/// - `deleteDatabases([names])`
/// - `measure(mib)`: the engine's sealing speed in its worker (benchmark)
fn install_js_api(ctx: Ctx) {
    let api = js_sys::Object::new();
    let set = |name: &str, f: JsValue| {
        let _ = js_sys::Reflect::set(&api, &name.into(), &f);
    };
    set(
        "createEncryptedStore",
        store_fn(ctx, 0, |db, store| Request::StoreCreate { db, store }),
    );
    set(
        "put",
        store_fn(ctx, 2, |db, store| Request::StorePut { db, store }),
    );
    set(
        "get",
        store_fn(ctx, 1, |db, store| Request::StoreGet { db, store }),
    );
    set(
        "delete",
        store_fn(ctx, 1, |db, store| Request::StoreDelete { db, store }),
    );
    set(
        "list",
        store_fn(ctx, 0, |db, store| Request::StoreList { db, store }),
    );
    set(
        "deleteDatabases",
        Closure::<dyn Fn(JsValue) -> js_sys::Promise>::new(move |names: JsValue| {
            let names = js_sys::Array::from(&names)
                .iter()
                .filter_map(|n| n.as_string())
                .collect();
            promise_of(
                ctx,
                Request::DeleteDatabases { names },
                Attachments::default(),
            )
        })
        .into_js_value(),
    );
    // Benchmark hook (scripts/bench.sh): engine sealing speed in the worker.
    set(
        "measure",
        Closure::<dyn Fn(JsValue) -> js_sys::Promise>::new(move |mib: JsValue| {
            promise_of(
                ctx,
                Request::Measure {
                    mib: mib.as_f64().unwrap_or(16.0) as u32,
                },
                Attachments::default(),
            )
        })
        .into_js_value(),
    );
    set(
        "refresh",
        Closure::<dyn Fn()>::new(move || ctx.refresh()).into_js_value(),
    );
    let _ = js_sys::Reflect::set(&js_sys::global(), &"coffer".into(), &api);
}

/// The language the browser prefers (`navigator.language`; English if
/// it is not one the UI speaks).
pub fn browser_lang() -> strings::Lang {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .map(|l| strings::Lang::from_tag(&l))
        .unwrap_or_default()
}

/// The standalone app: the page plus the `window.coffer` API, in the
/// browser's language.
#[component]
pub fn App() -> impl IntoView {
    let lang = browser_lang();
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("lang", lang.tag());
    }
    view! { <BackupManagement js_api=true lang=lang /> }
}
