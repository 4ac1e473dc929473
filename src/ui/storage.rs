//! The origin's storage: how much it uses of its quota, and whether the
//! browser keeps its data (persistent storage) or may evict it when space
//! runs low, which a backup tool must tell its users.

use coffer_protocol::strings::bytes;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::{use_ctx, Ctx};

/// What `navigator.storage` says about this origin.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StorageInfo {
    /// Bytes used.
    pub usage: f64,
    /// Bytes the origin may use.
    pub quota: f64,
    /// Whether the browser keeps the data (no eviction).
    pub persisted: bool,
}

fn storage_manager() -> Option<JsValue> {
    let nav = web_sys::window()?.navigator();
    let s = js_sys::Reflect::get(&nav, &"storage".into()).ok()?;
    (!s.is_undefined()).then_some(s)
}

async fn call(target: &JsValue, method: &str) -> Option<JsValue> {
    let f: js_sys::Function = js_sys::Reflect::get(target, &method.into())
        .ok()?
        .dyn_into()
        .ok()?;
    let p: js_sys::Promise = f.call0(target).ok()?.dyn_into().ok()?;
    JsFuture::from(p).await.ok()
}

fn number(o: &JsValue, name: &str) -> f64 {
    js_sys::Reflect::get(o, &name.into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

/// Reads the estimate and the persistence of this origin's storage.
pub async fn read() -> Option<StorageInfo> {
    let s = storage_manager()?;
    let est = call(&s, "estimate").await?;
    let persisted = call(&s, "persisted")
        .await
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    Some(StorageInfo {
        usage: number(&est, "usage"),
        quota: number(&est, "quota"),
        persisted,
    })
}

/// Asks the browser to keep this origin's data; whether it agreed.
pub async fn ask_persistent() -> bool {
    match storage_manager() {
        Some(s) => call(&s, "persist")
            .await
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        None => false,
    }
}

/// Reloads [`Ctx::storage`].
pub fn refresh(ctx: Ctx) {
    leptos::task::spawn_local(async move {
        let info = read().await;
        let _ = ctx.storage.try_set(info);
    });
}

/// The storage line under the overview, with a button to ask for
/// persistent storage while the browser has not granted it.
#[component]
pub fn StorageLine() -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let ask = move |_| {
        leptos::task::spawn_local(async move {
            ask_persistent().await;
            refresh(ctx);
        });
    };
    view! {
        {move || ctx.storage.get().map(|s| view! {
            <p class="storage" data-testid="storage">
                <span>{l.storage_usage(&bytes(s.usage as u64), &bytes(s.quota as u64))}</span>" "
                <span class=if s.persisted { "persisted" } else { "risk" }>{l.persistence(s.persisted)}</span>
                {(!s.persisted).then(|| view! {
                    " "<button type="button" class="secondary" on:click=ask>{l.t("Ask the browser to keep this data")}</button>
                })}
            </p>
        })}
    }
}
