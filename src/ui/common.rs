//! Small shared pieces: progress bar, saving and reading files.

use coffer_protocol::{ErrorCode, Failure};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

use super::task::TaskProgress;
use super::use_ctx;

/// A progress bar with a Cancel button, shown while `progress` is `Some`.
#[component]
pub fn ProgressBar(
    /// The progress to show.
    progress: TaskProgress,
    /// Accessible name of the bar (English; shown translated).
    label: &'static str,
) -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    view! {
        <Show when=move || progress.with(Option::is_some)>
            <div class="progress">
                <progress
                    aria-label=l.t(label)
                    max="1"
                    prop:value=move || progress.with(|p| p.map(|t| t.fraction()).unwrap_or(0.0))
                ></progress>
                <span class="progress-text">
                    {move || progress.with(|p| p.map(|t| t.text(l)).unwrap_or_default())}
                </span>
                <button type="button" class="secondary" on:click=move |_| ctx.engine.with_value(|e| e.cancel_all())>
                    {l.t("Cancel")}
                </button>
            </div>
        </Show>
    }
}

/// A browser API threw `e` while doing `what`.
pub fn js_failure(what: &str, e: &JsValue) -> Failure {
    let (name, message) = match e.dyn_ref::<js_sys::Error>() {
        Some(err) => (String::from(err.name()), String::from(err.message())),
        None => ("Error".to_owned(), format!("{e:?}")),
    };
    Failure::new(
        ErrorCode::from_dom_exception(&name),
        format!("{what}: {name}: {message}"),
    )
}

/// Starts a download of `blob` as `name` (`<a download>`), through `url`
/// when the worker made one for it.
pub fn download(blob: &Blob, url: Option<&str>, name: &str) -> Result<(), Failure> {
    match url {
        Some(url) => click_download(url, name),
        None => {
            let url = web_sys::Url::create_object_url_with_blob(blob)
                .map_err(|e| js_failure("cannot download", &e))?;
            let r = click_download(&url, name);
            // The download reads the Blob through the URL after the click
            // returns: revoke it a minute later.
            let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
                let _ = web_sys::Url::revoke_object_url(&url);
            });
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                    revoke.unchecked_ref(),
                    60_000,
                );
            }
            r
        }
    }
}

/// Clicks a hidden `<a download=name href=url>`.
fn click_download(url: &str, name: &str) -> Result<(), Failure> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| Failure::new(ErrorCode::BrowserError, "no document"))?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|e| js_failure("cannot download", &e))?
        .unchecked_into();
    a.set_href(url);
    a.set_download(name);
    a.set_hidden(true);
    if let Some(b) = doc.body() {
        let _ = b.append_child(&a);
    }
    a.click();
    a.remove();
    Ok(())
}

/// Whether the File System Access save dialog exists here.
pub fn has_save_picker() -> bool {
    web_sys::window()
        .map(|w| {
            js_sys::Reflect::get(&w, &"showSaveFilePicker".into())
                .map(|f| f.is_function())
                .unwrap_or(false)
        })
        .unwrap_or(false)
}

/// Asks where to save `name` (File System Access). `Ok(None)` if the user
/// cancelled.
pub async fn pick_save_file(name: &str) -> Result<Option<JsValue>, Failure> {
    let w = web_sys::window().ok_or_else(|| Failure::new(ErrorCode::BrowserError, "no window"))?;
    let f: js_sys::Function = js_sys::Reflect::get(&w, &"showSaveFilePicker".into())
        .map_err(|e| js_failure("save dialog", &e))?
        .unchecked_into();
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"suggestedName".into(), &name.into());
    let p: js_sys::Promise = f
        .call1(&w, &opts)
        .map_err(|e| js_failure("save dialog", &e))?
        .unchecked_into();
    match JsFuture::from(p).await {
        Ok(h) => Ok(Some(h)),
        Err(e) => {
            let f = js_failure("save dialog", &e);
            if f.code == ErrorCode::BrowserAborted {
                Ok(None)
            } else {
                Err(f)
            }
        }
    }
}

async fn call_async(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, Failure> {
    let f: js_sys::Function = js_sys::Reflect::get(target, &method.into())
        .map_err(|e| js_failure(method, &e))?
        .unchecked_into();
    let a: js_sys::Array = args.iter().collect();
    let p = f.apply(target, &a).map_err(|e| js_failure(method, &e))?;
    JsFuture::from(js_sys::Promise::resolve(&p))
        .await
        .map_err(|e| js_failure("cannot save the file", &e))
}

/// Writes `blob` to a File System Access file handle.
pub async fn save_to_handle(handle: &JsValue, blob: &Blob) -> Result<(), Failure> {
    let w = call_async(handle, "createWritable", &[]).await?;
    call_async(&w, "write", &[blob.into()]).await?;
    call_async(&w, "close", &[]).await?;
    Ok(())
}

/// Reads a small text file (key files).
pub async fn read_text(file: &Blob) -> Result<String, Failure> {
    let t = JsFuture::from(file.text())
        .await
        .map_err(|e| js_failure("cannot read the file", &e))?;
    Ok(t.as_string().unwrap_or_default())
}

/// The first file of a file input.
pub fn input_file(input: &web_sys::HtmlInputElement) -> Option<web_sys::File> {
    input.files().and_then(|f| f.get(0))
}

/// A password input's value, `None` when empty.
pub fn secret(input: Option<web_sys::HtmlInputElement>) -> Option<String> {
    input.map(|i| i.value()).filter(|p| !p.is_empty())
}
