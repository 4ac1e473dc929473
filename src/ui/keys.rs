//! The "Export master key" and "Replace master key" cards. The key itself
//! never reaches the UI thread: the worker hands over a finished key file
//! Blob for download, and only the public key id is shown.

use leptos::html::Input;
use leptos::prelude::*;

use super::common::{
    download, input_file, read_text, task_over, track_progress, Dialog, ProgressBar,
};
use super::use_ctx;
use crate::client::Attachments;
use crate::error::AppError;
use crate::protocol::{KeySource, Outcome, ProgressInfo, Request};
use crate::strings;

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

/// Exports the master key after a warning.
#[component]
pub fn ExportKeyCard() -> impl IntoView {
    let ctx = use_ctx();
    let pass: NodeRef<Input> = NodeRef::new();
    let export = move |_| {
        let passphrase = pass
            .get_untracked()
            .map(|i| i.value())
            .filter(|p| !p.is_empty());
        if let Some(i) = pass.get_untracked() {
            i.set_value("");
        }
        ctx.export_open.set(false);
        let engine = ctx.engine.get_value();
        ctx.busy.set(true);
        leptos::task::spawn_local(async move {
            let protected = passphrase.is_some();
            let r = engine
                .call(
                    Request::ExportKey {
                        passphrase,
                        download: true,
                    },
                    Attachments::default(),
                    |_| {},
                )
                .await;
            ctx.busy.set(false);
            let r = match r {
                Ok((Outcome::KeyExported { file_name, key_id }, att)) => match att.file {
                    Some(b) => download(&b, att.url.as_deref(), &file_name)
                        .map(|_| strings::key_downloaded(&file_name, &short(&key_id), protected)),
                    None => Err(AppError::new(
                        "browser-error",
                        strings::t("the key file is missing"),
                    )),
                },
                Ok(_) => Err(AppError::new("protocol", strings::t("unexpected answer"))),
                Err(e) => Err(e),
            };
            match r {
                Ok(t) => ctx.announce(t),
                Err(e) => ctx.fail(&e),
            }
            ctx.refresh();
        });
    };
    view! {
        <section class="card" aria-labelledby="export-title">
            <h2 id="export-title">{strings::t(strings::EXPORT_TITLE)}</h2>
            <p>{strings::t(strings::EXPORT_TEXT)}</p>
            <p class="risk">{strings::t(strings::EXPORT_RISK)}</p>
            <p class="key-id">{move || ctx.overview.get().and_then(|o| o.key_id).map(|k| strings::current_key_id(&short(&k)))}</p>
            <button type="button" on:click=move |_| ctx.export_open.set(true) disabled=move || ctx.busy.get()>
                {strings::t(strings::EXPORT_TITLE)}
            </button>
            <Dialog open=ctx.export_open title=strings::t("Export the master key?")>
                <p class="risk">{strings::t(strings::EXPORT_RISK)}</p>
                <label class="field">
                    {strings::t("Key file passphrase (optional, recommended)")}
                    <input type="password" node_ref=pass autocomplete="new-password" />
                </label>
                <div class="actions">
                    <button type="button" on:click=export>{strings::t("Download key file")}</button>
                    <button type="button" class="secondary" on:click=move |_| ctx.export_open.set(false)>{strings::t("Cancel")}</button>
                </div>
            </Dialog>
        </section>
    }
}

/// Replaces the master key (generate or import), re-sealing every
/// encrypted store.
#[component]
pub fn ReplaceKeyCard() -> impl IntoView {
    let ctx = use_ctx();
    let open = RwSignal::new(false);
    let import = RwSignal::new(false);
    let key_input: NodeRef<Input> = NodeRef::new();
    let key_pass: NodeRef<Input> = NodeRef::new();
    let progress = RwSignal::new(None::<(String, ProgressInfo)>);
    let replace = move |_| {
        open.set(false);
        let engine = ctx.engine.get_value();
        let importing = import.get_untracked();
        let file = key_input.get_untracked().and_then(|i| input_file(&i));
        let passphrase = key_pass
            .get_untracked()
            .map(|i| i.value())
            .filter(|p| !p.is_empty());
        ctx.busy.set(true);
        progress.set(Some((
            strings::t("Starting").into(),
            ProgressInfo::default(),
        )));
        leptos::task::spawn_local(async move {
            let source = if importing {
                let Some(f) = file else {
                    task_over(ctx, progress);
                    ctx.fail(&AppError::new(
                        "no-key-file",
                        strings::t("Choose the key file to import."),
                    ));
                    return;
                };
                match read_text(&f).await {
                    Ok(text) => KeySource::Import { text, passphrase },
                    Err(e) => {
                        task_over(ctx, progress);
                        ctx.fail(&e);
                        return;
                    }
                }
            } else {
                KeySource::Generate
            };
            let r = engine
                .call(
                    Request::ReplaceKey {
                        source,
                        now_ms: js_sys::Date::now(),
                    },
                    Attachments::default(),
                    track_progress(ctx, progress),
                )
                .await;
            task_over(ctx, progress);
            match r {
                Ok((
                    Outcome::KeyReplaced {
                        new_key_id,
                        resealed,
                        ..
                    },
                    _,
                )) => {
                    ctx.announce(strings::key_replaced(&short(&new_key_id), resealed));
                    ctx.export_open.set(true);
                }
                Ok(_) => {}
                Err(e) => ctx.fail(&e),
            }
            ctx.refresh();
        });
    };
    view! {
        <section class="card" aria-labelledby="replace-title">
            <h2 id="replace-title">{strings::t(strings::REPLACE_TITLE)}</h2>
            <p>{strings::t(strings::REPLACE_TEXT)}</p>
            <p class="risk">{strings::t(strings::REPLACE_RISK)}</p>
            <button type="button" on:click=move |_| open.set(true) disabled=move || ctx.busy.get()>
                {strings::t(strings::REPLACE_TITLE)}
            </button>
            <ProgressBar progress=progress label=strings::t("Key replacement progress") />
            <Dialog open=open title=strings::t("Replace the master key?")>
                <p class="risk">{strings::t(strings::REPLACE_RISK)}</p>
                <label>
                    <input type="radio" name="key-source" prop:checked=move || !import.get() on:change=move |_| import.set(false) />
                    {strings::t("Generate a new key")}
                </label>
                <label>
                    <input type="radio" name="key-source" prop:checked=move || import.get() on:change=move |_| import.set(true) />
                    {strings::t("Import a key file")}
                </label>
                <Show when=move || import.get()>
                    <label class="field">
                        {strings::t("New key file")}
                        <input type="file" accept=".json,application/json" node_ref=key_input />
                    </label>
                    <label class="field">
                        {strings::t("Its passphrase (if any)")}
                        <input type="password" node_ref=key_pass autocomplete="off" />
                    </label>
                </Show>
                <div class="actions">
                    <button type="button" class="danger" on:click=replace>{strings::t("Replace key")}</button>
                    <button type="button" class="secondary" on:click=move |_| open.set(false)>{strings::t("Cancel")}</button>
                </div>
            </Dialog>
        </section>
    }
}
