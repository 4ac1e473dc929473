//! The "Restore backup" card: pick or drop a file, see it validated and
//! previewed, choose stores, confirm, restore.

use leptos::html::Input;
use leptos::prelude::*;
use web_sys::File;

use super::backup::SelectionList;
use super::common::{input_file, read_text, task_over, track_progress, Dialog, ProgressBar};
use super::use_ctx;
use crate::client::Attachments;
use crate::error::AppError;
use crate::protocol::{KeyFileInput, Outcome, Preview, ProgressInfo, Request};
use crate::state::SelectionState;
use crate::strings;

/// Restores backups.
#[component]
pub fn RestoreCard() -> impl IntoView {
    let ctx = use_ctx();
    let file = StoredValue::new_local(None::<File>);
    let file_name = RwSignal::new(String::new());
    let pass: NodeRef<Input> = NodeRef::new();
    let key_input: NodeRef<Input> = NodeRef::new();
    let key_pass: NodeRef<Input> = NodeRef::new();
    let preview = RwSignal::new(None::<Preview>);
    let need_pass = RwSignal::new(false);
    let need_key = RwSignal::new(None::<String>);
    let selection = RwSignal::new(SelectionState::default());
    let confirm = RwSignal::new(false);
    let progress = RwSignal::new(None::<(String, ProgressInfo)>);
    let checking = RwSignal::new(false);

    let passphrase = move || {
        pass.get_untracked()
            .map(|i| i.value())
            .filter(|p| !p.is_empty())
    };
    let key_file = move || async move {
        let input = key_input.get_untracked()?;
        let f = input_file(&input)?;
        let text = read_text(&f).await.ok()?;
        Some(KeyFileInput {
            text,
            passphrase: key_pass
                .get_untracked()
                .map(|i| i.value())
                .filter(|p| !p.is_empty()),
        })
    };
    let on_error = move |e: &AppError| {
        match e.code.as_str() {
            "passphrase-required" | "wrong-passphrase" => need_pass.set(true),
            "key-required" | "wrong-key" | "mac-mismatch" if need_key.get_untracked().is_none() => {
                need_key.set(Some(String::new()));
            }
            _ => {}
        }
        ctx.fail(e);
    };
    let inspect = move || {
        let Some(f) = file.get_value() else {
            return;
        };
        let engine = ctx.engine.get_value();
        preview.set(None);
        checking.set(true);
        progress.set(Some((
            strings::t("Checking").into(),
            ProgressInfo::default(),
        )));
        leptos::task::spawn_local(async move {
            let kf = key_file().await;
            let r = engine
                .call(
                    Request::Inspect {
                        passphrase: passphrase(),
                        key_file: kf,
                    },
                    Attachments::file(f),
                    track_progress(ctx, progress),
                )
                .await;
            checking.set(false);
            progress.set(None);
            match r {
                Ok((Outcome::Preview(p), _)) => {
                    selection.set(SelectionState::all(&p.databases));
                    if !p.key_ok {
                        need_key.set(p.backup_key_id.clone());
                    }
                    ctx.announce(strings::backup_checked(
                        p.records,
                        p.databases.len(),
                        p.bytes,
                    ));
                    preview.set(Some(p));
                }
                Ok(_) => {}
                Err(e) => on_error(&e),
            }
        });
    };
    let choose = move |f: File| {
        file_name.set(f.name());
        file.set_value(Some(f));
        need_pass.set(false);
        need_key.set(None);
        inspect();
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(f) = input_file(&input) {
            choose(f);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(f) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|l| l.get(0))
        {
            choose(f);
        }
    };
    let restore_now = move |_| {
        confirm.set(false);
        let Some(f) = file.get_value() else {
            return;
        };
        let engine = ctx.engine.get_value();
        let sel = selection.get_untracked().selection();
        ctx.busy.set(true);
        progress.set(Some((
            strings::t("Starting").into(),
            ProgressInfo::default(),
        )));
        leptos::task::spawn_local(async move {
            let kf = key_file().await;
            let r = engine
                .call(
                    Request::Restore {
                        selection: sel,
                        passphrase: passphrase(),
                        key_file: kf,
                    },
                    Attachments::file(f),
                    track_progress(ctx, progress),
                )
                .await;
            task_over(ctx, progress);
            match r {
                Ok((
                    Outcome::Restored {
                        databases,
                        stores,
                        records,
                        resealed,
                    },
                    _,
                )) => {
                    ctx.announce(strings::restore_complete(
                        records, stores, databases, resealed,
                    ));
                    preview.set(None);
                }
                Ok(_) => {}
                Err(e) => on_error(&e),
            }
            ctx.refresh();
        });
    };
    let preview_dbs =
        Signal::derive(move || preview.get().map(|p| p.databases).unwrap_or_default());
    view! {
        <section class="card" aria-labelledby="restore-title">
            <h2 id="restore-title">{strings::t(strings::RESTORE_TITLE)}</h2>
            <p>{strings::t(strings::RESTORE_TEXT)}</p>
            <p class="risk">{strings::t(strings::RESTORE_RISK)}</p>
            <div
                class="dropzone"
                data-testid="dropzone"
                on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=on_drop
            >
                <label class="field">
                    {strings::t("Backup file")}
                    <input type="file" accept=".zip,.coffer,application/zip" on:change=on_pick />
                </label>
                <span>{strings::t("or drop it here")}</span>
                <span class="file-name">{move || file_name.get()}</span>
            </div>
            <Show when=move || need_pass.get()>
                <div class="field-row">
                    <label class="field">
                        {strings::t("Backup passphrase")}
                        <input type="password" node_ref=pass autocomplete="off" />
                    </label>
                    <button type="button" class="secondary" on:click=move |_| inspect()>{strings::t("Unlock")}</button>
                </div>
            </Show>
            <Show when=move || need_key.get().is_some()>
                <div class="field-row">
                    <p>
                        {move || match need_key.get() {
                            Some(id) if !id.is_empty() => strings::need_key_file(&id),
                            _ => strings::t("The encrypted stores need the key file of the backup's master key.").to_owned(),
                        }}
                    </p>
                    <label class="field">
                        {strings::t("Key file")}
                        <input type="file" accept=".json,application/json" node_ref=key_input on:change=move |_| inspect() />
                    </label>
                    <label class="field">
                        {strings::t("Key file passphrase (if any)")}
                        <input type="password" node_ref=key_pass autocomplete="off" />
                    </label>
                    <button type="button" class="secondary" on:click=move |_| inspect()>{strings::t("Use key file")}</button>
                </div>
            </Show>
            <Show when=move || preview.get().is_some()>
                <div class="preview" data-testid="preview">
                    {move || preview.get().map(|p| view! {
                        <p>{strings::created(&p.created, p.locked)}</p>
                        <p>{strings::backup_key(p.backup_key_id.as_deref(), p.current_key_id.as_deref(), p.key_ok)}</p>
                        <table>
                            <thead><tr><th scope="col">{strings::t("Database")}</th><th scope="col">{strings::t("Store")}</th><th scope="col" class="num">{strings::t("Records")}</th><th scope="col">{strings::t("Effect")}</th></tr></thead>
                            <tbody>
                                {p.databases.iter().flat_map(|d| d.stores.iter().map(move |s| view! {
                                    <tr>
                                        <td>{d.name.clone()}</td>
                                        <td>{s.name.clone()}{s.encrypted.then(|| view! { <span class="badge">{strings::t("encrypted")}</span> })}</td>
                                        <td class="num">{s.records}</td>
                                        <td>{strings::t(if s.exists { "overwrites existing store" } else { "new" })}</td>
                                    </tr>
                                })).collect_view()}
                            </tbody>
                        </table>
                    })}
                    <SelectionList databases=preview_dbs selection=selection restore=true />
                </div>
            </Show>
            <button
                type="button"
                on:click=move |_| confirm.set(true)
                disabled=move || ctx.busy.get() || checking.get() || preview.get().is_none() || selection.get().is_empty()
            >
                {strings::t(strings::RESTORE_TITLE)}
            </button>
            <ProgressBar progress=progress label=strings::t("Restore progress") />
            <Dialog open=confirm title=strings::t("Restore this backup?")>
                <p>{strings::t("These stores will be replaced by the backup's contents. Records added since the backup are lost:")}</p>
                <ul>
                    {move || selection.get().items.into_iter().filter(|(_, _, on)| *on).map(|(d, s, _)| view! { <li>{format!("{d} / {s}")}</li> }).collect_view()}
                </ul>
                <div class="actions">
                    <button type="button" class="danger" on:click=restore_now>{strings::t("Restore now")}</button>
                    <button type="button" class="secondary" on:click=move |_| confirm.set(false)>{strings::t("Cancel")}</button>
                </div>
            </Dialog>
        </section>
    }
}
