//! The "Export master key" and "Replace master key" cards. The key itself
//! never reaches the page: the worker hands over a finished key file Blob
//! for download, and only the public key id is shown.

use coffer_protocol::{strings, ErrorCode, Failure, KeySource, Msg};
use leptos::html::Input;
use leptos::prelude::*;

use super::common::{download, input_file, read_text, secret, ProgressBar};
use super::dialog::{Dialog, DialogActions};
use super::task::Task;
use super::use_ctx;
use crate::client::api;
use crate::state::TaskState;

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

/// Exports the master key after a warning.
#[component]
pub fn ExportKeyCard() -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let pass: NodeRef<Input> = NodeRef::new();
    let export = move |_| {
        let passphrase = secret(pass.get_untracked());
        if let Some(i) = pass.get_untracked() {
            i.set_value("");
        }
        ctx.export_open.set(false);
        Task::new(ctx).refresh().spawn(move |engine, _| async move {
            let protected = passphrase.is_some();
            let k = api::export_key(&engine, passphrase, true).await?;
            download(&k.blob, k.url.as_deref(), &k.file_name)?;
            Ok(Msg::KeyDownloaded {
                file_name: k.file_name,
                short_id: short(&k.key_id),
                protected,
            })
        });
    };
    view! {
        <section class="card" aria-labelledby="export-title">
            <h2 id="export-title">{l.t(strings::EXPORT_TITLE)}</h2>
            <p>{l.t(strings::EXPORT_TEXT)}</p>
            <p class="risk">{l.t(strings::EXPORT_RISK)}</p>
            <p class="key-id">{move || ctx.overview.get().and_then(|o| o.key_id).map(|k| l.current_key_id(&short(&k)))}</p>
            <button type="button" on:click=move |_| ctx.export_open.set(true) disabled=move || ctx.busy.get()>
                {l.t(strings::EXPORT_TITLE)}
            </button>
            <Dialog open=ctx.export_open title="Export the master key?">
                <p class="risk">{l.t(strings::EXPORT_RISK)}</p>
                <label class="field">
                    {l.t("Key file passphrase (optional, recommended)")}
                    <input type="password" node_ref=pass autocomplete="new-password" />
                </label>
                <DialogActions slot>
                    <button type="button" on:click=export>{l.t("Download key file")}</button>
                    <button type="button" class="secondary" on:click=move |_| ctx.export_open.set(false)>{l.t("Cancel")}</button>
                </DialogActions>
            </Dialog>
        </section>
    }
}

/// Replaces the master key (generate or import), re-sealing every
/// encrypted store.
#[component]
pub fn ReplaceKeyCard() -> impl IntoView {
    let ctx = use_ctx();
    let l = ctx.lang();
    let open = RwSignal::new(false);
    let import = RwSignal::new(false);
    let key_input: NodeRef<Input> = NodeRef::new();
    let key_pass: NodeRef<Input> = NodeRef::new();
    let progress = RwSignal::new(None::<TaskState>);
    let replace = move |_| {
        open.set(false);
        let importing = import.get_untracked();
        let file = key_input.get_untracked().and_then(|i| input_file(&i));
        let passphrase = secret(key_pass.get_untracked());
        Task::new(ctx)
            .progress(progress)
            .refresh()
            .spawn(move |engine, tracker| async move {
                let source = if importing {
                    let f = file.ok_or_else(|| {
                        Failure::new(ErrorCode::NoKeyFile, "no key file was chosen to import")
                    })?;
                    KeySource::Import {
                        text: read_text(&f).await?,
                        passphrase,
                    }
                } else {
                    KeySource::Generate
                };
                let k = api::replace_key(&engine, source, tracker.callback()).await?;
                ctx.export_open.set(true);
                Ok(Msg::KeyReplaced {
                    short_id: short(&k.key_id),
                    resealed: k.resealed,
                })
            });
    };
    view! {
        <section class="card" aria-labelledby="replace-title">
            <h2 id="replace-title">{l.t(strings::REPLACE_TITLE)}</h2>
            <p>{l.t(strings::REPLACE_TEXT)}</p>
            <p class="risk">{l.t(strings::REPLACE_RISK)}</p>
            <button type="button" on:click=move |_| open.set(true) disabled=move || ctx.busy.get()>
                {l.t(strings::REPLACE_TITLE)}
            </button>
            <ProgressBar progress=progress label="Key replacement progress" />
            <Dialog open=open title="Replace the master key?">
                <p class="risk">{l.t(strings::REPLACE_RISK)}</p>
                <label>
                    <input type="radio" name="key-source" prop:checked=move || !import.get() on:change=move |_| import.set(false) />
                    {l.t("Generate a new key")}
                </label>
                <label>
                    <input type="radio" name="key-source" prop:checked=move || import.get() on:change=move |_| import.set(true) />
                    {l.t("Import a key file")}
                </label>
                <Show when=move || import.get()>
                    <label class="field">
                        {l.t("New key file")}
                        <input type="file" accept=".json,application/json" node_ref=key_input />
                    </label>
                    <label class="field">
                        {l.t("Its passphrase (if any)")}
                        <input type="password" node_ref=key_pass autocomplete="off" />
                    </label>
                </Show>
                <DialogActions slot>
                    <button type="button" class="danger" on:click=replace>{l.t("Replace key")}</button>
                    <button type="button" class="secondary" on:click=move |_| open.set(false)>{l.t("Cancel")}</button>
                </DialogActions>
            </Dialog>
        </section>
    }
}
