//! Small shared pieces: progress bar, modal dialog, saving and reading
//! files.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

use super::{use_ctx, Ctx};
use crate::error::AppError;
use crate::protocol::{Event, ProgressInfo};
use crate::state::{fraction, progress_text};

/// The phase name that stands for "waiting for another tab".
const WAITING: &str = "\u{0}waiting";

/// A progress bar with a Cancel button, shown while `progress` is `Some`.
#[component]
pub fn ProgressBar(
    /// The progress to show.
    progress: TaskProgress,
    /// Accessible name of the bar.
    label: &'static str,
) -> impl IntoView {
    let ctx = use_ctx();
    view! {
        <Show when=move || progress.get().is_some()>
            <div class="progress">
                <progress
                    aria-label=label
                    max="1"
                    prop:value=move || progress.get().map(|(_, p)| fraction(&p)).unwrap_or(0.0)
                ></progress>
                <span class="progress-text">
                    {move || progress.get().map(|(phase, p)| if phase == WAITING {
                        crate::strings::t(crate::strings::WAITING_SHORT).to_owned()
                    } else {
                        format!("{phase}: {}", progress_text(&p))
                    }).unwrap_or_default()}
                </span>
                <button type="button" class="secondary" on:click=move |_| ctx.engine.with_value(|e| e.cancel_all())>
                    {crate::strings::t("Cancel")}
                </button>
            </div>
        </Show>
    }
}

/// A task's progress: its phase's name and figures (`None`: no task).
pub type TaskProgress = RwSignal<Option<(String, ProgressInfo)>>;

/// Ends a task: the page is no longer busy and its progress bar goes.
pub fn task_over(ctx: Ctx, progress: TaskProgress) {
    ctx.busy.set(false);
    progress.set(None);
}

/// Maps a worker event to the progress signal.
pub fn track_progress(ctx: Ctx, progress: TaskProgress) -> impl FnMut(&Event) + 'static {
    move |ev| match ev {
        Event::Progress { phase, progress: p } => {
            let name = crate::strings::t(match phase {
                crate::protocol::Phase::Reading => "Reading",
                crate::protocol::Phase::Writing => "Writing",
                crate::protocol::Phase::Verifying => "Checking",
                crate::protocol::Phase::Restoring => "Restoring",
                crate::protocol::Phase::Resealing => "Re-sealing",
            });
            progress.set(Some((name.to_owned(), *p)));
            // The other tab is done: drop the "waiting" announcement.
            if ctx
                .status
                .with_untracked(|s| s.text == crate::strings::tr(crate::strings::WAITING_FOR_LOCK))
            {
                ctx.announce(String::new());
            }
        }
        Event::Waiting { message } => {
            progress.set(Some((WAITING.to_owned(), ProgressInfo::default())));
            ctx.announce(crate::strings::tr(message));
        }
        _ => {}
    }
}

/// A modal dialog with an accessible name.
#[component]
pub fn Dialog(
    /// Whether it is open.
    open: RwSignal<bool>,
    /// Its title (and accessible name).
    title: &'static str,
    /// Its contents.
    children: ChildrenFn,
) -> impl IntoView {
    let children = StoredValue::new(children);
    view! {
        <Show when=move || open.get()>
            <div class="backdrop">
                <div role="dialog" aria-modal="true" aria-label=title class="dialog">
                    <h3>{title}</h3>
                    {children.with_value(|c| c())}
                </div>
            </div>
        </Show>
    }
}

/// Starts a download of `blob` as `name` (object URL + `<a download>`),
/// through `url` when the worker made one for it.
pub fn download(blob: &Blob, url: Option<&str>, name: &str) -> Result<(), AppError> {
    match url {
        Some(url) => click_download(url, name),
        None => click_download(&crate::blobio::download_url(blob)?, name),
    }
}

/// Clicks a hidden `<a download=name href=url>`.
fn click_download(url: &str, name: &str) -> Result<(), AppError> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| AppError::new("browser-error", "no document"))?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|e| AppError::js("cannot download", e))?
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
pub async fn pick_save_file(name: &str) -> Result<Option<JsValue>, AppError> {
    let w = web_sys::window().ok_or_else(|| AppError::new("browser-error", "no window"))?;
    let f: js_sys::Function = js_sys::Reflect::get(&w, &"showSaveFilePicker".into())
        .map_err(|e| AppError::js("save dialog", e))?
        .unchecked_into();
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"suggestedName".into(), &name.into());
    let p: js_sys::Promise = f
        .call1(&w, &opts)
        .map_err(|e| AppError::js("save dialog", e))?
        .unchecked_into();
    match JsFuture::from(p).await {
        Ok(h) => Ok(Some(h)),
        Err(e) => {
            let (n, _) = crate::error::describe_js_error(&e);
            if n == "AbortError" {
                Ok(None)
            } else {
                Err(AppError::js("save dialog", e))
            }
        }
    }
}

async fn call_async(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, AppError> {
    let f: js_sys::Function = js_sys::Reflect::get(target, &method.into())
        .map_err(|e| AppError::js(method, e))?
        .unchecked_into();
    let a: js_sys::Array = args.iter().collect();
    let p = f.apply(target, &a).map_err(|e| AppError::js(method, e))?;
    JsFuture::from(js_sys::Promise::resolve(&p))
        .await
        .map_err(|e| AppError::js("cannot save the file", e))
}

/// Writes `blob` to a File System Access file handle.
pub async fn save_to_handle(handle: &JsValue, blob: &Blob) -> Result<(), AppError> {
    let w = call_async(handle, "createWritable", &[]).await?;
    call_async(&w, "write", &[blob.into()]).await?;
    call_async(&w, "close", &[]).await?;
    Ok(())
}

/// Reads a small text file (key files).
pub async fn read_text(file: &Blob) -> Result<String, AppError> {
    let p = file.text();
    let t = JsFuture::from(p)
        .await
        .map_err(|e| AppError::js("cannot read the file", e))?;
    Ok(t.as_string().unwrap_or_default())
}

/// The first file of a file input.
pub fn input_file(input: &web_sys::HtmlInputElement) -> Option<web_sys::File> {
    input.files().and_then(|f| f.get(0))
}
