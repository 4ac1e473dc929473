//! The Backup Management page. Components only render and relay: all work
//! goes to the engine worker through [`crate::client::api`], with the
//! [`EngineClient`] that lives in the [`Ctx`] context. Every text is
//! rendered in [`Ctx::lang`], again when it changes.

mod auto;
mod backup;
mod common;
mod destinations;
mod dialog;
mod history;
mod keys;
mod overview;
mod restore;
mod selection;
mod storage;
mod task;
mod update;

use coffer_protocol::{Failure, Lang, Msg, OverviewData, Scope, CHANNEL_NAME};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::client::{api, EngineClient, WORKER_URL};
use coffer_protocol::strings;

pub use auto::{refresh as refresh_auto, AutoCard, LastBackupLine};
pub use backup::BackupCard;
pub use history::HistoryCard;
pub use keys::{ExportKeyCard, ReplaceKeyCard};
pub use overview::Overview;
pub use restore::RestoreCard;

/// Shared page state, provided by [`BackupManagement`].
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The engine worker.
    pub engine: StoredValue<EngineClient, LocalStorage>,
    /// The overview, once loaded.
    pub overview: RwSignal<Option<OverviewData>>,
    /// The `role="status"` announcement.
    pub status: RwSignal<Msg>,
    /// Whether a long operation runs (disables the other cards).
    pub busy: RwSignal<bool>,
    /// Whether the export-key dialog is open.
    pub export_open: RwSignal<bool>,
    /// The language of the texts (changing it re-renders the page).
    pub lang: RwSignal<Lang>,
    /// The databases this UI shows, backs up and restores.
    pub scope: RwSignal<Scope>,
    /// The origin's storage use and persistence.
    pub storage: RwSignal<Option<storage::StorageInfo>>,
    /// Automatic backups' settings and state (also the "Last backup"
    /// line).
    pub auto: RwSignal<Option<coffer_protocol::AutoState>>,
    /// The stored destinations (no secrets).
    pub destinations: RwSignal<Vec<coffer_protocol::DestinationInfo>>,
    /// A backup downloaded from a destination, for the "Restore backup"
    /// card to check and preview.
    pub remote_file: RwSignal<Option<web_sys::File>, LocalStorage>,
    /// Counts overview requests, so that only the newest one's answer is
    /// shown (answers can arrive out of order).
    pub refreshes: StoredValue<u64>,
}

impl Ctx {
    /// Reloads the overview.
    pub fn refresh(self) {
        let engine = self.engine.get_value();
        let scope = self.scope.get_untracked();
        storage::refresh(self);
        auto::refresh(self);
        self.refreshes.update_value(|n| *n += 1);
        let this = self.refreshes.get_value();
        leptos::task::spawn_local(async move {
            let r = api::overview(&engine, &scope).await;
            if self.refreshes.try_get_value() != Some(this) {
                return; // a newer refresh was asked for
            }
            match r {
                Ok(o) => self.overview.set(Some(o)),
                Err(f) => self.fail(f),
            }
        });
    }

    /// Announces a result.
    pub fn announce(self, msg: Msg) {
        self.status.set(msg);
    }

    /// Announces a failure.
    pub fn fail(self, f: Failure) {
        self.status.set(Msg::Failed(f));
    }

    /// The language now (for texts computed once per render).
    pub fn lang(self) -> Lang {
        self.lang.get_untracked()
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
        match kind.as_str() {
            // A worker (this tab's too) finished, at its start, a key
            // replacement or a restore's registrations that an earlier
            // session was interrupted in: the overview may predate it.
            "settled" => {}
            _ if own => return,
            "key-changed" => ctx.announce(Msg::OtherTabKey),
            "restored" => ctx.announce(Msg::OtherTabRestore),
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
/// Provides [`Ctx`]; its engine worker is terminated when the page's
/// reactive owner is disposed.
#[component]
pub fn BackupManagement(
    /// The language of the texts (default English).
    #[prop(optional)]
    lang: Lang,
    /// The databases to show, back up and restore (default: all).
    #[prop(optional)]
    scope: Scope,
    /// Where the engine worker is loaded from (default: Trunk's loader
    /// next to the page).
    #[prop(optional_no_strip)]
    worker_url: Option<String>,
) -> impl IntoView {
    let engine = EngineClient::new(worker_url.as_deref().unwrap_or(WORKER_URL));
    let ctx = Ctx {
        engine: StoredValue::new_local(engine),
        overview: RwSignal::new(None),
        status: RwSignal::new(Msg::None),
        busy: RwSignal::new(false),
        export_open: RwSignal::new(false),
        lang: RwSignal::new(lang),
        scope: RwSignal::new(scope),
        refreshes: StoredValue::new(0),
        storage: RwSignal::new(None),
        auto: RwSignal::new(None),
        destinations: RwSignal::new(Vec::new()),
        remote_file: RwSignal::new_local(None),
    };
    provide_context(ctx);
    ctx.refresh();
    listen_to_other_tabs(ctx);
    // Everything below is rendered in `ctx.lang`, again when it changes.
    move || {
        let l = ctx.lang.get();
        view! {
        <main class="coffer" lang=l.tag()>
            <header>
                <h1>{l.t(strings::TITLE)}</h1>
                <p class="intro">{l.t(strings::INTRO)}</p>
            </header>
            <p
                role="status"
                aria-live="polite"
                class=move || if ctx.status.with(Msg::is_error) { "status error" } else { "status" }
                data-testid="status"
            >
                {move || ctx.status.with(|m| m.text(l))}
            </p>
            <Overview />
            <div class="cards">
                <BackupCard />
                <RestoreCard />
                <ExportKeyCard />
                <ReplaceKeyCard />
                <auto::AutoCard />
                <destinations::DestinationsCard />
                <history::HistoryCard />
            </div>
        </main>
        }
    }
}

/// The language the browser prefers (`navigator.language`; English if
/// it is not one the UI speaks).
pub fn browser_lang() -> Lang {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .map(|l| Lang::from_tag(&l))
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
    // Called directly so that its context is visible here, in this owner.
    let view = BackupManagement(BackupManagementProps::builder().lang(lang).build());
    let ctx = use_context::<Ctx>();
    if let Some(ctx) = ctx {
        crate::js_api::install(ctx);
        // A backup tool's own site should not be evicted: ask once at
        // start (the overview says whether the browser agreed).
        leptos::task::spawn_local(async move {
            if !storage::read().await.is_some_and(|s| s.persisted) {
                storage::ask_persistent().await;
            }
            storage::refresh(ctx);
        });
    }
    view! { <update::UpdateBanner /> {view} }
}
