//! wasm-bindgen tests of the Leptos component for host apps
//! (`coffer_embed::BackupManagement`), on the main thread of headless
//! Chromium: it mounts into a shadow root of its own `<div>`, renders the
//! Backup Management cards there, reflects its `BackupConfig` (theme,
//! compact layout, locale) and goes away when unmounted. The engine worker
//! is an idle blob: script (no engine needed to render).
#![cfg(target_arch = "wasm32")]

use coffer_embed::{BackupConfig, BackupManagement, Theme};
use js_sys::{Function, Promise};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

fn idle_worker_url() -> String {
    let parts = js_sys::Array::of1(&JsValue::from_str("// idle\n"));
    let blob = web_sys::Blob::new_with_str_sequence(&parts).expect("blob");
    web_sys::Url::create_object_url_with_blob(&blob).expect("object URL")
}

async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

/// Runs `body` (JS, with `host` bound to the test div) and returns its
/// result.
fn eval(host: &HtmlElement, body: &str) -> JsValue {
    Function::new_with_args("host", body)
        .call1(&JsValue::NULL, host)
        .expect("test expression runs")
}

/// The texts of the buttons in the component's shadow root (empty until
/// it has mounted).
fn buttons(host: &HtmlElement) -> Vec<String> {
    let v = eval(
        host,
        "const el = host.querySelector('div.coffer-backup'); \
         const r = el && el.shadowRoot; \
         return r ? [...r.querySelectorAll('button')].map((b) => b.textContent.trim()) : [];",
    );
    js_sys::Array::from(&v)
        .iter()
        .filter_map(|s| s.as_string())
        .collect()
}

async fn mounted_buttons(host: &HtmlElement) -> Vec<String> {
    for _ in 0..100 {
        let b = buttons(host);
        if !b.is_empty() {
            return b;
        }
        sleep(20).await;
    }
    panic!("the component rendered no buttons in its shadow root");
}

fn test_div() -> HtmlElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div: HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

fn root_attr(host: &HtmlElement, attr: &str) -> Option<String> {
    eval(
        host,
        &format!(
            "const r = host.querySelector('div.coffer-backup').shadowRoot.querySelector('.coffer-root'); \
             return r ? r.getAttribute('{attr}') : null;"
        ),
    )
    .as_string()
}

#[wasm_bindgen_test]
async fn the_component_renders_the_cards_in_a_shadow_root_with_its_config() {
    let host = test_div();
    let config = BackupConfig::new()
        .theme(Theme::Dark)
        .compact(true)
        .worker_url(idle_worker_url());
    let handle = leptos::mount::mount_to(host.clone(), move || {
        view! { <BackupManagement config=config.clone() /> }
    });
    let b = mounted_buttons(&host).await;
    for name in [
        "Create backup",
        "Restore backup",
        "Export master key",
        "Replace master key",
    ] {
        assert!(b.iter().any(|t| t == name), "no {name:?} button in {b:?}");
    }
    // Nothing of the UI in the light DOM.
    assert_eq!(
        eval(
            &host,
            "return host.querySelectorAll('button, main').length;"
        )
        .as_f64(),
        Some(0.0)
    );
    assert_eq!(root_attr(&host, "data-theme").as_deref(), Some("dark"));
    let class = root_attr(&host, "class").unwrap_or_default();
    assert!(class.split(' ').any(|c| c == "compact"), "class {class:?}");
    assert_eq!(root_attr(&host, "lang").as_deref(), Some("en"));
    // Unmounting removes it.
    drop(handle);
    sleep(20).await;
    assert_eq!(
        eval(
            &host,
            "return host.querySelectorAll('div.coffer-backup').length;"
        )
        .as_f64(),
        Some(0.0)
    );
    host.remove();
}

#[wasm_bindgen_test]
async fn the_component_speaks_german_with_locale_de() {
    let host = test_div();
    let config = BackupConfig::new()
        .locale("de-DE")
        .worker_url(idle_worker_url());
    let handle = leptos::mount::mount_to(host.clone(), move || {
        view! { <BackupManagement config=config.clone() /> }
    });
    let b = mounted_buttons(&host).await;
    assert!(b.iter().any(|t| t == "Backup erstellen"), "{b:?}");
    assert!(!b.iter().any(|t| t == "Create backup"), "{b:?}");
    assert_eq!(root_attr(&host, "data-theme").as_deref(), Some("auto"));
    assert_eq!(root_attr(&host, "lang").as_deref(), Some("de-DE"));
    drop(handle);
    host.remove();
}
