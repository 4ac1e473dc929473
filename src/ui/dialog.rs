//! The modal dialog: it fits the window (its body scrolls, its title and
//! actions stay in view), takes the focus when it opens, keeps Tab inside
//! (the wrap-around is [`trap_focus`]), closes on Escape and gives the
//! focus back to what had it.

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlElement;

use super::use_ctx;
use crate::state::trap_focus;

/// What can take the focus inside a dialog.
const FOCUSABLE: &str = "button:not([disabled]), input:not([disabled]), select:not([disabled]), \
                         textarea:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])";

/// The buttons of a [`Dialog`], always visible below its body.
#[slot]
pub struct DialogActions {
    children: ChildrenFn,
}

/// A modal dialog with an accessible name.
#[component]
pub fn Dialog(
    /// Whether it is open.
    open: RwSignal<bool>,
    /// Its title (and accessible name), English; shown translated.
    title: &'static str,
    /// Its buttons.
    dialog_actions: DialogActions,
    /// Its contents (scrolls when it does not fit).
    children: ChildrenFn,
) -> impl IntoView {
    let l = use_ctx().lang();
    let children = StoredValue::new(children);
    let actions = StoredValue::new(dialog_actions.children);
    let node = NodeRef::<Div>::new();
    let opener = StoredValue::new_local(None::<HtmlElement>);
    // Opened: remember who had the focus, then focus the first control.
    Effect::new(move |_| {
        if let Some(d) = node.get() {
            if opener.with_value(Option::is_none) {
                opener.set_value(active_element());
            }
            // The first control of the body, else the body itself (so
            // that a long list can be scrolled with the keyboard).
            let items = focusables(&d);
            let first = items
                .iter()
                .find(|e| {
                    !e.class_list().contains("dialog-body")
                        && e.closest(".actions").ok().flatten().is_none()
                })
                .or_else(|| items.first());
            if let Some(first) = first {
                let _ = first.focus();
            }
        }
    });
    // Closed: give the focus back, once the action that closed it has
    // updated the page (it may have disabled the opener).
    Effect::new(move |_| {
        if !open.get() {
            if let Some(el) = opener.try_update_value(Option::take).flatten() {
                let back = wasm_bindgen::closure::Closure::once_into_js(move || return_focus(&el));
                if let Some(w) = web_sys::window() {
                    let _ = w.request_animation_frame(back.unchecked_ref());
                }
            }
        }
    });
    let on_key = move |ev: web_sys::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            open.set(false);
        }
        "Tab" => {
            let Some(d) = node.get_untracked() else {
                return;
            };
            let items = focusables(&d);
            let active = active_element();
            let current = items.iter().position(|e| Some(e) == active.as_ref());
            if let Some(next) = trap_focus(items.len(), current, ev.shift_key()) {
                ev.prevent_default();
                let _ = items[next].focus();
            }
        }
        _ => {}
    };
    view! {
        <Show when=move || open.get()>
            <div class="backdrop">
                <div role="dialog" aria-modal="true" aria-label=l.t(title) class="dialog" node_ref=node on:keydown=on_key>
                    <h3>{l.t(title)}</h3>
                    <div class="dialog-body" tabindex="0" data-testid="dialog-body">
                        {children.with_value(|c| c())}
                    </div>
                    <div class="actions">{actions.with_value(|c| c())}</div>
                </div>
            </div>
        </Show>
    }
}

/// The element that has the focus.
fn active_element() -> Option<HtmlElement> {
    web_sys::window()?
        .document()?
        .active_element()?
        .dyn_into()
        .ok()
}

/// The focusable elements inside `root`, in document order.
fn focusables(root: &HtmlElement) -> Vec<HtmlElement> {
    let Ok(f) = js_sys::Reflect::get(root, &"querySelectorAll".into()) else {
        return Vec::new();
    };
    let Ok(list) = f
        .unchecked_ref::<js_sys::Function>()
        .call1(root, &JsValue::from_str(FOCUSABLE))
    else {
        return Vec::new();
    };
    js_sys::Array::from(&list)
        .iter()
        .filter_map(|e| e.dyn_into::<HtmlElement>().ok())
        .collect()
}

/// Focuses `el`, or when it cannot take the focus any more (removed, or
/// disabled while the dialog's action runs) the section it is in.
fn return_focus(el: &HtmlElement) {
    if el.is_connected() {
        let _ = el.focus();
        if active_element().as_ref() == Some(el) {
            return;
        }
    }
    if let Ok(Some(section)) = el.closest("section, main") {
        if let Ok(section) = section.dyn_into::<HtmlElement>() {
            if !section.has_attribute("tabindex") {
                let _ = section.set_attribute("tabindex", "-1");
            }
            let _ = section.focus();
        }
    }
}
