//! "Reload to update": `register-sw.js` (public/) registers the service
//! worker and, when a new build has been installed beside the running one,
//! sets `window.cofferUpdate` and dispatches `coffer-update-available`.
//! This banner then offers the switch; the page never mixes two builds.

use coffer_protocol::strings::{UPDATE_READY, UPDATE_RELOAD};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::use_ctx;

fn update_fn() -> Option<js_sys::Function> {
    let w = web_sys::window()?;
    js_sys::Reflect::get(&w, &"cofferUpdate".into())
        .ok()?
        .dyn_into()
        .ok()
}

/// The banner offering a new build (standalone app only).
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let l = use_ctx().lang();
    let ready = RwSignal::new(update_fn().is_some());
    if let Some(w) = web_sys::window() {
        let f = Closure::<dyn FnMut()>::new(move || {
            let _ = ready.try_set(true);
        });
        let _ = w.add_event_listener_with_callback(
            "coffer-update-available",
            f.as_ref().unchecked_ref(),
        );
        f.forget();
    }
    let apply = move |_| {
        if let Some(f) = update_fn() {
            let _ = f.call0(&JsValue::NULL);
        }
    };
    view! {
        <Show when=move || ready.get()>
            <section class="update" aria-label=l.t(UPDATE_RELOAD) data-testid="update">
                <p role="alert">{l.t(UPDATE_READY)}</p>
                <button type="button" on:click=apply>{l.t(UPDATE_RELOAD)}</button>
            </section>
        </Show>
    }
}
